"""Q2 brand personality, offline: Aaker's five dimensions in the brand's own posts.

Each dimension has an es + en lexicon (lexicons/personality.json). Score = share of own
posts using at least one of its terms; relative_weight = its share of all term matches.
Evidence: the most frequent matched terms and example posts.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import cast

from app.ai.local.frames import TermMatcher, read_lexicon
from app.analyses.question import Previous
from app.analyses.questions.parts import TermCount
from app.analyses.questions.q02_personality.result import (
    DimensionScore,
    PersonalityDimension,
    PersonalityResult,
)
from app.analyses.statistics import counter_top, share, shares
from app.analyses.window import Window

DIMENSIONS = ("sincerity", "excitement", "competence", "sophistication", "ruggedness")
MAX_TERMS = 8
MAX_EXAMPLES = 3
MIN_OWN_POSTS = 10


@cache
def personality_matcher() -> TermMatcher:
    data = read_lexicon("personality.json")["dimensions"]
    return TermMatcher({d: data[d] for d in DIMENSIONS})


def compute(window: Window, previous: Previous) -> PersonalityResult:
    own = [p for p in window.posts if p.is_own]
    notes = list(window.notes)
    matcher = personality_matcher()

    term_counts: dict[str, Counter[str]] = {d: Counter() for d in DIMENSIONS}
    matched_posts: dict[str, list[tuple[int, str]]] = {d: [] for d in DIMENSIONS}
    for p in own:
        found = matcher.match(p.text, p.language)
        per_post: Counter[str] = Counter()
        for dim, term in found:
            term_counts[dim][term] += 1
            per_post[dim] += 1
        for dim, hits in per_post.items():
            matched_posts[dim].append((hits, p.id))

    totals = [sum(term_counts[d].values()) for d in DIMENSIONS]
    weights = shares(totals)
    dims: list[DimensionScore] = []
    for d, w in zip(DIMENSIONS, weights, strict=True):
        posts_d = matched_posts[d]
        best = sorted(posts_d, key=lambda hp: (-hp[0], hp[1]))[:MAX_EXAMPLES]
        dims.append(
            DimensionScore(
                dimension=cast(PersonalityDimension, d),
                score=share(len(posts_d), len(own)),
                relative_weight=w,
                matched_posts=len(posts_d),
                matched_terms=[
                    TermCount(term=t, count=c) for t, c in counter_top(term_counts[d], MAX_TERMS)
                ],
                example_post_ids=[pid for _, pid in best],
            )
        )
    dims.sort(key=lambda x: (-x.score, -x.relative_weight, DIMENSIONS.index(x.dimension)))
    any_match = any(totals)

    if not own:
        notes.append(
            "No posts by the brand's own accounts in the window; the brand personality "
            "cannot be measured."
        )
    elif len(own) < MIN_OWN_POSTS:
        notes.append(f"Only {len(own)} own posts in the window; the scores are unstable.")
    if own and not any_match:
        notes.append("No own post uses any term of the personality lexicons.")
    return PersonalityResult(
        posts_analyzed=len(own),
        own_posts=len(own),
        dimensions=dims,
        dominant_dimension=dims[0].dimension if any_match else None,
        weakest_dimension=dims[-1].dimension if any_match else None,
        notes=notes,
    )

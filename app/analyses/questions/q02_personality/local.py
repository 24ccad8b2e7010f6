"""Q2 brand personality, offline: Aaker's five dimensions in the brand's own posts.

The brand's own posts are those flagged as its own or written by one of its handles
(`window.brand`), retweets left out (a retweet is someone else's text), each text once.
Customer-service boilerplate (greetings, thanks, "envíanos más detalles por DM":
lexicons/boilerplate.json, shared with topics) is discounted: it says how a support desk
answers, not who the brand is. So a lexicon term that is boilerplate does not count, and
the evidence is the brand's distinctive terms: content terms and pairs of its posts that
are more frequent there than in everyone else's posts (a log-odds z-score), boilerplate
and the brand's own names left out.

Each dimension has an es + en lexicon (lexicons/personality.json). Score = share of own
posts using at least one of its terms; relative_weight = its share of all term matches.
Below `MIN_OWN_POSTS` own posts no dimension is named dominant and no distinctive term is
given: the result says so rather than read a personality into a handful of posts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import cast

from app.ai.local.frames import TermMatcher, read_lexicon
from app.ai.local.keywords import Boilerplate, WordMemo, boilerplate, tokenize, topic_terms
from app.ai.local.text import copy_key, fold, retweet_of
from app.analyses.question import Previous
from app.analyses.questions.parts import TermCount
from app.analyses.questions.q02_personality.result import (
    DimensionScore,
    DistinctiveTerm,
    PersonalityDimension,
    PersonalityResult,
)
from app.analyses.records import PostRecord
from app.analyses.statistics import counter_top, share, shares
from app.analyses.window import Window
from app.analyses.wording import fmt_num, fmt_pct

DIMENSIONS = ("sincerity", "excitement", "competence", "sophistication", "ruggedness")
MAX_TERMS = 8
MAX_EXAMPLES = 3
MIN_OWN_POSTS = 30  # distinct own posts before a personality is read from them
MIN_TERM_POSTS = 3  # a distinctive term is used in at least this many own posts
MIN_TERM_Z = 1.645  # ... and is more frequent there than elsewhere (one-sided 95%)
MAX_DISTINCTIVE = 10
MAX_CONTRAST_POSTS = 3000  # others' posts read for the contrast (evenly spaced sample)
MOSTLY_BOILERPLATE = 0.5  # said in the notes when this share of own posts is boilerplate
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")

TEXTS = {
    "en": {
        "none": "No posts by the brand's own accounts in the window (flagged as its own or "
        "written by {handles}); the brand personality cannot be measured.",
        "few": "Only {own} posts by the brand's own accounts in the window (at least {min} "
        "are needed): no personality is read from so few, and other people's posts are "
        "never read as the brand's.",
        "boilerplate": "{count} of the brand's {own} posts ({share}) are customer-service "
        "replies made only of greetings, thanks and requests for details; they are not "
        "evidence of its personality.",
        "no_match": "No own post uses a term of the personality lexicons beyond service "
        "boilerplate.",
        "no_handles": "its handles",
    },
    "es": {
        "none": "No hay publicaciones de las cuentas propias de la marca en la ventana "
        "(marcadas como propias o escritas por {handles}); no se puede medir la "
        "personalidad de marca.",
        "few": "Solo hay {own} publicaciones de las cuentas propias de la marca en la ventana "
        "(se necesitan al menos {min}): no se lee una personalidad en tan pocas, y las "
        "publicaciones de otras personas nunca se leen como de la marca.",
        "boilerplate": "{count} de las {own} publicaciones de la marca ({share}) son "
        "respuestas de atención al cliente hechas solo de saludos, agradecimientos y "
        "pedidos de datos; no son evidencia de su personalidad.",
        "no_match": "Ninguna publicación propia usa un término de los léxicos de personalidad "
        "fuera de las fórmulas de atención al cliente.",
        "no_handles": "sus cuentas",
    },
}


@cache
def personality_matcher() -> TermMatcher:
    data = read_lexicon("personality.json")["dimensions"]
    return TermMatcher({d: data[d] for d in DIMENSIONS})


def is_own(post: PostRecord, window: Window) -> bool:
    """The post is the brand's: flagged as its own or written by one of its handles."""
    return post.is_own or window.brand.is_brand(post.author_handle)


def _is_retweet(post: PostRecord) -> bool:
    return post.is_retweet or retweet_of(post.text) is not None


def own_and_others(window: Window) -> tuple[list[PostRecord], list[PostRecord]]:
    """(the brand's own posts, an evenly spaced sample of up to `MAX_CONTRAST_POSTS` of
    everyone else's), each text once; the brand's retweets of others are neither (not
    its voice), others' copies of the brand's text are not others'."""
    own: list[PostRecord] = []
    rest: list[PostRecord] = []
    keys: set[str] = set()
    for p in window.posts:
        if not is_own(p, window):
            rest.append(p)
        elif not _is_retweet(p):
            key = copy_key(p.text)
            if key and key not in keys:
                keys.add(key)
                own.append(p)
    others: list[PostRecord] = []
    for p in _spaced(rest, MAX_CONTRAST_POSTS):
        key = copy_key(p.text)
        if key and key not in keys:
            keys.add(key)
            others.append(p)
    return own, others


@dataclass(frozen=True, slots=True)
class _Terms:
    """Reads a post's content terms (lemmas and pairs) without boilerplate or the brand's
    own names."""

    bp: Boilerplate
    skip: Callable[[str], bool]
    memo: dict[str, WordMemo] = field(default_factory=dict)
    dropped: dict[str, bool] = field(default_factory=dict)  # term -> is boilerplate

    def of(self, tokens: Sequence[str], language: str | None) -> set[str]:
        terms = topic_terms(tokens, language or "und", self.skip, self.memo)
        return {t for t in terms if not self._boilerplate(t)}

    def _boilerplate(self, term: str) -> bool:
        got = self.dropped.get(term)
        if got is None:
            # A pair with one boilerplate word ("mayor detalle") is boilerplate too.
            got = self.bp.covers(term) or any(self.bp.covers(w) for w in term.split(" "))
            self.dropped[term] = got
        return got


def _brand_words(window: Window) -> Callable[[str], bool]:
    """True for a token that is one of the brand's handles or a word of its names."""
    words = {fold(h) for h in window.brand.handles}
    for name in (window.client.name, *window.client.aliases):
        words.update(w for w in _WORD_SPLIT.split(fold(name.lower())) if len(w) >= 3)
    return lambda token: fold(token.lstrip("#@").lower()) in words


def _log_odds_z(a: int, n_a: int, b: int, n_b: int) -> float:
    """z-score of the log odds ratio of a term in a posts of n_a against b of n_b (0.5
    added to every cell, so a term absent elsewhere still has a finite ratio)."""
    cells = (a + 0.5, n_a - a + 0.5, b + 0.5, n_b - b + 0.5)
    ratio = math.log((cells[0] / cells[1]) / (cells[2] / cells[3]))
    return ratio / math.sqrt(sum(1.0 / c for c in cells))


def _spaced(posts: Sequence[PostRecord], limit: int) -> Sequence[PostRecord]:
    if len(posts) <= limit:
        return posts
    step = len(posts) / limit
    return [posts[int(i * step)] for i in range(limit)]


def distinctive_terms(
    own_terms: Sequence[set[str]], other_terms: Sequence[set[str]]
) -> list[DistinctiveTerm]:
    """Terms of the brand's posts more frequent there than in others' (z of the log odds
    ratio >= `MIN_TERM_Z`, in >= `MIN_TERM_POSTS` own posts), strongest first; a word is
    left out when a kept pair holding it covers most of its uses."""
    n_own, n_other = len(own_terms), len(other_terms)
    own_df = Counter(t for terms in own_terms for t in terms)
    candidates = {t for t, c in own_df.items() if c >= MIN_TERM_POSTS}
    other_df = Counter(t for terms in other_terms for t in terms if t in candidates)
    scored = []
    for term in candidates:
        a, b = own_df[term], other_df[term]
        z = _log_odds_z(a, n_own, b, n_other)
        if z >= MIN_TERM_Z and share(a, n_own) > share(b, n_other):
            scored.append((z, term))
    scored.sort(key=lambda zt: (-zt[0], zt[1]))
    pairs = [term for _, term in scored if " " in term]
    kept = [
        term
        for _, term in scored
        if " " in term
        or not any(term in pair.split(" ") and own_df[pair] >= 0.8 * own_df[term] for pair in pairs)
    ][:MAX_DISTINCTIVE]
    return [
        DistinctiveTerm(
            term=t,
            own_posts=own_df[t],
            own_share=share(own_df[t], n_own),
            other_share=share(other_df[t], n_other),
        )
        for t in kept
    ]


@dataclass(frozen=True, slots=True)
class BrandVoice:
    """What the brand's own posts say beyond boilerplate."""

    own: list[PostRecord]
    own_tokens: list[list[str]]  # per own post, its `tokenize` tokens
    boilerplate_posts: int  # own posts with no term left once boilerplate is dropped
    distinctive: list[DistinctiveTerm]  # empty below MIN_OWN_POSTS


def brand_voice(window: Window) -> BrandVoice:
    own, others = own_and_others(window)
    reader = _Terms(boilerplate(), _brand_words(window))
    own_tokens = [tokenize(p.text) for p in own]
    own_terms = [reader.of(tok, p.language) for tok, p in zip(own_tokens, own, strict=True)]
    distinctive: list[DistinctiveTerm] = []
    if len(own) >= MIN_OWN_POSTS:
        contrast = [reader.of(tokenize(p.text), p.language) for p in others]
        distinctive = distinctive_terms(own_terms, contrast)
    empty = sum(1 for terms in own_terms if not terms)
    return BrandVoice(own, own_tokens, empty, distinctive)


def compute(window: Window, previous: Previous) -> PersonalityResult:
    lang = window.lang
    t = TEXTS[lang]
    voice = brand_voice(window)
    own, boilerplate_posts = voice.own, voice.boilerplate_posts
    notes = list(window.notes)
    matcher = personality_matcher()
    bp = boilerplate()

    term_counts: dict[str, Counter[str]] = {d: Counter() for d in DIMENSIONS}
    matched_posts: dict[str, list[tuple[int, str]]] = {d: [] for d in DIMENSIONS}
    for p, tokens in zip(own, voice.own_tokens, strict=True):
        per_post: Counter[str] = Counter()
        for dim, term in matcher.match_tokens(tokens, p.language):
            if bp.covers(term):
                continue  # "gracias", "más detalles": the support desk's words
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
                    TermCount(term=term, count=c)
                    for term, c in counter_top(term_counts[d], MAX_TERMS)
                ],
                example_post_ids=[pid for _, pid in best],
            )
        )
    dims.sort(key=lambda x: (-x.score, -x.relative_weight, DIMENSIONS.index(x.dimension)))
    any_match = any(totals)
    enough = len(own) >= MIN_OWN_POSTS

    if not own:
        handles = ", ".join(f"@{h}" for h in sorted(window.brand.handles)) or t["no_handles"]
        notes.append(t["none"].format(handles=handles))
    elif not enough:
        notes.append(t["few"].format(own=fmt_num(len(own), lang), min=MIN_OWN_POSTS))
    if own and boilerplate_posts >= MOSTLY_BOILERPLATE * len(own):
        notes.append(
            t["boilerplate"].format(
                count=fmt_num(boilerplate_posts, lang),
                own=fmt_num(len(own), lang),
                share=fmt_pct(boilerplate_posts / len(own), lang),
            )
        )
    if own and not any_match:
        notes.append(t["no_match"])
    named = any_match and enough
    return PersonalityResult(
        posts_analyzed=len(own),
        own_posts=len(own),
        min_own_posts=MIN_OWN_POSTS,
        boilerplate_posts=boilerplate_posts,
        distinctive_terms=voice.distinctive,
        dimensions=dims,
        dominant_dimension=dims[0].dimension if named else None,
        weakest_dimension=dims[-1].dimension if named else None,
        notes=notes,
    )

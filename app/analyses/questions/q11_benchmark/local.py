"""Q11 competitive benchmark, offline: for the brand and each competitor, the posts of
others that name it (share of voice), their sentiment, engagement and top themes, and
the posts that name the brand and a competitor together.

A contender's own posts (by its accounts) are counted apart: what the public says about
it is what is compared. Retweets count as mentions (they spread the text) with no
engagement of their own (it belongs to the original). Examples are distinct texts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from app.ai.local.text import retweet_of
from app.analyses.question import Previous
from app.analyses.questions.parts import pick_examples, volume_notes
from app.analyses.questions.q11_benchmark.result import BenchmarkResult, Contender, Theme
from app.analyses.records import PostRecord
from app.analyses.statistics import Group, r4
from app.analyses.window import Window

TOP_THEMES = 3
MAX_EXAMPLES = 5


def _contender(
    name: str,
    is_brand: bool,
    naming: Sequence[tuple[PostRecord, float]],
    own_posts: int,
    total: int,
) -> Contender:
    group = Group()
    for post, rate in naming:
        group.add(post, rate)
    positive, _, negative = group.sentiment_shares()
    themes = Counter(t for post, _ in naming for t in post.topics)
    engagement = [max(post.engagement, 0) for post, _ in naming]  # a retweet's is 0
    return Contender(
        name=name,
        is_brand=is_brand,
        mentions=len(naming),
        share_of_voice=r4(len(naming) / total) if total else 0.0,
        own_posts=own_posts,
        positive_share=positive,
        negative_share=negative,
        net_score=r4(positive - negative),
        mean_engagement=round(sum(engagement) / len(engagement), 2) if engagement else 0.0,
        top_themes=[
            Theme(topic=topic, posts=count)
            for topic, count in sorted(themes.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_THEMES]
        ],
    )


_NOTES = {
    "no_competitors": {
        "es": "El cliente no tiene competidores registrados; solo se mide la marca. "
        "Agréguelos (con sus cuentas y otros nombres) en los datos del cliente.",
        "en": "The client has no competitors on record; only the brand is measured. Add "
        "them (with their handles and other names) to the client.",
    },
    "none_named": {
        "es": "Ningún post de la ventana nombra a la marca ni a sus competidores.",
        "en": "No post in the window names the brand or its competitors.",
    },
}


def compute(window: Window, previous: Previous) -> BenchmarkResult:
    matchers = [window.brand, *window.competitors]
    naming: list[list[tuple[PostRecord, float]]] = [[] for _ in matchers]
    own = [0] * len(matchers)
    both: list[PostRecord] = []
    any_named = 0
    for post, rate in zip(window.posts, window.rates, strict=True):
        named: list[int] = []
        # A retweet of a contender's own post spreads its own voice: it is not a mention.
        shared = retweet_of(post.text)
        author = shared[0] if shared else post.author_handle
        for k, matcher in enumerate(matchers):
            if (k == 0 and post.is_own) or matcher.is_own(author):
                own[k] += 1
            elif matcher.mentions(post):
                naming[k].append((post, rate))
                named.append(k)
        any_named += bool(named)
        if len(named) > 1 and named[0] == 0:
            both.append(post)
    total = sum(len(n) for n in naming)
    contenders = [
        _contender(window.client.name if k == 0 else matcher.name, k == 0, naming[k], own[k], total)
        for k, matcher in enumerate(matchers)
    ]
    notes = [*window.notes, *volume_notes(window.n, lang=window.lang)]
    if not window.competitors:
        notes.append(_NOTES["no_competitors"][window.lang])
    elif window.posts and not any_named:
        notes.append(_NOTES["none_named"][window.lang])
    return BenchmarkResult(
        posts_analyzed=window.n,
        contenders=contenders,
        mentions_total=any_named,
        both_named=len(both),
        both_named_examples=pick_examples(
            both,
            lambda p: float(max(p.engagement, 0)),
            MAX_EXAMPLES,
            shown=lambda p: p.sentiment_score or 0.0,
        ),
        notes=notes,
    )

"""Q5 influencers: authors other than the brand ranked by reach and engagement, and the
accounts the posts mention.

influence_score = 0.5 x log(1+followers)/log(1+max followers) + 0.5 x
log(1+engagement)/log(1+max engagement). Stance toward the brand comes from the mean
sentiment of the author's posts naming the brand (all their posts if none does).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import cast

from app.ai.base import AnalysisInput, PostRecord
from app.ai.local.questions.common import (
    brand_names,
    clamp,
    mean,
    mentions_brand,
    prepare,
    r4,
    stance,
    volume_notes,
)
from app.analyses.results import InfluencersResult, InfluencerStat, MentionedAccount, Stance

TOP_AUTHORS = 10
TOP_MENTIONED = 10


def _stance(value: float) -> Stance:
    return cast(Stance, stance(value))


def compute(data: AnalysisInput) -> InfluencersResult:
    prep = prepare(data)
    names = brand_names(data)
    others: list[tuple[PostRecord, float]] = [
        (p, r)
        for p, r in zip(prep.posts, prep.rates, strict=True)
        if not p.is_own and p.author_handle.lower().lstrip("@") not in prep.brand
    ]
    notes = prep.notes + volume_notes(len(others), "posts by other authors")

    by_author: dict[str, list[tuple[PostRecord, float]]] = defaultdict(list)
    for p, r in others:
        by_author[p.author_handle.lower().lstrip("@")].append((p, r))
    rows: list[tuple[str, list[tuple[PostRecord, float]], int, int]] = []
    for handle, items in by_author.items():
        followers = max(max(p.author_followers, 0) for p, _ in items)
        engagement = sum(max(p.engagement, 0) for p, _ in items)
        rows.append((handle, items, followers, engagement))
    max_f = max((f for *_, f, _ in rows), default=0)
    max_e = max((e for *_, e in rows), default=0)

    def norm(x: int, top: int) -> float:
        return math.log1p(x) / math.log1p(top) if top > 0 else 0.0

    authors: list[InfluencerStat] = []
    for handle, items, followers, engagement in rows:
        about_brand = [p for p, _ in items if mentions_brand(p, prep.brand, names)]
        basis = about_brand or [p for p, _ in items]
        authors.append(
            InfluencerStat(
                handle=handle,
                platforms=sorted({p.platform for p, _ in items}),
                followers=followers,
                posts=len(items),
                total_engagement=engagement,
                mean_engagement_rate=r4(mean(r for _, r in items)),
                mean_sentiment=r4(clamp(mean(p.sentiment_score or 0.0 for p, _ in items), -1, 1)),
                brand_mention_posts=len(about_brand),
                stance=_stance(mean(p.sentiment_score or 0.0 for p in basis)),
                influence_score=r4(
                    clamp(0.5 * norm(followers, max_f) + 0.5 * norm(engagement, max_e), 0, 1)
                ),
            )
        )
    authors.sort(key=lambda a: (-a.influence_score, -a.total_engagement, a.handle))

    mentioned: dict[str, list[PostRecord]] = defaultdict(list)
    for p in prep.posts:
        for m in {m.lower().lstrip("@") for m in p.mentions}:
            if m and m not in prep.brand:
                mentioned[m].append(p)
    accounts = [
        MentionedAccount(
            handle=handle,
            mentions=len(items),
            total_engagement=sum(max(p.engagement, 0) for p in items),
            mean_sentiment=r4(clamp(mean(p.sentiment_score or 0.0 for p in items), -1, 1)),
            stance=_stance(mean(p.sentiment_score or 0.0 for p in items)),
        )
        for handle, items in mentioned.items()
    ]
    accounts.sort(key=lambda a: (-a.mentions, -a.total_engagement, a.handle))

    if prep.posts and not others:
        notes.append("Every post is by the brand's own accounts; there are no other authors.")
    return InfluencersResult(
        posts_analyzed=len(others),
        authors=authors[:TOP_AUTHORS],
        mentioned_accounts=accounts[:TOP_MENTIONED],
        notes=notes,
    )

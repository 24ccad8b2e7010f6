"""Q5 influencers, offline: authors other than the brand ranked by reach and engagement,
and the accounts the posts mention.

influence_score = 0.5 x log(1+followers)/log(1+max followers) + 0.5 x
log(1+engagement)/log(1+max engagement). Stance toward the brand comes from the mean
sentiment of the author's posts naming the brand (all their posts if none does).
"""

from __future__ import annotations

import math
from collections import defaultdict

from app.analyses.question import Previous
from app.analyses.questions.parts import volume_notes
from app.analyses.questions.q05_influencers.result import (
    InfluencersResult,
    InfluencerStat,
    MentionedAccount,
)
from app.analyses.records import PostRecord
from app.analyses.statistics import clamp, mean, r4, stance
from app.analyses.window import Window

TOP_AUTHORS = 10
TOP_MENTIONED = 10


def other_authors(window: Window) -> list[tuple[PostRecord, float]]:
    """(post, engagement rate) of the posts by authors other than the brand."""
    return [
        (p, r)
        for p, r in zip(window.posts, window.rates, strict=True)
        if not p.is_own and not window.brand.is_brand(p.author_handle)
    ]


def rank_authors(window: Window, others: list[tuple[PostRecord, float]]) -> list[InfluencerStat]:
    """Every other author, most influential first."""
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
        about_brand = [p for p, _ in items if window.brand.mentions(p)]
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
                stance=stance(mean(p.sentiment_score or 0.0 for p in basis)),
                influence_score=r4(
                    clamp(0.5 * norm(followers, max_f) + 0.5 * norm(engagement, max_e), 0, 1)
                ),
            )
        )
    authors.sort(key=lambda a: (-a.influence_score, -a.total_engagement, a.handle))
    return authors


def mentioned_accounts(window: Window) -> list[MentionedAccount]:
    """Every account the posts @mention (the brand's excluded), most mentioned first."""
    mentioned: dict[str, list[PostRecord]] = defaultdict(list)
    for p in window.posts:
        for m in {m.lower().lstrip("@") for m in p.mentions}:
            if m and not window.brand.is_brand(m):
                mentioned[m].append(p)
    accounts = [
        MentionedAccount(
            handle=handle,
            mentions=len(items),
            total_engagement=sum(max(p.engagement, 0) for p in items),
            mean_sentiment=r4(clamp(mean(p.sentiment_score or 0.0 for p in items), -1, 1)),
            stance=stance(mean(p.sentiment_score or 0.0 for p in items)),
        )
        for handle, items in mentioned.items()
    ]
    accounts.sort(key=lambda a: (-a.mentions, -a.total_engagement, a.handle))
    return accounts


def compute(window: Window, previous: Previous) -> InfluencersResult:
    others = other_authors(window)
    notes = [*window.notes, *volume_notes(len(others), "posts by other authors")]
    if window.posts and not others:
        notes.append("Every post is by the brand's own accounts; there are no other authors.")
    return InfluencersResult(
        posts_analyzed=len(others),
        authors=rank_authors(window, others)[:TOP_AUTHORS],
        mentioned_accounts=mentioned_accounts(window)[:TOP_MENTIONED],
        notes=notes,
    )

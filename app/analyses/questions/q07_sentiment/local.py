"""Q7 sentiment, offline: positive/neutral/negative shares, net score, per platform and
period, negative spikes and the most positive and negative posts.

Labels and scores come from the lexicon engine (the window's enrichment); spikes are the
window's (`statistics.negative_spikes`: days whose negative posts, or negative share on
days with at least 5 posts, have a z-score above 2).
"""

from __future__ import annotations

from app.analyses.question import Previous
from app.analyses.questions.parts import pick_examples, volume_notes
from app.analyses.questions.q07_sentiment.result import (
    PlatformSentiment,
    SentimentPeriod,
    SentimentResult,
    SentimentSpike,
)
from app.analyses.records import PostRecord
from app.analyses.statistics import MIN_SPIKE_DAYS, Group, clamp, groups, mean, r4
from app.analyses.window import Window

MAX_EXAMPLES = 5


def _score(p: PostRecord) -> float:
    return p.sentiment_score or 0.0


def compute(window: Window, previous: Previous) -> SentimentResult:
    posts = window.posts
    n = len(posts)
    notes = [*window.notes, *volume_notes(n, lang=window.lang)]
    everything = Group()
    for p, rate in zip(posts, window.rates, strict=True):
        everything.add(p, rate)
    counts = everything.sentiment_counts()
    pos, neu, neg = everything.sentiment_shares()

    platforms: list[PlatformSentiment] = []
    by_platform = groups((p.platform, p) for p in posts)
    for name, group in sorted(by_platform.items(), key=lambda kv: (-kv[1].posts, kv[0])):
        a, b, c = group.sentiment_shares()
        platforms.append(
            PlatformSentiment(
                platform=name,
                posts=group.posts,
                positive_share=a,
                neutral_share=b,
                negative_share=c,
                net_score=r4(a - c),
            )
        )

    granularity = window.granularity
    periods = window.day_range() if granularity == "day" else window.week_range()
    by_period = window.daily if granularity == "day" else window.weekly
    empty = Group()
    over_time: list[SentimentPeriod] = []
    for start in periods:
        group = by_period.get(start, empty)
        a, b, c = group.sentiment_shares()
        over_time.append(
            SentimentPeriod(
                period_start=start,
                posts=group.posts,
                positive_share=a,
                neutral_share=b,
                negative_share=c,
                net_score=r4(a - c),
            )
        )
    days = len(window.day_range())
    if posts and days < MIN_SPIKE_DAYS:
        notes.append(f"The posts span {days} days; spikes need at least {MIN_SPIKE_DAYS}.")

    return SentimentResult(
        posts_analyzed=n,
        positive=counts[0],
        neutral=counts[1],
        negative=counts[2],
        positive_share=pos,
        neutral_share=neu,
        negative_share=neg,
        net_score=r4(pos - neg),
        mean_score=r4(clamp(mean(_score(p) for p in posts), -1.0, 1.0)),
        by_platform=platforms,
        granularity=granularity,
        over_time=over_time,
        spikes=[
            SentimentSpike(
                day=s.day,
                kind=s.kind,
                z_score=s.z_score,
                value=s.value,
                negative_posts=s.negative_posts,
                posts=s.posts,
            )
            for s in window.spikes
        ],
        most_positive=pick_examples([p for p in posts if _score(p) > 0], _score, MAX_EXAMPLES),
        most_negative=pick_examples(
            [p for p in posts if _score(p) < 0], _score, MAX_EXAMPLES, reverse=False
        ),
        notes=notes,
    )

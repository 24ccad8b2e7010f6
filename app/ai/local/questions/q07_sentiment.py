"""Q7 sentiment: positive/neutral/negative shares, net score, per platform and period,
spikes and the most positive and negative posts.

Labels and scores come from the lexicon engine. Spikes: days (tenant time zone) whose
number of negative posts, or negative share (days with at least 5 posts), has a z-score
above 2 against the window's days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Literal

from app.ai.base import AnalysisInput, PostRecord
from app.ai.local.questions.common import (
    clamp,
    days_between,
    mean,
    pick_examples,
    prepare,
    r4,
    shares,
    volume_notes,
    week_start,
    weeks_between,
    zscores,
)
from app.analyses.results import (
    PlatformSentiment,
    SentimentPeriod,
    SentimentResult,
    SentimentSpike,
)

LABELS = ("positive", "neutral", "negative")
DAILY_MAX_DAYS = 31
SPIKE_Z = 2.0
MIN_SPIKE_DAYS = 7
MIN_DAY_POSTS = 5
MAX_SPIKES = 10
MAX_EXAMPLES = 5


def _label(p: PostRecord) -> str:
    return p.sentiment_label if p.sentiment_label in LABELS else "neutral"


def _split(posts: Sequence[PostRecord]) -> tuple[list[int], list[float]]:
    counts = [0, 0, 0]
    for p in posts:
        counts[LABELS.index(_label(p))] += 1
    return counts, shares(counts)


def _score(p: PostRecord) -> float:
    return p.sentiment_score or 0.0


def compute(data: AnalysisInput) -> SentimentResult:
    prep = prepare(data)
    posts = prep.posts
    n = len(posts)
    notes = prep.notes + volume_notes(n)
    counts, (pos, neu, neg) = _split(posts)

    by_platform: dict[str, list[PostRecord]] = defaultdict(list)
    for p in posts:
        by_platform[p.platform].append(p)
    platforms: list[PlatformSentiment] = []
    for name, items in sorted(by_platform.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        _, (a, b, c) = _split(items)
        platforms.append(
            PlatformSentiment(
                platform=name,
                posts=len(items),
                positive_share=a,
                neutral_share=b,
                negative_share=c,
                net_score=r4(a - c),
            )
        )

    start, end = prep.window()
    granularity: Literal["day", "week"] = (
        "day" if (end - start).total_seconds() <= DAILY_MAX_DAYS * 86400 else "week"
    )
    days = [t.date() for t in prep.local]
    per_day: dict[date, list[PostRecord]] = defaultdict(list)
    for p, d in zip(posts, days, strict=True):
        per_day[d].append(p)

    over_time: list[SentimentPeriod] = []
    spikes: list[SentimentSpike] = []
    if posts:
        all_days = days_between(min(days), max(days))
        if granularity == "day":
            periods: list[tuple[date, list[PostRecord]]] = [
                (d, per_day.get(d, [])) for d in all_days
            ]
        else:
            per_week: dict[date, list[PostRecord]] = defaultdict(list)
            for d, items in per_day.items():
                per_week[week_start(d)].extend(items)
            periods = [(w, per_week.get(w, [])) for w in weeks_between(min(days), max(days))]
        for start_day, items in periods:
            _, (a, b, c) = _split(items)
            over_time.append(
                SentimentPeriod(
                    period_start=start_day,
                    posts=len(items),
                    positive_share=a,
                    neutral_share=b,
                    negative_share=c,
                    net_score=r4(a - c),
                )
            )
        spikes = _spikes(all_days, per_day)
        if len(all_days) < MIN_SPIKE_DAYS:
            notes.append(
                f"The posts span {len(all_days)} days; spikes need at least {MIN_SPIKE_DAYS}."
            )

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
        spikes=spikes,
        most_positive=pick_examples([p for p in posts if _score(p) > 0], _score, MAX_EXAMPLES),
        most_negative=pick_examples(
            [p for p in posts if _score(p) < 0], _score, MAX_EXAMPLES, reverse=False
        ),
        notes=notes,
    )


def _spikes(all_days: list[date], per_day: dict[date, list[PostRecord]]) -> list[SentimentSpike]:
    if len(all_days) < MIN_SPIKE_DAYS:
        return []
    totals = [len(per_day.get(d, [])) for d in all_days]
    negatives = [sum(1 for p in per_day.get(d, []) if _label(p) == "negative") for d in all_days]
    found: list[SentimentSpike] = []
    for d, z, neg, total in zip(all_days, zscores(negatives), negatives, totals, strict=True):
        if z > SPIKE_Z:
            found.append(
                SentimentSpike(
                    day=d,
                    kind="negative_volume",
                    z_score=r4(z),
                    value=float(neg),
                    negative_posts=neg,
                    posts=total,
                )
            )
    busy = [i for i, t in enumerate(totals) if t >= MIN_DAY_POSTS]
    if len(busy) >= MIN_SPIKE_DAYS:
        share_values = [negatives[i] / totals[i] for i in busy]
        for i, z, value in zip(busy, zscores(share_values), share_values, strict=True):
            if z > SPIKE_Z:
                found.append(
                    SentimentSpike(
                        day=all_days[i],
                        kind="negative_share",
                        z_score=r4(z),
                        value=r4(value),
                        negative_posts=negatives[i],
                        posts=totals[i],
                    )
                )
    found.sort(key=lambda s: (-s.z_score, s.day, s.kind))
    return found[:MAX_SPIKES]

"""Q1 emotions: distribution of each post's dominant emotion, by platform and by week.

Per-post emotion labels and scores come from the lexicon engine (`analyze_texts`);
shares count posts by dominant label (the eight sum to 1), mean_score averages the
per-post scores; examples are the posts scoring highest on each top non-neutral emotion.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from functools import partial
from typing import cast

from app.ai.base import AnalysisInput, PostRecord
from app.ai.local.questions.common import (
    mean,
    pick_examples,
    prepare,
    r4,
    shares,
    volume_notes,
    week_start,
    weeks_between,
)
from app.ai.local.types import EMOTIONS
from app.analyses.results import Emotion as EmotionLabel
from app.analyses.results import (
    EmotionExamples,
    EmotionPeriod,
    EmotionShares,
    EmotionsResult,
    EmotionStat,
    PlatformEmotions,
)

TOP_EMOTIONS = 3
EXAMPLES_PER_EMOTION = 3


def _label(p: PostRecord) -> str:
    return p.emotion_label if p.emotion_label in EMOTIONS else "neutral"


def _score(p: PostRecord, emotion: str) -> float:
    return float((p.emotion_scores or {}).get(emotion, 0.0))


def _emo(name: str) -> EmotionLabel:
    return cast(EmotionLabel, name)


def _dominant(counts: Counter[str]) -> EmotionLabel | None:
    if not counts or not any(counts.values()):
        return None
    # Ties: the order of EMOTIONS decides, so results are deterministic.
    return _emo(max(EMOTIONS, key=lambda e: (counts[e], -EMOTIONS.index(e))))


def _shares(counts: Counter[str]) -> EmotionShares:
    values = shares([counts[e] for e in EMOTIONS])
    return EmotionShares(**dict(zip(EMOTIONS, values, strict=True)))


def _distribution(posts: Sequence[PostRecord]) -> tuple[list[EmotionStat], Counter[str]]:
    counts: Counter[str] = Counter(_label(p) for p in posts)
    values = shares([counts[e] for e in EMOTIONS])
    stats = [
        EmotionStat(
            emotion=_emo(e),
            share=s,
            posts=counts[e],
            mean_score=r4(min(1.0, mean(_score(p, e) for p in posts))),
        )
        for e, s in zip(EMOTIONS, values, strict=True)
    ]
    stats.sort(key=lambda st: (-st.posts, EMOTIONS.index(st.emotion)))
    return stats, counts


def compute(data: AnalysisInput) -> EmotionsResult:
    prep = prepare(data)
    posts = prep.posts
    stats, counts = _distribution(posts)
    non_neutral = Counter({e: c for e, c in counts.items() if e != "neutral" and c > 0})

    by_platform: dict[str, Counter[str]] = defaultdict(Counter)
    for p in posts:
        by_platform[p.platform][_label(p)] += 1
    platforms = [
        PlatformEmotions(
            platform=name,
            posts=sum(c.values()),
            dominant_emotion=_dominant(c),
            shares=_shares(c),
        )
        for name, c in sorted(by_platform.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    ]

    over_time: list[EmotionPeriod] = []
    if posts:
        weekly: dict[date, Counter[str]] = defaultdict(Counter)
        days = [t.date() for t in prep.local]
        for p, d in zip(posts, days, strict=True):
            weekly[week_start(d)][_label(p)] += 1
        for week in weeks_between(min(days), max(days)):
            c = weekly.get(week, Counter())
            over_time.append(
                EmotionPeriod(
                    period_start=week,
                    posts=sum(c.values()),
                    dominant_emotion=_dominant(c),
                    shares=_shares(c),
                )
            )

    examples: list[EmotionExamples] = []
    top = sorted(non_neutral.items(), key=lambda kv: (-kv[1], EMOTIONS.index(kv[0])))
    for emotion, _ in top[:TOP_EMOTIONS]:
        members = [p for p in posts if _label(p) == emotion]
        examples.append(
            EmotionExamples(
                emotion=_emo(emotion),
                posts=pick_examples(
                    members, partial(_score, emotion=emotion), EXAMPLES_PER_EMOTION
                ),
            )
        )

    notes = prep.notes + volume_notes(len(posts))
    if posts and not non_neutral:
        notes.append("No post carries an emotional cue; every post is neutral.")
    return EmotionsResult(
        posts_analyzed=len(posts),
        distribution=stats,
        dominant_emotion=_dominant(counts),
        dominant_non_neutral=_dominant(non_neutral) if non_neutral else None,
        by_platform=platforms,
        over_time=over_time,
        examples=examples,
        notes=notes,
    )

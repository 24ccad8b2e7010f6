"""Q1 emotions, offline: distribution of each post's dominant emotion, by platform and
by week.

Per-post emotion labels and scores come from the lexicon engine (the window's
enrichment); shares count posts by dominant label (the eight sum to 1), mean_score
averages the per-post scores; examples are the posts scoring highest on each top
non-neutral emotion.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from functools import partial
from typing import cast

from app.ai.local.types import EMOTIONS
from app.analyses.question import Previous
from app.analyses.questions.parts import Emotion, pick_examples, volume_notes
from app.analyses.questions.q01_emotions.result import (
    EmotionExamples,
    EmotionPeriod,
    EmotionShares,
    EmotionsResult,
    EmotionStat,
    PlatformEmotions,
)
from app.analyses.records import PostRecord
from app.analyses.statistics import Group, emotion_of, groups, mean, r4, shares
from app.analyses.window import Window

TOP_EMOTIONS = 3
EXAMPLES_PER_EMOTION = 3


def _score(p: PostRecord, emotion: str) -> float:
    return float((p.emotion_scores or {}).get(emotion, 0.0))


def _dominant(counts: Mapping[str, int]) -> Emotion | None:
    if not counts or not any(counts.values()):
        return None
    # Ties: the order of EMOTIONS decides, so results are deterministic.
    return cast(Emotion, max(EMOTIONS, key=lambda e: (counts.get(e, 0), -EMOTIONS.index(e))))


def _shares(counts: Mapping[str, int]) -> EmotionShares:
    values = shares([counts.get(e, 0) for e in EMOTIONS])
    return EmotionShares(**dict(zip(EMOTIONS, values, strict=True)))


def _distribution(posts: Sequence[PostRecord]) -> tuple[list[EmotionStat], Counter[str]]:
    counts: Counter[str] = Counter(emotion_of(p) for p in posts)
    values = shares([counts[e] for e in EMOTIONS])
    stats = [
        EmotionStat(
            emotion=cast(Emotion, e),
            share=s,
            posts=counts[e],
            mean_score=r4(min(1.0, mean(_score(p, e) for p in posts))),
        )
        for e, s in zip(EMOTIONS, values, strict=True)
    ]
    stats.sort(key=lambda st: (-st.posts, EMOTIONS.index(st.emotion)))
    return stats, counts


def compute(window: Window, previous: Previous) -> EmotionsResult:
    posts = window.posts
    stats, counts = _distribution(posts)
    non_neutral = Counter({e: c for e, c in counts.items() if e != "neutral" and c > 0})

    by_platform = groups((p.platform, p) for p in posts)
    platforms = [
        PlatformEmotions(
            platform=name,
            posts=group.posts,
            dominant_emotion=_dominant(group.emotions),
            shares=_shares(group.emotions),
        )
        for name, group in sorted(by_platform.items(), key=lambda kv: (-kv[1].posts, kv[0]))
    ]

    empty = Group()
    over_time = [
        EmotionPeriod(
            period_start=week,
            posts=window.weekly.get(week, empty).posts,
            dominant_emotion=_dominant(window.weekly.get(week, empty).emotions),
            shares=_shares(window.weekly.get(week, empty).emotions),
        )
        for week in window.week_range()
    ]

    examples: list[EmotionExamples] = []
    top = sorted(non_neutral.items(), key=lambda kv: (-kv[1], EMOTIONS.index(kv[0])))
    for emotion, _ in top[:TOP_EMOTIONS]:
        members = [p for p in posts if emotion_of(p) == emotion]
        examples.append(
            EmotionExamples(
                emotion=cast(Emotion, emotion),
                posts=pick_examples(
                    members, partial(_score, emotion=emotion), EXAMPLES_PER_EMOTION
                ),
            )
        )

    notes = [*window.notes, *volume_notes(len(posts))]
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

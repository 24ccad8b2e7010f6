"""Q1 emotions, offline: distribution of each post's dominant emotion, by platform and
by week.

Per-post emotion labels and scores come from the lexicon engine (the window's
enrichment); shares count posts by dominant label (the eight sum to 1), mean_score
averages the per-post scores; examples are the posts scoring highest on each top
non-neutral emotion. Most posts show no emotion, so the finding is the leading emotion
among those that show one (`share_of_emotional`), said beside the neutral share.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from functools import partial
from typing import cast

from app.ai.local.types import EMOTIONS
from app.analyses.question import Previous
from app.analyses.questions.parts import SMALL_SAMPLE, Emotion, pick_examples, volume_notes
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
from app.analyses.wording import EMOTION_NAMES, fmt_num, fmt_pct

TOP_EMOTIONS = 3
EXAMPLES_PER_EMOTION = 3
NEUTRAL = "neutral"

TEXTS = {
    "en": {
        "leading": "Among posts that show an emotion ({base} of all posts), {emotion} leads "
        "with {share}; {neutral} are neutral.",
        "all_neutral": "None of the {posts} posts shows an emotion; all are neutral.",
        "empty": "No posts in the window.",
        "thin_base": "Only {count} posts show an emotion; the shares among them are unstable.",
        "no_cue": "No post carries an emotional cue; every post is neutral.",
    },
    "es": {
        "leading": "Entre las publicaciones que muestran una emoción ({base} del total), la "
        "más frecuente es {emotion}, con el {share}; el {neutral} son neutrales.",
        "all_neutral": "Ninguna de las {posts} publicaciones muestra una emoción; todas son "
        "neutrales.",
        "empty": "No hay publicaciones en la ventana.",
        "thin_base": "Solo {count} publicaciones muestran una emoción; las proporciones entre "
        "ellas son inestables.",
        "no_cue": "Ninguna publicación tiene una señal emocional; todas son neutrales.",
    },
}


def _score(p: PostRecord, emotion: str) -> float:
    return float((p.emotion_scores or {}).get(emotion, 0.0))


def _dominant(counts: Mapping[str, int]) -> Emotion | None:
    if not counts or not any(counts.values()):
        return None
    # Ties: the order of EMOTIONS decides, so results are deterministic.
    return cast(Emotion, max(EMOTIONS, key=lambda e: (counts.get(e, 0), -EMOTIONS.index(e))))


def _non_neutral(counts: Mapping[str, int]) -> Counter[str]:
    return Counter({e: c for e, c in counts.items() if e != NEUTRAL and c > 0})


def _leading(counts: Mapping[str, int]) -> Emotion | None:
    """The most frequent emotion other than neutral (None when no post shows one)."""
    return _dominant(_non_neutral(counts))


def _shares(counts: Mapping[str, int]) -> EmotionShares:
    values = shares([counts.get(e, 0) for e in EMOTIONS])
    return EmotionShares(**dict(zip(EMOTIONS, values, strict=True)))


def _distribution(posts: Sequence[PostRecord]) -> tuple[list[EmotionStat], Counter[str]]:
    counts: Counter[str] = Counter(emotion_of(p) for p in posts)
    values = shares([counts[e] for e in EMOTIONS])
    emotional = [e for e in EMOTIONS if e != NEUTRAL]
    among = dict(zip(emotional, shares([counts[e] for e in emotional]), strict=True))
    any_emotion = any(counts[e] for e in emotional)
    stats = [
        EmotionStat(
            emotion=cast(Emotion, e),
            share=s,
            share_of_emotional=among[e] if e != NEUTRAL and any_emotion else None,
            posts=counts[e],
            mean_score=r4(min(1.0, mean(_score(p, e) for p in posts))),
        )
        for e, s in zip(EMOTIONS, values, strict=True)
    ]
    stats.sort(key=lambda st: (-st.posts, EMOTIONS.index(st.emotion)))
    return stats, counts


def emotional_base(posts: Sequence[PostRecord]) -> dict[str, object]:
    """The figures the finding stands on, as the OpenAI-compatible engine's payload sends
    them: the posts that show an emotion, the neutral share and each emotion's share of
    the posts that show one."""
    stats, counts = _distribution(posts)
    neutral_share = next(st.share for st in stats if st.emotion == NEUTRAL)
    return {
        "emotional_posts": sum(_non_neutral(counts).values()),
        "neutral_share": neutral_share,
        "emotional_share": r4(1.0 - neutral_share) if posts else 0.0,
        "share_of_emotional": {
            st.emotion: st.share_of_emotional for st in stats if st.share_of_emotional
        },
    }


def _headline(stats: Sequence[EmotionStat], n: int, lang: str) -> str:
    t = TEXTS[lang]
    if not n:
        return t["empty"]
    neutral = next(st for st in stats if st.emotion == NEUTRAL)
    top = next((st for st in stats if st.emotion != NEUTRAL and st.posts), None)
    if top is None:
        return t["all_neutral"].format(posts=fmt_num(n, lang))
    return t["leading"].format(
        base=fmt_pct(1.0 - neutral.share, lang),
        emotion=EMOTION_NAMES[lang][top.emotion],
        share=fmt_pct(top.share_of_emotional or 0.0, lang),
        neutral=fmt_pct(neutral.share, lang),
    )


def compute(window: Window, previous: Previous) -> EmotionsResult:
    posts = window.posts
    lang = window.lang
    stats, counts = _distribution(posts)
    non_neutral = _non_neutral(counts)
    emotional = sum(non_neutral.values())

    by_platform = groups((p.platform, p) for p in posts)
    platforms = [
        PlatformEmotions(
            platform=name,
            posts=group.posts,
            dominant_emotion=_dominant(group.emotions),
            dominant_non_neutral=_leading(group.emotions),
            shares=_shares(group.emotions),
        )
        for name, group in sorted(by_platform.items(), key=lambda kv: (-kv[1].posts, kv[0]))
    ]

    empty = Group()
    over_time = []
    for week in window.week_range():
        group = window.weekly.get(week, empty)
        over_time.append(
            EmotionPeriod(
                period_start=week,
                posts=group.posts,
                dominant_emotion=_dominant(group.emotions),
                dominant_non_neutral=_leading(group.emotions),
                shares=_shares(group.emotions),
            )
        )

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

    notes = [*window.notes, *volume_notes(len(posts), lang=window.lang)]
    if posts and not non_neutral:
        notes.append(TEXTS[lang]["no_cue"])
    elif 0 < emotional < SMALL_SAMPLE and len(posts) >= SMALL_SAMPLE:
        notes.append(TEXTS[lang]["thin_base"].format(count=fmt_num(emotional, lang)))
    neutral_share = next(st.share for st in stats if st.emotion == NEUTRAL)
    return EmotionsResult(
        posts_analyzed=len(posts),
        headline=_headline(stats, len(posts), lang),
        neutral_share=neutral_share,
        emotional_posts=emotional,
        emotional_share=r4(1.0 - neutral_share) if posts else 0.0,
        distribution=stats,
        dominant_emotion=_dominant(counts),
        dominant_non_neutral=_dominant(non_neutral) if non_neutral else None,
        by_platform=platforms,
        over_time=over_time,
        examples=examples,
        notes=notes,
    )

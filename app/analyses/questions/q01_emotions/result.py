"""The result model of emotions."""

from __future__ import annotations

from datetime import date

from pydantic import ConfigDict, Field

from app.analyses.questions.parts import (
    Emotion,
    Part,
    PostExample,
    Result,
    share_doc,
)


class EmotionShares(Part):
    """Share of posts whose dominant emotion is each of the eight labels (sums to 1)."""

    anger: float = Field(ge=0, le=1, description=share_doc("Share of posts dominated by anger"))
    disgust: float = Field(ge=0, le=1, description=share_doc("Share of posts dominated by disgust"))
    fear: float = Field(ge=0, le=1, description=share_doc("Share of posts dominated by fear"))
    joy: float = Field(ge=0, le=1, description=share_doc("Share of posts dominated by joy"))
    sadness: float = Field(ge=0, le=1, description=share_doc("Share of posts dominated by sadness"))
    surprise: float = Field(
        ge=0, le=1, description=share_doc("Share of posts dominated by surprise")
    )
    trust: float = Field(ge=0, le=1, description=share_doc("Share of posts dominated by trust"))
    neutral: float = Field(
        ge=0, le=1, description=share_doc("Share of posts with no emotional cue (neutral)")
    )


class EmotionStat(Part):
    emotion: Emotion = Field(description="Emotion label.")
    share: float = Field(
        ge=0,
        le=1,
        description=share_doc(
            "Share of posts whose dominant emotion is this one; the eight sum to 1"
        ),
    )
    posts: int = Field(ge=0, description="Posts whose dominant emotion is this one.")
    share_of_emotional: float | None = Field(
        ge=0,
        le=1,
        description=share_doc(
            "Share of the posts that show an emotion (`emotional_posts`) whose dominant "
            "emotion is this one; the seven sum to 1; null for neutral, and for every "
            "emotion when no post shows one"
        ),
    )
    mean_score: float = Field(
        ge=0, le=1, description="Mean of this emotion's per-post score over all posts (0..1)."
    )


class PlatformEmotions(Part):
    platform: str = Field(description="Platform name.")
    posts: int = Field(ge=0, description="Posts on this platform.")
    dominant_emotion: Emotion | None = Field(
        description="Most frequent dominant emotion on this platform, neutral included "
        "(null without posts)."
    )
    dominant_non_neutral: Emotion | None = Field(
        description="Most frequent emotion other than neutral on this platform (null when "
        "none of its posts shows one)."
    )
    shares: EmotionShares = Field(description="Emotion distribution on this platform.")


class EmotionPeriod(Part):
    period_start: date = Field(
        description="Monday that starts the week, in the tenant's time zone."
    )
    posts: int = Field(ge=0, description="Posts published that week.")
    dominant_emotion: Emotion | None = Field(
        description="Most frequent dominant emotion that week, neutral included (null "
        "without posts)."
    )
    dominant_non_neutral: Emotion | None = Field(
        description="Most frequent emotion other than neutral that week (null when none of "
        "its posts shows one)."
    )
    shares: EmotionShares = Field(description="Emotion distribution that week.")


class EmotionExamples(Part):
    emotion: Emotion = Field(description="One of the most frequent non-neutral emotions.")
    posts: list[PostExample] = Field(
        description="Up to 3 posts with the highest score for this emotion."
    )


class EmotionsResult(Result):
    """Q1: which emotions the posts express, where and when.

    Most posts usually show no emotion (neutral), so the finding is the leading emotion
    among the posts that show one: `dominant_non_neutral` and its `share_of_emotional`,
    read beside `neutral_share` (the `headline` says the three).
    """

    headline: str = Field(
        description="One sentence in the tenant's language: the leading emotion among the "
        "posts that show one, its share of them, their share of all posts and the neutral "
        "share (e.g. 'Among posts that show an emotion (25.0% of all posts), joy leads "
        "with 45.0%; 75.0% are neutral.')."
    )
    neutral_share: float = Field(
        ge=0, le=1, description=share_doc("Share of all posts with no emotional cue (neutral)")
    )
    emotional_posts: int = Field(
        ge=0,
        description="Posts whose dominant emotion is not neutral: the base of "
        "`share_of_emotional`.",
    )
    emotional_share: float = Field(
        ge=0, le=1, description=share_doc("Share of all posts that show an emotion")
    )
    distribution: list[EmotionStat] = Field(
        description="All eight emotions, most frequent first; shares sum to 1."
    )
    dominant_emotion: Emotion | None = Field(
        description="Most frequent dominant emotion, neutral included (null without posts)."
    )
    dominant_non_neutral: Emotion | None = Field(
        description="Most frequent emotion other than neutral (null if every post is neutral): "
        "the finding."
    )
    by_platform: list[PlatformEmotions] = Field(description="Distribution per platform.")
    over_time: list[EmotionPeriod] = Field(
        description="Weekly distribution in the tenant's time zone, oldest first."
    )
    examples: list[EmotionExamples] = Field(
        description="Example posts for up to 3 most frequent non-neutral emotions."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 1240,
                    "headline": "Among posts that show an emotion (62.0% of all posts), joy "
                    "leads with 46.8%; 38.0% are neutral.",
                    "neutral_share": 0.38,
                    "emotional_posts": 769,
                    "emotional_share": 0.62,
                    "distribution": [
                        {
                            "emotion": "neutral",
                            "share": 0.38,
                            "share_of_emotional": None,
                            "posts": 471,
                            "mean_score": 0.52,
                        },
                        {
                            "emotion": "joy",
                            "share": 0.29,
                            "share_of_emotional": 0.4682,
                            "posts": 360,
                            "mean_score": 0.24,
                        },
                        {
                            "emotion": "anger",
                            "share": 0.12,
                            "share_of_emotional": 0.1938,
                            "posts": 149,
                            "mean_score": 0.09,
                        },
                        {
                            "emotion": "trust",
                            "share": 0.08,
                            "share_of_emotional": 0.1287,
                            "posts": 99,
                            "mean_score": 0.06,
                        },
                        {
                            "emotion": "sadness",
                            "share": 0.05,
                            "share_of_emotional": 0.0806,
                            "posts": 62,
                            "mean_score": 0.05,
                        },
                        {
                            "emotion": "fear",
                            "share": 0.04,
                            "share_of_emotional": 0.065,
                            "posts": 50,
                            "mean_score": 0.03,
                        },
                        {
                            "emotion": "surprise",
                            "share": 0.03,
                            "share_of_emotional": 0.0481,
                            "posts": 37,
                            "mean_score": 0.02,
                        },
                        {
                            "emotion": "disgust",
                            "share": 0.01,
                            "share_of_emotional": 0.0156,
                            "posts": 12,
                            "mean_score": 0.01,
                        },
                    ],
                    "dominant_emotion": "neutral",
                    "dominant_non_neutral": "joy",
                    "by_platform": [
                        {
                            "platform": "instagram",
                            "posts": 410,
                            "dominant_emotion": "joy",
                            "dominant_non_neutral": "joy",
                            "shares": {
                                "anger": 0.06,
                                "disgust": 0.01,
                                "fear": 0.02,
                                "joy": 0.41,
                                "sadness": 0.03,
                                "surprise": 0.04,
                                "trust": 0.1,
                                "neutral": 0.33,
                            },
                        }
                    ],
                    "over_time": [
                        {
                            "period_start": "2025-03-03",
                            "posts": 96,
                            "dominant_emotion": "neutral",
                            "dominant_non_neutral": "joy",
                            "shares": {
                                "anger": 0.14,
                                "disgust": 0.01,
                                "fear": 0.05,
                                "joy": 0.27,
                                "sadness": 0.05,
                                "surprise": 0.02,
                                "trust": 0.07,
                                "neutral": 0.39,
                            },
                        }
                    ],
                    "examples": [
                        {
                            "emotion": "joy",
                            "posts": [
                                {
                                    "post_id": "6f1c2a8e-3b7d-4c55-9a0e-2d41f0b8c901",
                                    "platform": "instagram",
                                    "published_at": "2025-03-04T23:10:00Z",
                                    "text": "Por fin, transferí S/ 500 con Plin en segundos, "
                                    "¡me encanta la nueva app! 🥳",
                                    "score": 0.71,
                                    "engagement": 34,
                                }
                            ],
                        }
                    ],
                    "notes": [],
                }
            ]
        }
    )

"""The result model of sentiment."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from app.analyses.questions.parts import (
    Part,
    PostExample,
    Result,
    share_doc,
)


class PlatformSentiment(Part):
    platform: str = Field(description="Platform name.")
    posts: int = Field(ge=0, description="Posts on this platform.")
    positive_share: float = Field(ge=0, le=1, description=share_doc("Positive posts"))
    neutral_share: float = Field(ge=0, le=1, description=share_doc("Neutral posts"))
    negative_share: float = Field(ge=0, le=1, description=share_doc("Negative posts"))
    net_score: float = Field(ge=-1, le=1, description="positive_share - negative_share.")


class SentimentPeriod(Part):
    period_start: date = Field(description="Day (or Monday of the week) in the tenant's time zone.")
    posts: int = Field(ge=0, description="Posts in the period.")
    positive_share: float = Field(ge=0, le=1, description=share_doc("Positive posts"))
    neutral_share: float = Field(ge=0, le=1, description=share_doc("Neutral posts"))
    negative_share: float = Field(ge=0, le=1, description=share_doc("Negative posts"))
    net_score: float = Field(ge=-1, le=1, description="positive_share - negative_share.")


class SentimentSpike(Part):
    day: date = Field(description="Day of the spike in the tenant's time zone.")
    kind: Literal["negative_share", "negative_volume"] = Field(
        description="Which daily series spiked: the share or the number of negative posts."
    )
    z_score: float = Field(
        description="(day value - mean of daily values) / their standard deviation; > 2."
    )
    value: float = Field(description="The day's value (share as a fraction, or a count).")
    negative_posts: int = Field(ge=0, description="Negative posts that day.")
    posts: int = Field(ge=0, description="All posts that day.")


class SentimentResult(Result):
    """Q7: how positive or negative the posts are, where, when, and the spikes."""

    positive: int = Field(ge=0, description="Posts labelled positive.")
    neutral: int = Field(ge=0, description="Posts labelled neutral.")
    negative: int = Field(ge=0, description="Posts labelled negative.")
    positive_share: float = Field(ge=0, le=1, description=share_doc("Positive posts"))
    neutral_share: float = Field(ge=0, le=1, description=share_doc("Neutral posts"))
    negative_share: float = Field(ge=0, le=1, description=share_doc("Negative posts"))
    net_score: float = Field(ge=-1, le=1, description="positive_share - negative_share.")
    mean_score: float = Field(ge=-1, le=1, description="Mean per-post sentiment score.")
    by_platform: list[PlatformSentiment] = Field(description="Per platform, most posts first.")
    granularity: Literal["day", "week"] = Field(
        description="Bucket of over_time: days for windows up to 31 days, else weeks."
    )
    over_time: list[SentimentPeriod] = Field(description="Sentiment per period, oldest first.")
    spikes: list[SentimentSpike] = Field(
        description="Days whose negative share or negative volume has a z-score above 2."
    )
    most_positive: list[PostExample] = Field(description="Up to 5 most positive posts.")
    most_negative: list[PostExample] = Field(description="Up to 5 most negative posts.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 2500,
                    "positive": 1010,
                    "neutral": 880,
                    "negative": 610,
                    "positive_share": 0.404,
                    "neutral_share": 0.352,
                    "negative_share": 0.244,
                    "net_score": 0.16,
                    "mean_score": 0.08,
                    "by_platform": [
                        {
                            "platform": "x",
                            "posts": 700,
                            "positive_share": 0.3,
                            "neutral_share": 0.31,
                            "negative_share": 0.39,
                            "net_score": -0.09,
                        }
                    ],
                    "granularity": "week",
                    "over_time": [
                        {
                            "period_start": "2025-03-03",
                            "posts": 101,
                            "positive_share": 0.41,
                            "neutral_share": 0.36,
                            "negative_share": 0.23,
                            "net_score": 0.18,
                        }
                    ],
                    "spikes": [
                        {
                            "day": "2025-04-15",
                            "kind": "negative_volume",
                            "z_score": 4.1,
                            "value": 38,
                            "negative_posts": 38,
                            "posts": 61,
                        }
                    ],
                    "most_positive": [],
                    "most_negative": [],
                    "notes": [],
                }
            ]
        }
    )

"""The result model of frames."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from app.analyses.questions.parts import (
    Part,
    PostExample,
    Result,
    share_doc,
)


class FrameStat(Part):
    frame: Frame = Field(
        description=(
            "Narrative frame: conflict, human_interest, economic, morality, responsibility, "
            "or brand (the brand's own promotional/product framing)."
        )
    )
    posts: int = Field(
        ge=0,
        description="Distinct texts using this frame (a retweet or a repeated text counts "
        "once; a text may use several frames).",
    )
    share: float = Field(ge=0, le=1, description=share_doc("posts / posts_analyzed"))
    own_posts: int = Field(ge=0, description="Of those, posts by the brand's own accounts.")
    mean_engagement: float = Field(
        ge=0, description="Mean likes + comments + shares (a retweet's own: 0)."
    )
    mean_engagement_rate: float = Field(
        ge=0, le=1, description="Mean engagement / max(author followers, 100), capped at 1."
    )
    mean_sentiment: float = Field(ge=-1, le=1, description="Mean sentiment score (-1..1).")
    negative_share: float = Field(
        ge=0, le=1, description=share_doc("Share of this frame's posts labelled negative")
    )
    examples: list[PostExample] = Field(
        description="Up to 3 of the most engaging posts using the frame (score = sentiment)."
    )


Frame = Literal["conflict", "human_interest", "economic", "morality", "responsibility", "brand"]


class FramesResult(Result):
    """Q4: how the posts frame the brand (lexicon-detected narrative frames).

    `posts_analyzed` counts distinct texts: retweets and repeated texts count once.
    """

    frames: list[FrameStat] = Field(description="The six frames, most used first.")
    posts_without_frame: int = Field(
        ge=0, description="Distinct texts in which no frame was detected."
    )
    dominant_frame: Frame | None = Field(
        description="Most used frame (null when no frame was detected)."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 2500,
                    "frames": [
                        {
                            "frame": "economic",
                            "posts": 640,
                            "share": 0.256,
                            "own_posts": 210,
                            "mean_engagement": 88.1,
                            "mean_engagement_rate": 0.018,
                            "mean_sentiment": 0.05,
                            "negative_share": 0.27,
                            "examples": [
                                {
                                    "post_id": "1d3c5e7a-9b0f-4a2c-8e6d-4f1b3a5c7e90",
                                    "platform": "facebook",
                                    "published_at": "2025-04-11T15:02:00Z",
                                    "text": "Qué asco de servicio, cobran S/ 2,600 y encima te "
                                    "tratan mal.",
                                    "score": -0.84,
                                    "engagement": 412,
                                }
                            ],
                        }
                    ],
                    "posts_without_frame": 910,
                    "dominant_frame": "economic",
                    "notes": [],
                }
            ]
        }
    )

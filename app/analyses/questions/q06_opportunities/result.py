"""The result model of opportunities."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from app.analyses.questions.parts import (
    Figure,
    Part,
    Result,
    share_doc,
)


class Opportunity(Part):
    dimension: Literal["topic", "content_type", "platform", "time_slot", "language"] = Field(
        description="Kind of segment: topic, content type, platform, weekday x hour slot, language."
    )
    segment: str = Field(
        description="The segment, e.g. 'reel', 'tiktok', 'Thursday 19:00-21:59', a topic label."
    )
    posts: int = Field(ge=0, description="Posts in the segment.")
    volume_share: float = Field(
        ge=0, le=1, description=share_doc("posts / posts compared in this dimension")
    )
    mean_engagement_rate: float = Field(
        ge=0, le=1, description="Mean engagement rate of the segment."
    )
    lift: float = Field(
        ge=0, description="Segment mean engagement rate / baseline mean engagement rate."
    )
    gap_score: float = Field(
        ge=0,
        description=(
            "(lift - 1) x (1 - volume_share): how much better the segment engages than the "
            "baseline, weighted by how little it is used. Higher = bigger opportunity."
        ),
    )
    evidence: list[Figure] = Field(description="The figures the opportunity rests on.")
    action: str = Field(
        description="Suggested action in the tenant's language, filled in from the figures."
    )


class OpportunitiesResult(Result):
    """Q6: segments that engage well above the baseline but are little used."""

    basis: Literal["own", "all"] = Field(
        description=(
            "Posts compared for content type, platform, time slot and language: the brand's "
            "own posts, or all posts when there are too few own posts. Topics use all posts."
        )
    )
    baseline_engagement_rate: float = Field(
        ge=0, le=1, description="Mean engagement rate of the compared posts."
    )
    opportunities: list[Opportunity] = Field(description="Up to 8, highest gap_score first.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 2500,
                    "basis": "own",
                    "baseline_engagement_rate": 0.021,
                    "opportunities": [
                        {
                            "dimension": "content_type",
                            "segment": "reel",
                            "posts": 31,
                            "volume_share": 0.062,
                            "mean_engagement_rate": 0.047,
                            "lift": 2.24,
                            "gap_score": 1.16,
                            "evidence": [
                                {"name": "posts", "value": 31, "unit": "posts"},
                                {"name": "volume share", "value": 0.062, "unit": "share"},
                                {
                                    "name": "mean engagement rate",
                                    "value": 0.047,
                                    "unit": "rate",
                                },
                                {"name": "lift over baseline", "value": 2.24, "unit": "ratio"},
                            ],
                            "action": "Publicar más contenido de tipo «reel»: logra 2,2x la "
                            "tasa de interacción media (4,7 % frente a 2,1 %) y solo es el "
                            "6,2 % de las publicaciones.",
                        }
                    ],
                    "notes": [],
                }
            ]
        }
    )

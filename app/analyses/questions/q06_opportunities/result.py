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

RiskReason = Literal["negative", "politics", "conflict"]


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
    lift_low: float = Field(
        ge=0,
        description="Lower bound of the lift's 95% interval (segment against the other posts "
        "of the dimension); above 1 for every opportunity.",
    )
    lift_high: float = Field(ge=0, description="Upper bound of the lift's 95% interval.")
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


class TopicRisk(Part):
    """A topic to manage, never to create content about: clearly negative, or about
    politics or conflict, however much it engages."""

    segment: str = Field(description="The topic's label.")
    posts: int = Field(ge=0, description="Posts whose main topic it is, retweets included.")
    volume_share: float = Field(ge=0, le=1, description=share_doc("posts / all posts with a topic"))
    mean_engagement_rate: float = Field(
        ge=0,
        le=1,
        description="Mean engagement rate of the topic's texts (each once, retweets left "
        "out; 0 when it has none).",
    )
    lift: float = Field(
        ge=0, description="Topic mean engagement rate / the compared topics' mean (0: none)."
    )
    negative_share: float = Field(ge=0, le=1, description=share_doc("negative posts / posts"))
    positive_share: float = Field(ge=0, le=1, description=share_doc("positive posts / posts"))
    politics_share: float = Field(
        ge=0, le=1, description=share_doc("posts that speak of politics / posts")
    )
    conflict_share: float = Field(
        ge=0, le=1, description=share_doc("posts with the conflict frame / posts")
    )
    reasons: list[RiskReason] = Field(
        description="Why it is a risk: 'negative' (negative share at least 10 points above the "
        "positive share), 'politics' or 'conflict' (at least 25% of its posts)."
    )
    evidence: list[Figure] = Field(description="The figures the risk rests on.")
    action: str = Field(description="How to manage it, in the tenant's language.")


class OpportunitiesResult(Result):
    """Q6: segments that engage well above the baseline but are little used."""

    basis: Literal["own", "all"] = Field(
        description=(
            "Posts compared for content type, platform, time slot and language: the brand's "
            "own posts, or all posts when there are too few own posts; topics compare all "
            "posts. Each text counts once and retweets are left out (a retweet's engagement "
            "is its original's)."
        )
    )
    baseline_engagement_rate: float = Field(
        ge=0, le=1, description="Mean engagement rate of the compared posts."
    )
    opportunities: list[Opportunity] = Field(
        description="Up to 8, highest gap_score first: segments with at least the minimum "
        "sample (30 posts and 2% of the compared posts) whose lift holds up (95% interval "
        "above 1); never a risky topic; a language only when the window's audience and the "
        "client's market read it."
    )
    risks: list[TopicRisk] = Field(
        description="Up to 8 topics (with the minimum sample) to manage as risks: those about "
        "politics or conflict first, then the largest."
    )

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
                            "lift_low": 1.61,
                            "lift_high": 3.02,
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
                            "tasa de interacción media (intervalo del 95 %: 1,6x-3,0x; 4,7 % "
                            "frente a 2,1 %) y solo es el 6,2 % de las publicaciones.",
                        }
                    ],
                    "risks": [
                        {
                            "segment": "deuda / pública / sexenio",
                            "posts": 212,
                            "volume_share": 0.085,
                            "mean_engagement_rate": 0.031,
                            "lift": 1.48,
                            "negative_share": 0.27,
                            "positive_share": 0.11,
                            "politics_share": 0.64,
                            "conflict_share": 0.02,
                            "reasons": ["negative", "politics"],
                            "evidence": [
                                {"name": "posts", "value": 212, "unit": "posts"},
                                {"name": "political posts share", "value": 0.64, "unit": "share"},
                            ],
                            "action": "Gestionar «deuda / pública / sexenio» como un riesgo, no "
                            "como una oportunidad de contenido: el tema es claramente negativo "
                            "(27 % de publicaciones negativas frente a 11 % positivas) y trata "
                            "de política (64 % de sus publicaciones). Reúne 212 publicaciones "
                            "(8,5 % de la ventana) con una tasa de interacción de 3,1 %. "
                            "Vigilarlo y preparar respuestas, sin crear contenido que lo "
                            "amplifique.",
                        }
                    ],
                    "notes": [],
                }
            ]
        }
    )

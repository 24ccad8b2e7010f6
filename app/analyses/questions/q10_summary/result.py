"""The result model of summary."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from app.analyses.questions.parts import (
    Emotion,
    Part,
    Result,
    share_doc,
)


class SummaryKpis(Part):
    posts: int = Field(ge=0, description="Posts in the window.")
    own_posts: int = Field(ge=0, description="Posts by the brand's own accounts.")
    mentions: int = Field(ge=0, description="Posts by other authors (mentions).")
    total_engagement: int = Field(ge=0, description="Sum of likes + comments + shares.")
    own_engagement: int = Field(ge=0, description="Engagement of the own posts.")
    mentions_engagement: int = Field(ge=0, description="Engagement of the mentions.")
    mean_engagement_rate: float = Field(
        ge=0, le=1, description="Mean engagement / max(author followers, 100), capped at 1."
    )
    positive_share: float = Field(ge=0, le=1, description=share_doc("Positive posts"))
    negative_share: float = Field(ge=0, le=1, description=share_doc("Negative posts"))
    net_sentiment: float = Field(ge=-1, le=1, description="positive_share - negative_share.")
    top_emotion: Emotion | None = Field(
        description="Most frequent non-neutral emotion (null if none)."
    )
    top_topic: str | None = Field(description="Label of the largest topic (null if none).")


class SummaryResult(Result):
    """Q10: executive summary with headline KPIs, findings, risks and opportunities."""

    language: Literal["es", "en"] = Field(description="Language of the texts.")
    headline: str = Field(description="One sentence with the key figures.")
    kpis: SummaryKpis = Field(description="Headline KPIs computed from the posts.")
    findings: list[str] = Field(description="Main findings, each with its figure.")
    risks: list[str] = Field(description="Risks, each with its figure.")
    opportunities: list[str] = Field(description="Opportunities, each with its figure.")
    missing_inputs: list[str] = Field(
        description="Keys of the questions it builds on that have no usable stored result."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 2500,
                    "language": "es",
                    "headline": "2.500 publicaciones (500 propias, 2.000 menciones); "
                    "sentimiento neto +16 pts; emoción principal: alegría.",
                    "kpis": {
                        "posts": 2500,
                        "own_posts": 500,
                        "mentions": 2000,
                        "total_engagement": 1840220,
                        "own_engagement": 1610400,
                        "mentions_engagement": 229820,
                        "mean_engagement_rate": 0.019,
                        "positive_share": 0.404,
                        "negative_share": 0.244,
                        "net_sentiment": 0.16,
                        "top_emotion": "joy",
                        "top_topic": "tarjeta / bloquear / débito",
                    },
                    "findings": [
                        "El tema «tarjeta / bloquear / débito» reúne el 19,2 % de las "
                        "publicaciones y va en aumento (15,0 % → 23,0 %)."
                    ],
                    "risks": ["El 24,4 % de las publicaciones son negativas."],
                    "opportunities": [
                        "Contenido de tipo «reel»: 2,2x la tasa de interacción media con "
                        "solo el 6,2 % del volumen."
                    ],
                    "missing_inputs": [],
                    "notes": [],
                }
            ]
        }
    )

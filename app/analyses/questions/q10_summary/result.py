"""The result model of summary."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from app.analyses.questions.advice import INPUTS
from app.analyses.questions.parts import (
    Emotion,
    Part,
    Result,
    share_doc,
)
from app.analyses.questions.q08_temporal.result import Concentration


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


class SummaryCoverage(Part):
    """What the figures stand on: the data's period and gaps, copies and neutral posts."""

    first_post: date | None = Field(description="Local date of the first post (null if none).")
    last_post: date | None = Field(description="Local date of the last post (null if none).")
    span_days: int = Field(ge=0, description="Days from the first post's to the last post's.")
    days_with_posts: int = Field(ge=0, description="Days of that span with at least one post.")
    concentration: Concentration | None = Field(
        description="Set when most posts fall in a few days (a collection burst): trends "
        "over the window are then not reported."
    )
    retweets: int = Field(ge=0, description="Posts that are retweets.")
    retweet_share: float = Field(ge=0, le=1, description=share_doc("Retweets / posts"))
    duplicates: int = Field(
        ge=0, description="Posts, not retweets, that repeat an earlier post's text."
    )
    distinct_texts: int = Field(
        ge=0, description="Posts counting each text once (what topics, frames and examples use)."
    )
    neutral_share: float = Field(ge=0, le=1, description=share_doc("Neutral posts (sentiment)"))
    emotion_neutral_share: float | None = Field(
        description=share_doc(
            "Posts with no emotional cue, from the emotions question (null without it)"
        )
    )


class SummaryResult(Result):
    """Q10: executive summary with headline KPIs, findings, risks and opportunities."""

    language: Literal["es", "en"] = Field(description="Language of the texts.")
    headline: str = Field(
        description="One sentence with the key figures: posts, period, retweets, net "
        "sentiment with the neutral share, largest topic."
    )
    context: list[str] = Field(
        description="Said before the findings, in the tenant's language: the data's "
        "coverage (period, days with posts, concentration), the retweet and duplicate "
        "share, the neutral share."
    )
    coverage: SummaryCoverage = Field(description="The figures behind `context`.")
    kpis: SummaryKpis = Field(description="Headline KPIs computed from the posts.")
    findings: list[str] = Field(description="Main findings, each with its figure.")
    risks: list[str] = Field(description="Risks, each with its figure.")
    opportunities: list[str] = Field(description="Opportunities, each with its figure.")
    missing_inputs: list[str] = Field(
        description="Keys of the questions it builds on that have no usable stored result."
    )
    inputs_used: list[str] = Field(description="Question keys whose stored results were used.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 2500,
                    "language": "es",
                    "headline": "2.500 publicaciones del 1 jun 2020 al 31 oct 2020 (500 "
                    "propias, 2.000 menciones, 900 retuits); sentimiento neto +16 pts con el "
                    "35,2 % neutras; tema principal: «tarjeta / bloquear / débito».",
                    "context": [
                        "Datos del 1 jun 2020 al 31 oct 2020: hay publicaciones en 140 de "
                        "sus 153 días.",
                        "900 publicaciones son retuits (36,0 %) y 40 repiten un texto "
                        "anterior: temas, encuadres, influenciadores y ejemplos cuentan cada "
                        "texto una vez (1.560 textos distintos).",
                        "El 35,2 % de las publicaciones son neutras (sin sentimiento "
                        "positivo ni negativo).",
                    ],
                    "coverage": {
                        "first_post": "2020-06-01",
                        "last_post": "2020-10-31",
                        "span_days": 153,
                        "days_with_posts": 140,
                        "concentration": None,
                        "retweets": 900,
                        "retweet_share": 0.36,
                        "duplicates": 40,
                        "distinct_texts": 1560,
                        "neutral_share": 0.352,
                        "emotion_neutral_share": 0.61,
                    },
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
                    "inputs_used": [q.key for q in INPUTS],
                    "notes": [],
                }
            ]
        }
    )

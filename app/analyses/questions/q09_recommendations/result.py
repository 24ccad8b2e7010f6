"""The result model of recommendations."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from app.analyses.questions.advice import INPUTS
from app.analyses.questions.parts import Part, Result

_SENTIMENT = next(q.key for q in INPUTS if q.slug == "sentiment")
SOURCES = (*(q.key for q in INPUTS), "posts")


class Citation(Part):
    source: str = Field(
        description="Question whose stored result the figure comes from, or 'posts'.",
        json_schema_extra={"enum": list(SOURCES)},
    )
    figure: str = Field(description="The figure as shown, e.g. 'negative share 34%'.")

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if value not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}")
        return value


class Recommendation(Part):
    priority: int = Field(ge=1, description="1 = do first.")
    level: Literal["high", "medium", "low"] = Field(description="Urgency of the action.")
    area: Literal["reputation", "content", "community", "timing", "influencers", "positioning"] = (
        Field(description="What the action is about.")
    )
    action: str = Field(description="The action, in the tenant's language.")
    evidence: list[Citation] = Field(description="Figures the action rests on (at least one).")


class RecommendationsResult(Result):
    """Q9: prioritised actions built from the stored results of the other questions."""

    language: Literal["es", "en"] = Field(description="Language of the texts.")
    recommendations: list[Recommendation] = Field(description="Actions, priority 1 first.")
    inputs_used: list[str] = Field(description="Question keys whose results were used.")
    missing_inputs: list[str] = Field(
        description="Keys of the questions it builds on that have no usable stored result."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 2500,
                    "language": "en",
                    "recommendations": [
                        {
                            "priority": 1,
                            "level": "high",
                            "area": "reputation",
                            "action": "Set up a daily complaint-response routine: 34% of "
                            "posts are negative.",
                            "evidence": [{"source": _SENTIMENT, "figure": "negative share 34%"}],
                        }
                    ],
                    "inputs_used": [q.key for q in INPUTS[2:]],
                    "missing_inputs": [q.key for q in INPUTS[:2]],
                    "notes": [],
                }
            ]
        }
    )

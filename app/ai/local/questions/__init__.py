"""Local (offline, deterministic) implementations of the ten analysis questions.

Each module exposes `compute(data: AnalysisInput) -> <its result model>`; `COMPUTE` maps
the question keys "q1".."q10" to them.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from app.ai.base import AnalysisInput
from app.ai.local.questions import (
    q01_emotions,
    q02_personality,
    q03_topics,
    q04_frames,
    q05_influencers,
    q06_opportunities,
    q07_sentiment,
    q08_temporal,
    q09_recommendations,
    q10_summary,
)

COMPUTE: dict[str, Callable[[AnalysisInput], BaseModel]] = {
    "q1": q01_emotions.compute,
    "q2": q02_personality.compute,
    "q3": q03_topics.compute,
    "q4": q04_frames.compute,
    "q5": q05_influencers.compute,
    "q6": q06_opportunities.compute,
    "q7": q07_sentiment.compute,
    "q8": q08_temporal.compute,
    "q9": q09_recommendations.compute,
    "q10": q10_summary.compute,
}

__all__ = ["COMPUTE"]

"""Q11 competitive benchmark, the payload section: the local benchmark's figures (share
of voice, sentiment, engagement and themes per contender), for the model to read and
explain, not to recount."""

from __future__ import annotations

from typing import Any

from app.analyses.question import Previous
from app.analyses.questions.q11_benchmark import local
from app.analyses.window import Window


def section(window: Window, previous: Previous) -> dict[str, Any]:
    if not window.posts:
        return {}
    figures = local.compute(window, previous)
    return {
        "benchmark": {
            "contenders": [c.model_dump(mode="json") for c in figures.contenders],
            "mentions_total": figures.mentions_total,
            "both_named": figures.both_named,
        }
    }

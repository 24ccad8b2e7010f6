"""Q2 brand personality, the payload section: nothing beyond the common figures (its
sample puts the brand's own posts first)."""

from __future__ import annotations

from typing import Any

from app.analyses.question import Previous
from app.analyses.window import Window


def section(window: Window, previous: Previous) -> dict[str, Any]:
    return {}

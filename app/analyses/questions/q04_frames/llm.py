"""Q4 narrative frames, the payload section: nothing beyond the common figures (the
enrichment's frame table is in every payload)."""

from __future__ import annotations

from typing import Any

from app.analyses.question import Previous
from app.analyses.window import Window


def section(window: Window, previous: Previous) -> dict[str, Any]:
    return {}

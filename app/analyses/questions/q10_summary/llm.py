"""Q10 executive summary, the payload section: the stored results it builds on, and
which of them are missing."""

from __future__ import annotations

from typing import Any

from app.analyses.question import Previous
from app.analyses.window import Window


def section(window: Window, previous: Previous) -> dict[str, Any]:
    return {
        "previous_results": {k: previous.raw[k] for k in sorted(previous.raw)},
        "missing_results": previous.missing,  # not run yet, or stored in an older shape
    }

"""Q1 emotions, the payload section: emotion counts per week (weeks with posts)."""

from __future__ import annotations

from typing import Any

from app.analyses.question import Previous
from app.analyses.window import Window


def section(window: Window, previous: Previous) -> dict[str, Any]:
    if not window.posts:
        return {}
    return {
        "emotions_by_week": [
            {
                "week_start": week.isoformat(),
                "posts": group.posts,
                "emotions": group.emotion_counts(),
            }
            for week, group in sorted(window.weekly.items())
        ]
    }

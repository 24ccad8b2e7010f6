"""Q1 emotions, the payload section: the emotional base (posts that show an emotion, the
neutral share, each emotion's share of those posts) and emotion counts per week (weeks
with posts)."""

from __future__ import annotations

from typing import Any

from app.analyses.question import Previous
from app.analyses.questions.q01_emotions.local import emotional_base
from app.analyses.window import Window


def section(window: Window, previous: Previous) -> dict[str, Any]:
    if not window.posts:
        return {}
    return {
        "emotional_base": emotional_base(window.posts),
        "emotions_by_week": [
            {
                "week_start": week.isoformat(),
                "posts": group.posts,
                "emotions": group.emotion_counts(),
            }
            for week, group in sorted(window.weekly.items())
        ],
    }

"""Q7 sentiment, the payload section: sentiment per day (windows up to 31 days) or per
week, and the window's negative spikes."""

from __future__ import annotations

from typing import Any

from app.analyses.payload import sentiment_stats, spike_entry
from app.analyses.question import Previous
from app.analyses.window import Window


def section(window: Window, previous: Previous) -> dict[str, Any]:
    if not window.posts:
        return {}
    granularity = window.granularity
    by_period = window.daily if granularity == "day" else window.weekly
    series = []
    for start, group in sorted(by_period.items()):
        row: dict[str, Any] = {"period_start": start.isoformat(), "posts": group.posts}
        stats = sentiment_stats(group)
        row.update(stats["sentiment"])
        row["net_sentiment"] = stats["net_sentiment"]
        series.append(row)
    return {
        "sentiment_over_time": {
            "granularity": granularity,
            "series": series,
            "spikes": [spike_entry(s) for s in window.spikes],
        }
    }

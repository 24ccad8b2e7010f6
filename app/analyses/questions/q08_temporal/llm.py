"""Q8 temporal, the payload section: the non-empty weekday x hour cells, weekday and hour
totals, the weekly series, the window's trends (none when its posts are concentrated in a
few days, with that concentration instead) and the best windows the local engine found
(minimum sample and a lift that holds up)."""

from __future__ import annotations

from typing import Any

from app.analyses.payload import trend_entry
from app.analyses.question import Previous
from app.analyses.questions.parts import engagement_basis
from app.analyses.questions.q08_temporal.local import cells, compute
from app.analyses.statistics import Group, min_sample, r4
from app.analyses.window import Window

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _group(window: Window, indexes: list[int]) -> Group:
    group = Group()
    for i in indexes:
        group.add(window.posts[i], window.rates[i])
    return group


def section(window: Window, previous: Previous) -> dict[str, Any]:
    by_cell = {cell: _group(window, idx) for cell, idx in sorted(cells(window).items())}
    weekdays = [Group() for _ in range(7)]
    hours = [Group() for _ in range(24)]
    for post, local, rate in zip(window.posts, window.local, window.rates, strict=True):
        weekdays[local.weekday()].add(post, rate)
        hours[local.hour].add(post, rate)
    cell_rows = []
    for (weekday, hour), group in by_cell.items():
        row: dict[str, Any] = {
            "weekday": weekday,
            "hour": hour,
            "posts": group.posts,
            "own_posts": group.own,
            "mean_engagement": r4(group.mean_engagement),
            "mean_engagement_rate": r4(group.mean_rate),
        }
        if group.own:
            row["own_mean_engagement_rate"] = r4(group.own_rate_sum / group.own)
        cell_rows.append(row)
    empty = Group()
    found = compute(window, previous)  # the best windows and the concentration
    volume_trend, engagement_trend = window.volume_trend, window.engagement_trend
    if found.concentration is not None:
        volume_trend = engagement_trend = None
    return {
        "activity": {
            "timezone": window.tz_name,
            "cells_note": "non-empty weekday x hour cells only; every other cell has 0 posts",
            "cells": cell_rows,
            "by_weekday": [
                {
                    "weekday": i,
                    "name": _WEEKDAYS[i],
                    "posts": g.posts,
                    "own_posts": g.own,
                    "mean_engagement_rate": r4(g.mean_rate),
                }
                for i, g in enumerate(weekdays)
            ],
            "by_hour": [
                {
                    "hour": h,
                    "posts": g.posts,
                    "own_posts": g.own,
                    "mean_engagement_rate": r4(g.mean_rate),
                }
                for h, g in enumerate(hours)
                if g.posts
            ],
            "weekly": [
                {
                    "week_start": week.isoformat(),
                    "posts": window.weekly.get(week, empty).posts,
                    "mean_engagement": r4(window.weekly.get(week, empty).mean_engagement),
                }
                for week in window.week_range()
            ],
            "volume_trend": trend_entry(volume_trend),
            "engagement_trend": trend_entry(engagement_trend),
            "concentration": found.concentration.model_dump(mode="json")
            if found.concentration
            else None,
            "best_windows_basis": found.best_windows_basis,
            "min_slot_posts": min_sample(len(engagement_basis(window)[1])),
            "best_windows": [w.model_dump(mode="json") for w in found.best_windows],
        }
    }

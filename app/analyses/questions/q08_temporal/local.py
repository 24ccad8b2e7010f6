"""Q8 temporal, offline: volume and engagement by weekday x hour (tenant time zone), the
best slots, and the weekly trend of volume and engagement.

Best windows rank slots by mean engagement rate among slots with enough posts, on the
brand's own posts (all posts when there are fewer than 30 own posts). Trends are the
window's (least-squares slopes over its full weeks; partial first/last weeks dropped).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Literal

from app.analyses.question import Previous
from app.analyses.questions.parts import volume_notes
from app.analyses.questions.q08_temporal.result import (
    HeatCell,
    TemporalResult,
    TimeWindow,
    Trend,
    WeekPoint,
)
from app.analyses.statistics import MIN_TREND_POINTS, Group, mean, r4
from app.analyses.statistics import Trend as TrendFigure
from app.analyses.window import Window
from app.analyses.wording import WEEKDAYS

MIN_OWN = 30
BEST = 3


def cells(window: Window) -> dict[tuple[int, int], list[int]]:
    """The posts (indexes) of each non-empty (weekday, hour) cell, local time."""
    found: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, t in enumerate(window.local):
        found[(t.weekday(), t.hour)].append(i)
    return found


def _trend(found: TrendFigure | None) -> Trend | None:
    if found is None:
        return None
    return Trend(
        slope_per_week=found.slope_per_week,
        relative_slope=found.relative_slope,
        direction=found.direction,
    )


def compute(window: Window, previous: Previous) -> TemporalResult:
    posts = window.posts
    n = len(posts)
    notes = [*window.notes, *volume_notes(n)]
    lang = window.lang

    cell_idx = cells(window)
    heat = []
    for wd in range(7):
        for hour in range(24):
            idx = cell_idx.get((wd, hour), [])
            heat.append(
                HeatCell(
                    weekday=wd,
                    hour=hour,
                    posts=len(idx),
                    own_posts=sum(1 for i in idx if posts[i].is_own),
                    mean_engagement=r4(mean(max(posts[i].engagement, 0) for i in idx)),
                    mean_engagement_rate=r4(mean(window.rates[i] for i in idx)),
                )
            )

    own = [i for i, p in enumerate(posts) if p.is_own]
    basis: Literal["own", "all"] = "own" if len(own) >= MIN_OWN else "all"
    chosen = own if basis == "own" else list(range(n))
    if n and basis == "all":
        notes.append(f"Only {len(own)} own posts; best windows are ranked on all posts.")
    slots: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i in chosen:
        t = window.local[i]
        slots[(t.weekday(), t.hour)].append(i)
    min_posts = max(3, math.ceil(0.005 * len(chosen)))
    base = mean(window.rates[i] for i in chosen)
    ranked = sorted(
        (
            (mean(window.rates[i] for i in idx), wd, hour, len(idx))
            for (wd, hour), idx in slots.items()
            if len(idx) >= min_posts
        ),
        key=lambda r: (-r[0], r[1], r[2]),
    )
    best = [
        TimeWindow(
            weekday=wd,
            hour=hour,
            label=f"{WEEKDAYS[lang][wd]} {hour:02d}:00",
            posts=count,
            mean_engagement_rate=r4(rate),
            lift=r4(rate / base) if base > 0 else 0.0,
        )
        for rate, wd, hour, count in ranked[:BEST]
    ]
    if n and not best:
        notes.append(f"No weekday x hour slot has {min_posts} or more posts; no best window.")

    empty = Group()
    weekly = [
        WeekPoint(
            week_start=week,
            posts=window.weekly.get(week, empty).posts,
            mean_engagement=r4(window.weekly.get(week, empty).mean_engagement),
        )
        for week in window.week_range()
    ]
    if posts and window.volume_trend is None:
        notes.append(f"Fewer than {MIN_TREND_POINTS} weeks of posts; no weekly trend.")

    return TemporalResult(
        posts_analyzed=n,
        timezone=window.tz_name,
        cells=heat,
        best_windows_basis=basis,
        best_windows=best,
        weekly=weekly,
        volume_trend=_trend(window.volume_trend),
        engagement_trend=_trend(window.engagement_trend),
        notes=notes,
    )

"""Q8 temporal: volume and engagement by weekday x hour (tenant time zone), the best
slots, and the weekly trend of volume and engagement.

Best windows rank slots by mean engagement rate among slots with enough posts, on the
brand's own posts (all posts when there are fewer than 30 own posts). Trends are
least-squares slopes over full weeks of the window (partial first/last weeks dropped).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta
from typing import Literal

from app.ai.base import AnalysisInput
from app.ai.local.questions.common import (
    WEEKDAYS,
    mean,
    prepare,
    r4,
    slope,
    volume_notes,
    week_start,
    weeks_between,
)
from app.analyses.results import Direction, HeatCell, TemporalResult, TimeWindow, Trend, WeekPoint

MIN_OWN = 30
BEST = 3
TREND_THRESHOLD = 0.02
MIN_TREND_WEEKS = 3


def _trend(values: list[float], xs: list[float]) -> Trend | None:
    if len(values) < MIN_TREND_WEEKS:
        return None
    s = slope(values, xs)
    m = mean(values)
    rel = s / m if m else 0.0
    direction: Direction = "stable"
    if rel >= TREND_THRESHOLD:
        direction = "rising"
    elif rel <= -TREND_THRESHOLD:
        direction = "falling"
    return Trend(slope_per_week=r4(s), relative_slope=r4(rel), direction=direction)


def compute(data: AnalysisInput) -> TemporalResult:
    prep = prepare(data)
    posts = prep.posts
    n = len(posts)
    notes = prep.notes + volume_notes(n)
    lang = prep.lang

    cell_idx: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, t in enumerate(prep.local):
        cell_idx[(t.weekday(), t.hour)].append(i)
    cells = []
    for wd in range(7):
        for hour in range(24):
            idx = cell_idx.get((wd, hour), [])
            cells.append(
                HeatCell(
                    weekday=wd,
                    hour=hour,
                    posts=len(idx),
                    own_posts=sum(1 for i in idx if posts[i].is_own),
                    mean_engagement=r4(mean(max(posts[i].engagement, 0) for i in idx)),
                    mean_engagement_rate=r4(mean(prep.rates[i] for i in idx)),
                )
            )

    own = [i for i, p in enumerate(posts) if p.is_own]
    basis: Literal["own", "all"] = "own" if len(own) >= MIN_OWN else "all"
    chosen = own if basis == "own" else list(range(n))
    if n and basis == "all":
        notes.append(f"Only {len(own)} own posts; best windows are ranked on all posts.")
    slots: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i in chosen:
        t = prep.local[i]
        slots[(t.weekday(), t.hour)].append(i)
    min_posts = max(3, math.ceil(0.005 * len(chosen)))
    base = mean(prep.rates[i] for i in chosen)
    ranked = sorted(
        (
            (mean(prep.rates[i] for i in idx), wd, hour, len(idx))
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

    weekly: list[WeekPoint] = []
    volume_trend: Trend | None = None
    engagement_trend: Trend | None = None
    if posts:
        by_week: dict[date, list[int]] = defaultdict(list)
        for i, t in enumerate(prep.local):
            by_week[week_start(t.date())].append(i)
        days = [t.date() for t in prep.local]
        weeks = weeks_between(min(days), max(days))
        for w in weeks:
            idx = by_week.get(w, [])
            weekly.append(
                WeekPoint(
                    week_start=w,
                    posts=len(idx),
                    mean_engagement=r4(mean(max(posts[i].engagement, 0) for i in idx)),
                )
            )
        start, end = prep.window()
        first_day = start.astimezone(prep.tz).date()
        last_day = (end - timedelta(microseconds=1)).astimezone(prep.tz).date()
        full = [
            k for k, w in enumerate(weeks) if w >= first_day and w + timedelta(days=6) <= last_day
        ]
        if len(full) < MIN_TREND_WEEKS:
            full = list(range(len(weeks)))
        volume_trend = _trend([float(weekly[k].posts) for k in full], [float(k) for k in full])
        eng = [k for k in full if weekly[k].posts]
        engagement_trend = _trend([weekly[k].mean_engagement for k in eng], [float(k) for k in eng])
        if volume_trend is None:
            notes.append(f"Fewer than {MIN_TREND_WEEKS} weeks of posts; no weekly trend.")

    return TemporalResult(
        posts_analyzed=n,
        timezone=prep.tz_name,
        cells=cells,
        best_windows_basis=basis,
        best_windows=best,
        weekly=weekly,
        volume_trend=volume_trend,
        engagement_trend=engagement_trend,
        notes=notes,
    )

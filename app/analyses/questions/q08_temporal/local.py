"""Q8 temporal, offline: volume and engagement by weekday x hour (tenant time zone), the
best slots, and the weekly trend of volume and engagement.

Best windows rank slots by mean engagement rate among slots with the minimum sample
(`statistics.min_sample`) whose lift over the other posts holds up (its 95% interval lies
above 1), on the posts whose engagement is their own, each text once
(`parts.engagement_basis`: a retweet's engagement, 0 by design, would drag its slot down,
and a text posted many times would count as many posts): the brand's own (all of them
when it has fewer than 30). The heat map's cells count every post published.
Trends are the window's (least-squares slopes over its full weeks; partial first/last
weeks dropped), except when its posts are concentrated in a few of its days
(`statistics.concentration`): then a trend would measure when the data was collected,
and the result says so instead.
"""

from __future__ import annotations

from collections import defaultdict

from app.analyses.question import Previous
from app.analyses.questions.parts import engagement_basis, volume_notes
from app.analyses.questions.q08_temporal.result import (
    Concentration,
    HeatCell,
    TemporalResult,
    TimeWindow,
    Trend,
    WeekPoint,
)
from app.analyses.statistics import (
    MIN_TREND_POINTS,
    Group,
    Moments,
    concentration,
    lift_interval,
    mean,
    min_sample,
    r4,
)
from app.analyses.statistics import Concentration as ConcentrationFigure
from app.analyses.statistics import Trend as TrendFigure
from app.analyses.window import Window
from app.analyses.wording import WEEKDAYS, fmt_num, fmt_pct

BEST = 3

NOTES: dict[str, dict[str, str]] = {
    "en": {
        "basis_all": "Only {own} own posts (each text once, retweets aside); best windows are "
        "ranked on all posts.",
        "no_best": "No weekday x hour slot with at least {min_posts} posts engages clearly "
        "above the other posts (lift with its 95% interval above 1); no best window.",
        "no_trend": "Fewer than {points} weeks of posts; no weekly trend.",
        "concentrated": "{share} of the posts fall in {days} of the window's {span} days "
        "({first} to {last}): the data is concentrated, so no weekly trend is reported (it "
        "would show when posts were collected, not a change).",
    },
    "es": {
        "basis_all": "Solo hay {own} publicaciones propias (cada texto una vez, sin retuits); "
        "las mejores franjas se ordenan sobre todas las publicaciones.",
        "no_best": "Ninguna franja de día y hora con al menos {min_posts} publicaciones logra "
        "una interacción claramente superior a la del resto (lift con su intervalo del 95 % "
        "por encima de 1); no hay mejor franja.",
        "no_trend": "Menos de {points} semanas con publicaciones; no hay tendencia semanal.",
        "concentrated": "El {share} de las publicaciones cae en {days} de los {span} días de "
        "la ventana (del {first} al {last}): los datos están concentrados y no se informa una "
        "tendencia semanal (mostraría cuándo se recogieron las publicaciones, no un cambio).",
    },
}


def window_concentration(window: Window) -> ConcentrationFigure | None:
    """Whether most of the window's posts fall in a few of its days (see
    `statistics.concentration`), over the days from its first post to its last."""
    return concentration({d: g.posts for d, g in window.daily.items()}, len(window.day_range()))


def concentration_note(found: ConcentrationFigure, lang: str) -> str:
    return NOTES[lang]["concentrated"].format(
        share=fmt_pct(found.posts_share, lang, 0),
        days=fmt_num(found.days, lang),
        span=fmt_num(found.span_days, lang),
        first=found.first_day.isoformat(),
        last=found.last_day.isoformat(),
    )


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


def _concentration(found: ConcentrationFigure | None) -> Concentration | None:
    if found is None:
        return None
    return Concentration(
        days=found.days,
        span_days=found.span_days,
        posts_share=found.posts_share,
        first_day=found.first_day,
        last_day=found.last_day,
    )


def compute(window: Window, previous: Previous) -> TemporalResult:
    posts = window.posts
    n = len(posts)
    lang = window.lang
    notes = [*window.notes, *volume_notes(n, lang=lang)]

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

    basis, chosen = engagement_basis(window)
    if n and basis == "all":
        own = sum(1 for i in chosen if posts[i].is_own)
        notes.append(NOTES[lang]["basis_all"].format(own=own))
    slots: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i in chosen:
        t = window.local[i]
        slots[(t.weekday(), t.hour)].append(i)
    min_posts = min_sample(len(chosen))
    everything = Moments.of(window.rates[i] for i in chosen)
    ranked = []
    for (wd, hour), idx in slots.items():
        if len(idx) < min_posts:
            continue
        mine = Moments.of(window.rates[i] for i in idx)
        lift = lift_interval(mine, everything - mine)
        if lift is not None and lift.holds:
            ranked.append((mine.mean, wd, hour, len(idx), lift))
    ranked.sort(key=lambda r: (-r[0], r[1], r[2]))
    best = [
        TimeWindow(
            weekday=wd,
            hour=hour,
            label=f"{WEEKDAYS[lang][wd]} {hour:02d}:00",
            posts=count,
            mean_engagement_rate=r4(rate),
            lift=r4(lift.lift),
            lift_low=r4(lift.low),
            lift_high=r4(lift.high),
        )
        for rate, wd, hour, count, lift in ranked[:BEST]
    ]
    if n and not best:
        notes.append(NOTES[lang]["no_best"].format(min_posts=min_posts))

    empty = Group()
    weekly = [
        WeekPoint(
            week_start=week,
            posts=window.weekly.get(week, empty).posts,
            mean_engagement=r4(window.weekly.get(week, empty).mean_engagement),
        )
        for week in window.week_range()
    ]
    concentrated = window_concentration(window)
    volume_trend, engagement_trend = window.volume_trend, window.engagement_trend
    if concentrated is not None:
        volume_trend = engagement_trend = None
        notes.append(concentration_note(concentrated, lang))
    elif posts and volume_trend is None:
        notes.append(NOTES[lang]["no_trend"].format(points=MIN_TREND_POINTS))

    return TemporalResult(
        posts_analyzed=n,
        timezone=window.tz_name,
        cells=heat,
        best_windows_basis=basis,
        best_windows=best,
        weekly=weekly,
        volume_trend=_trend(volume_trend),
        engagement_trend=_trend(engagement_trend),
        concentration=_concentration(concentrated),
        notes=notes,
    )

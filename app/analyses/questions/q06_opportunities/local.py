"""Q6 opportunities, offline: segments that engage well above the baseline but are
little used.

Segments: content type, platform, weekday x 3-hour slot and language over the brand's own
posts (all posts when there are fewer than 20 own posts), and topics over all posts. For a
segment with enough posts: lift = its mean engagement rate / the dimension's mean, and
gap_score = (lift - 1) x (1 - volume share); kept when lift >= 1.1 and the segment holds
less than an even share of the dimension's posts. Actions are fixed templates (es/en)
filled in with the figures.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from app.analyses.question import Previous
from app.analyses.questions.parts import Figure, volume_notes
from app.analyses.questions.q06_opportunities.result import OpportunitiesResult, Opportunity
from app.analyses.statistics import mean, r4
from app.analyses.window import Window
from app.analyses.wording import WEEKDAYS, fmt_pct, fmt_ratio

DimensionName = Literal["topic", "content_type", "platform", "time_slot", "language"]

MIN_OWN = 20
MIN_LIFT = 1.1
SLOT_HOURS = 3
MAX_RESULTS = 8
MAX_PER_DIMENSION = 3

LANGUAGE_NAMES = {
    "en": {"es": "Spanish", "en": "English", "und": "undetermined language"},
    "es": {"es": "español", "en": "inglés", "und": "idioma no determinado"},
}

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "content_type": "Publish more '{segment}' posts: they get {lift} the average "
        "engagement rate ({rate} vs {base}) but are only {volume} of the posts.",
        "platform": "Give {segment} more weight in the plan: posts there get {lift} the "
        "average engagement rate ({rate} vs {base}) but are only {volume} of the posts.",
        "time_slot": "Schedule more posts on {segment}: that slot gets {lift} the average "
        "engagement rate ({rate} vs {base}) but holds only {volume} of the posts.",
        "language": "Publish more in {segment}: those posts get {lift} the average engagement "
        "rate ({rate} vs {base}) but are only {volume} of the posts.",
        "topic": "Create more content about '{segment}': posts on this topic get {lift} the "
        "average engagement rate ({rate} vs {base}) but are only {volume} of the posts.",
    },
    "es": {
        "content_type": "Publicar más contenido de tipo «{segment}»: logra {lift} la tasa de "
        "interacción media ({rate} frente a {base}) y solo es el {volume} de las publicaciones.",
        "platform": "Dar más peso a {segment} en el plan: allí las publicaciones logran {lift} "
        "la tasa de interacción media ({rate} frente a {base}) y solo son el {volume} del total.",
        "time_slot": "Programar más publicaciones el {segment}: esa franja logra {lift} la tasa "
        "de interacción media ({rate} frente a {base}) y solo reúne el {volume} de las "
        "publicaciones.",
        "language": "Publicar más en {segment}: esas publicaciones logran {lift} la tasa de "
        "interacción media ({rate} frente a {base}) y solo son el {volume} del total.",
        "topic": "Crear más contenido sobre «{segment}»: las publicaciones de este tema logran "
        "{lift} la tasa de interacción media ({rate} frente a {base}) y solo son el {volume} "
        "del total.",
    },
}


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment of a dimension and how it engages against the dimension's mean."""

    dimension: DimensionName
    segment: str
    posts: int
    volume_share: float
    mean_engagement_rate: float
    baseline: float  # mean engagement rate of the dimension's posts
    lift: float
    gap_score: float
    qualifies: bool  # enough posts, less than an even share, lift >= MIN_LIFT


@dataclass(frozen=True, slots=True)
class Dimension:
    name: DimensionName
    baseline: float
    min_posts: int
    segments: list[Segment]  # in the order they first appear


def _slot(weekday: int, hour: int, lang: str) -> str:
    start = hour - hour % SLOT_HOURS
    return f"{WEEKDAYS[lang][weekday]} {start:02d}:00-{start + SLOT_HOURS - 1:02d}:59"


def basis(window: Window) -> tuple[Literal["own", "all"], list[int]]:
    """Which posts content type, platform, slot and language are compared over."""
    own = [i for i, p in enumerate(window.posts) if p.is_own]
    if len(own) >= MIN_OWN:
        return "own", own
    return "all", list(range(window.n))


def _dimension(
    name: DimensionName,
    indices: Sequence[int],
    key: Callable[[int], str | None],
    window: Window,
) -> Dimension | None:
    by_segment: dict[str, list[int]] = defaultdict(list)
    for i in indices:
        k = key(i)
        if k:
            by_segment[k].append(i)
    total = sum(len(v) for v in by_segment.values())
    if len(by_segment) < 2 or total == 0:
        return None
    base = mean(window.rates[i] for g in by_segment.values() for i in g)
    if base <= 0:
        return None
    min_posts = max(5, math.ceil(0.01 * total))
    even = 1.0 / len(by_segment)
    segments: list[Segment] = []
    for segment, idx in by_segment.items():
        volume = len(idx) / total
        rate = mean(window.rates[i] for i in idx)
        lift = rate / base
        segments.append(
            Segment(
                dimension=name,
                segment=segment,
                posts=len(idx),
                volume_share=volume,
                mean_engagement_rate=rate,
                baseline=base,
                lift=lift,
                gap_score=(lift - 1.0) * (1.0 - volume),
                qualifies=len(idx) >= min_posts and volume < even and lift >= MIN_LIFT,
            )
        )
    return Dimension(name, base, min_posts, segments)


def dimensions(window: Window) -> list[Dimension]:
    """Every dimension with at least two segments and some engagement."""
    posts = window.posts
    lang = window.lang
    names = LANGUAGE_NAMES[lang]
    _, compared = basis(window)
    keys: list[tuple[DimensionName, Sequence[int], Callable[[int], str | None]]] = [
        ("content_type", compared, lambda i: posts[i].content_type or None),
        ("platform", compared, lambda i: posts[i].platform or None),
        (
            "time_slot",
            compared,
            lambda i: _slot(window.local[i].weekday(), window.local[i].hour, lang),
        ),
        ("language", compared, lambda i: names.get(posts[i].language or "und", posts[i].language)),
    ]
    model = window.topics
    if posts and model.topics:
        labels = [t.label for t in model.topics]
        keys.append(
            (
                "topic",
                range(window.n),
                lambda i: labels[model.dominant[i]] if model.dominant[i] >= 0 else None,
            )
        )
    found = (_dimension(name, indices, key, window) for name, indices, key in keys)
    return [d for d in found if d is not None]


def _opportunity(s: Segment, lang: str) -> Opportunity:
    action = TEMPLATES[lang][s.dimension].format(
        segment=s.segment,
        lift=fmt_ratio(s.lift, lang),
        rate=fmt_pct(s.mean_engagement_rate, lang, 2),
        base=fmt_pct(s.baseline, lang, 2),
        volume=fmt_pct(s.volume_share, lang),
    )
    return Opportunity(
        dimension=s.dimension,
        segment=s.segment,
        posts=s.posts,
        volume_share=r4(s.volume_share),
        mean_engagement_rate=r4(min(s.mean_engagement_rate, 1.0)),
        lift=r4(s.lift),
        gap_score=r4(s.gap_score),
        evidence=[
            Figure(name="posts", value=s.posts, unit="posts"),
            Figure(name="volume share", value=r4(s.volume_share), unit="share"),
            Figure(name="mean engagement rate", value=r4(s.mean_engagement_rate), unit="rate"),
            Figure(name="baseline engagement rate", value=r4(s.baseline), unit="rate"),
            Figure(name="lift over baseline", value=r4(s.lift), unit="ratio"),
        ],
        action=action,
    )


def compute(window: Window, previous: Previous) -> OpportunitiesResult:
    n = window.n
    notes = [*window.notes, *volume_notes(n)]
    kind, compared = basis(window)
    own = sum(1 for p in window.posts if p.is_own)
    if n and kind == "all":
        notes.append(
            f"Only {own} own posts; content type, platform, time slot and language are "
            "compared over all posts."
        )
    found: list[Opportunity] = []
    for dimension in dimensions(window):
        kept = [_opportunity(s, window.lang) for s in dimension.segments if s.qualifies]
        kept.sort(key=lambda o: (-o.gap_score, o.segment))
        found += kept[:MAX_PER_DIMENSION]
    found.sort(key=lambda o: (-o.gap_score, o.dimension, o.segment))
    if n and not found:
        notes.append(
            "No segment engages clearly above the baseline (lift >= 1.1) while being "
            "under-used; no opportunity to report."
        )
    return OpportunitiesResult(
        posts_analyzed=n,
        basis=kind,
        baseline_engagement_rate=r4(mean(window.rates[i] for i in compared)),
        opportunities=found[:MAX_RESULTS],
        notes=notes,
    )

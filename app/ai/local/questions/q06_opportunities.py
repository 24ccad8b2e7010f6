"""Q6 opportunities: segments that engage well above the baseline but are little used.

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
from typing import Literal

from app.ai.base import AnalysisInput
from app.ai.local.questions.common import (
    WEEKDAYS,
    Prepared,
    fmt_pct,
    fmt_ratio,
    mean,
    prepare,
    r4,
    volume_notes,
)
from app.analyses.results import Figure, OpportunitiesResult, Opportunity

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


def _slot(weekday: int, hour: int, lang: str) -> str:
    start = hour - hour % SLOT_HOURS
    return f"{WEEKDAYS[lang][weekday]} {start:02d}:00-{start + SLOT_HOURS - 1:02d}:59"


def _segments(
    dimension: DimensionName,
    indices: Sequence[int],
    key: Callable[[int], str | None],
    prep: Prepared,
) -> list[Opportunity]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i in indices:
        k = key(i)
        if k:
            groups[k].append(i)
    total = sum(len(v) for v in groups.values())
    if len(groups) < 2 or total == 0:
        return []
    base = mean(prep.rates[i] for g in groups.values() for i in g)
    if base <= 0:
        return []
    min_posts = max(5, math.ceil(0.01 * total))
    even = 1.0 / len(groups)
    lang = prep.lang
    out: list[Opportunity] = []
    for segment, idx in groups.items():
        volume = len(idx) / total
        if len(idx) < min_posts or volume >= even:
            continue
        rate = mean(prep.rates[i] for i in idx)
        lift = rate / base
        if lift < MIN_LIFT:
            continue
        gap = (lift - 1.0) * (1.0 - volume)
        action = TEMPLATES[lang][dimension].format(
            segment=segment,
            lift=fmt_ratio(lift, lang),
            rate=fmt_pct(rate, lang, 2),
            base=fmt_pct(base, lang, 2),
            volume=fmt_pct(volume, lang),
        )
        out.append(
            Opportunity(
                dimension=dimension,
                segment=segment,
                posts=len(idx),
                volume_share=r4(volume),
                mean_engagement_rate=r4(min(rate, 1.0)),
                lift=r4(lift),
                gap_score=r4(gap),
                evidence=[
                    Figure(name="posts", value=len(idx), unit="posts"),
                    Figure(name="volume share", value=r4(volume), unit="share"),
                    Figure(name="mean engagement rate", value=r4(rate), unit="rate"),
                    Figure(name="baseline engagement rate", value=r4(base), unit="rate"),
                    Figure(name="lift over baseline", value=r4(lift), unit="ratio"),
                ],
                action=action,
            )
        )
    out.sort(key=lambda o: (-o.gap_score, o.segment))
    return out[:MAX_PER_DIMENSION]


def compute(data: AnalysisInput) -> OpportunitiesResult:
    prep = prepare(data)
    posts = prep.posts
    n = len(posts)
    notes = prep.notes + volume_notes(n)
    own = [i for i, p in enumerate(posts) if p.is_own]
    basis: Literal["own", "all"] = "own" if len(own) >= MIN_OWN else "all"
    compared = own if basis == "own" else list(range(n))
    if n and basis == "all":
        notes.append(
            f"Only {len(own)} own posts; content type, platform, time slot and language are "
            "compared over all posts."
        )
    lang = prep.lang
    names = LANGUAGE_NAMES[lang]
    found: list[Opportunity] = []
    found += _segments("content_type", compared, lambda i: posts[i].content_type or None, prep)
    found += _segments("platform", compared, lambda i: posts[i].platform or None, prep)
    found += _segments(
        "time_slot",
        compared,
        lambda i: _slot(prep.local[i].weekday(), prep.local[i].hour, lang),
        prep,
    )
    found += _segments(
        "language",
        compared,
        lambda i: names.get(posts[i].language or "und", posts[i].language),
        prep,
    )
    if n:
        model = prep.topics()
        if model.topics:
            labels = [t.label for t in model.topics]
            found += _segments(
                "topic",
                range(n),
                lambda i: labels[model.dominant[i]] if model.dominant[i] >= 0 else None,
                prep,
            )
    found.sort(key=lambda o: (-o.gap_score, o.dimension, o.segment))
    if n and not found:
        notes.append(
            "No segment engages clearly above the baseline (lift >= 1.1) while being "
            "under-used; no opportunity to report."
        )
    return OpportunitiesResult(
        posts_analyzed=n,
        basis=basis,
        baseline_engagement_rate=r4(mean(prep.rates[i] for i in compared)),
        opportunities=found[:MAX_RESULTS],
        notes=notes,
    )

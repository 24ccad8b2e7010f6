"""Q6 opportunities, offline: segments that engage well above the baseline but are
little used, and the topics that are risks to manage instead.

Segments: content type, platform, weekday x 3-hour slot and language over the brand's own
posts (all posts when it has fewer than `MIN_OWN`), and topics over all posts. For a
segment: lift = its mean engagement rate / the dimension's mean, with a 95% interval
(`statistics.lift_interval`), and gap_score = (lift - 1) x (1 - volume share). A segment
qualifies when it has the minimum sample (`statistics.min_sample`), its lift is >= 1.1
and holds up (the interval's lower bound is above 1), it holds less than an even share
of the dimension's posts, and:
- a topic is no risk: a topic whose sentiment is clearly negative, or that is about
  politics or conflict, is listed under risks, never as an opportunity, however it
  engages;
- a language is a real share of the window's audience (all its posts) and a language of
  the client's market (its language or its country's).
Actions are fixed templates (es/en) filled in with the figures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from app.ai.local.frames import mentions_politics
from app.analyses.question import Previous
from app.analyses.questions.parts import Figure, volume_notes
from app.analyses.questions.q06_opportunities.result import (
    OpportunitiesResult,
    Opportunity,
    RiskReason,
    TopicRisk,
)
from app.analyses.statistics import (
    MIN_SAMPLE_POSTS,
    Moments,
    lift_interval,
    mean,
    min_sample,
    r4,
    sentiment_of,
)
from app.analyses.window import Window
from app.analyses.wording import WEEKDAYS, fmt_num, fmt_pct, fmt_rate, fmt_ratio

DimensionName = Literal["topic", "content_type", "platform", "time_slot", "language"]

MIN_OWN = MIN_SAMPLE_POSTS  # fewer own posts: compare all posts
MIN_LIFT = 1.1
SLOT_HOURS = 3
MAX_RESULTS = 8
MAX_PER_DIMENSION = 3
MAX_RISKS = 8
NEGATIVE_MARGIN = 0.10  # negative share - positive share at least this: clearly negative
RISK_SHARE = 0.25  # a topic with this share of political (or conflict) posts is about it
MIN_AUDIENCE_SHARE = 0.10  # a language under this share of the window's posts: no advice

# The languages (of those the engine detects) a market reads, by ISO country code.
_SPANISH = [
    "AR",
    "BO",
    "CL",
    "CO",
    "CR",
    "CU",
    "DO",
    "EC",
    "ES",
    "GQ",
    "GT",
    "HN",
    "MX",
    "NI",
    "PA",
    "PE",
    "PR",
    "PY",
    "SV",
    "UY",
    "VE",
]
_ENGLISH = ["AU", "BZ", "CA", "GB", "IE", "IN", "JM", "NZ", "PH", "SG", "TT", "US", "ZA"]
COUNTRY_LANGUAGES: dict[str, frozenset[str]] = {c: frozenset({"es"}) for c in _SPANISH}
COUNTRY_LANGUAGES |= {c: frozenset({"en"}) for c in _ENGLISH}
COUNTRY_LANGUAGES |= {c: frozenset({"en", "es"}) for c in ("US", "PR", "BZ")}

LANGUAGE_NAMES = {
    "en": {"es": "Spanish", "en": "English", "und": "undetermined language"},
    "es": {"es": "español", "en": "inglés", "und": "idioma no determinado"},
}

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "content_type": "Publish more '{segment}' posts: they get {lift} the average "
        "engagement rate ({interval}; {rate} vs {base}) but are only {volume} of the posts.",
        "platform": "Give {segment} more weight in the plan: posts there get {lift} the "
        "average engagement rate ({interval}; {rate} vs {base}) but are only {volume} of the "
        "posts.",
        "time_slot": "Schedule more posts on {segment}: that slot gets {lift} the average "
        "engagement rate ({interval}; {rate} vs {base}) but holds only {volume} of the posts.",
        "language": "Publish more in {segment}: those posts get {lift} the average engagement "
        "rate ({interval}; {rate} vs {base}) but are only {volume} of the posts.",
        "topic": "Create more content about '{segment}': posts on this topic get {lift} the "
        "average engagement rate ({interval}; {rate} vs {base}) but are only {volume} of the "
        "posts.",
        "interval": "95% interval {low}-{high}",
    },
    "es": {
        "content_type": "Publicar más contenido de tipo «{segment}»: logra {lift} la tasa de "
        "interacción media ({interval}; {rate} frente a {base}) y solo es el {volume} de las "
        "publicaciones.",
        "platform": "Dar más peso a {segment} en el plan: allí las publicaciones logran {lift} "
        "la tasa de interacción media ({interval}; {rate} frente a {base}) y solo son el "
        "{volume} del total.",
        "time_slot": "Programar más publicaciones el {segment}: esa franja logra {lift} la tasa "
        "de interacción media ({interval}; {rate} frente a {base}) y solo reúne el {volume} de "
        "las publicaciones.",
        "language": "Publicar más en {segment}: esas publicaciones logran {lift} la tasa de "
        "interacción media ({interval}; {rate} frente a {base}) y solo son el {volume} del "
        "total.",
        "topic": "Crear más contenido sobre «{segment}»: las publicaciones de este tema logran "
        "{lift} la tasa de interacción media ({interval}; {rate} frente a {base}) y solo son el "
        "{volume} del total.",
        "interval": "intervalo del 95 %: {low}-{high}",
    },
}

RISK_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "action": "Manage '{segment}' as a risk, not as a content opportunity: the topic {why}. "
        "It holds {posts} posts ({volume} of the window) at an engagement rate of {rate}. "
        "Monitor it and prepare answers; do not create content that amplifies it.",
        "negative": "is clearly negative ({negative} negative vs {positive} positive posts)",
        "politics": "is about politics ({share} of its posts)",
        "conflict": "revolves around a conflict ({share} of its posts)",
        "and": " and ",
    },
    "es": {
        "action": "Gestionar «{segment}» como un riesgo, no como una oportunidad de contenido: "
        "el tema {why}. Reúne {posts} publicaciones ({volume} de la ventana) con una tasa de "
        "interacción de {rate}. Vigilarlo y preparar respuestas, sin crear contenido que lo "
        "amplifique.",
        "negative": "es claramente negativo ({negative} de publicaciones negativas frente a "
        "{positive} positivas)",
        "politics": "trata de política ({share} de sus publicaciones)",
        "conflict": "gira en torno a un conflicto ({share} de sus publicaciones)",
        "and": " y ",
    },
}

NOTES: dict[str, dict[str, str]] = {
    "en": {
        "basis_all": "Only {own} own posts; content type, platform, time slot and language "
        "are compared over all posts.",
        "none": "No segment with at least {min_posts} posts engages clearly above the baseline "
        "(lift >= 1.1 with its 95% interval above 1) while being under-used; no opportunity to "
        "report.",
        "language": "Posts in {language} engage above the baseline, but they are {share} of "
        "the window's posts and {language} is not a language of the client's market "
        "({market}); no language advice.",
        "language_audience": "Posts in {language} engage above the baseline, but they are only "
        "{share} of the window's posts (under {floor}); no language advice.",
    },
    "es": {
        "basis_all": "Solo hay {own} publicaciones propias; el tipo de contenido, la "
        "plataforma, la franja horaria y el idioma se comparan sobre todas las publicaciones.",
        "none": "Ningún segmento con al menos {min_posts} publicaciones logra una interacción "
        "claramente superior a la media (lift >= 1,1 con su intervalo del 95 % por encima de 1) "
        "estando poco usado; no hay oportunidades que informar.",
        "language": "Las publicaciones en {language} logran más interacción que la media, pero "
        "son el {share} de las publicaciones de la ventana y el {language} no es un idioma del "
        "mercado del cliente ({market}); no se recomienda el idioma.",
        "language_audience": "Las publicaciones en {language} logran más interacción que la "
        "media, pero solo son el {share} de las publicaciones de la ventana (menos del "
        "{floor}); no se recomienda el idioma.",
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
    lift_low: float  # 95% interval of the lift (0 when it cannot be told)
    lift_high: float
    gap_score: float
    enough: bool  # the minimum sample (statistics.min_sample of the dimension's posts)
    holds: bool  # the lift's interval is above 1
    qualifies: bool  # enough, holds, lift >= MIN_LIFT, under-used, no risk, language sensible
    # Topics: sentiment and what makes a topic a risk.
    negative_share: float = 0.0
    positive_share: float = 0.0
    politics_share: float = 0.0
    conflict_share: float = 0.0
    risks: tuple[RiskReason, ...] = ()
    # Languages: the share of the window's posts, and whether the market reads it.
    audience_share: float | None = None
    market_fit: bool | None = None


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


def market_languages(window: Window) -> frozenset[str]:
    """The languages the client's market reads: its own and its country's."""
    client = window.client
    found = set(COUNTRY_LANGUAGES.get((client.country or "").upper(), ()))
    found.add((client.language or "").lower()[:2])
    return frozenset(found)


def _topic_profile(window: Window, idx: Sequence[int]) -> dict[str, object]:
    """Sentiment, politics and conflict of a topic's posts, and the risks they make."""
    posts = window.posts
    n = len(idx)
    negative = sum(1 for i in idx if sentiment_of(posts[i]) == "negative") / n
    positive = sum(1 for i in idx if sentiment_of(posts[i]) == "positive") / n
    politics = sum(1 for i in idx if mentions_politics(posts[i].text, posts[i].language)) / n
    conflict = sum(1 for i in idx if "conflict" in posts[i].frames) / n
    risks: list[RiskReason] = []
    if negative - positive >= NEGATIVE_MARGIN:
        risks.append("negative")
    if politics >= RISK_SHARE:
        risks.append("politics")
    if conflict >= RISK_SHARE:
        risks.append("conflict")
    return {
        "negative_share": negative,
        "positive_share": positive,
        "politics_share": politics,
        "conflict_share": conflict,
        "risks": tuple(risks),
    }


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
    rates = window.rates
    base = mean(rates[i] for g in by_segment.values() for i in g)
    if base <= 0:
        return None
    min_posts = min_sample(total)
    even = 1.0 / len(by_segment)
    moments = {segment: Moments.of(rates[i] for i in idx) for segment, idx in by_segment.items()}
    everything = Moments.of(rates[i] for g in by_segment.values() for i in g)
    segments: list[Segment] = []
    for segment, idx in by_segment.items():
        volume = len(idx) / total
        rate = mean(rates[i] for i in idx)
        lift = rate / base
        interval = lift_interval(moments[segment], everything - moments[segment])
        enough = len(idx) >= min_posts
        holds = interval is not None and interval.holds
        found = Segment(
            dimension=name,
            segment=segment,
            posts=len(idx),
            volume_share=volume,
            mean_engagement_rate=rate,
            baseline=base,
            lift=lift,
            lift_low=interval.low if interval else 0.0,
            lift_high=interval.high if interval else 0.0,
            gap_score=(lift - 1.0) * (1.0 - volume),
            enough=enough,
            holds=holds,
            qualifies=enough and holds and volume < even and lift >= MIN_LIFT,
        )
        if name == "topic" and enough:
            profile = _topic_profile(window, idx)
            found = replace(found, **profile)  # type: ignore[arg-type]
            found = replace(found, qualifies=found.qualifies and not found.risks)
        segments.append(found)
    return Dimension(name, base, min_posts, segments)


def _with_audience(dimension: Dimension, window: Window) -> Dimension:
    """Language segments qualify only for a real share of the window's posts in a
    language of the client's market."""
    counts: dict[str, int] = defaultdict(int)
    for p in window.posts:
        counts[p.language or "und"] += 1
    market = market_languages(window)
    by_name = {name: code for code, name in LANGUAGE_NAMES[window.lang].items()}
    segments = []
    for s in dimension.segments:
        code = by_name.get(s.segment, s.segment)
        audience = counts.get(code, 0) / window.n if window.n else 0.0
        fit = code in market
        segments.append(
            replace(
                s,
                audience_share=audience,
                market_fit=fit,
                qualifies=s.qualifies and fit and audience >= MIN_AUDIENCE_SHARE,
            )
        )
    return replace(dimension, segments=segments)


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
    found: list[Dimension] = []
    for name, indices, key in keys:
        dimension = _dimension(name, indices, key, window)
        if dimension is not None:
            found.append(_with_audience(dimension, window) if name == "language" else dimension)
    return found


def r6(x: float) -> float:
    """Rates keep six decimals in figures: four would write 0.00004 as 0."""
    return round(x, 6)


def _opportunity(s: Segment, lang: str) -> Opportunity:
    t = TEMPLATES[lang]
    action = t[s.dimension].format(
        segment=s.segment,
        lift=fmt_ratio(s.lift, lang),
        interval=t["interval"].format(
            low=fmt_ratio(s.lift_low, lang), high=fmt_ratio(s.lift_high, lang)
        ),
        rate=fmt_rate(s.mean_engagement_rate, lang),
        base=fmt_rate(s.baseline, lang),
        volume=fmt_pct(s.volume_share, lang),
    )
    return Opportunity(
        dimension=s.dimension,
        segment=s.segment,
        posts=s.posts,
        volume_share=r4(s.volume_share),
        mean_engagement_rate=r4(min(s.mean_engagement_rate, 1.0)),
        lift=r4(s.lift),
        lift_low=r4(s.lift_low),
        lift_high=r4(s.lift_high),
        gap_score=r4(s.gap_score),
        evidence=[
            Figure(name="posts", value=s.posts, unit="posts"),
            Figure(name="volume share", value=r4(s.volume_share), unit="share"),
            Figure(name="mean engagement rate", value=r6(s.mean_engagement_rate), unit="rate"),
            Figure(name="baseline engagement rate", value=r6(s.baseline), unit="rate"),
            Figure(name="lift over baseline", value=r4(s.lift), unit="ratio"),
            Figure(name="lift lower bound (95%)", value=r4(s.lift_low), unit="ratio"),
            Figure(name="lift upper bound (95%)", value=r4(s.lift_high), unit="ratio"),
        ],
        action=action,
    )


def _risk(s: Segment, lang: str) -> TopicRisk:
    t = RISK_TEXT[lang]
    why = {
        "negative": t["negative"].format(
            negative=fmt_pct(s.negative_share, lang, 0), positive=fmt_pct(s.positive_share, lang, 0)
        ),
        "politics": t["politics"].format(share=fmt_pct(s.politics_share, lang, 0)),
        "conflict": t["conflict"].format(share=fmt_pct(s.conflict_share, lang, 0)),
    }
    return TopicRisk(
        segment=s.segment,
        posts=s.posts,
        volume_share=r4(s.volume_share),
        mean_engagement_rate=r4(min(s.mean_engagement_rate, 1.0)),
        lift=r4(s.lift),
        negative_share=r4(s.negative_share),
        positive_share=r4(s.positive_share),
        politics_share=r4(s.politics_share),
        conflict_share=r4(s.conflict_share),
        reasons=list(s.risks),
        evidence=[
            Figure(name="posts", value=s.posts, unit="posts"),
            Figure(name="volume share", value=r4(s.volume_share), unit="share"),
            Figure(name="negative share", value=r4(s.negative_share), unit="share"),
            Figure(name="positive share", value=r4(s.positive_share), unit="share"),
            Figure(name="political posts share", value=r4(s.politics_share), unit="share"),
            Figure(name="conflict posts share", value=r4(s.conflict_share), unit="share"),
            Figure(name="lift over baseline", value=r4(s.lift), unit="ratio"),
        ],
        action=t["action"].format(
            segment=s.segment,
            why=t["and"].join(why[r] for r in s.risks),
            posts=fmt_num(s.posts, lang),
            volume=fmt_pct(s.volume_share, lang),
            rate=fmt_rate(s.mean_engagement_rate, lang),
        ),
    )


def _language_notes(dimension: Dimension, window: Window) -> list[str]:
    """Why a language that engages above the baseline gets no advice."""
    t = NOTES[window.lang]
    market = ", ".join(
        sorted(LANGUAGE_NAMES[window.lang].get(c, c) for c in market_languages(window) if c)
    )
    notes = []
    for s in dimension.segments:
        if s.qualifies or not (s.enough and s.holds and s.lift >= MIN_LIFT):
            continue
        share = fmt_pct(s.audience_share or 0.0, window.lang)
        if not s.market_fit:
            notes.append(t["language"].format(language=s.segment, share=share, market=market))
        elif (s.audience_share or 0.0) < MIN_AUDIENCE_SHARE:
            floor = fmt_pct(MIN_AUDIENCE_SHARE, window.lang, 0)
            notes.append(
                t["language_audience"].format(language=s.segment, share=share, floor=floor)
            )
    return notes


def compute(window: Window, previous: Previous) -> OpportunitiesResult:
    n = window.n
    lang = window.lang
    notes = [*window.notes, *volume_notes(n)]
    kind, compared = basis(window)
    own = sum(1 for p in window.posts if p.is_own)
    if n and kind == "all":
        notes.append(NOTES[lang]["basis_all"].format(own=own))
    found: list[Opportunity] = []
    risks: list[TopicRisk] = []
    min_posts = min_sample(len(compared))
    for dimension in dimensions(window):
        kept = [_opportunity(s, lang) for s in dimension.segments if s.qualifies]
        kept.sort(key=lambda o: (-o.gap_score, o.segment))
        found += kept[:MAX_PER_DIMENSION]
        if dimension.name == "topic":
            risks = [_risk(s, lang) for s in dimension.segments if s.enough and s.risks]
        if dimension.name == "language":
            notes += _language_notes(dimension, window)
    found.sort(key=lambda o: (-o.gap_score, o.dimension, o.segment))
    # Politics and conflict first (never the brand's conversation), then the largest.
    risks.sort(key=lambda r: (r.reasons == ["negative"], -r.posts, r.segment))
    if n and not found:
        notes.append(NOTES[lang]["none"].format(min_posts=min_posts))
    return OpportunitiesResult(
        posts_analyzed=n,
        basis=kind,
        baseline_engagement_rate=r4(mean(window.rates[i] for i in compared)),
        opportunities=found[:MAX_RESULTS],
        risks=risks[:MAX_RISKS],
        notes=notes,
    )

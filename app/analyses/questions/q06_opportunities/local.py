"""Q6 opportunities, offline: segments that engage well above the baseline but are
little used, and the topics that are risks to manage instead.

Segments are compared over the posts whose engagement is their own, each text once
(`parts.engaged_posts`: a retweet's engagement is its original's, and a text posted many
times would weigh its segment as many times): content type, platform, weekday x 3-hour
slot and language over the brand's own posts (all posts when it has fewer than
`parts.MIN_OWN_POSTS`), and topics over all of them. For a segment: lift = its mean engagement
rate / the dimension's mean, with a 95% interval (`statistics.lift_interval`), and
gap_score = (lift - 1) x (1 - volume share). A segment qualifies when it has the minimum
sample (`statistics.min_sample`), its lift is >= 1.1 and holds up (the interval's lower
bound is above 1), it holds less than an even share of the dimension's posts, and:
- a topic is no risk: a topic whose sentiment is clearly negative, or that is about
  politics or conflict, is listed under risks, never as an opportunity, however it
  engages (what makes it a risk is read over every post of it, retweets included: a
  complaint retweeted 500 times is a larger risk);
- a language is a real share of the window's audience (all its posts) and a language of
  the client's market (its language or its country's).
Actions are fixed templates (es/en) filled in with the figures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from app.ai.local.frames import mentions_politics
from app.analyses.question import Previous
from app.analyses.questions.parts import (
    Figure,
    engaged_posts,
    engagement_basis,
    volume_notes,
)
from app.analyses.questions.q06_opportunities.result import (
    OpportunitiesResult,
    Opportunity,
    RiskReason,
    TopicRisk,
)
from app.analyses.statistics import (
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
Unit = Literal["posts", "share", "rate", "ratio"]

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
        "basis_all": "Only {own} own posts (each text once, retweets aside); content type, "
        "platform, time slot and language are compared over all posts.",
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
        "basis_all": "Solo hay {own} publicaciones propias (cada texto una vez, sin retuits); "
        "el tipo de contenido, la plataforma, la franja horaria y el idioma se comparan sobre "
        "todas las publicaciones.",
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
    # Topics: sentiment and what makes a topic a risk (its `TopicProfile`).
    negative_share: float = 0.0
    positive_share: float = 0.0
    politics_share: float = 0.0
    conflict_share: float = 0.0
    risks: tuple[RiskReason, ...] = ()
    # Languages: the share of the window's posts, and whether the market reads it.
    audience_share: float | None = None
    market_fit: bool | None = None


@dataclass(frozen=True, slots=True)
class TopicProfile:
    """What makes a topic a risk, read over every post whose topic it is (a retweet
    endorses and spreads the text, as the sentiment shares count it)."""

    label: str
    posts: int
    volume_share: float  # of the posts with a topic
    enough: bool  # the minimum sample among the posts with a topic
    negative_share: float
    positive_share: float
    politics_share: float
    conflict_share: float
    risks: tuple[RiskReason, ...]


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
    """Which posts content type, platform, slot and language are compared over: the
    brand's own engaged posts, or all of them (`parts.engagement_basis`)."""
    return engagement_basis(window)


def market_languages(window: Window) -> frozenset[str]:
    """The languages the client's market reads: its own and its country's."""
    client = window.client
    found = set(COUNTRY_LANGUAGES.get((client.country or "").upper(), ()))
    found.add((client.language or "").lower()[:2])
    return frozenset(found)


def _topic_profile(
    window: Window, label: str, idx: Sequence[int], total: int, min_posts: int
) -> TopicProfile:
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
    return TopicProfile(
        label=label,
        posts=n,
        volume_share=n / total,
        enough=n >= min_posts,
        negative_share=negative,
        positive_share=positive,
        politics_share=politics,
        conflict_share=conflict,
        risks=tuple(risks),
    )


def topic_profiles(window: Window) -> dict[str, TopicProfile]:
    """Every topic's profile, over all the posts whose topic it is."""
    model = window.topics
    by_topic: dict[int, list[int]] = defaultdict(list)
    for i, t in enumerate(model.dominant):
        if t >= 0:
            by_topic[t].append(i)
    total = sum(len(idx) for idx in by_topic.values())
    min_posts = min_sample(total)
    return {
        model.topics[t].label: _topic_profile(window, model.topics[t].label, idx, total, min_posts)
        for t, idx in sorted(by_topic.items())
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
        segments.append(found)
    return Dimension(name, base, min_posts, segments)


def _profiled(s: Segment, profile: TopicProfile) -> Segment:
    """Topic segment `s` with its topic's profile; a risky topic never qualifies."""
    return replace(
        s,
        negative_share=profile.negative_share,
        positive_share=profile.positive_share,
        politics_share=profile.politics_share,
        conflict_share=profile.conflict_share,
        risks=profile.risks,
        qualifies=s.qualifies and not profile.risks,
    )


def _with_profiles(dimension: Dimension, profiles: Mapping[str, TopicProfile]) -> Dimension:
    segments = [
        _profiled(s, profiles[s.segment]) if s.segment in profiles else s
        for s in dimension.segments
    ]
    return replace(dimension, segments=segments)


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


def dimensions(
    window: Window, profiles: Mapping[str, TopicProfile] | None = None
) -> list[Dimension]:
    """Every dimension with at least two segments and some engagement; topics with their
    `profiles` (`topic_profiles` when not given)."""
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
                engaged_posts(window),
                lambda i: labels[model.dominant[i]] if model.dominant[i] >= 0 else None,
            )
        )
    found: list[Dimension] = []
    for name, indices, key in keys:
        dimension = _dimension(name, indices, key, window)
        if dimension is None:
            continue
        if name == "language":
            dimension = _with_audience(dimension, window)
        elif name == "topic":
            dimension = _with_profiles(
                dimension, topic_profiles(window) if profiles is None else profiles
            )
        found.append(dimension)
    return found


def r6(x: float) -> float:
    """Rates keep six decimals in figures: four would write 0.00004 as 0."""
    return round(x, 6)


# Every figure an opportunity or a risk rests on: its name -> (Segment attribute, unit).
FIGURES: dict[str, tuple[str, Unit]] = {
    "posts": ("posts", "posts"),
    "volume share": ("volume_share", "share"),
    "mean engagement rate": ("mean_engagement_rate", "rate"),
    "baseline engagement rate": ("baseline", "rate"),
    "negative share": ("negative_share", "share"),
    "positive share": ("positive_share", "share"),
    "political posts share": ("politics_share", "share"),
    "conflict posts share": ("conflict_share", "share"),
    "lift over baseline": ("lift", "ratio"),
    "lift lower bound (95%)": ("lift_low", "ratio"),
    "lift upper bound (95%)": ("lift_high", "ratio"),
}
OPPORTUNITY_EVIDENCE = (
    "posts",
    "volume share",
    "mean engagement rate",
    "baseline engagement rate",
    "lift over baseline",
    "lift lower bound (95%)",
    "lift upper bound (95%)",
)
RISK_EVIDENCE = (
    "posts",
    "volume share",
    "negative share",
    "positive share",
    "political posts share",
    "conflict posts share",
    "lift over baseline",
)


def _shared(s: Segment) -> dict[str, Any]:
    """The fields an opportunity and a risk have alike."""
    return {
        "segment": s.segment,
        "posts": s.posts,
        "volume_share": r4(s.volume_share),
        "mean_engagement_rate": r4(min(s.mean_engagement_rate, 1.0)),
        "lift": r4(s.lift),
    }


def evidence(s: Segment, names: Sequence[str]) -> list[Figure]:
    """The figures `names` of `s` (rates to six decimals, other fractions to four)."""
    figures = []
    for name in names:
        attribute, unit = FIGURES[name]
        value: float = getattr(s, attribute)
        figures.append(
            Figure(name=name, value=r6(value) if unit == "rate" else r4(value), unit=unit)
        )
    return figures


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
        **_shared(s),
        lift_low=r4(s.lift_low),
        lift_high=r4(s.lift_high),
        gap_score=r4(s.gap_score),
        evidence=evidence(s, OPPORTUNITY_EVIDENCE),
        action=action,
    )


def risk_segment(profile: TopicProfile, engaged: Segment | None) -> Segment:
    """A risky topic as a segment: its posts and shares over every post of it (its
    `profile`), its engagement over its engaged posts (`engaged`: none, rate and lift 0)."""
    if engaged is None:  # every post of the topic is a retweet
        engaged = Segment(
            dimension="topic",
            segment=profile.label,
            posts=0,
            volume_share=0.0,
            mean_engagement_rate=0.0,
            baseline=0.0,
            lift=0.0,
            lift_low=0.0,
            lift_high=0.0,
            gap_score=0.0,
            enough=False,
            holds=False,
            qualifies=False,
        )
    return replace(
        _profiled(engaged, profile),
        posts=profile.posts,
        volume_share=profile.volume_share,
        enough=profile.enough,
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
        **_shared(s),
        negative_share=r4(s.negative_share),
        positive_share=r4(s.positive_share),
        politics_share=r4(s.politics_share),
        conflict_share=r4(s.conflict_share),
        reasons=list(s.risks),
        evidence=evidence(s, RISK_EVIDENCE),
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
    notes = [*window.notes, *volume_notes(n, lang=lang)]
    kind, compared = basis(window)
    if n and kind == "all":
        own = sum(1 for i in compared if window.posts[i].is_own)
        notes.append(NOTES[lang]["basis_all"].format(own=own))
    found: list[Opportunity] = []
    min_posts = min_sample(len(compared))
    profiles = topic_profiles(window)
    topics: dict[str, Segment] = {}
    for dimension in dimensions(window, profiles):
        kept = [_opportunity(s, lang) for s in dimension.segments if s.qualifies]
        kept.sort(key=lambda o: (-o.gap_score, o.segment))
        found += kept[:MAX_PER_DIMENSION]
        if dimension.name == "topic":
            topics = {s.segment: s for s in dimension.segments}
        if dimension.name == "language":
            notes += _language_notes(dimension, window)
    risks = [
        _risk(risk_segment(p, topics.get(p.label)), lang)
        for p in profiles.values()
        if p.enough and p.risks
    ]
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

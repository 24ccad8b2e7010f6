"""Evidence before advice (issue 11, item 3): each rule gets a small window built to break
it, and the results must not.

Minimum samples and lifts that hold up (Q6 segments, Q8 slots), political or negative
topics as risks (never opportunities), language advice only where the audience and the
market make it sensible, spikes of the negative share (not of volume), concentrated
windows without a trend, rates written readably; then the BBVA file, when present."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app.ai.local.topics import TopicInfo, TopicModel
from app.analyses.question import Previous
from app.analyses.questions.q06_opportunities.llm import section as q6_section
from app.analyses.questions.q06_opportunities.result import OpportunitiesResult
from app.analyses.questions.q07_sentiment.result import SentimentResult
from app.analyses.questions.q08_temporal.llm import section as q8_section
from app.analyses.questions.q08_temporal.result import TemporalResult
from app.analyses.records import PostRecord
from app.analyses.statistics import (
    MIN_SAMPLE_POSTS,
    MIN_SPIKE_DAY_POSTS,
    min_sample,
)
from app.analyses.window import Window
from app.analyses.wording import fmt_pct, fmt_rate
from app.clients.service import ClientProfile, CompetitorProfile
from bench.real_data import BBVA_CSV, DATA, bbva_records
from tests.analyses.builders import CLIENT, answer, post, window_for

BBVA = DATA / BBVA_CSV
ZERO_PCT = re.compile(r"(?<![\d.,])0[.,]0+ ?%")  # "0,00 %", "0.0%": a rate written as nothing

START = datetime(2025, 3, 3, 14, 0, tzinfo=UTC)  # a Monday, 09:00 in Lima
OWN = {"is_own": True, "platform": "instagram", "author_followers": 10_000}

_PRODUCTS = (
    "cuenta de ahorros",
    "tarjeta de crédito",
    "banca móvil",
    "cuenta sueldo",
    "tarjeta de débito",
    "app del banco",
    "préstamo personal",
    "seguro de viaje",
)
_OFFERS = (
    "con cuotas sin intereses en supermercados",
    "sin hacer cola en la agencia",
    "con descuentos en restaurantes este fin de semana",
    "en cinco minutos desde casa",
    "con transferencias gratis a otros bancos",
    "con puntos dobles en tus compras",
)
_ACTORS = (
    "El gobierno",
    "El presidente",
    "Los diputados de la oposición",
    "El ministro",
    "Los senadores",
    "El congreso",
)
_DEEDS = (
    "aprueba la deuda pública del sexenio",
    "enfrenta acusaciones de corrupción",
    "vota la vacancia presidencial",
    "discute el presupuesto en el parlamento",
    "anuncia elecciones anticipadas",
    "defiende su gestión ante el congreso",
)
_COMPLAINTS = (
    "Pésimo servicio",
    "Terrible atención",
    "Qué vergüenza",
    "Horrible experiencia",
    "Estoy furioso",
    "Un robo",
)
_GRIEVANCES = (
    "me cobraron una comisión abusiva y nadie responde",
    "otra comisión injusta en mi cuenta y el reclamo sigue sin respuesta",
    "me bloquearon la tarjeta y nadie me ayuda, odio este banco",
    "cobros indebidos otra vez, pésimo banco, nunca resuelven nada",
)


def everyday(i: int) -> str:
    """Distinct texts about products (one topic), i = 0..47 all different."""
    return f"Conoce la {_PRODUCTS[i % 8]} {_OFFERS[(i // 8) % 6]}"


def political(i: int) -> str:
    return f"{_ACTORS[i % 6]} {_DEEDS[(i // 6) % 6]}"


def complaint(i: int) -> str:
    return f"{_COMPLAINTS[i % 6]}, {_GRIEVANCES[(i // 6) % 4]}"


def _spread(i: int) -> datetime:
    """Post `i` of a series: one a day, hours cycling, so slots carry every group alike."""
    return START + timedelta(days=i % 60, hours=(i * 5) % 24)


def _with_topics(window: Window, labels: list[str]) -> Window:
    """`window` with one topic per post as given (the topic model is tested elsewhere:
    here the rule is what Q6 does with a topic, however it was found)."""
    names = list(dict.fromkeys(labels))
    dominant = tuple(names.index(label) for label in labels)
    model = TopicModel(
        topics=tuple(TopicInfo(i, name, ((name, 1.0),)) for i, name in enumerate(names)),
        dominant=dominant,
        weight=(1.0,) * len(labels),
        memberships=tuple((t,) for t in dominant),
        candidates=(),
        method="given",
        reason=None,
    )
    return replace(window, topics=model)


def _q6(window: Window) -> OpportunitiesResult:
    result = answer("q6", window)
    assert isinstance(result, OpportunitiesResult)
    return result


def _q8(window: Window) -> TemporalResult:
    result = answer("q8", window)
    assert isinstance(result, TemporalResult)
    return result


# --------------------------------------------------------------------------- Q6 topics


def _topic_window(other: Callable[[int], str], label: str) -> Window:
    """360 everyday posts (three product topics) and 60 posts of `other` that engage
    thirty times more, in the same slots; every text different (Q6 counts each once)."""
    posts = [
        post(f"{everyday(i)} ({i})", likes=3 + i % 4, published_at=_spread(i)) for i in range(360)
    ]
    posts += [
        post(f"{other(i)} ({i})", likes=150 + i % 9, published_at=_spread(i)) for i in range(60)
    ]
    window = window_for(posts, lang="es", days=70)
    products = ["tarjetas", "cuentas", "app"]
    return _with_topics(window, [products[i % 3] for i in range(360)] + [label] * 60)


def test_a_political_topic_with_high_engagement_is_a_risk_never_an_opportunity() -> None:
    window = _topic_window(political, "gobierno / congreso")
    result = _q6(window)
    assert not [o for o in result.opportunities if o.segment == "gobierno / congreso"]
    for o in result.opportunities:
        assert "congreso" not in o.action
    risk = next(r for r in result.risks if r.segment == "gobierno / congreso")
    assert "politics" in risk.reasons
    assert risk.posts == 60
    assert risk.lift > 5  # it engages: that is what made it look like an opportunity
    assert "riesgo" in risk.action
    # The payload the model reads says the same: that topic never qualifies.
    rows = q6_section(window, Previous())["segments"]["dimensions"]["topic"]["segments"]
    row = next(r for r in rows if r["segment"] == "gobierno / congreso")
    assert row["lift_holds"]
    assert row["risk"]
    assert not row["qualifies"]
    # The same posts about products instead: the opportunity the rule is not blocking.
    control = _q6(_topic_window(lambda i: everyday(i + 7), "ofertas"))
    assert [o.segment for o in control.opportunities if o.dimension == "topic"] == ["ofertas"]
    assert not control.risks


def test_a_clearly_negative_topic_is_a_risk() -> None:
    window = _topic_window(complaint, "comisiones / reclamo")
    negative = sum(1 for p in window.posts[360:] if p.sentiment_label == "negative")
    assert negative >= 40  # the lexicon engine reads these complaints as negative
    result = _q6(window)
    risk = next(r for r in result.risks if r.segment == "comisiones / reclamo")
    assert "negative" in risk.reasons
    assert not [o for o in result.opportunities if o.segment == "comisiones / reclamo"]


def test_a_complaint_spread_by_retweets_stays_a_risk_rated_on_its_own_texts() -> None:
    """10 complaints retweeted 200 times: the risk counts every post of the topic (the
    retweets spread it), its engagement rate is its texts' own (not diluted by 200
    zeros), and it is never an opportunity."""
    everyday = [
        post(f"Conoce la cuenta de ahorros con transferencias gratis ({i})",
             likes=3 + i % 4, published_at=_spread(i))
        for i in range(360)
    ]  # fmt: skip
    complaints = [
        post(f"Pésimo servicio, me cobraron una comisión abusiva y nadie responde ({i})",
             author_handle=f"molesto{i}", likes=150 + i, published_at=_spread(i))
        for i in range(10)
    ]  # fmt: skip
    retweets = [
        post(f"RT @molesto{i % 10}: Pésimo servicio, me cobraron una comisión abusiva y "
             f"nadie responde ({i % 10})", author_handle=f"fan{i}", likes=150 + i % 10,
             published_at=_spread(i) + timedelta(minutes=30))
        for i in range(200)
    ]  # fmt: skip
    window = window_for([*everyday, *complaints, *retweets], lang="es", days=70)
    labels = ["cuentas"] * 360 + ["comisiones / reclamo"] * 210
    window = _with_topics(window, labels)
    result = answer("q6", window)
    assert isinstance(result, OpportunitiesResult)
    risk = next(r for r in result.risks if r.segment == "comisiones / reclamo")
    assert "negative" in risk.reasons
    assert risk.posts == 210
    own_rate = sum(window.rates[360 + i] for i in range(10)) / 10
    assert risk.mean_engagement_rate == pytest.approx(own_rate, abs=1e-4)
    assert risk.lift > 10
    assert not [o for o in result.opportunities if o.segment == "comisiones / reclamo"]


# --------------------------------------------------------------------------- lifts


def test_twenty_posts_at_a_high_rate_claim_no_lift() -> None:
    posts = [
        post(f"Conoce la Tarjeta Clásica ({i})", content_type="image", likes=100 + i % 7,
             published_at=_spread(i), **OWN)
        for i in range(400)
    ]  # fmt: skip
    thursday_19 = datetime(2025, 3, 7, 0, 0, tzinfo=UTC)  # Thursday 19:00 in Lima
    posts += [
        post(f"Mira el reel de la Tarjeta Clásica ({i})", content_type="reel", likes=3000 + i,
             published_at=thursday_19 + timedelta(weeks=i % 8), **OWN)
        for i in range(20)
    ]  # fmt: skip
    window = window_for(posts, lang="es", days=70)
    q6 = _q6(window)
    assert not [o for o in q6.opportunities if o.segment == "reel"]
    rows = q6_section(window, Previous())["segments"]["dimensions"]["content_type"]["segments"]
    reel = next(r for r in rows if r["segment"] == "reel")
    assert reel["posts"] == 20
    assert not reel["qualifies"]
    q8 = _q8(window)
    for best in q8.best_windows:
        assert best.posts >= min_sample(len(posts))
        assert (best.weekday, best.hour) != (3, 19)
    assert all(o.posts >= min_sample(420) for o in q6.opportunities)


def test_a_lift_on_large_samples_with_a_clear_difference_is_kept_with_its_interval() -> None:
    posts = [
        post(f"Conoce la Tarjeta Clásica ({i})", content_type="image", likes=100 + (i * 37) % 60,
             published_at=_spread(i), **OWN)
        for i in range(320)
    ]  # fmt: skip
    posts += [
        post(f"Mira el reel de la Tarjeta Clásica ({i})", content_type="reel",
             likes=300 + (i * 53) % 180,
             published_at=_spread(i), **OWN)
        for i in range(80)
    ]  # fmt: skip
    q6 = _q6(window_for(posts, lang="es", days=70))
    reel = next(o for o in q6.opportunities if o.segment == "reel")
    assert reel.posts == 80
    assert 1 < reel.lift_low < reel.lift < reel.lift_high
    assert {f.name for f in reel.evidence} >= {"lift lower bound (95%)", "lift upper bound (95%)"}
    assert "95" in reel.action  # the interval is said, not only the point
    # The noisy segment of the same window is not claimed: same sizes, no clear difference.
    assert all(o.lift_low > 1 for o in q6.opportunities)


def test_a_slot_with_a_clear_lift_on_enough_posts_is_a_best_window() -> None:
    thursday_19 = datetime(2025, 3, 7, 0, 0, tzinfo=UTC)  # Thursday 19:00 in Lima
    posts = [
        post(f"Nuevo en la app ({i})", likes=100 + i % 9, published_at=_spread(i), **OWN)
        for i in range(300)
    ]
    posts += [
        post(f"Nuevo en la app, este jueves ({i})", likes=400 + i % 13,
             published_at=thursday_19 + timedelta(weeks=i % 9, minutes=i), **OWN)
        for i in range(45)
    ]  # fmt: skip
    q8 = _q8(window_for(posts, days=70))
    assert q8.best_windows
    best = q8.best_windows[0]
    assert (best.weekday, best.hour) == (3, 19)
    assert best.posts >= 45
    assert 1 < best.lift_low <= best.lift <= best.lift_high


# --------------------------------------------------------------------------- language


def _language_window(client: ClientProfile, english_share_of_all: float) -> Window:
    english = "Open your savings account in the app today and enjoy free transfers"
    spanish = "Abre tu cuenta de ahorros en la app hoy y disfruta transferencias gratis"
    own = [
        post(f"{spanish} ({i})", likes=40 + i % 5, published_at=_spread(i), **OWN)
        for i in range(160)
    ]
    own += [
        post(f"{english} ({i})", likes=400 + i % 7, published_at=_spread(i), **OWN)
        for i in range(40)
    ]
    others_total = round(40 / english_share_of_all) - 200
    others = [post(spanish, likes=1, published_at=_spread(i)) for i in range(others_total)]
    return window_for([*own, *others], lang="es", days=70, client=client)


def test_publish_in_english_is_never_proposed_to_a_peruvian_spanish_client() -> None:
    assert CLIENT.country == "PE"
    assert CLIENT.language == "es"
    window = _language_window(CLIENT, 0.03)
    english = sum(1 for p in window.posts if p.language == "en")
    assert english / window.n == pytest.approx(0.03, abs=0.005)
    q6 = _q6(window)
    assert not [o for o in q6.opportunities if o.dimension == "language"]
    assert not [o for o in q6.opportunities if "inglés" in o.action or "English" in o.action]


def test_language_advice_needs_a_real_audience_and_a_market_that_speaks_it() -> None:
    us = ClientProfile(
        name="Banco Andino USA",
        industry="banking",
        country="US",
        language="es",
        competitors=(CompetitorProfile("Chase"),),
        handles=("bancoandino",),
    )
    # A US client, a third of the window in English: sensible.
    assert [o.segment for o in _q6(_language_window(us, 0.3)).opportunities
            if o.dimension == "language"] == ["inglés"]  # fmt: skip
    # The same client with 3% of the window in English: not a real share of its audience.
    assert not [o for o in _q6(_language_window(us, 0.03)).opportunities
                if o.dimension == "language"]  # fmt: skip
    # A Peruvian Spanish client, even with a third of the window in English: not its market.
    assert not [o for o in _q6(_language_window(CLIENT, 0.3)).opportunities
                if o.dimension == "language"]  # fmt: skip


# --------------------------------------------------------------------------- spikes


def _day_posts(day: int, n: int, negative: int) -> list[PostRecord]:
    """`n` posts spread over ten hours of one day, `negative` of them negative (spread
    too, so no hour of the day differs)."""
    when = START + timedelta(days=day)
    out = []
    for k in range(n):
        bad = (k * negative) // n != ((k + 1) * negative) // n
        out.append(
            post(
                "Sobre el banco",
                published_at=when + timedelta(minutes=600 * k / n),
                sentiment_label="negative" if bad else "neutral",
                sentiment_score=-0.7 if bad else 0.0,
                language="es",
            )
        )
    return out


def test_a_volume_spike_with_a_flat_negative_share_is_no_spike() -> None:
    posts = [p for d in range(14) for p in _day_posts(d, 40, 10)]
    posts += _day_posts(14, 400, 100)  # ten times the volume, the same 25% negative
    posts += [p for d in range(15, 20) for p in _day_posts(d, 40, 10)]
    window = window_for(posts, days=30, end=START + timedelta(days=25))
    assert window.spikes == []
    q7 = answer("q7", window)
    assert isinstance(q7, SentimentResult)
    assert q7.spikes == []


def test_a_negative_share_spike_on_enough_volume_is_a_spike() -> None:
    posts = [p for d in range(14) for p in _day_posts(d, 40, 4)]  # 10% negative
    posts += _day_posts(14, 40, 24)  # 60% negative, same volume
    posts += _day_posts(15, 5, 5)  # all negative, but five posts: too few to judge
    posts += [p for d in range(16, 20) for p in _day_posts(d, 40, 4)]
    window = window_for(posts, days=30, end=START + timedelta(days=25))
    days = {(s.day, s.kind) for s in window.spikes}
    spike_day = (START + timedelta(days=14)).astimezone(window.tz).date()
    small_day = (START + timedelta(days=15)).astimezone(window.tz).date()
    assert days == {(spike_day, "negative_share")}
    spike = window.spikes[0]
    assert (spike.negative_posts, spike.posts, spike.value) == (24, 40, 0.6)
    assert spike.posts >= MIN_SPIKE_DAY_POSTS
    assert small_day not in {s.day for s in window.spikes}


# --------------------------------------------------------------------------- trends


def _concentrated_posts() -> list[PostRecord]:
    first = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)
    sparse = [post("Hola banco", published_at=first + timedelta(days=12 * k)) for k in range(10)]
    month = datetime(2025, 5, 1, 15, 0, tzinfo=UTC)
    dense = [
        post("Hola banco", published_at=month + timedelta(hours=1.5 * k), likes=k % 40)
        for k in range(490)
    ]  # 98% of the posts in May's first month
    return sparse + dense


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_window_concentrated_in_one_month_reports_no_trend(lang: str) -> None:
    posts = _concentrated_posts()
    window = window_for(posts, lang=lang, days=150, end=datetime(2025, 6, 3, tzinfo=UTC))
    q8 = _q8(window)
    assert q8.volume_trend is None
    assert q8.engagement_trend is None
    assert q8.concentration is not None
    assert q8.concentration.posts_share >= 0.8
    assert q8.concentration.days <= 0.2 * q8.concentration.span_days
    note = next(n for n in q8.notes if str(q8.concentration.days) in n)
    assert ("días" in note) if lang == "es" else ("days" in note)
    activity = q8_section(window, Previous())["activity"]
    assert activity["volume_trend"] is None
    assert activity["engagement_trend"] is None
    assert activity["concentration"]["days"] == q8.concentration.days


def test_a_window_spread_evenly_keeps_its_trend() -> None:
    posts = [post("Hola banco", published_at=START + timedelta(hours=11 * k)) for k in range(300)]
    q8 = _q8(window_for(posts, days=140, end=START + timedelta(days=140)))
    assert q8.concentration is None
    assert q8.volume_trend is not None


# --------------------------------------------------------------------------- formatting


def test_rates_are_written_readably() -> None:
    assert fmt_rate(0.0001234, "es") == "0,012 %"
    assert fmt_rate(0.0001234, "en") == "0.012%"
    assert fmt_rate(0.3651, "es") == "36,5 %"
    assert fmt_rate(0.0967, "en") == "9.7%"
    assert fmt_rate(0.0, "es") == "0 %"
    assert fmt_rate(0.0042, "es") == "0,42 %"
    for x in (0.00004, 0.0000061, 0.00049):
        for lang in ("es", "en"):
            for digits in (0, 1, 2):
                assert not ZERO_PCT.search(fmt_pct(x, lang, digits)), (x, lang, digits)
            assert not ZERO_PCT.search(fmt_rate(x, lang))
    assert fmt_pct(0.342, "es") == "34,2 %"
    assert fmt_pct(0.342, "en") == "34.2%"


def test_opportunities_on_tiny_rates_are_written_readably() -> None:
    big = {**OWN, "author_followers": 5_000_000}  # rates of a few in a million
    posts = [
        post(f"Conoce la Tarjeta Clásica ({i})", content_type="image", likes=20 + (i * 37) % 30,
             published_at=_spread(i), **big)
        for i in range(320)
    ]  # fmt: skip
    posts += [
        post(f"Mira el reel de la Tarjeta Clásica ({i})", content_type="reel",
             likes=120 + (i * 53) % 60,
             published_at=_spread(i), **big)
        for i in range(80)
    ]  # fmt: skip
    for lang in ("es", "en"):
        q6 = _q6(window_for(posts, lang=lang, days=70))
        assert q6.opportunities
        for o in q6.opportunities:
            assert not ZERO_PCT.search(o.action), o.action


# --------------------------------------------------------------------------- BBVA


def _bbva_posts() -> list[PostRecord]:
    """The tweets as an analyst of BBVA Perú imports them (bench/real_data.py)."""
    return bbva_records(BBVA, "bbva_peru".__eq__)


@pytest.mark.skipif(not BBVA.exists(), reason="the BBVA file is not in ../shared/data")
def test_bbva_evidence_before_advice() -> None:
    client = ClientProfile(
        name="BBVA Perú",
        industry="banking",
        country="PE",
        language="es",
        competitors=(CompetitorProfile("Santander"), CompetitorProfile("Citibanamex")),
        handles=("bbva_peru",),
        aliases=("BBVA",),
    )
    window = Window.build(
        _bbva_posts(),
        client=client,
        start=datetime(2020, 6, 1, tzinfo=UTC),
        end=datetime(2020, 11, 1, tzinfo=UTC),
        language="es",
        timezone="America/Lima",
    )
    q6 = _q6(window)
    risky = {r.segment for r in q6.risks}
    for o in q6.opportunities:
        assert o.dimension != "language", o.action
        assert not (o.dimension == "topic" and o.segment in risky)
        assert "sexenio" not in o.segment, o.segment
        assert o.posts >= min_sample(q6.posts_analyzed if o.dimension == "topic" else 0)
        assert o.lift_low > 1
        assert not ZERO_PCT.search(o.action), o.action
    q8 = _q8(window)
    assert q8.volume_trend is None
    assert q8.engagement_trend is None
    assert q8.concentration is not None
    for best in q8.best_windows:
        assert best.posts >= MIN_SAMPLE_POSTS
        assert best.lift_low > 1
    for spike in window.spikes:
        assert spike.kind == "negative_share"
        assert spike.posts >= MIN_SPIKE_DAY_POSTS

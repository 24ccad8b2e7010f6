"""Q9 recommendations and Q10 summary (issue 11, item 7): each action cites its question
and figure; nothing they advise contradicts the rules on competitors, media and evidence
(app/analyses/questions/advice.py); Q10 says what its figures stand on before its
findings; both speak the tenant's language.

The stored results they read are built from each question's documented example, changed
where a rule is meant to bite, so each test sets exactly the figure it is about.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from app.analyses.questions.advice import INPUTS
from app.analyses.questions.q09_recommendations.result import RecommendationsResult
from app.analyses.questions.q10_summary.result import SummaryResult
from app.analyses.registry import BY_KEY
from app.analyses.window import Window
from app.clients.service import CompetitorProfile
from tests.analyses.builders import CLIENT, END, answer, post, window_for

RIVAL = CompetitorProfile("Banco Rival", handles=("rival_pe",))
CLIENT_WITH_RIVAL = replace(CLIENT, competitors=(RIVAL,))
TOPIC = "gobierno / congreso"


def _example(key: str) -> dict[str, Any]:
    return copy.deepcopy(BY_KEY[key].result.model_json_schema()["examples"][0])


def _spread_window(lang: str = "es", **kw: Any) -> Window:
    """300 posts, one every six hours over 75 days: a window whose trends mean something."""
    posts = [
        post(f"consulta número {i} sobre mi cuenta", published_at=END - timedelta(hours=6 * i))
        for i in range(300)
    ]
    return window_for(posts, lang=lang, days=80, **kw)


def _topics(label: str = TOPIC, *, sentiment: float = 0.3) -> dict[str, Any]:
    """Q3 with one sizable topic rising from 10% to 30% of the posts."""
    q3 = _example("q3")
    topic = q3["topics"][0]
    topic.update(
        label=label,
        posts=500,
        distinct_texts=480,
        share=0.2,
        mean_sentiment=sentiment,
        trend={
            "direction": "rising",
            "share_first_half": 0.1,
            "share_second_half": 0.3,
            "change": 0.2,
        },
    )
    return q3


def _opportunities(risk: str | None = TOPIC) -> dict[str, Any]:
    """Q6 with no opportunity, and `risk` (if given) as its one topic risk (politics)."""
    q6 = _example("q6")
    q6["opportunities"] = []
    if risk is None:
        q6["risks"] = []
    else:
        q6["risks"][0].update(segment=risk, reasons=["politics"], action=f"Gestionar «{risk}».")
    return q6


def _q9(window: Window, stored: dict[str, Any]) -> RecommendationsResult:
    result = answer("q9", window, stored)
    assert isinstance(result, RecommendationsResult)
    return result


def _q10(window: Window, stored: dict[str, Any]) -> SummaryResult:
    result = answer("q10", window, stored)
    assert isinstance(result, SummaryResult)
    return result


def _content_on(result: RecommendationsResult, label: str) -> list[str]:
    return [r.action for r in result.recommendations if r.area == "content" and label in r.action]


# --------------------------------------------------------------------------- topics


def test_a_rising_political_topic_is_a_risk_to_manage_never_content() -> None:
    window = _spread_window()
    stored = {"q3": _topics(), "q6": _opportunities(TOPIC)}
    q9 = _q9(window, stored)
    assert not _content_on(q9, TOPIC)
    managed = [r for r in q9.recommendations if TOPIC in r.action]
    assert [r.area for r in managed] == ["reputation"]
    assert managed[0].evidence[0].source == "q6"
    assert TOPIC in managed[0].evidence[0].figure
    q10 = _q10(window, stored)
    assert not [o for o in q10.opportunities if TOPIC in o]
    assert [r for r in q10.risks if TOPIC in r and "política" in r]
    # The same topic cleared by Q6: the content advice the rule was holding back.
    cleared = {"q3": _topics(), "q6": _opportunities(None)}
    assert _content_on(_q9(window, cleared), TOPIC)
    assert [o for o in _q10(window, cleared).opportunities if TOPIC in o]


def test_no_content_advice_on_a_topic_without_q6s_risk_check() -> None:
    window = _spread_window()
    q9 = _q9(window, {"q3": _topics()})
    assert not _content_on(q9, TOPIC)
    assert "q6" in q9.missing_inputs
    assert not [o for o in _q10(window, {"q3": _topics()}).opportunities if TOPIC in o]


def test_a_negative_topic_is_a_problem_to_tackle_not_content() -> None:
    window = _spread_window()
    stored = {"q3": _topics("comisiones / cobro", sentiment=-0.4), "q6": _opportunities(None)}
    q9 = _q9(window, stored)
    assert not _content_on(q9, "comisiones / cobro")
    tackle = next(r for r in q9.recommendations if "comisiones / cobro" in r.action)
    assert (tackle.area, tackle.evidence[0].source) == ("reputation", "q3")


def test_a_topic_too_small_for_its_window_is_not_advised_on() -> None:
    window = _spread_window()
    q3 = _topics()
    q3["topics"][0].update(posts=29, distinct_texts=29, share=0.0116)  # under 30 posts
    stored = {"q3": q3, "q6": _opportunities(None)}
    assert not [r for r in _q9(window, stored).recommendations if TOPIC in r.action]
    assert not [o for o in _q10(window, stored).opportunities if TOPIC in o]


def test_a_collection_burst_has_no_trend_to_advise_on() -> None:
    sparse = [post("hola", published_at=END - timedelta(days=100 - 12 * k)) for k in range(5)]
    burst = [post(f"consulta {k}", published_at=END - timedelta(hours=k)) for k in range(200)]
    window = window_for(sparse + burst, lang="es", days=110)
    assert window.concentration() is not None
    stored = {"q3": _topics(), "q6": _opportunities(None)}
    assert not _content_on(_q9(window, stored), TOPIC)
    q10 = _q10(window, stored)
    assert not q10.opportunities
    assert q10.coverage.concentration is not None
    assert any("no se informa ninguna tendencia" in c for c in q10.context)
    largest = next(f for f in q10.findings if TOPIC in f)
    assert "en aumento" not in largest  # the topic's direction is not said either


def test_a_topic_about_a_competitor_is_neither_the_brands_risk_nor_its_content() -> None:
    window = _spread_window(client=CLIENT_WITH_RIVAL)
    label = "app Banco Rival / caída"
    stored = {"q3": _topics(label), "q6": _opportunities(label)}
    q9 = _q9(window, stored)
    assert not [r for r in q9.recommendations if label in r.action]
    q10 = _q10(window, stored)
    assert not [x for x in q10.risks + q10.opportunities if label in x]
    assert any(label in f and "Temas sobre competidores" in f for f in q10.findings)
    # Without the competitor on the client, the same topic is the brand's risk again.
    plain = _spread_window()
    assert [r for r in _q9(plain, stored).recommendations if label in r.action]


# --------------------------------------------------------------------------- competitors


def _benchmark(brand: tuple[int, float], rival: tuple[int, float]) -> dict[str, Any]:
    """Q11 with the brand and Banco Rival: (mentions, negative share) of each."""
    q11 = _example("q11")
    total = brand[0] + rival[0]

    def contender(name: str, is_brand: bool, mentions: int, negative: float) -> dict[str, Any]:
        c = copy.deepcopy(q11["contenders"][0])
        c.update(
            name=name,
            is_brand=is_brand,
            mentions=mentions,
            share_of_voice=round(mentions / total, 4),
            negative_share=negative,
            positive_share=0.1,
            net_score=round(0.1 - negative, 4),
            top_themes=[{"topic": "app móvil", "posts": mentions // 3}],
        )
        return c

    q11["contenders"] = [
        contender(CLIENT.name, True, *brand),
        contender(RIVAL.name, False, *rival),
    ]
    q11["mentions_total"] = total
    return q11


def test_a_louder_competitor_is_a_positioning_action_never_a_partner() -> None:
    window = _spread_window(client=CLIENT_WITH_RIVAL)
    stored = {"q11": _benchmark((100, 0.2), (300, 0.5))}
    q9 = _q9(window, stored)
    louder = next(r for r in q9.recommendations if RIVAL.name in r.action)
    assert louder.area == "positioning"
    assert "colaborar" not in louder.action
    assert louder.evidence[0].source == "q11"
    assert "75,0 %" in louder.evidence[0].figure  # the rival's share of voice
    q10 = _q10(window, stored)
    assert any(RIVAL.name in r and "75,0 %" in r for r in q10.risks)
    assert any("Cuota de voz" in f for f in q10.findings)
    # 20% against 50% negative on 100 and 300 mentions: the brand is clearly less negative.
    assert any("menos negativas" in f and RIVAL.name in f for f in q10.findings)


def test_a_competitor_with_few_mentions_or_a_difference_within_noise_says_nothing() -> None:
    window = _spread_window(client=CLIENT_WITH_RIVAL)
    few = {"q11": _benchmark((10, 0.2), (25, 0.6))}  # under 30 mentions each
    assert not [r for r in _q9(window, few).recommendations if RIVAL.name in r.action]
    close = {"q11": _benchmark((200, 0.40), (100, 0.36))}  # intervals overlap
    q9 = _q9(window, close)
    assert not [r for r in q9.recommendations if RIVAL.name in r.action]
    q10 = _q10(window, close)
    assert not [x for x in q10.risks + q10.findings if "negativas que" in x]
    worse = {"q11": _benchmark((300, 0.55), (200, 0.30))}
    action = next(r for r in _q9(window, worse).recommendations if RIVAL.name in r.action)
    assert "más negativas" in action.action
    assert action.evidence[0].source == "q11"


# --------------------------------------------------------------------------- context


@pytest.mark.parametrize("lang", ["es", "en"])
def test_q10_says_coverage_retweets_and_neutral_share_before_its_findings(lang: str) -> None:
    originals = [
        post(f"texto original {i}", author_handle=f"autor{i}", published_at=END - timedelta(days=i))
        for i in range(40)
    ]
    retweets = [
        post(f"RT @autor{i}: texto original {i}", published_at=END - timedelta(days=i, hours=-1))
        for i in range(10)
    ]
    window = window_for(originals + retweets, lang=lang, days=60)
    q10 = _q10(window, {})
    c = q10.coverage
    assert (c.retweets, c.retweet_share, c.distinct_texts) == (10, 0.2, 40)
    assert c.days_with_posts == 40
    assert c.first_post is not None
    assert c.last_post is not None
    assert (c.last_post - c.first_post).days + 1 == c.span_days
    assert c.emotion_neutral_share is None  # no Q1 result stored
    period, copies, neutral = q10.context
    assert ("40 de sus" if lang == "es" else "on 40 of its") in period
    assert ("20,0 %" if lang == "es" else "20.0%") in copies
    assert ("retuits" if lang == "es" else "retweets") in copies
    assert ("neutras" if lang == "es" else "neutral") in neutral
    assert ("10 retuits" if lang == "es" else "10 retweets") in q10.headline
    # The schema puts what the figures stand on before the findings.
    fields = list(SummaryResult.model_fields)
    assert fields.index("context") < fields.index("findings")


@pytest.mark.parametrize("lang", ["es", "en"])
def test_what_is_missing_is_said_in_the_tenants_language(lang: str) -> None:
    window = _spread_window(lang)
    q9 = _q9(window, {})
    assert q9.missing_inputs == [q.key for q in INPUTS]
    keys = ", ".join(q.key for q in INPUTS)
    assert q9.notes[-1] == (
        f"No hay resultados guardados de {keys} en los que basarse; ejecútelos antes."
        if lang == "es"
        else f"No stored results of {keys} to build on; run them first."
    )

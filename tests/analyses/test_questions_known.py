"""Known small inputs give known outputs, question by question."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from app.ai.local.frames import detect_frames
from app.analyses.questions.q01_emotions.result import EmotionsResult
from app.analyses.questions.q03_topics.local import trend
from app.analyses.questions.q03_topics.result import TopicsResult
from app.analyses.questions.q04_frames.result import FramesResult
from app.analyses.questions.q05_influencers.result import InfluencersResult
from app.analyses.questions.q06_opportunities.result import OpportunitiesResult
from app.analyses.questions.q07_sentiment.result import SentimentResult
from app.analyses.questions.q08_temporal.result import TemporalResult
from app.analyses.questions.q09_recommendations.result import RecommendationsResult
from app.analyses.questions.q10_summary.result import SummaryResult
from app.analyses.registry import BY_KEY
from app.analyses.statistics import shares
from app.analyses.wording import fmt_date, fmt_pct
from tests.analyses.builders import END, answer, post, window_for

JOY = [
    "¡Qué felicidad! Me encanta mi nueva tarjeta, estoy feliz 😊",
    "Estoy feliz, qué alegría, me encanta 🥳",
    "I love it, so happy and delighted! 😍",
]
ANGER = "Estoy furioso, qué rabia, es indignante 😡"
POSITIVE = [
    "Excelente atención, muy amables, los recomiendo",
    "Great service, amazing staff, I love this bank!",
    "I love it, so happy and delighted! 😍",
]
NEUTRAL = "¿A qué hora abre la agencia?"


def test_q1_joy_and_anger() -> None:
    posts = [post(t, platform="instagram") for t in JOY] + [post(ANGER, platform="x")]
    result = answer("q1", window_for(posts))
    assert isinstance(result, EmotionsResult)
    shares_by = {d.emotion: d.share for d in result.distribution}
    assert shares_by["joy"] == 0.75
    assert shares_by["anger"] == 0.25
    assert sum(shares_by.values()) == 1.0
    assert result.dominant_emotion == "joy"
    assert result.dominant_non_neutral == "joy"
    assert [e.emotion for e in result.examples] == ["joy", "anger"]
    assert len(result.examples[0].posts) == 3
    assert result.examples[1].posts[0].post_id == posts[3].id
    platforms = {p.platform: p for p in result.by_platform}
    assert platforms["instagram"].shares.joy == 1.0
    assert platforms["x"].dominant_emotion == "anger"
    assert sum(w.posts for w in result.over_time) == 4
    assert any("Only 4 posts" in n for n in result.notes)


def test_q7_shares_net_and_extremes() -> None:
    posts = [post(t) for t in POSITIVE] + [post(ANGER), post(NEUTRAL)]
    result = answer("q7", window_for(posts))
    assert isinstance(result, SentimentResult)
    assert (result.positive, result.neutral, result.negative) == (3, 1, 1)
    assert (result.positive_share, result.neutral_share, result.negative_share) == (0.6, 0.2, 0.2)
    assert result.net_score == 0.4
    assert result.granularity == "day"
    assert result.most_negative[0].post_id == posts[3].id
    assert result.most_negative[0].score < -0.5
    assert {e.post_id for e in result.most_positive} == {p.id for p in posts[:3]}


def test_q7_finds_a_negative_spike() -> None:
    start = datetime(2025, 4, 1, 17, 0, tzinfo=UTC)  # 12:00 in Lima
    posts = [
        post(NEUTRAL, published_at=start + timedelta(days=d, minutes=m))
        for d in range(14)
        for m in range(30)
    ]
    posts += [post(ANGER, published_at=start + timedelta(days=9, minutes=m)) for m in range(12)]
    result = answer("q7", window_for(posts))
    assert isinstance(result, SentimentResult)
    spikes = {(s.day, s.kind): s for s in result.spikes}
    share = spikes[(datetime(2025, 4, 10).date(), "negative_share")]
    assert share.negative_posts == 12
    assert share.posts == 42
    assert share.z_score > 2
    assert len(result.spikes) == 1


def test_q8_cells_in_the_tenant_time_zone() -> None:
    tuesday_evening = datetime(2025, 3, 5, 1, 30, tzinfo=UTC)  # Tue 20:30 in Lima (UTC-5)
    saturday_morning = datetime(2025, 3, 8, 15, 0, tzinfo=UTC)  # Sat 10:00 in Lima
    posts = [
        post(NEUTRAL, published_at=tuesday_evening, likes=40),
        post(NEUTRAL, published_at=saturday_morning, likes=10),
        post(NEUTRAL, published_at=saturday_morning + timedelta(minutes=20), likes=20),
    ]
    result = answer("q8", window_for(posts))
    assert isinstance(result, TemporalResult)
    cells = {(c.weekday, c.hour): c for c in result.cells}
    assert len(cells) == 168
    assert cells[(1, 20)].posts == 1
    assert cells[(1, 20)].mean_engagement == 41
    assert cells[(5, 10)].posts == 2
    assert cells[(5, 10)].mean_engagement == 16
    assert sum(c.posts for c in result.cells) == 3
    madrid = answer("q8", window_for(posts, tz="Europe/Madrid"))
    assert isinstance(madrid, TemporalResult)
    assert {(c.weekday, c.hour) for c in madrid.cells if c.posts} == {(2, 2), (5, 16)}
    assert madrid.timezone == "Europe/Madrid"


def test_q8_best_window_and_trend() -> None:
    thursday_19 = datetime(2025, 3, 14, 0, 0, tzinfo=UTC)  # Thu 13 March 19:00 in Lima
    own = {"is_own": True, "platform": "instagram", "author_followers": 100_000}
    posts = [
        post(
            f"Nuevo en la app ({w}, {m})",
            published_at=thursday_19 + timedelta(weeks=w, minutes=m),
            likes=5000,
            **own,
        )
        for w in range(10)
        for m in range(3)
    ]
    posts += [
        post(
            f"Nuevo en la app, más tarde ({w}, {d})",
            published_at=thursday_19 + timedelta(weeks=w, hours=15 + d),
            likes=500,
            **own,
        )
        for w in range(10)
        for d in range(2)
    ]
    result = answer("q8", window_for(posts, days=90))
    assert isinstance(result, TemporalResult)
    assert result.best_windows_basis == "own"
    best = result.best_windows[0]
    assert (best.weekday, best.hour) == (3, 19)
    assert best.label == "Thursday 19:00"
    assert best.posts == 30
    assert best.lift == pytest.approx(0.05 / ((30 * 0.05 + 20 * 0.005) / 50), rel=1e-3)
    assert best.lift_low > 1
    assert len(result.best_windows) == 1  # the other slots: 10 posts each, too few
    assert result.volume_trend is not None
    assert result.volume_trend.direction == "stable"


def test_q6_finds_a_planted_gap() -> None:
    when = datetime(2025, 1, 7, 15, 0, tzinfo=UTC)
    text = "Conoce la Tarjeta Clásica"
    base = {"is_own": True, "platform": "instagram", "author_followers": 100_000}
    posts = [
        post(
            f"{text} ({i})",  # every text different: Q6 counts each text once
            content_type="image",
            likes=1000,
            published_at=when + timedelta(weeks=i % 12),
            **base,
        )
        for i in range(360)
    ]
    posts += [
        post(
            f"{text}, en reel ({i})",
            content_type="reel",
            likes=10_000,
            published_at=when + timedelta(weeks=i % 12),
            **base,
        )
        for i in range(40)
    ]
    result = answer("q6", window_for(posts, lang="es", days=120))
    assert isinstance(result, OpportunitiesResult)
    assert result.basis == "own"
    top = result.opportunities[0]
    assert (top.dimension, top.segment, top.posts) == ("content_type", "reel", 40)
    assert top.volume_share == 0.1
    assert round(top.lift, 2) == round(0.1 / (0.9 * 0.01 + 0.1 * 0.1), 2)
    assert top.gap_score == round((top.lift - 1) * (1 - 0.1), 4)
    assert top.lift_low <= top.lift <= top.lift_high
    assert "«reel»" in top.action
    assert "10,0 %" in top.action
    assert {f.name for f in top.evidence} >= {"posts", "lift over baseline"}


def test_q5_ranks_a_planted_influencer_first() -> None:
    posts = [
        post(
            f"Buen servicio de @bancoandino, gracias {i}",
            author_handle=f"user{i}",
            author_followers=300,
            likes=2,
            mentions=("bancoandino",),
        )
        for i in range(20)
    ]
    posts += [
        post(f"Excelente atención de @bancoandino, los recomiendo @diegotrail (día {d})",
             author_handle="megafan", author_followers=500_000, likes=20_000,
             mentions=("bancoandino", "diegotrail"), published_at=END - timedelta(days=d))
        for d in range(1, 4)
    ]  # fmt: skip
    posts += [post("Nueva promo", is_own=True, author_followers=2_000_000, likes=90_000)]
    result = answer("q5", window_for(posts, lang="es"))
    assert isinstance(result, InfluencersResult)
    assert result.posts_analyzed == 23
    top = result.authors[0]
    assert top.handle == "megafan"
    assert (top.posts, top.followers, top.total_engagement) == (3, 500_000, 3 * 20_001)
    assert top.brand_mention_posts == 3
    assert top.stance == "supportive"
    assert top.influence_score == 1.0
    assert "bancoandino" not in {a.handle for a in result.authors}
    assert [m.handle for m in result.mentioned_accounts] == ["diegotrail"]
    assert result.mentioned_accounts[0].mentions == 3


def _group(words: list[str], tail: list[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.sample(words, 4) + rng.sample(tail, 1)) for _ in range(n)]


def test_q3_separates_two_planted_topics() -> None:
    shipping = _group(
        ["pedido", "envío", "retraso", "paquete", "entrega", "courier", "llegó", "tarde"],
        ["hoy", "otra vez", "por favor"],
        16,
        1,
    )
    running = _group(
        ["maratón", "zapatillas", "kilómetros", "correr", "entrenamiento", "carrera", "ritmo"],
        ["hoy", "otra vez", "por favor"],
        16,
        2,
    )
    posts = [post(t) for t in shipping] + [post(t) for t in running]
    window = window_for(posts, lang="es")
    result = answer("q3", window)
    assert isinstance(result, TopicsResult)
    assert result.k >= 2
    model_topics = {t.topic_id: t for t in result.topics}
    assert len(model_topics) == result.k
    model = window.topics
    first = {model.dominant[i] for i in range(16)}
    second = {model.dominant[i] for i in range(16, 32)}
    assert -1 not in first | second
    assert not first & second  # no topic mixes the two groups
    shipping_words = {"pedido", "envío", "retraso", "paquete", "entrega", "courier", "tarde"}
    labels = " ".join(t.label for t in result.topics)
    assert any(w in labels for w in shipping_words)
    assert any(w in labels for w in ("maratón", "zapatilla", "kilómetro", "correr", "carrera"))
    assert sum(t.posts for t in result.topics) + result.unassigned_posts == 32


def test_q3_trend_rule() -> None:
    assert trend(10, 100, 20, 100).direction == "rising"
    assert trend(20, 100, 10, 100).direction == "falling"
    assert trend(20, 100, 22, 100).direction == "stable"
    flat = trend(0, 0, 5, 10)
    assert (flat.direction, flat.share_second_half) == ("stable", 0.5)


def test_detect_frames() -> None:
    assert detect_frames("Me cobran S/ 57 de comisión, qué vergüenza", "es") == (
        "economic",
        "morality",
    )
    assert detect_frames("Nadie me responde, exijo una solución", "es") == (
        "conflict",
        "responsibility",
    )
    assert detect_frames("Lanzamos la nueva colección. Descúbrela en el link en bio", "es") == (
        "brand",
    )
    assert detect_frames("My mom ran her first marathon, so proud", "en") == ("human_interest",)
    assert detect_frames("Switching to another bank, they are better than you", "en") == (
        "conflict",
    )
    assert detect_frames("Hola", "es") == ()


def test_q4_frame_shares() -> None:
    posts = [
        post("Me cobran S/ 57 de comisión, qué vergüenza", likes=50),
        post("El precio subió otra vez", likes=10),
        post("Lanzamos la nueva colección, descúbrela", is_own=True, likes=100),
        post("Hola"),
    ]
    result = answer("q4", window_for(posts, lang="es"))
    assert isinstance(result, FramesResult)
    frames = {f.frame: f for f in result.frames}
    assert frames["economic"].posts == 2
    assert frames["economic"].share == 0.5
    assert frames["brand"].own_posts == 1
    assert frames["morality"].share == 0.25
    assert result.dominant_frame == "economic"
    assert result.posts_without_frame == 1
    assert frames["economic"].examples[0].post_id == posts[0].id


def _q7_previous(negative: float) -> dict[str, object]:
    example = dict(BY_KEY["q7"].result.model_json_schema()["examples"][0])
    positive = round(1 - negative - 0.3, 4)
    example.update(
        negative_share=negative,
        positive_share=positive,
        neutral_share=0.3,
        net_score=round(positive - negative, 4),
        spikes=[],
    )
    return example


def test_q9_rules_cite_their_figures() -> None:
    previous = {"q7": _q7_previous(0.34)}
    en = answer("q9", window_for([post(NEUTRAL)], lang="en"), previous)
    assert isinstance(en, RecommendationsResult)
    first = en.recommendations[0]
    assert (first.priority, first.level, first.area) == (1, "high", "reputation")
    assert first.evidence[0].source == "q7"
    assert first.evidence[0].figure == "negative share 34%"
    assert "34%" in first.action
    assert en.inputs_used == ["q7"]
    assert en.missing_inputs == [q.key for q in BY_KEY["q9"].depends_on if q.key != "q7"]
    es = answer("q9", window_for([post(NEUTRAL)], lang="es"), previous)
    assert isinstance(es, RecommendationsResult)
    assert es.language == "es"
    assert es.recommendations[0].evidence[0].figure == "proporción negativa 34 %"
    assert "publicaciones son negativas" in es.recommendations[0].action


def test_q10_summary_in_both_languages() -> None:
    posts = [post(t) for t in POSITIVE] + [post(ANGER), post(NEUTRAL, is_own=True, likes=100)]
    en = answer("q10", window_for(posts, lang="en"), {"q7": _q7_previous(0.2)})
    assert isinstance(en, SummaryResult)
    assert en.kpis.posts == 5
    assert en.kpis.own_posts == 1
    assert en.kpis.mentions == 4
    assert en.kpis.net_sentiment == 0.4
    assert en.kpis.top_emotion in ("joy", "trust")
    assert en.coverage.first_post == en.coverage.last_post
    day = fmt_date(en.coverage.first_post, "en")  # e.g. "28 May 2025"
    assert en.headline == (
        f"5 posts on {day} (1 own, 4 mentions, 0 retweets); net sentiment +40 pts with 20.0% "
        "neutral; top topic: none."
    )
    # What the figures stand on comes before the findings: period, copies, neutral share.
    assert en.context == [
        f"All posts are from one day, {day}.",
        "No post is a retweet or repeats an earlier text.",
        "20.0% of the posts are neutral (neither positive nor negative).",
    ]
    assert (en.coverage.retweets, en.coverage.neutral_share) == (0, 0.2)
    assert (
        en.findings[0] == "60.0% of posts are positive and 20.0% negative (net sentiment +40 pts)."
    )
    assert "q1" in en.missing_inputs
    assert "q7" not in en.missing_inputs
    es = answer("q10", window_for(posts, lang="es"))
    assert isinstance(es, SummaryResult)
    assert es.headline.startswith("5 publicaciones del ")
    assert "(1 propias, 4 menciones, 0 retuits); sentimiento neto +40 pts con el 20,0 %" in (
        es.headline
    )
    assert es.findings[0].startswith("El 60,0 % de las publicaciones son positivas")
    assert es.risks == ["El 20,0 % de las publicaciones son negativas."]


def test_common_helpers() -> None:
    assert shares([1, 1, 1]) == [0.3334, 0.3333, 0.3333]
    assert sum(shares([7, 3, 5, 11])) == 1.0
    assert shares([0, 0]) == [0.0, 0.0]
    assert fmt_pct(0.342, "en") == "34.2%"
    assert fmt_pct(0.342, "es") == "34,2 %"

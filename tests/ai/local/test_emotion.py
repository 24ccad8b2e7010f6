"""Emotion labels and score distribution of the offline engine."""

from __future__ import annotations

import math

import httpx
import pytest

from app.ai.local import EMOTIONS, analyze_text
from app.core.enums import Role
from tests.factories import TenantWorld


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("Estoy furioso, qué rabia me da esto", "anger"),
        ("I am so angry and furious right now", "anger"),
        ("Tengo mucho miedo, estoy aterrada", "fear"),
        ("I'm scared and worried about tomorrow", "fear"),
        ("¡Qué feliz estoy, lo logramos!", "joy"),
        ("So happy, we won!", "joy"),
        ("Estoy muy triste, lloré toda la noche", "sadness"),
        ("I'm so sad, I cried all night", "sadness"),
        ("Qué asco, me da náuseas", "disgust"),
        ("That is disgusting, gross", "disgust"),
        ("¡No me lo puedo creer, qué sorpresa!", "surprise"),
        ("Wow, I can't believe it, what a surprise", "surprise"),
        ("Confío plenamente en ustedes, son muy profesionales", "trust"),
        ("I trust them, very reliable and honest", "trust"),
        ("Mañana abre la tienda a las nueve", "neutral"),
        ("The store opens at nine tomorrow", "neutral"),
    ],
)
def test_unambiguous_sentences(text: str, emotion: str) -> None:
    assert analyze_text(text).emotion_label == emotion


@pytest.mark.parametrize(
    "text",
    ["", "😂", "hola", "Estoy furioso", "I trust you but I'm scared", "no tengo miedo", "x" * 500],
)
def test_scores_cover_all_emotions_and_sum_to_one(text: str) -> None:
    scores = analyze_text(text).emotion_scores
    assert tuple(scores) == EMOTIONS
    assert math.isclose(sum(scores.values()), 1.0, abs_tol=1e-6)
    assert all(0.0 <= v <= 1.0 for v in scores.values())


def test_label_is_the_top_score() -> None:
    result = analyze_text("Qué miedo, estoy temblando")
    assert result.emotion_scores[result.emotion_label] == max(result.emotion_scores.values())


def test_negated_emotion_is_not_that_emotion() -> None:
    assert analyze_text("no tengo miedo", "es").emotion_label != "fear"


def test_emoji_carry_emotion() -> None:
    assert analyze_text("😡😡").emotion_label == "anger"
    assert analyze_text("😭😭💔").emotion_label == "sadness"


# --- gratitude is not anger (issue 11, item 5) -------------------------------------------

GRATEFUL = [
    "Gracias @bbva_peru por resolver mi reclamo tan rápido",
    "Excelente atención, gracias por resolver mi reclamo",
    "Muchas gracias por solucionar mi problema, muy amables",
    "Muy amable, excelente atención",
    "Gracias por la atención, todo resuelto",
    "Thanks @bbva for fixing my claim so fast",
    "Thank you so much for resolving my complaint, very kind",
    "Great service, thanks for fixing it",
]


@pytest.mark.parametrize("text", GRATEFUL)
def test_gratitude_scores_joy_or_trust_above_anger(text: str) -> None:
    result = analyze_text(text)
    scores = result.emotion_scores
    warm = max(scores["joy"], scores["trust"])
    assert warm > max(scores["anger"], scores["disgust"], scores["sadness"])
    assert result.emotion_label in ("joy", "trust")
    assert result.sentiment_label == "positive"


@pytest.mark.parametrize(
    "text",
    [
        "Gracias por nada, mi reclamo sigue sin respuesta",
        "No resolvieron mi reclamo, estoy furioso",
        "They never fixed my problem, I am furious",
    ],
)
def test_sarcastic_or_unresolved_complaints_stay_negative(text: str) -> None:
    result = analyze_text(text)
    scores = result.emotion_scores
    assert scores["anger"] + scores["sadness"] > scores["joy"] + scores["trust"]
    assert result.sentiment_label == "negative"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # A phrase in one word list keeps what its words carry in the other.
        ("El servicio está muy mal", "negative"),
        ("muy mal servicio", "negative"),
        ("great service", "positive"),
    ],
)
def test_phrases_keep_the_valence_of_their_words(text: str, label: str) -> None:
    assert analyze_text(text).sentiment_label == label


@pytest.mark.parametrize("text", ["Gracias por todo", "thanks so much", "thank you so much"])
def test_thanks_in_a_phrase_is_still_joy(text: str) -> None:
    assert analyze_text(text).emotion_label == "joy"


def test_a_resolved_complaint_is_not_a_complaint() -> None:
    resolved = analyze_text("Me resolvieron el reclamo en un día", "es")
    pending = analyze_text("Tengo un reclamo pendiente hace un mes", "es")
    assert resolved.sentiment_score > pending.sentiment_score
    assert resolved.emotion_scores["anger"] < pending.emotion_scores["anger"]
    assert resolved.emotion_scores["anger"] < resolved.emotion_scores["trust"]
    assert resolved.sentiment_label != "negative"
    fixed = analyze_text("They fixed the problem with my card", "en")
    assert fixed.sentiment_label != "negative"


@pytest.mark.parametrize(
    "text",
    [
        "Hola Carlos, gracias por escribirnos. Un saludo",
        "Gracias a ti por escribirnos. ¡Saludos!",
        "Thanks for reaching out, kind regards",
    ],
)
def test_a_reply_formula_is_politeness_not_joy(text: str) -> None:
    result = analyze_text(text)
    assert result.emotion_label == "neutral"
    assert result.sentiment_label != "negative"


async def test_analyze_text_reads_gratitude_as_gratitude(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    r = await client.post(
        "/api/v1/analyze/text",
        headers=tenant_a.headers(Role.viewer),
        json={"texts": ["Gracias @bbva_peru por resolver mi reclamo tan rápido"]},
    )
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    scores = item["emotion_scores"]
    assert max(scores["joy"], scores["trust"]) > scores["anger"]
    assert item["emotion_label"] in ("joy", "trust")

"""Emotion labels and score distribution of the offline engine."""

from __future__ import annotations

import math

import pytest

from app.ai.local import EMOTIONS, analyze_text


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

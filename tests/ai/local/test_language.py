"""Language identification: Spanish, English, or undetermined."""

from __future__ import annotations

import pytest

from app.ai.local import analyze_text, detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hola, ¿cómo estás? Hoy es un buen día para salir", "es"),
        ("El vuelo llegó tarde otra vez y nadie nos dio información", "es"),
        ("No me gusta", "es"),
        ("gracias", "es"),
        ("Hello, how are you? Today is a good day to go out", "en"),
        ("My flight was delayed again and nobody told us anything", "en"),
        ("not bad", "en"),
        ("thanks", "en"),
        ("", "und"),
        ("   ", "und"),
        ("😂😂😂", "und"),
        ("@user https://t.co/abc 2020", "und"),
        ("!!! ??? :)", "und"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_hashtag_words_count_for_detection() -> None:
    assert detect_language("#FelizCumpleaños #TeQuieroMucho") == "es"


def test_forced_language_is_reported() -> None:
    assert analyze_text("ok", "en").language == "en"
    assert analyze_text("ok", "es").language == "es"
    assert analyze_text("buen día").language == "es"

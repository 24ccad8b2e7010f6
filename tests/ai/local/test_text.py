"""Retweets and copies of one text (app/ai/local/text.py)."""

from __future__ import annotations

import pytest

from app.ai.local.text import copy_key, retweet_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RT @BBVA_Peru: Nueva app disponible", ("bbva_peru", "Nueva app disponible")),
        ("rt @fan_1 gracias!", ("fan_1", "gracias!")),
        ("  RT @x: ", ("x", "")),
        ("Gracias @BBVA_Peru", None),
        ("ART @x: no es un retweet", None),
        ("RT sin autor", None),
    ],
)
def test_a_retweet_names_its_author_and_original(
    text: str, expected: tuple[str, str] | None
) -> None:
    assert retweet_of(text) == expected


def test_copies_of_one_text_share_a_key() -> None:
    original = "Pésimo servicio en la agencia https://t.co/abc123"
    copies = [
        "RT @cliente: Pésimo servicio en la agencia https://t.co/zzz999",
        "pesimo  servicio en la AGENCIA",
        "RT @otro pésimo servicio en la agencia",
    ]
    assert {copy_key(c) for c in copies} == {copy_key(original)}
    assert copy_key("Excelente servicio en la agencia") != copy_key(original)

"""Sentiment rules of the offline engine on small known inputs (es + en)."""

from __future__ import annotations

import pytest

from app.ai.local import analyze_text


def score(text: str, language: str | None = None) -> float:
    return analyze_text(text, language).sentiment_score


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Me encanta este producto, es excelente", "positive"),
        ("¡Qué feliz estoy, lo logramos!", "positive"),
        ("El servicio es pésimo, una porquería", "negative"),
        ("Estoy muy triste, lloré toda la noche", "negative"),
        ("Mañana abre la tienda a las nueve", "neutral"),
        ("I love this, it's amazing", "positive"),
        ("This is terrible, worst service ever", "negative"),
        ("The store opens at nine tomorrow", "neutral"),
    ],
)
def test_clear_sentences(text: str, label: str) -> None:
    assert analyze_text(text).sentiment_label == label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("qué chévere", "positive"),
        ("bacán la fiesta", "positive"),
        ("qué asco", "negative"),
        ("es una porquería", "negative"),
        ("pésimo", "negative"),
    ],
)
def test_latin_american_slang(text: str, label: str) -> None:
    assert analyze_text(text, "es").sentiment_label == label


def test_negation_flips() -> None:
    assert analyze_text("me gusta", "es").sentiment_label == "positive"
    assert analyze_text("no me gusta", "es").sentiment_label == "negative"
    assert analyze_text("I don't like it", "en").sentiment_label == "negative"
    assert analyze_text("not bad", "en").sentiment_label != "negative"
    assert score("not bad", "en") > 0 > score("bad", "en")
    assert score("nunca es bueno", "es") < 0
    assert score("sin problemas", "es") > score("problemas", "es")


def test_negation_scope_is_limited_to_the_clause() -> None:
    # The negator is in another clause, so "excelente" keeps its sign.
    assert score("no, la comida estuvo excelente", "es") > 0


def test_intensifiers_raise_and_diminishers_lower_magnitude() -> None:
    assert score("muy bueno", "es") > score("bueno", "es") > score("un poco bueno", "es") > 0
    assert score("súper malo", "es") < score("malo", "es") < 0
    assert score("extremely good", "en") > score("good", "en") > score("a bit good", "en") > 0
    assert score("really bad", "en") < score("bad", "en") < score("a bit bad", "en") < 0


def test_elongation_collapses_and_boosts() -> None:
    assert score("graciaaaas", "es") > score("gracias", "es") > 0
    assert analyze_text("graciaaaas", "es").keywords == ["gracias"]
    assert score("sooooo goooood", "en") > score("good", "en")


def test_all_caps_boost() -> None:
    assert score("This is GREAT", "en") > score("This is great", "en") > 0
    assert score("ESTO ES HORRIBLE", "es") < score("esto es horrible", "es") < 0


def test_exclamation_marks_amplify() -> None:
    assert score("Es genial!!!", "es") > score("Es genial", "es") > 0


def test_accents_are_optional() -> None:
    assert score("excelente", "es") == score("excelénte", "es") > 0
    assert score("pesimo", "es") == score("pésimo", "es") < 0


def test_spanish_inflections_via_lemmas_and_suffixes() -> None:
    assert score("odiamos esto", "es") < 0  # odiar
    assert score("unas vistas hermosísimas", "es") > 0  # superlative, feminine plural
    assert score("unos precios pésimos", "es") < 0


def test_but_clause_weighs_more() -> None:
    assert analyze_text("Era caro pero me encantó", "es").sentiment_label == "positive"
    assert analyze_text("The food was great but the service was awful", "en").sentiment_score < 0


def test_hashtags_are_split_and_scored() -> None:
    result = analyze_text("#NoFunciona otra vez")
    assert result.sentiment_label == "negative"
    assert "#nofunciona" in result.keywords
    assert analyze_text("#MeEncanta", "es").sentiment_label == "positive"


def test_mentions_and_urls_are_ignored() -> None:
    plain = analyze_text("Excelente atención", "es")
    noisy = analyze_text("@horrible_user Excelente atención https://t.co/terrible", "es")
    assert noisy.sentiment_score == plain.sentiment_score


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("😍😍", "positive"),
        ("😡", "negative"),
        (":)", "positive"),
        (":(", "negative"),
        (":'(", "negative"),
        ("xD", "positive"),
    ],
)
def test_emoji_and_emoticons(text: str, label: str) -> None:
    result = analyze_text(text)
    assert result.sentiment_label == label
    assert result.language == "und"


def test_laughter_is_not_negative() -> None:
    assert score("jajajaja", "es") >= 0


def test_empty_text() -> None:
    result = analyze_text("")
    assert (result.language, result.sentiment_label, result.sentiment_score) == (
        "und",
        "neutral",
        0,
    )
    assert result.emotion_label == "neutral"
    assert result.keywords == []


def test_scores_are_bounded() -> None:
    for text in [
        "ODIO ODIO ODIO!!!! 😡😡😡😡 qué asco, pésimo",
        "LOVE LOVE LOVE!!!! 😍😍😍 best ever",
    ]:
        assert -1.0 <= score(text) <= 1.0


def test_unsupported_language_is_rejected() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        analyze_text("hola", "pt")

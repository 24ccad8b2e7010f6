"""Tokenisation and keywords (per post and over a set of posts)."""

from __future__ import annotations

from app.ai.local import analyze_text, content_tokens, extract_keywords, tokenize


def test_tokenize_normalises() -> None:
    tokens = tokenize("@user Graciaaas por TODO!! #DiaDelLibro https://t.co/x 😍 jajaja 2020")
    assert tokens == ["gracias", "por", "todo", "#diadellibro", "jaja"]


def test_tokenize_keeps_accents_and_apostrophes() -> None:
    assert tokenize("Canción: I don't know") == ["canción", "i", "don't", "know"]


def test_content_tokens_drop_stopwords_and_lemmatise() -> None:
    assert content_tokens("Los vuelos de hoy se retrasaron #Iberia", "es") == [
        "vuelo",
        "retrasar",
        "#iberia",
    ]
    assert content_tokens("The flights were delayed again", "en") == ["flight", "delay"]


def test_text_keywords_exclude_stopwords_and_keep_hashtags() -> None:
    result = analyze_text("El vuelo de hoy se retrasó otra vez, qué mal servicio #Iberia")
    assert result.keywords[0] == "#iberia"
    assert "vuelo" in result.keywords
    assert len(result.keywords) <= 5
    for stop in ("el", "de", "se", "hoy", "otra", "vez", "qué"):
        assert stop not in result.keywords
    assert all(k == k.lower() for k in result.keywords)


def test_text_keywords_english() -> None:
    result = analyze_text("The flights are always delayed and the crew is rude")
    assert "flight" in result.keywords
    assert "the" not in result.keywords
    assert "are" not in result.keywords


def test_extract_keywords_over_a_corpus() -> None:
    texts = [
        "El vuelo se retrasó otra vez #Iberia",
        "Vuelo retrasado y sin información #Iberia",
        "Servicio al cliente pésimo, vuelo cancelado",
        "The flight was delayed again",
    ]
    keywords = extract_keywords(texts, "es", top_k=5)
    terms = [term for term, _ in keywords]
    assert terms[0] == "vuelo"
    assert "#iberia" in terms
    assert len(keywords) == 5
    assert keywords[0][1] == 1.0
    assert all(0.0 < s <= 1.0 for _, s in keywords)
    assert [s for _, s in keywords] == sorted((s for _, s in keywords), reverse=True)
    for term in terms:
        assert term not in {"el", "se", "otra", "vez", "y", "sin", "al", "the", "was", "again"}


def test_extract_keywords_edge_cases() -> None:
    assert extract_keywords([], "es") == []
    assert extract_keywords(["", "😂", "de la que"], "es") == []
    assert extract_keywords(["hola mundo"], "es", top_k=0) == []


def test_extract_keywords_is_deterministic() -> None:
    texts = ["bueno bonito barato", "barato bonito", "bonito"] * 3
    assert extract_keywords(texts, "es") == extract_keywords(list(texts), "es")

"""Batch analysis equals per-text analysis, and results are well formed."""

from __future__ import annotations

from app.ai.local import EMOTIONS, TextAnalysis, analyze_text, analyze_texts

TEXTS = [
    "Me encanta este producto, es excelente",
    "El servicio es pésimo 😡 #NoFunciona",
    "The flight was delayed again @airline",
    "😂😂",
    "",
    "Me encanta este producto, es excelente",  # duplicate on purpose
    "GRACIAAAS por todo!!!",
    "not bad at all",
]


def test_batch_equals_mapping_single() -> None:
    assert analyze_texts(TEXTS) == [analyze_text(t) for t in TEXTS]
    assert analyze_texts(TEXTS, "es") == [analyze_text(t, "es") for t in TEXTS]


def test_duplicates_do_not_share_mutable_fields() -> None:
    first, *_, dup, _, _ = analyze_texts(TEXTS)
    assert first == dup
    assert first.keywords is not dup.keywords
    assert first.emotion_scores is not dup.emotion_scores


def test_result_shape() -> None:
    for result in analyze_texts(TEXTS):
        assert isinstance(result, TextAnalysis)
        assert result.language in {"es", "en", "und"}
        assert result.sentiment_label in {"positive", "negative", "neutral"}
        assert -1.0 <= result.sentiment_score <= 1.0
        assert result.emotion_label in EMOTIONS
        assert set(result.emotion_scores) == set(EMOTIONS)
        assert len(result.keywords) <= 5


def test_deterministic_across_calls() -> None:
    assert analyze_texts(TEXTS) == analyze_texts(TEXTS)


def test_empty_batch() -> None:
    assert analyze_texts([]) == []


def test_batch_restores_garbage_collector() -> None:
    import gc

    assert gc.isenabled()
    analyze_texts(TEXTS)
    assert gc.isenabled()
    gc.disable()
    try:
        analyze_texts(TEXTS)
        assert not gc.isenabled()
    finally:
        gc.enable()

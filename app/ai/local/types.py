"""Public result type of the local text-analytics engine."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EMOTIONS", "TextAnalysis"]

# The emotions of the local engine (Plutchik's basic ones the lexicons cover, and neutral),
# in the order every per-emotion array uses.
EMOTIONS = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "trust", "neutral")


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    """Per-text analysis result."""

    language: str  # "es" | "en" | "und"
    sentiment_label: str  # "positive" | "negative" | "neutral"
    sentiment_score: float  # -1..1
    emotion_label: str  # one of EMOTIONS
    emotion_scores: dict[str, float]  # all EMOTIONS, sum to 1
    keywords: list[str]  # up to 5, lemmatised/lowercase, no stopwords; hashtags kept as "#tag"

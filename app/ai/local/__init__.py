"""Offline text analytics for Spanish and English social media posts.

Deterministic, no network, no trained weights: hand-built lexicons and rules.
Call `warm_up()` at startup to pay the ~1 s loading cost up front.
"""

from app.ai.local.engine import analyze_text, analyze_texts
from app.ai.local.keywords import content_tokens, extract_keywords, tokenize
from app.ai.local.language import detect_language
from app.ai.local.resources import warm_up
from app.ai.local.types import EMOTIONS, TextAnalysis

__all__ = [
    "EMOTIONS",
    "TextAnalysis",
    "analyze_text",
    "analyze_texts",
    "content_tokens",
    "detect_language",
    "extract_keywords",
    "tokenize",
    "warm_up",
]

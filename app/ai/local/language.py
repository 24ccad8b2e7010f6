"""Spanish/English language identification.

A stopword vote settles most posts for free; lingua (restricted to es/en, low
accuracy mode, built once) only sees the ambiguous ones. "und" when there are no
words at all (empty, emoji-only, links/mentions only).
"""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING

from app.ai.local.resources import dictionaries_knowing
from app.ai.local.text import scan

if TYPE_CHECKING:
    from lingua import LanguageDetector

# Frequent function words that are (almost) exclusive to one of the two languages.
# Ambiguous ones ("a", "no", "me", "he", "son", "sin", "come") are left out on purpose.
_ES_MARKERS = frozenset(
    [
        "de",
        "la",
        "que",
        "el",
        "en",
        "y",
        "los",
        "se",
        "del",
        "las",
        "por",
        "un",
        "una",
        "con",
        "para",
        "es",
        "lo",
        "como",
        "mas",
        "pero",
        "sus",
        "le",
        "ya",
        "este",
        "esta",
        "porque",
        "muy",
        "sobre",
        "tambien",
        "hasta",
        "hay",
        "donde",
        "desde",
        "todo",
        "nos",
        "cuando",
        "esto",
        "eso",
        "yo",
        "mi",
        "mis",
        "tu",
        "te",
        "ella",
        "el",
        "pues",
        "tiene",
        "tengo",
        "hoy",
        "ser",
        "asi",
        "bien",
        "gracias",
        "nada",
        "ni",
        "siempre",
        "ahora",
        "si",
        "vez",
        "nunca",
        "otro",
        "quiero",
        "voy",
        "va",
        "hace",
        "hacer",
        "puede",
        "dice",
        "algo",
        "aqui",
        "ese",
        "esa",
        "les",
        "unos",
        "al",
        "estoy",
        "estas",
        "estan",
        "fue",
        "usted",
        "ustedes",
        "vamos",
        "soy",
        "eres",
        "somos",
        "ha",
        "han",
        "hemos",
        "hola",
        "cuenta",
        "dia",
        "solo",
        "tiempo",
        "mejor",
        "bueno",
        "buena",
        "buenos",
        "menos",
        "mucho",
        "muchas",
        "poco",
        "nosotros",
        "vos",
    ]
)
_EN_MARKERS = frozenset(
    [
        "the",
        "and",
        "to",
        "of",
        "is",
        "it",
        "you",
        "that",
        "for",
        "on",
        "with",
        "my",
        "this",
        "be",
        "are",
        "was",
        "have",
        "i",
        "not",
        "but",
        "at",
        "so",
        "your",
        "just",
        "get",
        "can",
        "do",
        "what",
        "all",
        "we",
        "they",
        "will",
        "from",
        "been",
        "has",
        "had",
        "there",
        "if",
        "or",
        "about",
        "out",
        "up",
        "how",
        "when",
        "would",
        "don't",
        "it's",
        "i'm",
        "an",
        "by",
        "our",
        "their",
        "them",
        "she",
        "his",
        "her",
        "who",
        "which",
        "why",
        "thanks",
        "please",
        "now",
        "still",
        "any",
        "did",
        "does",
        "were",
        "off",
        "into",
        "than",
        "then",
        "could",
        "should",
        "know",
        "like",
        "time",
        "today",
        "really",
        "only",
        "too",
        "very",
        "one",
        "more",
        "some",
        "got",
        "can't",
        "didn't",
        "won't",
        "you're",
        "i've",
        "thank",
        "flight",
        "help",
        "hours",
        "been",
        "being",
        "here",
        "make",
        "going",
        "want",
        "need",
        "back",
    ]
)
_MIN_VOTES = 2

_lock = threading.Lock()


@cache
def _detector() -> LanguageDetector:
    from lingua import Language, LanguageDetectorBuilder

    return (
        LanguageDetectorBuilder.from_languages(Language.SPANISH, Language.ENGLISH)
        .with_low_accuracy_mode()
        .build()
    )


def detect_from_words(words: list[str], folded: list[str]) -> str:
    """Language of a post given its words and folded words ("" entries are clause breaks)."""
    if not any(folded):
        return "und"
    es = sum(map(_ES_MARKERS.__contains__, folded))  # counted in C: this runs on every post
    en = sum(map(_EN_MARKERS.__contains__, folded))
    if es >= _MIN_VOTES and es >= 3 * en:
        return "es"
    if en >= _MIN_VOTES and en >= 3 * es:
        return "en"
    # Short or mixed post: words only one language's lemma dictionary knows are good
    # evidence ("no me gusta": "gusta"), better than lingua on two or three words.
    for w in words:
        if len(w) > 1:
            in_es, in_en = dictionaries_knowing(w)
            if in_es != in_en:
                if in_es:
                    es += 1
                else:
                    en += 1
    if es > en and es >= 2 * en:
        return "es"
    if en > es and en >= 2 * es:
        return "en"
    with _lock:
        detector = _detector()
    found = detector.detect_language_of(" ".join(w for w in words if w))
    if found is None:
        return "und"
    return "es" if found.name == "SPANISH" else "en"


def detect_language(text: str) -> str:
    """ "es", "en" or "und" (empty, emoji-only, or no recognisable words)."""
    s = scan(text)
    return detect_from_words(s.words, s.folded)

"""How figures and labels are written in results: numbers, percentages and names in
the tenant's language (Spanish or English)."""

from __future__ import annotations

WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}


def fmt_num(x: float, lang: str, digits: int = 0) -> str:
    """2500 -> "2,500" (en) / "2.500" (es); decimals with "." (en) or "," (es)."""
    text = f"{x:,.{digits}f}"
    if lang == "es":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def fmt_pct(x: float, lang: str, digits: int = 1) -> str:
    """0.342 -> "34.2%" (en) / "34,2 %" (es)."""
    body = fmt_num(x * 100, lang, digits)
    return f"{body} %" if lang == "es" else f"{body}%"


def fmt_pts(x: float, lang: str) -> str:
    """Net score -1..1 as signed points: 0.16 -> "+16 pts"."""
    sign = "+" if x > 0 else ("−" if x < 0 else "±")
    return f"{sign}{fmt_num(abs(x) * 100, lang, 0)} pts"


def fmt_ratio(x: float, lang: str) -> str:
    return f"{fmt_num(x, lang, 1)}x"


EMOTION_NAMES = {
    "en": {e: e for e in ("anger", "disgust", "fear", "joy", "sadness", "surprise", "trust")}
    | {"neutral": "neutral"},
    "es": {
        "anger": "ira",
        "disgust": "asco",
        "fear": "miedo",
        "joy": "alegría",
        "sadness": "tristeza",
        "surprise": "sorpresa",
        "trust": "confianza",
        "neutral": "neutral",
    },
}
FRAME_NAMES = {
    "en": {
        "conflict": "conflict",
        "human_interest": "human interest",
        "economic": "economic",
        "morality": "morality",
        "responsibility": "responsibility",
        "brand": "brand/promotional",
    },
    "es": {
        "conflict": "conflicto",
        "human_interest": "interés humano",
        "economic": "económico",
        "morality": "moralidad",
        "responsibility": "responsabilidad",
        "brand": "marca/promocional",
    },
}
DIMENSION_NAMES = {
    "en": {
        "sincerity": "sincerity",
        "excitement": "excitement",
        "competence": "competence",
        "sophistication": "sophistication",
        "ruggedness": "ruggedness",
    },
    "es": {
        "sincerity": "sinceridad",
        "excitement": "entusiasmo",
        "competence": "competencia",
        "sophistication": "sofisticación",
        "ruggedness": "robustez",
    },
}

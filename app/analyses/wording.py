"""How figures and labels are written in results: numbers, percentages and names in
the tenant's language (Spanish or English)."""

from __future__ import annotations

import math
from datetime import date

WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}


MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
}


def fmt_date(day: date, lang: str) -> str:
    """2020-06-01 -> "1 Jun 2020" (en) / "1 jun 2020" (es)."""
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def fmt_num(x: float, lang: str, digits: int = 0) -> str:
    """2500 -> "2,500" (en) / "2.500" (es); decimals with "." (en) or "," (es)."""
    text = f"{x:,.{digits}f}"
    if lang == "es":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


RATE_SIGNIFICANT = 2  # significant digits of a percentage under 1%
MAX_PCT_DIGITS = 6


def _pct_digits(percent: float, digits: int, significant: int) -> int:
    """Decimals that show `percent` with at least `significant` significant digits when
    `digits` would write a non-zero value as 0 (never "0,00 %" for 0.004%)."""
    size = abs(percent)
    if size == 0 or size >= 10**-digits:
        return digits
    first = math.floor(math.log10(size))  # position of the first significant digit
    return min(MAX_PCT_DIGITS, max(digits, significant - 1 - first))


def fmt_pct(x: float, lang: str, digits: int = 1) -> str:
    """0.342 -> "34.2%" (en) / "34,2 %" (es); a small non-zero value gets the decimals
    it needs (0.00004 -> "0.0040%"), never "0.0%"; zero is "0%"."""
    percent = x * 100
    digits = 0 if percent == 0 else _pct_digits(percent, digits, RATE_SIGNIFICANT)
    body = fmt_num(percent, lang, digits)
    return f"{body} %" if lang == "es" else f"{body}%"


def fmt_rate(x: float, lang: str) -> str:
    """An engagement rate (or any small share) with the precision that makes it readable:
    one decimal from 1% up (0.3651 -> "36,5 %"), two significant digits below
    (0.0042 -> "0,42 %", 0.000123 -> "0,012 %"), 0 as "0 %"."""
    percent = x * 100
    digits = 0 if percent == 0 else _pct_digits(percent, 0, RATE_SIGNIFICANT)
    if abs(round(percent, digits)) >= 1:
        digits = 1
    body = fmt_num(percent, lang, digits)
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

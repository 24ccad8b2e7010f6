"""Helpers shared by the local implementations of Q1..Q10.

`prepare` turns an `AnalysisInput` into enriched posts with local times and engagement
rates; the rest are small pure functions (shares that sum to 1, weekly buckets, trends,
number formatting in Spanish or English, example picking).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ValidationError

from app.ai.base import AnalysisInput, PostRecord
from app.ai.local.analysis_engine import TopicModel, brand_handles, enrich, topic_model
from app.ai.local.text import fold
from app.analyses.results import PostExample

AUDIENCE_FLOOR = 100  # followers below this count as 100, so tiny accounts do not dominate
SMALL_SAMPLE = 30  # fewer posts than this: shares are unstable, say so
EXAMPLE_CHARS = 200

WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}


def engagement_rate(post: PostRecord) -> float:
    """Engagement normalised by audience: (likes + comments + shares) /
    max(author followers, 100), capped at 1."""
    return min(1.0, post.engagement / max(post.author_followers, AUDIENCE_FLOOR))


def tenant_language(data: AnalysisInput) -> Literal["es", "en"]:
    """Language of human-readable text in results: "es" or "en" (anything else: "en")."""
    lang = (data.tenant_language or "en").lower()[:2]
    return "es" if lang == "es" else "en"


@dataclass
class Prepared:
    """The posts of a run, enriched, with what most questions need precomputed."""

    data: AnalysisInput
    posts: list[PostRecord]
    tz: tzinfo
    tz_name: str
    lang: Literal["es", "en"]  # language of texts in results
    local: Sequence[datetime]  # published_at in the tenant's time zone
    rates: Sequence[float]  # engagement_rate per post
    brand: frozenset[str]  # the brand's handles, lowercase
    notes: list[str] = field(default_factory=list)
    _topics: TopicModel | None = None

    @property
    def n(self) -> int:
        return len(self.posts)

    def topics(self) -> TopicModel:
        if self._topics is None:
            self._topics = topic_model(self.posts)
        return self._topics

    def window(self) -> tuple[datetime, datetime]:
        """(start, end) of the window; the posts' span when the window is unusable."""
        start, end = self.data.window_start, self.data.window_end
        if end > start:
            return start, end
        times = [p.published_at for p in self.posts]
        return (min(times), max(times)) if times else (start, end)


# Per-post values every question needs, shared by the questions of one run (eight run at
# once on the same posts: one copy instead of eight). Keyed by the identity of the
# input's post sequence, which the entry keeps alive, so an identity is never reused.
_PER_POST: list[tuple[Sequence[PostRecord], str, tuple[datetime, ...], tuple[float, ...]]] = []
_PER_POST_LOCK = threading.Lock()


def _per_post(
    source: Sequence[PostRecord], posts: Sequence[PostRecord], tz: tzinfo, tz_name: str
) -> tuple[tuple[datetime, ...], tuple[float, ...]]:
    """(local publication times, engagement rates), computed once per post sequence."""
    with _PER_POST_LOCK:
        for seen, name, local, rates in _PER_POST:
            if seen is source and name == tz_name:
                return local, rates
        local = tuple(p.published_at.astimezone(tz) for p in posts)
        rates = tuple(engagement_rate(p) for p in posts)
        _PER_POST.insert(0, (source, tz_name, local, rates))
        del _PER_POST[2:]
        return local, rates


def clear_per_post() -> None:
    with _PER_POST_LOCK:
        _PER_POST.clear()


def prepare(data: AnalysisInput) -> Prepared:
    posts = list(data.posts)
    if any(p.sentiment_label is None or p.language is None for p in posts):
        posts = enrich(posts)
    notes: list[str] = []
    tz: tzinfo
    try:
        tz = ZoneInfo(data.timezone)
        tz_name = data.timezone
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
        tz_name = "UTC"
        notes.append(f"Unknown time zone {data.timezone!r}; times are in UTC.")
    brand = brand_handles(posts) | {h.lower().lstrip("@") for h in data.client.handles if h}
    local, rates = _per_post(data.posts, posts, tz, tz_name)
    return Prepared(
        data=data,
        posts=posts,
        tz=tz,
        tz_name=tz_name,
        lang=tenant_language(data),
        local=local,
        rates=rates,
        brand=frozenset(brand),
        notes=notes,
    )


def volume_notes(n: int, what: str = "posts") -> list[str]:
    if n == 0:
        return [f"No {what} in the window; nothing to analyse."]
    if n < SMALL_SAMPLE:
        return [f"Only {n} {what} in the window; shares are unstable."]
    return []


# --------------------------------------------------------------------------- numbers


def mean(values: Iterable[float]) -> float:
    total = 0.0
    count = 0
    for v in values:
        total += v
        count += 1
    return total / count if count else 0.0


def clamp(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def r4(x: float) -> float:
    return round(x, 4)


def share(part: int, total: int) -> float:
    return round(part / total, 4) if total else 0.0


def shares(counts: Sequence[int]) -> list[float]:
    """Fractions rounded to 4 decimals that sum to exactly 1 (largest remainder)."""
    total = sum(counts)
    if total <= 0:
        return [0.0] * len(counts)
    scaled = [c * 10_000 / total for c in counts]
    floors = [math.floor(s) for s in scaled]
    left = 10_000 - sum(floors)
    order = sorted(range(len(counts)), key=lambda i: (-(scaled[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [f / 10_000 for f in floors]


def zscores(values: Sequence[float]) -> list[float]:
    if len(values) < 2:
        return [0.0] * len(values)
    m = mean(values)
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / len(values))
    if sd <= 1e-12:
        return [0.0] * len(values)
    return [(v - m) / sd for v in values]


def slope(values: Sequence[float], xs: Sequence[float] | None = None) -> float:
    """Least-squares slope of values against xs (default 0, 1, 2, ...)."""
    n = len(values)
    if n < 2:
        return 0.0
    x = list(xs) if xs is not None else [float(i) for i in range(n)]
    mx = mean(x)
    my = mean(values)
    num = sum((xi - mx) * (v - my) for xi, v in zip(x, values, strict=True))
    den = sum((xi - mx) ** 2 for xi in x)
    return num / den if den else 0.0


def stance(mean_sentiment: float) -> str:
    if mean_sentiment >= 0.2:
        return "supportive"
    if mean_sentiment <= -0.2:
        return "critical"
    return "neutral"


# --------------------------------------------------------------------------- time


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks_between(first: date, last: date) -> list[date]:
    """Every Monday from the week of `first` to the week of `last`."""
    out: list[date] = []
    cur = week_start(first)
    end = week_start(last)
    while cur <= end:
        out.append(cur)
        cur += timedelta(days=7)
    return out


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --------------------------------------------------------------------------- text


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


def short_text(text: str, limit: int = EXAMPLE_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def example(post: PostRecord, score: float) -> PostExample:
    return PostExample(
        post_id=post.id,
        platform=post.platform,
        published_at=post.published_at,
        text=short_text(post.text),
        score=round(clamp(score, -1.0, 1.0), 4),
        engagement=max(0, post.engagement),
    )


def pick_examples(
    posts: Sequence[PostRecord],
    score: Callable[[PostRecord], float],
    k: int = 3,
    *,
    reverse: bool = True,
    shown: Callable[[PostRecord], float] | None = None,
) -> list[PostExample]:
    """The k posts with the highest (or lowest) score; ties by engagement, then id.

    Texts that repeat (retweets, templates) are shown once. The example's `score` is
    `shown(post)` when given (e.g. rank by engagement, show sentiment), else the score.
    """
    sign = -1.0 if reverse else 1.0
    ranked = sorted(posts, key=lambda p: (sign * score(p), -p.engagement, p.id))
    out: list[PostExample] = []
    seen: set[str] = set()
    for p in ranked:
        key = fold(p.text.lower())
        if key in seen:
            continue
        seen.add(key)
        out.append(example(p, (shown or score)(p)))
        if len(out) >= k:
            break
    return out


def mentions_brand(post: PostRecord, brand: frozenset[str], names: Sequence[str]) -> bool:
    """The post names the brand: @mention, hashtag of a handle, or the name in the text."""
    if any(m.lower().lstrip("@") in brand for m in post.mentions):
        return True
    if any(h.lower().lstrip("#") in brand for h in post.hashtags):
        return True
    if names:
        folded = fold(post.text.lower())
        return any(name in folded for name in names)
    return False


def brand_names(data: AnalysisInput) -> list[str]:
    """Folded, lowercase forms of the client's name to look for in texts."""
    name = fold(data.client.name.lower().strip())
    out = [name] if len(name) >= 3 else []
    compact = name.replace(" ", "")
    if compact != name and len(compact) >= 3:
        out.append(compact)
    return out


def counter_top(counts: Mapping[str, int], k: int) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]


# --------------------------------------------------------------------------- names

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


# --------------------------------------------------------------------------- previous results

BASE_QUESTIONS = ("q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8")
M = TypeVar("M", bound=BaseModel)


@dataclass
class Previous:
    """The stored Q1..Q8 results a Q9/Q10 run builds on, validated with their models."""

    results: dict[str, BaseModel]
    missing: list[str]
    notes: list[str]

    def get(self, key: str, model: type[M]) -> M | None:
        got = self.results.get(key)
        return got if isinstance(got, model) else None

    @property
    def used(self) -> list[str]:
        return [k for k in BASE_QUESTIONS if k in self.results]


def load_previous(data: AnalysisInput) -> Previous:
    from app.analyses.results import RESULT_MODELS

    results: dict[str, BaseModel] = {}
    missing: list[str] = []
    notes: list[str] = []
    for key in BASE_QUESTIONS:
        raw = data.previous.get(key)
        if not raw:
            missing.append(key)
            continue
        try:
            results[key] = RESULT_MODELS[key].model_validate(dict(raw))
        except ValidationError:
            missing.append(key)
            notes.append(f"The stored {key} result does not fit its current model; not used.")
    if missing:
        notes.append("No usable stored result for " + ", ".join(missing) + ".")
    return Previous(results=results, missing=missing, notes=notes)

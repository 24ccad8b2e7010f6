"""The figures of the analyses, one definition each.

Both engines use these: the local engine turns them into result models, the
OpenAI-compatible engine serialises them into its payload, so a figure (an engagement
rate, a trend, a negative spike, a post that names the brand) means the same thing
whichever engine answers. Pure functions and small accumulators; no I/O.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from app.ai.local.types import EMOTIONS
from app.analyses.records import PostRecord

Direction = Literal["rising", "falling", "stable"]
Stance = Literal["supportive", "critical", "neutral"]
SENTIMENTS = ("positive", "neutral", "negative")

AUDIENCE_FLOOR = 100  # followers below this count as 100, so tiny accounts do not dominate
TREND_THRESHOLD = 0.02  # |slope| / mean per week below this is "stable"
MIN_TREND_POINTS = 3
SPIKE_Z = 2.0  # a day is a spike when its z-score is above this
MIN_SPIKE_DAYS = 7  # fewer days than this: no spikes (a z-score needs a baseline)
MIN_SPIKE_DAY_POSTS = 5  # negative-share spikes only on days with this many posts
MAX_SPIKES = 10


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
    """Population z-scores; all zeros when there is no spread."""
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


def counter_top(counts: Mapping[str, int], k: int) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]


# --------------------------------------------------------------------------- posts


def engagement_rate(post: PostRecord) -> float:
    """Engagement normalised by audience: (likes + comments + shares) /
    max(author followers, 100), capped at 1."""
    return min(1.0, post.engagement / max(post.author_followers, AUDIENCE_FLOOR))


def sentiment_of(post: PostRecord) -> str:
    """The post's sentiment label; a post without a known one counts as neutral."""
    label = post.sentiment_label
    return label if label in SENTIMENTS else "neutral"


def emotion_of(post: PostRecord) -> str:
    """The post's dominant emotion; a post without a known one counts as neutral."""
    label = post.emotion_label
    return label if label in EMOTIONS else "neutral"


def stance(mean_sentiment: float) -> Stance:
    """How a voice leans, from the mean sentiment score of its posts."""
    if mean_sentiment >= 0.2:
        return "supportive"
    if mean_sentiment <= -0.2:
        return "critical"
    return "neutral"


class Group:
    """Counts, sums and label tallies of a group of posts (a day, a week, a platform...).

    Sums are added in the order the posts come, so a mean read here equals the mean of
    the same posts computed one by one.
    """

    __slots__ = (
        "emotions",
        "engagement",
        "own",
        "own_engagement",
        "own_rate_sum",
        "posts",
        "rate_sum",
        "sent_n",
        "sent_sum",
        "sentiments",
    )

    def __init__(self) -> None:
        self.posts = 0
        self.own = 0
        self.engagement = 0
        self.own_engagement = 0
        self.rate_sum = 0.0
        self.own_rate_sum = 0.0
        self.sent_sum = 0.0
        self.sent_n = 0
        self.sentiments: Counter[str] = Counter()
        self.emotions: Counter[str] = Counter()

    def add(self, post: PostRecord, rate: float | None = None) -> Group:
        """Count `post` (`rate`: its engagement rate, when already computed)."""
        if rate is None:
            rate = engagement_rate(post)
        self.posts += 1
        self.engagement += post.engagement
        self.rate_sum += rate
        if post.is_own:
            self.own += 1
            self.own_engagement += post.engagement
            self.own_rate_sum += rate
        if post.sentiment_score is not None:
            self.sent_sum += post.sentiment_score
            self.sent_n += 1
        self.sentiments[sentiment_of(post)] += 1
        self.emotions[emotion_of(post)] += 1
        return self

    @property
    def mean_rate(self) -> float:
        return self.rate_sum / self.posts if self.posts else 0.0

    @property
    def mean_engagement(self) -> float:
        return self.engagement / self.posts if self.posts else 0.0

    @property
    def mean_sentiment(self) -> float | None:
        return self.sent_sum / self.sent_n if self.sent_n else None

    def sentiment_counts(self) -> list[int]:
        """[positive, neutral, negative]."""
        return [self.sentiments[s] for s in SENTIMENTS]

    def sentiment_shares(self) -> list[float]:
        """[positive, neutral, negative] shares that sum to 1 (see `shares`)."""
        return shares(self.sentiment_counts())

    def net_sentiment(self) -> float:
        """Positive share minus negative share."""
        positive, _, negative = self.sentiment_shares()
        return r4(positive - negative)

    def emotion_counts(self) -> dict[str, int]:
        """Posts per dominant emotion, most frequent first."""
        return dict(sorted(self.emotions.items(), key=lambda kv: (-kv[1], kv[0])))


def groups(pairs: Iterable[tuple[str, PostRecord]]) -> dict[str, Group]:
    """A Group per key, in the order keys first appear."""
    out: dict[str, Group] = {}
    for key, post in pairs:
        out.setdefault(key, Group()).add(post)
    return out


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


@dataclass(frozen=True, slots=True)
class Trend:
    slope_per_week: float  # least-squares slope, units per week
    relative_slope: float  # slope / mean
    direction: Direction


def trend(values: Sequence[float], xs: Sequence[float]) -> Trend | None:
    """The least-squares trend of a weekly series (`xs`: week positions); None with
    fewer than `MIN_TREND_POINTS` points. Rising or falling when the slope is at least
    `TREND_THRESHOLD` of the mean per week."""
    if len(values) < MIN_TREND_POINTS:
        return None
    s = slope(values, xs)
    m = mean(values)
    rel = s / m if m else 0.0
    direction: Direction = "stable"
    if rel >= TREND_THRESHOLD:
        direction = "rising"
    elif rel <= -TREND_THRESHOLD:
        direction = "falling"
    return Trend(slope_per_week=r4(s), relative_slope=r4(rel), direction=direction)


@dataclass(frozen=True, slots=True)
class Spike:
    day: date
    kind: Literal["negative_volume", "negative_share"]
    z_score: float
    value: float  # negative posts (volume) or negative share of the day (share)
    negative_posts: int
    posts: int


def negative_spikes(days: Sequence[date], per_day: Mapping[date, Group]) -> list[Spike]:
    """Days whose negative posts stand out (z-score above `SPIKE_Z`), most extreme first.

    `days` are every day from the first to the last post (days without posts count as
    zero). Two kinds: the number of negative posts over all days; and the negative
    share over days with at least `MIN_SPIKE_DAY_POSTS` posts, when there are
    `MIN_SPIKE_DAYS` such days. Fewer than `MIN_SPIKE_DAYS` days: no spikes.
    """
    if len(days) < MIN_SPIKE_DAYS:
        return []
    empty = Group()
    totals = [per_day.get(d, empty).posts for d in days]
    negatives = [per_day.get(d, empty).sentiments["negative"] for d in days]
    found: list[Spike] = []
    for d, z, neg, total in zip(days, zscores(negatives), negatives, totals, strict=True):
        if z > SPIKE_Z:
            found.append(Spike(d, "negative_volume", r4(z), float(neg), neg, total))
    busy = [i for i, t in enumerate(totals) if t >= MIN_SPIKE_DAY_POSTS]
    if len(busy) >= MIN_SPIKE_DAYS:
        values = [negatives[i] / totals[i] for i in busy]
        for i, z, value in zip(busy, zscores(values), values, strict=True):
            if z > SPIKE_Z:
                found.append(
                    Spike(days[i], "negative_share", r4(z), r4(value), negatives[i], totals[i])
                )
    found.sort(key=lambda s: (-s.z_score, s.day, s.kind))
    return found[:MAX_SPIKES]

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
from statistics import NormalDist
from typing import Literal

from app.ai.local.types import EMOTIONS
from app.analyses.records import PostRecord

Direction = Literal["rising", "falling", "stable"]
Stance = Literal["supportive", "critical", "neutral"]
SENTIMENTS = ("positive", "neutral", "negative")

AUDIENCE_FLOOR = 100  # followers below this count as 100, so tiny accounts do not dominate
TREND_THRESHOLD = 0.02  # |slope| / mean per week below this is "stable"
MIN_TREND_POINTS = 3
MAX_SPIKES = 10

# Evidence: the one place its thresholds are tuned (issue 11, item 3).
MIN_SAMPLE_POSTS = 30  # a segment, slot, topic, author or day behind a finding has as many
MIN_SAMPLE_SHARE = 0.02  # ... and at least this share of the posts it is compared within
CONFIDENCE_Z = 1.96  # two-sided 95% intervals
SPIKE_ALPHA = 0.05  # a day's negative share stands out of the rest's: a one-sided
# two-proportion z-test at this level, Bonferroni-corrected over the days judged
SPIKE_MIN_RISE = 0.10  # ... and by at least this much (10 points): significant is not enough
MIN_SPIKE_DAYS = 7  # fewer days than this: no spikes (a day needs other days to stand out)
MIN_SPIKE_DAY_POSTS = MIN_SAMPLE_POSTS  # a day is judged on at least this many posts
CONCENTRATED_POSTS = 0.8  # a window is concentrated when this share of its posts ...
CONCENTRATED_DAYS = 0.2  # ... falls in at most this share of its days: no trend then


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
    kind: Literal["negative_share"]  # only the share: a day's volume is not a spike
    z_score: float  # two-proportion z of the day's negative share against the other posts'
    value: float  # negative share of the day
    negative_posts: int
    posts: int


def negative_spikes(days: Sequence[date], per_day: Mapping[date, Group]) -> list[Spike]:
    """Days whose negative share stands out, most extreme first.

    A spike is of the share of negative posts, never of volume: a day with ten times
    the posts and the same share is no spike. `days` are every day from the first to
    the last post; with fewer than `MIN_SPIKE_DAYS` there are no spikes. A day is judged
    when it has at least `MIN_SPIKE_DAY_POSTS` posts; it is a spike when its negative
    share is at least `SPIKE_MIN_RISE` above that of every other post of the window and
    a one-sided two-proportion z-test finds it higher at `SPIKE_ALPHA`, divided by the
    number of days judged (so a long window's many days do not make chance spikes).
    """
    if len(days) < MIN_SPIKE_DAYS:
        return []
    empty = Group()
    totals = [per_day.get(d, empty).posts for d in days]
    negatives = [per_day.get(d, empty).sentiments["negative"] for d in days]
    all_posts, all_negative = sum(totals), sum(negatives)
    judged = [
        k
        for k, total in enumerate(totals)
        if total >= MIN_SPIKE_DAY_POSTS and all_posts - total >= MIN_SPIKE_DAY_POSTS
    ]
    if not judged:
        return []
    z_needed = NormalDist().inv_cdf(1 - SPIKE_ALPHA / len(judged))
    found: list[Spike] = []
    for k in judged:
        neg, total = negatives[k], totals[k]
        rest_posts, rest_negative = all_posts - total, all_negative - neg
        day_share, rest_share = neg / total, rest_negative / rest_posts
        z = two_proportion_z(neg, total, rest_negative, rest_posts)
        if day_share - rest_share >= SPIKE_MIN_RISE and z >= z_needed:
            found.append(Spike(days[k], "negative_share", r4(z), r4(day_share), neg, total))
    found.sort(key=lambda s: (-s.z_score, s.day))
    return found[:MAX_SPIKES]


@dataclass(frozen=True, slots=True)
class Concentration:
    """Most of a window's posts fall in a few of its days (a collection burst, a crisis):
    weekly trends over such a window measure when the data was gathered, not a change."""

    days: int  # the fewest days that hold `posts_share` of the posts
    span_days: int  # days from the first post's to the last post's
    posts_share: float
    first_day: date  # the first and last of those days
    last_day: date


def concentration(per_day: Mapping[date, int], span_days: int) -> Concentration | None:
    """The window's concentration when at least `CONCENTRATED_POSTS` of its posts fall in
    at most `CONCENTRATED_DAYS` of its `span_days` days; None when spread enough."""
    total = sum(per_day.values())
    if total <= 0 or span_days <= 0:
        return None
    busiest = sorted(per_day.items(), key=lambda kv: (-kv[1], kv[0]))
    held = 0
    chosen: list[date] = []
    for day, count in busiest:
        chosen.append(day)
        held += count
        if held >= CONCENTRATED_POSTS * total:
            break
    if len(chosen) > CONCENTRATED_DAYS * span_days:
        return None
    return Concentration(
        days=len(chosen),
        span_days=span_days,
        posts_share=r4(held / total),
        first_day=min(chosen),
        last_day=max(chosen),
    )


# --------------------------------------------------------------------------- evidence


def min_sample(total: int) -> int:
    """Posts a segment of `total` compared posts needs before anything is said about it:
    `MIN_SAMPLE_POSTS`, and `MIN_SAMPLE_SHARE` of the total."""
    return max(MIN_SAMPLE_POSTS, math.ceil(MIN_SAMPLE_SHARE * total))


def wilson(successes: int, n: int, z: float = CONFIDENCE_Z) -> tuple[float, float]:
    """Wilson score interval of a proportion (successes out of n); (0, 1) when n = 0."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> float:
    """z statistic of p1 - p2 with the pooled standard error (0 when it cannot be told)."""
    if n1 <= 0 or n2 <= 0:
        return 0.0
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return (x1 / n1 - x2 / n2) / se if se > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Lift:
    """A segment's mean over the mean of all compared posts, with its 95% interval."""

    lift: float
    low: float
    high: float

    @property
    def holds(self) -> bool:
        """The segment engages above the others beyond chance (the interval is above 1)."""
        return self.low > 1.0


@dataclass(frozen=True, slots=True)
class Moments:
    """Count, sum and sum of squares of some values (rates): enough for a mean and a
    variance, and subtracted from a dimension's to get "the rest" in one pass."""

    n: int
    total: float
    squares: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Moments:
        n, total, squares = 0, 0.0, 0.0
        for v in values:
            n += 1
            total += v
            squares += v * v
        return cls(n, total, squares)

    def __sub__(self, other: Moments) -> Moments:
        return Moments(self.n - other.n, self.total - other.total, self.squares - other.squares)

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else 0.0

    @property
    def variance(self) -> float:
        """Sample variance (n - 1)."""
        if self.n < 2:
            return 0.0
        return max(0.0, (self.squares - self.total * self.total / self.n) / (self.n - 1))


def lift_interval(segment: Moments, rest: Moments) -> Lift | None:
    """The lift of `segment` (e.g. the engagement rates of a slot's posts) over the mean
    of `segment` + `rest`, with a 95% interval; None when it cannot be told (fewer than
    two values on a side, or a side without any engagement).

    The interval is the delta method's on log(R), R = segment mean / rest mean, whose
    standard error is sqrt(var_s / (n_s m_s^2) + var_r / (n_r m_r^2)); the lift is
    1 / (w + (1 - w) / R) with w the segment's share of the values, increasing in R, so
    R's bounds give the lift's. A few viral posts widen the interval instead of making
    a lift: a ratio of two tiny or noisy means is not claimed.
    """
    ns, nr = segment.n, rest.n
    if ns < 2 or nr < 2:
        return None
    ms, mr = segment.mean, rest.mean
    if ms <= 0 or mr <= 0:
        return None
    se = math.sqrt(segment.variance / (ns * ms * ms) + rest.variance / (nr * mr * mr))
    ratio = ms / mr
    w = ns / (ns + nr)

    def as_lift(r: float) -> float:
        return 1.0 / (w + (1.0 - w) / r)

    return Lift(
        lift=as_lift(ratio),
        low=as_lift(ratio * math.exp(-CONFIDENCE_Z * se)),
        high=as_lift(ratio * math.exp(CONFIDENCE_Z * se)),
    )

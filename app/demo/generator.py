"""Deterministic generator of realistic demo social-media data.

Everything is derived from ``random.Random`` instances seeded with strings such as
``"7|banco-andino|posts"``: string seeds go through SHA-512, so the output is identical
across processes and independent of ``PYTHONHASHSEED``. No I/O, no database.

The data carries real signal for the analytics: a diurnal curve in the client's local
time, weekday effects, slow topic trends, event bursts (a fraud/app-outage week for the
bank, a product launch for the sportswear brand), heavy-tailed engagement that is better
in the evening, and follower series with weekend bumps and a step after campaigns.
"""

from __future__ import annotations

import bisect
import math
import random
import re
import string
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Final

from app.demo import vocab

PLATFORMS: Final[tuple[str, ...]] = ("x", "instagram", "facebook", "tiktok", "linkedin", "youtube")
CONTENT_TYPES: Final[tuple[str, ...]] = (
    "text",
    "image",
    "video",
    "carousel",
    "link",
    "reel",
    "story",
)
LANGUAGES: Final[tuple[str, ...]] = ("es", "en")


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class AccountSpec:
    """One social account of a client brand."""

    platform: str  # one of PLATFORMS
    handle: str  # without "@"
    followers_start: int  # followers at the start of the window
    daily_growth: float  # mean relative daily growth, e.g. 0.0015

    def __post_init__(self) -> None:
        if self.platform not in PLATFORMS:
            raise ValueError(f"unknown platform {self.platform!r}; expected one of {PLATFORMS}")
        if self.followers_start < 0:
            raise ValueError("followers_start must be >= 0")


@dataclass(frozen=True)
class ClientSpec:
    """The brand an agency analyses."""

    key: str
    name: str
    industry: str  # "banking" or "sportswear" (the generator has phrase banks for these)
    country: str  # ISO 3166 alpha-2
    language: str  # main language: "es" or "en"
    website: str
    description: str
    competitors: list[str]
    accounts: list[AccountSpec]

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"unknown language {self.language!r}; expected one of {LANGUAGES}")


@dataclass
class GeneratedPost:
    platform: str
    account_handle: str  # the AccountSpec the post belongs to (own posts and mentions)
    external_id: str  # platform-native id, unique per account
    author_handle: str
    author_followers: int
    text: str
    published_at: datetime  # timezone-aware UTC
    likes: int
    comments: int
    shares: int
    views: int
    reach: int
    content_type: str  # one of CONTENT_TYPES
    hashtags: list[str]  # without "#", lowercase, present in text
    mentions: list[str]  # without "@", present in text
    url: str | None
    language: str  # "es" or "en"
    is_own: bool  # published by the brand's own account
    tone: str  # generator intent: "positive", "negative", "neutral"


@dataclass
class GeneratedMetric:
    platform: str
    account_handle: str
    captured_at: datetime  # 00:00 UTC, one per day
    followers: int
    following: int
    posts_total: int
    engagement_rate: float  # fraction, e.g. 0.0345
    reach: int
    impressions: int


@dataclass
class DemoClientData:
    """Everything generated for one demo client."""

    client: ClientSpec
    posts: list[GeneratedPost]
    metrics: list[GeneratedMetric]


# --------------------------------------------------------------------------- demo clients

DEMO_CLIENTS: Final[list[ClientSpec]] = [
    ClientSpec(
        key="banco-andino",
        name="Banco Andino",
        industry="banking",
        country="PE",
        language="es",
        website="https://www.bancoandino.pe",
        description=(
            "Peruvian retail and small-business bank with 120 branches, a mobile app with "
            "two million users and the Andino Pay instant-transfer wallet."
        ),
        competitors=["BCP", "Interbank", "BBVA Perú", "Scotiabank Perú"],
        accounts=[
            AccountSpec("x", "bancoandino", 48_000, 0.0011),
            AccountSpec("instagram", "bancoandino", 125_000, 0.0016),
            AccountSpec("facebook", "bancoandinope", 410_000, 0.0008),
            AccountSpec("linkedin", "bancoandino", 36_000, 0.0014),
            AccountSpec("tiktok", "bancoandino", 22_000, 0.0035),
        ],
    ),
    ClientSpec(
        key="vertice-sport",
        name="Vértice Sport",
        industry="sportswear",
        country="MX",
        language="es",
        website="https://www.verticesport.mx",
        description=(
            "Mexican running and training footwear and apparel brand, with stores in Mexico "
            "and online sales in the US; bilingual community (Spanish and English)."
        ),
        competitors=["Nike", "Adidas", "Puma", "Under Armour"],
        accounts=[
            AccountSpec("instagram", "verticesport", 260_000, 0.0018),
            AccountSpec("tiktok", "verticesport", 140_000, 0.0042),
            AccountSpec("x", "verticesport", 38_000, 0.0009),
            AccountSpec("youtube", "verticesport", 21_000, 0.0012),
            AccountSpec("facebook", "verticesportmx", 190_000, 0.0007),
        ],
    ),
]

# Standard UTC offsets; PE and MX have no DST, so a fixed offset is exact for the demo.
COUNTRY_UTC_OFFSET_HOURS: Final[dict[str, int]] = {
    "PE": -5,
    "MX": -6,
    "US": -5,
    "CO": -5,
    "EC": -5,
    "CL": -4,
    "AR": -3,
    "ES": 1,
    "GB": 0,
}


def client_timezone(client: ClientSpec) -> timezone:
    """Fixed-offset local time zone used for the client's diurnal patterns."""
    return timezone(timedelta(hours=COUNTRY_UTC_OFFSET_HOURS.get(client.country, 0)))


# --------------------------------------------------------------------------- profiles


@dataclass(frozen=True)
class _Event:
    name: str  # also the key into vocab.BRAND_HASHTAGS
    start_frac: float  # position in the window
    length: int  # days
    lead_days: int  # teaser days before start (own posts only)
    mention_boost: float  # peak multiplier of daily mention volume
    own_boost: float
    mention_categories: Mapping[str, float]  # additive category weights at peak
    own_categories: Mapping[str, float]
    teaser_categories: Mapping[str, float]
    follower_step: float  # relative follower change spread over the event
    engagement_boost: float


@dataclass(frozen=True)
class _Profile:
    language_mix: tuple[tuple[str, float], ...]
    mention_dow: tuple[float, ...]  # Monday..Sunday
    own_dow: tuple[float, ...]
    follower_dow: tuple[float, ...]
    engagement_dow: tuple[float, ...]
    own_platforms: Mapping[str, float]
    mention_platforms: Mapping[str, float]
    negative_platforms: Mapping[str, float]  # extra weight of complaints per platform
    mention_categories: Mapping[str, float]
    own_categories: Mapping[str, float]
    trends: Mapping[str, tuple[float, float]]  # category -> multiplier at window start, end
    events: tuple[_Event, ...] = field(default=())


_PROFILES: Final[dict[str, _Profile]] = {
    "banking": _Profile(
        language_mix=(("es", 1.0),),
        mention_dow=(1.2, 1.1, 1.05, 1.0, 1.0, 0.8, 0.65),  # complaints pile up on Mondays
        own_dow=(1.0, 1.05, 1.0, 1.0, 0.95, 0.25, 0.12),
        follower_dow=(1.0, 1.0, 1.0, 1.0, 1.0, 1.3, 1.3),
        engagement_dow=(1.05, 1.05, 1.05, 1.0, 1.0, 0.9, 0.85),
        own_platforms={
            "x": 1.2,
            "instagram": 1.0,
            "facebook": 1.0,
            "linkedin": 0.5,
            "tiktok": 0.6,
            "youtube": 0.3,
        },
        mention_platforms={
            "x": 1.6,
            "facebook": 1.4,
            "instagram": 0.8,
            "tiktok": 0.4,
            "linkedin": 0.15,
            "youtube": 0.2,
        },
        negative_platforms={"x": 1.5, "facebook": 1.4},
        mention_categories={
            "app_anger": 0.10,
            "card_anger": 0.07,
            "branch_anger": 0.07,
            "service_sadness": 0.07,
            "fraud_fear": 0.06,
            "fees_disgust": 0.05,
            "praise_joy": 0.13,
            "praise_trust": 0.09,
            "question": 0.19,
            "surprise": 0.06,
            "comparison": 0.05,
            "experience": 0.06,
        },
        own_categories={
            "promo": 0.25,
            "tip": 0.2,
            "launch": 0.1,
            "event": 0.12,
            "engagement": 0.13,
            "csr": 0.1,
            "service_update": 0.1,
        },
        trends={
            "fraud_fear": (0.6, 1.6),  # phishing season builds up
            "praise_joy": (0.9, 1.2),
            "branch_anger": (1.25, 0.8),  # customers move to the app
        },
        events=(
            _Event(
                name="app_outage",
                start_frac=0.55,
                length=7,
                lead_days=0,
                mention_boost=4.5,
                own_boost=1.5,
                mention_categories={"outage": 1.6, "fraud_fear": 0.35, "app_anger": 0.3},
                own_categories={"outage_notice": 1.2, "tip": 0.2},
                teaser_categories={},
                follower_step=-0.006,
                engagement_boost=2.5,
            ),
            _Event(
                name="app_relaunch",
                start_frac=0.8,
                length=10,
                lead_days=4,
                mention_boost=1.6,
                own_boost=2.0,
                mention_categories={"praise_joy": 0.4, "surprise": 0.2, "question": 0.2},
                own_categories={"launch": 1.5, "promo": 0.3},
                teaser_categories={"launch": 0.6},
                follower_step=0.02,
                engagement_boost=1.4,
            ),
        ),
    ),
    "sportswear": _Profile(
        language_mix=(("es", 0.6), ("en", 0.4)),
        mention_dow=(0.85, 0.85, 0.9, 0.9, 1.0, 1.35, 1.4),  # people train and post on weekends
        own_dow=(1.0, 1.0, 1.0, 1.0, 1.05, 0.45, 0.35),
        follower_dow=(1.0, 1.0, 1.0, 1.0, 1.0, 1.5, 1.5),
        engagement_dow=(0.95, 0.95, 0.95, 0.95, 1.0, 1.15, 1.2),
        own_platforms={
            "instagram": 1.3,
            "tiktok": 1.1,
            "x": 0.9,
            "facebook": 0.7,
            "youtube": 0.25,
            "linkedin": 0.2,
        },
        mention_platforms={
            "instagram": 1.6,
            "tiktok": 1.3,
            "x": 1.0,
            "facebook": 0.6,
            "youtube": 0.3,
            "linkedin": 0.1,
        },
        negative_platforms={"x": 1.6, "facebook": 1.3},
        mention_categories={
            "product_joy": 0.16,
            "performance_trust": 0.11,
            "delivery_anger": 0.09,
            "quality_disgust": 0.05,
            "sizing_sadness": 0.07,
            "fake_fear": 0.04,
            "question": 0.17,
            "surprise": 0.07,
            "comparison": 0.06,
            "event_talk": 0.08,
            "style_neutral": 0.10,
        },
        own_categories={
            "launch": 0.12,
            "promo": 0.2,
            "event": 0.14,
            "athlete": 0.15,
            "tip": 0.15,
            "engagement": 0.14,
            "community": 0.1,
        },
        trends={
            "performance_trust": (0.7, 1.3),  # marathon season approaching
            "sizing_sadness": (1.3, 0.8),
            "delivery_anger": (1.2, 0.9),
        },
        events=(
            _Event(
                name="marathon",
                start_frac=0.3,
                length=4,
                lead_days=3,
                mention_boost=1.8,
                own_boost=1.6,
                mention_categories={"event_talk": 0.8, "performance_trust": 0.4},
                own_categories={"event": 1.5, "athlete": 0.5},
                teaser_categories={"event": 0.5},
                follower_step=0.01,
                engagement_boost=1.3,
            ),
            _Event(
                name="product_launch",
                start_frac=0.72,
                length=12,
                lead_days=7,
                mention_boost=4.5,
                own_boost=2.5,
                mention_categories={"launch_hype": 1.5, "launch_stock": 0.5, "question": 0.3},
                own_categories={"launch_campaign": 2.0},
                teaser_categories={"launch_teaser": 2.5},
                follower_step=0.06,
                engagement_boost=1.6,
            ),
        ),
    ),
}

# Local-hour weights (0..23). Customers: peaks at lunch and 19-22h, almost nothing 2-6h.
_MENTION_HOURS: Final[tuple[float, ...]] = (
    0.9, 0.55, 0.3, 0.18, 0.15, 0.2, 0.4, 0.8, 1.2, 1.4, 1.5, 1.7,
    2.3, 2.5, 2.2, 1.6, 1.5, 1.6, 1.9, 2.5, 2.8, 2.7, 2.2, 1.5,
)  # fmt: skip
# Brands post in office hours and in the evening window, never at night.
_OWN_HOURS: Final[tuple[float, ...]] = (
    0.05, 0.02, 0.0, 0.0, 0.0, 0.01, 0.1, 0.5, 1.2, 1.5, 1.4, 1.3,
    1.8, 1.9, 1.4, 1.1, 1.0, 1.1, 1.4, 1.9, 2.0, 1.7, 1.0, 0.4,
)  # fmt: skip
# Engagement multiplier by local hour: the "best time to post" signal.
_HOUR_ENGAGEMENT: Final[tuple[float, ...]] = (
    0.6, 0.55, 0.5, 0.5, 0.5, 0.55, 0.65, 0.75, 0.85, 0.9, 0.9, 1.0,
    1.2, 1.25, 1.1, 0.9, 0.9, 0.95, 1.15, 1.65, 1.8, 1.75, 1.4, 0.9,
)  # fmt: skip

_OWN_CONTENT: Final[dict[str, tuple[tuple[str, float], ...]]] = {
    "x": (("text", 0.4), ("image", 0.3), ("video", 0.15), ("link", 0.15)),
    "instagram": (("image", 0.3), ("carousel", 0.25), ("reel", 0.35), ("story", 0.1)),
    "facebook": (("image", 0.35), ("video", 0.2), ("link", 0.2), ("text", 0.1), ("reel", 0.15)),
    "tiktok": (("video", 0.9), ("carousel", 0.1)),
    "linkedin": (("text", 0.25), ("image", 0.35), ("link", 0.2), ("video", 0.1), ("carousel", 0.1)),
    "youtube": (("video", 0.8), ("reel", 0.2)),  # reel = Shorts
}
_MENTION_CONTENT: Final[dict[str, tuple[tuple[str, float], ...]]] = {
    "x": (("text", 0.75), ("image", 0.18), ("video", 0.07)),
    "instagram": (("image", 0.45), ("reel", 0.2), ("story", 0.25), ("carousel", 0.1)),
    "facebook": (("text", 0.65), ("image", 0.25), ("video", 0.1)),
    "tiktok": (("video", 0.95), ("carousel", 0.05)),
    "linkedin": (("text", 0.7), ("image", 0.2), ("link", 0.1)),
    "youtube": (("text", 0.85), ("video", 0.15)),  # mostly comments
}
# content type -> (reach factor, like-rate factor)
_CONTENT_FACTORS: Final[dict[str, tuple[float, float]]] = {
    "text": (0.8, 0.9),
    "image": (1.0, 1.05),
    "carousel": (1.1, 1.25),
    "video": (1.25, 1.1),
    "reel": (1.6, 1.2),
    "link": (0.7, 0.7),
    "story": (0.6, 0.5),
}
_REACH_RATIO: Final[dict[str, float]] = {
    "x": 0.08,
    "instagram": 0.22,
    "facebook": 0.07,
    "tiktok": 0.55,
    "linkedin": 0.14,
    "youtube": 0.3,
}
_LIKE_RATE: Final[dict[str, float]] = {
    "x": 0.03,
    "instagram": 0.08,
    "facebook": 0.05,
    "tiktok": 0.09,
    "linkedin": 0.04,
    "youtube": 0.05,
}
_COMMENT_RATIO: Final[dict[str, float]] = {
    "x": 0.12,
    "instagram": 0.04,
    "facebook": 0.1,
    "tiktok": 0.03,
    "linkedin": 0.06,
    "youtube": 0.07,
}
_SHARE_RATIO: Final[dict[str, float]] = {
    "x": 0.2,
    "instagram": 0.03,
    "facebook": 0.12,
    "tiktok": 0.06,
    "linkedin": 0.08,
    "youtube": 0.03,
}
# Probability that a customer post tags the brand account explicitly.
_BRAND_TAG_P: Final[dict[str, float]] = {
    "x": 0.85,
    "instagram": 0.5,
    "facebook": 0.3,
    "tiktok": 0.4,
    "linkedin": 0.6,
    "youtube": 0.1,
}
# Account-level daily metrics.
_ACCOUNT_ER: Final[dict[str, float]] = {
    "x": 0.009,
    "facebook": 0.011,
    "linkedin": 0.021,
    "youtube": 0.026,
    "instagram": 0.032,
    "tiktok": 0.047,
}
_DAILY_REACH: Final[dict[str, float]] = {
    "x": 0.35,
    "instagram": 0.4,
    "facebook": 0.25,
    "tiktok": 1.2,
    "linkedin": 0.3,
    "youtube": 0.5,
}
_FOLLOWING_RANGE: Final[dict[str, tuple[int, int]]] = {
    "x": (150, 900),
    "instagram": (80, 600),
    "facebook": (0, 40),
    "tiktok": (10, 150),
    "linkedin": (0, 30),
    "youtube": (0, 20),
}
_POSTS_START_RANGE: Final[dict[str, tuple[int, int]]] = {
    "x": (2500, 12000),
    "instagram": (600, 3000),
    "facebook": (1500, 6000),
    "tiktok": (80, 500),
    "linkedin": (200, 1200),
    "youtube": (60, 400),
}
# Own posts per day, used for posts_total when generate_metrics gets no posts.
_OWN_DAILY_RATE: Final[dict[str, float]] = {
    "x": 1.2,
    "instagram": 0.7,
    "facebook": 0.8,
    "tiktok": 0.5,
    "linkedin": 0.3,
    "youtube": 0.15,
}
ER_MIN: Final[float] = 0.005
ER_MAX: Final[float] = 0.06

_B64: Final[str] = string.ascii_letters + string.digits + "-_"
_X_EPOCH_MS: Final[int] = 1288834974657
_MENTION_RE: Final[re.Pattern[str]] = re.compile(r"(?<![\w@])@(\w+)")
_HASHTAG_RE: Final[re.Pattern[str]] = re.compile(r"(?<![\w#&])#(\w+)")
_SPACE_PUNCT_RE: Final[re.Pattern[str]] = re.compile(r"\s+([,.;:!?])")
_ELONGABLE_RE: Final[dict[str, re.Pattern[str]]] = {
    lang: re.compile(
        r"(?<!\w)(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")(?!\w)",
        re.IGNORECASE,
    )
    for lang, words in vocab.ELONGABLE.items()
}
_VOWELS: Final[str] = "aeiouáéíóúAEIOUÁÉÍÓÚ"


# --------------------------------------------------------------------------- small helpers


def _rng(seed: int, *parts: str) -> random.Random:
    # str seeds are hashed with SHA-512: stable across runs and processes.
    return random.Random("|".join((str(seed), *parts)))


def _as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = 0.0
    out: list[float] = []
    for w in weights:
        total += max(0.0, w)
        out.append(total)
    return out


def _pick(rng: random.Random, cum: Sequence[float]) -> int:
    return min(bisect.bisect_right(cum, rng.random() * cum[-1]), len(cum) - 1)


def _pick_weighted(rng: random.Random, table: Sequence[tuple[str, float]]) -> str:
    return table[_pick(rng, _cumulative([w for _, w in table]))][0]


def _sround(rng: random.Random, x: float) -> int:
    """Stochastic rounding: keeps small expected counts from collapsing to zero."""
    n = math.floor(x)
    return int(n) + (1 if rng.random() < x - n else 0)


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9_]", "", ascii_text.lower())


def competitor_handle(name: str) -> str:
    """The handle a demo competitor posts from and is @mentioned by (the generated posts
    use it, and the seeded client names it, so the analyses find the competitor)."""
    return vocab.COMPETITOR_HANDLES.get(name, _slug(name))


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _profile_for(client: ClientSpec) -> _Profile:
    try:
        return _PROFILES[client.industry]
    except KeyError:
        raise ValueError(
            f"no demo profile for industry {client.industry!r}; supported: {sorted(_PROFILES)}"
        ) from None


def _intensity(event: _Event, offset: int) -> float:
    """Event strength on day ``offset`` after its start: peak then exponential decay."""
    if 0 <= offset < event.length:
        return math.exp(-offset / max(1.0, event.length / 3.0))
    return 0.0


def _teaser(event: _Event, offset: int) -> float:
    """Ramp from 1/lead to 1 over the lead days before an event."""
    if event.lead_days > 0 and -event.lead_days <= offset < 0:
        return (event.lead_days + offset + 1) / event.lead_days
    return 0.0


def _schedule(profile: _Profile, first_day: date, days: int) -> list[tuple[_Event, date]]:
    return [(ev, first_day + timedelta(days=round(days * ev.start_frac))) for ev in profile.events]


def _follower_series(
    client: ClientSpec,
    account: AccountSpec,
    profile: _Profile,
    first_day: date,
    days: int,
    seed: int,
) -> list[int]:
    """Followers at 00:00 UTC of each day; index 0 is ``followers_start``."""
    rng = _rng(seed, client.key, account.platform, account.handle, "followers")
    dow_mean = sum(profile.follower_dow) / 7.0
    extra = [0.0] * days
    for ev, ev_date in _schedule(profile, first_day, days):
        ks = [_intensity(ev, (first_day + timedelta(days=i) - ev_date).days) for i in range(days)]
        total = sum(ks)
        if total > 0:
            for i, k in enumerate(ks):
                extra[i] += ev.follower_step * k / total
    value = float(account.followers_start)
    out: list[int] = []
    for i in range(days):
        out.append(round(value))
        dow = (first_day + timedelta(days=i)).weekday()
        growth = account.daily_growth * profile.follower_dow[dow] / dow_mean
        growth *= 1.0 + rng.gauss(0.0, 0.25)
        value = max(0.0, value * (1.0 + growth + extra[i]))
    return out


# --------------------------------------------------------------------------- numeric slots

NumericSlot = Callable[[random.Random, "_Context", str], str]


def _money(country: str, value: int) -> str:
    if country == "PE":
        return f"S/ {value:,}"
    return f"${value:,}"


def _num_amount(rng: random.Random, ctx: _Context, lang: str) -> str:
    value = int(math.exp(rng.uniform(math.log(20), math.log(8000))))
    if value > 100:
        value = value // 10 * 10
    return _money(ctx.client.country, value)


def _num_price(rng: random.Random, ctx: _Context, lang: str) -> str:
    if ctx.client.country == "MX":
        return _money("MX", rng.randrange(4, 40) * 100 - 1)
    return _money(ctx.client.country, rng.randrange(5, 26) * 10 - 1)


def _num_size(rng: random.Random, ctx: _Context, lang: str) -> str:
    half = rng.randint(44, 60) if lang == "es" else rng.randint(12, 26)  # MX cm vs US sizes
    return f"{half / 2:g}"


def _num_rate(rng: random.Random, ctx: _Context, lang: str) -> str:
    return f"{rng.uniform(7.5, 45.0):.1f}%"


def _num_race_time(rng: random.Random, ctx: _Context, lang: str) -> str:
    return f"{rng.randint(38, 59)}:{rng.randint(0, 59):02d}"


def _num_count(rng: random.Random, ctx: _Context, lang: str) -> str:
    return f"{rng.randint(2, 200) * 50:,}"


def _int_slot(low: int, high: int) -> NumericSlot:
    def make(rng: random.Random, ctx: _Context, lang: str) -> str:
        return str(rng.randint(low, high))

    return make


def _choice_slot(values: tuple[int, ...]) -> NumericSlot:
    def make(rng: random.Random, ctx: _Context, lang: str) -> str:
        return str(rng.choice(values))

    return make


_NUMERIC_SLOTS: Final[dict[str, NumericSlot]] = {
    "amount": _num_amount,
    "price": _num_price,
    "size": _num_size,
    "rate": _num_rate,
    "race_time": _num_race_time,
    "count": _num_count,
    "minutes": _int_slot(5, 120),
    "hours": _int_slot(2, 9),
    "days_n": _int_slot(2, 30),
    "times": _int_slot(2, 8),
    "years": _int_slot(2, 25),
    "launch_days": _int_slot(2, 7),
    "big_km": _choice_slot((300, 400, 500, 600, 700, 800, 900)),
    "pct": _choice_slot((10, 15, 20, 25, 30, 35, 40, 50)),
    "months": _choice_slot((3, 6, 10, 12, 18, 24, 36)),
    "km": _choice_slot((5, 10, 15, 21, 42)),
}


# --------------------------------------------------------------------------- context


@dataclass(frozen=True)
class _Author:
    handle: str
    followers: int
    language: str
    influencer: bool


class _Context:
    """Per-client state shared by every post of one generate_posts call."""

    def __init__(self, client: ClientSpec, end: datetime, days: int, seed: int) -> None:
        if days < 1:
            raise ValueError("days must be >= 1")
        if not client.accounts:
            raise ValueError(f"client {client.key!r} has no accounts")
        self.client = client
        self.seed = seed
        self.profile = _profile_for(client)
        self.industry_templates = vocab.TEMPLATES[client.industry]
        self.end_utc = _as_utc(end)
        self.start_utc = self.end_utc - timedelta(days=days)
        self.days = days
        self.first_day = self.end_utc.date() - timedelta(days=days - 1)
        self.tz = client_timezone(client)
        self.schedule = _schedule(self.profile, self.first_day, days)
        self.slots = {lang: self._merge_slots(lang) for lang in LANGUAGES}
        self.followers = {
            (a.platform, a.handle): _follower_series(
                client, a, self.profile, self.first_day, days, seed
            )
            for a in client.accounts
        }
        brand_tags = vocab.BRAND_HASHTAGS.get(client.key, {})
        self.campaign_tags: tuple[str, ...] = brand_tags.get("campaign", (_slug(client.name),))
        self.event_tags: dict[str, tuple[str, ...]] = {
            ev.name: brand_tags.get(ev.name, (_slug(ev.name),)) for ev in self.profile.events
        }
        self.competitors: list[tuple[str, str]] = [
            (name, competitor_handle(name)) for name in client.competitors
        ]
        self.athletes = vocab.ATHLETES.get(client.industry, ())
        id_rng = _rng(seed, client.key, "page-ids")
        self.page_ids = {
            (a.platform, a.handle): str(id_rng.randrange(10**14, 10**15)) for a in client.accounts
        }
        self.authors = _author_pool(client, self.profile, seed)
        self.author_cum = _cumulative([w for _, w in self.authors])

    def _merge_slots(self, lang: str) -> dict[str, tuple[str, ...]]:
        industry = vocab.SLOTS.get(self.client.industry, {})
        brand = vocab.BRAND_SLOTS.get(self.client.key, {})
        merged: dict[str, tuple[str, ...]] = {}
        for layer in (industry.get("*", {}), industry.get(lang, {})):
            merged.update(layer)
        for layer in (brand.get("*", {}), brand.get(lang, {})):
            merged.update(layer)
        return merged

    def templates(self, lang: str, category: str) -> tuple[str, ...]:
        for candidate in (lang, self.client.language, *self.industry_templates):
            bank = self.industry_templates.get(candidate, {})
            if category in bank:
                return bank[category]
        raise ValueError(f"no templates for category {category!r} ({self.client.industry})")

    def language_for(self, lang: str) -> str:
        """Fall back to a language the industry has templates for."""
        if lang in self.industry_templates:
            return lang
        if self.client.language in self.industry_templates:
            return self.client.language
        return next(iter(self.industry_templates))

    def day_index(self, moment: datetime) -> int:
        return min(max((moment.date() - self.first_day).days, 0), self.days - 1)


def _author_pool(client: ClientSpec, profile: _Profile, seed: int) -> list[tuple[_Author, float]]:
    """A few hundred customer handles with heavy-tailed followers and activity."""
    rng = _rng(seed, client.key, "authors")
    taken = {a.handle for a in client.accounts}
    pool: list[tuple[_Author, float]] = []
    n_influencers, n_micro, n_total = 10, 18, 300
    words = vocab.INFLUENCER_WORDS.get(client.industry, {})
    for idx in range(n_total):
        lang = _pick_weighted(rng, profile.language_mix)
        first = _slug(rng.choice(vocab.FIRST_NAMES[lang]))
        if lang == "es":
            last_pool = vocab.LAST_NAMES["es"] + vocab.COUNTRY_LAST_NAMES.get(client.country, ())
        else:  # many US English speakers have Hispanic surnames
            last_pool = vocab.LAST_NAMES["en"] if rng.random() < 0.75 else vocab.LAST_NAMES["es"]
        last = _slug(rng.choice(last_pool))
        influencer = idx < n_influencers
        if influencer:
            followers = int(math.exp(rng.uniform(math.log(50_000), math.log(500_000))))
            word = rng.choice(words.get(lang, ("tips",)))
            joiner = "con" if lang == "es" else "with"
            handle = rng.choice(
                (first + word, word + joiner + first, first + "_" + word, first + last[:3] + word)
            )
            weight = 4.0 * rng.lognormvariate(0.0, 0.2)  # influencers post repeatedly
        else:
            if idx < n_influencers + n_micro:
                followers = int(math.exp(rng.uniform(math.log(3_000), math.log(25_000))))
                weight = 1.5 * rng.lognormvariate(0.0, 0.5)
            else:
                followers = min(max(int(rng.lognormvariate(math.log(350), 0.95)), 12), 9_000)
                weight = rng.lognormvariate(0.0, 0.9)
            suffix = rng.choice(vocab.HANDLE_SUFFIXES[lang])
            handle = rng.choice(
                (
                    first + last,
                    first + "_" + last,
                    f"{first}{last[:1]}{rng.randint(1, 99)}",
                    f"{first}{rng.randint(70, 2005)}",
                    first + "_" + suffix,
                    last + first[:1],
                    f"{first}{last}{suffix}",
                )
            )
        if len(handle) > 15:  # X limit
            handle = f"{first}{last[:1]}{rng.randint(1, 99)}"[:15]
        while handle in taken:
            handle = f"{handle[:11]}{rng.randint(10, 9999)}"
        taken.add(handle)
        pool.append((_Author(handle, followers, lang, influencer), weight))
    return pool


# --------------------------------------------------------------------------- text


class _SlotFiller(dict[str, str]):
    """Lazy ``format_map`` mapping: each slot is drawn once per post."""

    def __init__(self, rng: random.Random, ctx: _Context, lang: str, account: AccountSpec) -> None:
        super().__init__()
        self._rng = rng
        self._ctx = ctx
        self._lang = lang
        self._account = account

    def __missing__(self, key: str) -> str:
        value = self._resolve(key)
        self[key] = value
        return value

    def _resolve(self, key: str) -> str:
        rng, ctx = self._rng, self._ctx
        if key == "brand":
            return ctx.client.name
        if key == "brand_at":
            return "@" + self._account.handle
        if key in ("competitor", "competitor_at"):
            if ctx.competitors:
                name, handle = rng.choice(ctx.competitors)
                at = "@" + handle
            else:
                name = at = "la competencia" if self._lang == "es" else "the competition"
            self["competitor"], self["competitor_at"] = name, at
            return self[key]
        if key in ("athlete", "athlete_at"):
            if ctx.athletes:
                name, handle = rng.choice(ctx.athletes)
                at = "@" + handle
            else:
                name = at = "nuestro equipo" if self._lang == "es" else "our team"
            self["athlete"], self["athlete_at"] = name, at
            return self[key]
        base = key.rstrip(string.digits)
        numeric = _NUMERIC_SLOTS.get(base)
        if numeric is not None:
            return numeric(rng, ctx, self._lang)
        values = ctx.slots[self._lang].get(base)
        if not values:
            raise KeyError(key)
        value = rng.choice(values)
        if base != key:  # "{city2}" should differ from "{city}"
            for _ in range(4):
                if value != self.get(base):
                    break
                value = rng.choice(values)
        return value


def _shout(text: str) -> str:
    return " ".join(w if w[:1] in "@#" else w.upper() for w in text.split())


def _elongate(rng: random.Random, text: str, lang: str) -> str:
    pattern = _ELONGABLE_RE.get(lang)
    matches = list(pattern.finditer(text)) if pattern else []
    if not matches:
        return text
    m = rng.choice(matches)
    word = m.group(0)
    idx = max(word.rfind(v) for v in _VOWELS)
    if idx < 0:
        return text
    stretched = word[: idx + 1] + word[idx] * rng.randint(2, 5) + word[idx + 1 :]
    return text[: m.start()] + stretched + text[m.end() :]


def _clean(text: str) -> str:
    return _SPACE_PUNCT_RE.sub(r"\1", " ".join(text.split()))


def _compose(
    rng: random.Random,
    ctx: _Context,
    *,
    category: str,
    lang: str,
    account: AccountSpec,
    is_own: bool,
    event_tags: tuple[str, ...],
) -> str:
    tone, emotions = vocab.CATEGORY_INFO[category]
    emotion = rng.choice(emotions)
    platform = account.platform
    body = rng.choice(ctx.templates(lang, category)).format_map(
        _SlotFiller(rng, ctx, lang, account)
    )
    if body[:1].islower():
        body = body[0].upper() + body[1:]
    if not is_own and emotion == "anger" and rng.random() < 0.1:
        body = _shout(body)

    opener = closer = ""
    if rng.random() < (0.3 if is_own else 0.35):
        opener = rng.choice(vocab.OPENERS[lang][emotion])
        # "Sinceramente, llevo..." rather than "Sinceramente, Llevo..."
        lowers = opener[-1] == "," or opener[-1].isalpha()
        if lowers and body[1:2].islower() and not body.startswith(ctx.client.name):
            body = body[0].lower() + body[1:]
    if rng.random() < (0.35 if is_own else 0.4):
        closer = rng.choice(vocab.CLOSERS[lang][emotion])
        if body[-1:].isalnum():
            body += "."  # "...we'll see. Thanks." rather than "...we'll see Thanks."

    elongate_p = 0.03 if is_own else (0.06 if tone == "neutral" else 0.16)
    elongate = rng.random() < elongate_p

    emoji = ""
    emoji_p = 0.55 if is_own else {"negative": 0.5, "positive": 0.65}.get(tone, 0.2)
    if rng.random() < emoji_p:
        pool = (
            vocab.BRAND_EMOJI.get(ctx.client.industry, ("✨",))
            if emotion == "brand"
            else vocab.EMOJI[emotion]
        )
        first = rng.choice(pool)
        emoji = (
            first * rng.choice((1, 1, 1, 2, 3)) if rng.random() < 0.6 else first + rng.choice(pool)
        )

    prefix = suffix = ""
    if not is_own and rng.random() < _BRAND_TAG_P[platform]:
        if platform == "x" and rng.random() < 0.6:
            prefix = "@" + account.handle  # a reply
        else:
            suffix = "@" + account.handle

    tags: list[str] = []
    topical = vocab.TOPIC_HASHTAGS.get(ctx.client.industry, {}).get(category, ())
    platform_tags = vocab.PLATFORM_HASHTAGS.get(lang, {}).get(platform, ())
    if event_tags and rng.random() < (0.7 if is_own else 0.45):
        tags.append(rng.choice(event_tags))
    if is_own:
        if rng.random() < 0.55:
            tags.append(rng.choice(ctx.campaign_tags))
        if topical and rng.random() < 0.5:
            tags.append(rng.choice(topical))
        if platform_tags and rng.random() < 0.2:
            tags.append(rng.choice(platform_tags))
    else:
        if topical and rng.random() < 0.22:
            tags.append(rng.choice(topical))
        if rng.random() < 0.05:
            tags.append(rng.choice(ctx.campaign_tags))
        if platform_tags and rng.random() < 0.08:
            tags.append(rng.choice(platform_tags))
    tag_text = " ".join("#" + t for t in _unique(tags))

    def assemble(with_frame: bool) -> str:
        core = " ".join(
            p for p in ((opener if with_frame else ""), body, (closer if with_frame else "")) if p
        )
        if elongate:
            core = _elongate(rng, core, lang)
        return _clean(" ".join((prefix, core, emoji, suffix, tag_text)))

    text = assemble(True)
    if platform == "x" and len(text) > 280:
        text = assemble(False)
    return text


# --------------------------------------------------------------------------- engagement & ids


def _engagement(
    rng: random.Random,
    *,
    platform: str,
    content_type: str,
    followers: int,
    hour: int,
    dow_factor: float,
    tone: str,
    is_own: bool,
    boost: float,
) -> tuple[int, int, int, int, int]:
    """Return likes, comments, shares, views, reach (views >= reach >= likes >= 0)."""
    reach_f, like_f = _CONTENT_FACTORS[content_type]
    hour_f = _HOUR_ENGAGEMENT[hour]
    # Brand posts perform more consistently than random customers' posts.
    noise = rng.lognormvariate(0.0, 0.55 if is_own else 0.7)
    perf = reach_f * hour_f * dow_factor * boost * noise
    base = followers * _REACH_RATIO[platform]
    if not is_own:
        base += 15.0  # replies and tags are also seen by part of the brand's audience
        viral_p = (0.05 if tone == "negative" else 0.015) * boost
        if rng.random() < viral_p:
            perf *= rng.uniform(5.0, 40.0)
    reach = max(1, _sround(rng, base * perf))
    like_rate = _LIKE_RATE[platform] * like_f * math.sqrt(hour_f) * rng.lognormvariate(0.0, 0.35)
    negative = tone == "negative" and not is_own
    if negative:
        like_rate *= 0.7  # complaints collect replies more than likes
    likes = min(reach, _sround(rng, reach * like_rate))
    comment_mult = 2.8 if negative else (1.2 if tone == "neutral" else 1.0)
    comments = _sround(
        rng, likes * _COMMENT_RATIO[platform] * comment_mult * rng.lognormvariate(0.0, 0.4)
    )
    shares = _sround(
        rng,
        likes * _SHARE_RATIO[platform] * (1.6 if negative else 1.0) * rng.lognormvariate(0.0, 0.4),
    )
    if content_type in ("video", "reel"):
        views = round(reach * rng.uniform(1.8, 3.5))  # autoplay and replays
    else:
        views = round(reach * rng.uniform(1.05, 1.6))
    return likes, comments, shares, max(views, reach), reach


def _code(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(_B64, k=n))


def _native_id(
    rng: random.Random,
    ctx: _Context,
    account: AccountSpec,
    author: str,
    content_type: str,
    published_at: datetime,
    is_own: bool,
) -> tuple[str, str | None]:
    """Platform-like id and URL (X/LinkedIn snowflakes and TikTok ids embed the time)."""
    ms = int(published_at.timestamp() * 1000)
    platform = account.platform
    if platform == "x":
        sid = str(((ms - _X_EPOCH_MS) << 22) | rng.getrandbits(22))
        return sid, f"https://x.com/{author}/status/{sid}"
    if platform == "instagram":
        if content_type == "story":
            sid = str((ms << 12) | rng.getrandbits(12))
            return sid, f"https://www.instagram.com/stories/{author}/{sid}/"
        code = _code(rng, 11)
        kind = "reel" if content_type == "reel" else "p"
        return code, f"https://www.instagram.com/{kind}/{code}/"
    if platform == "facebook":
        post = str(rng.randrange(10**15, 10**16))
        ext = f"{ctx.page_ids[(platform, account.handle)]}_{post}"
        if is_own:
            return ext, f"https://www.facebook.com/{account.handle}/posts/{post}"
        if rng.random() < 0.3:
            return ext, None  # private profile: no public link
        return ext, f"https://www.facebook.com/{author}/posts/{post}"
    if platform == "tiktok":
        sid = str((int(published_at.timestamp()) << 32) | rng.getrandbits(32))
        kind = "photo" if content_type == "carousel" else "video"
        return sid, f"https://www.tiktok.com/@{author}/{kind}/{sid}"
    if platform == "linkedin":
        urn = f"urn:li:activity:{(ms << 22) | rng.getrandbits(22)}"
        return urn, f"https://www.linkedin.com/feed/update/{urn}/"
    # youtube
    if content_type in ("video", "reel"):
        vid = _code(rng, 11)
        if content_type == "reel":
            return vid, f"https://www.youtube.com/shorts/{vid}"
        return vid, f"https://www.youtube.com/watch?v={vid}"
    cid = "Ugz" + _code(rng, 23)
    return cid, f"https://www.youtube.com/watch?v={_code(rng, 11)}&lc={cid}"


# --------------------------------------------------------------------------- posts


def _day_plan(
    ctx: _Context,
    rng: random.Random,
    local_days: list[date],
    *,
    own: bool,
) -> tuple[list[float], list[str], list[list[float]], list[list[tuple[_Event, float]]]]:
    """Daily volume weights, category list, per-day category cum weights, active events."""
    profile = ctx.profile
    base = profile.own_categories if own else profile.mention_categories
    if own:
        extra_cats = [
            c for ev in profile.events for c in (*ev.own_categories, *ev.teaser_categories)
        ]
    else:
        extra_cats = [c for ev in profile.events for c in ev.mention_categories]
    cats = _unique([*base, *extra_cats])
    # Slow waves per category, stable for the seed, so topics drift over the window.
    trend_rng = _rng(ctx.seed, ctx.client.key, "trends", "own" if own else "mentions")
    waves = {
        c: (trend_rng.uniform(0.15, 0.35), trend_rng.uniform(35, 90), trend_rng.uniform(0, 6.283))
        for c in cats
    }
    n = len(local_days)
    volume: list[float] = []
    cat_cums: list[list[float]] = []
    active: list[list[tuple[_Event, float]]] = []
    for i, day in enumerate(local_days):
        frac = i / max(1, n - 1)
        dow = day.weekday()
        if own:
            w = profile.own_dow[dow] * rng.lognormvariate(0.0, 0.1)
        else:  # audience grows, so mention volume drifts up
            w = profile.mention_dow[dow] * (0.85 + 0.3 * frac) * rng.lognormvariate(0.0, 0.18)
        weights = []
        for c in cats:
            amp, period, phase = waves[c]
            start_m, end_m = profile.trends.get(c, (1.0, 1.0))
            trend = start_m + (end_m - start_m) * frac
            weights.append(
                base.get(c, 0.0) * trend * (1 + amp * math.sin(2 * math.pi * i / period + phase))
            )
        day_events: list[tuple[_Event, float]] = []
        for ev, ev_date in ctx.schedule:
            offset = (day - ev_date).days
            k = _intensity(ev, offset)
            t = _teaser(ev, offset) if own else 0.0
            if k <= 0 and t <= 0:
                continue
            day_events.append((ev, k))
            boost = ev.own_boost if own else ev.mention_boost
            w *= 1 + (boost - 1) * max(k, 0.7 * t)
            add = ev.own_categories if own else ev.mention_categories
            for j, c in enumerate(cats):
                weights[j] += add.get(c, 0.0) * k
                if own:
                    weights[j] += ev.teaser_categories.get(c, 0.0) * t
        volume.append(w)
        cat_cums.append(_cumulative(weights))
        active.append(day_events)
    return volume, cats, cat_cums, active


def _sample_time(
    rng: random.Random,
    ctx: _Context,
    local_days: list[date],
    day_cum: list[float],
    hour_cum: list[float],
) -> tuple[datetime, int, int]:
    """Published time (UTC), local-day index and local hour, inside (start, end]."""
    for _ in range(100):
        i = _pick(rng, day_cum)
        hour = _pick(rng, hour_cum)
        local = datetime.combine(
            local_days[i], time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=ctx.tz
        )
        moment = local.astimezone(UTC)
        if ctx.start_utc < moment <= ctx.end_utc:
            return moment, i, hour
    # Practically unreachable; fall back to the window midpoint.
    moment = (ctx.start_utc + (ctx.end_utc - ctx.start_utc) / 2).replace(microsecond=0)
    local = moment.astimezone(ctx.tz)
    return moment, (local.date() - local_days[0]).days, local.hour


def generate_posts(
    client: ClientSpec,
    *,
    n_posts: int,
    end: datetime,
    days: int = 180,
    seed: int = 7,
) -> list[GeneratedPost]:
    """Own posts (~15-25%) and customer mentions over ``days`` days ending at ``end``.

    Sorted by ``published_at``. A naive ``end`` is taken as UTC.
    """
    if n_posts < 0:
        raise ValueError("n_posts must be >= 0")
    ctx = _Context(client, end, days, seed)
    rng = _rng(seed, client.key, "posts")
    profile = ctx.profile

    local_start = ctx.start_utc.astimezone(ctx.tz).date()
    local_end = ctx.end_utc.astimezone(ctx.tz).date()
    local_days = [
        local_start + timedelta(days=i) for i in range((local_end - local_start).days + 1)
    ]

    own_share = rng.uniform(0.17, 0.23)
    n_own = round(n_posts * own_share)
    accounts = client.accounts
    own_account_cum = _cumulative([profile.own_platforms.get(a.platform, 1.0) for a in accounts])
    mention_w = [profile.mention_platforms.get(a.platform, 1.0) for a in accounts]
    neg_account_cum = _cumulative(
        [
            w * profile.negative_platforms.get(a.platform, 1.0)
            for w, a in zip(mention_w, accounts, strict=True)
        ]
    )
    mention_account_cum = _cumulative(mention_w)
    own_hour_cum = _cumulative(_OWN_HOURS)
    mention_hour_cum = _cumulative(_MENTION_HOURS)
    used_ids: dict[tuple[str, str], set[str]] = {(a.platform, a.handle): set() for a in accounts}
    posts: list[GeneratedPost] = []

    for own in (True, False):
        count = n_own if own else n_posts - n_own
        volume, cats, cat_cums, active = _day_plan(ctx, rng, local_days, own=own)
        day_cum = _cumulative(volume)
        hour_cum = own_hour_cum if own else mention_hour_cum
        for _ in range(count):
            published_at, day_i, hour = _sample_time(rng, ctx, local_days, day_cum, hour_cum)
            category = cats[_pick(rng, cat_cums[day_i])]
            author: _Author | None = None
            if not own:
                author = ctx.authors[_pick(rng, ctx.author_cum)][0]
                # Influencers mostly post praise and hype, rarely complaints.
                negative = vocab.CATEGORY_INFO[category][0] == "negative"
                if author.influencer and negative and rng.random() < 0.6:
                    category = cats[_pick(rng, cat_cums[day_i])]
            tone = vocab.CATEGORY_INFO[category][0]
            if own:
                account = accounts[_pick(rng, own_account_cum)]
                lang = _pick_weighted(rng, profile.language_mix)
            else:
                cum = neg_account_cum if tone == "negative" else mention_account_cum
                account = accounts[_pick(rng, cum)]
                assert author is not None
                lang = author.language
                if len(profile.language_mix) > 1 and rng.random() < 0.1:
                    lang = _pick_weighted(rng, profile.language_mix)  # bilingual people
            lang = ctx.language_for(lang)

            # Event hashtags and engagement boost only for categories the event drives.
            event_tags: tuple[str, ...] = ()
            boost = 1.0
            for ev, k in active[day_i]:
                drives = ev.own_categories if own else ev.mention_categories
                if category in drives and k > 0.05:
                    event_tags = ctx.event_tags[ev.name]
                    boost *= 1 + (ev.engagement_boost - 1) * k * (0.6 if own else 1.0)

            text = _compose(
                rng,
                ctx,
                category=category,
                lang=lang,
                account=account,
                is_own=own,
                event_tags=event_tags,
            )
            table = _OWN_CONTENT if own else _MENTION_CONTENT
            content_type = _pick_weighted(rng, table[account.platform])
            if own:
                author_handle = account.handle
                author_followers = ctx.followers[(account.platform, account.handle)][
                    ctx.day_index(published_at)
                ]
            else:
                assert author is not None
                author_handle, author_followers = author.handle, author.followers
            local_dow = local_days[day_i].weekday()
            likes, comments, shares, views, reach = _engagement(
                rng,
                platform=account.platform,
                content_type=content_type,
                followers=author_followers,
                hour=hour,
                dow_factor=profile.engagement_dow[local_dow],
                tone=tone,
                is_own=own,
                boost=boost,
            )
            seen = used_ids[(account.platform, account.handle)]
            while True:
                external_id, url = _native_id(
                    rng, ctx, account, author_handle, content_type, published_at, own
                )
                if external_id not in seen:
                    seen.add(external_id)
                    break
            posts.append(
                GeneratedPost(
                    platform=account.platform,
                    account_handle=account.handle,
                    external_id=external_id,
                    author_handle=author_handle,
                    author_followers=author_followers,
                    text=text,
                    published_at=published_at,
                    likes=likes,
                    comments=comments,
                    shares=shares,
                    views=views,
                    reach=reach,
                    content_type=content_type,
                    hashtags=_unique([t.lower() for t in _HASHTAG_RE.findall(text)]),
                    mentions=_unique(_MENTION_RE.findall(text)),
                    url=url,
                    language=lang,
                    is_own=own,
                    tone=tone,
                )
            )
    posts.sort(key=lambda p: (p.published_at, p.platform, p.external_id))
    return posts


# --------------------------------------------------------------------------- metrics


def generate_metrics(
    client: ClientSpec,
    *,
    end: datetime,
    days: int = 180,
    seed: int = 7,
    posts: Sequence[GeneratedPost] | None = None,
) -> list[GeneratedMetric]:
    """One row per account per day (00:00 UTC) for the ``days`` days ending at ``end``.

    Followers match the ``author_followers`` of own posts from ``generate_posts`` with the
    same seed. When ``posts`` is given, ``posts_total`` counts those own posts exactly;
    otherwise it grows with a simulated posting rate.
    """
    if days < 1:
        raise ValueError("days must be >= 1")
    profile = _profile_for(client)
    end_utc = _as_utc(end)
    first_day = end_utc.date() - timedelta(days=days - 1)
    schedule = _schedule(profile, first_day, days)
    day_list = [first_day + timedelta(days=i) for i in range(days)]
    eng_boost = []
    for day in day_list:
        b = 1.0
        for ev, ev_date in schedule:
            b *= 1 + (ev.engagement_boost - 1) * 0.5 * _intensity(ev, (day - ev_date).days)
        eng_boost.append(b)

    own_times: dict[tuple[str, str], list[datetime]] = {}
    if posts is not None:
        for p in posts:
            if p.is_own:
                own_times.setdefault((p.platform, p.account_handle), []).append(p.published_at)
        for times in own_times.values():
            times.sort()

    out: list[GeneratedMetric] = []
    for account in client.accounts:
        key = (account.platform, account.handle)
        followers = _follower_series(client, account, profile, first_day, days, seed)
        rng = _rng(seed, client.key, account.platform, account.handle, "metrics")
        following = following_start = rng.randint(*_FOLLOWING_RANGE[account.platform])
        posts_start = rng.randint(*_POSTS_START_RANGE[account.platform])
        simulated_total = posts_start
        times = own_times.get(key, [])
        for i, day in enumerate(day_list):
            captured_at = datetime.combine(day, time(0), tzinfo=UTC)
            if posts is not None:
                posts_total = posts_start + bisect.bisect_left(times, captured_at)
            else:
                if i > 0:
                    lam = (
                        _OWN_DAILY_RATE[account.platform]
                        * profile.own_dow[day_list[i - 1].weekday()]
                    )
                    simulated_total += _poisson(rng, lam)
                posts_total = simulated_total
            if i > 0 and rng.random() < 0.12:
                step = rng.choice((-2, -1, 1, 1, 2, 3))
                if abs(following - following_start) > 0.1 * following_start + 8:
                    step = -abs(step) if following > following_start else abs(step)  # stay flat
                following = max(0, following + step)
            dow_f = profile.engagement_dow[day.weekday()]
            er = (
                _ACCOUNT_ER[account.platform] * dow_f * eng_boost[i] * rng.lognormvariate(0.0, 0.12)
            )
            reach = round(
                followers[i]
                * _DAILY_REACH[account.platform]
                * dow_f
                * eng_boost[i]
                * rng.lognormvariate(0.0, 0.18)
            )
            impressions = max(reach, round(reach * rng.uniform(1.3, 2.4)))
            out.append(
                GeneratedMetric(
                    platform=account.platform,
                    account_handle=account.handle,
                    captured_at=captured_at,
                    followers=followers[i],
                    following=following,
                    posts_total=posts_total,
                    engagement_rate=round(min(max(er, ER_MIN), ER_MAX), 5),
                    reach=reach,
                    impressions=impressions,
                )
            )
    return out


# --------------------------------------------------------------------------- demo


def generate_demo(
    *,
    end: datetime,
    seed: int = 7,
    posts_per_client: int = 2500,
    days: int = 180,
) -> list[DemoClientData]:
    """Posts and metrics for every client in DEMO_CLIENTS (metrics count the own posts)."""
    result: list[DemoClientData] = []
    for client in DEMO_CLIENTS:
        posts = generate_posts(client, n_posts=posts_per_client, end=end, days=days, seed=seed)
        metrics = generate_metrics(client, end=end, days=days, seed=seed, posts=posts)
        result.append(DemoClientData(client=client, posts=posts, metrics=metrics))
    return result

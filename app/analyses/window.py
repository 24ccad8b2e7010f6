"""The Window: one run's posts, enriched, with everything the questions share.

Built once per run (or per job: every question of every level reads the same window)
by `Window.build`, which is CPU-bound and runs in a worker thread: it enriches the posts
in place, fits the topic model, and computes the per-post values (local times, dates,
engagement rates) and the daily and weekly aggregates that several questions and both
engines read. It is passed explicitly to whichever engine runs; nothing is cached
elsewhere, so dropping the window frees its memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.ai.local.topics import TopicModel
from app.analyses.brand import BrandMatcher, Role, competitors_of, role_of
from app.analyses.enrichment import enrich_in_place
from app.analyses.records import Copies, PostRecord
from app.analyses.statistics import (
    Concentration,
    Group,
    Spike,
    Trend,
    concentration,
    days_between,
    engagement_rate,
    negative_spikes,
    trend,
    week_start,
    weeks_between,
)
from app.analyses.wording import fmt_num
from app.clients.service import ClientProfile

Language = Literal["es", "en"]
DAILY_MAX_DAYS = 31  # windows up to this long are shown per day, longer ones per week


@dataclass(frozen=True, eq=False)
class Window:
    """The posts of one client in one date window, ready for every question."""

    client: ClientProfile
    start: datetime  # published_at >= start (timezone-aware)
    end: datetime  # published_at < end
    lang: Language  # language of human-readable text in results
    tz: tzinfo  # the tenant's time zone (UTC when its name is unknown)
    tz_name: str
    posts: Sequence[PostRecord]  # enriched, oldest first
    local: Sequence[datetime]  # published_at in the tenant's time zone, per post
    dates: Sequence[date]  # the local date, per post
    rates: Sequence[float]  # engagement_rate, per post (0 for a retweet: see PostRecord)
    brand: BrandMatcher
    competitors: tuple[BrandMatcher, ...]  # the client's competitors, in its order
    originals: Sequence[int]  # the posts that count for content: each text once
    copy_of: Sequence[int]  # per post, the index of the original it repeats (or itself)
    retweets: int  # posts that are retweets
    duplicates: int  # posts, not retweets, that repeat an earlier post's text
    topics: TopicModel  # the topic model the posts' topics come from
    daily: Mapping[date, Group]  # days with posts
    weekly: Mapping[date, Group]  # weeks (by their Monday) with posts
    spikes: Sequence[Spike]  # negative spikes over the posts' days
    volume_trend: Trend | None  # weekly posts, over the window's full weeks
    engagement_trend: Trend | None  # weekly mean engagement per post, same weeks
    notes: Sequence[str]  # what every result should say about the window
    enrichment_changed: Sequence[int]  # posts whose stored enrichment must be updated

    @classmethod
    def build(
        cls,
        posts: list[PostRecord],
        *,
        client: ClientProfile,
        start: datetime,
        end: datetime,
        language: str,
        timezone: str,
        topics: int | None = None,
    ) -> Window:
        """Enrich `posts` in place and compute the window (CPU-bound: call it in a
        thread). `language` is the tenant's ("es" or anything else, read as "en");
        `topics`, how many topics to seek (None: chosen from the window's size)."""
        notes: list[str] = []
        lang: Language = "es" if (language or "en").lower()[:2] == "es" else "en"
        tz: tzinfo
        try:
            tz, tz_name = ZoneInfo(timezone), timezone
        except (ZoneInfoNotFoundError, ValueError):
            tz, tz_name = ZoneInfo("UTC"), "UTC"
            notes.append(_ZONE_NOTE[lang].format(zone=timezone))
        brand = BrandMatcher.of(posts, client.handles, client.name, client.aliases)
        copies = Copies.of(posts)
        changed, model = enrich_in_place(posts, brand.handles, copies, topics=topics)
        notes.extend(copies_notes(len(posts), copies, lang))
        local = tuple(p.published_at.astimezone(tz) for p in posts)
        dates = tuple(t.date() for t in local)
        rates = tuple(engagement_rate(p) for p in posts)
        daily: dict[date, Group] = {}
        weekly: dict[date, Group] = {}
        for post, day, rate in zip(posts, dates, rates, strict=True):
            daily.setdefault(day, Group()).add(post, rate)
            weekly.setdefault(week_start(day), Group()).add(post, rate)
        span = _span(start, end, posts)
        weeks = weeks_between(min(dates), max(dates)) if dates else []
        volume, engagement = _weekly_trends(weeks, weekly, _full_weeks(weeks, span, tz))
        return cls(
            client=client,
            start=start,
            end=end,
            lang=lang,
            tz=tz,
            tz_name=tz_name,
            posts=posts,
            local=local,
            dates=dates,
            rates=rates,
            brand=brand,
            competitors=competitors_of(client.competitors),
            originals=copies.originals,
            copy_of=copies.copy_of,
            retweets=copies.retweets,
            duplicates=copies.duplicates,
            topics=model,
            daily=daily,
            weekly=weekly,
            spikes=negative_spikes(days_between(min(dates), max(dates)), daily) if dates else [],
            volume_trend=volume,
            engagement_trend=engagement,
            notes=tuple(notes),
            enrichment_changed=tuple(changed),
        )

    @property
    def n(self) -> int:
        return len(self.posts)

    def original_posts(self) -> list[PostRecord]:
        """The posts that count for content (topics, frames, personality, influencers,
        examples): each text once, oldest first."""
        return [self.posts[i] for i in self.originals]

    def role(self, handle: str) -> Role:
        """Whose voice `handle` is: "brand", "competitor", "media" (outlets and
        institutions) or "voice"."""
        return role_of(handle, self.brand, self.competitors)

    def span(self) -> tuple[datetime, datetime]:
        """(start, end) of the window; the posts' span when the window is unusable."""
        return _span(self.start, self.end, self.posts)

    @property
    def granularity(self) -> Literal["day", "week"]:
        """How series over time are shown: per day up to `DAILY_MAX_DAYS`, else weeks."""
        start, end = self.span()
        return "day" if (end - start).total_seconds() <= DAILY_MAX_DAYS * 86400 else "week"

    def day_range(self) -> list[date]:
        """Every day from the first post's to the last post's (local dates)."""
        return days_between(min(self.dates), max(self.dates)) if self.dates else []

    def week_range(self) -> list[date]:
        """The Monday of every week from the first post's to the last post's."""
        return weeks_between(min(self.dates), max(self.dates)) if self.dates else []

    def concentration(self) -> Concentration | None:
        """Set when most posts fall in a few of the window's days (a collection burst):
        trends over the window then say nothing (statistics.concentration)."""
        per_day = {day: group.posts for day, group in self.daily.items()}
        return concentration(per_day, len(self.day_range()))

    def trend_weeks(self) -> list[int]:
        """Positions in `week_range()` of the weeks a trend is computed on: the weeks that
        lie wholly inside the window (partial first and last weeks would bend it), or
        all of them when fewer than three are whole."""
        return _full_weeks(self.week_range(), self.span(), self.tz)


_ZONE_NOTE = {
    "en": "Unknown time zone '{zone}'; times are in UTC.",
    "es": "Zona horaria desconocida «{zone}»; las horas están en UTC.",
}

_COPIES_NOTE = {
    "en": {
        "both": "{retweets} of the {posts} posts are retweets and {duplicates} repeat an "
        "earlier post's text",
        "retweets": "{retweets} of the {posts} posts are retweets",
        "duplicates": "{duplicates} of the {posts} posts repeat an earlier post's text",
        "rule": ": topics, frames, personality, influencers and examples count each text once "
        "({originals} distinct texts); sentiment and emotion shares count every post (a "
        "retweet endorses the text); a retweet's engagement belongs to its original.",
    },
    "es": {
        "both": "{retweets} de las {posts} publicaciones son retuits y {duplicates} repiten el "
        "texto de otra anterior",
        "retweets": "{retweets} de las {posts} publicaciones son retuits",
        "duplicates": "{duplicates} de las {posts} publicaciones repiten el texto de otra anterior",
        "rule": ": temas, encuadres, personalidad, influenciadores y ejemplos cuentan cada "
        "texto una vez ({originals} textos distintos); las proporciones de sentimiento y "
        "emoción cuentan todas las publicaciones (un retuit respalda el texto); la "
        "interacción de un retuit pertenece a su original.",
    },
}


def copies_notes(posts: int, copies: Copies, lang: Language) -> list[str]:
    """The note every result carries when some posts are retweets or repeated texts."""
    if not copies.retweets and not copies.duplicates:
        return []
    said = _COPIES_NOTE[lang]
    head = (
        "both"
        if copies.retweets and copies.duplicates
        else "retweets"
        if copies.retweets
        else "duplicates"
    )
    return [
        (said[head] + said["rule"]).format(
            retweets=fmt_num(copies.retweets, lang),
            posts=fmt_num(posts, lang),
            duplicates=fmt_num(copies.duplicates, lang),
            originals=fmt_num(len(copies.originals), lang),
        )
    ]


def _span(start: datetime, end: datetime, posts: Sequence[PostRecord]) -> tuple[datetime, datetime]:
    if end > start:
        return start, end
    times = [p.published_at for p in posts]
    return (min(times), max(times)) if times else (start, end)


def _full_weeks(weeks: Sequence[date], span: tuple[datetime, datetime], tz: tzinfo) -> list[int]:
    start, end = span
    first_day = start.astimezone(tz).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(tz).date()
    full = [k for k, w in enumerate(weeks) if w >= first_day and w + timedelta(days=6) <= last_day]
    return full if len(full) >= 3 else list(range(len(weeks)))


def _weekly_trends(
    weeks: Sequence[date], weekly: Mapping[date, Group], full: Sequence[int]
) -> tuple[Trend | None, Trend | None]:
    """Trends of weekly posts and of mean engagement per post (weeks with posts)."""
    if not weeks:
        return None, None
    empty = Group()
    points = [weekly.get(w, empty) for w in weeks]
    volume = trend([float(points[k].posts) for k in full], [float(k) for k in full])
    busy = [k for k in full if points[k].posts]
    engagement = trend(
        [round(points[k].mean_engagement, 4) for k in busy], [float(k) for k in busy]
    )
    return volume, engagement

"""Typed tools over the tenant's data, for both chat engines.

The local engine calls one tool for a data question it recognises (`app.chat.intents`)
and answers with the tool's `summary`; the OpenAI-compatible engine is offered the same
tools as functions (each `parameters` model's JSON schema) and reads `summary` and
`data`. Every tool reads through the other domains' services where one exists, and
where none does (counting and summing posts), a query on the session whose first
condition is the tenant's: a model never writes SQL, and nothing of another tenant is
ever read. Dates are local days in the tenant's zone, inclusive; a query filters on
the [start, end) instants they cover.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import Float, and_, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analyses import registry
from app.analyses import service as analyses_service
from app.analyses.statistics import AUDIENCE_FLOOR
from app.analyses.wording import EMOTION_NAMES, fmt_num, fmt_pct, fmt_pts, fmt_rate, fmt_ratio
from app.chat.dates import describe_period, local_bounds, local_day
from app.clients import service as clients_service
from app.clients.models import SocialAccount
from app.core.auth import AuthContext
from app.core.db import SessionOpener
from app.core.enums import AgentTool, Role
from app.core.errors import NotFound
from app.core.imports import PLATFORM_ALIASES
from app.core.scope import TenantScope
from app.forecasting import service as forecasting_service
from app.metrics import service as metrics_service
from app.posts import service as posts_service
from app.posts.models import Post

# --------------------------------------------------------------------------- interfaces


@dataclass(frozen=True)
class ToolScope:
    """What a turn lends its tools. Each call opens its own session (`sessions`): no
    connection is held between calls, nor while a language model decides the next one."""

    sessions: SessionOpener
    scope: TenantScope  # every query filters by it
    language: str  # "es" | "en": the agent's language; summaries in it
    timezone: str  # the tenant's IANA zone (dates are local days)
    today: date  # the local date "now"
    client_id: uuid.UUID | None  # the conversation's client, if any (a default filter)
    # The tenant's clients (id, name, aliases) as the turn read them; None: read per call.
    clients: Sequence[tuple[uuid.UUID, str, tuple[str, ...]]] | None = None


@dataclass(frozen=True)
class ToolContext(ToolScope):
    """What one tool call reads with: the turn's scope and the call's session."""

    session: AsyncSession = field(kw_only=True)


@dataclass(frozen=True)
class ToolResult:
    name: str
    arguments: dict[str, Any]  # as validated (JSON-serialisable)
    data: dict[str, Any]  # the figures (JSON-serialisable)
    summary: str  # one or two sentences in ctx.language: the figure, the filter, the period


@dataclass(frozen=True)
class Tool:
    name: str
    description: str  # for a language model's function list
    parameters: type[BaseModel]  # the arguments; its JSON schema is the function's
    run: Callable[[ToolContext, BaseModel], Awaitable[ToolResult]]


class ToolError(ValueError):
    """A tool could not answer: an unknown tool or client, bad arguments, no client
    chosen. The message is said to the user as is (in the agent's language)."""


def _say(ctx: ToolScope, es: str, en: str) -> str:
    return es if ctx.language == "es" else en


# --------------------------------------------------------------------------- arguments

EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2100, 12, 31)
PLATFORM_LABELS = {
    "x": "X",
    "instagram": "Instagram",
    "facebook": "Facebook",
    "tiktok": "TikTok",
    "linkedin": "LinkedIn",
    "youtube": "YouTube",
}
PlatformName = Literal["x", "instagram", "facebook", "tiktok", "linkedin", "youtube"]
SentimentName = Literal["positive", "neutral", "negative"]
EmotionName = Literal["joy", "anger", "fear", "sadness", "surprise", "disgust", "trust", "neutral"]
DEFAULT_RESULTS = ("emotions", "topics", "sentiment", "temporal", "summary")


def _platform_alias(value: Any) -> Any:
    """ "Twitter", "IG", " Instagram " -> the platform's name (the imports' aliases)."""
    if isinstance(value, str):
        name = value.strip().lower()
        alias = PLATFORM_ALIASES.get(name)
        return alias.value if alias is not None else name
    return value


Day = Annotated[date, Field(ge=EARLIEST_DAY, le=LATEST_DAY)]
PlatformArg = Annotated[PlatformName, BeforeValidator(_platform_alias)]

_CLIENT = (
    "The client (brand) id. Omitted: the conversation's client, else the tenant's only "
    "client; {omitted}"
)
_PLATFORM = "Only this platform's posts and accounts (omitted: every platform)."
_SINCE = "First local day of the period, inclusive (YYYY-MM-DD); omitted: from the first post."
_UNTIL = "Last local day of the period, inclusive (YYYY-MM-DD); omitted: up to the last post."


class _Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Period(_Arguments):
    since: Day | None = Field(None, description=_SINCE)
    until: Day | None = Field(None, description=_UNTIL)

    @model_validator(mode="after")
    def _ordered(self) -> _Period:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValueError("since must not be after until")
        return self


class CountPostsArguments(_Period):
    client_id: uuid.UUID | None = Field(
        None, description=_CLIENT.format(omitted="else every client of the tenant.")
    )
    platform: PlatformArg | None = Field(None, description=_PLATFORM)
    sentiment: SentimentName | None = Field(
        None, description="Only posts with this sentiment label."
    )
    emotion: EmotionName | None = Field(
        None, description="Only posts whose dominant emotion is this one."
    )
    topic: str | None = Field(
        None,
        min_length=2,
        max_length=120,
        description="Only posts whose text or topic label contains this phrase (any case).",
    )
    own: bool | None = Field(
        None,
        description="True: only the brand's own posts; false: only mentions by others; "
        "omitted: both.",
    )


class EngagementArguments(_Period):
    client_id: uuid.UUID | None = Field(
        None, description=_CLIENT.format(omitted="else every client of the tenant.")
    )
    platform: PlatformArg | None = Field(None, description=_PLATFORM)
    own: bool | None = Field(
        None,
        description="True: only the brand's own posts; false: only mentions by others; "
        "omitted: both.",
    )


class FollowersArguments(_Arguments):
    client_id: uuid.UUID | None = Field(
        None, description=_CLIENT.format(omitted="else the tool asks which client.")
    )
    platform: PlatformArg | None = Field(None, description=_PLATFORM)
    on: Day | None = Field(
        None,
        description="The local day the figures are read at: each account's latest count "
        "up to its end (omitted: today).",
    )
    since: Day | None = Field(
        None,
        description="Also the change since this local day: from each account's last count "
        "before it (or its first count after it).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> FollowersArguments:
        if self.since is not None and self.on is not None and self.since > self.on:
            raise ValueError("since must not be after on")
        return self


class LatestResultsArguments(_Arguments):
    client_id: uuid.UUID | None = Field(
        None, description=_CLIENT.format(omitted="else the tool asks which client.")
    )
    questions: (
        list[Annotated[str, Field(json_schema_extra={"enum": list(registry.NAMES)})]] | None
    ) = Field(
        None,
        min_length=1,
        max_length=len(registry.KEYS),
        description="Analysis questions by key or slug ("
        + ", ".join(f"{q.slug} = {q.key}" for q in registry.QUESTIONS)
        + "; temporal for the best time windows); omitted: "
        + ", ".join(DEFAULT_RESULTS)
        + ".",
    )

    @field_validator("questions")
    @classmethod
    def _known(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        unknown = [name for name in value if not registry.is_known(name)]
        if unknown:
            raise ValueError(
                f"unknown questions {unknown}; use keys or slugs: {', '.join(registry.NAMES)}"
            )
        return value


class ForecastArguments(_Arguments):
    client_id: uuid.UUID | None = Field(
        None, description=_CLIENT.format(omitted="else the tool asks which client.")
    )
    platform: PlatformArg | None = Field(None, description=_PLATFORM)
    days: int = Field(30, ge=1, le=90, description="Days ahead of today (1 to 90).")


# --------------------------------------------------------------------------- clients


@dataclass(frozen=True)
class _Client:
    id: uuid.UUID
    name: str


async def _client(
    ctx: ToolContext, client_id: uuid.UUID | None, *, required: bool
) -> _Client | None:
    """The client a tool reads: the one given (it must be the tenant's), else the
    conversation's, else the tenant's only one; else None (every client) or, for a tool
    about one client, a question back."""
    clients = ctx.clients
    if clients is None:
        clients = await clients_service.client_names(ctx.session, ctx.scope)
    names = {id_: name for id_, name, _ in clients}
    wanted = client_id or ctx.client_id
    if wanted is not None:
        if wanted not in names:
            raise ToolError(
                _say(
                    ctx,
                    f"Cliente desconocido: {wanted} no es uno de los clientes de esta cuenta.",
                    f"Unknown client: {wanted} is not one of this tenant's clients.",
                )
            )
        return _Client(wanted, names[wanted])
    if len(clients) == 1:
        return _Client(clients[0][0], clients[0][1])
    if not required:
        return None
    if not clients:
        raise ToolError(
            _say(ctx, "Esta cuenta aún no tiene clientes.", "This tenant has no clients yet.")
        )
    listed = ", ".join(name for _, name, _ in clients)
    raise ToolError(
        _say(
            ctx,
            f"¿De qué cliente? Indica uno de: {listed}.",
            f"Which client? Name one of: {listed}.",
        )
    )


async def _accounts(ctx: ToolContext, client: _Client, platform: str | None) -> list[SocialAccount]:
    accounts = await clients_service.accounts_for_client(ctx.session, ctx.scope, client.id)
    return sorted(
        (a for a in accounts if platform is None or a.platform == platform),
        key=lambda a: (a.platform, a.handle),
    )


def _reader(ctx: ToolContext) -> AuthContext:
    """The tenant as a read-only caller, for services that take a request's context."""
    return AuthContext(tenant_id=ctx.scope.tenant_id, role=Role.viewer)


# --------------------------------------------------------------------------- wording


def _n(ctx: ToolContext, value: float, digits: int = 0) -> str:
    return fmt_num(value, ctx.language, digits)


def _signed(ctx: ToolContext, value: float) -> str:
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return sign + _n(ctx, abs(value))


def _day(ctx: ToolContext, day: date) -> str:
    return describe_period(day, day, ctx.language).removeprefix("el ").removeprefix("on ")


def _where(ctx: ToolContext, platform: str | None) -> str:
    """ " en Instagram" / " on Instagram", or "" (the period's note says all platforms)."""
    if platform is None:
        return ""
    return _say(ctx, " en ", " on ") + PLATFORM_LABELS[platform]


def _account(platform: str, handle: str) -> str:
    return f"{PLATFORM_LABELS.get(platform, platform)} @{handle}"


def _all_platforms(ctx: ToolContext, platform: str | None) -> str:
    return "" if platform else _say(ctx, " (todas las plataformas)", " (all platforms)")


def _period_data(since: date | None, until: date | None) -> dict[str, Any]:
    return {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }


async def _posts_range_note(ctx: ToolContext, client: _Client | None) -> tuple[str, dict[str, Any]]:
    """Where the client's posts are, said when a period holds none of them."""
    if client is None:
        return "", {}
    found = await posts_service.published_range(ctx.session, ctx.scope, client.id)
    if found is None:
        note = _say(
            ctx,
            f" {client.name} aún no tiene publicaciones.",
            f" {client.name} has no posts yet.",
        )
        return note, {"first_post": None, "last_post": None}
    first, last = (local_day(t, ctx.timezone) for t in found)
    note = _say(
        ctx,
        f" Sus publicaciones van del {_day(ctx, first)} al {_day(ctx, last)}.",
        f" Its posts run from {first.isoformat()} to {last.isoformat()}.",
    )
    return note, {"first_post": first.isoformat(), "last_post": last.isoformat()}


# --------------------------------------------------------------------------- posts


def _retweet() -> Any:
    """A share of another post: flagged on import, or written "RT @user: ..." (as the
    analyses tell it, app/analyses/records.is_retweet): its counts are the original's."""
    return or_(
        Post.is_retweet, Post.text.op("~*")(r"^\s*RT\s+@[A-Za-z0-9_]{1,30}([^A-Za-z0-9_]|$)")
    )


def _contains(phrase: str) -> str:
    escaped = phrase.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _post_conditions(
    ctx: ToolContext,
    client: _Client | None,
    *,
    platform: str | None,
    since: date | None,
    until: date | None,
    own: bool | None,
    topic: str | None = None,
) -> list[Any]:
    """The posts a question is about; the tenant first."""
    conditions: list[Any] = [Post.tenant_id == ctx.scope.tenant_id]
    if client is not None:
        conditions.append(Post.client_id == client.id)
    if platform is not None:
        conditions.append(Post.platform == platform)
    start, end = local_bounds(since, until, ctx.timezone)
    if start is not None:
        conditions.append(Post.published_at >= start)
    if end is not None:
        conditions.append(Post.published_at < end)
    if own is not None:
        conditions.append(Post.is_own.is_(own))
    if topic is not None:
        pattern = _contains(topic)
        conditions.append(
            or_(
                Post.text.ilike(pattern, escape="\\"),
                func.array_to_string(Post.topics, " | ").ilike(pattern, escape="\\"),
            )
        )
    return conditions


def _filters(args: BaseModel, client: _Client | None) -> dict[str, Any]:
    values = args.model_dump(
        mode="json", exclude_none=True, exclude={"client_id", "since", "until"}
    )
    values["client_id"] = str(client.id) if client else None
    values["client"] = client.name if client else None
    return values


_SENTIMENT_ES = {
    "positive": ("positiva", "positivas"),
    "neutral": ("neutra", "neutras"),
    "negative": ("negativa", "negativas"),
}


def _count_sentence(
    ctx: ToolContext, args: CountPostsArguments, client: _Client | None, posts: int
) -> str:
    """es: "Banco Andino tuvo 132 publicaciones negativas del 1 al 31 de marzo de 2026
    (todas las plataformas)."; en: "Andes Sport published 48 posts from 2026-11-23 to
    2026-11-29 (all platforms)."."""
    one = posts == 1
    n = _n(ctx, posts)
    where = _where(ctx, args.platform) + " "
    tail = describe_period(args.since, args.until, ctx.language)
    tail += _all_platforms(ctx, args.platform) + "."
    if ctx.language == "es":
        mentions = args.own is False
        noun = (
            ("mención" if one else "menciones")
            if mentions
            else ("publicación" if one else "publicaciones")
        )
        if args.own is True and client is None:
            noun += " propia" if one else " propias"
        if args.sentiment:
            noun += " " + _SENTIMENT_ES[args.sentiment][0 if one else 1]
        if args.emotion:
            noun += f" con {EMOTION_NAMES['es'][args.emotion]} como emoción dominante"
        if args.topic:
            noun += f" sobre «{args.topic}»"
        if client is None:
            return f"Hubo {n} {noun} entre todos los clientes{where}{tail}"
        verb = "publicó" if args.own is True else "tuvo"
        return f"{client.name} {verb} {n} {noun}{where}{tail}"
    noun = ("mention" if one else "mentions") if args.own is False else ("post" if one else "posts")
    if args.own is True and client is None:
        noun = "own " + noun
    if args.sentiment:
        noun = f"{args.sentiment} {noun}"
    if args.emotion:
        noun += f" with {EMOTION_NAMES['en'][args.emotion]} as the dominant emotion"
    if args.topic:
        noun += f' about "{args.topic}"'
    if client is None:
        return f"There {'was' if one else 'were'} {n} {noun} across all clients{where}{tail}"
    verb = "published" if args.own is True else "had"
    return f"{client.name} {verb} {n} {noun}{where}{tail}"


async def count_posts(ctx: ToolContext, args: CountPostsArguments) -> ToolResult:
    client = await _client(ctx, args.client_id, required=False)
    conditions = _post_conditions(
        ctx,
        client,
        platform=args.platform,
        since=args.since,
        until=args.until,
        own=args.own,
        topic=args.topic,
    )
    emotion = Post.emotion_label == args.emotion if args.emotion else None
    sentiment = Post.sentiment_label == args.sentiment if args.sentiment else None

    unlabelled = [
        column.is_(None)
        for column, asked in ((Post.sentiment_label, sentiment), (Post.emotion_label, emotion))
        if asked is not None
    ]

    def counted(*extra: Any) -> Any:
        wanted = [c for c in extra if c is not None]
        return func.count().filter(and_(*wanted)) if wanted else func.count()

    row = (
        await ctx.session.execute(
            select(
                counted(sentiment, emotion),
                *(counted(emotion, Post.sentiment_label == label) for label in _SENTIMENT_ES),
                # Posts the asked labels are not assigned to yet (no analysis read them).
                counted(or_(*unlabelled) if unlabelled else None),
                func.count(),
            ).where(*conditions)
        )
    ).one()
    posts, positive, neutral, negative, not_enriched, in_period = (int(v) for v in row)
    data: dict[str, Any] = {
        "posts": posts,
        "filters": _filters(args, client),
        "period": _period_data(args.since, args.until),
        "by_sentiment": {"positive": positive, "neutral": neutral, "negative": negative},
        "posts_without_labels": not_enriched if unlabelled else None,
        "timezone": ctx.timezone,
    }
    summary = _count_sentence(ctx, args, client, posts)
    if unlabelled and not_enriched:
        es_labels, en_labels = {
            (True, False): ("sentimiento", "sentiment"),
            (False, True): ("emoción", "emotion"),
        }.get(
            (sentiment is not None, emotion is not None),
            ("sentimiento ni emoción", "sentiment or emotion"),
        )
        summary += _say(
            ctx,
            f" {_n(ctx, not_enriched)} de las {_n(ctx, in_period)} publicaciones del periodo aún "
            f"no tienen {es_labels} (se asignan al ejecutar un análisis).",
            f" {_n(ctx, not_enriched)} of the period's {_n(ctx, in_period)} posts have no "
            f"{en_labels} yet (an analysis run assigns it).",
        )
    if posts == 0:
        note, where = await _posts_range_note(ctx, client)
        summary += note
        data.update(where)
    return ToolResult("count_posts", args.model_dump(mode="json", exclude_none=True), data, summary)


async def engagement(ctx: ToolContext, args: EngagementArguments) -> ToolResult:
    client = await _client(ctx, args.client_id, required=False)
    conditions = _post_conditions(
        ctx, client, platform=args.platform, since=args.since, until=args.until, own=args.own
    )
    retweet = _retweet()

    def own_count(column: Any) -> Any:
        return func.coalesce(func.sum(case((retweet, 0), else_=column)), 0)

    total = case((retweet, 0), else_=Post.likes + Post.comments + Post.shares)
    rate = func.least(
        1.0, cast(total, Float) / func.greatest(Post.author_followers, AUDIENCE_FLOOR)
    )
    row = (
        await ctx.session.execute(
            select(
                func.count(),
                func.count().filter(retweet),
                own_count(Post.likes),
                own_count(Post.comments),
                own_count(Post.shares),
                func.coalesce(func.avg(rate), 0.0),
            ).where(*conditions)
        )
    ).one()
    posts, retweets, likes, comments, shares = (int(v) for v in row[:5])
    mean_rate = float(row[5])
    engaged = likes + comments + shares
    per_post = engaged / posts if posts else 0.0
    data: dict[str, Any] = {
        "posts": posts,
        "retweets": retweets,
        "likes": likes,
        "comments": comments,
        "shares": shares,
        "engagement": engaged,
        "mean_engagement": round(per_post, 2),
        "mean_engagement_rate": round(mean_rate, 6),
        "definition": "engagement = likes + comments + shares, 0 for a retweet (its counts "
        "are the original's); rate = engagement / max(author followers, 100), capped at 1, "
        "averaged over the posts",
        "filters": _filters(args, client),
        "period": _period_data(args.since, args.until),
        "timezone": ctx.timezone,
    }
    arguments = args.model_dump(mode="json", exclude_none=True)
    period = describe_period(args.since, args.until, ctx.language)
    where = _where(ctx, args.platform)
    scope_note = _all_platforms(ctx, args.platform)
    es_noun, en_noun = {
        True: ("publicaciones propias", "own posts"),
        False: ("menciones", "mentions"),
        None: ("publicaciones", "posts"),
    }[args.own]
    if posts == 0:
        summary = _say(
            ctx,
            f"{client.name if client else 'Ningún cliente'} no tiene {es_noun}{where} {period}"
            f"{scope_note}: no hay interacción que medir.",
            f"{client.name if client else 'No client'} has no {en_noun}{where} {period}"
            f"{scope_note}: there is no engagement to measure.",
        )
        note, found = await _posts_range_note(ctx, client)
        data.update(found)
        return ToolResult("engagement", arguments, data, summary + note)
    es_who = f"{client.name} sumó" if client else "Todos los clientes sumaron"
    en_who = client.name if client else "All clients"
    summary = _say(
        ctx,
        f"{es_who} {_n(ctx, engaged)} interacciones ({_n(ctx, likes)} me gusta, "
        f"{_n(ctx, comments)} comentarios, {_n(ctx, shares)} compartidos) en {_n(ctx, posts)} "
        f"{es_noun}{where} {period}{scope_note}: {_n(ctx, per_post, 1)} por publicación y "
        f"una tasa de interacción media del {fmt_rate(mean_rate, 'es')}.",
        f"{en_who} got {_n(ctx, engaged)} engagements ({_n(ctx, likes)} likes, "
        f"{_n(ctx, comments)} comments, {_n(ctx, shares)} shares) on {_n(ctx, posts)} {en_noun}"
        f"{where} {period}{scope_note}: {_n(ctx, per_post, 1)} per post and a mean engagement "
        f"rate of {fmt_rate(mean_rate, 'en')}.",
    )
    return ToolResult("engagement", arguments, data, summary)


# --------------------------------------------------------------------------- followers


def _latest_before(
    points: Sequence[tuple[datetime, int]], end: datetime
) -> tuple[datetime, int] | None:
    found = None
    for point in points:
        if point[0] >= end:
            break
        found = point
    return found


async def followers(ctx: ToolContext, args: FollowersArguments) -> ToolResult:
    client = await _client(ctx, args.client_id, required=True)
    assert client is not None
    on = args.on or ctx.today
    _, end = local_bounds(None, on, ctx.timezone)
    start, _ = local_bounds(args.since, None, ctx.timezone)
    assert end is not None
    items: list[dict[str, Any]] = []
    for account in await _accounts(ctx, client, args.platform):
        points = await metrics_service.follower_series(
            ctx.session, ctx.scope, client.id, account.id
        )
        latest = _latest_before(points, end)
        if latest is None:
            continue
        item: dict[str, Any] = {
            "account_id": str(account.id),
            "platform": account.platform,
            "handle": account.handle,
            "followers": latest[1],
            "captured_on": local_day(latest[0], ctx.timezone).isoformat(),
        }
        if start is not None:
            base = _latest_before(points, start) or next(
                (p for p in points if start <= p[0] < end), None
            )
            if base is not None and base[0] < latest[0]:
                item["change"] = latest[1] - base[1]
                item["from"] = {
                    "followers": base[1],
                    "captured_on": local_day(base[0], ctx.timezone).isoformat(),
                }
        items.append(item)
    total = sum(i["followers"] for i in items)
    changes = [i["change"] for i in items if "change" in i]
    data: dict[str, Any] = {
        "client_id": str(client.id),
        "client": client.name,
        "platform": args.platform,
        "on": on.isoformat(),
        "since": args.since.isoformat() if args.since else None,
        "accounts": items,
        "total_followers": total,
        "total_change": sum(changes) if changes else None,
    }
    arguments = args.model_dump(mode="json", exclude_none=True)
    where = _where(ctx, args.platform)
    if not items:
        upto = (
            ""
            if args.on is None
            else _say(ctx, f" hasta el {_day(ctx, on)}", f" up to {on.isoformat()}")
        )
        summary = _say(
            ctx,
            f"{client.name} no tiene métricas de seguidores registradas{where}{upto}.",
            f"{client.name} has no follower metrics recorded{where}{upto}.",
        )
        return ToolResult("followers", arguments, data, summary)
    newest = max(date.fromisoformat(i["captured_on"]) for i in items)
    parts = "; ".join(
        f"{_account(i['platform'], i['handle'])} {_n(ctx, i['followers'])}" for i in items
    )
    past = args.on is not None and args.on < ctx.today
    accounts = len(items)
    summary = _say(
        ctx,
        f"{client.name} {'tenía' if past else 'tiene'} {_n(ctx, total)} seguidores en "
        f"{accounts} {'cuenta' if accounts == 1 else 'cuentas'} (última medición: "
        f"{_day(ctx, newest)}): {parts}.",
        f"{client.name} {'had' if past else 'has'} {_n(ctx, total)} followers across "
        f"{accounts} {'account' if accounts == 1 else 'accounts'} (latest count: "
        f"{newest.isoformat()}): {parts}.",
    )
    if args.since is not None:
        if changes:
            before = total - sum(changes)
            share = f" ({fmt_pct(sum(changes) / before, ctx.language)})" if before > 0 else ""
            partial = len(changes) < accounts
            summary += _say(
                ctx,
                f" Cambio desde el {_day(ctx, args.since)}: {_signed(ctx, sum(changes))}{share}"
                + (f" (en {len(changes)} de las {accounts} cuentas)." if partial else "."),
                f" Change since {args.since.isoformat()}: {_signed(ctx, sum(changes))}{share}"
                + (f" (on {len(changes)} of the {accounts} accounts)." if partial else "."),
            )
        else:
            summary += _say(
                ctx,
                f" No hay mediciones anteriores con las que medir el cambio desde el "
                f"{_day(ctx, args.since)}.",
                f" There are no earlier counts to measure the change since "
                f"{args.since.isoformat()}.",
            )
    return ToolResult("followers", arguments, data, summary)


# --------------------------------------------------------------------------- analyses

_TITLES_ES = {  # by slug: question keys are written only in the questions' folders
    "emotions": "emociones",
    "personality": "personalidad de marca",
    "topics": "temas",
    "narrative_frames": "encuadres narrativos",
    "influencers": "influenciadores",
    "opportunities": "oportunidades",
    "sentiment": "sentimiento",
    "temporal": "patrones temporales",
    "recommendations": "recomendaciones",
    "summary": "resumen ejecutivo",
    "benchmark": "comparación con la competencia",
}


def _title(ctx: ToolContext, key: str) -> str:
    question = registry.BY_KEY[key]
    return _TITLES_ES.get(question.slug, key) if ctx.language == "es" else question.title.lower()


def _window(ctx: ToolContext, params: dict[str, Any]) -> tuple[date | None, date | None]:
    """A run's window as local days (its `until` is an exclusive instant)."""
    try:
        since = local_day(datetime.fromisoformat(params["since"]), ctx.timezone)
        until = local_day(
            datetime.fromisoformat(params["until"]) - timedelta(microseconds=1), ctx.timezone
        )
    except (KeyError, TypeError, ValueError):
        return None, None
    return since, until


def _emotions(ctx: ToolContext, result: dict[str, Any]) -> tuple[dict[str, Any], str]:
    leader = result.get("dominant_non_neutral")
    neutral = float(result.get("neutral_share") or 0.0)
    share = next(
        (
            d.get("share_of_emotional")
            for d in result.get("distribution") or []
            if d.get("emotion") == leader
        ),
        None,
    )
    figures = {
        "dominant_non_neutral": leader,
        "share_of_emotional": share,
        "emotional_share": result.get("emotional_share"),
        "neutral_share": neutral,
        "headline": result.get("headline"),
    }
    if leader is None:
        return figures, _say(
            ctx,
            f"ninguna publicación muestra una emoción ({fmt_pct(neutral, 'es')} neutras)",
            f"no post shows an emotion ({fmt_pct(neutral, 'en')} neutral)",
        )
    of = "" if share is None else fmt_pct(float(share), ctx.language) + " "
    return figures, _say(
        ctx,
        f"emoción dominante: {EMOTION_NAMES['es'].get(leader, leader)} ({of}de las "
        f"publicaciones con emoción; {fmt_pct(neutral, 'es')} neutras)",
        f"dominant emotion: {leader} ({of}of the posts that show one; "
        f"{fmt_pct(neutral, 'en')} neutral)",
    )


def _topics(ctx: ToolContext, result: dict[str, Any]) -> tuple[dict[str, Any], str]:
    topics = [
        {"label": t.get("label"), "posts": t.get("posts"), "share": t.get("share")}
        for t in (result.get("topics") or [])[:5]
    ]
    if not topics:
        return {"topics": []}, _say(ctx, "no se encontraron temas", "no topics were found")
    quote = ("«{}»", '"{}"')[ctx.language != "es"]
    listed = ", ".join(
        f"{quote.format(t['label'])} ({fmt_pct(float(t['share'] or 0), ctx.language)})"
        for t in topics
    )
    return {"topics": topics}, _say(ctx, f"temas principales: {listed}", f"top topics: {listed}")


def _sentiment(ctx: ToolContext, result: dict[str, Any]) -> tuple[dict[str, Any], str]:
    keys = (
        "net_score",
        "positive_share",
        "negative_share",
        "neutral_share",
        "positive",
        "negative",
        "neutral",
    )
    figures = {k: result.get(k) for k in keys}
    lang = ctx.language
    pos, neg, neu = (
        float(result.get(f"{k}_share") or 0) for k in ("positive", "negative", "neutral")
    )
    net = float(result.get("net_score") or 0)
    return figures, _say(
        ctx,
        f"sentimiento neto {fmt_pts(net, lang)} ({fmt_pct(pos, lang)} positivas, "
        f"{fmt_pct(neg, lang)} negativas, {fmt_pct(neu, lang)} neutras)",
        f"net sentiment {fmt_pts(net, lang)} ({fmt_pct(pos, lang)} positive, "
        f"{fmt_pct(neg, lang)} negative, {fmt_pct(neu, lang)} neutral)",
    )


def _temporal(ctx: ToolContext, result: dict[str, Any]) -> tuple[dict[str, Any], str]:
    windows = [
        {
            k: w.get(k)
            for k in (
                "label",
                "weekday",
                "hour",
                "posts",
                "mean_engagement_rate",
                "lift",
                "lift_low",
            )
        }
        for w in result.get("best_windows") or []
    ]
    figures = {
        "best_windows": windows,
        "basis": result.get("best_windows_basis"),
        "timezone": result.get("timezone"),
    }
    if not windows:
        return figures, _say(
            ctx,
            "ningún horario destaca con una muestra suficiente",
            "no time window stands out on a sufficient sample",
        )
    listed = ", ".join(
        f"{w['label']} ({fmt_ratio(float(w['lift'] or 0), ctx.language)})" for w in windows
    )
    return figures, _say(
        ctx,
        f"mejores horarios para publicar: {listed} la tasa de interacción media",
        f"best time windows to post: {listed} the mean engagement rate",
    )


def _headline(ctx: ToolContext, result: dict[str, Any]) -> tuple[dict[str, Any], str]:
    headline = result.get("headline")
    if isinstance(headline, str) and headline:
        return {"headline": headline}, headline.rstrip(".")
    posts = int(result.get("posts_analyzed") or 0)
    return {"posts_analyzed": posts}, _say(
        ctx, f"{_n(ctx, posts)} publicaciones analizadas", f"{_n(ctx, posts)} posts analysed"
    )


_READERS: dict[str, Callable[[ToolContext, dict[str, Any]], tuple[dict[str, Any], str]]] = {
    "emotions": _emotions,
    "topics": _topics,
    "sentiment": _sentiment,
    "temporal": _temporal,
}


async def latest_results(ctx: ToolContext, args: LatestResultsArguments) -> ToolResult:
    client = await _client(ctx, args.client_id, required=True)
    assert client is not None
    keys = list(dict.fromkeys(registry.resolve(n).key for n in args.questions or DEFAULT_RESULTS))
    runs = await analyses_service.insights(ctx.session, ctx.scope, client.id)
    results: dict[str, Any] = {}
    parts: list[tuple[str, date | None, date | None, date]] = []
    missing: list[str] = []
    for key in keys:
        run = runs.get(key)
        if run is None or not isinstance(run.result, dict):
            missing.append(key)
            continue
        reader = _READERS.get(registry.BY_KEY[key].slug, _headline)
        try:
            figures, sentence = reader(ctx, run.result)
        except (KeyError, TypeError, ValueError):  # a result stored by an older model
            figures, sentence = _headline(ctx, run.result)
        since, until = _window(ctx, run.params or {})
        ran = local_day(run.created_at, ctx.timezone)
        results[key] = {
            "question": registry.BY_KEY[key].slug,
            "run_id": str(run.id),
            "ran_on": ran.isoformat(),
            "window": _period_data(since, until),
            "posts_analyzed": run.posts_analyzed,
            **figures,
        }
        parts.append((sentence, since, until, ran))
    data: dict[str, Any] = {
        "client_id": str(client.id),
        "client": client.name,
        "results": results,
        "missing": [registry.BY_KEY[k].slug for k in missing],
    }
    arguments = args.model_dump(mode="json", exclude_none=True)
    missing_titles = ", ".join(_title(ctx, k) for k in missing)
    if not parts:
        summary = _say(
            ctx,
            f"{client.name} aún no tiene análisis de {missing_titles}: ejecuta un análisis para "
            "obtenerlos.",
            f"{client.name} has no {missing_titles} analysis yet: run an analysis to get it.",
        )
        return ToolResult("latest_results", arguments, data, summary)
    windows = {(since, until) for _, since, until, _ in parts}
    if len(windows) == 1:
        since, until = next(iter(windows))
        newest = max(ran for *_, ran in parts)
        window = describe_period(since, until, ctx.language) if since else ""
        head = _say(
            ctx,
            f"{client.name}, último análisis ({window}, calculado el {_day(ctx, newest)}): ",
            f"{client.name}, latest analysis ({window}, run on {newest.isoformat()}): ",
        )
        body = "; ".join(sentence for sentence, *_ in parts)
    else:
        head = _say(ctx, f"{client.name}, últimos análisis: ", f"{client.name}, latest analyses: ")
        body = "; ".join(
            f"{sentence} ({describe_period(since, until, ctx.language)})"
            for sentence, since, until, _ in parts
        )
    summary = head + body + "."
    if missing:
        summary += _say(
            ctx,
            f" Sin análisis todavía: {missing_titles}.",
            f" Not analysed yet: {missing_titles}.",
        )
    return ToolResult("latest_results", arguments, data, summary)


# --------------------------------------------------------------------------- forecasts

MAX_FORECAST_HORIZON = 365  # days after a version's last observed day it may be read at


async def forecast(ctx: ToolContext, args: ForecastArguments) -> ToolResult:
    client = await _client(ctx, args.client_id, required=True)
    assert client is not None
    target = ctx.today + timedelta(days=args.days)
    reader = _reader(ctx)
    items: list[dict[str, Any]] = []
    stale: list[dict[str, Any]] = []
    for account in await _accounts(ctx, client, args.platform):
        try:
            version = await forecasting_service.get_version(
                ctx.session, reader, client.id, account.id, "latest"
            )
        except NotFound:
            continue
        horizon = max(1, (target - version.train_end).days)
        base = {
            "account_id": str(account.id),
            "platform": account.platform,
            "handle": account.handle,
        }
        if horizon > MAX_FORECAST_HORIZON:
            stale.append({**base, "last_observed": version.train_end.isoformat()})
            continue
        prediction = await forecasting_service.predict(
            ctx.session, reader, client.id, account.id, "latest", horizon
        )
        point = next((p for p in prediction.points if p.date == target), prediction.points[-1])
        items.append(
            {
                **base,
                "version": prediction.version,
                "model": prediction.chosen,
                "last_observed": prediction.last_observed.isoformat(),
                "last_value": prediction.last_value,
                "date": point.date.isoformat(),
                "horizon_days": point.horizon,
                "followers": round(point.followers),
                "lower_80": round(point.lower_80),
                "upper_80": round(point.upper_80),
                "lower_95": round(point.lower_95),
                "upper_95": round(point.upper_95),
            }
        )
    data: dict[str, Any] = {
        "client_id": str(client.id),
        "client": client.name,
        "date": target.isoformat(),
        "days": args.days,
        "forecasts": items,
        "stale": stale,
    }
    arguments = args.model_dump(mode="json", exclude_none=True)
    where = _where(ctx, args.platform)
    if not items:
        summary = _say(
            ctx,
            f"{client.name} no tiene pronósticos de seguidores entrenados{where}"
            + (" recientes" if stale else "")
            + " (se entrenan por cuenta a partir de sus métricas).",
            f"{client.name} has no {'recent ' if stale else ''}trained follower forecast{where} "
            "(they are trained per account from its metrics).",
        )
        return ToolResult("forecast", arguments, data, summary)
    pct = " %" if ctx.language == "es" else "%"
    parts = "; ".join(
        f"{_account(i['platform'], i['handle'])} {_n(ctx, i['followers'])} "
        f"(80{pct}: {_n(ctx, i['lower_80'])}–{_n(ctx, i['upper_80'])}; "
        f"95{pct}: {_n(ctx, i['lower_95'])}–{_n(ctx, i['upper_95'])})"
        for i in items
    )
    summary = _say(
        ctx,
        f"Pronóstico de seguidores de {client.name} para el {_day(ctx, target)} (en "
        f"{args.days} {'día' if args.days == 1 else 'días'}): {parts}.",
        f"{client.name}'s follower forecast for {target.isoformat()} (in {args.days} "
        f"{'day' if args.days == 1 else 'days'}): {parts}.",
    )
    return ToolResult("forecast", arguments, data, summary)


# --------------------------------------------------------------------------- registry

A = TypeVar("A", bound=BaseModel)


def _tool(
    name: str,
    description: str,
    parameters: type[A],
    function: Callable[[ToolContext, A], Awaitable[ToolResult]],
) -> Tool:
    async def run(ctx: ToolContext, args: BaseModel) -> ToolResult:
        if not isinstance(args, parameters):
            raise ToolError(f"{name} takes {parameters.__name__}, not {type(args).__name__}")
        return await function(ctx, args)

    return Tool(name=str(name), description=description, parameters=parameters, run=run)


# One per AgentTool but retrieval (search_documents: the engines' own, over documents).
TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        _tool(
            AgentTool.count_posts,
            "Count a client's posts (or every client's) by platform, sentiment, dominant "
            "emotion, topic phrase, own posts or mentions, and a period of local days.",
            CountPostsArguments,
            count_posts,
        ),
        _tool(
            AgentTool.engagement,
            "Total likes, comments and shares, posts, mean engagement per post and mean "
            "engagement rate of a client's posts (or every client's), by platform and period.",
            EngagementArguments,
            engagement,
        ),
        _tool(
            AgentTool.followers,
            "A client's latest follower count per social account (at a day, today by "
            "default), their total, and the change since a day.",
            FollowersArguments,
            followers,
        ),
        _tool(
            AgentTool.latest_results,
            "The latest stored analysis results of a client: dominant emotion (emotions), "
            "top topics (topics), net sentiment (sentiment), best time windows to post "
            "(temporal), executive summary headline (summary), each with its window and date.",
            LatestResultsArguments,
            latest_results,
        ),
        _tool(
            AgentTool.forecast,
            "A client's follower forecast per account, some days ahead of today, from each "
            "account's latest trained forecast version, with 80% and 95% intervals.",
            ForecastArguments,
            forecast,
        ),
    )
}


def _problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in error.errors()
    )


async def call_tool(ctx: ToolScope, name: str, arguments: dict[str, Any]) -> ToolResult:
    """Validate `arguments` with the tool's model, then run it in a session of its own.
    An unknown tool or arguments that do not fit are a `ToolError` that says what is
    wrong."""
    tool = TOOLS.get(name)
    if tool is None:
        known = ", ".join(TOOLS)
        raise ToolError(
            _say(
                ctx,
                f"Herramienta desconocida {name!r}; las herramientas son: {known}.",
                f"Unknown tool {name!r}; the tools are: {known}.",
            )
        )
    try:
        args = tool.parameters.model_validate(arguments)
    except ValidationError as exc:
        raise ToolError(
            _say(
                ctx,
                f"Argumentos no válidos para {name}: {_problems(exc)}.",
                f"Invalid arguments for {name}: {_problems(exc)}.",
            )
        ) from None
    async with ctx.sessions() as session:
        given = {f.name: getattr(ctx, f.name) for f in fields(ToolScope)}
        return await tool.run(ToolContext(**given, session=session), args)


__all__ = [
    "TOOLS",
    "CountPostsArguments",
    "EngagementArguments",
    "FollowersArguments",
    "ForecastArguments",
    "LatestResultsArguments",
    "Tool",
    "ToolContext",
    "ToolError",
    "ToolResult",
    "ToolScope",
    "call_tool",
]

"""The chat's typed tools on real PostgreSQL: every figure is checked against an
independent query of the database (local days computed by PostgreSQL's own time zone
conversion, not by the tools' code), summaries name the figure, the filter and the
period in the agent's language, arguments are validated, and another tenant's clients
and posts are never seen."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.analyses.models import AnalysisRun
from app.chat.tools import (
    TOOLS,
    PlatformName,
    ToolError,
    ToolResult,
    ToolScope,
    call_tool,
)
from app.clients.models import Client, SocialAccount
from app.core.config import Settings
from app.core.enums import AgentTool, Platform
from app.core.scope import TenantScope
from app.forecasting import service as forecasting_service
from app.metrics.models import AccountMetric
from app.posts.models import Post
from tests.factories import TenantWorld, make_tenant
from tests.forecasting.seed import add_forecast, analyst

LIMA = ZoneInfo("America/Lima")  # the factories' tenant zone: UTC-5 all year


def ctx_for(
    session: AsyncSession,
    world: TenantWorld,
    *,
    language: str = "es",
    today: date = date(2026, 4, 15),
    client_id: uuid.UUID | None = None,
) -> ToolScope:
    @asynccontextmanager
    async def borrowed() -> AsyncIterator[AsyncSession]:
        yield session  # the test's session (its transaction is rolled back)

    return ToolScope(
        sessions=borrowed,
        scope=TenantScope(world.tenant.id),
        language=language,
        timezone=world.tenant.timezone,
        today=today,
        client_id=client_id,
    )


async def named(session: AsyncSession, world: TenantWorld, name: str) -> TenantWorld:
    world.client.name = name
    await session.flush()
    return world


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LIMA)  # type: ignore[misc]


_seq = iter(range(10**9))


async def add_posts(
    session: AsyncSession, world: TenantWorld, rows: list[dict[str, Any]]
) -> list[Post]:
    """Posts on the world's client; each row names what it sets (platform, at, sentiment,
    emotion, own, likes, comments, shares, followers, text, topics, retweet)."""
    accounts = {a.platform: a for a in world.accounts}
    posts = []
    for row in rows:
        account = accounts[row.get("platform", "x")]
        posts.append(
            Post(
                tenant_id=world.tenant.id,
                client_id=row.get("client_id", world.client.id),
                account_id=row.get("account_id", account.id),
                platform=account.platform,
                external_id=f"tool-{next(_seq)}",
                author_handle="someone",
                author_followers=row.get("followers", 0),
                text=row.get("text", "Una publicación"),
                published_at=row["at"],
                likes=row.get("likes", 0),
                comments=row.get("comments", 0),
                shares=row.get("shares", 0),
                is_own=row.get("own", False),
                is_retweet=row.get("retweet", False),
                sentiment_label=row.get("sentiment"),
                emotion_label=row.get("emotion"),
                topics=row.get("topics", []),
                hashtags=[],
                mentions=[],
            )
        )
    session.add_all(posts)
    await session.flush()
    return posts


async def db_count(session: AsyncSession, where: str, **params: Any) -> int:
    """An independent count: local days by PostgreSQL's AT TIME ZONE."""
    found = await session.execute(text(f"SELECT count(*) FROM post p WHERE {where}"), params)
    return int(found.scalar_one())


def local_day_sql(zone: str = "America/Lima") -> str:
    return f"(p.published_at AT TIME ZONE '{zone}')::date"


def assert_json(result: ToolResult) -> None:
    json.dumps(result.arguments)
    json.dumps(result.data)


# --------------------------------------------------------------------------- count_posts


async def test_counts_negative_posts_of_a_month_by_local_day(
    session: AsyncSession, settings: Settings
) -> None:
    world = await named(session, await make_tenant(session, settings, "Agency A"), "Banco Andino")
    for post in world.posts:  # analysed: no note about posts without a sentiment
        post.sentiment_label, post.emotion_label = "neutral", "neutral"
    await add_posts(
        session,
        world,
        [
            # Local days decide: 23:30 on 28 Feb in Lima is already 1 March in UTC.
            {"at": local(2026, 2, 28, 23, 30), "sentiment": "negative"},
            {"at": local(2026, 3, 1, 0, 30), "sentiment": "negative"},
            {"at": local(2026, 3, 14, 12), "sentiment": "negative", "platform": "instagram"},
            {"at": local(2026, 3, 20, 9), "sentiment": "positive"},
            {"at": local(2026, 3, 31, 23, 30), "sentiment": "negative"},  # 1 April in UTC
            {"at": local(2026, 4, 1, 0, 10), "sentiment": "negative"},
        ],
    )
    result = await call_tool(
        ctx_for(session, world),
        "count_posts",
        {
            "client_id": str(world.client.id),
            "sentiment": "negative",
            "since": "2026-03-01",
            "until": "2026-03-31",
        },
    )
    expected = await db_count(
        session,
        f"p.tenant_id = :t AND p.client_id = :c AND p.sentiment_label = 'negative' "
        f"AND {local_day_sql()} BETWEEN '2026-03-01' AND '2026-03-31'",
        t=world.tenant.id,
        c=world.client.id,
    )
    assert expected == 3
    assert result.data["posts"] == expected
    assert result.summary == (
        "Banco Andino tuvo 3 publicaciones negativas del 1 al 31 de marzo de 2026 "
        "(todas las plataformas)."
    )
    assert result.data["period"] == {"since": "2026-03-01", "until": "2026-03-31"}
    assert result.data["filters"]["sentiment"] == "negative"
    assert result.arguments["since"] == "2026-03-01"
    assert_json(result)


async def test_counts_own_posts_of_last_week_in_english(
    session: AsyncSession, settings: Settings
) -> None:
    world = await named(session, await make_tenant(session, settings, "Agency A"), "Andes Sport")
    monday = date(2026, 11, 23)
    rows = [
        {"at": local(2026, 11, 22, 23, 59), "own": True},  # the Sunday before
        *({"at": local(2026, 11, 23 + d, 10), "own": True} for d in range(7)),
        {"at": local(2026, 11, 25, 10), "own": False},  # a mention
        {"at": local(2026, 11, 30, 0, 1), "own": True},  # this week
    ]
    await add_posts(session, world, rows)
    ctx = ctx_for(session, world, language="en", today=date(2026, 11, 30))
    result = await call_tool(
        ctx,
        "count_posts",
        {"own": True, "since": monday.isoformat(), "until": "2026-11-29"},
    )
    expected = await db_count(
        session,
        f"p.tenant_id = :t AND p.is_own AND {local_day_sql()} BETWEEN :a AND :b",
        t=world.tenant.id,
        a=monday,
        b=date(2026, 11, 29),
    )
    assert result.data["posts"] == expected == 7
    # The tenant's only client is the one counted.
    assert result.data["filters"]["client"] == "Andes Sport"
    assert result.summary == (
        "Andes Sport published 7 posts from 2026-11-23 to 2026-11-29 (all platforms)."
    )


async def test_filters_by_platform_emotion_topic_and_mentions(
    session: AsyncSession, settings: Settings
) -> None:
    world = await named(session, await make_tenant(session, settings, "Agency A"), "Banco Andino")
    await add_posts(
        session,
        world,
        [
            {"at": local(2026, 4, 2, 9), "platform": "x", "emotion": "anger", "own": False},
            {"at": local(2026, 4, 3, 9), "platform": "x", "emotion": "anger", "own": True},
            {"at": local(2026, 4, 3, 9), "platform": "instagram", "emotion": "anger"},
            {"at": local(2026, 4, 4, 9), "platform": "x", "emotion": "joy"},
            {"at": local(2026, 4, 5, 9), "text": "Andino PAY no funciona", "emotion": "fear"},
            {"at": local(2026, 4, 5, 9), "topics": ["andino pay / app"], "emotion": "joy"},
            {"at": local(2026, 4, 6, 9), "text": "nada", "topics": ["tarjeta"], "emotion": "joy"},
        ],
    )
    for post in world.posts:
        post.emotion_label = "neutral"
    await session.flush()
    ctx = ctx_for(session, world)
    by_platform = await call_tool(
        ctx, "count_posts", {"platform": "twitter", "emotion": "anger", "own": False}
    )
    assert by_platform.arguments["platform"] == "x"
    expected = await db_count(
        session,
        "p.tenant_id = :t AND p.platform = 'x' AND p.emotion_label = 'anger' AND NOT p.is_own",
        t=world.tenant.id,
    )
    assert by_platform.data["posts"] == expected == 1
    assert by_platform.summary == (
        "Banco Andino tuvo 1 mención con ira como emoción dominante en X en todo el historial."
    )
    topic = await call_tool(ctx, "count_posts", {"topic": "andino pay"})
    expected = await db_count(
        session,
        "p.tenant_id = :t AND (p.text ILIKE '%andino pay%' "
        "OR array_to_string(p.topics, ' ') ILIKE '%andino pay%')",
        t=world.tenant.id,
    )
    assert topic.data["posts"] == expected == 2
    assert "sobre «andino pay»" in topic.summary


async def test_counts_across_the_tenants_clients_and_never_another_tenants(
    session: AsyncSession, settings: Settings
) -> None:
    world = await make_tenant(session, settings, "Agency A")
    other = await make_tenant(session, settings, "Agency B")
    second = Client(tenant_id=world.tenant.id, name="Vértice Sport", language="es")
    session.add(second)
    await session.flush()
    account = SocialAccount(
        tenant_id=world.tenant.id, client_id=second.id, platform="x", handle="vertice"
    )
    session.add(account)
    await session.flush()
    await add_posts(
        session,
        world,
        [
            {"at": local(2026, 4, 1, 9), "client_id": second.id, "account_id": account.id},
            {"at": local(2026, 4, 2, 9)},
        ],
    )
    await add_posts(session, other, [{"at": local(2026, 4, 1, 9)}])
    ctx = ctx_for(session, world)
    result = await call_tool(ctx, "count_posts", {"since": "2026-04-01", "until": "2026-04-15"})
    expected = await db_count(
        session,
        f"p.tenant_id = :t AND {local_day_sql()} BETWEEN '2026-04-01' AND '2026-04-15'",
        t=world.tenant.id,
    )
    assert result.data["posts"] == expected == 2
    assert result.data["filters"]["client_id"] is None
    assert result.summary == (
        "Hubo 2 publicaciones entre todos los clientes del 1 al 15 de abril de 2026 "
        "(todas las plataformas)."
    )
    # The conversation's client is the default filter.
    scoped = await call_tool(
        ctx_for(session, world, client_id=second.id), "count_posts", {"since": "2026-04-01"}
    )
    assert scoped.data["posts"] == 1
    assert scoped.summary.startswith("Vértice Sport tuvo 1 publicación desde el 1 de abril")
    # Another tenant's client is unknown, in either language.
    for language, words in (("es", "Cliente desconocido"), ("en", "Unknown client")):
        with pytest.raises(ToolError, match=words):
            await call_tool(
                ctx_for(session, world, language=language),
                "count_posts",
                {"client_id": str(other.client.id)},
            )
    with pytest.raises(ToolError, match="Unknown client"):
        await call_tool(
            ctx_for(session, world, language="en", client_id=other.client.id), "count_posts", {}
        )


async def test_no_posts_in_the_period_says_where_the_posts_are(
    session: AsyncSession, settings: Settings
) -> None:
    world = await named(session, await make_tenant(session, settings, "Agency A"), "Banco Andino")
    result = await call_tool(
        ctx_for(session, world), "count_posts", {"since": "2025-01-01", "until": "2025-01-31"}
    )
    # The factories' posts: 2026-03-01 .. 03-06 at 12:00 UTC (07:00 in Lima).
    assert result.data["posts"] == 0
    assert (result.data["first_post"], result.data["last_post"]) == ("2026-03-01", "2026-03-06")
    assert result.summary == (
        "Banco Andino tuvo 0 publicaciones del 1 al 31 de enero de 2025 (todas las "
        "plataformas). Sus publicaciones van del 1 de marzo de 2026 al 6 de marzo de 2026."
    )


async def test_a_label_filter_says_how_many_posts_are_not_enriched(
    session: AsyncSession, settings: Settings
) -> None:
    world = await named(session, await make_tenant(session, settings, "Agency A"), "Banco Andino")
    await add_posts(session, world, [{"at": local(2026, 3, 2, 9), "sentiment": "positive"}])
    result = await call_tool(
        ctx_for(session, world, language="en"),
        "count_posts",
        {"sentiment": "positive", "since": "2026-03-01", "until": "2026-03-31"},
    )
    assert result.data["posts"] == 1
    assert result.data["posts_without_labels"] == 6  # the factories' posts
    assert result.data["by_sentiment"] == {"positive": 1, "neutral": 0, "negative": 0}
    assert "6 of the period's 7 posts have no sentiment yet" in result.summary


# --------------------------------------------------------------------------- engagement


async def test_engagement_sums_and_rates_match_the_rows(
    session: AsyncSession, settings: Settings
) -> None:
    world = await named(session, await make_tenant(session, settings, "Agency A"), "Banco Andino")
    await add_posts(
        session,
        world,
        [
            {
                "at": local(2026, 4, 1, 9),
                "platform": "instagram",
                "likes": 50,
                "comments": 5,
                "shares": 5,
                "followers": 1000,
            },
            {
                "at": local(2026, 4, 2, 9),
                "platform": "instagram",
                "likes": 10,
                "comments": 0,
                "shares": 0,
                "followers": 20,
            },
            # A retweet carries its original's counts: they are not its own.
            {
                "at": local(2026, 4, 3, 9),
                "platform": "instagram",
                "likes": 900,
                "text": "RT @bancoandino: nueva app",
                "followers": 10,
            },
            {"at": local(2026, 4, 4, 9), "platform": "instagram", "likes": 700, "retweet": True},
            {"at": local(2026, 3, 31, 23), "platform": "instagram", "likes": 99},  # March
            {"at": local(2026, 4, 2, 9), "platform": "x", "likes": 77},
        ],
    )
    result = await call_tool(
        ctx_for(session, world),
        "engagement",
        {"platform": "instagram", "since": "2026-04-01", "until": "2026-04-15"},
    )
    rows = (
        await session.execute(
            text(
                "SELECT likes, comments, shares, author_followers, is_retweet OR text LIKE 'RT @%' "
                f"FROM post p WHERE tenant_id = :t AND platform = 'instagram' "
                f"AND {local_day_sql()} BETWEEN '2026-04-01' AND '2026-04-15'"
            ),
            {"t": world.tenant.id},
        )
    ).all()
    own = [(lk, c, s, f) for lk, c, s, f, rt in rows if not rt]
    engagement = sum(lk + c + s for lk, c, s, _ in own)
    rates = [min(1.0, (lk + c + s) / max(f, 100)) for lk, c, s, f in own] + [0.0] * (
        len(rows) - len(own)
    )
    data = result.data
    assert (data["posts"], data["retweets"]) == (len(rows), 2) == (4, 2)
    assert (data["likes"], data["comments"], data["shares"]) == (60, 5, 5)
    assert data["engagement"] == engagement == 70
    assert data["mean_engagement"] == pytest.approx(engagement / len(rows))
    assert data["mean_engagement_rate"] == pytest.approx(sum(rates) / len(rates), abs=1e-6)
    assert result.summary == (
        "Banco Andino sumó 70 interacciones (60 me gusta, 5 comentarios, 5 compartidos) en 4 "
        "publicaciones en Instagram del 1 al 15 de abril de 2026: 17,5 por publicación y una "
        "tasa de interacción media del 4,0 %."
    )


async def test_engagement_without_posts_says_so(session: AsyncSession, settings: Settings) -> None:
    world = await named(session, await make_tenant(session, settings, "Agency A"), "Banco Andino")
    result = await call_tool(
        ctx_for(session, world, language="en"),
        "engagement",
        {"platform": "tiktok"},
    )
    assert result.data["posts"] == 0
    assert result.summary.startswith(
        "Banco Andino has no posts on TikTok over all time: there is no engagement to measure."
    )


# --------------------------------------------------------------------------- followers


async def test_followers_latest_per_account_and_change(
    session: AsyncSession, settings: Settings
) -> None:
    world = await named(session, await make_tenant(session, settings, "Agency A"), "Banco Andino")
    # The factories' metrics: x 1000, 1001, 1002 on 2026-03-01 .. 03 at 12:00 UTC.
    instagram = world.accounts[1]
    session.add_all(
        AccountMetric(
            tenant_id=world.tenant.id,
            client_id=world.client.id,
            account_id=instagram.id,
            captured_at=datetime(2026, 3, 1, 12, tzinfo=UTC) + timedelta(days=d),
            followers=5000 + 100 * d,
        )
        for d in range(10)
    )
    await session.flush()
    ctx = ctx_for(session, world)
    result = await call_tool(ctx, "followers", {})
    latest = (
        await session.execute(
            text(
                "SELECT DISTINCT ON (account_id) account_id, followers FROM account_metric "
                "WHERE tenant_id = :t ORDER BY account_id, captured_at DESC"
            ),
            {"t": world.tenant.id},
        )
    ).all()
    assert result.data["total_followers"] == sum(f for _, f in latest) == 1002 + 5900
    assert {a["platform"]: a["followers"] for a in result.data["accounts"]} == {
        "x": 1002,
        "instagram": 5900,
    }
    assert result.summary == (
        "Banco Andino tiene 6.902 seguidores en 2 cuentas (última medición: 10 de marzo de "
        f"2026): Instagram @{instagram.handle} 5.900; X @{world.accounts[0].handle} 1.002."
    )
    # On a past day, since another: the change from the last count before it.
    past = await call_tool(
        ctx, "followers", {"platform": "instagram", "since": "2026-03-03", "on": "2026-03-05"}
    )
    [account] = past.data["accounts"]
    assert (account["followers"], account["change"]) == (5400, 5400 - 5100)
    assert account["from"] == {"followers": 5100, "captured_on": "2026-03-02"}
    assert "tenía 5.400 seguidores en 1 cuenta" in past.summary
    assert "Cambio desde el 3 de marzo de 2026: +300 (5,9 %)." in past.summary


async def test_followers_ask_which_client_when_there_are_several(
    session: AsyncSession, settings: Settings
) -> None:
    world = await named(session, await make_tenant(session, settings, "Agency A"), "Banco Andino")
    session.add(Client(tenant_id=world.tenant.id, name="Vértice Sport", language="es"))
    await session.flush()
    with pytest.raises(ToolError) as raised:
        await call_tool(ctx_for(session, world), "followers", {})
    assert str(raised.value) == "¿De qué cliente? Indica uno de: Banco Andino, Vértice Sport."
    result = await call_tool(
        ctx_for(session, world, language="en"),
        "followers",
        {"platform": "youtube", "client_id": str(world.client.id)},
    )
    assert result.summary == "Banco Andino has no follower metrics recorded on YouTube."


# --------------------------------------------------------------------------- latest_results


def _run(world: TenantWorld, question: str, result: dict[str, Any], **values: Any) -> AnalysisRun:
    return AnalysisRun(
        tenant_id=world.tenant.id,
        client_id=world.client.id,
        question=question,
        status=values.get("status", "succeeded"),
        engine="local",
        input_fingerprint="0" * 64,
        params={"since": "2026-03-01T05:00:00+00:00", "until": "2026-04-01T05:00:00+00:00"},
        result=result,
        usage={},
        posts_analyzed=values.get("posts", 120),
        created_at=values.get("at", datetime(2026, 4, 2, 15, tzinfo=UTC)),
    )


async def test_latest_results_read_the_newest_succeeded_runs(
    session: AsyncSession, settings: Settings
) -> None:
    world = await named(session, await make_tenant(session, settings, "Agency A"), "Banco Andino")
    old = {"net_score": -0.5, "positive_share": 0.1, "negative_share": 0.6, "neutral_share": 0.3}
    new = {
        "net_score": 0.16,
        "positive_share": 0.404,
        "negative_share": 0.244,
        "neutral_share": 0.352,
    }
    session.add_all(
        [
            _run(world, "q7", old, at=datetime(2026, 3, 2, tzinfo=UTC)),
            _run(world, "q7", new),
            _run(world, "q7", {}, status="failed", at=datetime(2026, 4, 3, tzinfo=UTC)),
            _run(
                world,
                "q1",
                {
                    "dominant_non_neutral": "joy",
                    "neutral_share": 0.38,
                    "emotional_share": 0.62,
                    "distribution": [{"emotion": "joy", "share_of_emotional": 0.468}],
                    "headline": "…",
                },
            ),
            _run(
                world,
                "q3",
                {
                    "topics": [
                        {"label": "tarjeta / bloqueo", "posts": 24, "share": 0.2},
                        {"label": "app / transferencia", "posts": 12, "share": 0.1},
                    ]
                },
            ),
            _run(
                world,
                "q8",
                {
                    "best_windows": [
                        {"label": "jueves 19:00", "weekday": 3, "hour": 19, "lift": 1.9}
                    ],
                    "best_windows_basis": "own",
                },
            ),
            _run(world, "q10", {"headline": "120 publicaciones del 1 mar al 31 mar."}),
        ]
    )
    await session.flush()
    ctx = ctx_for(session, world)
    sentiment = await call_tool(ctx, "latest_results", {"questions": ["sentiment"]})
    assert sentiment.data["results"]["q7"]["net_score"] == 0.16
    assert sentiment.data["results"]["q7"]["window"] == {
        "since": "2026-03-01",
        "until": "2026-03-31",
    }
    assert sentiment.summary == (
        "Banco Andino, último análisis (del 1 al 31 de marzo de 2026, calculado el 2 de abril "
        "de 2026): sentimiento neto +16 pts (40,4 % positivas, 24,4 % negativas, 35,2 % neutras)."
    )
    everything = await call_tool(
        ctx_for(session, world, language="en"),
        "latest_results",
        {"client_id": str(world.client.id)},
    )
    assert set(everything.data["results"]) == {"q1", "q3", "q7", "q8", "q10"}
    assert everything.data["missing"] == []
    for part in (
        "dominant emotion: joy (46.8% of the posts that show one; 38.0% neutral)",
        'top topics: "tarjeta / bloqueo" (20.0%), "app / transferencia" (10.0%)',
        "net sentiment +16 pts",
        "best time windows to post: jueves 19:00 (1.9x) the mean engagement rate",
        "120 publicaciones del 1 mar al 31 mar",
    ):
        assert part in everything.summary
    assert_json(everything)


async def test_latest_results_without_runs_say_so(
    session: AsyncSession, settings: Settings
) -> None:
    world = await named(session, await make_tenant(session, settings, "Agency A"), "Banco Andino")
    result = await call_tool(ctx_for(session, world), "latest_results", {"questions": ["q8"]})
    assert result.data["missing"] == ["temporal"]
    assert result.summary == (
        "Banco Andino aún no tiene análisis de patrones temporales: ejecuta un análisis para "
        "obtenerlos."
    )


# --------------------------------------------------------------------------- forecast


async def test_forecast_reads_the_latest_version_at_the_horizon(
    session: AsyncSession, settings: Settings
) -> None:
    world = await named(session, await make_tenant(session, settings, "Agency A"), "Banco Andino")
    version = await add_forecast(session, world)  # x account, data up to 2026-04-12
    today = version.train_end
    result = await call_tool(
        ctx_for(session, world, today=today), "forecast", {"days": 30, "platform": "x"}
    )
    expected = await forecasting_service.predict(
        session, analyst(world), world.client.id, world.accounts[0].id, "latest", 30
    )
    point = expected.points[-1]
    [item] = result.data["forecasts"]
    assert item["date"] == (today + timedelta(days=30)).isoformat() == point.date.isoformat()
    assert item["followers"] == round(point.followers)
    assert (item["lower_80"], item["upper_95"]) == (round(point.lower_80), round(point.upper_95))
    assert item["lower_95"] <= item["lower_80"] <= item["followers"] <= item["upper_80"]
    assert today == date(2026, 4, 12)
    assert result.summary.startswith(
        "Pronóstico de seguidores de Banco Andino para el 12 de mayo de 2026 (en 30 días): X @"
    )
    # Asked from a later day, the horizon counts from the last observed day.
    later = await call_tool(
        ctx_for(session, world, today=today + timedelta(days=5)), "forecast", {"days": 1}
    )
    assert later.data["forecasts"][0]["horizon_days"] == 6
    nothing = await call_tool(
        ctx_for(session, world, language="en"), "forecast", {"platform": "instagram"}
    )
    assert nothing.data["forecasts"] == []
    assert nothing.summary == (
        "Banco Andino has no trained follower forecast on Instagram (they are trained per "
        "account from its metrics)."
    )


# --------------------------------------------------------------------------- the registry


async def test_unknown_tools_and_bad_arguments_are_tool_errors(
    session: AsyncSession, settings: Settings
) -> None:
    world = await make_tenant(session, settings, "Agency A")
    ctx = ctx_for(session, world, language="en")
    with pytest.raises(ToolError, match="Unknown tool 'run_sql'"):
        await call_tool(ctx, "run_sql", {})
    bad = [
        ("count_posts", {"since": "2026-03-10", "until": "2026-03-01"}, "since must not be after"),
        ("count_posts", {"platform": "myspace"}, "platform"),
        ("count_posts", {"sql": "DROP TABLE post"}, "sql: Extra inputs"),
        ("count_posts", {"since": "0001-01-01"}, "since"),
        ("count_posts", {"client_id": "not-a-uuid"}, "client_id"),
        ("forecast", {"days": 0}, "days"),
        ("forecast", {"days": 91}, "days"),
        ("latest_results", {"questions": ["q99"]}, "unknown questions"),
        ("followers", {"since": "2026-03-05", "on": "2026-03-01"}, "since must not be after on"),
    ]
    for name, arguments, words in bad:
        with pytest.raises(ToolError, match=words):
            await call_tool(ctx, name, arguments)
    assert isinstance(ToolError("x"), ValueError)


def test_every_tool_offers_a_json_schema() -> None:
    # Every tool an agent may be allowed (AgentTool) is registered, retrieval aside.
    assert set(TOOLS) == set(AgentTool) - {AgentTool.search_documents}
    assert set(get_args(PlatformName)) == {p.value for p in Platform}
    for name, tool in TOOLS.items():
        assert tool.name == name
        assert tool.description
        schema = tool.parameters.model_json_schema()
        json.dumps(schema)
        assert schema["type"] == "object"
        assert schema["additionalProperties"] is False
        assert "$defs" not in schema  # enums inline: any function-calling model reads them

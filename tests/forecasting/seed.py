"""Forecasting data for tests, and a way to seed it before a route-matrix request.

The shared `TenantWorld` has three follower counts and no forecast, so a forecast route
could not answer its valid case. `SeedFirst` is an httpx `Auth` that, just before the
request is sent, writes what the route needs into the test's own transaction through
the ORM (no audit events: the matrix checks that refused requests record nothing).
Routes then address the version as `latest`, so no id has to be known in advance.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Sequence
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_object_session

from app.clients.models import SocialAccount
from app.core.auth import AuthContext
from app.core.enums import Role
from app.forecasting import model, service
from app.forecasting.models import FollowerForecast
from app.metrics.models import AccountMetric
from tests.factories import TenantWorld

# The world's metrics are on accounts[0], 2026-03-01..03 at 12:00 UTC.
WORLD_START = datetime(2026, 3, 1, 12, tzinfo=UTC)

Seed = Callable[[AsyncSession, TenantWorld], Awaitable[None]]


class SeedFirst(httpx.Auth):
    def __init__(self, world: TenantWorld, seed: Seed) -> None:
        self.world = world
        self.seed = seed

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        raise RuntimeError("SeedFirst needs the async client")
        yield request  # pragma: no cover

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        session = async_object_session(self.world.client)
        assert session is not None, "the world must still be attached to the test session"
        await self.seed(session, self.world)
        yield request


def analyst(w: TenantWorld) -> AuthContext:
    return AuthContext(tenant_id=w.tenant.id, role=Role.analyst)


async def add_followers(
    session: AsyncSession,
    w: TenantWorld,
    account: SocialAccount,
    values: Sequence[int],
    start: datetime,
) -> None:
    """One metric per day from `start` with the given follower counts."""
    session.add_all(
        AccountMetric(
            tenant_id=w.tenant.id,
            client_id=w.client.id,
            account_id=account.id,
            captured_at=start + timedelta(days=i),
            followers=value,
        )
        for i, value in enumerate(values)
    )
    await session.flush()


async def _history(session: AsyncSession, w: TenantWorld) -> None:
    # Continues the world's 1000, 1001, 1002 with a weekly wobble for 40 more days.
    values = [1003 + 4 * i + (i % 7) for i in range(40)]
    await add_followers(session, w, w.accounts[0], values, WORLD_START + timedelta(days=3))


async def add_forecast(session: AsyncSession, w: TenantWorld) -> FollowerForecast:
    """A follower history for accounts[0] and a forecast version trained on it."""
    await _history(session, w)
    rows = await session.execute(
        select(AccountMetric.captured_at, AccountMetric.followers).where(
            AccountMetric.account_id == w.accounts[0].id
        )
    )
    fit = model.fit_forecast([(r[0], r[1]) for r in rows.all()])
    return await service.store_version(
        session,
        analyst(w),
        w.client.id,
        w.accounts[0].id,
        fit,
        horizon_days=30,
        holdout_fraction=0.2,
    )


async def _forecast(session: AsyncSession, w: TenantWorld) -> None:
    await add_forecast(session, w)


def with_follower_history(w: TenantWorld) -> SeedFirst:
    return SeedFirst(w, _history)


def with_forecast(w: TenantWorld) -> SeedFirst:
    return SeedFirst(w, _forecast)

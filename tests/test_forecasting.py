"""Follower forecasts through the API on real PostgreSQL: known series give known
forecasts, intervals behave, versions are listed and compared, too little data is a 422,
other tenants see nothing, and every training is audited."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import Role
from app.forecasting.models import FollowerForecast
from app.tenants.models import AuditEvent
from tests.factories import TenantWorld, assert_problem
from tests.forecasting.seed import add_followers

START = datetime(2026, 1, 5, 8, tzinfo=UTC)  # a Monday
WEEKLY = [0, 10, 20, 5, -5, -15, -15]  # Mon..Sun, sums to 0


def _url(w: TenantWorld, account: int = 1, tail: str = "") -> str:
    return f"/api/v1/clients/{w.client.id}/accounts/{w.accounts[account].id}/forecasts{tail}"


async def _audit(session: AsyncSession, w: TenantWorld, action: str) -> list[AuditEvent]:
    rows = await session.execute(
        select(AuditEvent).where(AuditEvent.tenant_id == w.tenant.id, AuditEvent.action == action)
    )
    return list(rows.scalars())


async def test_linear_series_is_forecast_exactly(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    await add_followers(
        session, tenant_a, tenant_a.accounts[1], [5000 + 25 * d for d in range(60)], START
    )
    r = await client.post(
        _url(tenant_a), json={"horizon_days": 10}, headers=tenant_a.headers(Role.analyst)
    )
    assert r.status_code == 201, r.text
    version = r.json()
    assert version["version"] == 1
    assert (version["n_points"], version["horizon_days"]) == (60, 10)
    assert (version["train_start"], version["train_end"]) == ("2026-01-05", "2026-03-05")
    held = version["metrics"]
    assert held["holdout_days"] == 12  # 20% of 60
    assert held["model"]["r2"] == pytest.approx(1.0, abs=1e-9)
    assert held["model"]["rmse"] < 1e-6
    assert held["naive"]["rmse"] > 100  # the last value misses 25/day for 12 days
    assert held["beats_naive"]
    assert held["skill"] == pytest.approx(1.0, abs=1e-9)
    assert held["chosen"] == "raw linear"
    params = version["parameters"]
    assert params["coefficients"] == pytest.approx([5000, 25], abs=1e-6)
    assert params["features"] == ["intercept", "trend_per_day"]

    r = await client.get(
        _url(tenant_a, tail="/latest/predict"), headers=tenant_a.headers(Role.viewer)
    )
    assert r.status_code == 200, r.text
    prediction = r.json()
    assert prediction["days"] == 10
    assert len(prediction["points"]) == 10
    for h, p in enumerate(prediction["points"], start=1):
        assert p["horizon"] == h
        assert p["date"] == (date(2026, 3, 5) + timedelta(days=h)).isoformat()
        assert p["followers"] == pytest.approx(5000 + 25 * (59 + h), abs=1e-6)
        assert p["lower_95"] < p["lower_80"] < p["followers"] < p["upper_80"] < p["upper_95"]

    events = await _audit(session, tenant_a, "forecast.train")
    assert [e.resource_id for e in events] == [version["id"]]
    assert events[0].details["n_points"] == 60


async def test_intervals_widen_with_the_horizon(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    noisy = [3000 + 12 * d + (7 if d % 3 == 0 else -4 if d % 3 == 1 else -3) for d in range(50)]
    await add_followers(session, tenant_a, tenant_a.accounts[1], noisy, START)
    created = await client.post(_url(tenant_a), headers=tenant_a.headers(Role.analyst))
    assert created.status_code == 201, created.text  # no body: the defaults
    assert created.json()["horizon_days"] == 30
    r = await client.get(
        _url(tenant_a, tail=f"/{created.json()['id']}/predict"),
        params={"days": 120},
        headers=tenant_a.headers(Role.viewer),
    )
    points = r.json()["points"]
    assert len(points) == 120
    widths = [p["upper_95"] - p["lower_95"] for p in points]
    assert all(b >= a for a, b in itertools.pairwise(widths))
    assert widths[-1] > widths[0] * 1.2
    narrow = [p["upper_80"] - p["lower_80"] for p in points]
    assert all(n < w for n, w in zip(narrow, widths, strict=True))


async def test_weekly_pattern_is_captured(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    series = [2000 + 5 * d + WEEKLY[d % 7] for d in range(70)]  # START is a Monday
    await add_followers(session, tenant_a, tenant_a.accounts[1], series, START)
    r = await client.post(_url(tenant_a), headers=tenant_a.headers(Role.analyst))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["metrics"]["chosen"] == "raw linear + weekday"
    assert body["metrics"]["model"]["r2"] == pytest.approx(1.0, abs=1e-9)
    no_weekday = next(c for c in body["metrics"]["candidates"] if c["name"] == "raw linear")
    assert no_weekday["rmse"] > 5  # the plain trend misses the weekly swing
    effects = body["parameters"]["weekday_effects"]
    assert list(effects.values()) == pytest.approx(WEEKLY, abs=1e-6)

    r = await client.get(
        _url(tenant_a, tail="/latest/predict"), params={"days": 14}, headers=tenant_a.headers()
    )
    for p in r.json()["points"]:
        d = 69 + p["horizon"]
        assert p["followers"] == pytest.approx(2000 + 5 * d + WEEKLY[d % 7], abs=1e-6)


async def test_exponential_growth_prefers_the_log_scale(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    series = [round(1000 * 1.04**d) for d in range(60)]
    await add_followers(session, tenant_a, tenant_a.accounts[1], series, START)
    r = await client.post(_url(tenant_a), headers=tenant_a.headers(Role.analyst))
    held = r.json()["metrics"]
    assert held["chosen"].startswith("log")
    assert held["model"]["rmse"] < held["naive"]["rmse"] / 10


async def test_versions_are_listed_newest_first_and_compared(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    await add_followers(
        session, tenant_a, tenant_a.accounts[1], [100 + 3 * d for d in range(30)], START
    )
    h = tenant_a.headers(Role.analyst)
    first = (await client.post(_url(tenant_a), json={"holdout_fraction": 0.5}, headers=h)).json()
    second = (await client.post(_url(tenant_a), headers=h)).json()
    assert (first["version"], second["version"]) == (1, 2)
    assert first["metrics"]["holdout_days"] == 15

    page = (await client.get(_url(tenant_a), params={"limit": 1}, headers=h)).json()
    assert page["total"] == 2
    assert [v["version"] for v in page["items"]] == [2]
    assert "rmse" in page["items"][0]["metrics"]["model"]

    one = await client.get(_url(tenant_a, tail=f"/{first['id']}"), headers=h)
    assert one.json()["version"] == 1

    compared = (await client.get(_url(tenant_a, tail="/compare"), headers=h)).json()
    assert [i["version"] for i in compared["items"]] == [2, 1]
    assert compared["best_version_id"] in {first["id"], second["id"]}
    chosen = await client.get(
        _url(tenant_a, tail="/compare"), params={"ids": f"{first['id']},{second['id']}"}, headers=h
    )
    assert len(chosen.json()["items"]) == 2
    body = assert_problem(
        await client.get(_url(tenant_a, tail="/compare"), params={"ids": first["id"]}, headers=h),
        422,
    )
    assert "ids" in body["detail"]
    other_account = f"{_url(tenant_a, account=0, tail='/compare')}"
    assert_problem(
        await client.get(other_account, params={"ids": f"{first['id']},{second['id']}"}, headers=h),
        404,
    )


async def test_too_few_points_is_422_and_stores_nothing(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    # accounts[0] has the world's 3 daily points.
    r = await client.post(_url(tenant_a, account=0), headers=tenant_a.headers(Role.analyst))
    body = assert_problem(r, 422)
    assert "at least 14" in body["detail"]
    assert "has 3" in body["detail"]
    await add_followers(session, tenant_a, tenant_a.accounts[1], list(range(100, 114)), START)
    assert_problem(
        await client.post(
            _url(tenant_a), json={"holdout_fraction": 0.9}, headers=tenant_a.headers(Role.analyst)
        ),
        422,
    )
    assert_problem(
        await client.post(
            _url(tenant_a), json={"tenant_id": str(tenant_a.tenant.id)}, headers=tenant_a.headers()
        ),
        422,
    )
    count = await session.execute(
        select(func.count())
        .select_from(FollowerForecast)
        .where(FollowerForecast.tenant_id == tenant_a.tenant.id)
    )
    assert count.scalar_one() == 0
    assert await _audit(session, tenant_a, "forecast.train") == []
    assert_problem(
        await client.get(_url(tenant_a, tail="/latest"), headers=tenant_a.headers()), 404
    )


async def test_other_tenants_forecasts_are_invisible(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    await add_followers(session, tenant_a, tenant_a.accounts[1], [50 + d for d in range(20)], START)
    version = (await client.post(_url(tenant_a), headers=tenant_a.headers(Role.analyst))).json()
    b = tenant_b.headers(Role.owner)
    # B through A's path, and A's version id under B's own client and account.
    assert_problem(await client.get(_url(tenant_a, tail=f"/{version['id']}"), headers=b), 404)
    assert_problem(await client.get(_url(tenant_a), headers=b), 404)
    assert_problem(await client.post(_url(tenant_a), headers=tenant_b.headers(Role.analyst)), 404)
    for tail in (f"/{version['id']}", f"/{version['id']}/predict", "/latest"):
        assert_problem(await client.get(_url(tenant_b, tail=tail), headers=b), 404)
    listed = (await client.get(_url(tenant_b), headers=b)).json()
    assert listed["total"] == 0
    # Nor under another account of the same client.
    assert_problem(
        await client.get(
            _url(tenant_a, account=0, tail=f"/{version['id']}"), headers=tenant_a.headers()
        ),
        404,
    )

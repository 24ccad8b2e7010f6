"""Follower forecasts through the API on real PostgreSQL: known series give known
forecasts, intervals behave, versions are listed and compared, too little data is a 422,
other tenants see nothing, and every training is audited."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, timedelta

import httpx
import numpy as np
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


def _noisy_followers(days: int, seed: int) -> list[int]:
    """A follower count like a real account's: daily gains that vary a lot from day to
    day (a random walk with drift) and a campaign that lifts the pace for the last weeks."""
    rng = np.random.default_rng(seed)
    value, out = 20_000.0, []
    for d in range(days):
        out.append(round(value))
        pace = 40.0 if d < days - 25 else 140.0
        value += pace * (1.0 + rng.normal(0.0, 1.5))
    return out


async def test_the_95_band_is_as_wide_as_the_held_out_errors(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    await add_followers(session, tenant_a, tenant_a.accounts[1], _noisy_followers(120, 11), START)
    r = await client.post(_url(tenant_a), headers=tenant_a.headers(Role.analyst))
    assert r.status_code == 201, r.text
    held = r.json()["metrics"]
    mae = held["model"]["mae"]
    assert mae > 100  # the noise and the late change of pace are not predictable
    # The coverage of the hold-out by bands calibrated before it is reported and stored.
    coverage = held["coverage"]
    assert 0.0 <= coverage["band_80"] <= coverage["band_95"] <= 1.0
    assert coverage["calibration_errors"] >= 20
    assert r.json()["parameters"]["intervals"]["calibration_errors"] >= 20
    stored = await session.scalar(
        select(FollowerForecast.metrics).where(FollowerForecast.id == r.json()["id"])
    )
    assert stored is not None
    assert stored["coverage"] == coverage

    r = await client.get(
        _url(tenant_a, tail="/latest/predict"), headers=tenant_a.headers(Role.viewer)
    )
    assert r.status_code == 200, r.text
    prediction = r.json()
    assert prediction["chosen"] == held["chosen"]
    assert prediction["coverage"] == coverage
    day30 = prediction["points"][29]
    half_95 = (day30["upper_95"] - day30["lower_95"]) / 2
    # Before: ±250 at day 30 next to a hold-out MAE of 2,457 (issue 11).
    assert half_95 >= mae
    half_80 = (day30["upper_80"] - day30["lower_80"]) / 2
    assert half_80 < half_95


async def test_the_forecast_starts_at_the_last_observed_value(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    # A steady +20/day with a wobble, then the level jumps by 1,500 three days before the
    # end: a trend line fitted over the history lies far below the last observations.
    rng = np.random.default_rng(5)
    series = [round(8_000 + 20 * d + rng.normal(0, 15)) for d in range(70)]
    series[-3:] = [v + 1_500 for v in series[-3:]]
    await add_followers(session, tenant_a, tenant_a.accounts[1], series, START)
    r = await client.post(_url(tenant_a), headers=tenant_a.headers(Role.analyst))
    assert r.status_code == 201, r.text
    r = await client.get(
        _url(tenant_a, tail="/latest/predict"),
        params={"days": 7},
        headers=tenant_a.headers(Role.viewer),
    )
    prediction = r.json()
    assert prediction["last_value"] == series[-1]
    day1 = prediction["points"][0]
    assert day1["followers"] == pytest.approx(series[-1], abs=60)  # at most a few days' gain
    assert day1["lower_95"] < series[-1] < day1["upper_95"]
    assert all(p["followers"] >= series[-1] - 60 for p in prediction["points"])


async def test_versions_are_addressed_by_number(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    await add_followers(
        session, tenant_a, tenant_a.accounts[1], [300 + 4 * d for d in range(30)], START
    )
    h = tenant_a.headers(Role.analyst)
    first = (await client.post(_url(tenant_a), json={"horizon_days": 5}, headers=h)).json()
    second = (await client.post(_url(tenant_a), headers=h)).json()

    one = await client.get(_url(tenant_a, tail="/1"), headers=h)
    assert one.status_code == 200, one.text
    assert one.json()["id"] == first["id"]
    assert (await client.get(_url(tenant_a, tail="/2"), headers=h)).json()["id"] == second["id"]
    predicted = await client.get(_url(tenant_a, tail="/1/predict"), headers=h)
    assert predicted.status_code == 200, predicted.text
    assert (predicted.json()["version"], predicted.json()["days"]) == (1, 5)
    by_id = await client.get(_url(tenant_a, tail=f"/{first['id']}/predict"), headers=h)
    assert by_id.json() == predicted.json()

    for tail in ("/3", "/3/predict", "/999999999"):
        assert_problem(await client.get(_url(tenant_a, tail=tail), headers=h), 404)
    for tail in ("/0", "/-1", "/01", "/1.0", "/first", "/1000000000"):
        assert_problem(await client.get(_url(tenant_a, tail=tail), headers=h), 422)
    # Numbers are per account: another account's version 1 does not exist yet.
    assert_problem(await client.get(_url(tenant_a, account=0, tail="/1"), headers=h), 404)
    # Another tenant: neither through A's path nor under its own account.
    b = tenant_b.headers(Role.owner)
    for tail in ("/1", "/1/predict"):
        assert_problem(await client.get(_url(tenant_a, tail=tail), headers=b), 404)
        assert_problem(await client.get(_url(tenant_b, tail=tail), headers=b), 404)


async def test_the_version_parameter_says_what_it_accepts(app: object) -> None:
    document = app.openapi()  # type: ignore[attr-defined]
    path = "/api/v1/clients/{client_id}/accounts/{account_id}/forecasts/{version_id}/predict"
    (param,) = [
        p
        for p in document["paths"][path]["get"]["parameters"]
        if p["in"] == "path" and p["name"] == "version_id"
    ]
    pattern = re.compile(param["schema"]["pattern"])
    for text in ("1", "42", "999999999", "latest", "5b0c7e0e-8f0b-4a53-9d1e-2b1f0c7e9a10"):
        assert pattern.search(text), text
    for text in ("0", "-1", "01", "1.0", "first", "1000000000", "5b0c7e0e8f0b4a539d1e2b1f0c7e9a10"):
        assert not pattern.search(text), text

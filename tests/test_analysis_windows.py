"""Analysis windows (issue 11, item 11): plain dates read in the tenant's time zone (since
from the start of that day, until to the end of that day), full RFC 3339 times as
before, and an empty window that says where the client's posts are."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import Role
from tests.factories import TenantWorld, assert_problem

# The world's six posts: 2026-03-01 12:00 UTC to 2026-03-06 12:00 UTC, one a day; the
# tenant's zone is America/Lima (UTC-5).


def _run(w: TenantWorld, question: str = "q7") -> str:
    return f"/api/v1/clients/{w.client.id}/analyses/{question}"


async def test_plain_dates_are_days_in_the_tenant_zone(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    r = await client.post(
        _run(tenant_a),
        json={"since": "2026-03-02", "until": "2026-03-04"},
        headers=tenant_a.headers(Role.analyst),
    )
    assert r.status_code == 201, r.text
    run = r.json()
    # Lima's 2 March 00:00 to 5 March 00:00 (the whole of the 4th): 05:00 UTC both.
    assert run["params"]["since"] == "2026-03-02T05:00:00+00:00"
    assert run["params"]["until"] == "2026-03-05T05:00:00+00:00"
    assert run["posts_analyzed"] == 3
    # One day: since and until the same date.
    r = await client.post(
        _run(tenant_a),
        json={"since": "2026-03-03", "until": "2026-03-03"},
        headers=tenant_a.headers(Role.analyst),
    )
    assert r.status_code == 201, r.text
    assert r.json()["posts_analyzed"] == 1
    # A date and a time together; RFC 3339 times as before.
    r = await client.post(
        _run(tenant_a),
        json={"since": "2026-03-01", "until": "2026-03-03T00:00:00Z"},
        headers=tenant_a.headers(Role.analyst),
    )
    assert r.status_code == 201, r.text
    assert r.json()["posts_analyzed"] == 2
    # Jobs take them too.
    r = await client.post(
        f"/api/v1/clients/{tenant_a.client.id}/analyses",
        json={"since": "2026-03-01", "until": "2026-03-06", "questions": ["q7"]},
        headers=tenant_a.headers(Role.analyst),
    )
    assert r.status_code == 202, r.text


async def test_bad_plain_date_windows_are_refused(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    headers = tenant_a.headers(Role.analyst)
    for body in (
        {"since": "2026-03-05", "until": "2026-03-04"},
        {"since": "2026-03-05", "until": "2026-03-05T04:00:00Z"},  # Lima's 4th, 23:00
        {"since": "2026-02-30"},
        {"since": "2026-3-1"},
        {"until": "20260301"},
    ):
        r = await client.post(_run(tenant_a), json=body, headers=headers)
        assert_problem(r, 422)


async def test_the_openapi_window_takes_a_date_or_a_time(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    since = doc["components"]["schemas"]["RunRequest"]["properties"]["since"]
    formats = {s.get("format") for s in since["anyOf"]}
    assert {"date", "date-time"} <= formats


async def test_an_empty_window_names_the_client_posts_dates(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    r = await client.post(
        _run(tenant_a),
        json={"since": "2020-10-01", "until": "2020-10-31"},
        headers=tenant_a.headers(Role.analyst),
    )
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["status"] == "succeeded"
    assert run["posts_analyzed"] == 0
    notes = " ".join(run["result"]["notes"])
    # The tenant speaks Spanish: dates in its zone, the client's first and last posts.
    assert "2020-10-01" in notes, notes
    assert "2020-10-31" in notes, notes
    assert "2026-03-01" in notes, notes
    assert "2026-03-06" in notes, notes

"""Account metrics (app/metrics/): the list, CRUD, the import, the follower series."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import Role
from app.core.scope import TenantScope
from app.metrics import service
from app.metrics.models import AccountMetric
from app.tenants.models import AuditEvent
from tests.factories import TenantWorld, assert_problem


def _metrics(w: TenantWorld) -> str:
    return f"/api/v1/clients/{w.client.id}/metrics"


async def test_metrics_list_and_update(client: httpx.AsyncClient, tenant_a: TenantWorld) -> None:
    h = tenant_a.headers(Role.analyst)
    url = _metrics(tenant_a)
    r = (await client.get(url, params={"sort": "-captured_at"}, headers=h)).json()
    assert [m["followers"] for m in r["items"]] == [1002, 1001, 1000]
    metric_id = r["items"][0]["id"]
    r = await client.patch(f"{url}/{metric_id}", json={"followers": 1500}, headers=h)
    assert r.json()["followers"] == 1500
    r = await client.get(url, params={"account_id": str(tenant_a.accounts[1].id)}, headers=h)
    assert r.json()["total"] == 0


async def test_metrics_sort_and_pages(client: httpx.AsyncClient, tenant_a: TenantWorld) -> None:
    h = tenant_a.headers(Role.viewer)
    url = _metrics(tenant_a)
    seen = []
    for offset in (0, 2):
        page = (
            await client.get(
                url, params={"sort": "captured_at", "limit": 2, "offset": offset}, headers=h
            )
        ).json()
        assert (page["total"], page["limit"], page["offset"]) == (3, 2, offset)
        seen += [m["followers"] for m in page["items"]]
    assert seen == [1000, 1001, 1002]
    since = (await client.get(url, params={"since": "2026-03-02T12:00:00Z"}, headers=h)).json()
    assert [m["followers"] for m in since["items"]] == [1001, 1002]
    body = assert_problem(await client.get(url, params={"sort": "followers"}, headers=h), 422)
    assert ["query", "sort"] in [e["loc"] for e in body["errors"]]


async def test_create_conflict_foreign_account_and_delete(
    client: httpx.AsyncClient, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    h = tenant_a.headers(Role.analyst)
    url = _metrics(tenant_a)
    body = {
        "account_id": str(tenant_a.accounts[1].id),
        "captured_at": "2026-03-10T00:00:00-05:00",
        "followers": 5000,
    }
    r = await client.post(url, json=body, headers=h)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["captured_at"] == "2026-03-10T05:00:00Z"
    assert (created["following"], created["engagement_rate"]) == (0, 0.0)
    # The same account and time again: the unique key, a 409.
    assert_problem(await client.post(url, json=body, headers=h), 409)
    foreign = {**body, "account_id": str(tenant_b.accounts[0].id)}
    assert_problem(await client.post(url, json=foreign, headers=h), 422)
    assert_problem(await client.post(url, json=body, headers=tenant_a.headers(Role.viewer)), 403)
    r = await client.delete(f"{url}/{created['id']}", headers=h)
    assert r.status_code == 204
    assert_problem(await client.get(f"{url}/{created['id']}", headers=h), 404)
    # Another tenant's metric is not found, not forbidden.
    other = f"{_metrics(tenant_b)}/{tenant_b.metrics[0].id}"
    assert_problem(await client.get(other, headers=h), 404)


async def test_metrics_import(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    rows = [
        {
            "platform": "instagram",
            "account_handle": tenant_a.accounts[1].handle.upper(),  # handles ignore case
            "captured_at": f"2026-01-{d:02d}T00:00:00Z",
            "followers": 1000 + d,
            "engagement_rate": 0.02,
        }
        for d in range(1, 29)
    ]
    rows.append(dict(rows[0]))  # row 29: duplicate of row 1
    rows.append({**rows[1], "account_handle": "nobody"})  # row 30: no such account
    r = await client.post(
        f"{_metrics(tenant_a)}/import",
        json=rows,
        headers=tenant_a.headers(Role.analyst),
        params={"mode": "partial"},
    )
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["inserted"], result["updated"], result["failed"]) == (28, 0, 2)
    assert result["errors"] == [
        {
            "row": 29,
            "field": "account_id/captured_at",
            "loc": ["body", 29, "account_id/captured_at"],
            "msg": "Duplicate of row 1 in this document",
            "type": "duplicate_key",
        },
        {
            "row": 30,
            "field": "account_handle",
            "loc": ["body", 30, "account_handle"],
            "msg": "No instagram account @nobody for this client",
            "type": "unknown_account",
        },
    ]
    n = await session.execute(
        select(func.count())
        .select_from(AccountMetric)
        .where(AccountMetric.account_id == tenant_a.accounts[1].id)
    )
    assert n.scalar_one() == 28
    audit = await session.execute(
        select(AuditEvent.details).where(
            AuditEvent.tenant_id == tenant_a.tenant.id, AuditEvent.action == "metrics.import"
        )
    )
    assert audit.scalar_one() == {
        "received": 30,
        "inserted": 28,
        "updated": 0,
        "failed": 2,
        "mode": "partial",
    }
    # Atomic (the default): the same document is rejected whole, nothing changes.
    r = await client.post(
        f"{_metrics(tenant_a)}/import", json=rows, headers=tenant_a.headers(Role.analyst)
    )
    body = assert_problem(r, 422)
    assert [e["loc"] for e in body["errors"]] == [
        ["body", 29, "account_id/captured_at"],
        ["body", 30, "account_handle"],
    ]


async def test_follower_series_is_one_accounts_oldest_first(
    session: AsyncSession, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    account = tenant_a.accounts[0]
    series = await service.follower_series(
        session, TenantScope(tenant_a.tenant.id), tenant_a.client.id, account.id
    )
    assert [followers for _, followers in series] == [1000, 1001, 1002]
    assert [t for t, _ in series] == sorted(t for t, _ in series)
    # Through another tenant's scope: nothing.
    assert not await service.follower_series(
        session, TenantScope(tenant_b.tenant.id), tenant_a.client.id, account.id
    )

"""Rules of the tenant domain: roles, owner protection, audit log, platform admin."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import active_users
from app.core.enums import Role
from tests.factories import PASSWORD, TenantWorld, assert_problem

USERS = "/api/v1/tenant/users"


async def test_admin_cannot_touch_an_owner(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    owner = tenant_a.users[Role.owner]
    admin = tenant_a.headers(Role.admin)
    assert_problem(await client.delete(f"{USERS}/{owner.id}", headers=admin), 403)
    assert_problem(
        await client.patch(f"{USERS}/{owner.id}", json={"role": "viewer"}, headers=admin), 403
    )
    r = await client.patch(
        f"{USERS}/{tenant_a.extra_user.id}", json={"role": "owner"}, headers=admin
    )
    assert_problem(r, 403)
    r = await client.post(
        USERS,
        json={"email": "o2@example.com", "password": PASSWORD, "full_name": "O2", "role": "owner"},
        headers=admin,
    )
    assert_problem(r, 403)


async def test_last_owner_is_kept(client: httpx.AsyncClient, tenant_a: TenantWorld) -> None:
    owner = tenant_a.users[Role.owner]
    r = await client.patch(
        f"{USERS}/{owner.id}", json={"role": "admin"}, headers=tenant_a.headers(Role.owner)
    )
    assert_problem(r, 409)
    assert_problem(
        await client.delete(f"{USERS}/{owner.id}", headers=tenant_a.headers(Role.owner)), 409
    )
    # With a second owner the first may step down.
    r = await client.patch(
        f"{USERS}/{tenant_a.extra_user.id}",
        json={"role": "owner"},
        headers=tenant_a.headers(Role.owner),
    )
    assert r.status_code == 200, r.text
    r = await client.patch(
        f"{USERS}/{owner.id}", json={"role": "admin"}, headers=tenant_a.headers(Role.owner)
    )
    assert r.status_code == 200


async def test_user_email_is_unique_and_new_user_can_log_in(
    client: httpx.AsyncClient, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    body = {
        "email": tenant_b.users[Role.viewer].email,
        "password": PASSWORD,
        "full_name": "Dup",
        "role": "viewer",
    }
    assert_problem(await client.post(USERS, json=body, headers=tenant_a.headers(Role.admin)), 409)
    body["email"] = "Fresh.User@Example.com"
    r = await client.post(USERS, json=body, headers=tenant_a.headers(Role.admin))
    assert r.status_code == 201
    assert r.json()["email"] == "fresh.user@example.com"
    login = await client.post(
        "/api/v1/auth/login", json={"email": "fresh.user@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    )
    assert me.json()["tenant"]["id"] == str(tenant_a.tenant.id)
    assert me.json()["role"] == "viewer"


async def test_viewer_reads_but_writes_nothing(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    viewer = tenant_a.headers(Role.viewer)
    assert (await client.get("/api/v1/clients", headers=viewer)).status_code == 200
    assert_problem(await client.post("/api/v1/clients", json={"name": "X"}, headers=viewer), 403)
    assert_problem(await client.patch("/api/v1/tenant", json={"name": "X"}, headers=viewer), 403)


async def test_audit_log_records_and_filters(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    analyst = tenant_a.headers(Role.analyst)
    r = await client.post("/api/v1/clients", json={"name": "Audited"}, headers=analyst)
    client_id = r.json()["id"]
    await client.patch(f"/api/v1/clients/{client_id}", json={"industry": "food"}, headers=analyst)
    admin = tenant_a.headers(Role.admin)
    r = await client.get("/api/v1/tenant/audit-events", params={"action": "client."}, headers=admin)
    body = r.json()
    assert body["total"] == 2
    newest, oldest = body["items"]
    assert (newest["action"], oldest["action"]) == ("client.update", "client.create")
    assert newest["resource_id"] == client_id
    assert newest["actor_user_id"] == str(tenant_a.users[Role.analyst].id)
    assert newest["ip"] == "203.0.113.7"
    assert newest["details"] == {"fields": ["industry"]}
    r = await client.get(
        "/api/v1/tenant/audit-events", params={"resource_id": client_id, "limit": 1}, headers=admin
    )
    assert (r.json()["total"], len(r.json()["items"])) == (2, 1)
    r = await client.get(
        "/api/v1/tenant/audit-events", params={"since": "2100-01-01T00:00:00Z"}, headers=admin
    )
    assert r.json()["total"] == 0


async def test_superuser_lists_and_deactivates_tenants(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    owner = tenant_a.users[Role.owner]
    assert_problem(await client.get("/api/v1/admin/tenants", headers=tenant_a.headers()), 403)
    owner.is_superuser = True
    await session.flush()
    # Changed in the database directly (as `pixely create-superuser` does from another
    # process): workers trust their cached row for AUTH_RECHECK_SECONDS; skip the wait.
    active_users.clear()
    r = await client.get("/api/v1/admin/tenants", params={"limit": 500}, headers=tenant_a.headers())
    listed = {t["id"]: t for t in r.json()["items"]}
    assert listed[str(tenant_b.tenant.id)]["users"] == 5
    r = await client.post(
        f"/api/v1/admin/tenants/{tenant_b.tenant.id}/deactivate", headers=tenant_a.headers()
    )
    assert r.json()["is_active"] is False
    # B's users and keys stop working at once.
    assert_problem(await client.get("/api/v1/clients", headers=tenant_b.headers()), 401)
    assert_problem(
        await client.get("/api/v1/clients", headers={"X-API-Key": tenant_b.api_key_secret}), 401
    )
    own = await client.post(
        f"/api/v1/admin/tenants/{tenant_a.tenant.id}/deactivate", headers=tenant_a.headers()
    )
    assert_problem(own, 409)


async def test_tenant_update_validates_timezone(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    admin = tenant_a.headers(Role.admin)
    # The schema lists the zones (an enum): any other is a 422 on the field.
    body = assert_problem(
        await client.patch("/api/v1/tenant", json={"timezone": "Mars/Base"}, headers=admin), 422
    )
    assert body["errors"][0]["loc"] == ["body", "timezone"]
    r = await client.patch(
        "/api/v1/tenant", json={"timezone": "America/Mexico_City", "language": "en"}, headers=admin
    )
    assert (r.json()["timezone"], r.json()["language"]) == ("America/Mexico_City", "en")

from app.core.enums import Role
from tests.factories import TenantWorld, assert_problem


async def test_health_and_ready(client):
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"


async def test_get_client(client, tenant_a: TenantWorld, tenant_b: TenantWorld):
    r = await client.get(f"/api/v1/clients/{tenant_a.client.id}", headers=tenant_a.headers())
    assert r.status_code == 200, r.text
    assert r.json()["name"] == tenant_a.client.name
    r = await client.get(f"/api/v1/clients/{tenant_b.client.id}", headers=tenant_a.headers())
    assert_problem(r, 404)


async def test_register_login_me(client):
    r = await client.post(
        "/api/v1/auth/register",
        json={
            "tenant_name": "Lumen",
            "email": "Owner@Lumen.example",
            "password": "long-enough-pw",
            "full_name": "Lu",
        },
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/auth/login", json={"email": "owner@lumen.example", "password": "long-enough-pw"}
    )
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert me.json()["role"] == Role.owner

"""The bare read path (`Database.read_connection`) as served, not through the test
transaction: a database of its own with committed data and a pool of ONE connection.

With one permit, a request whose authentication took a second connection beside the one
its handler holds would wait on itself for ever; these requests must all answer (bare
read + token, bare read + API key, session + API key, session + token; the token's user
is not cached, so authentication must query).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.core.auth import active_users
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from tests.test_migrations import migrated_database


@pytest.fixture(scope="module")
async def one_connection(postgres_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    settings = Settings(
        environment="test", seed_demo=False, run_worker_in_process=False, _env_file=None
    )  # type: ignore[call-arg]
    async with migrated_database(postgres_url, "reads") as url:
        db = Database(url, pool_size=1, timeout=5)
        app = create_app(settings, db=db)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield client, db
        await db.dispose()


async def _answer(request: Any) -> httpx.Response:
    # A request that deadlocked on the single permit would hang: fail it instead.
    return await asyncio.wait_for(request, timeout=10)


async def _register(client: httpx.AsyncClient, name: str) -> dict[str, str]:
    """A new tenant and its owner; the owner's bearer header."""
    register = {
        "tenant_name": name,
        "email": f"{name.lower()}@example.com",
        "password": f"{name.lower()}-password",
        "full_name": name,
    }
    r = await _answer(client.post("/api/v1/auth/register", json=register))
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_bare_reads_and_authentication_share_one_connection(
    one_connection: tuple[httpx.AsyncClient, Database],
) -> None:
    client, db = one_connection
    bearer = await _register(client, "Reads")
    created = await _answer(client.post("/api/v1/clients", json={"name": "Acme"}, headers=bearer))
    assert created.status_code == 201
    client_id = created.json()["id"]
    key = await _answer(
        client.post(
            "/api/v1/tenant/api-keys", json={"name": "k", "role": "analyst"}, headers=bearer
        )
    )
    assert key.status_code == 201
    api_key = {"X-API-Key": key.json()["secret"]}

    one = f"/api/v1/clients/{client_id}"
    posts = f"{one}/posts?limit=5"
    for headers in (bearer, api_key):
        active_users.clear()  # the token's user must be read again, on the held connection
        r = await _answer(client.get(one, headers=headers))
        assert r.status_code == 200, r.text
        assert r.json()["name"] == "Acme"
        r = await _answer(client.get(posts, headers=headers))
        assert r.status_code == 200, r.text
        assert r.json() == {"items": [], "total": 0, "limit": 5, "offset": 0}
    # A session held first (GET /auth/me), then a user not cached: checked on the
    # session's connection.
    active_users.clear()
    r = await _answer(client.get("/api/v1/auth/me", headers=bearer))
    assert r.status_code == 200, r.text
    # A write (ORM session) authenticated by an API key: the key is checked, and its
    # last use recorded, on the session's connection.
    r = await _answer(client.post("/api/v1/clients", json={"name": "Beta"}, headers=api_key))
    assert r.status_code == 201, r.text

    # Another tenant's client through the bare path: 404, nothing of it.
    r = await _answer(client.get(one, headers=await _register(client, "Other")))
    assert r.status_code == 404
    assert "Acme" not in r.text

    # Ten concurrent bare reads on one connection queue for it and all answer.
    answers = await _answer(asyncio.gather(*(client.get(one, headers=bearer) for _ in range(10))))
    assert [a.status_code for a in answers] == [200] * 10
    # Every connection went back to the pool.
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_statements_are_planned_once(
    one_connection: tuple[httpx.AsyncClient, Database], postgres_url: str
) -> None:
    """DB_PLAN_CACHE_MODE (default force_generic_plan) reaches every pooled connection:
    the posts list's prepared statements are planned once, never re-planned per call
    (PostgreSQL's "auto" re-plans them: their generic estimate looks costlier)."""
    client, db = one_connection
    bearer = await _register(client, "Plans")
    created = await _answer(client.post("/api/v1/clients", json={"name": "Plan"}, headers=bearer))
    posts = f"/api/v1/clients/{created.json()['id']}/posts?platform=x&is_own=false"
    for _ in range(8):  # "auto" would have chosen after 5 custom plans
        assert (await _answer(client.get(posts, headers=bearer))).status_code == 200
    async with db.read_connection() as conn:  # the pool's one connection: the same
        mode = await conn.fetchval("SHOW plan_cache_mode")
        plans = await conn.fetch(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%FROM post p WHERE%'"
        )
    assert mode == "force_generic_plan"
    assert plans
    assert sum(p["generic_plans"] for p in plans) >= 8
    assert [p["custom_plans"] for p in plans] == [0] * len(plans)
    async with db.sessionmaker() as session:  # ORM sessions share the pool's setting
        assert await session.scalar(text("SHOW plan_cache_mode")) == "force_generic_plan"

    # "server" sends nothing: PostgreSQL's own default applies.
    server_default = Database(postgres_url, pool_size=1, plan_cache_mode="server")
    try:
        async with server_default.read_connection() as conn:
            assert await conn.fetchval("SHOW plan_cache_mode") == "auto"
    finally:
        await server_default.dispose()

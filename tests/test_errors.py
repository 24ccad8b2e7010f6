"""The one error format: unexpected errors become a problem+json 500 without details."""

from __future__ import annotations

import httpx

from app.core.config import Settings
from app.core.db import Database
from tests.factories import assert_problem


async def test_unexpected_error_is_problem_json_500(database: Database, settings: Settings) -> None:
    from app.main import create_app

    app = create_app(settings, db=database)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.get("/boom")
        body = assert_problem(r, 500)
        assert "secret" not in r.text
        assert body["request_id"] == r.headers["x-request-id"]
        r = await client.get("/no/such/path")
        assert_problem(r, 404)
        r = await client.delete("/health")
        assert_problem(r, 405)


async def test_nul_characters_are_a_clear_4xx(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/auth/register",
        json={
            "tenant_name": "Nul\x00",
            "email": "nul@example.com",
            "password": "long-password",
            "full_name": "N",
        },
    )
    body = assert_problem(r, 422)
    assert "NUL" in body["detail"]
    r = await client.get("/api/v1/clients?q=a%00b", headers={"Authorization": "Bearer x"})
    assert_problem(r, 400)


async def test_lone_surrogates_are_a_clear_4xx(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/auth/register",
        content=b'{"tenant_name": "x\\ud800", '
        b'"email": "s@example.com", "password": "long-password", '
        b'"full_name": "S"}',
        headers={"content-type": "application/json"},
    )
    assert_problem(r, 422)

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

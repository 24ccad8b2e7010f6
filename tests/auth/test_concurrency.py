"""Races on the login and refresh flows, on a database of their own: the requests run
at the same time on separate pooled connections, with committed data (the default
fixtures put every request in one rolled-back connection, where nothing can race)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from tests.test_migrations import migrated_database

EMAIL = "race@example.com"
PASSWORD = "race-password-1"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LIMIT = 10


@pytest.fixture(scope="module")
async def race_app(postgres_url: str) -> AsyncIterator[Any]:
    async with migrated_database(postgres_url, "auth_race") as url:
        settings = Settings(
            environment="test",
            seed_demo=False,
            run_worker_in_process=False,
            login_max_attempts=LIMIT,
            _env_file=None,
        )  # type: ignore[call-arg]
        db = Database(url, pool_size=8)
        app = create_app(settings, db=db)
        async with app.router.lifespan_context(app):
            async with _client(app, "192.0.2.1") as client:
                r = await client.post(
                    "/api/v1/auth/register",
                    json={
                        "tenant_name": "Race",
                        "email": EMAIL,
                        "password": PASSWORD,
                        "full_name": "R",
                    },
                )
                assert r.status_code == 201, r.text
            yield app
        await db.dispose()


def _client(app: Any, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def test_concurrent_refreshes_one_wins_and_the_family_is_revoked(race_app: Any) -> None:
    """The same refresh token presented twice at once (a stolen copy used while the
    real client refreshes): one answer is a new pair, the other a 401 for reuse that
    revokes the family, so the winner's new refresh token is refused too."""
    async with _client(race_app, "192.0.2.2") as client:
        for trial in range(10):
            login = await client.post(LOGIN, json={"email": EMAIL, "password": PASSWORD})
            assert login.status_code == 200, login.text
            token = login.json()["refresh_token"]
            answers = await asyncio.gather(
                client.post(REFRESH, json={"refresh_token": token}),
                client.post(REFRESH, json={"refresh_token": token}),
            )
            statuses = sorted(r.status_code for r in answers)
            assert statuses == [200, 401], (trial, [r.text for r in answers])
            winner = next(r for r in answers if r.status_code == 200)
            after = await client.post(
                REFRESH, json={"refresh_token": winner.json()["refresh_token"]}
            )
            assert after.status_code == 401, (trial, after.text)


async def test_concurrent_wrong_passwords_verify_at_most_the_limit(race_app: Any) -> None:
    """40 wrong passwords at once for one email from one address: exactly LIMIT are
    verified (401), the others are refused before hashing (429 with Retry-After)."""
    hasher = race_app.state.hasher
    verified = 0
    original = hasher.verify

    async def counting_verify(password: str, hashed: str | None) -> tuple[bool, str | None]:
        nonlocal verified
        verified += 1
        return await original(password, hashed)  # type: ignore[no-any-return]

    hasher.verify = counting_verify
    try:
        async with _client(race_app, "192.0.2.3") as client:
            answers = await asyncio.gather(
                *(
                    client.post(LOGIN, json={"email": EMAIL, "password": f"wrong-{i}"})
                    for i in range(40)
                )
            )
    finally:
        del hasher.verify
    statuses = [r.status_code for r in answers]
    assert verified == LIMIT
    assert statuses.count(401) == LIMIT
    assert statuses.count(429) == 40 - LIMIT
    for r in answers:
        if r.status_code == 429:
            assert 1 <= int(r.headers["retry-after"]) <= 300

"""Test fixtures: a real PostgreSQL built by the migrations, one rolled-back transaction
per test, and an httpx client on the ASGI app.

With TEST_DATABASE_URL unset, an embedded PostgreSQL is started in a fresh temporary
folder and deleted at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import Database
from app.core.embedded import start_embedded, to_async_url
from app.core.migrations import upgrade
from app.main import create_app
from tests.transactions import rolled_back

pytest_plugins = ["tests.factories"]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield to_async_url(url)
        return
    folder = Path(tempfile.mkdtemp(prefix="pixely-test-"))
    server = start_embedded(folder / "pgdata", cleanup_mode="delete")
    try:
        yield to_async_url(server.get_uri())
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def migrated_url(postgres_url: str) -> str:
    upgrade(postgres_url)
    return postgres_url


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(
        environment="test",
        seed_demo=False,
        login_max_attempts=5,
        ai_endpoint_allowed_hosts=["fake-openai.test"],
        password_hash_workers=2,
        run_worker_in_process=False,
        _env_file=None,
    )  # type: ignore[call-arg]


@pytest.fixture(scope="session")
async def database(migrated_url: str, settings: Settings) -> AsyncIterator[Database]:
    db = Database(migrated_url, pool_size=5)
    yield db
    await db.dispose()


@pytest.fixture(scope="session")
async def app(database: Database, settings: Settings) -> AsyncIterator[object]:
    application = create_app(settings, db=database)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def session(database: Database, app: object) -> AsyncIterator[AsyncSession]:
    """Everything in a test, requests included, runs inside one transaction rolled back
    at the end; the app's commits become savepoints."""
    async with rolled_back(database) as s:
        yield s


@pytest.fixture
async def client(app: object, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c

"""Migrations on an empty database: upgrade -> downgrade -> upgrade, and autogenerate
finds no difference from the models."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.migrations import downgrade, upgrade
from app.models import Base


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    return not (name or "").startswith("procrastinate_")


def _with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    root = base.rsplit("/", 1)[0]
    return f"{root}/{name}" + (f"?{query}" if query else "")


async def _admin(url: str, sql: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


@asynccontextmanager
async def migrated_database(postgres_url: str, prefix: str) -> AsyncIterator[str]:
    """A database of its own, migrated to the head, dropped afterwards: for tests whose
    data must be committed (workers and pools that do not share the test's transaction)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    await _admin(postgres_url, f'CREATE DATABASE "{name}"')
    try:
        url = _with_database(postgres_url, name)
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await _admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        )
        names = {r[0] for r in rows}
    await engine.dispose()
    return names


async def _diff(url: str) -> list[object]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync_conn: compare_metadata(
                MigrationContext.configure(
                    sync_conn, opts={"compare_type": True, "include_object": include_object}
                ),
                Base.metadata,
            )
        )
    await engine.dispose()
    return list(diff)


def test_upgrade_downgrade_upgrade_and_no_drift(postgres_url: str) -> None:
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(postgres_url, f'CREATE DATABASE "{name}"'))
    url = _with_database(postgres_url, name)
    try:
        upgrade(url)
        assert {"tenant", "user", "client", "post", "account_metric"} <= asyncio.run(_tables(url))
        downgrade(url, "base")
        assert asyncio.run(_tables(url)) <= {"alembic_version"}  # procrastinate's too
        upgrade(url)
        assert asyncio.run(_diff(url)) == []
    finally:
        asyncio.run(_admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

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


async def _scalar(url: str, sql: str) -> object:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        value = (await conn.execute(text(sql))).scalar()
    await engine.dispose()
    return value


def test_0008_turns_competitor_names_into_objects_and_back(postgres_url: str) -> None:
    """Stored competitor names survive the change to objects, in order, and the way back."""
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(postgres_url, f'CREATE DATABASE "{name}"'))
    url = _with_database(postgres_url, name)
    try:
        upgrade(url, "0007")
        tenant = (
            "INSERT INTO tenant (id, name, slug, language, timezone, is_active, created_at, "
            "updated_at) "
            "VALUES (gen_random_uuid(), 't', 't', 'es', 'UTC', true, now(), now()) RETURNING id"
        )
        tenant_id = asyncio.run(_scalar(url, tenant))
        asyncio.run(
            _scalar(
                url,
                "INSERT INTO client (id, tenant_id, name, language, competitors, created_at, "
                f"updated_at) VALUES (gen_random_uuid(), '{tenant_id}', 'c', 'es', "
                "ARRAY['BCP', 'Interbank'], now(), now()) RETURNING id",
            )
        )
        upgrade(url)
        stored = asyncio.run(_scalar(url, "SELECT competitors FROM client"))
        assert stored == [
            {"name": "BCP", "handles": [], "aliases": []},
            {"name": "Interbank", "handles": [], "aliases": []},
        ]
        downgrade(url, "0007")
        assert asyncio.run(_scalar(url, "SELECT competitors FROM client")) == ["BCP", "Interbank"]
    finally:
        asyncio.run(_admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

"""One transaction around a test's (or a module's) work, rolled back at the end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.db import Database


@asynccontextmanager
async def rolled_back(database: Database) -> AsyncIterator[AsyncSession]:
    """The app's sessions and bare reads join one transaction that is rolled back at the
    end; the app's commits become savepoints."""
    async with database.engine.connect() as conn:
        outer = await conn.begin()
        maker = async_sessionmaker(
            bind=conn,
            expire_on_commit=False,
            autoflush=False,
            join_transaction_mode="create_savepoint",
        )
        driver = (await conn.get_raw_connection()).driver_connection

        @asynccontextmanager
        async def read_connection() -> AsyncIterator[Any]:
            yield driver  # the bare reads see the test's data too

        original = database.sessionmaker, database.read_sessionmaker
        database.sessionmaker = database.read_sessionmaker = maker
        database.read_connection = read_connection  # type: ignore[method-assign]
        try:
            async with maker() as session:
                yield session
        finally:
            database.sessionmaker, database.read_sessionmaker = original
            del database.read_connection
            await outer.rollback()

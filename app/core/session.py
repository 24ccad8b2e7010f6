"""One transaction per request: commit after the handler, roll back on error.

Safe methods (GET, HEAD) read in autocommit mode instead, without BEGIN/COMMIT.
The dependency is declared with `scope="function"` so the commit happens before the
response is sent: a failed commit becomes an error response, never a 200.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import Database
from app.core.security import PasswordHasher


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    db = get_database(request)
    maker = db.read_sessionmaker if request.method in SAFE_METHODS else db.sessionmaker
    async with db.semaphore, maker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def _database(request: Request) -> Database:
    return get_database(request)


# The dependencies are `async def` on purpose: FastAPI runs plain `def` dependencies in
# its thread pool, a thread hop per request for a dictionary lookup.
async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_hasher(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.hasher
    return hasher


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
DatabaseDep = Annotated[Database, Depends(_database)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
HasherDep = Annotated[PasswordHasher, Depends(get_hasher)]

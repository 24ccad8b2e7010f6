"""A request's database: an ORM session, or a bare connection for the hottest reads.

`SessionDep`: one transaction per request, committed after the handler, rolled back on
error. Safe methods (GET, HEAD) read in autocommit mode instead, without BEGIN/COMMIT.
The dependency is declared with `scope="function"` so the commit happens before the
response is sent: a failed commit becomes an error response, never a 200.

The read-only endpoints called most (one client, the posts list) take no session: their
handler reads inside `Database.read_connection()`, a pooled asyncpg connection in
autocommit. An ORM session's setup and teardown, and even a generator dependency's, cost
more than their whole query.

A session holds one of the database's permits (`Database.semaphore`) for the request and
is noted in the request's state, so authentication, which may run before or after it,
uses that connection instead of a second one (`request_connection`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import Database, driver_connection
from app.core.security import PasswordHasher


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    db = get_database(request)
    maker = db.read_sessionmaker if request.method in SAFE_METHODS else db.sessionmaker
    async with db.semaphore, maker() as session:
        request.state.db_session = session
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        finally:
            request.state.db_session = None


@asynccontextmanager
async def request_connection(request: Request) -> AsyncIterator[Any]:
    """asyncpg for a dependency that runs beside the handler's (authentication): the
    connection of the request's session if it has one, or else a short one of its own
    (returned before the handler takes any).

    Never a second permit while the request holds one: with every permit held by requests
    waiting for a second, they would wait on each other for ever.
    """
    session = getattr(request.state, "db_session", None)
    if session is not None:
        yield await driver_connection(session)
    else:
        async with get_database(request).read_connection() as conn:
            yield conn


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

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

While the database cannot be reached, requests are answered 503 (`DatabaseUnavailable`,
app/core/errors.py). A GET or HEAD whose connection was lost under it runs once more on
a fresh one (`RetryReads`), so a killed backend costs no failed read; a write never
runs twice (its commit may have happened), it answers 503.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.db import Database, connection_lost, driver_connection
from app.core.errors import RETRY_READ, AppError, RetryRequest, database_unavailable
from app.core.security import PasswordHasher

logger = logging.getLogger(__name__)


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
            await _rollback(session)
            raise
        finally:
            request.state.db_session = None


async def _rollback(session: AsyncSession) -> None:
    """Roll back, unless the connection is gone (its transaction went with it): the error
    that says so is the request's, not the rollback's."""
    try:
        await session.rollback()
    except Exception as exc:
        if database_unavailable(exc) is None:
            raise


@asynccontextmanager
async def request_connection(request: Request) -> AsyncIterator[Any]:
    """asyncpg for a dependency that runs beside the handler's (authentication): the
    connection of the request's session if it has one, or else a short one of its own
    (returned before the handler takes any).

    Never a second permit while the request holds one: with every permit held by requests
    waiting for a second, they would wait on each other for ever.
    """
    session = getattr(request.state, "db_session", None)
    if session is None:
        async with get_database(request).read_connection() as conn:
            yield conn
        return
    conn = await driver_connection(session)
    try:
        yield conn
    except Exception as exc:
        problem = None if isinstance(exc, AppError) else connection_lost(conn, exc)
        if problem is None:
            raise
        get_database(request).connection_lost()
        raise problem from exc  # the session's rollback then discards the connection


_RETRIED_METHODS = frozenset({"GET", "HEAD"})


class RetryReads:
    """ASGI middleware: a GET or HEAD whose database connection was lost under it runs
    once more (the pool hands out a fresh connection), instead of answering 503.

    It marks the request (`RETRY_READ` in its scope); the outage handler takes the mark and
    raises `RetryRequest` instead of answering, which only happens before a response has
    started. A second loss is answered 503. Writes pass through unmarked: a write whose
    connection was lost may have been committed, so only its client may send it again.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _RETRIED_METHODS:
            await self.app(scope, receive, send)
            return
        scope[RETRY_READ] = True
        try:
            await self.app(scope, receive, send)
        except RetryRequest:
            logger.info(
                "database connection lost under %s %s; running it again",
                scope["method"],
                scope["path"],
            )
            await self.app(scope, _empty_body(receive), send)


def _empty_body(receive: Receive) -> Receive:
    """The request's (empty) body again for the second run, then the client's messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    return replay


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

"""SQLAlchemy base, mixins and the engine/session factory."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, MetaData, Uuid, event, func
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.util import greenlet_spawn

from app.core.config import Settings
from app.core.errors import AppError, DatabaseUnavailable, database_unavailable

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    # Set in Python too: rows written in one transaction still get increasing times
    # (now() is the transaction's start), so "newest first" has a meaning.
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        default=lambda: datetime.now(UTC),
        server_default=func.now(),
        nullable=False,
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        server_default=func.now(),
        # Set in Python so the new value is on the instance after a flush (no lazy load).
        onupdate=lambda: datetime.now(UTC),
        nullable=False,
    )


class TenantMixin:
    """Every tenant-owned row carries its tenant; repositories filter on it."""

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            Uuid, ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False, index=True
        )


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under a session, in the session's transaction.

    For the few hot or bulk paths where SQLAlchemy's per-statement overhead dominates
    (the per-request auth check, COPY for imports). Everything else goes through the ORM.
    """
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    adapter: Any = raw.dbapi_connection
    # SQLAlchemy's asyncpg adapter sends BEGIN lazily, with its first statement; a raw
    # statement sent first would run outside the session's transaction (in autocommit).
    if getattr(adapter, "_transaction", True) is None:
        await adapter._start_transaction()
    return raw.driver_connection


def _connect(dialect: Any, record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
    """Connect as SQLAlchemy would, but a database that cannot be reached (refused, no
    socket, unreachable, timed out, starting up, full) is `DatabaseUnavailable`: told
    apart here, where an OSError can only be the connection's."""
    try:
        return dialect.connect(*cargs, **cparams)
    except OSError as exc:
        raise DatabaseUnavailable() from exc
    except Exception as exc:
        if database_unavailable(exc) is None:
            raise
        raise DatabaseUnavailable() from exc


_CONNECTED_AT = "pixely_connected_at"


def _stamp(dbapi_connection: Any, record: Any) -> None:
    record.info[_CONNECTED_AT] = time.monotonic()


def connection_lost(conn: Any, exc: BaseException) -> DatabaseUnavailable | None:
    """What a driver error on a bare asyncpg connection means: the connection lost
    (whatever asyncpg raised then), the database unreachable, or neither (None)."""
    if conn.is_closed():
        return DatabaseUnavailable(retryable=True)
    return database_unavailable(exc)


# Opens a session for one short piece of work (`Database.read_session`, a test's own):
# for work that must not hold a connection while it waits on something else.
SessionOpener = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class Database:
    """Owns the engine and hands out sessions.

    The semaphore serves waiters first-come-first-served: asyncpg's pool does not, and
    under more concurrent requests than connections that made p99 10-40x p50.

    An outage is `DatabaseUnavailable` (503): connecting fails with it, a connection the
    server closed is replaced on checkout, and a bare read whose connection died is
    discarded from the pool.
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int,
        max_overflow: int = 0,
        timeout: float = 10.0,
        echo: bool = False,
        pre_ping: bool = False,
        recycle: int = 1800,
        plan_cache_mode: str = "force_generic_plan",
    ) -> None:
        self.url = url
        server_settings = (
            {} if plan_cache_mode == "server" else {"plan_cache_mode": plan_cache_mode}
        )
        self.engine: AsyncEngine = create_async_engine(
            url,
            connect_args={"server_settings": server_settings},
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=timeout,
            pool_pre_ping=pre_ping,
            pool_recycle=recycle,
            echo=echo,
        )
        event.listen(self.engine.sync_engine, "do_connect", _connect)
        event.listen(self.engine.sync_engine, "connect", _stamp)
        event.listen(self.engine.sync_engine, "checkout", self._discard_dead)
        self._lost_at = float("-inf")
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # Safe (GET/HEAD) requests read in autocommit: no BEGIN/COMMIT round trips, which
        # are half the round trips of a one-row read.
        self.read_sessionmaker = async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False,
            autoflush=False,
        )
        self.semaphore = asyncio.Semaphore(pool_size + max_overflow)

    def _discard_dead(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        """Replace a pooled connection on checkout if the server closed it (asyncpg knows,
        without the round trips of a pre-ping), or if it is older than the last connection
        found lost: a restart or a mass pg_terminate_backend closes them all, and the
        client may not have noticed yet (the retry of a read must not take another)."""
        if (
            record.driver_connection.is_closed()
            or record.info.get(_CONNECTED_AT, float("-inf")) < self._lost_at
        ):
            raise DisconnectionError("the server closed this connection")

    def connection_lost(self) -> None:
        """A connection was found lost: every connection made before now is replaced when
        next checked out (SQLAlchemy does the same for the ORM's connections)."""
        self._lost_at = time.monotonic()

    @classmethod
    def from_settings(cls, settings: Settings, url: str) -> Database:
        return cls(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            timeout=settings.db_pool_timeout,
            echo=settings.db_echo,
            pre_ping=settings.db_pool_pre_ping,
            recycle=settings.db_pool_recycle_seconds,
            plan_cache_mode=settings.db_plan_cache_mode,
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for work outside a request; the caller manages the transaction."""
        async with self.semaphore, self.sessionmaker() as session:
            yield session

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A session for reads outside a request: autocommit, so no BEGIN/COMMIT round
        trips, and the permit is held only while it is open."""
        async with self.semaphore, self.read_sessionmaker() as session:
            yield session

    @asynccontextmanager
    async def read_connection(self) -> AsyncIterator[Any]:
        """A connection of the pool as asyncpg's own, under one of the permits, for reads
        that need no ORM session: no transaction, each statement commits on its own."""
        async with self.semaphore:
            pooled = await self.engine.raw_connection()
            try:
                conn: Any = pooled.driver_connection
                try:
                    yield conn
                except Exception as exc:
                    problem = None if isinstance(exc, AppError) else connection_lost(conn, exc)
                    if problem is not None or conn.is_closed():
                        pooled.invalidate(exc)  # not back into the pool
                        self.connection_lost()
                    if problem is None:
                        raise
                    raise problem from exc
            finally:
                # Returned inside a greenlet: the pool's reset may have to await the driver.
                await greenlet_spawn(pooled.close)

    async def dispose(self) -> None:
        await self.engine.dispose()

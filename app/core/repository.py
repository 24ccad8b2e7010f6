"""Tenant scoping, pages of lists, conflicts and bulk upserts, in one place.

Every tenant-owned repository subclasses `TenantRepository`: it is built with the
caller's `TenantScope` and starts every query from `_scoped()`, which adds the tenant
filter. There is no other way to read tenant data, so another tenant's id simply
finds nothing (404), never a 403 and never its data.

The two hottest reads (one client, a page of posts) skip the ORM session: they read on a
bare asyncpg connection (`TenantReader` for one client; the posts list's `PostReader`
takes its own from the pool for each page), built the same way from the `TenantScope`;
their SQL takes the tenant as `$1` and tests it first.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any, Generic, TypeVar, get_args

import asyncpg
from sqlalchemy import Result, Select, SQLColumnExpression, Table, func, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Base, driver_connection
from app.core.errors import Conflict
from app.core.scope import TenantScope

M = TypeVar("M", bound=Base)
OrderBy = SQLColumnExpression[Any]  # a column, or a column's .desc()

# PostgreSQL's SQLSTATE for a unique (or primary key, or exclusion on equality) violation.
UNIQUE_VIOLATION: str = asyncpg.UniqueViolationError.sqlstate


def is_unique_violation(exc: BaseException) -> bool:
    """Whether a database error is a unique-constraint violation, told by its SQLSTATE
    (23505), never by the server's message, which depends on `lc_messages`.

    Takes SQLAlchemy's `IntegrityError` (whose asyncpg adapter carries `sqlstate` on
    `.orig`) or asyncpg's own exceptions (`.sqlstate`)."""
    orig = exc.orig if isinstance(exc, IntegrityError) else exc
    return getattr(orig, "sqlstate", None) == UNIQUE_VIOLATION


def sort_orders(model: type[Base], sorts: Any) -> dict[str, tuple[OrderBy, OrderBy]]:
    """The ORDER BY of each value of a list's sort `Literal` (the one definition of its
    `sort` parameter): "field" ascending, "-field" descending, then the id in the same
    direction, so the order is total."""
    table = model.__table__
    orders: dict[str, tuple[OrderBy, OrderBy]] = {}
    for key in get_args(sorts):
        column = table.c[key.removeprefix("-")]
        descending = key.startswith("-")
        orders[key] = (column.desc(), table.c.id.desc()) if descending else (column, table.c.id)
    return orders


class TenantReader:
    """Tenant-scoped reads on an asyncpg connection (`Database.read_connection`), no ORM."""

    def __init__(self, conn: Any, scope: TenantScope) -> None:
        self.conn = conn
        self.tenant_id = scope.tenant_id


class Repository:
    """Queries on a session: the base of every repository."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count(self, query: Select[Any]) -> int:
        total = await self.session.execute(
            select(func.count()).select_from(query.order_by(None).subquery())
        )
        return int(total.scalar_one())

    async def paginate(
        self, query: Select[Any], order_by: Sequence[OrderBy], *, limit: int, offset: int
    ) -> tuple[Result[*tuple[Any, ...]], int]:
        """One page of `query` in the order `order_by` (which must be a total order, e.g.
        ending with the id, so pages never overlap nor skip a row), and the number of
        rows of the whole query.

        LIMIT and OFFSET are written into the SQL as numbers, not sent as parameters:
        with a parameter PostgreSQL's generic plan (DB_PLAN_CACHE_MODE) cannot see how
        few rows are wanted, and scanned the primary key instead of the tenant index.
        The caller takes the rows (`.all()`) or the objects (`.scalars()`).
        """
        total = await self.count(query)
        page = (
            query.order_by(*order_by)
            .limit(literal_column(str(int(limit))))
            .offset(literal_column(str(int(offset))))
        )
        return await self.session.execute(page), total


class TenantRepository(Repository, Generic[M]):
    model: type[M]

    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        super().__init__(session)
        self.tenant_id = scope.tenant_id

    def _scoped(self, *columns: Any) -> Select[Any]:
        query = select(*columns) if columns else select(self.model)
        tenant_col = self.model.tenant_id  # type: ignore[attr-defined]
        return query.where(tenant_col == self.tenant_id)

    async def get(self, obj_id: uuid.UUID) -> M | None:
        query = self._scoped().where(self.model.id == obj_id)  # type: ignore[attr-defined]
        result = await self.session.execute(query)
        return result.scalar_one_or_none()

    def add(self, obj: M) -> M:
        obj.tenant_id = self.tenant_id  # type: ignore[attr-defined]
        self.session.add(obj)
        return obj

    async def delete(self, obj: M) -> None:
        await self.session.delete(obj)

    def bulk_writer(self, key: tuple[str, ...]) -> BulkWriter:
        """Upserts of this repository's table on its natural key `key`, in the session's
        transaction (bulk imports)."""
        return BulkWriter(self.session, self.model.__table__, key)  # type: ignore[arg-type]


async def flush_or_conflict(session: AsyncSession, message: str) -> None:
    """Flush; a unique-constraint violation becomes a 409 (the request rolls back). Any
    other integrity error (a foreign key, a check) is not a conflict and propagates."""
    try:
        await session.flush()
    except IntegrityError as exc:
        if is_unique_violation(exc):
            raise Conflict(message)
        raise


class BulkWriter:
    """Upserts batches of rows of one table on its natural key, counting new vs updated.

    Rows are COPYed into a temporary table and merged with one INSERT ... ON CONFLICT:
    an order of magnitude faster than multi-row INSERTs built by the ORM for 100k rows.
    It uses the session's own connection, so it is part of the request's transaction.
    Rows carry every column they set, `tenant_id` included.
    """

    def __init__(self, session: AsyncSession, table: Table, key: tuple[str, ...]) -> None:
        self.session = session
        self.table = table
        self.key = key
        self.staging = f"import_{table.name}"
        self._ready = False

    async def upsert(
        self, rows: list[dict[str, Any]], update: Collection[str] | None = None
    ) -> tuple[int, int]:
        """Insert the rows, or update the existing ones on the key: every column the rows
        carry, or only those in `update` (a re-import leaves the others as they were)."""
        if not rows:
            return 0, 0
        driver = await driver_connection(self.session)
        columns = list(rows[0])
        if not self._ready:
            await driver.execute(
                f'CREATE TEMP TABLE IF NOT EXISTS "{self.staging}" '
                f'(LIKE "{self.table.name}" INCLUDING DEFAULTS) ON COMMIT DROP'
            )
            self._ready = True
        await driver.execute(f'TRUNCATE "{self.staging}"')
        await driver.copy_records_to_table(
            self.staging, records=[tuple(r[c] for c in columns) for r in rows], columns=columns
        )
        skip = {*self.key, "id", "tenant_id", "created_at", "client_id"}
        updates = [
            f'"{c}" = EXCLUDED."{c}"'
            for c in columns
            if c not in skip and (update is None or c in update)
        ]
        updates.append("updated_at = now()")
        names = ", ".join(f'"{c}"' for c in columns)
        keys = ", ".join(f'"{c}"' for c in self.key)
        # xmax = 0 on a returned row means it was inserted, not updated.
        row = await driver.fetchrow(
            f'WITH merged AS (INSERT INTO "{self.table.name}" ({names}) '
            f'SELECT {names} FROM "{self.staging}" '
            f"ON CONFLICT ({keys}) DO UPDATE SET {', '.join(updates)} "
            f"RETURNING (xmax = 0) AS inserted) "
            f"SELECT count(*) FILTER (WHERE inserted) AS ins, count(*) AS total FROM merged"
        )
        return int(row["ins"]), int(row["total"]) - int(row["ins"])

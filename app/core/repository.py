"""Tenant scoping in one place.

Every tenant-owned repository subclasses `TenantRepository`: it is built with the
caller's `TenantScope` and starts every query from `_scoped()`, which adds the tenant
filter. There is no other way to read tenant data, so another tenant's id simply
finds nothing (404), never a 403 and never its data.

The two hottest reads (one client, a page of posts) skip the ORM session: they subclass
`TenantReader`, built the same way from the `TenantScope`, on a bare asyncpg connection;
their SQL takes the tenant as `$1` and tests it first.
"""

from __future__ import annotations

import uuid
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Base
from app.core.scope import TenantScope

M = TypeVar("M", bound=Base)


class TenantReader:
    """Tenant-scoped reads on an asyncpg connection (`Database.read_connection`), no ORM."""

    def __init__(self, conn: Any, scope: TenantScope) -> None:
        self.conn = conn
        self.tenant_id = scope.tenant_id


class TenantRepository(Generic[M]):
    model: type[M]

    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
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

    async def count(self, query: Select[Any]) -> int:
        total = await self.session.execute(
            select(func.count()).select_from(query.order_by(None).subquery())
        )
        return int(total.scalar_one())


async def flush_or_conflict(session: AsyncSession, message: str) -> None:
    """Flush; a unique-constraint violation becomes a 409 (the request rolls back)."""
    from sqlalchemy.exc import IntegrityError

    from app.core.errors import Conflict

    try:
        await session.flush()
    except IntegrityError as exc:
        if "unique" in str(exc.orig).lower() or "duplicate" in str(exc.orig).lower():
            raise Conflict(message)
        raise

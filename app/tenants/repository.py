from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, select, update

from app.core.enums import Role
from app.core.repository import Repository, TenantRepository
from app.tenants.models import ApiKey, AuditEvent, RefreshToken, Tenant, User


class CurrentTenantRepository(TenantRepository[Tenant]):
    """The caller's own tenant row (the tenant table is scoped by its id)."""

    model = Tenant

    def _scoped(self, *columns: Any) -> Select[Any]:
        query = select(*columns) if columns else select(Tenant)
        return query.where(Tenant.id == self.tenant_id)

    async def current(self) -> Tenant:
        return (await self.session.execute(self._scoped())).scalar_one()


class UserRepository(TenantRepository[User]):
    model = User

    async def page(self, *, limit: int, offset: int) -> tuple[list[User], int]:
        result, total = await self.paginate(
            self._scoped(), (User.created_at, User.id), limit=limit, offset=offset
        )
        return list(result.scalars()), total

    async def count_active_owners(self) -> int:
        query = self._scoped(func.count()).where(User.role == Role.owner.value, User.is_active)
        return int((await self.session.execute(query)).scalar_one())

    async def revoke_sessions(self, user_id: uuid.UUID) -> None:
        """Revoke every refresh token of the user (after a deactivation or role change)."""
        await self.session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.tenant_id == self.tenant_id,
                RefreshToken.user_id == user_id,
                RefreshToken.revoked_at.is_(None),
            )
            .values(revoked_at=datetime.now(UTC))
        )


class ApiKeyRepository(TenantRepository[ApiKey]):
    model = ApiKey

    async def page(
        self, *, limit: int, offset: int, include_revoked: bool
    ) -> tuple[list[ApiKey], int]:
        query = self._scoped()
        if not include_revoked:
            query = query.where(ApiKey.revoked_at.is_(None))
        result, total = await self.paginate(
            query, (ApiKey.created_at, ApiKey.id), limit=limit, offset=offset
        )
        return list(result.scalars()), total


class AuditRepository(TenantRepository[AuditEvent]):
    model = AuditEvent

    async def page(
        self,
        *,
        limit: int,
        offset: int,
        action: str | None,
        resource_type: str | None,
        resource_id: str | None,
        actor_user_id: uuid.UUID | None,
        since: datetime | None,
        until: datetime | None,
    ) -> tuple[list[AuditEvent], int]:
        query = self._scoped()
        if action:
            # "client.create" exact, or "client." for every client action.
            query = (
                query.where(AuditEvent.action.startswith(action, autoescape=True))
                if action.endswith(".")
                else query.where(AuditEvent.action == action)
            )
        if resource_type:
            query = query.where(AuditEvent.resource_type == resource_type)
        if resource_id:
            query = query.where(AuditEvent.resource_id == resource_id)
        if actor_user_id:
            query = query.where(AuditEvent.actor_user_id == actor_user_id)
        if since:
            query = query.where(AuditEvent.created_at >= since)
        if until:
            query = query.where(AuditEvent.created_at < until)
        result, total = await self.paginate(
            query,
            (AuditEvent.created_at.desc(), AuditEvent.id.desc()),
            limit=limit,
            offset=offset,
        )
        return list(result.scalars()), total


class PlatformRepository(Repository):
    """Cross-tenant reads for platform superusers only (the admin router guards it)."""

    async def list_tenants(
        self, *, limit: int, offset: int, active: bool | None
    ) -> tuple[list[tuple[Tenant, int]], int]:
        users = (
            select(func.count(User.id))
            .where(User.tenant_id == Tenant.id)
            .correlate(Tenant)
            .scalar_subquery()
        )
        query = select(Tenant, users)
        if active is not None:
            query = query.where(Tenant.is_active.is_(active))
        result, total = await self.paginate(
            query, (Tenant.created_at, Tenant.id), limit=limit, offset=offset
        )
        return [(t, int(n)) for t, n in result.all()], total

    async def get_tenant(self, tenant_id: uuid.UUID) -> Tenant | None:
        return await self.session.get(Tenant, tenant_id)

"""Rules for the current tenant, its users, API keys and audit log."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import API_KEY_PREFIX, AuthContext, active_users
from app.core.config import Settings
from app.core.crypto import decrypt
from app.core.enums import ROLE_RANK, Role
from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableEntity
from app.core.repository import flush_or_conflict
from app.core.scope import Actor, TenantScope
from app.core.security import PasswordHasher, sha256_hex
from app.tenants import audit
from app.tenants.models import ApiKey, AuditEvent, Tenant, User
from app.tenants.repository import (
    ApiKeyRepository,
    AuditRepository,
    CurrentTenantRepository,
    PlatformRepository,
    UserRepository,
)
from app.tenants.schemas import (
    ApiKeyCreate,
    TenantUpdate,
    UserCreate,
    UserUpdate,
)


async def get_current_tenant(session: AsyncSession, scope: TenantScope) -> Tenant:
    return await CurrentTenantRepository(session, scope).current()


async def update_tenant(session: AsyncSession, auth: AuthContext, data: TenantUpdate) -> Tenant:
    tenant = await get_current_tenant(session, auth.scope)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    for field, value in changes.items():
        setattr(tenant, field, value.value if hasattr(value, "value") else value)
    audit.record(
        session, auth.actor, "tenant.update", "tenant", tenant.id, {"fields": sorted(changes)}
    )
    await session.flush()
    return tenant


# --- users -----------------------------------------------------------------------------


async def list_users(
    session: AsyncSession, auth: AuthContext, *, limit: int, offset: int
) -> tuple[list[User], int]:
    return await UserRepository(session, auth.scope).page(limit=limit, offset=offset)


async def get_user(session: AsyncSession, auth: AuthContext, user_id: uuid.UUID) -> User:
    user = await UserRepository(session, auth.scope).get(user_id)
    if user is None:
        raise NotFound("User not found")
    return user


async def active_user_by_external_id(session: AsyncSession, external_id: str) -> User | None:
    """The active user (of an active tenant) whose `external_id` is this one."""
    query = (
        select(User)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(User.external_id == external_id, User.is_active, Tenant.is_active)
    )
    return (await session.execute(query)).scalar_one_or_none()


USER_TAKEN = "Another user has this email or external_id"


async def _check_external_id_free(session: AsyncSession, external_id: str) -> None:
    found = await session.execute(select(User.id).where(User.external_id == external_id))
    if found.first() is not None:
        raise Conflict("Another user has this external_id")


async def email_taken(session: AsyncSession, email: str) -> bool:
    # Emails are unique across tenants (login is by email alone).
    found = await session.execute(select(User.id).where(User.email == email.lower()))
    return found.first() is not None


async def create_user(
    session: AsyncSession, auth: AuthContext, hasher: PasswordHasher, data: UserCreate
) -> User:
    if data.role == Role.owner and auth.role != Role.owner:
        raise Forbidden("Only an owner can create another owner")
    if await email_taken(session, data.email):
        raise Conflict("A user with this email already exists")
    if data.external_id is not None:
        await _check_external_id_free(session, data.external_id)
    password_hash = await hasher.hash(data.password)
    user = UserRepository(session, auth.scope).add(
        User(
            email=data.email.lower(),
            password_hash=password_hash,
            full_name=data.full_name,
            role=data.role.value,
            is_active=True,
            is_superuser=False,
            external_id=data.external_id,
        )
    )
    await flush_or_conflict(session, USER_TAKEN)  # two requests at once
    audit.record(
        session,
        auth.actor,
        "user.create",
        "user",
        user.id,
        {"email": user.email, "role": user.role},
    )
    return user


def _guard_owner_change(auth: AuthContext, user: User) -> None:
    if user.role == Role.owner and auth.role != Role.owner:
        raise Forbidden("An admin cannot change or remove an owner")


async def update_user(
    session: AsyncSession, auth: AuthContext, user_id: uuid.UUID, data: UserUpdate
) -> User:
    repo = UserRepository(session, auth.scope)
    user = await get_user(session, auth, user_id)
    _guard_owner_change(auth, user)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if data.role is not None and data.role != user.role:
        if data.role == Role.owner and auth.role != Role.owner:
            raise Forbidden("Only an owner can grant the owner role")
        if ROLE_RANK[data.role] > ROLE_RANK[auth.role]:
            raise Forbidden("You cannot grant a role above your own")
        if user.role == Role.owner and await repo.count_active_owners() <= 1:
            raise Conflict("The tenant must keep at least one active owner")
        user.role = data.role.value
    if data.is_active is not None and data.is_active != user.is_active:
        if not data.is_active:
            await _check_can_deactivate(repo, auth, user)
            await repo.revoke_sessions(user.id)
        user.is_active = data.is_active
    if data.full_name is not None:
        user.full_name = data.full_name
    if data.external_id is not None and data.external_id != user.external_id:
        await _check_external_id_free(session, data.external_id)
        user.external_id = data.external_id
    active_users.forget(user_id=user.id)  # role or status: no longer trusted from cache
    audit.record(
        session,
        auth.actor,
        "user.update",
        "user",
        user.id,
        {k: (v.value if hasattr(v, "value") else v) for k, v in changes.items()},
    )
    await flush_or_conflict(session, USER_TAKEN)  # two requests at once
    return user


async def _check_can_deactivate(repo: UserRepository, auth: AuthContext, user: User) -> None:
    if user.id == auth.user_id:
        raise Conflict("You cannot deactivate yourself")
    if user.role == Role.owner and user.is_active and await repo.count_active_owners() <= 1:
        raise Conflict("The tenant must keep at least one active owner")


async def deactivate_user(session: AsyncSession, auth: AuthContext, user_id: uuid.UUID) -> None:
    repo = UserRepository(session, auth.scope)
    user = await get_user(session, auth, user_id)
    _guard_owner_change(auth, user)
    if user.is_active:
        await _check_can_deactivate(repo, auth, user)
        user.is_active = False
        await repo.revoke_sessions(user.id)
        active_users.forget(user_id=user.id)
    audit.record(session, auth.actor, "user.deactivate", "user", user.id)
    await session.flush()


# --- API keys --------------------------------------------------------------------------


async def list_api_keys(
    session: AsyncSession, auth: AuthContext, *, limit: int, offset: int, include_revoked: bool
) -> tuple[list[ApiKey], int]:
    return await ApiKeyRepository(session, auth.scope).page(
        limit=limit, offset=offset, include_revoked=include_revoked
    )


async def create_api_key(
    session: AsyncSession, auth: AuthContext, data: ApiKeyCreate
) -> tuple[ApiKey, str]:
    if ROLE_RANK[data.role] > ROLE_RANK[auth.role]:
        raise Forbidden("An API key cannot have a role above your own")
    if data.expires_at is not None and data.expires_at <= datetime.now(UTC):
        # A rule of the clock, not of the schema: 422 on the field.
        raise UnprocessableEntity(
            "expires_at must be in the future",
            errors=[
                {"loc": ["body", "expires_at"], "msg": "Must be in the future", "type": "past"}
            ],
        )
    prefix = secrets.token_hex(6)
    secret = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKeyRepository(session, auth.scope).add(
        ApiKey(
            name=data.name,
            prefix=prefix,
            key_hash=sha256_hex(secret),
            role=data.role.value,
            created_by_id=auth.user_id,
            expires_at=data.expires_at,
        )
    )
    await session.flush()
    audit.record(
        session,
        auth.actor,
        "api_key.create",
        "api_key",
        key.id,
        {"name": key.name, "role": key.role},
    )
    return key, secret


async def revoke_api_key(session: AsyncSession, auth: AuthContext, key_id: uuid.UUID) -> None:
    """DELETE: the key stops working for good (a revoked key is never valid again). Its row
    stays for the audit log and `?include_revoked=true` lists; to reads of the key it is
    gone (404), and so is to a second DELETE."""
    key = await get_api_key(session, auth, key_id)
    key.revoked_at = datetime.now(UTC)
    audit.record(session, auth.actor, "api_key.revoke", "api_key", key.id)
    await session.flush()


async def get_api_key(session: AsyncSession, auth: AuthContext, key_id: uuid.UUID) -> ApiKey:
    """A key that has not been revoked (a revoked one was deleted: 404)."""
    key = await ApiKeyRepository(session, auth.scope).get(key_id)
    if key is None or key.revoked_at is not None:
        raise NotFound("API key not found")
    return key


# --- audit -----------------------------------------------------------------------------


async def list_audit_events(
    session: AsyncSession,
    auth: AuthContext,
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
    return await AuditRepository(session, auth.scope).page(
        limit=limit,
        offset=offset,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        actor_user_id=actor_user_id,
        since=since,
        until=until,
    )


# --- platform admin --------------------------------------------------------------------


async def admin_list_tenants(
    session: AsyncSession, *, limit: int, offset: int, active: bool | None
) -> tuple[list[tuple[Tenant, int]], int]:
    return await PlatformRepository(session).list_tenants(limit=limit, offset=offset, active=active)


async def admin_deactivate_tenant(
    session: AsyncSession, auth: AuthContext, tenant_id: uuid.UUID
) -> Tenant:
    tenant = await PlatformRepository(session).get_tenant(tenant_id)
    if tenant is None:
        raise NotFound("Tenant not found")
    if tenant.id == auth.tenant_id:
        raise Conflict("You cannot deactivate your own tenant")
    tenant.is_active = False
    active_users.forget(tenant_id=tenant.id)
    # Recorded in the affected tenant's log, so its owners see who did it.
    audit.record(
        session,
        _as_actor_in(auth, tenant.id),
        "tenant.deactivate",
        "tenant",
        tenant.id,
        {"by_superuser": str(auth.user_id)},
    )
    await session.flush()
    return tenant


def _as_actor_in(auth: AuthContext, tenant_id: uuid.UUID) -> Actor:
    return replace(auth.actor, tenant_id=tenant_id)


# --- AI settings -----------------------------------------------------------------------


async def save_ai_settings(
    session: AsyncSession, auth: AuthContext, stored: dict[str, Any], details: dict[str, Any]
) -> Tenant:
    """Replace the tenant's stored AI settings (the analyses domain owns their meaning)."""
    tenant = await get_current_tenant(session, auth.scope)
    tenant.ai_settings = stored
    audit.record(session, auth.actor, "tenant.ai_settings", "tenant", tenant.id, details)
    await session.flush()
    return tenant


def engine_settings(tenant: Tenant, settings: Settings) -> dict[str, Any]:
    """The tenant's AI settings with the API key decrypted, for building an engine."""
    stored = dict(tenant.ai_settings or {})
    token = stored.pop("api_key_encrypted", None)
    if token:
        stored["api_key"] = decrypt(settings, token)
    return stored

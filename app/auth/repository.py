"""Queries for authentication. These run before a tenant is known (login by email),
so they are the one place that reads users across tenants, by email or token hash."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import LoginThrottle
from app.tenants.models import RefreshToken, Tenant, User


async def find_login_user(session: AsyncSession, email: str) -> tuple[User, bool] | None:
    """The user with this email and whether its tenant is active."""
    query = (
        select(User, Tenant.is_active)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(User.email == email)
    )
    row = (await session.execute(query)).first()
    return (row[0], bool(row[1])) if row else None


async def count_attempt(
    session: AsyncSession, keys: list[str], window: timedelta
) -> dict[str, tuple[int, datetime]]:
    """Count one login attempt on every key in one statement: (attempts in the current
    window, the window's start) per key. A key whose window has passed starts a new one.
    The rows stay locked until the transaction ends, so concurrent attempts are counted
    one after the other and each sees the others' counts (the caller refuses, and rolls
    back, an attempt that takes a key over its limit)."""
    now = datetime.now(UTC)
    expired = LoginThrottle.window_start < now - window
    stmt = (
        insert(LoginThrottle)
        .values([{"key": key, "window_start": now, "failures": 1} for key in sorted(keys)])
        .on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "failures": case((expired, 1), else_=LoginThrottle.failures + 1),
                "window_start": case((expired, now), else_=LoginThrottle.window_start),
            },
        )
        .returning(LoginThrottle.key, LoginThrottle.failures, LoginThrottle.window_start)
    )
    rows = await session.execute(stmt)
    return {key: (failures, started) for key, failures, started in rows}


async def uncount_attempt(session: AsyncSession, counted: dict[str, datetime]) -> None:
    """Give back an attempt counted by `count_attempt` (key -> its window's start), unless
    that window has ended since. Rows are locked in the same (sorted) order as there, so
    the two cannot deadlock."""
    for key, started in sorted(counted.items()):
        await session.execute(
            update(LoginThrottle)
            .where(
                LoginThrottle.key == key,
                LoginThrottle.window_start == started,
                LoginThrottle.failures > 0,
            )
            .values(failures=LoginThrottle.failures - 1)
        )


async def get_refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    """The token's row, locked until the transaction ends, as PostgreSQL has it once the
    lock is granted: `populate_existing`, so an object this session already holds is
    overwritten, never handed back as it was (a concurrent rotation would be missed)."""
    query = (
        select(RefreshToken)
        .where(RefreshToken.token_hash == token_hash)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


async def get_user_with_tenant(
    session: AsyncSession, user_id: uuid.UUID, tenant_id: uuid.UUID
) -> tuple[User, Tenant] | None:
    query = (
        select(User, Tenant)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(User.id == user_id, User.tenant_id == tenant_id)
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None

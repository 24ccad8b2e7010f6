"""Registration, login, token rotation and logout.

These flows hash passwords, so they manage their own short transactions through the
`Database` instead of the request session: no connection is held while hashing, and
bookkeeping that must survive a refusal (a login attempt, counted before its password is
verified; revoking a reused refresh token family) is committed before the error is raised.
"""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import repository as repo
from app.auth.schemas import MeOut, MeTenant, RegisterIn, TokenPair
from app.core.auth import AuthContext
from app.core.config import Settings
from app.core.db import Database
from app.core.enums import Language, Role
from app.core.errors import Conflict, Forbidden, TooManyRequests, Unauthorized
from app.core.repository import flush_or_conflict
from app.core.scope import Actor
from app.core.security import PasswordHasher, create_access_token, new_secret, sha256_hex
from app.tenants import audit
from app.tenants.models import RefreshToken, Tenant, User

INVALID_LOGIN = "Invalid email or password"


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None
    user_agent: str | None
    request_id: str | None


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return (slug or "tenant")[:60]


def _actor(user: User, info: ClientInfo) -> Actor:
    return Actor(
        tenant_id=user.tenant_id,
        user_id=user.id,
        email=user.email,
        ip=info.ip,
        user_agent=info.user_agent,
        request_id=info.request_id,
    )


async def _issue_pair(
    session: AsyncSession,
    settings: Settings,
    user: User,
    info: ClientInfo,
    family_id: uuid.UUID | None = None,
) -> tuple[TokenPair, RefreshToken]:
    refresh = new_secret(48)
    row = RefreshToken(
        tenant_id=user.tenant_id,
        user_id=user.id,
        family_id=family_id or uuid.uuid4(),
        token_hash=sha256_hex(refresh),
        expires_at=datetime.now(UTC) + timedelta(days=settings.refresh_token_days),
        ip=info.ip,
        user_agent=(info.user_agent or "")[:400] or None,
    )
    session.add(row)
    await session.flush()
    access = create_access_token(settings, user_id=user.id, tenant_id=user.tenant_id)
    pair = TokenPair(
        access_token=access, refresh_token=refresh, expires_in=settings.access_token_minutes * 60
    )
    return pair, row


async def register(
    db: Database, settings: Settings, hasher: PasswordHasher, data: RegisterIn, info: ClientInfo
) -> TokenPair:
    email = data.email.lower()
    password_hash = await hasher.hash(data.password)
    async with db.session() as session, session.begin():
        if (await session.execute(select(User.id).where(User.email == email))).first():
            raise Conflict("A user with this email already exists")
        slug = slugify(data.tenant_name)
        if (await session.execute(select(Tenant.id).where(Tenant.slug == slug))).first():
            slug = f"{slug[:50]}-{secrets.token_hex(4)}"
        tenant = Tenant(
            name=data.tenant_name,
            slug=slug,
            language=data.language.value,
            timezone="UTC",
            is_active=True,
        )
        session.add(tenant)
        await session.flush()
        user = User(
            tenant_id=tenant.id,
            email=email,
            password_hash=password_hash,
            full_name=data.full_name,
            role=Role.owner.value,
            is_active=True,
            is_superuser=False,
            last_login_at=datetime.now(UTC),
        )
        session.add(user)
        await flush_or_conflict(session, "A user with this email already exists")
        actor = _actor(user, info)
        audit.record(session, actor, "tenant.create", "tenant", tenant.id, {"name": tenant.name})
        audit.record(session, actor, "user.create", "user", user.id, {"role": user.role})
        pair, _ = await _issue_pair(session, settings, user, info)
        return pair


def _throttle_limits(settings: Settings, email: str, ip: str | None) -> dict[str, int]:
    """Failed logins are counted per (address, email) pair and per address, never per
    email alone: nobody can lock another person's account from their own address."""
    address = ip or "unknown"
    return {
        f"pair:{address}|{email}"[:400]: settings.login_max_attempts,
        f"ip:{address}": settings.login_max_attempts_per_address,
    }


def _retry_after(window_start: datetime, window: timedelta) -> int:
    remaining = (window_start + window - datetime.now(UTC)).total_seconds()
    return max(1, math.ceil(remaining))


async def login(
    db: Database,
    settings: Settings,
    hasher: PasswordHasher,
    email: str,
    password: str,
    info: ClientInfo,
) -> TokenPair:
    """An attempt is counted (committed) before its password is verified and given back
    if the password was right: of any number of concurrent attempts, at most the limit
    are verified; the others are refused with 429 without hashing."""
    email = email.lower()
    window = timedelta(seconds=settings.login_window_seconds)
    limits = _throttle_limits(settings, email, info.ip)

    async with db.session() as session, session.begin():
        found = await repo.find_login_user(session, email)
        counts = await repo.count_attempt(session, list(limits), window)
        for key, (attempts, started) in counts.items():
            if attempts > limits[key]:
                # Raised inside the transaction: rolled back, a refusal is not counted.
                raise TooManyRequests(
                    "Too many failed logins; try again later",
                    headers={"Retry-After": str(_retry_after(started, window))},
                )
    counted = {key: started for key, (_, started) in counts.items()}

    user, tenant_active = (found[0], found[1]) if found else (None, False)
    try:
        # Always one verify, even for an unknown email: timing reveals nothing.
        valid, new_hash = await hasher.verify(password, user.password_hash if user else None)
    except Exception:
        await _give_back(db, counted)  # not verified (e.g. the hash queue is full: 503)
        raise

    if not valid or user is None:
        # The attempt stays counted; the audit line is committed before the 401.
        if user is not None:
            async with db.session() as session, session.begin():
                audit.record(session, _actor(user, info), "auth.login_failed", "user", user.id)
        raise Unauthorized(INVALID_LOGIN)
    if not user.is_active or not tenant_active:
        await _give_back(db, counted)
        raise Unauthorized("This account is disabled")
    async with db.session() as session, session.begin():
        user = await _reload(session, user)
        user.last_login_at = datetime.now(UTC)
        if new_hash:
            user.password_hash = new_hash
        audit.record(session, _actor(user, info), "auth.login", "user", user.id)
        pair, _ = await _issue_pair(session, settings, user, info)
        await repo.uncount_attempt(session, counted)  # last: its row locks until commit
        return pair


async def _give_back(db: Database, counted: dict[str, datetime]) -> None:
    async with db.session() as session, session.begin():
        await repo.uncount_attempt(session, counted)


async def _reload(session: AsyncSession, user: User) -> User:
    fresh = await session.get(User, user.id)
    if fresh is None:
        raise Unauthorized(INVALID_LOGIN)
    return fresh


async def refresh(db: Database, settings: Settings, token: str, info: ClientInfo) -> TokenPair:
    """Rotate a refresh token in one transaction that holds its row locked: of two
    requests with the same token, the second waits for the first, then finds the token
    rotated and is treated as reuse (the family is revoked, the winner's pair included)."""
    async with db.session() as session:
        async with session.begin():
            row = await repo.get_refresh_token(session, sha256_hex(token))
            if row is None:
                raise Unauthorized("Invalid refresh token")
            reused = row.revoked_at is not None
            if reused:
                # A rotated token came back: assume theft and end the whole login.
                # Committed (end of this block) before the 401 is raised.
                await repo.revoke_family(session, row.family_id)
            else:
                if row.expires_at <= datetime.now(UTC):
                    raise Unauthorized("Refresh token expired")
                found = await repo.get_user_with_tenant(session, row.user_id, row.tenant_id)
                if found is None or not found[0].is_active or not found[1].is_active:
                    raise Unauthorized("This account is disabled")
                pair, new_row = await _issue_pair(session, settings, found[0], info, row.family_id)
                row.revoked_at = datetime.now(UTC)
                row.replaced_by_id = new_row.id
        if reused:
            raise Unauthorized("Refresh token already used; please log in again")
        return pair


async def logout(db: Database, token: str, info: ClientInfo) -> None:
    async with db.session() as session, session.begin():
        row = await repo.get_refresh_token(session, sha256_hex(token))
        if row is None:
            raise Unauthorized("Invalid refresh token")
        await repo.revoke_family(session, row.family_id)
        user = await session.get(User, row.user_id)
        if user is not None:
            audit.record(session, _actor(user, info), "auth.logout", "user", user.id)


async def me(session: AsyncSession, auth: AuthContext) -> MeOut:
    if auth.user_id is None:
        raise Forbidden("API keys have no user; this endpoint needs a user token")
    found = await repo.get_user_with_tenant(session, auth.user_id, auth.tenant_id)
    if found is None:
        raise Unauthorized("User no longer exists")
    user, tenant = found
    return MeOut(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=Role(user.role),
        is_superuser=user.is_superuser,
        last_login_at=user.last_login_at,
        tenant=MeTenant(
            id=tenant.id, name=tenant.name, slug=tenant.slug, language=Language(tenant.language)
        ),
    )

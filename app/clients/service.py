"""Clients (the brands an agency analyses) and their social accounts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.clients.models import Client, SocialAccount
from app.clients.repository import AccountRepository, ClientReader, ClientRepository
from app.clients.schemas import AccountCreate, AccountUpdate, ClientCreate, ClientUpdate
from app.core.auth import AuthContext
from app.core.errors import NotFound, UnprocessableEntity
from app.core.repository import flush_or_conflict
from app.core.scope import TenantScope
from app.tenants import audit

CLIENT_NOT_FOUND = "Client not found"


@dataclass(frozen=True, slots=True)
class ClientProfile:
    """What other domains (the analyses) need to know about a brand."""

    name: str
    industry: str | None
    country: str | None
    language: str  # the brand's main language
    competitors: tuple[CompetitorProfile, ...]
    handles: tuple[str, ...]  # the brand's own account handles (without "@")
    aliases: tuple[str, ...] = ()  # other names the brand goes by


@dataclass(frozen=True, slots=True)
class CompetitorProfile:
    """A competitor as the analyses match it in posts."""

    name: str
    handles: tuple[str, ...] = ()  # without "@"
    aliases: tuple[str, ...] = ()

    @classmethod
    def of(cls, stored: dict[str, Any]) -> CompetitorProfile:
        return cls(
            name=stored["name"],
            handles=tuple(stored.get("handles") or ()),
            aliases=tuple(stored.get("aliases") or ()),
        )


async def get_client_row(conn: Any, auth: AuthContext, client_id: uuid.UUID) -> Any:
    """One client as a row, on a bare connection (`Database.read_connection`)."""
    row = await ClientReader(conn, auth.scope).fetch_row(client_id)
    if row is None:
        raise NotFound(CLIENT_NOT_FOUND)
    return row


async def ensure_client(session: AsyncSession, scope: TenantScope, client_id: uuid.UUID) -> None:
    """404 unless the client belongs to the caller's tenant."""
    if not await ClientRepository(session, scope).exists(client_id):
        raise NotFound(CLIENT_NOT_FOUND)


async def _get_client(session: AsyncSession, auth: AuthContext, client_id: uuid.UUID) -> Client:
    client = await ClientRepository(session, auth.scope).get(client_id)
    if client is None:
        raise NotFound(CLIENT_NOT_FOUND)
    return client


async def list_clients(
    session: AsyncSession, auth: AuthContext, **filters: Any
) -> tuple[list[Row[Any]], int]:
    return await ClientRepository(session, auth.scope).page(**filters)


async def create_client(session: AsyncSession, auth: AuthContext, data: ClientCreate) -> Client:
    values = data.model_dump()
    values["competitors"] = values["competitors"] or []
    values["aliases"] = values["aliases"] or []
    client = ClientRepository(session, auth.scope).add(Client(**values))
    await flush_or_conflict(session, "A client with this name already exists")
    audit.record(session, auth.actor, "client.create", "client", client.id, {"name": client.name})
    return client


async def update_client(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID, data: ClientUpdate
) -> Client:
    client = await _get_client(session, auth, client_id)
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is None and field in ("name", "language"):
            continue  # required columns: null means "leave as is"
        lists = ("competitors", "aliases")
        setattr(client, field, [] if field in lists and value is None else value)
    await flush_or_conflict(session, "A client with this name already exists")
    audit.record(
        session, auth.actor, "client.update", "client", client.id, {"fields": sorted(changes)}
    )
    return client


async def delete_client(session: AsyncSession, auth: AuthContext, client_id: uuid.UUID) -> None:
    client = await _get_client(session, auth, client_id)
    audit.record(session, auth.actor, "client.delete", "client", client.id, {"name": client.name})
    await session.delete(client)
    await session.flush()


# --- social accounts -------------------------------------------------------------------

ACCOUNT_NOT_FOUND = "Social account not found"
ACCOUNT_TAKEN = "This client already has an account with that platform and handle"


async def get_account(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID, account_id: uuid.UUID
) -> SocialAccount:
    account = await AccountRepository(session, auth.scope).get_for_client(client_id, account_id)
    if account is None:
        raise NotFound(ACCOUNT_NOT_FOUND)
    return account


async def list_accounts(
    session: AsyncSession,
    auth: AuthContext,
    client_id: uuid.UUID,
    *,
    limit: int,
    offset: int,
    platform: str | None,
) -> tuple[list[SocialAccount], int]:
    await ensure_client(session, auth.scope, client_id)
    return await AccountRepository(session, auth.scope).page(
        client_id, limit=limit, offset=offset, platform=platform
    )


async def account_platforms(
    session: AsyncSession, scope: TenantScope, client_id: uuid.UUID
) -> dict[uuid.UUID, str]:
    """{account_id: platform} of a client's accounts (for posts and metrics)."""
    return await AccountRepository(session, scope).ids_for_client(client_id)


async def account_platform(
    session: AsyncSession, scope: TenantScope, client_id: uuid.UUID, account_id: uuid.UUID
) -> str:
    """The platform of one of the client's accounts; 422 (on `account_id`) for any other."""
    platforms = await account_platforms(session, scope, client_id)
    if account_id not in platforms:
        raise UnprocessableEntity(
            "account_id is not one of this client's social accounts",
            errors=[
                {
                    "loc": ["body", "account_id"],
                    "msg": "Unknown account for this client",
                    "type": "value_error",
                }
            ],
        )
    return platforms[account_id]


async def accounts_for_client(
    session: AsyncSession, scope: TenantScope, client_id: uuid.UUID
) -> list[SocialAccount]:
    return await AccountRepository(session, scope).all_for_client(client_id)


async def create_account(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID, data: AccountCreate
) -> SocialAccount:
    await ensure_client(session, auth.scope, client_id)
    account = AccountRepository(session, auth.scope).add(
        SocialAccount(
            client_id=client_id,
            platform=data.platform.value,
            handle=data.handle,
            display_name=data.display_name,
            url=data.url,
        )
    )
    await flush_or_conflict(session, ACCOUNT_TAKEN)
    audit.record(
        session,
        auth.actor,
        "account.create",
        "social_account",
        account.id,
        {"client_id": str(client_id), "platform": account.platform, "handle": account.handle},
    )
    return account


async def update_account(
    session: AsyncSession,
    auth: AuthContext,
    client_id: uuid.UUID,
    account_id: uuid.UUID,
    data: AccountUpdate,
) -> SocialAccount:
    account = await get_account(session, auth, client_id, account_id)
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if field == "handle" and value is None:
            continue
        setattr(account, field, value)
    await flush_or_conflict(session, ACCOUNT_TAKEN)
    audit.record(
        session,
        auth.actor,
        "account.update",
        "social_account",
        account.id,
        {"fields": sorted(changes)},
    )
    return account


async def delete_account(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID, account_id: uuid.UUID
) -> None:
    account = await get_account(session, auth, client_id, account_id)
    audit.record(
        session,
        auth.actor,
        "account.delete",
        "social_account",
        account.id,
        {"client_id": str(client_id)},
    )
    await session.delete(account)
    await session.flush()


async def client_names(
    session: AsyncSession, scope: TenantScope
) -> list[tuple[uuid.UUID, str, tuple[str, ...]]]:
    """Every client of the tenant as (id, name, aliases), by name: how people name them."""
    rows = await ClientRepository(session, scope).names()
    return [(r.id, r.name, tuple(r.aliases or ())) for r in rows]


async def client_profile(
    session: AsyncSession, scope: TenantScope, client_id: uuid.UUID
) -> ClientProfile:
    """What the analysis engines need to know about the brand."""
    client = await ClientRepository(session, scope).get(client_id)
    if client is None:
        raise NotFound(CLIENT_NOT_FOUND)
    accounts = await AccountRepository(session, scope).all_for_client(client_id)
    return ClientProfile(
        name=client.name,
        industry=client.industry,
        country=client.country,
        language=client.language,
        competitors=tuple(CompetitorProfile.of(c) for c in client.competitors),
        handles=tuple(sorted({a.handle for a in accounts})),
        aliases=tuple(client.aliases),
    )

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row

from app.clients.models import Client, SocialAccount
from app.core.repository import TenantReader, TenantRepository

CLIENT_OUT_COLUMNS = (
    Client.id,
    Client.name,
    Client.industry,
    Client.country,
    Client.language,
    Client.website,
    Client.description,
    Client.aliases,
    Client.competitors,
    Client.created_at,
    Client.updated_at,
)


_CLIENT_ROW_SQL = (
    "SELECT "
    + ", ".join(f'"{c.key}"' for c in CLIENT_OUT_COLUMNS)
    + " FROM client WHERE tenant_id = $1 AND id = $2"
)


class ClientReader(TenantReader):
    async def fetch_row(self, client_id: uuid.UUID) -> Any | None:
        """Hot read path (GET one client): one prepared statement on asyncpg."""
        return await self.conn.fetchrow(_CLIENT_ROW_SQL, self.tenant_id, client_id)


class ClientRepository(TenantRepository[Client]):
    model = Client

    async def exists(self, client_id: uuid.UUID) -> bool:
        query = self._scoped(Client.id).where(Client.id == client_id)
        return (await self.session.execute(query)).first() is not None

    async def names(self) -> list[Row[Any]]:
        """(id, name, aliases) of every client of the tenant, by name."""
        query = self._scoped(Client.id, Client.name, Client.aliases).order_by(Client.name)
        return list((await self.session.execute(query)).all())

    async def page(
        self,
        *,
        limit: int,
        offset: int,
        q: str | None,
        industry: str | None,
        country: str | None,
        sort: str,
    ) -> tuple[list[Row[Any]], int]:
        query = self._scoped(*CLIENT_OUT_COLUMNS)
        if q:
            query = query.where(Client.name.icontains(q, autoescape=True))
        if industry:
            query = query.where(Client.industry == industry)
        if country:
            query = query.where(Client.country == country.upper())
        order = {
            "name": (Client.name, Client.id),
            "-name": (Client.name.desc(), Client.id),
            "created_at": (Client.created_at, Client.id),
            "-created_at": (Client.created_at.desc(), Client.id),
        }[sort]
        result, total = await self.paginate(query, order, limit=limit, offset=offset)
        return list(result.all()), total


class AccountRepository(TenantRepository[SocialAccount]):
    model = SocialAccount

    async def get_for_client(
        self, client_id: uuid.UUID, account_id: uuid.UUID
    ) -> SocialAccount | None:
        query = self._scoped().where(
            SocialAccount.id == account_id, SocialAccount.client_id == client_id
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def page(
        self, client_id: uuid.UUID, *, limit: int, offset: int, platform: str | None
    ) -> tuple[list[SocialAccount], int]:
        query = self._scoped().where(SocialAccount.client_id == client_id)
        if platform:
            query = query.where(SocialAccount.platform == platform)
        result, total = await self.paginate(
            query,
            (SocialAccount.platform, SocialAccount.handle, SocialAccount.id),
            limit=limit,
            offset=offset,
        )
        return list(result.scalars()), total

    async def all_for_client(self, client_id: uuid.UUID) -> list[SocialAccount]:
        rows = await self.session.execute(
            self._scoped().where(SocialAccount.client_id == client_id)
        )
        return list(rows.scalars())

    async def ids_for_client(self, client_id: uuid.UUID) -> dict[uuid.UUID, str]:
        rows = await self.session.execute(
            self._scoped(SocialAccount.id, SocialAccount.platform).where(
                SocialAccount.client_id == client_id
            )
        )
        return {r[0]: r[1] for r in rows.all()}


__all__ = ["AccountRepository", "ClientRepository"]

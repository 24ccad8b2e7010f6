from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy import Select, func

from app.core.repository import TenantRepository
from app.forecasting.models import FollowerForecast

# A version id, its number (1, 2, ... per account), or the newest one.
VersionRef = uuid.UUID | int | Literal["latest"]


class ForecastRepository(TenantRepository[FollowerForecast]):
    model = FollowerForecast

    def _for_account(self, client_id: uuid.UUID, account_id: uuid.UUID) -> Select[Any]:
        return self._scoped().where(
            FollowerForecast.client_id == client_id, FollowerForecast.account_id == account_id
        )

    async def get_ref(
        self, client_id: uuid.UUID, account_id: uuid.UUID, ref: VersionRef
    ) -> FollowerForecast | None:
        query = self._for_account(client_id, account_id)
        if ref == "latest":
            query = query.order_by(FollowerForecast.version.desc()).limit(1)
        elif isinstance(ref, int):
            query = query.where(FollowerForecast.version == ref)
        else:
            query = query.where(FollowerForecast.id == ref)
        return (await self.session.execute(query)).scalars().first()

    async def page(
        self, client_id: uuid.UUID, account_id: uuid.UUID, *, limit: int, offset: int
    ) -> tuple[list[FollowerForecast], int]:
        result, total = await self.paginate(
            self._for_account(client_id, account_id),
            (FollowerForecast.version.desc(),),  # unique per account
            limit=limit,
            offset=offset,
        )
        return list(result.scalars()), total

    async def by_ids(
        self, client_id: uuid.UUID, account_id: uuid.UUID, ids: list[uuid.UUID]
    ) -> list[FollowerForecast]:
        query = self._for_account(client_id, account_id).where(FollowerForecast.id.in_(ids))
        return list((await self.session.execute(query)).scalars())

    async def newest(
        self, client_id: uuid.UUID, account_id: uuid.UUID, count: int
    ) -> list[FollowerForecast]:
        query = (
            self._for_account(client_id, account_id)
            .order_by(FollowerForecast.version.desc())
            .limit(count)
        )
        return list((await self.session.execute(query)).scalars())

    async def next_version(self, account_id: uuid.UUID) -> int:
        query = self._scoped(func.coalesce(func.max(FollowerForecast.version), 0)).where(
            FollowerForecast.account_id == account_id
        )
        return int((await self.session.execute(query)).scalar_one()) + 1


__all__ = ["ForecastRepository", "VersionRef"]

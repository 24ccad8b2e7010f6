from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from app.core.repository import TenantRepository, sort_orders
from app.metrics.models import AccountMetric
from app.metrics.schemas import MetricSort

METRIC_COLUMNS = tuple(c for c in AccountMetric.__table__.c if c.name not in ("tenant_id",))
METRIC_ORDERS = sort_orders(AccountMetric, MetricSort)


class MetricRepository(TenantRepository[AccountMetric]):
    model = AccountMetric

    async def get_for_client(
        self, client_id: uuid.UUID, metric_id: uuid.UUID
    ) -> AccountMetric | None:
        query = self._scoped().where(
            AccountMetric.id == metric_id, AccountMetric.client_id == client_id
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def page(
        self,
        client_id: uuid.UUID,
        *,
        limit: int,
        offset: int,
        account_id: uuid.UUID | None,
        since: datetime | None,
        until: datetime | None,
        sort: MetricSort,
    ) -> tuple[list[Row[Any]], int]:
        query = self._scoped(*METRIC_COLUMNS).where(AccountMetric.client_id == client_id)
        if account_id:
            query = query.where(AccountMetric.account_id == account_id)
        if since:
            query = query.where(AccountMetric.captured_at >= since)
        if until:
            query = query.where(AccountMetric.captured_at < until)
        result, total = await self.paginate(query, METRIC_ORDERS[sort], limit=limit, offset=offset)
        return list(result.all()), total

    async def follower_points(
        self, client_id: uuid.UUID, account_id: uuid.UUID
    ) -> list[tuple[datetime, int]]:
        """(captured_at, followers) of one account, oldest first."""
        query = (
            self._scoped(AccountMetric.captured_at, AccountMetric.followers)
            .where(AccountMetric.client_id == client_id, AccountMetric.account_id == account_id)
            .order_by(AccountMetric.captured_at)
        )
        return [(r[0], int(r[1])) for r in (await self.session.execute(query)).all()]


__all__ = ["METRIC_COLUMNS", "MetricRepository"]

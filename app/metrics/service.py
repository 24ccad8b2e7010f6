"""Account metrics of a client: CRUD, the filtered list, bulk imports, follower series."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.clients import service as clients_service
from app.core.auth import AuthContext
from app.core.bulk import RowSource
from app.core.errors import NotFound
from app.core.imports import (
    AccountLookup,
    ImportKind,
    ImportOptions,
    ImportResult,
    import_rows,
    template_csv,
)
from app.core.repository import flush_or_conflict
from app.core.scope import TenantScope
from app.metrics.models import AccountMetric
from app.metrics.repository import MetricRepository
from app.metrics.schemas import MetricCreate, MetricImportRow, MetricUpdate
from app.tenants import audit
from app.tenants import service as tenants_service

METRICS = ImportKind(
    name="metrics",
    row_model=MetricImportRow,
    key=("account_id", "captured_at"),
    required=(("captured_at",), ("followers",)),
    example={
        "captured_at": "2026-03-14",
        "followers": "125400",
        "following": "310",
        "posts_total": "1520",
        "engagement_rate": "0.034",
        "reach": "40000",
        "impressions": "90000",
    },
)


async def list_metrics(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID, **filters: Any
) -> tuple[list[Row[Any]], int]:
    await clients_service.ensure_client(session, auth.scope, client_id)
    return await MetricRepository(session, auth.scope).page(client_id, **filters)


async def get_metric(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID, metric_id: uuid.UUID
) -> AccountMetric:
    metric = await MetricRepository(session, auth.scope).get_for_client(client_id, metric_id)
    if metric is None:
        raise NotFound("Metric not found")
    return metric


async def create_metric(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID, data: MetricCreate
) -> AccountMetric:
    await clients_service.ensure_client(session, auth.scope, client_id)
    await clients_service.account_platform(session, auth.scope, client_id, data.account_id)
    metric = MetricRepository(session, auth.scope).add(
        AccountMetric(client_id=client_id, **data.model_dump())
    )
    await flush_or_conflict(session, "This account already has a metric at that captured_at")
    audit.record(
        session,
        auth.actor,
        "metric.create",
        "account_metric",
        metric.id,
        {"client_id": str(client_id)},
    )
    return metric


async def update_metric(
    session: AsyncSession,
    auth: AuthContext,
    client_id: uuid.UUID,
    metric_id: uuid.UUID,
    data: MetricUpdate,
) -> AccountMetric:
    metric = await get_metric(session, auth, client_id, metric_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    for name, value in changes.items():
        setattr(metric, name, value)
    await session.flush()
    audit.record(
        session,
        auth.actor,
        "metric.update",
        "account_metric",
        metric.id,
        {"fields": sorted(changes)},
    )
    return metric


async def delete_metric(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID, metric_id: uuid.UUID
) -> None:
    metric = await get_metric(session, auth, client_id, metric_id)
    audit.record(
        session,
        auth.actor,
        "metric.delete",
        "account_metric",
        metric.id,
        {"client_id": str(client_id)},
    )
    await session.delete(metric)
    await session.flush()


async def import_metrics(
    session: AsyncSession,
    auth: AuthContext,
    client_id: uuid.UUID,
    source: RowSource,
    *,
    options: ImportOptions,
    max_rows: int,
) -> ImportResult:
    """Upsert metrics on (account, captured_at) from a document (app/core/imports.py)."""
    await clients_service.ensure_client(session, auth.scope, client_id)
    accounts = AccountLookup.of(
        (
            (a.id, a.platform, a.handle)
            for a in await clients_service.accounts_for_client(session, auth.scope, client_id)
        ),
        default=options.account_id,
    )
    tenant = await tenants_service.get_current_tenant(session, auth.scope)

    def to_values(row: MetricImportRow) -> dict[str, Any]:
        account_id, _ = accounts.resolve(row.account_id, row.platform, row.account_handle)
        values = row.model_dump(exclude={"account_id", "platform", "account_handle"})
        values.update(
            id=uuid.uuid4(), tenant_id=auth.tenant_id, client_id=client_id, account_id=account_id
        )
        return values

    writer = MetricRepository(session, auth.scope).bulk_writer(METRICS.key)
    result = await import_rows(
        METRICS,
        source,
        to_values,
        writer,
        options=options,
        timezone=tenant.timezone,
        max_rows=max_rows,
    )
    audit.record(session, auth.actor, "metrics.import", "client", client_id, result.counts())
    return result


async def import_template(session: AsyncSession, auth: AuthContext, client_id: uuid.UUID) -> str:
    """The metrics import's CSV template, its example on the client's first account."""
    await clients_service.ensure_client(session, auth.scope, client_id)
    accounts = await clients_service.accounts_for_client(session, auth.scope, client_id)
    first = min(accounts, key=lambda a: (a.created_at, a.handle), default=None)
    return template_csv(METRICS, (first.platform, first.handle) if first else None)


async def follower_series(
    session: AsyncSession, scope: TenantScope, client_id: uuid.UUID, account_id: uuid.UUID
) -> list[tuple[datetime, int]]:
    """(captured_at, followers) of one account, oldest first (a forecast's input)."""
    return await MetricRepository(session, scope).follower_points(client_id, account_id)

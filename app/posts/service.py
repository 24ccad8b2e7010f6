"""Posts and account metrics of a client: CRUD, filtered lists and bulk imports."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.clients import service as clients_service
from app.core.auth import AuthContext
from app.core.bulk import MalformedDocument, RowSource
from app.core.errors import AppError, NotFound, PayloadTooLarge, UnprocessableEntity
from app.core.repository import flush_or_conflict
from app.core.scope import TenantScope
from app.posts.models import AccountMetric, Post
from app.posts.repository import BulkWriter, MetricRepository, PostReader, PostRepository
from app.posts.schemas import (
    ImportResult,
    MetricCreate,
    MetricImportRow,
    MetricUpdate,
    PostCreate,
    PostImportRow,
    PostUpdate,
    RowError,
    hashtags_in,
    mentions_in,
)
from app.tenants import audit

MAX_REPORTED_ERRORS = 1000
WRITE_BATCH = 5000


class ImportMode(StrEnum):
    atomic = "atomic"
    partial = "partial"


async def _account_platform(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID, account_id: uuid.UUID
) -> str:
    platforms = await clients_service.account_platforms(session, auth.scope, client_id)
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


# --- posts -----------------------------------------------------------------------------


async def list_post_rows(
    conn: Any, auth: AuthContext, client_id: uuid.UUID, **filters: Any
) -> tuple[list[bytes], int]:
    """The list endpoint's fast path, on a bare connection (`Database.read_connection`): (the
    page's posts rendered as JSON, the total); see PostReader.page_rows."""
    page = await PostReader(conn, auth.scope).page_rows(client_id, **filters)
    if page is None:
        raise NotFound(clients_service.CLIENT_NOT_FOUND)
    return page


async def get_post(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID, post_id: uuid.UUID
) -> Post:
    post = await PostRepository(session, auth.scope).get_for_client(client_id, post_id)
    if post is None:
        raise NotFound("Post not found")
    return post


def _post_values(data: PostImportRow | PostCreate) -> dict[str, Any]:
    values = data.model_dump(exclude={"account_id", "platform", "account_handle"})
    values["content_type"] = data.content_type.value
    if values["hashtags"] is None:
        values["hashtags"] = hashtags_in(data.text)
    if values["mentions"] is None:
        values["mentions"] = mentions_in(data.text)
    return values


async def create_post(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID, data: PostCreate
) -> Post:
    await clients_service.ensure_client(session, auth.scope, client_id)
    platform = await _account_platform(session, auth, client_id, data.account_id)
    post = PostRepository(session, auth.scope).add(
        Post(
            client_id=client_id, account_id=data.account_id, platform=platform, **_post_values(data)
        )
    )
    await flush_or_conflict(session, "This account already has a post with that external_id")
    audit.record(
        session,
        auth.actor,
        "post.create",
        "post",
        post.id,
        {"client_id": str(client_id), "external_id": post.external_id},
    )
    return post


async def update_post(
    session: AsyncSession,
    auth: AuthContext,
    client_id: uuid.UUID,
    post_id: uuid.UUID,
    data: PostUpdate,
) -> Post:
    post = await get_post(session, auth, client_id, post_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    for name, value in changes.items():
        setattr(post, name, value.value if isinstance(value, StrEnum) else value)
    await session.flush()
    audit.record(session, auth.actor, "post.update", "post", post.id, {"fields": sorted(changes)})
    return post


async def delete_post(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID, post_id: uuid.UUID
) -> None:
    post = await get_post(session, auth, client_id, post_id)
    audit.record(session, auth.actor, "post.delete", "post", post.id, {"client_id": str(client_id)})
    await session.delete(post)
    await session.flush()


# --- metrics ---------------------------------------------------------------------------


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
    await _account_platform(session, auth, client_id, data.account_id)
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


# --- bulk import -----------------------------------------------------------------------


@dataclass
class ImportKind:
    name: str
    row_model: type[BaseModel]
    key: tuple[str, ...]
    repo_cls: type[PostRepository] | type[MetricRepository]
    to_values: Callable[[Any], dict[str, Any]]
    natural_key: Callable[[dict[str, Any]], tuple[Any, ...]]


POSTS = ImportKind(
    name="posts",
    row_model=PostImportRow,
    key=("account_id", "external_id"),
    repo_cls=PostRepository,
    to_values=_post_values,
    natural_key=lambda v: (v["account_id"], v["external_id"]),
)
METRICS = ImportKind(
    name="metrics",
    row_model=MetricImportRow,
    key=("account_id", "captured_at"),
    repo_cls=MetricRepository,
    to_values=lambda row: row.model_dump(exclude={"account_id", "platform", "account_handle"}),
    natural_key=lambda v: (v["account_id"], v["captured_at"]),
)


@dataclass
class _Progress:
    received: int = 0
    inserted: int = 0
    updated: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)

    def fail(self, row: int, message: str, field_name: str | None = None) -> None:
        self.failed += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row=row, field=field_name, message=message))


def _validation_errors(row_no: int, exc: ValidationError, progress: _Progress) -> None:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or None
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    progress.fail(row_no, f"{first['msg']}{more}", loc)


async def import_rows(
    session: AsyncSession,
    auth: AuthContext,
    client_id: uuid.UUID,
    source: RowSource,
    kind: ImportKind,
    *,
    mode: ImportMode,
    max_rows: int,
) -> ImportResult:
    await clients_service.ensure_client(session, auth.scope, client_id)
    accounts = await clients_service.accounts_for_client(session, auth.scope, client_id)
    platform_of = {a.id: a.platform for a in accounts}
    by_handle = {(a.platform, a.handle.lower()): a.id for a in accounts}
    writer = BulkWriter(kind.repo_cls(session, auth), kind.repo_cls.model.__table__, kind.key)  # type: ignore[arg-type]
    seen: dict[tuple[Any, ...], int] = {}
    progress = _Progress()
    pending: list[dict[str, Any]] = []

    async def flush_pending() -> None:
        # In atomic mode, once a row failed nothing will be kept: stop writing.
        if pending and (mode == ImportMode.partial or progress.failed == 0):
            ins, upd = await writer.upsert(pending)
            progress.inserted += ins
            progress.updated += upd
        pending.clear()

    try:
        async for batch in source.batches():
            for raw in batch:
                progress.received += 1
                row_no = progress.received
                if row_no > max_rows:
                    raise PayloadTooLarge(f"At most {max_rows} rows per import")
                values = _row_values(
                    raw, row_no, kind, client_id, platform_of, by_handle, progress, auth
                )
                if values is None:
                    continue
                natural = kind.natural_key(values)
                if natural in seen:
                    progress.fail(
                        row_no,
                        f"Duplicate of row {seen[natural]} in this document",
                        "/".join(kind.key),
                    )
                    continue
                seen[natural] = row_no
                pending.append(values)
                if len(pending) >= WRITE_BATCH:
                    await flush_pending()
        await flush_pending()
    except MalformedDocument as exc:
        raise UnprocessableEntity(str(exc))
    finally:
        source.close()

    result = ImportResult(
        received=progress.received,
        inserted=progress.inserted,
        updated=progress.updated,
        failed=progress.failed,
        mode=mode.value,
        errors=progress.errors,
        errors_truncated=progress.failed > len(progress.errors),
    )
    if progress.received == 0:
        raise UnprocessableEntity("The document has no rows")
    if mode == ImportMode.atomic and progress.failed:
        raise _atomic_failure(result)
    audit.record(
        session,
        auth.actor,
        f"{kind.name}.import",
        "client",
        client_id,
        {
            "received": result.received,
            "inserted": result.inserted,
            "updated": result.updated,
            "failed": result.failed,
            "mode": mode.value,
        },
    )
    return result


def _row_values(
    raw: Any,
    row_no: int,
    kind: ImportKind,
    client_id: uuid.UUID,
    platform_of: dict[uuid.UUID, str],
    by_handle: dict[tuple[str, str], uuid.UUID],
    progress: _Progress,
    auth: AuthContext,
) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        progress.fail(row_no, "Each row must be an object")
        return None
    try:
        row = kind.row_model.model_validate(raw)
    except ValidationError as exc:
        _validation_errors(row_no, exc, progress)
        return None
    account_id = getattr(row, "account_id", None)
    if account_id is None:
        # The row model guarantees platform and account_handle when account_id is absent.
        platform: str = row.platform.value  # type: ignore[attr-defined]
        handle: str = row.account_handle  # type: ignore[attr-defined]
        account_id = by_handle.get((platform, handle.lower()))
        if account_id is None:
            progress.fail(
                row_no, f"No {platform} account @{handle} for this client", "account_handle"
            )
            return None
    elif account_id not in platform_of:
        progress.fail(row_no, "account_id is not one of this client's accounts", "account_id")
        return None
    values = kind.to_values(row)
    values.update(
        id=uuid.uuid4(), tenant_id=auth.tenant_id, client_id=client_id, account_id=account_id
    )
    if kind is POSTS:
        values["platform"] = platform_of[account_id]
    return values


def _atomic_failure(result: ImportResult) -> AppError:
    errors = [
        {
            "loc": ["body", e.row, *([e.field] if e.field else [])],
            "msg": e.message,
            "type": "row_error",
        }
        for e in result.errors
    ]
    return UnprocessableEntity(
        f"{result.failed} of {result.received} rows are invalid; nothing was imported. "
        "Fix them, or send mode=partial to import the valid rows.",
        errors=errors,
    )


# --- analyses ---------------------------------------------------------------------------


def analysis_rows(
    session: AsyncSession,
    scope: TenantScope,
    client_id: uuid.UUID,
    *,
    since: datetime,
    until: datetime,
    platforms: list[str] | None,
    account_ids: list[uuid.UUID] | None,
    batch: int,
) -> AsyncIterator[Sequence[Row[Any]]]:
    """The posts of an analysis window with their account handle, oldest first, in
    batches of `batch` rows (the analyses domain turns them into its input)."""
    return PostRepository(session, scope).for_analysis(
        client_id,
        since=since,
        until=until,
        platforms=platforms,
        account_ids=account_ids,
        batch=batch,
    )


async def store_enrichment(
    session: AsyncSession, scope: TenantScope, rows: list[tuple[Any, ...]]
) -> int:
    """Store per-post enrichment rows (see PostRepository.write_enrichment)."""
    return await PostRepository(session, scope).write_enrichment(rows)

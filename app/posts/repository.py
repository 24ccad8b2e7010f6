from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, literal_column

from app.core.db import driver_connection
from app.core.repository import TenantRepository
from app.posts.models import AccountMetric, Post

POST_COLUMNS = tuple(c for c in Post.__table__.c if c.name not in ("tenant_id",))
METRIC_COLUMNS = tuple(c for c in AccountMetric.__table__.c if c.name not in ("tenant_id",))

POST_SORTS = {
    "published_at": (Post.published_at, Post.id),
    "-published_at": (Post.published_at.desc(), Post.id.desc()),
    "likes": (Post.likes, Post.id),
    "-likes": (Post.likes.desc(), Post.id.desc()),
    "comments": (Post.comments, Post.id),
    "-comments": (Post.comments.desc(), Post.id.desc()),
    "shares": (Post.shares, Post.id),
    "-shares": (Post.shares.desc(), Post.id.desc()),
    "views": (Post.views, Post.id),
    "-views": (Post.views.desc(), Post.id.desc()),
}
METRIC_SORTS = {
    "captured_at": (AccountMetric.captured_at, AccountMetric.id),
    "-captured_at": (AccountMetric.captured_at.desc(), AccountMetric.id.desc()),
}


class PostRepository(TenantRepository[Post]):
    model = Post

    async def get_for_client(self, client_id: uuid.UUID, post_id: uuid.UUID) -> Post | None:
        query = self._scoped().where(Post.id == post_id, Post.client_id == client_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def page(
        self,
        client_id: uuid.UUID,
        *,
        limit: int,
        offset: int,
        account_id: uuid.UUID | None,
        platform: str | None,
        since: datetime | None,
        until: datetime | None,
        q: str | None,
        is_own: bool | None,
        language: str | None,
        hashtag: str | None,
        sort: str,
    ) -> tuple[list[Row[Any]], int]:
        query = self._scoped(*POST_COLUMNS).where(Post.client_id == client_id)
        if account_id:
            query = query.where(Post.account_id == account_id)
        if platform:
            query = query.where(Post.platform == platform)
        if since:
            query = query.where(Post.published_at >= since)
        if until:
            query = query.where(Post.published_at < until)
        if q:
            query = query.where(Post.text.icontains(q, autoescape=True))
        if is_own is not None:
            query = query.where(Post.is_own.is_(is_own))
        if language:
            query = query.where(Post.language == language)
        if hashtag:
            query = query.where(Post.hashtags.contains([hashtag.lstrip("#").lower()]))
        total = await self.count(query)
        # LIMIT/OFFSET inlined: as bind parameters they let PostgreSQL switch to a generic
        # plan that scans the primary key instead of the tenant index.
        query = query.order_by(*POST_SORTS[sort]).limit(literal_column(str(int(limit))))
        query = query.offset(literal_column(str(int(offset))))
        rows = await self.session.execute(query)
        return list(rows.all()), total


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
        sort: str,
    ) -> tuple[list[Row[Any]], int]:
        query = self._scoped(*METRIC_COLUMNS).where(AccountMetric.client_id == client_id)
        if account_id:
            query = query.where(AccountMetric.account_id == account_id)
        if since:
            query = query.where(AccountMetric.captured_at >= since)
        if until:
            query = query.where(AccountMetric.captured_at < until)
        total = await self.count(query)
        query = query.order_by(*METRIC_SORTS[sort]).limit(literal_column(str(int(limit))))
        query = query.offset(literal_column(str(int(offset))))
        rows = await self.session.execute(query)
        return list(rows.all()), total


class BulkWriter:
    """Upserts batches of rows of one table on its natural key, counting new vs updated.

    Rows are COPYed into a temporary table and merged with one INSERT ... ON CONFLICT:
    an order of magnitude faster than multi-row INSERTs built by the ORM for 100k rows.
    It uses the session's own connection, so it is part of the request's transaction.
    """

    def __init__(self, repo: TenantRepository[Any], table: Table, key: tuple[str, ...]) -> None:
        self.session = repo.session
        self.table = table
        self.key = key
        self.staging = f"import_{table.name}"
        self._ready = False

    async def upsert(self, rows: list[dict[str, Any]]) -> tuple[int, int]:
        if not rows:
            return 0, 0
        driver = await driver_connection(self.session)
        columns = list(rows[0])
        if not self._ready:
            await driver.execute(
                f'CREATE TEMP TABLE IF NOT EXISTS "{self.staging}" '
                f'(LIKE "{self.table.name}" INCLUDING DEFAULTS) ON COMMIT DROP'
            )
            self._ready = True
        await driver.execute(f'TRUNCATE "{self.staging}"')
        await driver.copy_records_to_table(
            self.staging, records=[tuple(r[c] for c in columns) for r in rows], columns=columns
        )
        skip = {*self.key, "id", "tenant_id", "created_at", "client_id"}
        updates = [f'"{c}" = EXCLUDED."{c}"' for c in columns if c not in skip]
        updates.append("updated_at = now()")
        names = ", ".join(f'"{c}"' for c in columns)
        keys = ", ".join(f'"{c}"' for c in self.key)
        # xmax = 0 on a returned row means it was inserted, not updated.
        row = await driver.fetchrow(
            f'WITH merged AS (INSERT INTO "{self.table.name}" ({names}) '
            f'SELECT {names} FROM "{self.staging}" '
            f"ON CONFLICT ({keys}) DO UPDATE SET {', '.join(updates)} "
            f"RETURNING (xmax = 0) AS inserted) "
            f"SELECT count(*) FILTER (WHERE inserted) AS ins, count(*) AS total FROM merged"
        )
        return int(row["ins"]), int(row["total"]) - int(row["ins"])

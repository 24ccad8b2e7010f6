from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, get_args

from sqlalchemy import Row, Uuid, func

from app.clients.models import SocialAccount
from app.core.db import Database, driver_connection
from app.core.fastjson import dumps
from app.core.rendered import RenderedRows
from app.core.repository import TenantRepository
from app.core.scope import TenantScope
from app.posts.models import Post
from app.posts.schemas import PostListQuery, PostOut, PostSort


def _analysis_columns() -> tuple[Any, ...]:
    return (
        Post.id,
        Post.platform,
        Post.author_handle,
        Post.author_followers,
        Post.text,
        Post.published_at,
        Post.likes,
        Post.comments,
        Post.shares,
        Post.views,
        Post.reach,
        Post.content_type,
        Post.hashtags,
        Post.mentions,
        Post.is_own,
        Post.is_retweet,
        Post.language,
        Post.updated_at,
        Post.sentiment_label,
        Post.sentiment_score,
        Post.emotion_label,
        Post.emotion_scores,
        Post.topics,
        Post.frames,
    )


# The list's columns are PostOut's fields, in its order (the JSON's keys), id first; ids
# as text (what the JSON holds; no UUID objects to build in Python and convert back).
_POST_NAMES = tuple(sorted(PostOut.model_fields, key=lambda name: name != "id"))
_POST_SELECT = ", ".join(
    f'p."{name}"::text AS "{name}"'
    if isinstance(Post.__table__.c[name].type, Uuid)
    else f'p."{name}"'
    for name in _POST_NAMES
)
# The ORDER BY of each sort key: the key's column, then the id, in one direction.
_POST_ORDER = {
    key: (f'p."{name}" DESC, p.id DESC' if key.startswith("-") else f'p."{name}", p.id')
    for key in get_args(PostSort)
    for name in [Post.__table__.c[key.removeprefix("-")].name]
}


class PostReader:
    """The posts list for one tenant, on bare asyncpg connections of the pool
    (`Database.read_connection`, autocommit, no ORM session), with the worker's rendered
    posts (`RenderedRows`, app/core/rendered.py: why a post's version is (xmin, ctid)).
    Handed to the list endpoint by `app.posts.dependencies.post_reader`.

    Each page takes a connection for as long as it reads, and gives it back before it
    returns: no request-long hold, and nothing for FastAPI to clean up after the handler
    (a generator dependency holding the connection cost 8% more instructions per list
    request; app/posts/dependencies.py).
    """

    def __init__(self, db: Database, scope: TenantScope, rendered: RenderedRows) -> None:
        self.db = db
        self.tenant_id = scope.tenant_id
        self.rendered = rendered

    async def page(
        self, client_id: uuid.UUID, query: PostListQuery
    ) -> tuple[list[bytes], int] | None:
        """The posts list, the API's hottest read: (the page's posts, each rendered as
        JSON, the total), None when the client is not the tenant's. The tenant condition
        is always the first one.

        The page is read as (id, version) pairs and each post is rendered once per
        version (`self.rendered`): only posts not rendered at that version are read
        whole, in a second statement.
        """
        where = ["p.tenant_id = $1", "p.client_id = $2"]
        args: list[Any] = [self.tenant_id, client_id]

        def add(condition: str, value: Any) -> None:
            args.append(value)
            where.append(condition.replace("?", f"${len(args)}"))

        if query.account_id:
            add("p.account_id = ?", query.account_id)
        if query.platform:
            add("p.platform = ?", query.platform.value)
        if query.since:
            add("p.published_at >= ?", query.since)
        if query.until:
            add("p.published_at < ?", query.until)
        if query.q:
            escaped = query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            add("p.text ILIKE ?", f"%{escaped}%")
        if query.is_own is not None:
            add("p.is_own = ?", query.is_own)
        if query.language:
            add("p.language = ?", query.language)
        if query.hashtag:
            add("p.hashtags @> ARRAY[?]::varchar[]", query.hashtag.lstrip("#").lower())
        for column, value in (
            ("sentiment_label", query.sentiment),
            ("emotion_label", query.emotion),
        ):
            if value:
                add(f"p.{column} = ?", value)
        if query.topic:
            add("p.topics @> ARRAY[?]::varchar[]", query.topic)
        if query.frame:
            add("p.frames @> ARRAY[?]::varchar[]", query.frame)
        condition = " AND ".join(where)
        # The client check and the count ride on the page's statement as uncorrelated
        # subqueries (PostgreSQL runs each once, not per row): one round trip. The count
        # is not count(*) OVER (), which would make PostgreSQL read and sort every
        # matching row before the LIMIT; this way the page is an index range scan.
        head = (
            "EXISTS (SELECT 1 FROM client WHERE tenant_id = $1 AND id = $2) AS _found, "
            f"(SELECT count(*) FROM post p WHERE {condition}) AS _total"
        )
        # LIMIT and OFFSET as numbers in the SQL, not parameters: see Repository.paginate.
        page = f"FROM post p WHERE {condition} ORDER BY {_POST_ORDER[query.sort]} "
        page += f"LIMIT {int(query.limit)} OFFSET {int(query.offset)}"
        async with self.db.read_connection() as conn:
            return await self._read(conn, head, page, condition, args)

    async def _read(
        self, conn: Any, head: str, page: str, condition: str, args: list[Any]
    ) -> tuple[list[bytes], int] | None:
        rendered = self.rendered
        if not rendered.enabled:
            return await self._rendered_page(conn, head, page, args)
        rows = await conn.fetch(f"SELECT p.id::text, p.xmin, p.ctid, {head} {page}", *args)
        if not rows:
            return await self._empty_page(conn, head, args)
        keys = [(r[0], r[1], r[2]) for r in rows]
        parts = rendered.get_many(keys)
        missing = [key[0] for key, part in zip(keys, parts, strict=True) if part is None]
        fresh: dict[str, bytes] = {}
        if missing:
            # By primary key (one lookup per id, whatever the client's size), with the
            # page's conditions again: a post changed since so that it no longer belongs
            # on the page counts as missing.
            found = await self._render(
                conn,
                f"p.xmin, p.ctid FROM unnest(${len(args) + 1}::uuid[]) AS m(id) "
                f"JOIN post p ON p.id = m.id WHERE {condition}",
                [*args, missing],
            )
            if len(found) < len(missing):
                # Deleted or changed since the page was read: read it again, in one statement.
                return await self._rendered_page(conn, head, page, args)
            for row, part in found:
                rendered.put((row[0], row[-2], row[-1]), part)
                fresh[row[0]] = part  # its newest version, should it have changed since
        items = [
            fresh[key[0]] if part is None else part for key, part in zip(keys, parts, strict=True)
        ]
        return items, int(rows[0]["_total"])

    async def _render(self, conn: Any, rest: str, args: list[Any]) -> list[tuple[Any, bytes]]:
        """Rows of `SELECT <the list's columns>, <rest>`, each with its JSON (the columns
        only: anything `rest` selects stays out of it)."""
        rows = await conn.fetch(f"SELECT {_POST_SELECT}, {rest}", *args)
        if not rows:
            return []
        return [(r, dumps(dict(zip(_POST_NAMES, r, strict=False)))) for r in rows]  # stops at names

    async def _rendered_page(
        self, conn: Any, head: str, page: str, args: list[Any]
    ) -> tuple[list[bytes], int] | None:
        """The page in one statement, each post rendered, nothing cached."""
        rendered = await self._render(conn, f"{head} {page}", args)
        if not rendered:
            return await self._empty_page(conn, head, args)
        return [part for _, part in rendered], int(rendered[0][0]["_total"])

    async def _empty_page(
        self, conn: Any, head: str, args: list[Any]
    ) -> tuple[list[bytes], int] | None:
        # An empty page carries no head: ask for it alone.
        found = await conn.fetchrow(f"SELECT {head}", *args)
        return None if not found["_found"] else ([], int(found["_total"]))


class PostRepository(TenantRepository[Post]):
    model = Post

    async def get_for_client(self, client_id: uuid.UUID, post_id: uuid.UUID) -> Post | None:
        query = self._scoped().where(Post.id == post_id, Post.client_id == client_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def for_analysis(
        self,
        client_id: uuid.UUID,
        *,
        since: datetime,
        until: datetime,
        platforms: list[str] | None,
        account_ids: list[uuid.UUID] | None,
        batch: int = 2000,
    ) -> AsyncIterator[Sequence[Row[Any]]]:
        """Posts of a window with their account handle, oldest first, `batch` rows at a
        time from a server-side cursor (a 100,000-post window is never held as rows)."""
        query = (
            self._scoped(*_analysis_columns(), SocialAccount.handle.label("account_handle"))
            .join(SocialAccount, SocialAccount.id == Post.account_id)
            .where(
                Post.client_id == client_id, Post.published_at >= since, Post.published_at < until
            )
        )
        if platforms:
            query = query.where(Post.platform.in_(platforms))
        if account_ids:
            query = query.where(Post.account_id.in_(account_ids))
        result = await self.session.stream(
            query.order_by(Post.published_at, Post.id).execution_options(yield_per=batch)
        )
        async for rows in result.partitions():
            yield rows

    async def published_range(self, client_id: uuid.UUID) -> tuple[datetime, datetime] | None:
        """The client's first and last post times (None without posts): an empty window
        says where the posts are."""
        query = self._scoped(func.min(Post.published_at), func.max(Post.published_at)).where(
            Post.client_id == client_id
        )
        first, last = (await self.session.execute(query)).one()
        return None if first is None else (first, last)

    async def write_enrichment(self, rows: list[tuple[Any, ...]]) -> int:
        """Store per-post enrichment in bulk (COPY to a staging table, one UPDATE).

        Raw SQL on purpose: it must not bump `updated_at`, which feeds the analyses'
        input fingerprints. Rows: (post_id, language, sentiment_label, sentiment_score,
        emotion_label, emotion_scores_json, topics, frames).
        """
        if not rows:
            return 0
        driver = await driver_connection(self.session)
        await driver.execute(
            "CREATE TEMP TABLE IF NOT EXISTS post_enrichment_stage (id uuid, language text, "
            "sentiment_label text, sentiment_score float8, emotion_label text, "
            "emotion_scores jsonb, topics text[], frames text[]) ON COMMIT DROP"
        )
        await driver.execute("TRUNCATE post_enrichment_stage")
        await driver.copy_records_to_table("post_enrichment_stage", records=rows)
        status = await driver.execute(
            "UPDATE post SET language = s.language, sentiment_label = s.sentiment_label, "
            "sentiment_score = s.sentiment_score, emotion_label = s.emotion_label, "
            "emotion_scores = s.emotion_scores, topics = s.topics, frames = s.frames, "
            "enriched_at = now() FROM post_enrichment_stage s "
            "WHERE post.id = s.id AND post.tenant_id = $1",
            self.tenant_id,
        )
        return int(str(status).split()[-1])

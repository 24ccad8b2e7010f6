"""Posts of a client: CRUD, the filtered list, bulk imports, and the analyses' rows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from enum import StrEnum
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
    RowRejected,
    import_rows,
    template_csv,
)
from app.core.repository import flush_or_conflict
from app.core.scope import TenantScope
from app.posts.models import Post
from app.posts.repository import PostReader, PostRepository
from app.posts.schemas import (
    PostCreate,
    PostImportRow,
    PostListQuery,
    PostUpdate,
    hashtags_in,
    mentions_in,
)
from app.tenants import audit
from app.tenants import service as tenants_service

# --- posts -----------------------------------------------------------------------------


async def list_posts(
    reader: PostReader, client_id: uuid.UUID, query: PostListQuery
) -> tuple[list[bytes], int]:
    """The list endpoint's fast path: (the page's posts rendered as JSON, the total); see
    PostReader.page. 404 when the client is not the caller's."""
    page = await reader.page(client_id, query)
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
    platform = await clients_service.account_platform(
        session, auth.scope, client_id, data.account_id
    )
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


# --- bulk import -----------------------------------------------------------------------

POSTS = ImportKind(
    name="posts",
    row_model=PostImportRow,
    key=("account_id", "external_id"),
    required=(("external_id", "url"), ("text",), ("published_at",)),
    example={
        "external_id": "1769834",
        "author_handle": "maria_lima",
        "author_followers": "120",
        "text": "Excelente atención en la agencia de Miraflores #BancoAndino",
        "published_at": "2026-03-14 19:30:00",
        "likes": "12",
        "comments": "2",
        "shares": "1",
        "views": "340",
        "reach": "210",
        "content_type": "text",
        "hashtags": "BancoAndino",
        "language": "es",
        "is_own": "false",
        "is_retweet": "false",
    },
)


async def import_posts(
    session: AsyncSession,
    auth: AuthContext,
    client_id: uuid.UUID,
    source: RowSource,
    *,
    options: ImportOptions,
    max_rows: int,
) -> ImportResult:
    """Upsert posts on (account, external_id) from a document (app/core/imports.py)."""
    await clients_service.ensure_client(session, auth.scope, client_id)
    accounts = AccountLookup.of(
        (
            (a.id, a.platform, a.handle)
            for a in await clients_service.accounts_for_client(session, auth.scope, client_id)
        ),
        default=options.account_id,
    )
    tenant = await tenants_service.get_current_tenant(session, auth.scope)

    def to_values(row: PostImportRow) -> dict[str, Any]:
        account_id, platform = accounts.resolve(row.account_id, row.platform, row.account_handle)
        external_id = row.external_id or row.url
        if external_id is None:
            raise RowRejected("give external_id (or the post's url)", "external_id", "missing")
        if len(external_id) > 120:
            raise RowRejected(
                "no external_id, and the url is too long to be one (120 characters)",
                "external_id",
                "string_too_long",
            )
        values = _post_values(row)
        values.update(
            id=uuid.uuid4(),
            tenant_id=auth.tenant_id,
            client_id=client_id,
            account_id=account_id,
            external_id=external_id,
            author_handle=row.author_handle or accounts.handle_of[account_id],
        )
        values["platform"] = platform
        return values

    writer = PostRepository(session, auth.scope).bulk_writer(POSTS.key)
    result = await import_rows(
        POSTS,
        source,
        to_values,
        writer,
        options=options,
        timezone=tenant.timezone,
        max_rows=max_rows,
    )
    audit.record(session, auth.actor, "posts.import", "client", client_id, result.counts())
    return result


async def import_template(session: AsyncSession, auth: AuthContext, client_id: uuid.UUID) -> str:
    """The posts import's CSV template, its example on the client's first account."""
    await clients_service.ensure_client(session, auth.scope, client_id)
    accounts = await clients_service.accounts_for_client(session, auth.scope, client_id)
    first = min(accounts, key=lambda a: (a.created_at, a.handle), default=None)
    return template_csv(POSTS, (first.platform, first.handle) if first else None)


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


async def published_range(
    session: AsyncSession, scope: TenantScope, client_id: uuid.UUID
) -> tuple[datetime, datetime] | None:
    """The client's first and last post times, or None when it has no posts."""
    return await PostRepository(session, scope).published_range(client_id)


async def store_enrichment(
    session: AsyncSession, scope: TenantScope, rows: list[tuple[Any, ...]]
) -> int:
    """Store per-post enrichment rows (see PostRepository.write_enrichment)."""
    return await PostRepository(session, scope).write_enrichment(rows)

"""The analysis input: a window's posts read from the database, and their enrichment
written back.

The posts domain hands out rows (`posts.service.analysis_rows`); this module turns them
into the engines' compact `PostRecord`s and stores what the enrichment changed.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.analyses.records import PostRecord, SharedValues
from app.core.errors import UnprocessableEntity
from app.core.scope import TenantScope
from app.posts import service as posts_service

READ_BATCH = 2000  # rows per fetch from the cursor when reading a window
ENRICHMENT_BATCH = 5000  # rows per statement when storing enrichment


@dataclass
class WindowPosts:
    """A window's posts as engine input, and a digest of their versions."""

    posts: list[PostRecord]
    versions_digest: str  # sha256 over every post's (id, updated_at), in window order


async def read_posts(
    session: AsyncSession,
    scope: TenantScope,
    client_id: uuid.UUID,
    *,
    since: datetime,
    until: datetime,
    platforms: list[str] | None,
    account_ids: list[uuid.UUID] | None,
    max_posts: int,
) -> WindowPosts:
    """The window's posts (with any stored enrichment), read in batches.

    Repeated strings (platforms, handles, hashtags, labels) are shared, so a window of
    100,000 posts costs about 0.7 KB a post. More than `max_posts` posts is a 422.
    """
    digest = hashlib.sha256()
    same = SharedValues()
    posts: list[PostRecord] = []
    batches = posts_service.analysis_rows(
        session,
        scope,
        client_id,
        since=since,
        until=until,
        platforms=platforms,
        account_ids=account_ids,
        batch=READ_BATCH,
    )
    async for rows in batches:
        for r in rows:
            digest.update(r.id.bytes)
            digest.update(r.updated_at.isoformat().encode())
            posts.append(
                PostRecord(
                    id=str(r.id),
                    platform=same(r.platform),
                    account_handle=same(r.account_handle),
                    author_handle=same(r.author_handle),
                    author_followers=r.author_followers,
                    text=r.text,
                    published_at=r.published_at,
                    likes=r.likes,
                    comments=r.comments,
                    shares=r.shares,
                    views=r.views,
                    reach=r.reach,
                    content_type=same(r.content_type),
                    hashtags=same(tuple(same(h) for h in r.hashtags)),
                    mentions=same(tuple(same(m) for m in r.mentions)),
                    is_own=r.is_own,
                    is_retweet=r.is_retweet,
                    language=same(r.language),
                    sentiment_label=same(r.sentiment_label),
                    sentiment_score=same(r.sentiment_score),
                    emotion_label=same(r.emotion_label),
                    emotion_scores=same.emotions(r.emotion_scores),
                    topics=same(tuple(same(t) for t in r.topics or ())),
                    frames=same(tuple(same(f) for f in r.frames or ())),
                )
            )
        if len(posts) > max_posts:
            raise UnprocessableEntity(
                f"The window holds more than {max_posts} posts, the most one run analyses. "
                "Narrow the window, platforms or accounts."
            )
    return WindowPosts(posts, digest.hexdigest())


async def store_enrichment(
    session: AsyncSession, scope: TenantScope, posts: Sequence[PostRecord]
) -> int:
    """Store the posts' enrichment, `ENRICHMENT_BATCH` rows per statement."""
    stored = 0
    for start in range(0, len(posts), ENRICHMENT_BATCH):
        rows = [
            (
                uuid.UUID(p.id),
                p.language,
                p.sentiment_label,
                p.sentiment_score,
                p.emotion_label,
                json.dumps(dict(p.emotion_scores or {})),
                list(p.topics),
                list(p.frames),
            )
            for p in posts[start : start + ENRICHMENT_BATCH]
            if p.sentiment_label is not None
        ]
        stored += await posts_service.store_enrichment(session, scope, rows)
    return stored


async def published_range(
    session: AsyncSession, scope: TenantScope, client_id: uuid.UUID
) -> tuple[datetime, datetime] | None:
    """The client's first and last post times (None without posts), for an empty window."""
    return await posts_service.published_range(session, scope, client_id)

"""Engagement clustering of a client's posts: train versions, read them, place new posts.

Training reads the posts' counts in one short transaction, clusters them in a worker
thread while holding no connection, then stores the model, every post's assignment and
the audit event in a second short transaction.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import numpy as np
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.ai.local.text import retweet_of
from app.clients import service as clients_service
from app.clustering import model, wording
from app.clustering.models import PostClusterModel
from app.clustering.repository import (
    AssignmentRepository,
    ClusterModelRepository,
    ModelRef,
    PostEngagementRepository,
    StalePosts,
)
from app.clustering.schemas import AssignIn, AssignOut, ClusterDistance, ClusterTrain
from app.core.auth import AuthContext
from app.core.db import Database
from app.core.errors import Conflict, NotFound, UnprocessableEntity
from app.core.repository import flush_or_conflict
from app.tenants import audit
from app.tenants import service as tenants_service

MODEL_NOT_FOUND = "Cluster model not found"


def _filters(data: ClusterTrain) -> dict[str, Any]:
    return {
        "since": data.since.isoformat() if data.since else None,
        "until": data.until.isoformat() if data.until else None,
        "platforms": sorted(p.value for p in data.platforms) if data.platforms else None,
        "k": data.k,
    }


def fit_rows(rows: list[Row[Any]], k: int | None, language: str = "en") -> model.ClusterFit:
    """Cluster rows of (id, likes, comments, shares, views, author_followers, reach, text,
    is_retweet, author_handle) in publication order; names in `language` ("es" or "en")."""
    counts = np.array(
        [[r.likes, r.comments, r.shares, r.views] for r in rows], dtype=np.float64
    ).reshape(-1, 4)
    followers = np.array([r.author_followers for r in rows], dtype=np.float64)
    reach = np.array([r.reach for r in rows], dtype=np.float64)
    return model.fit_clusters(
        counts,
        followers,
        reach,
        k,
        texts=[r.text for r in rows],
        retweets=[bool(r.is_retweet) for r in rows],
        authors=[r.author_handle for r in rows],
        lang=wording.language(language),
    )


async def train_clusters(
    db: Database, auth: AuthContext, client_id: uuid.UUID, data: ClusterTrain
) -> PostClusterModel:
    async with db.session() as session, session.begin():
        await clients_service.ensure_client(session, auth.scope, client_id)
        tenant = await tenants_service.get_current_tenant(session, auth.scope)
        rows = await PostEngagementRepository(session, auth.scope).engagement(
            client_id,
            since=data.since,
            until=data.until,
            platforms=[p.value for p in data.platforms] if data.platforms else None,
        )
    try:
        fit = await asyncio.to_thread(fit_rows, rows, data.k, tenant.language)
    except model.NotEnoughData as exc:
        raise UnprocessableEntity(
            str(exc), errors=[{"loc": ["body"], "msg": str(exc), "type": "too_few"}]
        )
    async with db.session() as session, session.begin():
        await clients_service.ensure_client(session, auth.scope, client_id)
        stored = await store_model(
            session, auth, client_id, fit, [r.id for r in rows], _filters(data)
        )
        audit.record(
            session,
            auth.actor,
            "post_clusters.train",
            "post_cluster_model",
            stored.id,
            {
                "client_id": str(client_id),
                "version": stored.version,
                "k": stored.k,
                "n_posts": stored.n_posts,
                "n_clustered": fit.model.n_clustered,
                "silhouette": stored.silhouette,
            },
        )
    return stored


async def store_model(
    session: AsyncSession,
    auth: AuthContext,
    client_id: uuid.UUID,
    fit: model.ClusterFit,
    post_ids: list[uuid.UUID],
    filters: dict[str, Any],
) -> PostClusterModel:
    repo = ClusterModelRepository(session, auth.scope)
    stored = repo.add(
        PostClusterModel(
            client_id=client_id,
            version=await repo.next_version(client_id),
            k=fit.model.k,
            k_selection=fit.model.k_selection,
            silhouette=fit.model.silhouette,
            n_posts=fit.model.n_posts,
            filters=filters,
            parameters=fit.model.to_dict(),
            clusters=[c.to_dict() for c in fit.clusters],
        )
    )
    await flush_or_conflict(
        session, "Another clustering of this client was stored meanwhile; retry"
    )
    try:
        await AssignmentRepository(session, auth.scope).add_many(
            stored.id, post_ids, fit.labels.tolist(), fit.distances.tolist()
        )
    except StalePosts:
        # A post was deleted between reading and writing (its foreign key fails): store
        # nothing rather than a model whose assignments miss posts.
        raise Conflict("The client's posts changed while clustering; retry")
    return stored


async def list_models(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[PostClusterModel], int]:
    await clients_service.ensure_client(session, auth.scope, client_id)
    return await ClusterModelRepository(session, auth.scope).page(
        client_id, limit=limit, offset=offset
    )


async def get_model(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID, ref: ModelRef
) -> PostClusterModel:
    await clients_service.ensure_client(session, auth.scope, client_id)
    stored = await ClusterModelRepository(session, auth.scope).get_ref(client_id, ref)
    if stored is None:
        raise NotFound(MODEL_NOT_FOUND)
    return stored


async def cluster_posts(
    session: AsyncSession,
    auth: AuthContext,
    client_id: uuid.UUID,
    ref: ModelRef,
    *,
    cluster: int | None,
    limit: int,
    offset: int,
) -> tuple[PostClusterModel, list[Row[Any]], int]:
    stored = await get_model(session, auth, client_id, ref)
    if cluster is not None and cluster >= stored.k:
        raise UnprocessableEntity(
            f"cluster: this model has clusters 0..{stored.k - 1}",
            errors=[{"loc": ["query", "cluster"], "msg": "No such cluster", "type": "value_error"}],
        )
    rows, total = await AssignmentRepository(session, auth.scope).page_posts(
        stored.id, cluster=cluster, limit=limit, offset=offset
    )
    return stored, rows, total


def is_retweet(row: Row[Any]) -> bool:
    """Flagged on import, or told by its text ("RT @user: ...")."""
    return bool(row.is_retweet) or retweet_of(row.text) is not None


async def assign(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID, ref: ModelRef, data: AssignIn
) -> AssignOut:
    stored = await get_model(session, auth, client_id, ref)
    fitted = model.ClusterModel.from_dict(stored.parameters)
    # Four numbers against at most twelve centroids: no thread needed.
    result = model.assign(
        fitted,
        [float(data.likes), float(data.comments), float(data.shares), float(data.views)],
        followers=float(data.author_followers or 0),
        reach=float(data.reach or 0),
    )
    distances = sorted(
        (
            ClusterDistance(cluster=i, name=fitted.names[i], distance=d)
            for i, d in enumerate(result.distances)
        ),
        key=lambda c: (c.distance, c.cluster),
    )
    return AssignOut(
        model_id=stored.id,
        version=stored.version,
        cluster=result.cluster,
        name=fitted.names[result.cluster],
        per_1k=result.per_1k,
        distances=distances,
    )

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, status

from app.clustering import service
from app.clustering.schemas import (
    AssignIn,
    AssignOut,
    ClusterModelOut,
    ClusterPostOut,
    ClusterTrain,
)
from app.core.auth import AnalystDep, ReaderDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageDep
from app.core.routing import API_PREFIX
from app.core.session import DatabaseDep, SessionDep

router = APIRouter(prefix=API_PREFIX + "/clients/{client_id}/post-clusters", tags=["clustering"])

READ = problem_responses(401, 404, 422)
TRAIN = problem_responses(401, 403, 404, 409, 422)

ModelPath = Annotated[
    uuid.UUID | Literal["latest"],
    Path(description="A model id, or `latest` for the newest version"),
]


@router.post(
    "",
    response_model=ClusterModelOut,
    status_code=status.HTTP_201_CREATED,
    summary="Cluster the client's posts by engagement (a new model version)",
    description="Features: likes, comments, shares and views per 1,000 audience (author "
    "followers, else reach), log1p, standardised. k-means for k = 2..8 keeping the best "
    "silhouette, unless `k` is given. Needs at least 3 distinct posts per cluster (422 "
    "otherwise).\n\nRetweets and copies count once: posts with one text (a retweet "
    '"RT @user: ...", a post flagged `is_retweet`, an identical text) are clustered as '
    "one item, the original when it is in the selection; a retweet carries the original's "
    "counts, so a text known only from retweets is not clustered but placed where zero "
    "engagement falls, and retweets never make a cluster look viral. Every copy is "
    "assigned to its original's cluster (listed by `.../posts?cluster=i`, counted in "
    "`size`); `n_clustered`, `retweets` and `duplicates` say how many. Names say what "
    "sets each cluster apart from the others, in the tenant's language, and are distinct.",
    responses=TRAIN,
)
async def train_clusters(
    client_id: uuid.UUID,
    db: DatabaseDep,
    auth: AnalystDep,
    data: Annotated[ClusterTrain | None, Body()] = None,
) -> ClusterModelOut:
    stored = await service.train_clusters(db, auth, client_id, data or ClusterTrain())
    return ClusterModelOut.model_validate(stored)


@router.get(
    "",
    response_model=Page[ClusterModelOut],
    summary="List clustering versions, newest first",
    responses=READ,
)
async def list_cluster_models(
    client_id: uuid.UUID, session: SessionDep, auth: ReaderDep, page: PageDep
) -> Page[ClusterModelOut]:
    models, total = await service.list_models(
        session, auth, client_id, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[ClusterModelOut.model_validate(m) for m in models],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/{model_id}",
    response_model=ClusterModelOut,
    summary="One clustering: clusters with names, sizes, shares and centroids",
    responses=READ,
)
async def get_cluster_model(
    client_id: uuid.UUID, model_id: ModelPath, session: SessionDep, auth: ReaderDep
) -> ClusterModelOut:
    return ClusterModelOut.model_validate(
        await service.get_model(session, auth, client_id, model_id)
    )


@router.get(
    "/{model_id}/posts",
    response_model=Page[ClusterPostOut],
    summary="Posts of a clustering (or of one cluster), most typical first",
    description="Every post of the selection, retweets and copies included: a copy of "
    "another post's text is listed in its original's cluster with the original's distance "
    "(`is_retweet` marks retweets).",
    responses=READ,
)
async def list_cluster_posts(
    client_id: uuid.UUID,
    model_id: ModelPath,
    session: SessionDep,
    auth: ReaderDep,
    page: PageDep,
    cluster: Annotated[
        int | None, Query(ge=0, le=11, description="Cluster index; default: every cluster")
    ] = None,
) -> Page[ClusterPostOut]:
    stored, rows, total = await service.cluster_posts(
        session, auth, client_id, model_id, cluster=cluster, limit=page.limit, offset=page.offset
    )
    names = stored.parameters["names"]
    return Page(
        items=[
            ClusterPostOut.model_validate(
                {
                    **r._mapping,
                    "cluster_name": names[r.cluster],
                    "is_retweet": service.is_retweet(r),
                }
            )
            for r in rows
        ],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/{model_id}/assign",
    response_model=AssignOut,
    summary="The cluster a post with these figures falls in (nothing is stored)",
    responses=READ,
)
async def assign_post(
    client_id: uuid.UUID,
    model_id: ModelPath,
    data: AssignIn,
    session: SessionDep,
    auth: ReaderDep,
) -> AssignOut:
    return await service.assign(session, auth, client_id, model_id, data)

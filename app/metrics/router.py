from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response, status

from app.core.auth import AnalystDep, ReaderDep
from app.core.body_limit import large_body
from app.core.bulk import TEMPLATE_RESPONSE, csv_download, open_upload, template_route
from app.core.errors import problem_responses
from app.core.imports import (
    ImportOptionsDep,
    ImportResult,
    import_openapi,
    release_memory_after,
)
from app.core.pagination import Page, PageDep
from app.core.routing import API_PREFIX
from app.core.schemas import UtcDatetime
from app.core.session import SessionDep, SettingsDep
from app.metrics import service
from app.metrics.schemas import MetricCreate, MetricOut, MetricSort, MetricUpdate

# The posts' tag: one section of the documentation for a client's posts and metrics.
router = APIRouter(prefix=API_PREFIX + "/clients/{client_id}", tags=["posts and metrics"])

READ = problem_responses(401, 404, 422)
WRITE = problem_responses(401, 403, 404, 409, 422)
IMPORT = problem_responses(400, 401, 403, 404, 413, 415, 422)


@router.get(
    "/metrics",
    response_model=Page[MetricOut],
    summary="List a client's account metrics",
    responses=READ,
)
async def list_metrics(
    client_id: uuid.UUID,
    session: SessionDep,
    auth: ReaderDep,
    page: PageDep,
    account_id: uuid.UUID | None = None,
    since: Annotated[UtcDatetime | None, Query(description="captured_at >= since")] = None,
    until: Annotated[UtcDatetime | None, Query(description="captured_at < until")] = None,
    sort: MetricSort = "captured_at",
) -> Page[MetricOut]:
    rows, total = await service.list_metrics(
        session,
        auth,
        client_id,
        limit=page.limit,
        offset=page.offset,
        account_id=account_id,
        since=since,
        until=until,
        sort=sort,
    )
    return Page(
        items=[MetricOut.model_validate(r._mapping) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/metrics",
    response_model=MetricOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record an account metric",
    responses=WRITE,
)
async def create_metric(
    client_id: uuid.UUID, data: MetricCreate, session: SessionDep, auth: AnalystDep
) -> MetricOut:
    return MetricOut.model_validate(await service.create_metric(session, auth, client_id, data))


@router.post(
    "/metrics/import",
    response_model=ImportResult,
    summary="Import metrics from a JSON array or a CSV (upsert on account + captured_at)",
    openapi_extra=import_openapi(service.METRICS),
    responses=IMPORT,
)
@large_body("import")
async def import_metrics(
    client_id: uuid.UUID,
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    auth: AnalystDep,
    settings: SettingsDep,
    options: ImportOptionsDep,
) -> ImportResult:
    source = await open_upload(request, settings.import_max_bytes)
    result = await service.import_metrics(
        session, auth, client_id, source, options=options, max_rows=settings.import_max_rows
    )
    release_memory_after(background, result)
    return result


@router.get(
    "/metrics/import/template",
    **template_route("metrics"),
    responses={**TEMPLATE_RESPONSE, **READ},
)
async def import_metrics_template(
    client_id: uuid.UUID, session: SessionDep, auth: ReaderDep
) -> Response:
    text = await service.import_template(session, auth, client_id)
    return csv_download(text, "metrics-template.csv")


@router.get("/metrics/{metric_id}", response_model=MetricOut, summary="One metric", responses=READ)
async def get_metric(
    client_id: uuid.UUID, metric_id: uuid.UUID, session: SessionDep, auth: ReaderDep
) -> MetricOut:
    return MetricOut.model_validate(await service.get_metric(session, auth, client_id, metric_id))


@router.patch(
    "/metrics/{metric_id}", response_model=MetricOut, summary="Update a metric", responses=WRITE
)
async def update_metric(
    client_id: uuid.UUID,
    metric_id: uuid.UUID,
    data: MetricUpdate,
    session: SessionDep,
    auth: AnalystDep,
) -> MetricOut:
    return MetricOut.model_validate(
        await service.update_metric(session, auth, client_id, metric_id, data)
    )


@router.delete(
    "/metrics/{metric_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a metric",
    responses=WRITE,
)
async def delete_metric(
    client_id: uuid.UUID, metric_id: uuid.UUID, session: SessionDep, auth: AnalystDep
) -> Response:
    await service.delete_metric(session, auth, client_id, metric_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

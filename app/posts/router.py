from __future__ import annotations

import uuid

from fastapi import APIRouter, BackgroundTasks, Request, Response, status

from app.core.auth import AnalystDep, ReaderDep
from app.core.body_limit import large_body
from app.core.bulk import TEMPLATE_RESPONSE, csv_download, open_upload, template_route
from app.core.errors import problem_responses
from app.core.fastjson import page_response
from app.core.imports import (
    ImportOptionsDep,
    ImportResult,
    import_openapi,
    release_memory_after,
)
from app.core.pagination import Page
from app.core.routing import API_PREFIX
from app.core.session import SessionDep, SettingsDep
from app.posts import service
from app.posts.dependencies import POST_LIST_PARAMETERS, PostListQueryDep, PostReaderDep
from app.posts.schemas import PostCreate, PostOut, PostUpdate

router = APIRouter(prefix=API_PREFIX + "/clients/{client_id}", tags=["posts and metrics"])

READ = problem_responses(401, 404, 422)
WRITE = problem_responses(401, 403, 404, 409, 422)
IMPORT = problem_responses(400, 401, 403, 404, 413, 415, 422)


@router.get(
    "/posts",
    response_model=Page[PostOut],
    summary="List a client's posts",
    responses=READ,
    openapi_extra={"parameters": POST_LIST_PARAMETERS},
)
async def list_posts(
    client_id: uuid.UUID, reader: PostReaderDep, query: PostListQueryDep
) -> Page[PostOut]:
    items, total = await service.list_posts(reader, client_id, query)
    return page_response(items, total, query.limit, query.offset)  # type: ignore[return-value]


@router.post(
    "/posts",
    response_model=PostOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a post",
    responses=WRITE,
)
async def create_post(
    client_id: uuid.UUID, data: PostCreate, session: SessionDep, auth: AnalystDep
) -> PostOut:
    return PostOut.model_validate(await service.create_post(session, auth, client_id, data))


@router.post(
    "/posts/import",
    response_model=ImportResult,
    summary="Import posts from a JSON array or a CSV (upsert on account + external_id)",
    openapi_extra=import_openapi(service.POSTS),
    responses=IMPORT,
)
@large_body("import")
async def import_posts(
    client_id: uuid.UUID,
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    auth: AnalystDep,
    settings: SettingsDep,
    options: ImportOptionsDep,
) -> ImportResult:
    source = await open_upload(request, settings.import_max_bytes)
    result = await service.import_posts(
        session, auth, client_id, source, options=options, max_rows=settings.import_max_rows
    )
    release_memory_after(background, result)
    return result


@router.get(
    "/posts/import/template",
    **template_route("posts"),
    responses={**TEMPLATE_RESPONSE, **READ},
)
async def import_posts_template(
    client_id: uuid.UUID, session: SessionDep, auth: ReaderDep
) -> Response:
    text = await service.import_template(session, auth, client_id)
    return csv_download(text, "posts-template.csv")


@router.get("/posts/{post_id}", response_model=PostOut, summary="One post", responses=READ)
async def get_post(
    client_id: uuid.UUID, post_id: uuid.UUID, session: SessionDep, auth: ReaderDep
) -> PostOut:
    return PostOut.model_validate(await service.get_post(session, auth, client_id, post_id))


@router.patch("/posts/{post_id}", response_model=PostOut, summary="Update a post", responses=WRITE)
async def update_post(
    client_id: uuid.UUID,
    post_id: uuid.UUID,
    data: PostUpdate,
    session: SessionDep,
    auth: AnalystDep,
) -> PostOut:
    return PostOut.model_validate(
        await service.update_post(session, auth, client_id, post_id, data)
    )


@router.delete(
    "/posts/{post_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a post",
    responses=WRITE,
)
async def delete_post(
    client_id: uuid.UUID, post_id: uuid.UUID, session: SessionDep, auth: AnalystDep
) -> Response:
    await service.delete_post(session, auth, client_id, post_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

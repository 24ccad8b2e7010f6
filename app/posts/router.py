from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from app.core.auth import AnalystDep, ReaderDep
from app.core.bulk import IMPORT_OPENAPI, open_upload
from app.core.enums import Platform
from app.core.errors import problem_responses
from app.core.fastjson import page_response
from app.core.imports import ImportMode, ImportResult, ModeQuery, release_memory_after
from app.core.pagination import MAX_LIMIT, Page
from app.core.routing import API_PREFIX
from app.core.session import DatabaseDep, SessionDep, SettingsDep
from app.posts import service
from app.posts.schemas import PostCreate, PostOut, PostUpdate

router = APIRouter(prefix=API_PREFIX + "/clients/{client_id}", tags=["posts and metrics"])

READ = problem_responses(401, 404, 422)
WRITE = problem_responses(401, 403, 404, 409, 422)
IMPORT = problem_responses(400, 401, 403, 404, 413, 415, 422)

PostSort = Literal[
    "published_at",
    "-published_at",
    "likes",
    "-likes",
    "comments",
    "-comments",
    "shares",
    "-shares",
    "views",
    "-views",
]
Sentiment = Literal["positive", "neutral", "negative"]
Emotion = Literal["anger", "disgust", "fear", "joy", "sadness", "surprise", "trust", "neutral"]
Frame = Literal["conflict", "human_interest", "economic", "morality", "responsibility", "brand"]


class PostListQuery(BaseModel):
    """The posts list's whole query string: its filters and its page."""

    account_id: uuid.UUID | None = None
    platform: Platform | None = None
    since: datetime | None = Field(default=None, description="published_at >= since")
    until: datetime | None = Field(default=None, description="published_at < until")
    q: str | None = Field(default=None, max_length=200, description="Text contains")
    is_own: bool | None = Field(
        default=None, description="true: the brand's own posts; false: mentions by others"
    )
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$")
    hashtag: str | None = Field(default=None, max_length=200)
    sentiment: Sentiment | None = Field(
        default=None,
        description="Posts an analysis labelled so (e.g. the negative posts of March)",
    )
    emotion: Emotion | None = None
    topic: str | None = Field(default=None, max_length=120)
    frame: Frame | None = None
    sort: PostSort = "-published_at"
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT, description="Items per page")
    offset: int = Field(default=0, ge=0, le=10_000_000, description="Items to skip")


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """OpenAPI query parameters of a model's fields (what FastAPI writes for them)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    out = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        if prop.get("default") is None:
            prop.pop("default", None)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": prop}
        if "description" in prop:
            parameter["description"] = prop["description"]
        out.append(parameter)
    return out


async def post_list_query(request: Request) -> PostListQuery:
    """The list's filters and page from the query string, validated in one call.

    The posts list is the hottest read: FastAPI's per-parameter handling cost more than
    the model's validation, so the model reads the query string itself; the OpenAPI
    parameters are generated from the same model. Errors are the usual 422, located in
    `query`. A repeated parameter counts once (its last value), as FastAPI does.
    """
    params = request.query_params
    try:
        return PostListQuery.model_validate({k: params[k] for k in _QUERY_NAMES if k in params})
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("query", *error["loc"])} for error in exc.errors()]
        ) from None


_QUERY_NAMES = tuple(PostListQuery.model_fields)
PostListQueryDep = Annotated[PostListQuery, Depends(post_list_query)]


@router.get(
    "/posts",
    response_model=Page[PostOut],
    summary="List a client's posts",
    responses=READ,
    openapi_extra={
        "parameters": sorted(  # the page first, as on every other list
            _query_parameters(PostListQuery), key=lambda p: p["name"] not in ("limit", "offset")
        )
    },
)
async def list_posts(
    client_id: uuid.UUID,
    db: DatabaseDep,
    auth: ReaderDep,
    filters: PostListQueryDep,
) -> Page[PostOut]:
    async with db.read_connection() as conn:
        items, total = await service.list_post_rows(
            conn,
            auth,
            client_id,
            limit=filters.limit,
            offset=filters.offset,
            account_id=filters.account_id,
            platform=filters.platform.value if filters.platform else None,
            since=filters.since,
            until=filters.until,
            q=filters.q,
            is_own=filters.is_own,
            language=filters.language,
            hashtag=filters.hashtag,
            sentiment=filters.sentiment,
            emotion=filters.emotion,
            topic=filters.topic,
            frame=filters.frame,
            sort=filters.sort,
        )
    return page_response(items, total, filters.limit, filters.offset)  # type: ignore[return-value]


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
    openapi_extra=IMPORT_OPENAPI,
    responses=IMPORT,
)
async def import_posts(
    client_id: uuid.UUID,
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    auth: AnalystDep,
    settings: SettingsDep,
    mode: ModeQuery = ImportMode.atomic,
) -> ImportResult:
    source = await open_upload(request, settings.import_max_bytes)
    result = await service.import_posts(
        session, auth, client_id, source, mode=mode, max_rows=settings.import_max_rows
    )
    release_memory_after(background, result)
    return result


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

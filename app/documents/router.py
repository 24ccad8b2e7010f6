"""/api/v1/documents: upload, list, read, delete and search the tenant's documents."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile, status

from app.core import idempotency
from app.core.auth import AnalystDep, ReaderDep
from app.core.body_limit import large_body
from app.core.enums import DocumentStatus, Language
from app.core.errors import PayloadTooLarge, problem_responses
from app.core.pagination import Page, PageDep
from app.core.routing import API_PREFIX
from app.core.session import DatabaseDep, SessionDep, SettingsDep
from app.documents import service
from app.documents.embedder import Embedder
from app.documents.schemas import DocumentOut, PassageOut, ReindexOut, SearchOut

router = APIRouter(prefix=f"{API_PREFIX}/documents", tags=["documents"])

READ = problem_responses(401, 404, 422)


async def _embedder(request: Request, auth: ReaderDep) -> Embedder:
    """The tenant's embedder: the process's one (made once by the app's lifespan), or
    the embedding model the tenant's AI settings name. Its own short session: only for
    endpoints that take no request session (two permits at once could wait on each
    other)."""
    state = request.app.state
    async with state.db.read_session() as session:
        return await service.embedder_of(
            session, auth.scope, state.settings, state.embedder, state.http_client
        )


EmbedderDep = Annotated[Embedder, Depends(_embedder)]

UPLOAD_DESCRIPTION = (
    "A PDF (its pages kept), a Markdown file (split at its headings, each passage with its "
    "heading path) or a plain text file, as the `file` field of a multipart form, at most "
    "`DOCUMENT_MAX_BYTES` (20 MiB by default; larger: 413). The kind is told by the file's "
    "extension (.pdf, .md, .markdown, .txt) and its content type; any other is a 415. Its "
    "text is cut into passages of about 1,000 characters (on paragraph and sentence "
    "boundaries, each starting with the last sentence of the one before), embedded and "
    "indexed for full-text search in `language` (default: the tenant's).\n\n"
    "A PDF of up to `DOCUMENT_SYNC_MAX_PAGES` pages (20) or a text or Markdown file of up "
    "to `DOCUMENT_SYNC_MAX_BYTES` (100,000) is read now: 201 with the document `ready`. A "
    "larger one is read by a job: 202 with the document `pending` and a `Location` to "
    "follow its `progress`; it becomes `ready`, or `failed` with its `error` when its text "
    "cannot be read. A file whose text cannot be read now (a damaged or scanned PDF, an "
    "empty file) is a 422 and nothing is stored.\n\n"
    "`client_id` / `agent_id` restrict the document to that client's or agent's "
    "conversations (404 unless they are the tenant's); without them it serves all of the "
    "tenant's agents. Send `Idempotency-Key` to retry safely."
)


@router.post(
    "",
    response_model=DocumentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Upload a document (PDF, Markdown or text)",
    description=UPLOAD_DESCRIPTION,
    # The kinds the file may be (told by its part's type, or its name's extension).
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "encoding": {
                        "file": {"contentType": "application/pdf, text/markdown, text/plain"}
                    }
                }
            }
        }
    },
    responses={
        202: {"model": DocumentOut, "description": "Read by a job: the document `pending`"},
        **problem_responses(401, 403, 404, 409, 413, 415, 422),
    },
)
@large_body("document")
async def upload_document(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    auth: AnalystDep,
    embedder: EmbedderDep,
    file: Annotated[
        UploadFile, File(description="The document", json_schema_extra={"format": "binary"})
    ],
    client_id: Annotated[uuid.UUID | None, Form(description="Only this client's")] = None,
    agent_id: Annotated[uuid.UUID | None, Form(description="Only this agent's")] = None,
    language: Annotated[
        Language | None, Form(description="Of its text (default: the tenant's)")
    ] = None,
    idempotency_key: idempotency.IdempotencyKey = None,
) -> Any:
    if file.size is not None and file.size > settings.document_max_bytes:
        raise PayloadTooLarge(
            f"The file is larger than {settings.document_max_bytes} bytes (DOCUMENT_MAX_BYTES)"
        )
    upload = service.Upload(
        filename=file.filename or "document",
        content_type=file.content_type,
        data=await file.read(),
    )
    request_hash = idempotency.fingerprint(
        "POST",
        request.url.path,
        {
            "file": service.file_digest(upload),
            "filename": upload.filename,
            "client_id": client_id,
            "agent_id": agent_id,
            "language": language,
        },
    )
    return await service.upload(
        db,
        settings,
        embedder,
        auth.actor,
        upload,
        client_id=client_id,
        agent_id=agent_id,
        language=language.value if language else None,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )


@router.get(
    "",
    response_model=Page[DocumentOut],
    summary="List documents, newest first",
    responses=problem_responses(401, 422),
)
async def list_documents(
    session: SessionDep,
    auth: ReaderDep,
    page: PageDep,
    client_id: Annotated[uuid.UUID | None, Query(description="Only this client's")] = None,
    agent_id: Annotated[uuid.UUID | None, Query(description="Only this agent's")] = None,
    document_status: Annotated[
        DocumentStatus | None, Query(alias="status", description="Only those in this status")
    ] = None,
) -> Page[DocumentOut]:
    rows, total = await service.list_documents(
        session,
        auth.scope,
        limit=page.limit,
        offset=page.offset,
        client_id=client_id,
        agent_id=agent_id,
        status=document_status.value if document_status else None,
    )
    return Page(
        items=[DocumentOut.model_validate(r._mapping) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/search",
    response_model=SearchOut,
    summary="Search the passages of the tenant's documents",
    description="Hybrid retrieval over the passages of `ready` documents: the 50 best by "
    "full-text search (any of the query's words, stemmed in each passage's language, "
    "ranked by `ts_rank`) and the 50 nearest by embedding (cosine) are fused by "
    "reciprocal rank (`score` = sum of 1 / (60 + rank); `text_rank` and `vector_rank` say "
    "where each list had it, null when it did not). With `client_id` / `agent_id`, only "
    "documents of no client (agent) and of that one are searched.",
    responses=problem_responses(401, 422),
)
async def search_documents(
    db: DatabaseDep,
    auth: ReaderDep,
    embedder: EmbedderDep,
    q: Annotated[str, Query(min_length=1, max_length=500, description="A question or words")],
    client_id: Annotated[uuid.UUID | None, Query(description="As this client sees")] = None,
    agent_id: Annotated[uuid.UUID | None, Query(description="As this agent sees")] = None,
    k: Annotated[int, Query(ge=1, le=service.MAX_K, description="Passages wanted")] = 5,
) -> SearchOut:
    # No request session: the query's embedding (perhaps an endpoint's call) comes first.
    passages = await service.search(
        db.read_session,
        auth.scope,
        q,
        client_id=client_id,
        agent_id=agent_id,
        k=k,
        embedder=embedder,
    )
    return SearchOut(items=[PassageOut.model_validate(p, from_attributes=True) for p in passages])


@router.post(
    "/reindex",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ReindexOut,
    summary="Embed the passages again with the tenant's embedding model",
    description="After the tenant's AI settings change `embedding_model`, its passages of the "
    "earlier model are found by their words only: this queues a job per document that has "
    "any, to embed them again with the model the tenant uses now (each document's `progress` "
    "goes from 0 to 100 while it stays searchable). Safe to repeat; nothing to do is an "
    "empty `document_ids`.",
    responses=problem_responses(401, 403, 422, 503),
)
async def reindex_documents(db: DatabaseDep, auth: AnalystDep, embedder: EmbedderDep) -> ReindexOut:
    return await service.reindex(db, auth.actor, embedder)


@router.get("/{document_id}", response_model=DocumentOut, summary="One document", responses=READ)
async def get_document(document_id: uuid.UUID, session: SessionDep, auth: ReaderDep) -> DocumentOut:
    row = await service.get_document(session, auth.scope, document_id)
    return DocumentOut.model_validate(row._mapping)


@router.delete(
    "/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a document with its passages",
    responses=problem_responses(401, 403, 404, 422),
)
async def delete_document(
    document_id: uuid.UUID, session: SessionDep, auth: AnalystDep
) -> Response:
    await service.delete_document(session, auth.actor, document_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""Documents: upload (read during the request, or by a job when large), list, read,
delete, and hybrid search over their passages.

Reading a document is: extract its text (app/documents/extract.py), cut it into passages
(chunking.py), embed them (embedder.py), store them. A PDF of up to
`DOCUMENT_SYNC_MAX_PAGES` pages or a text or Markdown file of up to
`DOCUMENT_SYNC_MAX_BYTES` is read during the request, with no transaction open while it
computes, and stored ready (201). A larger one is stored `pending` with its file, and its
ingestion job is queued in the same transaction (202); the job reports its progress on the
document and leaves it `ready`, or `failed` with the reason when its text cannot be read.

`search` is what the chat engine calls to ground its answers (see its docstring).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.clients import service as clients_service
from app.core import idempotency, jobs
from app.core.config import Settings
from app.core.db import Database, SessionOpener
from app.core.enums import DocumentStatus
from app.core.errors import (
    AppError,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    UnprocessableEntity,
)
from app.core.scope import Actor, TenantScope
from app.documents.chunking import Chunk, chunk
from app.documents.embedder import Embedder, EmbeddingError, tenant_embedder
from app.documents.extract import (
    CONTENT_TYPES,
    DocumentKind,
    ExtractionError,
    UnsupportedDocument,
    extract,
    kind_of,
    pdf_pages,
)
from app.documents.models import Document, DocumentUpload
from app.documents.repository import (
    ChunkRepository,
    DocumentRepository,
    PassageSearch,
    UploadRepository,
)
from app.documents.schemas import DocumentOut, ReindexOut
from app.tenants import audit
from app.tenants import service as tenants_service

logger = logging.getLogger(__name__)

INGEST_TASK = "documents.ingest"
REEMBED_TASK = "documents.reembed"
DOCUMENT_NOT_FOUND = "Document not found"
AGENT_NOT_FOUND = "Agent not found"
MAX_QUERY_CHARS = 500
EMBED_STEP = 64  # passages embedded between two progress updates of a job
MAX_K = 20
_KINDS = {content_type: kind for kind, content_type in CONTENT_TYPES.items()}
# Progress of a job: the text read at READ, then embedding up to 100.
READ = 10


class UnsupportedMediaType(AppError):
    status_code = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    content_type: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class Passage:
    """A passage found by `search`, with the ranks that found it (1-based; None when that
    list did not return it) and its fused score."""

    document_id: uuid.UUID
    chunk_id: uuid.UUID
    filename: str
    heading: str | None
    page: int | None
    text: str
    score: float
    text_rank: int | None
    vector_rank: int | None


# --- upload ------------------------------------------------------------------------------


def file_digest(upload: Upload) -> str:
    return hashlib.sha256(upload.data).hexdigest()


def _file_problem(message: str) -> UnprocessableEntity:
    return UnprocessableEntity(
        message, errors=[{"loc": ["body", "file"], "msg": message, "type": "value_error"}]
    )


def check_file(settings: Settings, upload: Upload) -> DocumentKind:
    """The kind of an acceptable file: 413 over DOCUMENT_MAX_BYTES, 415 for a kind not read
    here, 422 when it is empty."""
    if len(upload.data) > settings.document_max_bytes:
        raise PayloadTooLarge(
            f"The file is larger than {settings.document_max_bytes} bytes (DOCUMENT_MAX_BYTES)"
        )
    try:
        kind = kind_of(upload.content_type, upload.filename)
    except UnsupportedDocument as exc:
        raise UnsupportedMediaType(str(exc))
    if not upload.data.strip():
        raise _file_problem("The file is empty")
    return kind


async def _check_targets(
    session: AsyncSession,
    scope: TenantScope,
    client_id: uuid.UUID | None,
    agent_id: uuid.UUID | None,
) -> None:
    """404 unless the client and the agent, when given, are the tenant's."""
    if client_id is not None:
        await clients_service.ensure_client(session, scope, client_id)
    if agent_id is not None and not await DocumentRepository(session, scope).agent_exists(agent_id):
        raise NotFound(AGENT_NOT_FOUND)


def _read(data: bytes, kind: DocumentKind) -> tuple[list[Chunk], int | None]:
    """Passages and pages of a file (CPU: run in a thread)."""
    extracted = extract(data, kind)
    chunks = chunk(extracted.sections)
    if not chunks:
        raise ExtractionError("The file has no text")
    return chunks, extracted.pages


def _deferred(settings: Settings, kind: DocumentKind, size: int, pages: int | None) -> bool:
    if kind is DocumentKind.pdf:
        return (pages or 0) > settings.document_sync_max_pages
    return size > settings.document_sync_max_bytes


async def upload(
    db: Database,
    settings: Settings,
    embedder: Embedder,
    actor: Actor,
    file: Upload,
    *,
    client_id: uuid.UUID | None,
    agent_id: uuid.UUID | None,
    language: str | None,
    idempotency_key: str | None,
    request_hash: str,
) -> JSONResponse:
    """Store a document: read now (201, `ready`) or by a job (202, `pending`)."""
    kind = check_file(settings, file)
    scope = actor.scope
    async with db.session() as session:  # fail fast on a wrong client or agent
        await _check_targets(session, scope, client_id, agent_id)
    pages: int | None = None
    if kind is DocumentKind.pdf:
        try:
            pages = await asyncio.to_thread(pdf_pages, file.data)
        except ExtractionError as exc:
            raise _file_problem(str(exc))
    document = Document(
        id=uuid.uuid4(),
        filename=file.filename[:255],
        content_type=CONTENT_TYPES[kind],
        size_bytes=len(file.data),
        sha256=file_digest(file),
        client_id=client_id,
        agent_id=agent_id,
        pages=pages,
        chunks=0,
    )
    if _deferred(settings, kind, len(file.data), pages):
        return await _store_pending(
            db, actor, document, file.data, language, idempotency_key, request_hash
        )
    try:
        chunks, document.pages = await asyncio.to_thread(_read, file.data, kind)
    except ExtractionError as exc:
        raise _file_problem(str(exc))
    try:
        vectors = await embedder.embed([c.for_embedding() for c in chunks])
    except EmbeddingError as exc:
        raise ServiceUnavailable(str(exc))
    async with db.session() as session, session.begin():
        claimed = await idempotency.claim(session, scope, idempotency_key, request_hash)
        if isinstance(claimed, JSONResponse):
            return claimed
        await _check_targets(session, scope, client_id, agent_id)  # not deleted meanwhile
        document.language = language or await _tenant_language(session, scope)
        document.status = DocumentStatus.ready.value
        document.chunks = len(chunks)
        document.details = {"progress": 100}
        DocumentRepository(session, scope).add(document)
        await session.flush()
        await ChunkRepository(session, scope).replace(
            document.id, _chunk_rows(chunks, vectors, document.language, embedder.model)
        )
        body, headers = await _created(session, actor, scope, document)
        await claimed.complete(session, 201, body, headers)
    return JSONResponse(body, status_code=201, headers=headers)


async def _store_pending(
    db: Database,
    actor: Actor,
    document: Document,
    data: bytes,
    language: str | None,
    idempotency_key: str | None,
    request_hash: str,
) -> JSONResponse:
    """The document `pending`, its file, its job in the queue and the Idempotency-Key's
    answer, in one transaction (a job is never queued without its document, nor twice)."""
    scope = actor.scope
    async with db.session() as session, session.begin():
        claimed = await idempotency.claim(session, scope, idempotency_key, request_hash)
        if isinstance(claimed, JSONResponse):
            return claimed
        await _check_targets(session, scope, document.client_id, document.agent_id)
        document.language = language or await _tenant_language(session, scope)
        document.status = DocumentStatus.pending.value
        document.job_id = uuid.uuid4()
        worker_job = await jobs.defer(
            session,
            INGEST_TASK,
            {"tenant_id": str(scope.tenant_id), "document_id": str(document.id)},
            lock=f"document-{document.id}",
        )
        document.details = {"progress": 0, "worker_job_id": worker_job}
        DocumentRepository(session, scope).add(document)
        await session.flush()
        UploadRepository(session, scope).add(DocumentUpload(document_id=document.id, content=data))
        body, headers = await _created(session, actor, scope, document)
        await claimed.complete(session, 202, body, headers)
    return JSONResponse(body, status_code=202, headers=headers)


async def _tenant_language(session: AsyncSession, scope: TenantScope) -> str:
    return (await tenants_service.get_current_tenant(session, scope)).language


async def _created(
    session: AsyncSession, actor: Actor, scope: TenantScope, document: Document
) -> tuple[dict[str, Any], dict[str, str]]:
    """Audit the upload; the answer's body and headers."""
    await session.flush()
    audit.record(
        session,
        actor,
        "document.create",
        "document",
        document.id,
        {
            "filename": document.filename,
            "status": document.status,
            "client_id": str(document.client_id) if document.client_id else None,
            "agent_id": str(document.agent_id) if document.agent_id else None,
        },
    )
    row = await DocumentRepository(session, scope).row(document.id)
    body = DocumentOut.model_validate(row._mapping).model_dump(mode="json")  # type: ignore[union-attr]
    return body, {"Location": f"/api/v1/documents/{document.id}"}


def _chunk_rows(
    chunks: list[Chunk], vectors: list[list[float]], language: str, model: str
) -> list[dict[str, Any]]:
    return [
        {
            "position": position,
            "heading": c.heading,
            "page": c.page,
            "text": c.text,
            "language": language,
            "embedding": vector,
            "embedding_model": model,
        }
        for position, (c, vector) in enumerate(zip(chunks, vectors, strict=True))
    ]


async def embedder_of(
    session: AsyncSession,
    scope: TenantScope,
    settings: Settings,
    default: Embedder,
    http_client: Any = None,
) -> Embedder:
    """The tenant's embedder (`embedder.tenant_embedder`), its AI settings read now."""
    tenant = await tenants_service.get_current_tenant(session, scope)
    tenant_ai = tenants_service.engine_settings(tenant, settings)
    return await tenant_embedder(default, settings, tenant_ai, http_client)


# --- the ingestion job -------------------------------------------------------------------


async def ingest(
    db: Database, embedder: Embedder, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> None:
    """Read a pending document: extract, chunk, embed (progress after each batch), store.
    Safe to run again after an interruption: a document no longer pending is left alone,
    and its chunks are written once, with its status, in the last transaction."""
    scope = TenantScope(tenant_id)
    async with db.session() as session, session.begin():
        found = await DocumentRepository(session, scope).for_ingestion(document_id)
        data = await UploadRepository(session, scope).content(document_id)
    if found is None or found.status != DocumentStatus.pending.value:
        return  # deleted meanwhile, or done by an earlier attempt
    if data is None:
        await fail(db, scope, document_id, "The uploaded file is gone; upload it again")
        return
    try:
        chunks, pages = await asyncio.to_thread(_read, data, _KINDS[found.content_type])
    except ExtractionError as exc:
        await fail(db, scope, document_id, str(exc))
        return
    del data
    await _progress(db, scope, document_id, READ)
    vectors = await _embed_with_progress(
        db, scope, document_id, embedder, [c.for_embedding() for c in chunks], READ
    )
    async with db.session() as session, session.begin():
        documents = DocumentRepository(session, scope)
        found = await documents.for_ingestion(document_id)
        if found is None or found.status != DocumentStatus.pending.value:
            return
        await ChunkRepository(session, scope).replace(
            document_id, _chunk_rows(chunks, vectors, found.language, embedder.model)
        )
        await UploadRepository(session, scope).remove(document_id)
        await documents.set_values(
            document_id,
            status=DocumentStatus.ready.value,
            chunks=len(chunks),
            pages=pages,
            error=None,
            details={"progress": 100},
        )


async def fail(db: Database, scope: TenantScope, document_id: uuid.UUID, error: str) -> None:
    """A pending document whose text cannot be read: `failed`, with why; its file goes."""
    async with db.session() as session, session.begin():
        documents = DocumentRepository(session, scope)
        found = await documents.for_ingestion(document_id)
        if found is None or found.status != DocumentStatus.pending.value:
            return
        await UploadRepository(session, scope).remove(document_id)
        await documents.set_values(
            document_id,
            status=DocumentStatus.failed.value,
            error=error[:2000],
            details={"progress": 100},
        )


# --- re-embedding ------------------------------------------------------------------------


async def reindex(db: Database, actor: Actor, embedder: Embedder) -> ReindexOut:
    """Queue a job per document of the tenant with passages of another model than its
    embedder's (after the tenant changed its `embedding_model`): they stay searchable by
    their words meanwhile, and by meaning once the job is done. Safe to repeat."""
    scope = actor.scope
    async with db.session() as session, session.begin():
        ids = await ChunkRepository(session, scope).documents_not_of(embedder.model)
        documents = DocumentRepository(session, scope)
        for document_id in ids:
            await jobs.defer(
                session,
                REEMBED_TASK,
                {
                    "tenant_id": str(scope.tenant_id),
                    "document_id": str(document_id),
                    "model": embedder.model,
                },
                lock=f"document-{document_id}",
            )
            await documents.set_progress(document_id, 0, DocumentStatus.ready)
        audit.record(
            session,
            actor,
            "document.reindex",
            "document",
            None,
            {"model": embedder.model, "documents": len(ids)},
        )
    return ReindexOut(model=embedder.model, document_ids=ids)


async def reembed(
    db: Database, embedder: Embedder, tenant_id: uuid.UUID, document_id: uuid.UUID, model: str
) -> None:
    """Embed again, with `embedder`, a document's passages of another model (progress
    after each batch); they switch to the new vectors together, in one transaction. A job
    queued for another model than the tenant's embedder now has is left undone."""
    scope = TenantScope(tenant_id)
    if embedder.model != model:
        await _progress(db, scope, document_id, 100, DocumentStatus.ready)
        return
    async with db.read_session() as session:
        rows = await ChunkRepository(session, scope).not_of(document_id, model)
    texts = [Chunk(r.heading, r.page, r.text).for_embedding() for r in rows]
    vectors = await _embed_with_progress(
        db, scope, document_id, embedder, texts, 0, DocumentStatus.ready
    )
    async with db.session() as session, session.begin():
        await ChunkRepository(session, scope).set_vectors(
            [(r.id, v) for r, v in zip(rows, vectors, strict=True)], model
        )
        await DocumentRepository(session, scope).set_progress(
            document_id, 100, DocumentStatus.ready
        )


async def _embed_with_progress(
    db: Database,
    scope: TenantScope,
    document_id: uuid.UUID,
    embedder: Embedder,
    texts: list[str],
    start_at: int,
    status: DocumentStatus = DocumentStatus.pending,
) -> list[list[float]]:
    """`texts` embedded `EMBED_STEP` at a time; the document's progress goes from
    `start_at` towards 100 after each step but the last (its caller writes 100 with the
    vectors)."""
    vectors: list[list[float]] = []
    for start in range(0, len(texts), EMBED_STEP):
        vectors.extend(await embedder.embed(texts[start : start + EMBED_STEP]))
        if len(vectors) < len(texts):
            done = start_at + (100 - start_at) * len(vectors) // len(texts)
            await _progress(db, scope, document_id, done, status)
    return vectors


async def reembed_failed(db: Database, scope: TenantScope, document_id: uuid.UUID) -> None:
    """A re-embedding given up: the document is as it was (its progress back to 100)."""
    await _progress(db, scope, document_id, 100, DocumentStatus.ready)


async def _progress(
    db: Database,
    scope: TenantScope,
    document_id: uuid.UUID,
    value: int,
    status: DocumentStatus = DocumentStatus.pending,
) -> None:
    async with db.session() as session, session.begin():
        await DocumentRepository(session, scope).set_progress(document_id, value, status)


# --- reads and delete --------------------------------------------------------------------


async def list_documents(
    session: AsyncSession,
    scope: TenantScope,
    *,
    limit: int,
    offset: int,
    client_id: uuid.UUID | None = None,
    agent_id: uuid.UUID | None = None,
    status: str | None = None,
) -> tuple[list[Row[Any]], int]:
    return await DocumentRepository(session, scope).page(
        limit=limit, offset=offset, client_id=client_id, agent_id=agent_id, status=status
    )


async def get_document(session: AsyncSession, scope: TenantScope, document_id: uuid.UUID) -> Any:
    row = await DocumentRepository(session, scope).row(document_id)
    if row is None:
        raise NotFound(DOCUMENT_NOT_FOUND)
    return row


async def delete_document(session: AsyncSession, actor: Actor, document_id: uuid.UUID) -> None:
    """Delete a document with its passages (and its file, if a job had not read it yet);
    a job still queued for it then finds nothing to do."""
    deleted = await DocumentRepository(session, actor.scope).delete_returning(document_id)
    if deleted is None:
        raise NotFound(DOCUMENT_NOT_FOUND)
    audit.record(
        session, actor, "document.delete", "document", document_id, {"filename": deleted.filename}
    )


# --- search ------------------------------------------------------------------------------


async def search(
    sessions: SessionOpener,
    scope: TenantScope,
    query: str,
    *,
    client_id: uuid.UUID | None = None,
    agent_id: uuid.UUID | None = None,
    k: int = 5,
    embedder: Embedder,
) -> list[Passage]:
    """The `k` passages of the tenant's ready documents that best answer `query`, best
    first. Stable: the chat engine grounds its answers on it.

    Hybrid: the 50 best by full-text search (the query's words, any of them, stemmed in
    each passage's language, ranked by `ts_rank`) and the 50 nearest by embedding
    (cosine distance, HNSW with an iterative scan; only passages embedded by
    `embedder.model`, so a tenant with passages of another model still finds them by
    their words) are fused by reciprocal rank (score = sum of 1 / (60 + rank)).

    Visibility: always the tenant's own documents first; with `client_id` (`agent_id`),
    only the documents of no client (agent) and those of that client (agent): a document
    uploaded without either serves all of the tenant's agents. None: no restriction on
    that side.

    `query` is stripped and cut to 500 characters; `k` is clamped to 1..20; an empty
    query finds nothing. When the embedder fails (an endpoint down), the search goes on
    by text alone (`vector_rank` null everywhere). The query is embedded first (CPU in a
    thread, or the embedding endpoint's call), and only then is a session opened with
    `sessions`: no connection waits on an embedding endpoint. That session may be in a
    transaction (the search's planner and HNSW settings are then `SET LOCAL` in it, until
    it ends) or in autocommit (the search then runs in a short one of its own).
    """
    text = query.strip()[:MAX_QUERY_CHARS]
    if not text:
        return []
    k = max(1, min(MAX_K, k))
    model: str | None = embedder.model
    try:
        vector = (await embedder.embed([text]))[0]
    except EmbeddingError:  # logged by the embedder: the words alone still find passages
        vector, model = [0.0] * embedder.dimensions, None
    async with sessions() as session:
        rows = await PassageSearch(session, scope).run(
            text, vector, model, client_id=client_id, agent_id=agent_id, k=k
        )
    return [
        Passage(
            document_id=r["document_id"],
            chunk_id=r["chunk_id"],
            filename=r["filename"],
            heading=r["heading"],
            page=r["page"],
            text=r["text"],
            score=float(r["score"]),
            text_rank=r["text_rank"],
            vector_rank=r["vector_rank"],
        )
        for r in rows
    ]

"""Every query of the documents domain, each limited to the caller's tenant first.

`PassageSearch` is the retrieval query: full-text and vector candidates of the tenant's
ready documents, fused by reciprocal rank, in one statement on the session's own asyncpg
connection (the statement is hand-written SQL either way; the ORM would only add its
overhead to the hottest read the chat makes).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Row,
    Table,
    Uuid,
    bindparam,
    case,
    column,
    delete,
    func,
    insert,
    select,
    table,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import driver_connection
from app.core.enums import DocumentStatus
from app.core.repository import TenantRepository
from app.documents.models import Document, DocumentChunk, DocumentUpload

# The agent table, read by id and tenant only: app.agents is a sibling layer that this
# domain may not import.
_AGENT = table("agent", column("id", Uuid), column("tenant_id", Uuid))


def document_columns() -> tuple[Any, ...]:
    """What the API shows of a document: its columns, and its ingestion's progress (kept
    in `details`)."""
    return (
        Document.id,
        Document.filename,
        Document.content_type,
        Document.language,
        Document.size_bytes,
        Document.sha256,
        Document.status,
        Document.pages,
        Document.chunks,
        Document.error,
        Document.client_id,
        Document.agent_id,
        Document.job_id,
        func.coalesce(
            Document.details["progress"].as_integer(),
            case((Document.status == DocumentStatus.pending.value, 0), else_=100),
        ).label("progress"),
        Document.created_at,
        Document.updated_at,
    )


class DocumentRepository(TenantRepository[Document]):
    model = Document

    async def row(self, document_id: uuid.UUID) -> Row[Any] | None:
        query = self._scoped(*document_columns()).where(Document.id == document_id)
        return (await self.session.execute(query)).first()

    async def page(
        self,
        *,
        limit: int,
        offset: int,
        client_id: uuid.UUID | None = None,
        agent_id: uuid.UUID | None = None,
        status: str | None = None,
    ) -> tuple[list[Row[Any]], int]:
        query = self._scoped(*document_columns())
        if client_id is not None:
            query = query.where(Document.client_id == client_id)
        if agent_id is not None:
            query = query.where(Document.agent_id == agent_id)
        if status is not None:
            query = query.where(Document.status == status)
        order = (Document.created_at.desc(), Document.id.desc())
        result, total = await self.paginate(query, order, limit=limit, offset=offset)
        return list(result.all()), total

    async def delete_returning(self, document_id: uuid.UUID) -> Any:
        """Delete a document (its chunks go with it: ON DELETE CASCADE); what it was."""
        statement = (
            delete(Document)
            .where(Document.tenant_id == self.tenant_id, Document.id == document_id)
            .returning(Document.id, Document.filename, Document.client_id, Document.agent_id)
        )
        return (await self.session.execute(statement)).first()

    async def agent_exists(self, agent_id: uuid.UUID) -> bool:
        query = select(_AGENT.c.id).where(
            _AGENT.c.tenant_id == self.tenant_id, _AGENT.c.id == agent_id
        )
        return (await self.session.execute(query)).first() is not None

    async def for_ingestion(self, document_id: uuid.UUID) -> Row[Any] | None:
        """(status, content_type, language) of a document, locked: its ingestion job
        reads it before the work and again before it stores the result."""
        query = (
            self._scoped(Document.status, Document.content_type, Document.language)
            .where(Document.id == document_id)
            .with_for_update()
        )
        return (await self.session.execute(query)).first()

    async def set_values(self, document_id: uuid.UUID, **values: Any) -> None:
        await self.session.execute(
            update(Document)
            .where(Document.tenant_id == self.tenant_id, Document.id == document_id)
            .values(**values)
        )

    async def set_progress(
        self, document_id: uuid.UUID, progress: int, status: DocumentStatus = DocumentStatus.pending
    ) -> None:
        """Progress of a pending document's ingestion (of a ready one's re-embedding)."""
        await self.session.execute(
            update(Document)
            .where(
                Document.tenant_id == self.tenant_id,
                Document.id == document_id,
                Document.status == status.value,
            )
            .values(details=Document.details.op("||")({"progress": progress}))
        )


class UploadRepository(TenantRepository[DocumentUpload]):
    model = DocumentUpload

    async def content(self, document_id: uuid.UUID) -> bytes | None:
        query = self._scoped(DocumentUpload.content).where(
            DocumentUpload.document_id == document_id
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def remove(self, document_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(DocumentUpload).where(
                DocumentUpload.tenant_id == self.tenant_id,
                DocumentUpload.document_id == document_id,
            )
        )


class ChunkRepository(TenantRepository[DocumentChunk]):
    model = DocumentChunk

    async def replace(self, document_id: uuid.UUID, rows: Sequence[dict[str, Any]]) -> None:
        """The document's chunks become `rows` (a retried job writes them once)."""
        await self.session.execute(
            delete(DocumentChunk).where(
                DocumentChunk.tenant_id == self.tenant_id,
                DocumentChunk.document_id == document_id,
            )
        )
        if rows:
            values = [
                {**row, "id": uuid.uuid4(), "tenant_id": self.tenant_id, "document_id": document_id}
                for row in rows
            ]
            await self.session.execute(insert(DocumentChunk), values)

    async def documents_not_of(self, model: str) -> list[uuid.UUID]:
        """The tenant's documents with passages embedded by another model than `model`."""
        query = (
            self._scoped(DocumentChunk.document_id)
            .where(DocumentChunk.embedding_model != model)
            .distinct()
            .order_by(DocumentChunk.document_id)
        )
        return list((await self.session.execute(query)).scalars())

    async def not_of(self, document_id: uuid.UUID, model: str) -> list[Row[Any]]:
        """A document's passages embedded by another model: (id, heading, page, text)."""
        query = (
            self._scoped(
                DocumentChunk.id, DocumentChunk.heading, DocumentChunk.page, DocumentChunk.text
            )
            .where(DocumentChunk.document_id == document_id, DocumentChunk.embedding_model != model)
            .order_by(DocumentChunk.position)
        )
        return list((await self.session.execute(query)).all())

    async def set_vectors(
        self, vectors: Sequence[tuple[uuid.UUID, list[float]]], model: str
    ) -> None:
        """Each passage's new vector, of `model` (one statement, executed for each)."""
        if not vectors:
            return
        chunks: Table = DocumentChunk.__table__  # type: ignore[assignment]
        statement = (
            update(chunks)
            .where(chunks.c.tenant_id == self.tenant_id, chunks.c.id == bindparam("chunk_id"))
            .values(embedding=bindparam("vector"), embedding_model=model)
        )
        await self.session.execute(statement, [{"chunk_id": c, "vector": v} for c, v in vectors])


# --- retrieval ---------------------------------------------------------------------------

# Candidates each way, fused by reciprocal rank with RRF_K.
CANDIDATES = 50
RRF_K = 60
# Settings of the search's transaction (SET LOCAL, in one round trip; they last until the
# transaction ends, and touch nothing but plans and HNSW scans). Custom plans (the
# tenant's id is known to the planner): a tenant with few passages is scanned exactly
# through its index, a large one through HNSW; the generic plan (DB_PLAN_CACHE_MODE) took
# HNSW for every tenant, and a tenant of 300 passages beside one of 20,000 waited for the
# index to walk past the other's (43 ms instead of 1.5). HNSW with a filter: an iterative
# scan goes on until it has CANDIDATES rows that pass (ef_search alone caps what one scan
# returns); relaxed order, re-sorted below.
SEARCH_SETTINGS = (
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
    "set_config('hnsw.iterative_scan', 'relaxed_order', true), "
    f"set_config('hnsw.ef_search', '{CANDIDATES * 2}', true)"
)

# The query's words, any of them: its tsquery in each configuration with AND turned into
# OR (a question's words are rarely all in the passage that answers it: with AND, text
# alone found 4 of the labelled set's 47 answers in its top 5, with OR 43). A chunk is
# matched and ranked in its own language's configuration, as its tsvector was made, by
# ts_rank: with OR it favours passages with more of the query's words, and costs half of
# ts_rank_cd (the same hybrid recall on the labelled set), which matters when a common
# word matches thousands of a tenant's passages; the best 50 are taken by a top-N sort
# and numbered after (numbering every match first cost 15% more).
_QUERY_ES = "replace(plainto_tsquery('spanish', $2)::text, ' & ', ' | ')::tsquery"
_QUERY_EN = "replace(plainto_tsquery('english', $2)::text, ' & ', ' | ')::tsquery"
# Visible passages: ready documents of the tenant; with a client (an agent) given, those
# of no client (agent) and those of that one.
_VISIBLE = (
    "c.tenant_id = $1 AND d.tenant_id = $1 AND d.status = 'ready' "
    "AND ($5::uuid IS NULL OR d.client_id IS NULL OR d.client_id = $5) "
    "AND ($6::uuid IS NULL OR d.agent_id IS NULL OR d.agent_id = $6)"
)
_SEARCH_SQL = """
WITH text_hits AS (
    SELECT id, row_number() OVER (ORDER BY score DESC, id) AS rank FROM (
        SELECT c.id, ts_rank(c.tsv, CASE WHEN c.language = 'es' THEN {QUERY_ES}
                                         ELSE {QUERY_EN} END) AS score
        FROM document_chunk c JOIN document d ON d.id = c.document_id
        WHERE {VISIBLE}
          AND ((c.language = 'es' AND c.tsv @@ {QUERY_ES})
               OR (c.language <> 'es' AND c.tsv @@ {QUERY_EN}))
        ORDER BY score DESC, c.id
        LIMIT {CANDIDATES}
    ) best
), nearest AS MATERIALIZED (
    SELECT c.id, c.embedding <=> CAST($3::text AS vector) AS distance
    FROM document_chunk c JOIN document d ON d.id = c.document_id
    WHERE {VISIBLE} AND c.embedding_model = $4
    ORDER BY c.embedding <=> CAST($3::text AS vector)
    LIMIT {CANDIDATES}
), vector_hits AS (
    SELECT id, row_number() OVER (ORDER BY distance, id) AS rank FROM nearest
), fused AS (
    SELECT coalesce(t.id, v.id) AS id, t.rank AS text_rank, v.rank AS vector_rank,
           coalesce(1.0 / ({RRF_K} + t.rank), 0) + coalesce(1.0 / ({RRF_K} + v.rank), 0)
               AS score
    FROM text_hits t FULL JOIN vector_hits v ON v.id = t.id
), best AS (
    SELECT * FROM fused f ORDER BY {order} LIMIT $7
)
SELECT f.id AS chunk_id, c.document_id, d.filename, c.heading, c.page, c.text,
       f.score::float8 AS score, f.text_rank, f.vector_rank
FROM best f
JOIN document_chunk c ON c.id = f.id AND c.tenant_id = $1
JOIN document d ON d.id = c.document_id AND d.tenant_id = $1
ORDER BY {order}
"""
# The answer's order: fused (what search returns), or one list's alone (bench.retrieval
# compares them on the labelled set).
ORDERS = {
    "fused": "f.score DESC, f.text_rank NULLS LAST, f.id",
    "text": "f.text_rank NULLS LAST, f.id",
    "vector": "f.vector_rank NULLS LAST, f.id",
}
SEARCH_SQL = {
    name: _SEARCH_SQL.format(
        QUERY_ES=_QUERY_ES,
        QUERY_EN=_QUERY_EN,
        VISIBLE=_VISIBLE,
        CANDIDATES=CANDIDATES,
        RRF_K=RRF_K,
        order=order,
    )
    for name, order in ORDERS.items()
}


class PassageSearch:
    """Hybrid retrieval over the tenant's passages, on the session's connection."""

    def __init__(self, session: AsyncSession, scope: Any) -> None:
        self.session = session
        self.tenant_id: uuid.UUID = scope.tenant_id

    async def run(
        self,
        query: str,
        vector: Sequence[float],
        model: str | None,
        *,
        client_id: uuid.UUID | None,
        agent_id: uuid.UUID | None,
        k: int,
        order: str = "fused",
    ) -> list[Any]:
        """The passages best for `query`, fused (or in one list's order): the vector list
        compares `vector` with the passages embedded by `model` (None: no vector list)."""
        conn = await driver_connection(self.session)
        args = (
            self.tenant_id,
            query,
            _vector_text(vector),
            model,
            client_id,
            agent_id,
            k,
        )
        sql = SEARCH_SQL[order]
        if conn.is_in_transaction():
            return await self._fetch(conn, sql, args)
        # An autocommit session (a GET's): SET LOCAL needs a transaction of its own.
        async with conn.transaction():
            return await self._fetch(conn, sql, args)

    async def _fetch(self, conn: Any, sql: str, args: tuple[Any, ...]) -> list[Any]:
        await conn.execute(SEARCH_SETTINGS)
        return list(await conn.fetch(sql, *args))


def _vector_text(vector: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"

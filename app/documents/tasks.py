"""procrastinate tasks of the documents domain: a large document's ingestion, and a
document's passages embedded again after the tenant changed its embedding model."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import httpx
from procrastinate import JobContext, RetryStrategy

from app.core.config import Settings
from app.core.db import Database
from app.core.jobs import QUEUE, jobs_app
from app.core.scope import TenantScope
from app.documents import service
from app.documents.embedder import Embedder

logger = logging.getLogger(__name__)


@dataclass
class IngestContext:
    """What ingestion jobs need from the process that runs them (set when its worker
    starts): the database, the process's one embedder, and what a tenant's own embedding
    endpoint needs (settings, the shared HTTP client)."""

    db: Database
    embedder: Embedder
    settings: Settings
    http_client: httpx.AsyncClient | None = None


_context: IngestContext | None = None


def set_ingest_context(context: IngestContext | None) -> None:
    global _context
    _context = context


# Retried when an attempt fails (the database or the embedding endpoint went away) 5, 10,
# 15 s later; the last one leaves the document `failed` instead of `pending` for ever.
INGEST_RETRY = RetryStrategy(max_attempts=3, linear_wait=5)


async def _tenant_embedder(context: IngestContext, tenant: uuid.UUID) -> Embedder:
    async with context.db.read_session() as session:
        return await service.embedder_of(
            session, TenantScope(tenant), context.settings, context.embedder, context.http_client
        )


@jobs_app.task(name=service.REEMBED_TASK, queue=QUEUE, retry=INGEST_RETRY, pass_context=True)
async def reembed_document(job: JobContext, tenant_id: str, document_id: str, model: str) -> None:
    if _context is None:
        raise RuntimeError("ingestion context not set: start workers through app.core.jobs")
    tenant, document = uuid.UUID(tenant_id), uuid.UUID(document_id)
    try:
        embedder = await _tenant_embedder(_context, tenant)
        await service.reembed(_context.db, embedder, tenant, document, model)
    except Exception:
        if job.job.attempts >= (INGEST_RETRY.max_attempts or 0):
            # The passages keep their earlier vectors (still found by their words).
            logger.exception("re-embedding of document %s failed for good", document_id)
            await service.reembed_failed(_context.db, TenantScope(tenant), document)
        raise


@jobs_app.task(name=service.INGEST_TASK, queue=QUEUE, retry=INGEST_RETRY, pass_context=True)
async def ingest_document(job: JobContext, tenant_id: str, document_id: str) -> None:
    if _context is None:
        raise RuntimeError("ingestion context not set: start workers through app.core.jobs")
    tenant, document = uuid.UUID(tenant_id), uuid.UUID(document_id)
    try:
        embedder = await _tenant_embedder(_context, tenant)
        await service.ingest(_context.db, embedder, tenant, document)
    except Exception as exc:
        if job.job.attempts >= (INGEST_RETRY.max_attempts or 0):
            logger.exception("ingestion of document %s failed for good", document_id)
            await service.fail(
                _context.db,
                TenantScope(tenant),
                document,
                f"The document could not be indexed ({type(exc).__name__}); upload it again",
            )
        raise

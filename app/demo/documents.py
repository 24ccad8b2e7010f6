"""The demo agency's documents, in Spanish (app/demo/texts/): a bank's service guide and a
sports shop's policies (each its client's) and how to read the agency's reports (for
every client), so the demo assistant retrieves real passages offline. Uploaded through
the documents' own service, as an upload through the API would be."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from sqlalchemy import select

from app.clients.models import Client
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import ServiceUnavailable
from app.core.scope import Actor
from app.documents import service
from app.documents.embedder import Embedder
from app.documents.models import Document

logger = logging.getLogger(__name__)

TEXTS = Path(__file__).parent / "texts"
# File -> the demo client it belongs to (None: every client's).
DEMO_DOCUMENTS: dict[str, str | None] = {
    "banco-andino-atencion.md": "Banco Andino",
    "vertice-sport-politicas.md": "Vértice Sport",
    "agencia-como-leer-los-informes.md": None,
}


async def seed_demo_documents(
    db: Database, settings: Settings, embedder: Embedder, tenant_id: uuid.UUID
) -> int:
    """Uploads the demo documents the tenant does not have yet (by file name); how many.
    Safe to run again; a document the embedder cannot embed now is left for the next
    run (the server still starts)."""
    async with db.session() as session:
        have = set(
            (
                await session.execute(
                    select(Document.filename).where(Document.tenant_id == tenant_id)
                )
            ).scalars()
        )
        clients = dict(
            (
                await session.execute(
                    select(Client.name, Client.id).where(Client.tenant_id == tenant_id)
                )
            )
            .tuples()
            .all()
        )
    actor = Actor(tenant_id=tenant_id)
    added = 0
    for filename, client in DEMO_DOCUMENTS.items():
        if filename in have or (client is not None and client not in clients):
            continue
        try:
            await service.upload(
                db,
                settings,
                embedder,
                actor,
                service.Upload(filename, "text/markdown", (TEXTS / filename).read_bytes()),
                client_id=clients[client] if client else None,
                agent_id=None,
                language="es",
                idempotency_key=None,
                request_hash="",
            )
        except ServiceUnavailable as exc:  # an embedding endpoint down: start without it
            logger.warning("demo document %s not added: %s", filename, exc)
            continue
        added += 1
    return added

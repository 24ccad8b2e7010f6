"""Large documents are read by a procrastinate job, on a database of its own (the worker
uses its own connections, so this data is committed): 202 with the document `pending`,
its file kept until the job reads it, progress that only moves forward, then `ready` and
searchable; a PDF without text ends `failed` with why; a document deleted before its job
runs is simply gone; an Idempotency-Key queues one job; the last failed attempt leaves it
`failed`, not `pending` for ever."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from app.core.config import Settings
from app.core.db import Database
from app.core.jobs import run_worker
from app.core.scope import TenantScope
from app.documents import service
from app.documents.embedder import Embedder
from app.documents.models import Document, DocumentChunk, DocumentUpload
from app.documents.repository import PassageSearch
from app.documents.tasks import (
    INGEST_RETRY,
    IngestContext,
    ingest_document,
    set_ingest_context,
)
from app.main import create_app
from tests.documents.conftest import URL
from tests.documents.pdf import pdf_bytes, wrap
from tests.test_migrations import migrated_database


@pytest.fixture(scope="module")
async def env(
    postgres_url: str, embedder: Embedder
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    async with migrated_database(postgres_url, "documents_jobs") as url:
        settings = Settings(
            environment="test",
            seed_demo=False,
            run_worker_in_process=False,
            document_sync_max_pages=1,
            document_sync_max_bytes=2000,
            ai_endpoint_allowed_hosts=["fake-openai.test"],
            _env_file=None,
        )  # type: ignore[call-arg]
        db = Database(url, pool_size=6)
        app = create_app(settings, db=db)
        async with app.router.lifespan_context(app):
            # The session's embedder (its model is loaded once for every test).
            app.state.embedder = embedder
            set_ingest_context(IngestContext(db, embedder, app.state.settings))
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                r = await client.post(
                    "/api/v1/auth/register",
                    json={
                        "tenant_name": "Docs",
                        "email": "docs@example.com",
                        "password": "docs-password",
                        "full_name": "D",
                    },
                )
                client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
                yield app, client
        await db.dispose()


@pytest.fixture(scope="module")
def embedder(app: Any) -> Embedder:
    found: Embedder = app.state.embedder
    return found


def _long_text(paragraphs: int) -> str:
    return "\n\n".join(
        f"Cláusula {i}. El cliente puede solicitar la devolución de cargos no reconocidos "
        f"dentro de los {i + 10} días siguientes a la fecha del estado de cuenta, por la app "
        "o en cualquier agencia, presentando su documento de identidad y el detalle del cargo."
        for i in range(paragraphs)
    )


async def _upload(client: httpx.AsyncClient, name: str, data: bytes, media: str, **kw: Any) -> Any:
    return await client.post(URL, files={"file": (name, data, media)}, **kw)


async def _work(app: Any) -> None:
    await run_worker(app.state.jobs, concurrency=1, wait=False)


async def _uploads(app: Any) -> int:
    async with app.state.db.session() as session:
        found = await session.execute(select(func.count()).select_from(DocumentUpload))
        return int(found.scalar_one())


async def test_a_large_text_is_read_by_a_job_with_progress(
    env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, client = env
    data = _long_text(500).encode()  # about 120 passages: two batches of embeddings
    r = await _upload(client, "clausulas.txt", data, "text/plain")
    assert r.status_code == 202, r.text
    body = r.json()
    assert r.headers["location"] == f"{URL}/{body['id']}"
    assert (body["status"], body["progress"], body["chunks"]) == ("pending", 0, 0)
    assert body["job_id"] is not None
    assert await _uploads(app) == 1
    written: list[int] = []
    progress = service._progress

    async def recording(
        db: Database, scope: Any, document_id: uuid.UUID, value: int, *status: Any
    ) -> None:
        written.append(value)
        await progress(db, scope, document_id, value, *status)

    monkeypatch.setattr(service, "_progress", recording)
    seen: list[int] = []
    worker = asyncio.create_task(_work(app))
    while not worker.done():
        seen.append((await client.get(f"{URL}/{body['id']}")).json()["progress"])
        await asyncio.sleep(0.05)
    await worker
    done = (await client.get(f"{URL}/{body['id']}")).json()
    assert (done["status"], done["progress"], done["error"]) == ("ready", 100, None)
    assert done["chunks"] > 64
    assert done["job_id"] == body["job_id"]
    assert written[0] == service.READ
    assert written == sorted(written)
    assert len(written) >= 2
    assert seen == sorted(seen)
    assert await _uploads(app) == 0  # the file is gone once read
    found = (await client.get(f"{URL}/search", params={"q": "Cláusula 123 devolución"})).json()
    assert found["items"][0]["document_id"] == body["id"]


async def test_a_large_pdf_keeps_its_pages(env: Any) -> None:
    app, client = env
    pages = [wrap(f"Página {n}: " + _long_text(3)) for n in range(1, 4)]
    r = await _upload(client, "manual.pdf", pdf_bytes(pages), "application/pdf")
    assert r.status_code == 202, r.text
    assert r.json()["pages"] == 3  # counted at once, before the job reads them
    await _work(app)
    done = (await client.get(f"{URL}/{r.json()['id']}")).json()
    assert (done["status"], done["pages"]) == ("ready", 3)
    async with app.state.db.session() as session:
        found = await session.execute(
            select(DocumentChunk.page)
            .where(DocumentChunk.document_id == uuid.UUID(done["id"]))
            .order_by(DocumentChunk.position)
        )
        pages = list(found.scalars())
    assert pages[0] == 1
    assert pages == sorted(pages)
    assert set(pages) <= {1, 2, 3}


async def test_a_pdf_without_text_fails_with_why(env: Any) -> None:
    app, client = env
    r = await _upload(client, "escaneado.pdf", pdf_bytes([[], [], []]), "application/pdf")
    assert r.status_code == 202, r.text
    await _work(app)
    done = (await client.get(f"{URL}/{r.json()['id']}")).json()
    assert (done["status"], done["progress"], done["chunks"]) == ("failed", 100, 0)
    assert "no text" in done["error"]
    assert await _uploads(app) == 0


async def test_a_document_deleted_before_its_job_is_gone(env: Any) -> None:
    app, client = env
    r = await _upload(client, "borrar.txt", _long_text(40).encode(), "text/plain")
    assert r.status_code == 202
    assert (await client.delete(f"{URL}/{r.json()['id']}")).status_code == 204
    assert await _uploads(app) == 0  # its file went with it
    await _work(app)  # the job finds nothing to do, and does not fail
    assert (await client.get(f"{URL}/{r.json()['id']}")).status_code == 404
    async with app.state.db.session() as session:
        failed = await session.execute(
            text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'")
        )
        assert failed.scalar_one() == 0


async def test_an_idempotency_key_queues_one_job(env: Any) -> None:
    app, client = env
    data = _long_text(40).encode()
    headers = {"Idempotency-Key": "large-upload-1"}
    first = await _upload(client, "una-vez.txt", data, "text/plain", headers=headers)
    again = await _upload(client, "una-vez.txt", data, "text/plain", headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    async with app.state.db.session() as session:
        queued = await session.execute(
            text(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = :task "
                "AND args->>'document_id' = :id"
            ),
            {"task": service.INGEST_TASK, "id": first.json()["id"]},
        )
        assert queued.scalar_one() == 1
    await _work(app)
    done = (await client.get(f"{URL}/{first.json()['id']}")).json()
    assert done["status"] == "ready"


async def test_the_last_failed_attempt_leaves_the_document_failed(
    env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, client = env
    r = await _upload(client, "roto.txt", _long_text(40).encode(), "text/plain")
    assert r.status_code == 202
    document_id = r.json()["id"]
    async with app.state.db.session() as session:
        found = await session.execute(
            select(Document.tenant_id).where(Document.id == uuid.UUID(document_id))
        )
        tenant_id = str(found.scalar_one())

    async def broken(*args: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(service, "ingest", broken)
    for attempts, status in ((0, "pending"), (INGEST_RETRY.max_attempts, "failed")):
        context = SimpleNamespace(job=SimpleNamespace(attempts=attempts))
        with pytest.raises(RuntimeError):
            await ingest_document.func(context, tenant_id, document_id)  # type: ignore[arg-type]
        done = (await client.get(f"{URL}/{document_id}")).json()
        assert done["status"] == status  # retried by the queue until its last attempt
    assert "could not be indexed (RuntimeError)" in done["error"]
    assert await _uploads(app) == 0


async def test_search_in_an_autocommit_session_sets_its_plans(
    env: Any, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GET's session reads in autocommit: the search opens a short transaction of its own
    there, or PostgreSQL would ignore its SET LOCAL (custom plans, the HNSW scan)."""
    app, client = env
    data = "Las devoluciones se aceptan durante 30 días con la boleta.".encode()
    r = await _upload(client, "corto.txt", data, "text/plain")
    assert r.status_code == 201
    async with app.state.db.session() as session:
        found = await session.execute(
            select(Document.tenant_id).where(Document.id == uuid.UUID(r.json()["id"]))
        )
        scope = TenantScope(found.scalar_one())
    settings: list[tuple[str, str]] = []
    fetch = PassageSearch._fetch

    async def spying(self: PassageSearch, conn: Any, sql: str, args: tuple[Any, ...]) -> Any:
        rows = await fetch(self, conn, sql, args)
        settings.append(
            (
                await conn.fetchval("SELECT current_setting('plan_cache_mode')"),
                await conn.fetchval("SELECT current_setting('hnsw.iterative_scan')"),
            )
        )
        return rows

    monkeypatch.setattr(PassageSearch, "_fetch", spying)
    passages = await service.search(
        app.state.db.read_sessionmaker, scope, "devoluciones en 30 días", embedder=embedder
    )
    assert passages[0].document_id == uuid.UUID(r.json()["id"])
    assert passages[0].vector_rank == 1
    assert settings == [("force_custom_plan", "relaxed_order")]


def _embeddings_endpoint(request: httpx.Request) -> httpx.Response:
    """An OpenAI-compatible /embeddings: a unit vector per text."""
    body = json.loads(request.content)
    data = [
        {"object": "embedding", "index": i, "embedding": [0.0] * i + [1.0] + [0.0] * (511 - i)}
        for i, _ in enumerate(body["input"])
    ]
    usage = {"prompt_tokens": 1, "total_tokens": 1}
    return httpx.Response(200, json={"object": "list", "data": data, "usage": usage, "model": "m"})


async def test_a_new_embedding_model_re_embeds_the_passages_by_a_job(
    env: Any, embedder: Embedder
) -> None:
    """The tenant switches to its own embeddings model: `POST /documents/reindex` queues a
    job per document with passages of the old one; the job embeds them with the new model
    at the tenant's endpoint (progress on the document), all at once; again: nothing."""
    app, client = env
    r = await _upload(client, "horario.txt", b"Horario: de 9 a 18 horas.", "text/plain")
    assert r.status_code == 201, r.text
    document_id = r.json()["id"]
    settings = {
        "base_url": "http://fake-openai.test/v1",
        "api_key": "sk-tenant",
        "embedding_model": "text-embedding-3-small",
    }
    assert (await client.put("/api/v1/tenant/ai-settings", json=settings)).status_code == 200
    fake = httpx.AsyncClient(transport=httpx.MockTransport(_embeddings_endpoint))
    original = app.state.http_client
    app.state.http_client = fake
    set_ingest_context(IngestContext(app.state.db, embedder, app.state.settings, fake))
    try:
        r = await client.post(f"{URL}/reindex")
        assert r.status_code == 202, r.text
        queued = r.json()
        assert queued["model"] == "openai:text-embedding-3-small"
        assert document_id in queued["document_ids"]
        assert (await client.get(f"{URL}/{document_id}")).json()["progress"] == 0
        await _work(app)
        again = (await client.post(f"{URL}/reindex")).json()
    finally:
        app.state.http_client = original
        set_ingest_context(IngestContext(app.state.db, embedder, app.state.settings))
        await client.put("/api/v1/tenant/ai-settings", json={"engine": "local"})
    done = (await client.get(f"{URL}/{document_id}")).json()
    assert (done["status"], done["progress"]) == ("ready", 100)
    async with app.state.db.session() as session:
        models = await session.execute(
            select(DocumentChunk.embedding_model).where(
                DocumentChunk.document_id == uuid.UUID(document_id)
            )
        )
        assert set(models.scalars()) == {"openai:text-embedding-3-small"}
    assert again["document_ids"] == []

"""Documents through the API on real PostgreSQL with the real offline embedder: each kind
uploaded and read back, list filters, delete taking its passages out of search, other
tenants' documents invisible everywhere, bad uploads refused in the one error format
without changing anything, Idempotency-Key, and who sees which documents in search."""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agents.models import Agent
from app.clients.models import Client
from app.core.config import Settings
from app.core.enums import Role
from app.core.scope import TenantScope
from app.documents import service
from app.documents.embedder import Embedder
from app.documents.models import Document, DocumentChunk
from app.tenants.models import AuditEvent
from tests.documents.conftest import URL, search, upload, upload_ok
from tests.documents.pdf import pdf_bytes, wrap
from tests.factories import TenantWorld, assert_problem

FAQ_TEXT = (
    "Horario de atención\n\n"
    "Nuestras oficinas atienden de lunes a viernes de 9 a 18 horas. Los sábados abrimos "
    "solo por la mañana, de 9 a 13 horas.\n\n"
    "Envíos\n\n"
    "Los pedidos a Lima llegan en 48 horas; a provincias, entre tres y cinco días hábiles. "
    "El envío es gratuito en compras desde 150 soles."
)
MARKDOWN = """# Guía de la tarjeta Andina

## Comisiones

La membresía anual cuesta 240 soles y se exonera consumiendo 1.500 soles al mes.

## Seguros

El seguro de viaje cubre gastos médicos hasta 50.000 dólares si pagas el pasaje con la tarjeta.
"""


def _pdf() -> bytes:
    """Three pages of about 900 characters each: each page is a passage of its own."""
    intro = (
        "El programa de puntos del Banco Andino premia cada compra que haces con tus "
        "tarjetas. Cada tres soles de consumo suman un punto en tu cuenta de puntos, que "
        "puedes consultar en la aplicación y en tu estado de cuenta mensual. "
    )
    expiry = (
        "Los puntos vencen a los 24 meses de haber sido acumulados y se pueden canjear por "
        "pasajes aéreos, productos del catálogo o descuentos en tu estado de cuenta. "
    )
    claims = (
        "Para reclamos sobre puntos no abonados, escribe a puntos@banco.example dentro de "
        "los sesenta días siguientes a la compra, con el número de operación. "
    )
    return pdf_bytes([wrap(intro * 4), wrap(expiry * 5), wrap(claims * 5)])


async def _count(session: AsyncSession, model: Any, tenant: TenantWorld) -> int:
    query = select(func.count()).select_from(model).where(model.tenant_id == tenant.tenant.id)
    return int((await session.execute(query)).scalar_one())


async def _audit(session: AsyncSession, tenant: TenantWorld) -> int:
    return await _count(session, AuditEvent, tenant)


async def _chunks(session: AsyncSession, document_id: str) -> list[DocumentChunk]:
    rows = await session.execute(
        select(DocumentChunk)
        .where(DocumentChunk.document_id == uuid.UUID(document_id))
        .order_by(DocumentChunk.position)
    )
    return list(rows.scalars())


async def _agent(session: AsyncSession, world: TenantWorld, slug: str = "docs") -> Agent:
    agent = Agent(
        tenant_id=world.tenant.id, name=f"Agent {slug}", slug=slug, kind="assistant", language="es"
    )
    session.add(agent)
    await session.flush()
    return agent


# --- each kind ---------------------------------------------------------------------------


async def test_text_upload_is_read_now(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld, embedder: Embedder
) -> None:
    r = await upload(client, tenant_a, "faq.txt", FAQ_TEXT)
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"{URL}/{body['id']}"
    assert body["filename"] == "faq.txt"
    assert body["content_type"] == "text/plain"
    assert body["language"] == "es"  # the tenant's
    assert (body["status"], body["progress"], body["pages"], body["error"]) == (
        "ready",
        100,
        None,
        None,
    )
    assert body["size_bytes"] == len(FAQ_TEXT.encode())
    assert body["chunks"] == 1
    assert body["job_id"] is None
    chunks = await _chunks(session, body["id"])
    assert len(chunks) == 1
    assert chunks[0].embedding_model == embedder.model
    assert len(chunks[0].embedding) == 512
    assert chunks[0].language == "es"
    got = await client.get(f"{URL}/{body['id']}", headers=tenant_a.headers(Role.viewer))
    assert got.status_code == 200
    assert got.json() == body
    events = await session.execute(
        select(AuditEvent).where(
            AuditEvent.tenant_id == tenant_a.tenant.id, AuditEvent.action == "document.create"
        )
    )
    event = events.scalar_one()
    assert event.resource_id == body["id"]
    assert event.details["filename"] == "faq.txt"


async def test_markdown_passages_keep_their_headings(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    body = await upload_ok(client, tenant_a, "guia.md", MARKDOWN, language="es")
    assert body["content_type"] == "text/markdown"
    assert body["chunks"] == 2
    chunks = await _chunks(session, body["id"])
    assert [c.heading for c in chunks] == [
        "Guía de la tarjeta Andina › Comisiones",
        "Guía de la tarjeta Andina › Seguros",
    ]
    items = await search(client, tenant_a, "¿Qué cubre el seguro de viaje?", k=1)
    assert items[0]["heading"] == "Guía de la tarjeta Andina › Seguros"
    assert "50.000 dólares" in items[0]["text"]


async def test_pdf_passages_keep_their_pages(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    body = await upload_ok(client, tenant_a, "puntos.pdf", _pdf())
    assert (body["content_type"], body["pages"], body["status"]) == ("application/pdf", 3, "ready")
    items = await search(client, tenant_a, "¿Cuándo vencen los puntos?", k=3)
    top = items[0]
    assert top["document_id"] == body["id"]
    assert top["filename"] == "puntos.pdf"
    assert "24 meses" in top["text"]
    assert top["page"] == 2
    assert [c.page for c in await _chunks(session, body["id"])] == [1, 2, 3]


async def test_an_english_document_is_indexed_in_english(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    text = "Refunds are issued within ten business days to the original payment method."
    body = await upload_ok(client, tenant_a, "refunds.txt", text, language="en")
    assert body["language"] == "en"
    # English stemming: "refunded" finds "Refunds", by its words alone.
    items = await search(client, tenant_a, "refunded")
    assert items
    assert items[0]["document_id"] == body["id"]
    assert items[0]["text_rank"] == 1


# --- list, get, delete -------------------------------------------------------------------


async def test_list_filters_and_pages(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    headers = tenant_a.headers(Role.viewer)
    before = (await client.get(URL, headers=headers)).json()["total"]  # the world's own
    agent = await _agent(session, tenant_a)
    brand = Client(tenant_id=tenant_a.tenant.id, name="Otra marca", language="es")
    session.add(brand)
    await session.flush()
    general = await upload_ok(client, tenant_a, "general.txt", "Texto general del manual.")
    mine = await upload_ok(client, tenant_a, "cliente.txt", "Texto.", client_id=brand.id)
    bot = await upload_ok(client, tenant_a, "agente.txt", "Texto del agente.", agent_id=agent.id)
    r = await client.get(URL, headers=headers)
    assert r.status_code == 200
    page = r.json()
    assert page["total"] == before + 3
    assert (page["limit"], page["offset"]) == (50, 0)
    assert [d["id"] for d in page["items"][:3]] == [bot["id"], mine["id"], general["id"]]
    r = await client.get(URL, params={"client_id": str(brand.id)}, headers=headers)
    assert [d["id"] for d in r.json()["items"]] == [mine["id"]]
    r = await client.get(URL, params={"agent_id": str(agent.id)}, headers=headers)
    assert [d["id"] for d in r.json()["items"]] == [bot["id"]]
    r = await client.get(URL, params={"status": "pending"}, headers=headers)
    assert r.json()["total"] == 0
    r = await client.get(URL, params={"limit": 1, "offset": 2}, headers=headers)
    assert r.json()["total"] == before + 3
    assert [d["id"] for d in r.json()["items"]] == [general["id"]]
    assert_problem(await client.get(URL, params={"status": "done"}, headers=headers), 422)


async def test_delete_takes_its_passages_out_of_search(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    keep = await upload_ok(client, tenant_a, "otro.txt", "Las mascotas no pueden entrar.")
    gone = await upload_ok(client, tenant_a, "faq.txt", FAQ_TEXT)
    question = "¿Cuánto demora un envío a provincias?"
    assert (await search(client, tenant_a, question))[0]["document_id"] == gone["id"]
    path = f"{URL}/{gone['id']}"
    assert_problem(await client.delete(path, headers=tenant_a.headers(Role.viewer)), 403)
    r = await client.delete(path, headers=tenant_a.headers(Role.analyst))
    assert r.status_code == 204
    assert r.content == b""
    assert all(i["document_id"] != gone["id"] for i in await search(client, tenant_a, question))
    assert await _chunks(session, gone["id"]) == []
    assert_problem(await client.get(path, headers=tenant_a.headers()), 404)
    assert_problem(await client.delete(path, headers=tenant_a.headers()), 404)
    assert [i["document_id"] for i in await search(client, tenant_a, "mascotas")] == [keep["id"]]
    deleted = await session.execute(
        select(AuditEvent.details).where(
            AuditEvent.tenant_id == tenant_a.tenant.id, AuditEvent.action == "document.delete"
        )
    )
    assert deleted.scalar_one() == {"filename": "faq.txt"}


# --- tenants -----------------------------------------------------------------------------


async def test_another_tenants_documents_are_invisible(
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
    embedder: Embedder,
) -> None:
    before = await _count(session, Document, tenant_a)
    theirs = await upload_ok(client, tenant_b, "faq.txt", FAQ_TEXT)
    mine = await upload_ok(client, tenant_a, "mio.txt", "Los envíos a Lima son gratuitos.")
    path = f"{URL}/{theirs['id']}"
    assert_problem(await client.get(path, headers=tenant_a.headers()), 404)
    assert_problem(await client.delete(path, headers=tenant_a.headers()), 404)
    listed = {d["id"] for d in (await client.get(URL, headers=tenant_a.headers())).json()["items"]}
    assert mine["id"] in listed
    assert theirs["id"] not in listed
    for q in ("¿Cuánto demora un envío a provincias?", "envíos horario sábados"):
        found = await search(client, tenant_a, q, k=20)
        assert {i["document_id"] for i in found} == {mine["id"]}
    # Nor can its client or agent be named.
    agent = await _agent(session, tenant_b)
    for form in ({"client_id": tenant_b.client.id}, {"agent_id": agent.id}):
        assert_problem(await upload(client, tenant_a, "x.txt", "Hola.", **form), 404)
    assert await _count(session, Document, tenant_a) == before + 1
    # And the service, as the chat calls it, sees the same.
    passages = await service.search(
        lambda: nullcontext(session),
        TenantScope(tenant_a.tenant.id),
        "envío",
        k=20,
        embedder=embedder,
    )
    assert {p.document_id for p in passages} == {uuid.UUID(mine["id"])}


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content", "content_type", "form", "status"),
    [
        ("foto.png", b"\x89PNG\r\n\x1a\n", "image/png", {}, 415),
        ("programa.exe", b"MZ\x90\x00", "application/octet-stream", {}, 415),
        ("tarifas.pdf", "no soy un pdf", "text/plain", {}, 415),
        ("tarifas.pdf", b"esto no es un PDF", "application/pdf", {}, 422),
        ("rota.pdf", b"%PDF-1.4\nbasura", "application/pdf", {}, 422),
        ("vacio.txt", b"", "text/plain", {}, 422),
        ("binario.txt", b"a\x00b", "text/plain", {}, 422),
        ("ok.txt", "Hola.", "text/plain", {"client_id": uuid.uuid4()}, 404),
        ("ok.txt", "Hola.", "text/plain", {"agent_id": uuid.uuid4()}, 404),
        ("ok.txt", "Hola.", "text/plain", {"client_id": "not-a-uuid"}, 422),
        ("ok.txt", "Hola.", "text/plain", {"language": "fr"}, 422),
    ],
)
async def test_bad_uploads_change_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantWorld,
    filename: str,
    content: bytes | str,
    content_type: str,
    form: dict[str, Any],
    status: int,
) -> None:
    documents, events = await _count(session, Document, tenant_a), await _audit(session, tenant_a)
    r = await upload(client, tenant_a, filename, content, content_type, **form)
    assert_problem(r, status)
    if status == 422 and "file" in r.json()["detail"].lower():
        assert r.json()["errors"][0]["loc"] == ["body", "file"]
    assert await _count(session, Document, tenant_a) == documents
    assert await _audit(session, tenant_a) == events


async def test_missing_file_and_roles(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    before = await _count(session, Document, tenant_a)
    r = await client.post(URL, data={"language": "es"}, headers=tenant_a.headers())
    assert_problem(r, 422)
    assert_problem(await upload(client, tenant_a, "a.txt", "Hola.", role=Role.viewer), 403)
    anonymous = await client.post(URL, files={"file": ("a.txt", b"Hola.", "text/plain")})
    assert_problem(anonymous, 401)
    assert_problem(await client.get(URL), 401)
    assert_problem(await client.get(f"{URL}/search", params={"q": "hola"}), 401)
    assert await _count(session, Document, tenant_a) == before


async def test_too_large_is_413_before_and_after_reading(
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantWorld,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = await _count(session, Document, tenant_a)
    monkeypatch.setattr(settings, "document_max_bytes", 4096)
    # Past the route's limit (the file plus the form's margin): refused before it is read.
    r = await upload(client, tenant_a, "grande.txt", "a" * (4096 + 70 * 1024))
    assert_problem(r, 413)
    # Within the margin but over DOCUMENT_MAX_BYTES: refused once read.
    r = await upload(client, tenant_a, "grande.txt", "palabra " * 1000)
    body = assert_problem(r, 413)
    assert "4096" in str(body["detail"])
    assert await _count(session, Document, tenant_a) == before


async def test_search_validates_its_query(client: httpx.AsyncClient, tenant_a: TenantWorld) -> None:
    headers = tenant_a.headers(Role.viewer)
    for params in ({}, {"q": ""}, {"q": "x" * 501}, {"q": "hola", "k": 0}, {"q": "a", "k": 21}):
        assert_problem(await client.get(f"{URL}/search", params=params, headers=headers), 422)
    r = await client.get(f"{URL}/search", params={"q": "   "}, headers=headers)
    assert r.status_code == 200
    assert r.json() == {"items": []}


# --- idempotency -------------------------------------------------------------------------


async def test_idempotency_key_replays_and_refuses_another_body(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    before = await _count(session, Document, tenant_a)
    key = {"Idempotency-Key": "doc-upload-1"}
    first = await upload(client, tenant_a, "faq.txt", FAQ_TEXT, headers=key)
    assert first.status_code == 201
    again = await upload(client, tenant_a, "faq.txt", FAQ_TEXT, headers=key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = await upload(client, tenant_a, "faq.txt", FAQ_TEXT + "\nOtra línea.", headers=key)
    assert_problem(other, 409)
    assert await _count(session, Document, tenant_a) == before + 1


# --- who sees what in search -------------------------------------------------------------


async def test_search_sees_general_documents_and_those_of_the_client_or_agent(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    agent = await _agent(session, tenant_a, "ventas")
    other_agent = await _agent(session, tenant_a, "soporte")
    general = await upload_ok(client, tenant_a, "general.txt", "La garantía dura un año.")
    client_doc = await upload_ok(
        client,
        tenant_a,
        "cliente.txt",
        "La garantía de este cliente dura dos años.",
        client_id=tenant_a.client.id,
    )
    agent_doc = await upload_ok(
        client, tenant_a, "ventas.txt", "La garantía extendida dura tres años.", agent_id=agent.id
    )
    q = "¿Cuánto dura la garantía?"

    async def seen(**params: Any) -> set[str]:
        return {i["document_id"] for i in await search(client, tenant_a, q, k=20, **params)}

    everything = {general["id"], client_doc["id"], agent_doc["id"]}
    assert await seen() == everything
    assert await seen(client_id=tenant_a.client.id) == everything
    assert await seen(client_id=uuid.uuid4()) == {general["id"], agent_doc["id"]}
    assert await seen(agent_id=agent.id) == everything
    assert await seen(agent_id=other_agent.id) == {general["id"], client_doc["id"]}
    assert await seen(client_id=uuid.uuid4(), agent_id=other_agent.id) == {general["id"]}


async def test_passages_of_another_model_are_found_by_their_words_only(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    body = await upload_ok(client, tenant_a, "faq.txt", FAQ_TEXT)
    for chunk in await _chunks(session, body["id"]):
        chunk.embedding_model = "openai:text-embedding-3-small"
    await session.flush()
    items = await search(client, tenant_a, "envío gratuito")
    assert items
    assert items[0]["document_id"] == body["id"]
    assert items[0]["vector_rank"] is None
    assert items[0]["text_rank"] == 1
    # A query sharing no word with it finds nothing: no vector of the query's model.
    assert await search(client, tenant_a, "paquetería despacho") == []


async def test_search_ranks_are_one_based_and_scores_fused(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    await upload_ok(client, tenant_a, "faq.txt", FAQ_TEXT)
    await upload_ok(client, tenant_a, "guia.md", MARKDOWN)
    items = await search(client, tenant_a, "membresía anual de la tarjeta", k=3)
    assert 1 <= len(items) <= 3
    for item in items:
        expected = sum(1 / (60 + r) for r in (item["text_rank"], item["vector_rank"]) if r)
        assert item["score"] == pytest.approx(expected)
        assert item["text_rank"] is None or item["text_rank"] >= 1
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    assert "240 soles" in items[0]["text"]

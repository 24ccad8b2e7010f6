"""A chat turn through the API on the OpenAI-compatible engine (the tenant's AI settings),
faked at the HTTP boundary: a tool call answered from the database, the streamed answer
stored with its usage, and an endpoint that fails answering 502 with the failed turn
stored."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analyses.models import AnalysisRun
from app.chat.models import Conversation, Message
from app.core.crypto import encrypt
from app.posts.models import Post
from tests.chat.test_chat_api import ONBOARDING, make_agent
from tests.chat.test_openai_engine import (
    BASE_URL,
    Endpoint,
    answer,
    chunk,
    completion,
    sse,
    streamed,
    usage,
)
from tests.factories import TenantWorld, assert_problem


async def _use(app: Any, endpoint: Endpoint, session: AsyncSession, w: TenantWorld) -> Any:
    original = app.state.http_client
    app.state.http_client = httpx.AsyncClient(transport=httpx.MockTransport(endpoint.handler))
    w.tenant.ai_settings = {
        "engine": "openai",
        "base_url": BASE_URL,
        "model": "fake-model",
        "api_key_encrypted": encrypt(app.state.settings, "sk-test"),
    }
    await session.flush()
    return original


async def test_a_tool_call_answered_from_the_database_and_stored(
    app: Any, client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    agent = await make_agent(session, tenant_a, slug="asistente", tools=("count_posts",))
    call = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {
            "name": "count_posts",
            "arguments": json.dumps({"client_id": str(tenant_a.client.id)}),
        },
    }
    endpoint = Endpoint(
        sse(chunk(calls=[call]), chunk(finish="tool_calls"), chunk(used=usage(50, 10))),
        streamed("Hay ", "6 publicaciones.", used=usage(80, 5)),
    )
    original = await _use(app, endpoint, session, tenant_a)
    try:
        r = await client.post(
            f"/api/v1/agents/{agent.id}/chat",
            json={"message": "¿Cuántas publicaciones hay?"},
            headers=tenant_a.headers(),
        )
    finally:
        app.state.http_client = original
    assert r.status_code == 200, r.text
    turn = r.json()
    expected = (
        await session.execute(
            select(func.count()).select_from(Post).where(Post.client_id == tenant_a.client.id)
        )
    ).scalar_one()
    meta = turn["metadata"]
    assert (meta["engine"], turn["agent_message"]) == ("openai", "Hay 6 publicaciones.")
    assert [t["name"] for t in meta["tools"]] == ["count_posts"]
    assert meta["tools"][0]["result"]["posts"] == expected
    assert meta["usage"] == usage(130, 15)
    # The tool's result went back to the model as a tool message.
    tool_messages = [m for m in endpoint.requests[1]["messages"] if m["role"] == "tool"]
    assert json.loads(tool_messages[0]["content"])["data"]["posts"] == expected
    stored = await session.get(Message, uuid.UUID(turn["message_id"]))
    assert stored is not None
    assert (stored.engine, stored.text, stored.usage) == (
        "openai",
        "Hay 6 publicaciones.",
        usage(130, 15),
    )


async def test_an_endpoint_that_fails_is_a_502_and_the_failed_turn_is_stored(
    app: Any,
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app.state.settings, "openai_max_retries", 0)  # no back-off waits
    agent = await make_agent(session, tenant_a, slug="asistente", tools=("count_posts",))
    endpoint = Endpoint(lambda _: httpx.Response(500, json={"error": {"message": "boom"}}))
    original = await _use(app, endpoint, session, tenant_a)
    try:
        r = await client.post(
            f"/api/v1/agents/{agent.id}/chat",
            json={"message": "Hola"},
            headers=tenant_a.headers(),
        )
    finally:
        app.state.http_client = original
    assert_problem(r, 502)
    rows = (
        (
            await session.execute(
                select(Message)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Conversation.agent_id == agent.id)
                .order_by(Message.created_at)
            )
        )
        .scalars()
        .all()
    )
    assert [m.role for m in rows] == ["user", "agent"]
    assert rows[1].text == ""
    assert rows[1].error is not None
    assert rows[1].error["type"] == "engine"


async def test_a_staged_agent_to_completion_on_the_fake_endpoint(
    app: Any, client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    """Stage 1 to completion through the API: the model's structured output fills the
    fields; a value the schema refuses is not taken and asked again; a question about
    the data mid-stage is a tool call answered from the database."""
    agent = await make_agent(session, tenant_a, slug="flujo", kind="staged", stages=ONBOARDING)
    count = {"client_id": str(tenant_a.client.id)}
    endpoint = Endpoint(
        completion(answer("¡Hola! ¿Cómo se llama la marca?")),
        completion(answer("Gracias. ¿En qué sector?", nombre="Banco Andino", sector="finanzas")),
        completion(answer("¿En qué sector está: banca, moda o deporte?")),
        completion_calling("count_posts", count),
        completion(answer("Tiene esas publicaciones. ¿Y el sector?")),
        completion(answer("Anotado. ¿A qué correo escribimos?", sector="banca")),
        completion(answer("¡Listo, gracias!", email="ana@andino.pe")),
    )
    original = await _use(app, endpoint, session, tenant_a)
    turns = []
    said = (
        "Hola",
        "Banco Andino, sector finanzas",
        "Antes, ¿cuántas publicaciones tiene la marca?",
        "Banca",
        "ana@andino.pe",
    )
    try:
        conversation = None
        for text in said:
            body: dict[str, Any] = {"message": text}
            if conversation:
                body["conversation_id"] = conversation
            r = await client.post(
                f"/api/v1/agents/{agent.id}/chat", json=body, headers=tenant_a.headers()
            )
            assert r.status_code == 200, r.text
            turns.append(r.json())
            conversation = turns[-1]["conversation_id"]
    finally:
        app.state.http_client = original
    assert [t["metadata"]["engine"] for t in turns] == ["openai"] * 5
    assert turns[0]["progress"] == 0
    # "finanzas" is not one of the sector's options: only the name was taken.
    assert turns[1]["state"]["values"] == {"nombre": "Banco Andino"}
    assert turns[1]["agent_message"] == "¿En qué sector está: banca, moda o deporte?"
    assert turns[1]["progress"] == 33
    # The data question: the tools were offered with the stage's structured output, the
    # call ran on the database, its result went back to the model; the stage is as it was.
    posts = (
        await session.execute(
            select(func.count()).select_from(Post).where(Post.client_id == tenant_a.client.id)
        )
    ).scalar_one()
    asked = endpoint.requests[3]
    assert "count_posts" in [t["function"]["name"] for t in asked["tools"]]
    assert asked["response_format"]["type"] == "json_schema"
    [called] = turns[2]["metadata"]["tools"]
    assert (called["name"], called["result"]["posts"]) == ("count_posts", posts)
    told = endpoint.requests[4]["messages"][-1]
    assert told["role"] == "tool"
    assert json.loads(told["content"])["data"]["posts"] == posts
    assert (turns[2]["progress"], turns[2]["state"]["values"]) == (33, {"nombre": "Banco Andino"})
    assert turns[3]["output"] == {"nombre": "Banco Andino", "sector": "banca"}
    assert turns[3]["stage_number"] == 2
    assert turns[4]["is_complete"]
    assert turns[4]["progress"] == 100
    r = await client.get(f"/api/v1/conversations/{conversation}", headers=tenant_a.headers())
    assert r.json()["outputs"] == {
        "1": {"nombre": "Banco Andino", "sector": "banca"},
        "2": {"email": "ana@andino.pe"},
    }


def completion_calling(name: str, arguments: dict[str, Any]) -> Any:
    """A (not streamed) completion that calls one tool instead of answering."""
    call = {"id": "call_1", "type": "function", "function": {"name": name, "arguments": ""}}
    call["function"]["arguments"] = json.dumps(arguments)
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
        "usage": usage(120, 15),
    }
    return lambda _: httpx.Response(200, json=body)


async def test_the_model_is_told_the_clients_profile_and_latest_analyses(
    app: Any, client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    """A conversation about a client: each turn's system message carries the client's
    profile and its latest stored analyses (read from the database that turn)."""
    agent = await make_agent(session, tenant_a, slug="asistente", tools=("count_posts",))
    tenant_a.client.industry = "banca"
    result = {"net_score": 0.16, "positive_share": 0.404, "negative_share": 0.244}
    session.add(
        AnalysisRun(
            tenant_id=tenant_a.tenant.id,
            client_id=tenant_a.client.id,
            question="q7",
            status="succeeded",
            engine="local",
            input_fingerprint="0" * 64,
            params={},
            result={**result, "neutral_share": 0.352},
            usage={},
            posts_analyzed=120,
        )
    )
    await session.flush()
    endpoint = Endpoint(streamed("Va bien."))
    original = await _use(app, endpoint, session, tenant_a)
    try:
        r = await client.post(
            f"/api/v1/agents/{agent.id}/chat",
            json={"message": "¿Cómo va la marca?", "client_id": str(tenant_a.client.id)},
            headers=tenant_a.headers(),
        )
    finally:
        app.state.http_client = original
    assert r.status_code == 200, r.text
    system = endpoint.requests[0]["messages"][0]["content"]
    assert f'"name": "{tenant_a.client.name}"' in system
    assert '"industry": "banca"' in system
    assert '"net_score": 0.16' in system  # q7's stored figure
    assert "Sin análisis todavía" in system  # and what is not analysed yet, said

"""Chat turns through the API on the local engine: a staged agent from stage 1 to
completion (invalid replies asked again), data questions answered with figures read from
the database, turns stored with how they were made, streaming that delivers exactly the
stored text, Idempotency-Key replays, tenant isolation, and the existing product's chat
with its own tokens."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
import pytest
from jose import jwt
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agents.models import Agent, AgentPromptVersion, AgentStage
from app.chat import tools
from app.chat.engines.local import LocalChatEngine
from app.chat.models import Conversation, Message
from app.core.config import Settings
from app.core.db import Database
from app.core.enums import Role
from app.posts.models import Post
from tests.factories import TenantWorld, assert_problem

ONBOARDING = [
    (
        "Marca",
        {
            "type": "object",
            "properties": {
                "nombre": {"type": "string", "description": "¿Cómo se llama la marca?"},
                "sector": {
                    "type": "string",
                    "enum": ["banca", "moda", "deporte"],
                    "description": "¿En qué sector está?",
                },
            },
            "required": ["nombre", "sector"],
        },
    ),
    (
        "Contacto",
        {
            "type": "object",
            "properties": {
                "email": {
                    "type": "string",
                    "format": "email",
                    "description": "¿A qué correo escribimos?",
                },
            },
            "required": ["email"],
        },
    ),
]


async def make_agent(
    session: AsyncSession,
    w: TenantWorld,
    *,
    slug: str,
    kind: str = "assistant",
    tools: tuple[str, ...] = ("count_posts", "engagement", "followers", "search_documents"),
    stages: list[tuple[str, dict[str, Any]]] | None = None,
) -> Agent:
    agent = Agent(
        tenant_id=w.tenant.id,
        name=f"Agente {slug}",
        slug=slug,
        purpose="pruebas",
        kind=kind,
        language="es",
        tools=list(tools),
        prompt_version=1,
        is_active=True,
    )
    session.add(agent)
    await session.flush()
    version = AgentPromptVersion(
        tenant_id=w.tenant.id, agent_id=agent.id, version=1, system_prompt="Eres un agente."
    )
    session.add(version)
    await session.flush()
    for position, (name, schema) in enumerate(stages or [], start=1):
        session.add(
            AgentStage(
                tenant_id=w.tenant.id,
                version_id=version.id,
                position=position,
                name=name,
                goal="",
                prompt="",
                output_schema=schema,
                questions={},
            )
        )
    await session.flush()
    return agent


def _chat(agent: Agent) -> str:
    return f"/api/v1/agents/{agent.id}/chat"


async def _say(
    client: httpx.AsyncClient, w: TenantWorld, agent: Agent, text: str, conversation: Any = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"message": text}
    if conversation:
        body["conversation_id"] = conversation
    r = await client.post(_chat(agent), json=body, headers=w.headers(Role.viewer))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_a_staged_agent_from_stage_one_to_completion(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    agent = await make_agent(session, tenant_a, slug="flujo", kind="staged", stages=ONBOARDING)
    first = await _say(client, tenant_a, agent, "Hola")
    conv = first["conversation_id"]
    assert first["agent_message"].endswith("¿Cómo se llama la marca?")
    assert (first["stage_number"], first["progress"], first["is_complete"]) == (1, 0, False)
    assert first["metadata"]["engine"] == "local"
    assert first["metadata"]["prompt_version"] == 1
    turn = await _say(client, tenant_a, agent, "Banco Andino", conv)
    assert "(banca, moda, deporte)" in turn["agent_message"]
    turn = await _say(client, tenant_a, agent, "finanzas", conv)  # not an option
    assert "No pude tomar esa respuesta" in turn["agent_message"]
    assert turn["progress"] == 33
    turn = await _say(client, tenant_a, agent, "Banca", conv)
    assert turn["output"] == {"nombre": "Banco Andino", "sector": "banca"}
    assert turn["stage_number"] == 2
    assert turn["progress"] == 67
    turn = await _say(client, tenant_a, agent, "ana@andino.pe", conv)
    assert turn["is_complete"]
    assert turn["progress"] == 100
    r = await client.get(f"/api/v1/conversations/{conv}", headers=tenant_a.headers())
    assert r.status_code == 200
    stored = r.json()
    assert stored["outputs"] == {
        "1": {"nombre": "Banco Andino", "sector": "banca"},
        "2": {"email": "ana@andino.pe"},
    }
    assert (stored["is_complete"], stored["messages"]) == (True, 10)
    r = await client.get(f"/api/v1/conversations/{conv}/messages", headers=tenant_a.headers())
    messages = r.json()["items"]
    assert [m["role"] for m in messages] == ["user", "agent"] * 5
    assert messages[4]["text"] == "finanzas"
    agent_turn = messages[5]
    assert agent_turn["engine"] == "local"
    assert agent_turn["model"] == "local-chat-1"
    assert agent_turn["prompt_version"] == 1
    assert agent_turn["latency_ms"] >= 0
    assert agent_turn["error"] is None


async def test_a_data_question_is_answered_with_the_databases_figure(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    agent = await make_agent(session, tenant_a, slug="asistente")
    name = tenant_a.client.name
    turn = await _say(client, tenant_a, agent, f"¿Cuántas publicaciones tuvo {name} en marzo?")
    expected = (
        await session.execute(
            select(func.count())
            .select_from(Post)
            .where(Post.tenant_id == tenant_a.tenant.id, Post.client_id == tenant_a.client.id)
        )
    ).scalar_one()
    tools = turn["metadata"]["tools"]
    assert [t["name"] for t in tools] == ["count_posts"]
    assert tools[0]["result"]["posts"] == expected
    assert str(expected) in turn["agent_message"]
    assert "marzo" in turn["agent_message"]


async def test_a_follow_up_asks_the_previous_question_again_with_what_it_changes(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    agent = await make_agent(session, tenant_a, slug="asistente")
    name = tenant_a.client.name
    question = f"¿Cuántas publicaciones tuvo {name} en marzo de 2026?"
    first = await _say(client, tenant_a, agent, question)
    then = await _say(client, tenant_a, agent, "¿Y en abril de 2026?", first["conversation_id"])
    [asked] = first["metadata"]["tools"]
    [again] = then["metadata"]["tools"]
    assert asked["arguments"]["since"] == "2026-03-01"
    assert again["name"] == "count_posts"
    assert again["arguments"] == {
        **asked["arguments"],
        "since": "2026-04-01",
        "until": "2026-04-30",
    }
    assert "abril" in then["agent_message"]
    # A new conversation has no previous question: the same words are not a data question.
    alone = await _say(client, tenant_a, agent, "¿Y en abril de 2026?")
    assert alone["metadata"]["tools"] == []


async def test_a_question_it_cannot_answer_says_so(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    agent = await make_agent(session, tenant_a, slug="asistente")
    turn = await _say(client, tenant_a, agent, "¿Qué opinas del cambio climático?")
    assert turn["agent_message"].startswith("No puedo responder eso sin un modelo de lenguaje")
    assert turn["metadata"]["sources"] == []


async def test_the_stream_delivers_exactly_the_stored_text(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    agent = await make_agent(session, tenant_a, slug="flujo", kind="staged", stages=ONBOARDING)
    r = await client.post(
        _chat(agent) + "/stream", json={"message": "Hola"}, headers=tenant_a.headers()
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    events = _events(r.text)
    deltas = [json.loads(data)["text"] for kind, data in events if kind == "delta"]
    assert len(deltas) > 1
    kind, data = events[-1]
    assert kind == "message"
    message = json.loads(data)
    assert "".join(deltas) == message["agent_message"]
    stored = await session.get(Message, uuid.UUID(message["message_id"]))
    assert stored is not None
    assert stored.text == "".join(deltas)


def _events(text: str) -> list[tuple[str, str]]:
    out = []
    for block in text.strip().split("\n\n"):
        kind = data = ""
        for line in block.splitlines():
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()
        out.append((kind, data))
    return out


async def test_a_retried_turn_with_the_same_key_is_stored_once(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    agent = await make_agent(session, tenant_a, slug="flujo", kind="staged", stages=ONBOARDING)
    headers = {**tenant_a.headers(), "Idempotency-Key": "turn-1"}
    first = await client.post(_chat(agent), json={"message": "Hola"}, headers=headers)
    again = await client.post(_chat(agent), json={"message": "Hola"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    conversation = uuid.UUID(first.json()["conversation_id"])
    count = (
        await session.execute(
            select(func.count()).select_from(Message).where(Message.conversation_id == conversation)
        )
    ).scalar_one()
    assert count == 2
    other = await client.post(_chat(agent), json={"message": "Otra"}, headers=headers)
    assert_problem(other, 409)


async def test_other_tenants_agents_and_conversations_are_404(
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
) -> None:
    mine = await make_agent(session, tenant_a, slug="flujo", kind="staged", stages=ONBOARDING)
    theirs = await make_agent(session, tenant_b, slug="flujo", kind="staged", stages=ONBOARDING)
    turn = await _say(client, tenant_b, theirs, "Hola")
    r = await client.post(_chat(theirs), json={"message": "Hola"}, headers=tenant_a.headers())
    assert_problem(r, 404)
    r = await client.post(
        _chat(mine),
        json={"message": "Hola", "conversation_id": turn["conversation_id"]},
        headers=tenant_a.headers(),
    )
    assert_problem(r, 404)
    r = await client.get(
        f"/api/v1/conversations/{turn['conversation_id']}", headers=tenant_a.headers()
    )
    assert_problem(r, 404)
    r = await client.get("/api/v1/conversations", headers=tenant_a.headers())
    assert turn["conversation_id"] not in {c["id"] for c in r.json()["items"]}
    r = await client.post(
        _chat(mine) + "/stream", json={"message": "Hola"}, headers=tenant_b.headers()
    )
    assert_problem(r, 404)


async def test_bad_input_is_422_and_stores_nothing(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    agent = await make_agent(session, tenant_a, slug="asistente")
    for body in ({"message": "   "}, {"message": "x" * 4001}, {}, {"message": "hola", "x": 1}):
        assert_problem(await client.post(_chat(agent), json=body, headers=tenant_a.headers()), 422)
    count = (
        await session.execute(
            select(func.count()).select_from(Conversation).where(Conversation.agent_id == agent.id)
        )
    ).scalar_one()
    assert count == 0


# --------------------------------------------------------------------------- product chat

SECRET = "product-shared-secret-of-32-bytes!!"


def _product_token(user_id: Any, *, secret: str = SECRET, **claims: Any) -> str:
    now = int(time.time())
    body = {
        "token_type": "access",
        "exp": now + 300,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "user_id": user_id,
        **claims,
    }
    return str(jwt.encode(body, secret, algorithm="HS256"))


@pytest.fixture
def product(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "external_jwt_secret", SecretStr(SECRET))


async def test_the_products_chat_answers_its_users(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld, product: None
) -> None:
    agent = await make_agent(session, tenant_a, slug="flujo", kind="staged", stages=ONBOARDING)
    user = tenant_a.users[Role.analyst]
    user.external_id = "42"
    await session.flush()
    headers = {"Authorization": f"Bearer {_product_token(42)}"}
    body = {"mensaje": "Hola", "usuario_id": "42", "proyecto": agent.slug}
    r = await client.post("/api/v1/chat/", json=body, headers=headers)
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["respuesta"] == first["agent_message"]
    assert first["fuentes"] == []
    # The conversation is kept per user and proyecto, with or without the trailing slash.
    r = await client.post("/api/v1/chat", json={**body, "mensaje": "Banco Andino"}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["conversation_id"] == first["conversation_id"]
    assert r.json()["progress"] == 33
    conversation = await session.get(Conversation, uuid.UUID(first["conversation_id"]))
    assert conversation is not None
    assert conversation.user_id == user.id


async def test_the_products_chat_refuses_what_it_must(
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantWorld,
    product: None,
) -> None:
    agent = await make_agent(session, tenant_a, slug="flujo", kind="staged", stages=ONBOARDING)
    tenant_a.users[Role.analyst].external_id = "42"
    await session.flush()
    body = {"mensaje": "Hola", "usuario_id": "42", "proyecto": agent.slug}

    async def post(token: str, data: dict[str, Any] = body) -> httpx.Response:
        return await client.post(
            "/api/v1/chat/", json=data, headers={"Authorization": f"Bearer {token}"}
        )

    assert_problem(await post(_product_token(42, secret="another-secret-of-32-bytes!!!!!")), 401)
    expired = _product_token(42, exp=int(time.time()) - 60, iat=int(time.time()) - 360)
    assert_problem(await post(expired), 401)
    assert_problem(await post(_product_token(42, token_type="refresh")), 401)
    assert_problem(await post(_product_token(7)), 401)  # no user has that external id
    assert_problem(await post(tenant_a.tokens[Role.owner]), 401)  # a token of ours
    assert_problem(await post(_product_token(42), {**body, "usuario_id": "43"}), 403)
    assert_problem(await post(_product_token(42), {**body, "proyecto": "nope"}), 404)
    assert_problem(await client.post("/api/v1/chat/", json=body), 401)


async def test_a_client_that_leaves_mid_stream_leaves_a_stored_turn(
    app: Any, session: AsyncSession, tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = await make_agent(session, tenant_a, slug="flujo", kind="staged", stages=ONBOARDING)
    gate = asyncio.Event()
    original = LocalChatEngine.reply

    async def slow_reply(self: LocalChatEngine, ctx: Any, emit: Any) -> Any:
        async def held(piece: str) -> None:
            await emit(piece)
            await gate.wait()  # the rest of the answer waits until the client has left

        return await original(self, ctx, held)

    monkeypatch.setattr(LocalChatEngine, "reply", slow_reply)
    body = json.dumps({"message": "Hola"}).encode()
    first_delta = asyncio.Event()
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": body, "more_body": False}
        await first_delta.wait()
        return {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and b"event: delta" in message.get("body", b""):
            first_delta.set()

    path = f"/api/v1/agents/{agent.id}/chat/stream"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"test"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", tenant_a.headers()["Authorization"].encode()),
        ],
        "client": ("203.0.113.7", 50000),
        "server": ("test", 80),
    }
    await asyncio.wait_for(app(scope, receive, send), timeout=10)
    streamed = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert b"event: delta" in streamed
    assert b"event: message" not in streamed  # the client left before the answer was whole
    gate.set()
    turns: set[Any] = app.state.chat_turns
    for _ in range(200):
        if not turns:
            break
        await asyncio.sleep(0.02)
    assert not turns
    stored = (
        await session.execute(
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.agent_id == agent.id, Message.role == "agent")
        )
    ).scalar_one()
    assert stored.text.endswith("¿Cómo se llama la marca?")
    assert stored.error is None


async def _free_permits(database: Database) -> int:
    """How many of the database's permits (one per pooled connection) no one holds."""
    taken = 0
    try:
        while True:
            await asyncio.wait_for(database.semaphore.acquire(), 0.2)
            taken += 1
    except TimeoutError:
        return taken
    finally:
        for _ in range(taken):
            database.semaphore.release()


@pytest.mark.parametrize("endpoint", ["chat", "stream", "product"])
async def test_no_database_permit_is_held_while_the_engine_works(
    endpoint: str,
    client: httpx.AsyncClient,
    session: AsyncSession,
    database: Database,
    tenant_a: TenantWorld,
    product: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A turn holds no connection while its engine works (a language model may take
    seconds), and a tool call holds one, its own, only while it reads."""
    agent = await make_agent(session, tenant_a, slug="asistente")
    tenant_a.users[Role.analyst].external_id = "42"
    await session.flush()
    seen: dict[str, int] = {}
    reply, find_client = LocalChatEngine.reply, tools._client

    async def watched_reply(self: LocalChatEngine, ctx: Any, emit: Any) -> Any:
        seen["engine"] = await _free_permits(database)
        return await reply(self, ctx, emit)

    async def watched_client(*args: Any, **kwargs: Any) -> Any:
        seen["tool"] = await _free_permits(database)
        return await find_client(*args, **kwargs)

    monkeypatch.setattr(LocalChatEngine, "reply", watched_reply)
    monkeypatch.setattr(tools, "_client", watched_client)  # every data tool's first read
    question = f"¿Cuántas publicaciones tuvo {tenant_a.client.name} en marzo?"
    if endpoint == "product":
        body = {"mensaje": question, "usuario_id": "42", "proyecto": agent.slug}
        headers = {"Authorization": f"Bearer {_product_token(42)}"}
        r = await client.post("/api/v1/chat/", json=body, headers=headers)
    else:
        path = _chat(agent) + ("/stream" if endpoint == "stream" else "")
        r = await client.post(path, json={"message": question}, headers=tenant_a.headers())
    assert r.status_code == 200, r.text
    capacity = await _free_permits(database)  # nothing is held between requests
    assert seen == {"engine": capacity, "tool": capacity - 1}


async def test_an_inactive_agent_takes_no_turns(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    agent = await make_agent(session, tenant_a, slug="flujo", kind="staged", stages=ONBOARDING)
    agent.is_active = False
    await session.flush()
    r = await client.post(_chat(agent), json={"message": "Hola"}, headers=tenant_a.headers())
    assert "inactive" in assert_problem(r, 409)["detail"]
    r = await client.post(
        _chat(agent) + "/stream", json={"message": "Hola"}, headers=tenant_a.headers()
    )
    assert_problem(r, 409)
    count = (
        await session.execute(
            select(func.count()).select_from(Conversation).where(Conversation.agent_id == agent.id)
        )
    ).scalar_one()
    assert count == 0


async def test_an_engine_that_is_not_configured_is_a_422_that_stores_nothing(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    agent = await make_agent(session, tenant_a, slug="asistente")
    agent.engine = "openai"  # no OPENAI_API_KEY on the server, none in the tenant's settings
    await session.flush()
    r = await client.post(_chat(agent), json={"message": "Hola"}, headers=tenant_a.headers())
    assert "not configured" in assert_problem(r, 422)["detail"]
    count = (
        await session.execute(
            select(func.count()).select_from(Conversation).where(Conversation.agent_id == agent.id)
        )
    ).scalar_one()
    assert count == 0

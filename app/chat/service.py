"""A chat turn, and reading conversations and their messages.

A turn (DESIGN 8b): store the user's message (and the conversation, when new) -> build
the context (the agent at the conversation's prompt version, history within a budget,
the tenant's clients, clock and zone, retrieval over its documents) -> the engine, with
no transaction open -> store the agent's answer with engine, model, prompt version,
usage, latency, tools and sources (or the error that stopped it: 502/504) -> answer.
The same turn streams: `emit` receives the answer's pieces as they are made.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.agents import service as agents_service
from app.agents.spec import AgentSpec
from app.analyses.engines import ensure_allowed_endpoint, openai_api_key
from app.chat.engines.base import ChatEngine, ChatEngineError, Emit, Reply, TurnContext
from app.chat.engines.local import LOCAL_CHAT_MODEL, LocalChatEngine
from app.chat.engines.openai import OpenAIChatEngine
from app.chat.intents import ClientRef, ToolCall
from app.chat.models import Conversation, Message
from app.chat.repository import ConversationRepository, MessageRepository, count_turn
from app.chat.schemas import ChatIn, ConversationOut, MessageOut, TurnMetadata, TurnOut
from app.chat.tools import ToolError, ToolScope, call_tool
from app.clients import service as clients_service
from app.core import idempotency
from app.core.config import Settings
from app.core.db import Database
from app.core.enums import AgentTool, Channel, MessageRole
from app.core.errors import (
    BadGateway,
    Conflict,
    GatewayTimeout,
    NotFound,
    UnprocessableEntity,
)
from app.core.scope import Actor, TenantScope
from app.documents import service as documents_service
from app.documents.embedder import tenant_embedder
from app.documents.service import Passage
from app.tenants import service as tenants_service

HISTORY_MESSAGES = 20  # earlier messages an engine sees (the OpenAI engine trims by tokens)
RETRIEVE_K = 5
_INACTIVE = "This agent is inactive: activate it (PATCH /api/v1/agents/{id}) to talk to it"


@dataclass(frozen=True)
class Caller:
    """Who talks: the tenant, the actor the writes are recorded as, and the user (a team
    member or an existing product's user) the conversation belongs to."""

    actor: Actor

    @property
    def scope(self) -> TenantScope:
        return self.actor.scope

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.actor.user_id


@dataclass(frozen=True)
class Runtime:
    """What a turn needs from the process: the database, settings, the HTTP client the
    OpenAI SDK shares, and the embedder retrieval uses."""

    db: Database
    settings: Settings
    http_client: Any = None
    embedder: Any = None


async def _nothing(_: str) -> None:
    return None


def choose_engine(
    rt: Runtime, tenant_ai: dict[str, Any], agent: AgentSpec
) -> tuple[ChatEngine, str]:
    """The agent's engine, else the tenant's, else the server's; (engine, model)."""
    name = agent.engine or tenant_ai.get("engine") or rt.settings.analysis_engine
    if name == "local":
        return LocalChatEngine(), LOCAL_CHAT_MODEL
    if name != "openai":
        raise UnprocessableEntity(f"Unknown engine {name!r}; use 'local' or 'openai'")
    api_key = openai_api_key(rt.settings, tenant_ai)
    model = agent.model or tenant_ai.get("model") or rt.settings.openai_model
    openai_engine = OpenAIChatEngine.from_settings(
        rt.settings,
        base_url=tenant_ai.get("base_url") or rt.settings.openai_base_url,
        api_key=api_key,
        model=model,
        temperature=agent.temperature,
        http_client=rt.http_client,
    )
    return openai_engine, model


# --------------------------------------------------------------------------- the turn


@dataclass(frozen=True)
class Prepared:
    """What a turn reads before anything is stored: the agent at the conversation's
    prompt version, the conversation it continues (if any), the tenant's zone and AI
    settings, and its clients (for names in questions)."""

    agent: AgentSpec
    conversation_id: uuid.UUID | None
    timezone: str
    tenant_ai: dict[str, Any]
    clients: list[ClientRef]


async def _prepare(
    session: AsyncSession,
    rt: Runtime,
    caller: Caller,
    agent_id: uuid.UUID,
    req: ChatIn,
    *,
    channel: str,
    resume_latest: bool,
) -> Prepared:
    """404 unless the agent, the conversation (of that agent) and the client are the
    tenant's; 409 when the agent is inactive."""
    scope = caller.scope
    conversations = ConversationRepository(session, scope)
    conversation: Conversation | None = None
    if req.conversation_id is not None:
        conversation = await conversations.get(req.conversation_id)
        if conversation.agent_id != agent_id:
            raise NotFound("Conversation not found")
    elif resume_latest and caller.user_id is not None:
        conversation = await conversations.latest_for_user(caller.user_id, agent_id, channel)
    version = conversation.prompt_version if conversation is not None else None
    agent = await agents_service.get_spec(session, scope, agent_id, version=version)
    if not agent.is_active:
        raise Conflict(_INACTIVE)
    if req.client_id is not None and conversation is None:
        await clients_service.ensure_client(session, scope, req.client_id)
    tenant = await tenants_service.get_current_tenant(session, scope)
    clients = [
        ClientRef(id=i, name=n, aliases=a)
        for i, n, a in await clients_service.client_names(session, scope)
    ]
    return Prepared(
        agent=agent,
        conversation_id=conversation.id if conversation is not None else None,
        timezone=tenant.timezone,
        tenant_ai=tenants_service.engine_settings(tenant, rt.settings),
        clients=clients,
    )


async def _open(
    session: AsyncSession,
    caller: Caller,
    prepared: Prepared,
    req: ChatIn,
    *,
    channel: str,
    contact_id: uuid.UUID | None,
) -> tuple[Conversation, list[tuple[str, str]], ToolCall | None]:
    """The conversation (locked, or new) with its recent history and the tool call of its
    last answer (if one answered from a tool), and the user's message added to it."""
    scope = caller.scope
    agent = prepared.agent
    conversations = ConversationRepository(session, scope)
    if prepared.conversation_id is not None:
        conversation = await conversations.get(prepared.conversation_id, lock=True)
    else:
        conversation = conversations.add(
            Conversation(
                agent_id=agent.id,
                prompt_version=agent.prompt_version,
                client_id=req.client_id or agent.client_id,
                contact_id=contact_id,
                user_id=caller.user_id,
                channel=channel,
                stage_number=1,
                state={},
                outputs={},
                progress=0,
                is_complete=False,
                messages=0,
            )
        )
        await session.flush()
    messages = MessageRepository(session, scope)
    recent = await messages.recent(conversation.id, HISTORY_MESSAGES)
    history = [(m.role, m.text) for m in recent]
    messages.add(
        Message(
            conversation_id=conversation.id,
            role=MessageRole.user.value,
            text=req.message,
            stage_number=conversation.stage_number,
            tools=[],
            sources=[],
        )
    )
    return conversation, history, _last_call(recent)


def _last_call(recent: list[Message]) -> ToolCall | None:
    """The tool call the last answer came from, when it came from one that answered."""
    answers = [m for m in recent if m.role == MessageRole.agent.value]
    if not answers or not answers[-1].tools:
        return None
    call = answers[-1].tools[0]
    if "result" not in call or not isinstance(call.get("arguments"), dict):
        return None
    return ToolCall(str(call["name"]), dict(call["arguments"]))


async def _client_context(
    rt: Runtime, tools: ToolScope, client_id: uuid.UUID
) -> dict[str, Any] | None:
    """What a language model is told of the conversation's client each turn: its profile
    and its latest analyses (the `latest_results` tool's figures and sentence); None when
    the client was deleted meanwhile (the turn goes on without it)."""
    try:
        async with rt.db.read_session() as session:
            profile = await clients_service.client_profile(session, tools.scope, client_id)
    except NotFound:
        return None
    context: dict[str, Any] = {"client_id": str(client_id), **asdict(profile)}
    try:
        latest = await call_tool(tools, AgentTool.latest_results, {"client_id": str(client_id)})
    except ToolError:
        return context
    context["latest_analyses"] = {"summary": latest.summary, **latest.data}
    return context


async def turn(
    rt: Runtime,
    caller: Caller,
    agent_id: uuid.UUID,
    req: ChatIn,
    *,
    emit: Emit | None = None,
    channel: str = Channel.api.value,
    contact_id: uuid.UUID | None = None,
    resume_latest: bool = False,
    prepared: Prepared | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> TurnOut:
    """One turn with the agent; raises 502/504 (after storing the failed turn) when the
    engine fails. `prepared`: the reads `check_turn` already made (a streamed turn).

    Three short uses of the database and none while the engine works: reads (agent,
    conversation, tenant, clients) -> one transaction that stores the user's message ->
    the engine, whose tools and retrieval each open a session of their own -> one
    transaction that stores the answer.
    """
    started = time.perf_counter()
    scope = caller.scope
    if prepared is None:
        async with rt.db.read_session() as session:
            prepared = await _prepare(
                session, rt, caller, agent_id, req, channel=channel, resume_latest=resume_latest
            )
    # The engine and the embedder before anything is stored: one that is not configured
    # is a 422 that changes nothing, and the tenant's own endpoints are checked (a DNS
    # lookup) as the analyses check them before every run.
    engine, model = choose_engine(rt, prepared.tenant_ai, prepared.agent)
    if engine.name == "openai":
        await ensure_allowed_endpoint(rt.settings, prepared.tenant_ai)
    embedder = await tenant_embedder(rt.embedder, rt.settings, prepared.tenant_ai, rt.http_client)
    async with rt.db.session() as session, session.begin():
        conversation, history, previous_call = await _open(
            session, caller, prepared, req, channel=channel, contact_id=contact_id
        )
    agent = prepared.agent
    zone = ZoneInfo(prepared.timezone)

    async def retrieve(query: str) -> list[Passage]:
        return await documents_service.search(
            rt.db.read_session,
            scope,
            query,
            client_id=conversation.client_id,
            agent_id=agent.id,
            k=RETRIEVE_K,
            embedder=embedder,
        )

    tools = ToolScope(
        sessions=rt.db.read_session,
        scope=scope,
        language=agent.language,
        timezone=prepared.timezone,
        today=now().astimezone(zone).date(),
        client_id=conversation.client_id,
        clients=[(c.id, c.name, c.aliases) for c in prepared.clients],
    )
    client_context = None
    if engine.name == "openai" and conversation.client_id is not None:
        client_context = await _client_context(rt, tools, conversation.client_id)
    ctx = TurnContext(
        agent=agent,
        message=req.message,
        history=history,
        stage_number=conversation.stage_number,
        state=dict(conversation.state or {}),
        outputs=dict(conversation.outputs or {}),
        tools=tools,
        clients=prepared.clients,
        retrieve=retrieve,
        client_profile=client_context,
        previous_call=previous_call,
    )
    error: ChatEngineError | None = None
    reply: Reply | None = None
    try:
        reply = await engine.reply(ctx, emit or _nothing)
    except ChatEngineError as exc:
        error = exc
    latency = round((time.perf_counter() - started) * 1000)
    at = now()
    async with rt.db.session() as session, session.begin():
        messages = MessageRepository(session, scope)
        if reply is None:
            assert error is not None
            stored = messages.add(
                Message(
                    conversation_id=conversation.id,
                    role=MessageRole.agent.value,
                    text="",
                    stage_number=conversation.stage_number,
                    engine=engine.name,
                    model=model,
                    prompt_version=agent.prompt_version,
                    usage=error.usage,
                    latency_ms=latency,
                    tools=[],
                    sources=[],
                    error={"type": "timeout" if error.timeout else "engine", "detail": str(error)},
                )
            )
            await count_turn(session, scope, conversation.id, at)
        else:
            step = reply.step
            stored = messages.add(
                Message(
                    conversation_id=conversation.id,
                    role=MessageRole.agent.value,
                    text=reply.text,
                    stage_number=step.stage_number if step else conversation.stage_number,
                    engine=engine.name,
                    model=reply.model,
                    prompt_version=agent.prompt_version,
                    usage=reply.usage,
                    latency_ms=latency,
                    tools=reply.tools,
                    sources=reply.sources,
                )
            )
            values: dict[str, Any] = {}
            if step is not None:
                values = {
                    "stage_number": step.stage_number,
                    "state": step.state,
                    "outputs": step.outputs,
                    "progress": step.progress,
                    "is_complete": step.is_complete,
                }
            await count_turn(session, scope, conversation.id, at, **values)
        await session.flush()
    if error is not None:
        message = (
            f"The language model did not answer in time: {error}. The failed turn is stored."
            if error.timeout
            else f"The language model failed: {error}. The failed turn is stored."
        )
        raise GatewayTimeout(message) if error.timeout else BadGateway(message)
    assert reply is not None
    step = reply.step
    return TurnOut(
        conversation_id=conversation.id,
        message_id=stored.id,
        agent_message=reply.text,
        stage_number=step.stage_number if step else conversation.stage_number,
        state=step.state if step else dict(conversation.state or {}),
        progress=step.progress if step else conversation.progress,
        is_complete=step.is_complete if step else conversation.is_complete,
        output=step.output if step else None,
        metadata=TurnMetadata(
            engine=engine.name,
            model=reply.model,
            prompt_version=agent.prompt_version,
            usage=reply.usage,
            sources=reply.sources,
            tools=reply.tools,
            latency_ms=latency,
        ),
    )


async def turn_once(
    rt: Runtime,
    caller: Caller,
    agent_id: uuid.UUID,
    req: ChatIn,
    *,
    idempotency_key: str | None,
    request_hash: str,
    shape: Callable[[TurnOut], dict[str, Any]] = lambda out: out.model_dump(mode="json"),
    **options: Any,
) -> JSONResponse:
    """`turn` under an Idempotency-Key: a retry with the same key replays the stored
    answer and stores nothing again; a turn that fails releases the key."""
    claimed: idempotency.Claim | JSONResponse = idempotency.Claim(None)
    if idempotency_key:
        async with rt.db.session() as session, session.begin():
            claimed = await idempotency.claim(session, caller.scope, idempotency_key, request_hash)
    if isinstance(claimed, JSONResponse):
        return claimed
    try:
        out = await turn(rt, caller, agent_id, req, **options)
    except Exception:
        if claimed.record_id is not None:
            async with rt.db.session() as session, session.begin():
                await claimed.release(session)
        raise
    body = shape(out)
    if claimed.record_id is not None:
        async with rt.db.session() as session, session.begin():
            await claimed.complete(session, 200, body)
    return JSONResponse(body, status_code=200)


async def check_turn(
    session: AsyncSession, rt: Runtime, caller: Caller, agent_id: uuid.UUID, req: ChatIn
) -> Prepared:
    """What a streamed turn checks before its first event: the turn's own reads (404
    unless the agent, conversation and client are the tenant's; 409 for an inactive
    agent), handed to `turn` so that it does not read them again."""
    return await _prepare(
        session, rt, caller, agent_id, req, channel=Channel.api.value, resume_latest=False
    )


# --------------------------------------------------------------------------- reading


async def list_conversations(
    session: AsyncSession, scope: TenantScope, **filters: Any
) -> tuple[list[ConversationOut], int]:
    rows, total = await ConversationRepository(session, scope).page(**filters)
    return [ConversationOut.model_validate(r) for r in rows], total


async def get_conversation(
    session: AsyncSession, scope: TenantScope, conversation_id: uuid.UUID
) -> ConversationOut:
    found = await ConversationRepository(session, scope).get(conversation_id)
    return ConversationOut.model_validate(found)


async def list_messages(
    session: AsyncSession,
    scope: TenantScope,
    conversation_id: uuid.UUID,
    *,
    limit: int,
    offset: int,
) -> tuple[list[MessageOut], int]:
    await ConversationRepository(session, scope).get(conversation_id)
    rows, total = await MessageRepository(session, scope).page(
        conversation_id, limit=limit, offset=offset
    )
    return [MessageOut.model_validate(r) for r in rows], total

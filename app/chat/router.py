"""Chat turns with an agent (JSON or server-sent events), conversations and their
messages, and the chat endpoint of an existing product that issues its own tokens."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent

from app.agents import service as agents_service
from app.chat import service
from app.chat.schemas import (
    ChatIn,
    ConversationOut,
    ExternalChatIn,
    ExternalChatOut,
    MessageOut,
    TurnOut,
)
from app.core import idempotency
from app.core.auth import ReaderDep
from app.core.enums import Channel
from app.core.errors import AppError, Forbidden, Unauthorized, problem_responses
from app.core.pagination import Page, PageDep
from app.core.routing import API_PREFIX
from app.core.schemas import UtcDatetime
from app.core.scope import Actor
from app.core.security import decode_product_token
from app.core.session import SessionDep
from app.tenants import service as tenants_service

router = APIRouter(prefix=API_PREFIX, tags=["chat"])

TURN = problem_responses(401, 404, 409, 422, 502, 504)


def _runtime(request: Request) -> service.Runtime:
    state = request.app.state
    return service.Runtime(
        db=state.db,
        settings=state.settings,
        http_client=getattr(state, "http_client", None),
        embedder=getattr(state, "embedder", None),
    )


@router.post(
    "/agents/{agent_id}/chat",
    response_model=TurnOut,
    responses=TURN,
    summary="Say something to an agent: one turn, answered as JSON",
    description="Starts a conversation (no `conversation_id`) or continues one. The user's "
    "message and the agent's answer are stored with engine, model, prompt version, usage, "
    "latency, tools and sources. An engine that fails answers 502 (504 past the deadline) "
    "and the failed turn is stored. Send an `Idempotency-Key` to retry safely: the same key "
    "replays the answer and stores nothing again.",
)
async def chat(
    request: Request,
    agent_id: uuid.UUID,
    body: ChatIn,
    auth: ReaderDep,
    idempotency_key: idempotency.IdempotencyKey = None,
) -> Any:
    key_hash = idempotency.fingerprint("POST", request.url.path, body.model_dump(mode="json"))
    return await service.turn_once(
        _runtime(request),
        service.Caller(auth.actor),
        agent_id,
        body,
        idempotency_key=idempotency_key,
        request_hash=key_hash,
    )


Checked = tuple[uuid.UUID, ChatIn, Actor, service.Prepared]


async def _checked_turn(
    request: Request, agent_id: uuid.UUID, body: ChatIn, auth: ReaderDep
) -> Checked:
    """404 (409) before any event is sent: the agent (and the conversation) must be the
    tenant's, and active. Its own short session: a request's session would be held until
    the stream ends."""
    rt = _runtime(request)
    async with rt.db.read_session() as session:
        prepared = await service.check_turn(session, rt, service.Caller(auth.actor), agent_id, body)
    return agent_id, body, auth.actor, prepared


@router.post(
    "/agents/{agent_id}/chat/stream",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "`delta` events `{text}` as the answer is made, then one "
            "`message` event with the stored turn (as the JSON endpoint answers); an "
            "`error` event (problem+json) when the engine fails.",
            "content": {"text/event-stream": {}},
        },
        **problem_responses(401, 404, 409, 422),
    },
    summary="Say something to an agent: the same turn as server-sent events",
)
async def chat_stream(
    request: Request,
    checked: Annotated[Checked, Depends(_checked_turn)],
) -> AsyncIterator[ServerSentEvent]:
    agent_id, body, actor, prepared = checked
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    async def emit(piece: str) -> None:
        await queue.put(("delta", piece))

    async def run() -> None:
        try:
            out = await service.turn(
                _runtime(request),
                service.Caller(actor),
                agent_id,
                body,
                emit=emit,
                prepared=prepared,
            )
        except AppError as exc:
            await queue.put(("error", exc))
        except Exception as exc:  # stored as far as it went; said as a 500 problem
            await queue.put(("error", exc))
            raise
        else:
            await queue.put(("message", out))

    # The turn runs on its own: a client that disconnects mid-stream leaves it to finish
    # and be stored. The app keeps a reference until it ends.
    task = asyncio.create_task(run())
    running: set[asyncio.Task[None]] = request.app.state.chat_turns
    running.add(task)
    task.add_done_callback(running.discard)
    while True:
        kind, value = await queue.get()
        if kind == "delta":
            yield ServerSentEvent(data={"text": value}, event="delta")
        elif kind == "message":
            yield ServerSentEvent(data=value.model_dump(mode="json"), event="message")
            return
        else:
            status = value.status_code if isinstance(value, AppError) else 500
            detail = value.detail if isinstance(value, AppError) else "Internal error"
            yield ServerSentEvent(
                data={"status": status, "title": type(value).__name__, "detail": detail},
                event="error",
            )
            return


@router.get(
    "/conversations",
    response_model=Page[ConversationOut],
    responses=problem_responses(401, 422),
    summary="List conversations",
)
async def list_conversations(
    session: SessionDep,
    auth: ReaderDep,
    page: PageDep,
    agent_id: Annotated[uuid.UUID | None, Query()] = None,
    client_id: Annotated[uuid.UUID | None, Query()] = None,
    contact_id: Annotated[uuid.UUID | None, Query()] = None,
    channel: Annotated[Channel | None, Query()] = None,
    since: Annotated[UtcDatetime | None, Query(description="updated_at >= since")] = None,
    until: Annotated[UtcDatetime | None, Query(description="updated_at < until")] = None,
) -> Page[ConversationOut]:
    items, total = await service.list_conversations(
        session,
        auth.scope,
        limit=page.limit,
        offset=page.offset,
        agent_id=agent_id,
        client_id=client_id,
        contact_id=contact_id,
        channel=channel.value if channel else None,
        since=since,
        until=until,
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/conversations/{conversation_id}",
    response_model=ConversationOut,
    responses=problem_responses(401, 404, 422),
    summary="A conversation: its stage, state, outputs and progress",
)
async def get_conversation(
    conversation_id: uuid.UUID, session: SessionDep, auth: ReaderDep
) -> ConversationOut:
    return await service.get_conversation(session, auth.scope, conversation_id)


@router.get(
    "/conversations/{conversation_id}/messages",
    response_model=Page[MessageOut],
    responses=problem_responses(401, 404, 422),
    summary="A conversation's messages, oldest first",
)
async def list_messages(
    conversation_id: uuid.UUID, session: SessionDep, auth: ReaderDep, page: PageDep
) -> Page[MessageOut]:
    items, total = await service.list_messages(
        session, auth.scope, conversation_id, limit=page.limit, offset=page.offset
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


# --------------------------------------------------------------------------- product chat


async def _product_user(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> tuple[Actor, str]:
    """The Pixely user behind an existing product's access token, as (actor, its id
    there)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Missing bearer token")
    external_id = decode_product_token(request.app.state.settings, token.strip())
    async with _runtime(request).db.read_session() as session:
        user = await tenants_service.active_user_by_external_id(session, external_id)
    if user is None:
        raise Unauthorized("No active user has this external id")
    actor = Actor(tenant_id=user.tenant_id, user_id=user.id, email=user.email)
    return actor, external_id


@router.post(
    "/chat/",
    response_model=ExternalChatOut,
    responses=problem_responses(401, 403, 404, 409, 422, 502, 504),
    summary="The existing product's chat (its own tokens)",
    description="Takes `{mensaje, usuario_id, proyecto}` with an HS256 access token of the "
    "existing product (EXTERNAL_JWT_SECRET; its user id in EXTERNAL_JWT_USER_CLAIM, matched "
    "against a user's `external_id`). `usuario_id` must be the token's user (403), "
    "`proyecto` an agent's slug in that user's tenant (404). The conversation is kept per "
    "user and proyecto. Answers `{respuesta, conversation_id, fuentes}` plus the fields of "
    "an agent chat turn. Also at /api/v1/chat.",
)
@router.post("/chat", include_in_schema=False)
async def product_chat(
    request: Request,
    body: ExternalChatIn,
    user: Annotated[tuple[Actor, str], Depends(_product_user)],
) -> JSONResponse:
    # No request session: the turn takes its own short ones, and a request's would hold
    # a database permit for the whole turn.
    actor, external_id = user
    if str(body.usuario_id) != external_id:
        raise Forbidden("usuario_id is not the token's user")
    async with _runtime(request).db.read_session() as session:
        agent_id = await agents_service.agent_id_by_slug(session, actor.scope, body.proyecto)

    def shape(out: TurnOut) -> dict[str, Any]:
        native = out.model_dump(mode="json")
        return {"respuesta": out.agent_message, "fuentes": native["metadata"]["sources"], **native}

    return await service.turn_once(
        _runtime(request),
        service.Caller(actor),
        agent_id,
        ChatIn(message=body.mensaje),
        idempotency_key=None,
        request_hash="",
        shape=shape,
        resume_latest=True,
    )

"""The `openai` chat engine against a fake OpenAI-compatible endpoint: the real SDK runs
(requests, streaming, retries, timeouts, parsing); only the HTTP transport is fake.

Turns are built by hand (no database): the tools are a fake tool monkeypatched into
`app.chat.tools`, retrieval is a function returning fixed passages.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from app.agents.spec import AgentSpec, StageSpec
from app.ai.llm import make_client
from app.chat import tools
from app.chat.engines.base import ChatEngine, ChatEngineError, TurnContext, source_of
from app.chat.engines.openai import (
    CHARS_PER_TOKEN,
    HISTORY_TOKENS,
    MAX_TOOL_ROUNDS,
    SEARCH_TOOL,
    OpenAIChatEngine,
)
from app.chat.intents import ClientRef
from app.core.config import Settings
from app.core.scope import TenantScope
from app.documents.service import Passage
from tests.chat import test_staged as staged_tests

BASE_URL = "http://fake-openai.test/v1"
MODEL = "fake-chat-2025"
TENANT = uuid.uuid4()

Responder = Callable[[dict[str, Any]], Awaitable[httpx.Response] | httpx.Response]


# --- the fake endpoint ---------------------------------------------------------------------


class Endpoint:
    """`POST /chat/completions` answering each request with the next responder (the last
    one repeats); the request bodies are kept."""

    def __init__(self, *responders: Responder) -> None:
        self.responders = list(responders)
        self.requests: list[dict[str, Any]] = []

    async def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(await request.aread())
        index = len(self.requests)
        self.requests.append(body)
        answer = self.responders[min(index, len(self.responders) - 1)](body)
        return await answer if isinstance(answer, Awaitable) else answer

    def engine(
        self, *, deadline: float | None = 5.0, temperature: float | None = 0.3, retries: int = 0
    ) -> OpenAIChatEngine:
        client = make_client(
            base_url=BASE_URL,
            api_key="sk-test",
            timeout=5.0,
            max_retries=retries,
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(self.handler)),
        )
        return OpenAIChatEngine(
            client=client, model="gpt-test", temperature=temperature, deadline=deadline
        )


def usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def chunk(
    content: str | None = None,
    *,
    calls: list[dict[str, Any]] | None = None,
    finish: str | None = None,
    used: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A `chat.completion.chunk`; `used` makes it the last one (no choices, the usage)."""
    delta: dict[str, Any] = {}
    if content is not None:
        delta["content"] = content
    if calls is not None:
        delta["tool_calls"] = calls
    choices = [] if used else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": MODEL,
        "choices": choices,
        "usage": used,
    }


def sse(*chunks: dict[str, Any]) -> Responder:
    data = b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chunks) + b"data: [DONE]\n\n"
    return lambda _: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=data
    )


def streamed(*pieces: str, used: dict[str, int] | None = None) -> Responder:
    """A plain streamed answer in `pieces`, then its usage."""
    return sse(
        chunk(""),
        *(chunk(p) for p in pieces),
        chunk(finish="stop"),
        chunk(used=used or usage(50, 10)),
    )


def tool_call(index: int, call_id: str | None, name: str | None, arguments: str) -> dict[str, Any]:
    found: dict[str, Any] = {"index": index, "function": {"arguments": arguments}}
    if call_id:
        found.update(id=call_id, type="function")
        found["function"]["name"] = name
    return found


def completion(content: str, used: dict[str, int] | None = None) -> Responder:
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": used or usage(200, 30),
    }
    return lambda _: httpx.Response(200, json=body)


def status(code: int) -> Responder:
    return lambda _: httpx.Response(code, json={"error": {"message": "secret server detail"}})


# --- turns -------------------------------------------------------------------------------


class CountPostsIn(BaseModel):
    sentiment: str | None = None
    month: str | None = None


def agent(**changes: Any) -> AgentSpec:
    spec = AgentSpec(
        id=uuid.uuid4(),
        tenant_id=TENANT,
        name="Analista",
        slug="analista",
        kind="assistant",
        language="es",
        engine="openai",
        model=None,
        temperature=0.3,
        tools=(),
        client_id=None,
        prompt_version=1,
        system_prompt="Eres el analista de la agencia.",
    )
    return replace(spec, **changes)


def passage(filename: str, text: str, *, page: int | None = None) -> Passage:
    return Passage(
        document_id=uuid.uuid4(),
        chunk_id=uuid.uuid4(),
        filename=filename,
        heading="Tono",
        page=page,
        text=text,
        score=0.03,
        text_rank=1,
        vector_rank=1,
    )


ACME = ClientRef(id=uuid.uuid4(), name="Acme", aliases=("acme",))
GUIDE = passage("guia-de-marca.pdf", "El tono de Acme es cercano y optimista.", page=3)


@dataclass
class Retrieval:
    passages: Sequence[Passage] = (GUIDE,)

    def __post_init__(self) -> None:
        self.queries: list[str] = []

    async def __call__(self, query: str) -> list[Passage]:
        self.queries.append(query)
        return list(self.passages)


def _no_sessions() -> Any:
    raise AssertionError("this test's tools read nothing")


def context(
    spec: AgentSpec,
    message: str,
    *,
    history: Sequence[tuple[str, str]] = (),
    stage_number: int = 1,
    state: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
    retrieve: Retrieval | None = None,
    client_profile: dict[str, Any] | None = None,
) -> TurnContext:
    return TurnContext(
        agent=spec,
        message=message,
        history=history,
        stage_number=stage_number,
        state=state or {},
        outputs=outputs or {},
        tools=tools.ToolScope(
            sessions=_no_sessions,  # the fake tool reads nothing
            scope=TenantScope(TENANT),
            language=spec.language,
            timezone="Europe/Madrid",
            today=date(2025, 3, 31),
            client_id=None,
        ),
        clients=[ACME],
        retrieve=retrieve or Retrieval(),
        client_profile=client_profile,
    )


class Emitted:
    def __init__(self) -> None:
        self.pieces: list[str] = []

    async def __call__(self, piece: str) -> None:
        self.pieces.append(piece)

    @property
    def text(self) -> str:
        return "".join(self.pieces)


# --- the engine --------------------------------------------------------------------------


def test_from_settings_configures_the_client_and_the_deadline() -> None:
    settings = Settings(
        environment="test",
        openai_timeout_seconds=12.5,
        openai_max_retries=2,
        analysis_run_deadline_seconds=45,
        _env_file=None,
    )  # type: ignore[call-arg]
    built = OpenAIChatEngine.from_settings(
        settings, base_url=BASE_URL, api_key="sk-x", model="m-1", temperature=None
    )
    eng: ChatEngine = built
    assert eng.name == "openai"
    assert built.model == "m-1"
    assert built._client.timeout == 12.5
    assert built._client.max_retries == 2
    assert str(built._client.base_url) == BASE_URL + "/"
    assert built._deadline == 45


async def test_a_plain_answer_is_streamed_piece_by_piece() -> None:
    endpoint = Endpoint(
        streamed("El tono ", "es cercano ", "(guia-de-marca.pdf).", used=usage(80, 12))
    )
    emitted = Emitted()
    retrieval = Retrieval()
    history = [("user", "Hola"), ("agent", "Hola, ¿en qué te ayudo?"), ("agent", "")]
    ctx = context(
        agent(),
        "¿Cuál es el tono de Acme?",
        history=history,
        retrieve=retrieval,
        client_profile={"name": "Acme", "industry": "retail"},
    )
    reply = await endpoint.engine().reply(ctx, emitted)

    assert emitted.pieces == ["El tono ", "es cercano ", "(guia-de-marca.pdf)."]
    assert reply.text == emitted.text == "El tono es cercano (guia-de-marca.pdf)."
    assert reply.model == MODEL  # as the endpoint names it
    assert reply.usage == {"prompt_tokens": 80, "completion_tokens": 12, "total_tokens": 92}
    assert reply.tools == []
    assert reply.sources == [source_of(GUIDE)]
    assert reply.step is None
    assert retrieval.queries == ["¿Cuál es el tono de Acme?"]

    (sent,) = endpoint.requests
    assert sent["model"] == "gpt-test"
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    assert sent["temperature"] == 0.3
    assert "tools" not in sent  # the agent has none
    roles = [m["role"] for m in sent["messages"]]
    assert roles == ["system", "user", "assistant", "user"]  # the failed turn's "" left out
    system = sent["messages"][0]["content"]
    assert system.startswith("Eres el analista de la agencia.")
    assert "Spanish" in system
    assert '"industry": "retail"' in system
    assert "guia-de-marca.pdf, page 3 — Tono" in system
    assert "El tono de Acme es cercano y optimista." in system
    assert sent["messages"][-1] == {"role": "user", "content": "¿Cuál es el tono de Acme?"}


async def test_the_history_is_trimmed_from_the_oldest_to_the_budget() -> None:
    endpoint = Endpoint(streamed("Vale."))
    piece = "x" * (HISTORY_TOKENS * CHARS_PER_TOKEN // 4)  # four fit, not five
    history = [("user", f"{i}{piece}") for i in range(6)]
    await endpoint.engine(temperature=None).reply(
        context(agent(), "¿Y ahora?", history=history, retrieve=Retrieval(())), Emitted()
    )
    (sent,) = endpoint.requests
    assert "temperature" not in sent
    kept = [m["content"][0] for m in sent["messages"][1:-1]]
    assert kept == ["3", "4", "5"]  # the latest, oldest first
    assert "Passages" not in sent["messages"][0]["content"]  # nothing retrieved


@pytest.fixture
def count_posts(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """A fake `count_posts` tool in app.chat.tools: its calls are recorded; a call for
    the month "nunca" fails with a ToolError."""
    calls: list[dict[str, Any]] = []

    async def run(ctx: tools.ToolContext, args: BaseModel) -> tools.ToolResult:
        raise AssertionError("call_tool is faked")

    fake = tools.Tool(
        name="count_posts",
        description="Count the client's posts.",
        parameters=CountPostsIn,
        run=run,  # type: ignore[arg-type]
    )

    async def call_tool(
        ctx: tools.ToolScope, name: str, arguments: dict[str, Any]
    ) -> tools.ToolResult:
        assert isinstance(ctx, tools.ToolScope)
        calls.append({"name": name, **arguments})
        if arguments.get("month") == "nunca":
            raise tools.ToolError("no such month")
        data = {"count": 42, "sentiment": arguments.get("sentiment")}
        return tools.ToolResult(
            name=name, arguments=arguments, data=data, summary="42 publicaciones negativas"
        )

    monkeypatch.setattr(tools, "TOOLS", {"count_posts": fake})
    monkeypatch.setattr(tools, "call_tool", call_tool)
    return calls


async def test_a_tool_round_then_the_streamed_answer(count_posts: list[dict[str, Any]]) -> None:
    first = sse(
        chunk(calls=[tool_call(0, "call_a", "count_posts", '{"sentiment"')]),
        chunk(calls=[tool_call(0, None, None, ': "negative"}')]),
        chunk(calls=[tool_call(1, "call_b", SEARCH_TOOL, '{"query": "tono"}')]),
        chunk(calls=[tool_call(2, "call_c", "count_posts", '{"month": "nunca"}')]),
        chunk(finish="tool_calls"),
        chunk(used=usage(100, 20)),
    )
    endpoint = Endpoint(first, streamed("Hubo ", "42 publicaciones negativas.", used=usage(150, 9)))
    emitted = Emitted()
    other = passage("informe.md", "Resumen del trimestre.")
    retrieval = Retrieval((GUIDE, other))
    spec = agent(tools=("count_posts", SEARCH_TOOL))
    reply = await endpoint.engine().reply(
        context(spec, "¿Cuántas publicaciones negativas?", retrieve=retrieval), emitted
    )

    assert count_posts == [
        {"name": "count_posts", "sentiment": "negative"},
        {"name": "count_posts", "month": "nunca"},
    ]
    assert retrieval.queries == ["¿Cuántas publicaciones negativas?", "tono"]
    assert reply.text == emitted.text == "Hubo 42 publicaciones negativas."
    assert reply.usage == {"prompt_tokens": 250, "completion_tokens": 29, "total_tokens": 279}
    assert reply.tools == [
        {
            "name": "count_posts",
            "arguments": {"sentiment": "negative"},
            "result": {"count": 42, "sentiment": "negative"},
        },
        {
            "name": SEARCH_TOOL,
            "arguments": {"query": "tono"},
            "result": [source_of(GUIDE), source_of(other)],
        },
        {
            "name": "count_posts",
            "arguments": {"month": "nunca"},
            "result": {"error": "no such month"},
        },
    ]
    assert reply.sources == [source_of(GUIDE), source_of(other)]  # each passage once

    offered, answered = endpoint.requests
    system = offered["messages"][0]["content"]
    assert "Today is 2025-03-31 (dates are local days, Europe/Madrid)." in system
    assert f"Acme: {ACME.id}" in system  # the ids the tools take
    names = [t["function"]["name"] for t in offered["tools"]]
    assert names == ["count_posts", SEARCH_TOOL]
    assert offered["tools"][0]["function"]["parameters"] == CountPostsIn.model_json_schema()
    assert offered["tool_choice"] == "auto"
    assert offered["stream"] is True
    calling, *results = answered["messages"][-4:]
    assert calling["role"] == "assistant"
    assert [c["id"] for c in calling["tool_calls"]] == ["call_a", "call_b", "call_c"]
    assert calling["tool_calls"][0]["function"] == {
        "name": "count_posts",
        "arguments": '{"sentiment": "negative"}',
    }
    assert [r["tool_call_id"] for r in results] == ["call_a", "call_b", "call_c"]
    assert json.loads(results[0]["content"])["summary"] == "42 publicaciones negativas"
    assert "informe.md" in results[1]["content"]
    assert results[2]["content"] == "Error: no such month"  # the model can recover


async def test_tools_not_allowed_are_neither_offered_nor_run(
    count_posts: list[dict[str, Any]],
) -> None:
    asks_anyway = sse(
        chunk(calls=[tool_call(0, "call_a", "count_posts", "{}")]),
        # Ollama numbers every call of a batch 0: a new id is a new call.
        chunk(calls=[tool_call(0, "call_b", "count_posts", "not json")]),
        chunk(used=usage(10, 5)),
    )
    endpoint = Endpoint(asks_anyway, streamed("No puedo contar publicaciones."))
    reply = await endpoint.engine().reply(
        context(agent(tools=(SEARCH_TOOL,)), "¿Cuántas?"), Emitted()
    )
    assert [t["function"]["name"] for t in endpoint.requests[0]["tools"]] == [SEARCH_TOOL]
    assert count_posts == []
    errors = [r["result"]["error"] for r in reply.tools]
    assert errors == [
        "there is no tool 'count_posts' for this agent",
        "the arguments are not a JSON object",
    ]


async def test_when_the_rounds_are_spent_the_model_answers_without_tools(
    count_posts: list[dict[str, Any]],
) -> None:
    again = sse(
        chunk("Miro… "),
        chunk(calls=[tool_call(0, "call_x", "count_posts", '{"sentiment": "negative"}')]),
        chunk(used=usage(10, 2)),
    )
    endpoint = Endpoint(*[again] * MAX_TOOL_ROUNDS, streamed("Son 42."))
    emitted = Emitted()
    reply = await endpoint.engine().reply(
        context(agent(tools=("count_posts",)), "¿Cuántas?"), emitted
    )
    assert len(endpoint.requests) == MAX_TOOL_ROUNDS + 1
    assert len(count_posts) == MAX_TOOL_ROUNDS
    assert endpoint.requests[-1]["tool_choice"] == "none"
    assert reply.text == emitted.text
    assert reply.text.startswith("Miro… \n\nMiro… ")
    assert reply.text.endswith("Son 42.")
    assert reply.usage["total_tokens"] == 12 * MAX_TOOL_ROUNDS + 60


# --- staged agents -----------------------------------------------------------------------

# The slot-filling tests' first stage, with a goal and a prompt for the model.
BRAND = replace(staged_tests.BRAND, goal="Conocer la marca", prompt="Pregunta con calma.")
CONTACT = StageSpec(
    position=2,
    name="Contacto",
    goal="",
    prompt="",
    output_schema={
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email", "description": "Correo de contacto"},
        },
        "required": ["email"],
    },
    questions={},
)


def onboarding() -> AgentSpec:
    return agent(
        name="Onboarding",
        kind="staged",
        system_prompt="Eres el asistente de alta de clientes.",
        stages=(BRAND, CONTACT),
    )


def answer(reply: str, **values: Any) -> str:
    return json.dumps({"reply": reply, "values": values})


async def test_a_staged_turn_takes_the_valid_values_only() -> None:
    endpoint = Endpoint(
        completion(answer("Gracias, Acme con 0 personas.", nombre="Acme", empleados=0)),
        completion(answer("Gracias. ¿Cuántas personas trabajan en Acme? Al menos una.")),
    )
    emitted = Emitted()
    reply = await endpoint.engine().reply(
        context(onboarding(), "Somos Acme y tenemos 0 empleados"), emitted
    )
    step = reply.step
    assert step is not None
    assert step.state["values"] == {"nombre": "Acme"}  # empleados=0 is below the minimum
    assert step.state["asking"] == "empleados"
    assert step.errors == ["empleados: el mínimo es 1"]
    assert step.stage_number == 1
    assert step.progress == 33  # 1 of the 3 required fields of both stages
    assert not step.is_complete
    assert step.output is None
    # The refused value went back once, and the rewritten reply is the answer.
    assert reply.text == step.text == "Gracias. ¿Cuántas personas trabajan en Acme? Al menos una."
    assert emitted.text == reply.text
    assert reply.usage == {"prompt_tokens": 400, "completion_tokens": 60, "total_tokens": 460}
    assert reply.model == MODEL

    asked, again = endpoint.requests
    fmt = asked["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["strict"] is False
    schema = fmt["json_schema"]["schema"]
    assert schema["required"] == ["reply", "values"]
    values = schema["properties"]["values"]
    assert values["properties"] == BRAND.output_schema["properties"]
    assert "required" not in values  # every field optional
    system = asked["messages"][0]["content"]
    assert "Eres el asistente de alta de clientes." in system
    assert "«Datos de la marca»" in system
    assert "empleados* (integer; minimum 1): ¿Cuántas personas trabajan en la marca?" in system
    assert "«Contacto»" in system  # where the conversation goes next
    assert "stream" not in asked
    assert "empleados: el mínimo es 1" in again["messages"][-1]["content"]


async def test_a_staged_turn_that_completes_its_stage_moves_to_the_next() -> None:
    endpoint = Endpoint(
        completion(
            answer("Perfecto. ¿Cuál es su correo?", nombre="Acme", empleados=12.0, web="acme.es")
        )
    )
    state = {"asking": "nombre", "values": {}}
    reply = await endpoint.engine().reply(
        context(onboarding(), "Acme, 12 personas, acme.es", state=state), Emitted()
    )
    step = reply.step
    assert step is not None
    assert len(endpoint.requests) == 1
    assert step.output == {"nombre": "Acme", "empleados": 12, "web": "https://acme.es"}
    assert step.outputs == {"1": step.output}
    assert step.stage_number == 2
    assert step.state == {"asking": "email", "values": {}}
    assert step.progress == 67
    assert step.errors == []
    assert reply.text == "Perfecto. ¿Cuál es su correo?"


async def test_the_last_stage_completes_the_conversation() -> None:
    endpoint = Endpoint(completion(answer("¡Gracias, todo listo!", email="Ana@Acme.es")))
    outputs = {"1": {"nombre": "Acme", "empleados": 12}}
    reply = await endpoint.engine().reply(
        context(onboarding(), "ana@acme.es", stage_number=2, outputs=outputs), Emitted()
    )
    step = reply.step
    assert step is not None
    assert step.is_complete
    assert step.progress == 100
    assert step.outputs["2"] == {"email": "ana@acme.es"}
    assert step.state["complete"] is True


async def test_a_staged_answer_that_is_not_json_is_repaired_once_then_fails() -> None:
    endpoint = Endpoint(completion("Claro, dime el nombre."), completion('{"values": {}}'))
    with pytest.raises(ChatEngineError) as caught:
        await endpoint.engine().reply(context(onboarding(), "Hola"), Emitted())
    assert "not the JSON asked for" in str(caught.value)
    assert not caught.value.timeout
    assert caught.value.usage["total_tokens"] == 460
    assert len(endpoint.requests) == 2


# --- errors ------------------------------------------------------------------------------


async def test_an_http_error_is_an_engine_error() -> None:
    endpoint = Endpoint(status(500))
    with pytest.raises(ChatEngineError) as caught:
        await endpoint.engine().reply(context(agent(), "Hola"), Emitted())
    assert not caught.value.timeout
    assert "HTTP 500" in str(caught.value)
    assert "secret server detail" not in str(caught.value)  # only logged
    assert caught.value.usage == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


async def test_a_stream_that_is_not_made_of_chunks_is_an_engine_error() -> None:
    broken = lambda _: httpx.Response(  # noqa: E731
        200, headers={"content-type": "text/event-stream"}, content=b"data: {not json\n\n"
    )
    with pytest.raises(ChatEngineError, match="not a chat completion"):
        await Endpoint(broken).engine().reply(context(agent(), "Hola"), Emitted())


async def test_a_slow_endpoint_past_the_deadline_is_a_timeout() -> None:
    async def slow(_: dict[str, Any]) -> httpx.Response:
        await asyncio.sleep(10)
        raise AssertionError("the deadline should have stopped the call")

    started = time.monotonic()
    with pytest.raises(ChatEngineError) as caught:
        await Endpoint(slow).engine(deadline=0.2).reply(context(agent(), "Hola"), Emitted())
    assert caught.value.timeout
    assert "0.2 s" in str(caught.value)
    assert time.monotonic() - started < 2


async def test_a_stream_that_stalls_past_the_deadline_keeps_what_was_said() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield f"data: {json.dumps(chunk('Empiezo'))}\n\n".encode()
        await asyncio.sleep(10)

    stalls = lambda _: httpx.Response(  # noqa: E731
        200, headers={"content-type": "text/event-stream"}, content=body()
    )
    emitted = Emitted()
    with pytest.raises(ChatEngineError) as caught:
        await Endpoint(stalls).engine(deadline=0.3).reply(context(agent(), "Hola"), emitted)
    assert caught.value.timeout
    assert emitted.pieces == ["Empiezo"]


async def test_a_read_timeout_after_the_retries_is_a_timeout() -> None:
    def times_out(_: dict[str, Any]) -> httpx.Response:
        raise httpx.ReadTimeout("too slow")

    with pytest.raises(ChatEngineError) as caught:
        await Endpoint(times_out).engine().reply(context(agent(), "Hola"), Emitted())
    assert caught.value.timeout
    assert "timed out" in str(caught.value)

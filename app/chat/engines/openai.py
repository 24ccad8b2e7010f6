"""The `openai` chat engine: any OpenAI-compatible chat-completions endpoint.

Every request carries one system message (the agent's prompt, the language to answer
in, the conversation's client profile and, for an assistant, the passages retrieved for
the user's message), the history trimmed from the oldest to a token budget, then the
user's message.

- An assistant is offered its allowed tools (`app.chat.tools`, plus `search_documents`
  answered by retrieval) as functions, in a bounded loop: at most `MAX_TOOL_ROUNDS`
  rounds of calls, then one last request where it must answer without them. Every
  request is streamed and each piece of text goes to `emit` as it arrives, so the
  reply's text is exactly what was emitted; tool calls are gathered from their deltas.
- A staged agent asks for structured output: its reply and the values of the current
  stage's fields that the user's message gives. Its allowed tools are offered with it
  (the same bounded rounds): a question about the data mid-stage is answered from them.
  Each value is validated as the local flow validates a reply
  (`app.chat.staged.validate`); the valid ones are kept, and the stage completes when all
  its required fields hold one, exactly as in the local flow. A value that was refused
  goes back to the model once, so its reply asks for it again.

The SDK retries 429/5xx/timeouts; what is left becomes a `ChatEngineError` saying what
happened, with the usage spent so far (the endpoint's own text is logged, never quoted).
A whole turn (every request, retries and tool runs) has a deadline; past it the error is
a timeout.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import openai
from openai import AsyncOpenAI
from pydantic import BaseModel, Field, ValidationError

from app.agents.spec import AgentSpec, StageSpec
from app.ai.llm import make_client, short_text, status_message, unfence
from app.ai.prompts import LANGUAGE_NAMES
from app.chat import staged, tools
from app.chat.engines.base import (
    ChatEngineError,
    Emit,
    Reply,
    TurnContext,
    emit_in_pieces,
    source_of,
)
from app.chat.staged import Step
from app.core.config import Settings
from app.core.enums import AgentKind, AgentTool
from app.documents.service import Passage

logger = logging.getLogger(__name__)

MAX_TOOL_ROUNDS = 4  # rounds of tool calls before the model must answer without tools
MAX_CALLS_PER_ROUND = 8  # tool calls run in one round; the rest are answered with an error
HISTORY_TOKENS = 6_000  # budget of the earlier messages sent with a turn
CHARS_PER_TOKEN = 4  # the estimate the budget is counted with
MAX_PASSAGES = 4  # retrieved passages put in the system message
PASSAGE_CHARS = 1_500  # of each passage
TOOL_RESULT_CHARS = 6_000  # of a tool's result sent back to the model
MAX_CLIENTS = 100  # clients named (with their ids, for tool arguments) to a model with tools
SEARCH_TOOL = AgentTool.search_documents.value

SEARCH_SPEC: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": SEARCH_TOOL,
        "description": "Search the agency's documents (briefs, guides, reports) for "
        "passages about a subject. Returns the best passages with their documents.",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "What to look for, in a few words"}
            },
            "required": ["query"],
        },
    },
}


class _StagedAnswer(BaseModel):
    reply: str = Field(min_length=1)
    values: dict[str, Any] | None = None


@dataclass
class _Tally:
    """The model that answered and the usage summed over the calls of one turn."""

    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def add(self, model: Any, usage: Any) -> None:
        if model:
            self.model = str(model)
        if usage is not None:
            prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
            completion = int(getattr(usage, "completion_tokens", 0) or 0)
            self.prompt_tokens += prompt
            self.completion_tokens += completion
            self.total_tokens += int(getattr(usage, "total_tokens", 0) or prompt + completion)

    def usage(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


class _Said:
    """`emit`, remembering what was sent: the reply's text is exactly its pieces."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self._parts: list[str] = []
        self._break = False

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def pause(self) -> None:
        """Text of a later request starts a new paragraph (a round of tools came between)."""
        self._break = bool(self._parts)

    async def __call__(self, piece: str) -> None:
        if not piece:
            return
        if self._break:
            self._break = False
            tail = self.text[-2:]
            gap = "" if tail == "\n\n" else "\n" if tail.endswith("\n") else "\n\n"
            if gap:
                self._parts.append(gap)
                await self._emit(gap)
        self._parts.append(piece)
        await self._emit(piece)


@dataclass
class _Call:
    id: str
    name: str
    arguments: str  # JSON text, as the model wrote it


@dataclass
class _Round:
    text: str
    calls: list[_Call] = field(default_factory=list)


@dataclass
class _Used:
    """What a turn's tool rounds called (records as stored) and the passages it used."""

    records: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)

    def add_passages(self, passages: Sequence[Passage]) -> None:
        known = {s["chunk_id"] for s in self.sources}
        self.sources += [source_of(p) for p in passages if str(p.chunk_id) not in known]

    def reply(self, text: str, tally: _Tally, step: Step | None = None) -> Reply:
        return Reply(
            text=text,
            model=tally.model,
            usage=tally.usage(),
            tools=self.records,
            sources=self.sources,
            step=step,
        )


class _Calls:
    """Tool calls gathered from stream deltas: by index, or by id where a server reuses
    index 0 for every call of a batch."""

    def __init__(self) -> None:
        self._slots: dict[int, dict[str, Any]] = {}
        self._slot_of: dict[int, int] = {}

    def add(self, index: int, call_id: str | None, name: str | None, arguments: str | None) -> None:
        slot = self._slot_of.get(index)
        known = self._slots.get(slot) if slot is not None else None
        if known is None or (call_id and known["id"] and call_id != known["id"]):
            slot = len(self._slots)
            self._slot_of[index] = slot
            known = self._slots[slot] = {"id": call_id or "", "name": "", "arguments": []}
        if call_id and not known["id"]:
            known["id"] = call_id
        if name:
            known["name"] += name
        if arguments:
            known["arguments"].append(arguments)

    def calls(self) -> list[_Call]:
        return [
            _Call(
                id=found["id"] or f"call_{slot}",
                name=found["name"],
                arguments="".join(found["arguments"]),
            )
            for slot, found in sorted(self._slots.items())
            if found["name"]
        ]


class OpenAIChatEngine:
    """`ChatEngine` over an OpenAI-compatible chat-completions endpoint."""

    name = "openai"

    def __init__(
        self,
        *,
        client: AsyncOpenAI,
        model: str,
        temperature: float | None = None,
        deadline: float | None = None,
    ) -> None:
        self._client = client
        self._model = model
        self._temperature = temperature  # None: not sent (models that only accept 1)
        self._deadline = deadline  # seconds for a whole turn

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        base_url: str | None,
        api_key: str,
        model: str,
        temperature: float | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> OpenAIChatEngine:
        client = make_client(
            base_url=base_url,
            api_key=api_key,
            timeout=settings.openai_timeout_seconds,
            max_retries=settings.openai_max_retries,
            http_client=http_client,
        )
        return cls(
            client=client,
            model=model,
            temperature=temperature,
            deadline=settings.analysis_run_deadline_seconds,
        )

    @property
    def model(self) -> str:
        return self._model

    async def reply(self, ctx: TurnContext, emit: Emit) -> Reply:
        tally = _Tally(self._model)
        try:
            async with asyncio.timeout(self._deadline):
                if ctx.agent.kind == AgentKind.staged.value and ctx.agent.stages:
                    return await self._staged(ctx, emit, tally)
                return await self._assistant(ctx, _Said(emit), tally)
        except TimeoutError:
            raise ChatEngineError(
                f"the model did not answer within {self._deadline:g} s",
                timeout=True,
                usage=tally.usage(),
            ) from None

    # ------------------------------------------------------------------ assistants

    async def _assistant(self, ctx: TurnContext, said: _Said, tally: _Tally) -> Reply:
        passages = list(await ctx.retrieve(ctx.message))[:MAX_PASSAGES]
        used = _Used()
        used.add_passages(passages)
        specs = _tool_specs(ctx.agent)
        system = _assistant_system(ctx, passages, bool(specs))
        messages = _messages(system, ctx.history, ctx.message)
        for _ in range(MAX_TOOL_ROUNDS if specs else 0):
            found = await self._stream(messages, specs, "auto", said, tally)
            if not found.calls:
                return self._answer(said, tally, used)
            await _answer_calls(ctx, messages, found, used)
            said.pause()
        # No tools, or the rounds are spent: the model answers with what it has.
        await self._stream(messages, specs, "none" if specs else None, said, tally)
        return self._answer(said, tally, used)

    def _answer(self, said: _Said, tally: _Tally, used: _Used) -> Reply:
        if not said.text.strip():
            raise ChatEngineError("the model returned an empty answer", usage=tally.usage())
        return used.reply(said.text, tally)

    async def _stream(
        self,
        messages: list[dict[str, Any]],
        specs: list[dict[str, Any]],
        tool_choice: str | None,
        said: _Said,
        tally: _Tally,
    ) -> _Round:
        """One streamed request: its text goes to `said` as it arrives; tool calls (when
        `tool_choice` is "auto") are gathered."""
        options = self._options()
        if specs and tool_choice:
            options.update(tools=specs, tool_choice=tool_choice)
        calls = _Calls()
        start = len(said.text)
        with self._mapped(tally):
            stream = await self._client.chat.completions.create(
                model=self._model,
                messages=cast(Any, messages),
                stream=True,
                stream_options={"include_usage": True},
                **options,
            )
        async with stream:
            chunks = aiter(stream)
            while True:
                with self._mapped(tally):
                    try:
                        chunk = await anext(chunks)
                    except StopAsyncIteration:
                        break
                    pieces = _read_chunk(chunk, calls, tally)
                for piece in pieces:
                    await said(piece)
        found = calls.calls() if tool_choice == "auto" else []
        return _Round(text=said.text[start:], calls=found)

    # ------------------------------------------------------------------ staged agents

    async def _staged(self, ctx: TurnContext, emit: Emit, tally: _Tally) -> Reply:
        agent = ctx.agent
        lang = "es" if agent.language == "es" else "en"
        stages = agent.stages
        stage = next((s for s in stages if s.position == ctx.stage_number), stages[0])
        state = dict(ctx.state)
        outputs = dict(ctx.outputs)
        values = dict(state.get("values") or {})
        done = bool(state.get("complete"))
        specs = _tool_specs(agent)
        system = _staged_system(ctx, stage, values, outputs, done, bool(specs))
        messages = _messages(system, ctx.history, ctx.message)
        schema = _staged_schema({} if done else _properties(stage))
        used = _Used()
        answer = await self._structured(messages, schema, tally, _Tools(ctx, specs, used))
        if done:
            step = Step(answer.reply, stage.position, state, outputs, 100, True)
        else:
            taken, errors = _take(stage, answer.values or {}, lang)
            values.update(taken)
            step = _advance(stages, stage, state, outputs, values, answer.reply)
            step.errors = errors
            if errors and step.stage_number == stage.position and not step.is_complete:
                # The reply may have accepted what was refused: it is written again.
                messages += [
                    {"role": "assistant", "content": answer.model_dump_json()},
                    {"role": "user", "content": _refused_message(errors, taken, lang)},
                ]
                again = await self._structured(
                    messages, _staged_schema({}), tally, _Tools(ctx, specs, None)
                )
                step.text = again.reply
        await emit_in_pieces(step.text, emit)
        return used.reply(step.text, tally, step)

    async def _structured(
        self,
        messages: list[dict[str, Any]],
        schema: dict[str, Any],
        tally: _Tally,
        offered: _Tools,
    ) -> _StagedAnswer:
        """The model's structured answer, after at most `MAX_TOOL_ROUNDS` rounds of the
        tools it calls first (when `offered.used` collects them; else the tools are
        listed but not callable, as the messages may hold earlier calls). An answer that
        is not the JSON asked for goes back once with the reason."""
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": "pixely_stage_turn", "strict": False, "schema": schema},
        }
        specs, used = offered.specs, offered.used
        rounds = MAX_TOOL_ROUNDS if specs else 0
        for _ in range(rounds if used is not None else 0):
            found = await self._complete(messages, response_format, tally, specs, "auto")
            if not found.calls:
                break
            await _answer_calls(offered.ctx, messages, found, used or _Used())
        else:
            found = await self._complete(
                messages, response_format, tally, specs, "none" if specs else None
            )
        content = found.text
        try:
            return _StagedAnswer.model_validate_json(unfence(content))
        except ValidationError as first:
            repair = [
                *messages,
                {"role": "assistant", "content": content},
                {"role": "user", "content": _repair_message(first)},
            ]
            content = (
                await self._complete(
                    repair, response_format, tally, specs, "none" if specs else None
                )
            ).text
            try:
                return _StagedAnswer.model_validate_json(unfence(content))
            except ValidationError as second:
                detail = short_text("; ".join(e["msg"] for e in second.errors(include_url=False)))
                raise ChatEngineError(
                    "the model's answer was not the JSON asked for, after one repair "
                    f"attempt: {detail}",
                    usage=tally.usage(),
                ) from second

    async def _complete(
        self,
        messages: list[dict[str, Any]],
        response_format: dict[str, Any],
        tally: _Tally,
        specs: list[dict[str, Any]],
        tool_choice: str | None,
    ) -> _Round:
        """One request for structured output: its text, and the tool calls it made
        instead (when `tool_choice` is "auto")."""
        options = self._options()
        if specs and tool_choice:
            options.update(tools=specs, tool_choice=tool_choice)
        with self._mapped(tally):
            completion = await self._client.chat.completions.create(
                model=self._model,
                messages=cast(Any, messages),
                response_format=cast(Any, response_format),
                **options,
            )
            tally.add(getattr(completion, "model", None), getattr(completion, "usage", None))
            choices = list(completion.choices or ())
            if not choices:
                raise ChatEngineError("the model API returned no choices", usage=tally.usage())
            message = choices[0].message
            refusal = getattr(message, "refusal", None)
            if refusal:
                raise ChatEngineError(
                    f"the model refused to answer: {short_text(refusal)}", usage=tally.usage()
                )
            calls = [
                _Call(id=c.id, name=c.function.name, arguments=c.function.arguments or "")
                for c in (message.tool_calls or ())
                if tool_choice == "auto" and getattr(c, "function", None) is not None
            ]
            return _Round(text=str(message.content or ""), calls=calls)

    # ------------------------------------------------------------------ the API

    def _options(self) -> dict[str, Any]:
        return {} if self._temperature is None else {"temperature": self._temperature}

    @contextmanager
    def _mapped(self, tally: _Tally) -> Iterator[None]:
        """What the SDK raises (after its retries), as a `ChatEngineError`."""
        client = self._client
        try:
            yield
        except openai.APITimeoutError as exc:
            raise ChatEngineError(
                f"the model API timed out (after {client.timeout} s per attempt and"
                f" {client.max_retries} retries)",
                timeout=True,
                usage=tally.usage(),
            ) from exc
        except openai.APIConnectionError as exc:
            logger.warning("model API unreachable at %s: %s", client.base_url, short_text(exc))
            raise ChatEngineError(
                f"could not reach the model API at {client.base_url}"
                f" (after {client.max_retries} retries)",
                usage=tally.usage(),
            ) from exc
        except openai.APIStatusError as exc:
            logger.warning(
                "model API answered HTTP %s: %s", exc.status_code, short_text(exc.message)
            )
            raise ChatEngineError(
                status_message(exc.status_code, client.max_retries), usage=tally.usage()
            ) from exc
        except (openai.OpenAIError, ValueError, AttributeError, TypeError, IndexError) as exc:
            # ValueError: a body or an event that is not JSON; the others: JSON of
            # another shape than a chat completion (or chunk).
            logger.warning("model API call failed: %s", short_text(repr(exc)))
            raise ChatEngineError(
                "the model API's answer is not a chat completion (is the base URL an "
                "OpenAI-compatible endpoint?)",
                usage=tally.usage(),
            ) from exc


# --------------------------------------------------------------------------- messages


def _messages(
    system: str, history: Sequence[tuple[str, str]], message: str
) -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": system},
        *_history(history),
        {"role": "user", "content": message},
    ]


def _history(history: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """The latest earlier messages that fit in `HISTORY_TOKENS`, oldest first."""
    budget = HISTORY_TOKENS * CHARS_PER_TOKEN
    kept: list[dict[str, Any]] = []
    for role, text in reversed(history):
        if not text:
            continue  # a failed turn stores an empty answer
        budget -= len(text)
        if budget < 0:
            break
        kept.append({"role": "assistant" if role == "agent" else "user", "content": text})
    kept.reverse()
    return kept


def _preamble(ctx: TurnContext) -> list[str]:
    agent = ctx.agent
    language = LANGUAGE_NAMES.get(agent.language, agent.language)
    parts = [agent.system_prompt.strip(), f"Always answer in {language}."]
    if ctx.client_profile:
        profile = json.dumps(ctx.client_profile, ensure_ascii=False, default=str)
        parts.append(
            "The client this conversation is about (its profile and latest analyses, as "
            f"stored; quote their figures with their period):\n{profile}"
        )
    return [p for p in parts if p]


def _assistant_system(ctx: TurnContext, passages: Sequence[Passage], with_tools: bool) -> str:
    parts = _preamble(ctx)
    if with_tools:
        parts.append(
            "For figures about the agency's data (posts, engagement, followers, analyses, "
            "forecasts) call the tools and quote what they return; never make a figure up. "
            "Say which filter and period a figure is for."
        )
        turn = ctx.tools
        parts.append(f"Today is {turn.today.isoformat()} (dates are local days, {turn.timezone}).")
        if ctx.clients:
            listed = "; ".join(f"{c.name}: {c.id}" for c in list(ctx.clients)[:MAX_CLIENTS])
            parts.append(f"The agency's clients (name: client_id): {listed}.")
        if turn.client_id:
            parts.append(f"This conversation is about the client with client_id {turn.client_id}.")
    if passages:
        blocks = [_passage_block(number, p) for number, p in enumerate(passages, 1)]
        parts.append(
            "Passages from the agency's documents that may help (use them only if they "
            "answer the message, and name the document you took something from):\n\n"
            + "\n\n".join(blocks)
        )
    return "\n\n".join(parts)


def _passage_block(number: int, passage: Passage) -> str:
    where = f", page {passage.page}" if passage.page else ""
    heading = f" — {passage.heading}" if passage.heading else ""
    return f"[{number}] {passage.filename}{where}{heading}\n{_cut(passage.text, PASSAGE_CHARS)}"


def _assistant_message(found: _Round) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": found.text or None,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments or "{}"},
            }
            for call in found.calls
        ],
    }


def _read_chunk(chunk: Any, calls: _Calls, tally: _Tally) -> list[str]:
    """The text pieces of a stream chunk; its tool-call deltas go to `calls`, its usage
    (the last chunk, with `include_usage`) to `tally`."""
    tally.add(getattr(chunk, "model", None), getattr(chunk, "usage", None))
    pieces: list[str] = []
    for choice in chunk.choices or ():
        if choice.index != 0 or choice.delta is None:
            continue
        delta = choice.delta
        text = delta.content or getattr(delta, "refusal", None)
        if text:
            pieces.append(str(text))
        for call in delta.tool_calls or ():
            function = call.function
            calls.add(
                int(call.index or 0),
                call.id,
                function.name if function else None,
                function.arguments if function else None,
            )
    return pieces


# --------------------------------------------------------------------------- tools


def _tool_specs(agent: AgentSpec) -> list[dict[str, Any]]:
    """The agent's allowed tools as functions the model may call."""
    allowed = set(agent.tools)
    specs: list[dict[str, Any]] = [
        {
            "type": "function",
            "function": {
                "name": name,
                "description": tool.description,
                "parameters": tool.parameters.model_json_schema(),
            },
        }
        for name, tool in tools.TOOLS.items()
        if name in allowed and name != SEARCH_TOOL
    ]
    if SEARCH_TOOL in allowed:
        specs.append(SEARCH_SPEC)
    return specs


@dataclass
class _Tools:
    """The tools a structured request offers, and where calls are collected (None: the
    tools are only listed, not callable)."""

    ctx: TurnContext
    specs: list[dict[str, Any]]
    used: _Used | None


async def _answer_calls(
    ctx: TurnContext, messages: list[dict[str, Any]], found: _Round, used: _Used
) -> None:
    """Run a round's calls: the model's message and each result join `messages`; the
    records and passages join `used`."""
    messages.append(_assistant_message(found))
    for number, call in enumerate(found.calls):
        content, record, passages = await _run(ctx, call, number)
        messages.append({"role": "tool", "tool_call_id": call.id, "content": content})
        used.records.append(record)
        used.add_passages(passages)


async def _run(
    ctx: TurnContext, call: _Call, number: int
) -> tuple[str, dict[str, Any], list[Passage]]:
    """Run one call the model asked for: (the text sent back to the model, the call's
    record, passages found). A failure is the result, so the model can recover."""
    try:
        arguments = json.loads(call.arguments or "{}")
    except ValueError:
        arguments = None
    if not isinstance(arguments, dict):
        return _failed(
            call.name, {"raw": short_text(call.arguments)}, "the arguments are not a JSON object"
        )
    if number >= MAX_CALLS_PER_ROUND:
        return _failed(call.name, arguments, f"at most {MAX_CALLS_PER_ROUND} calls at a time")
    if call.name not in ctx.agent.tools:
        return _failed(call.name, arguments, f"there is no tool {call.name!r} for this agent")
    if call.name == SEARCH_TOOL:
        return await _search(ctx, arguments)
    try:
        result = await tools.call_tool(ctx.tools, call.name, arguments)
    except tools.ToolError as exc:
        return _failed(call.name, arguments, str(exc))
    record = {"name": result.name, "arguments": result.arguments, "result": result.data}
    content = json.dumps(
        {"summary": result.summary, "data": result.data}, ensure_ascii=False, default=str
    )
    return _cut(content, TOOL_RESULT_CHARS), record, []


async def _search(
    ctx: TurnContext, arguments: dict[str, Any]
) -> tuple[str, dict[str, Any], list[Passage]]:
    query = str(arguments.get("query") or "").strip()
    if not query:
        return _failed(SEARCH_TOOL, arguments, "the query is empty")
    passages = list(await ctx.retrieve(query))[:MAX_PASSAGES]
    record = {
        "name": SEARCH_TOOL,
        "arguments": {"query": query},
        "result": [source_of(p) for p in passages],
    }
    if not passages:
        return "No passage of the documents matches.", record, []
    blocks = [_passage_block(number, p) for number, p in enumerate(passages, 1)]
    return "\n\n".join(blocks), record, passages


def _failed(
    name: str, arguments: dict[str, Any], error: str
) -> tuple[str, dict[str, Any], list[Passage]]:
    record = {"name": name, "arguments": arguments, "result": {"error": error}}
    return f"Error: {error}", record, []


# --------------------------------------------------------------------------- stages


def _properties(stage: StageSpec) -> dict[str, dict[str, Any]]:
    return dict(stage.output_schema.get("properties", {}))


def _staged_schema(properties: dict[str, Any]) -> dict[str, Any]:
    """{"reply": str, "values": {the stage's fields, all optional}}."""
    return {
        "type": "object",
        "properties": {
            "reply": {"type": "string"},
            "values": {"type": "object", "properties": properties, "additionalProperties": False},
        },
        "required": ["reply", "values"],
        "additionalProperties": False,
    }


def _staged_system(
    ctx: TurnContext,
    stage: StageSpec,
    values: dict[str, Any],
    outputs: dict[str, Any],
    done: bool,
    with_tools: bool = False,
) -> str:
    agent = ctx.agent
    lang = "es" if agent.language == "es" else "en"
    stages = agent.stages
    parts = _preamble(ctx)
    if with_tools:
        parts.append(
            "When the user asks about the agency's data (posts, engagement, followers, "
            "analyses, forecasts, documents), call the tools and quote what they return in "
            "your reply, never a figure of your own; then go on with the stage. "
            f"Today is {ctx.tools.today.isoformat()} (local days, {ctx.tools.timezone})."
        )
    if done:
        collected = json.dumps(outputs, ensure_ascii=False, default=str)
        parts.append(
            f"All {len(stages)} stages of this conversation are complete; the data collected "
            f"(by stage): {collected}. Answer the user's message briefly; there is nothing "
            'left to ask. Reply with a JSON object: "reply" (your message to the user) and '
            '"values" (an empty object).'
        )
        return "\n\n".join(parts)
    need = staged.required(stage)
    lines = [
        f"You lead this conversation through {len(stages)} stages, collecting the fields of "
        f"each. Current stage: {stage.position} of {len(stages)}, «{stage.name}».",
    ]
    if stage.goal:
        lines.append(f"Goal: {stage.goal}")
    if stage.prompt:
        lines.append(stage.prompt.strip())
    lines.append("Fields of this stage (* = required):")
    for name, prop in _properties(stage).items():
        mark = "*" if name in need else ""
        lines.append(f"- {name}{mark} ({_kind(prop)}): {staged.question(stage, name, lang)}")
    held = json.dumps(values, ensure_ascii=False, default=str)
    missing = [name for name in need if name not in values]
    lines.append(f"Values already collected in this stage: {held}")
    lines.append(f"Required fields still missing: {', '.join(missing) or 'none'}")
    later = [s for s in stages if s.position > stage.position]
    if later:
        following = later[0]
        first = next(iter(staged.required(following)), None)
        ask = f" Its first question: {staged.question(following, first, lang)}" if first else ""
        lines.append(
            f"When this stage's required fields are all given, the next stage is "
            f"{following.position}, «{following.name}»: say this stage is done and move on "
            f"to it.{ask}"
        )
    else:
        lines.append(
            "This is the last stage: when its required fields are all given, thank the user "
            "and close the conversation."
        )
    lines.append(
        'Reply with a JSON object: "reply" is your message to the user (acknowledge what '
        "they gave and ask for what is still missing, one or two fields at a time); "
        "\"values\" holds the values of this stage's fields that the user's latest message "
        "gives, and only those: leave out every field it does not give, and never invent "
        "a value."
    )
    parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _kind(prop: dict[str, Any]) -> str:
    kind = str(prop.get("type", "string"))
    details = [kind]
    if prop.get("format"):
        details.append(f"format {prop['format']}")
    if prop.get("enum"):
        details.append("one of " + ", ".join(str(o) for o in prop["enum"]))
    for key in ("minimum", "maximum", "minLength", "maxLength", "pattern"):
        if key in prop:
            details.append(f"{key} {prop[key]}")
    return "; ".join(details)


def _take(
    stage: StageSpec, extracted: dict[str, Any], lang: str
) -> tuple[dict[str, Any], list[str]]:
    """The extracted values that validate as the stage's fields, and why the others do
    not ("field: reason")."""
    props = _properties(stage)
    taken: dict[str, Any] = {}
    errors: list[str] = []
    for name, raw in extracted.items():
        prop = props.get(name)
        if prop is None or raw is None or raw == "" or isinstance(raw, dict | list):
            continue
        if isinstance(raw, bool):
            raw = "true" if raw else "false"
        elif isinstance(raw, float) and raw.is_integer() and prop.get("type") == "integer":
            raw = int(raw)  # 12.0 is 12, not "12.0" read as 120
        value, reason = staged.validate(prop, str(raw), lang)
        if reason is None:
            taken[name] = value
        else:
            errors.append(f"{name}: {reason}")
    return taken, errors


def _advance(
    stages: tuple[StageSpec, ...],
    stage: StageSpec,
    state: dict[str, Any],
    outputs: dict[str, Any],
    values: dict[str, Any],
    text: str,
) -> Step:
    """Complete the stages whose required fields are all held, as the local flow does
    (`staged.step`), and say where the conversation stands."""
    completed: dict[str, Any] | None = None
    while True:
        missing = next((name for name in staged.required(stage) if name not in values), None)
        if missing is not None:
            state.update(asking=missing, values=values)
            current = staged.progress(stages, outputs, values, stage.position)
            return Step(text, stage.position, state, outputs, current, False, completed)
        completed = {k: values[k] for k in _properties(stage) if k in values}
        outputs[str(stage.position)] = completed
        values = {}
        later = [s for s in stages if s.position > stage.position]
        if not later:
            state.update(asking=None, values={}, complete=True)
            return Step(text, stage.position, state, outputs, 100, True, completed)
        stage = later[0]


def _refused_message(errors: list[str], taken: dict[str, Any], lang: str) -> str:
    refused = "\n".join(f"- {e}" for e in errors)
    kept = json.dumps(taken, ensure_ascii=False, default=str)
    language = LANGUAGE_NAMES.get(lang, lang)
    return (
        "(A note from the system, not from the user.) These values were not accepted:\n"
        f"{refused}\nThe accepted ones: {kept}. Write your reply to the user again, in "
        f"{language}: say briefly why those values could not be taken and ask for them "
        'again. Answer with the same JSON object, "values" empty.'
    )


def _repair_message(error: ValidationError) -> str:
    detail = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
        for e in error.errors(include_url=False)[:5]
    )
    return (
        f"Your previous answer is not the JSON object asked for ({short_text(detail)}). Reply "
        'again with the JSON object only: {"reply": "...", "values": {...}}, no prose and '
        "no code fences."
    )


# --------------------------------------------------------------------------- helpers


def _cut(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"

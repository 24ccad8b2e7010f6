"""What an engine gets for a turn (`TurnContext`), what it gives back (`Reply`), and the
protocol both engines follow."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.agents.spec import AgentSpec
from app.chat.intents import ClientRef, ToolCall
from app.chat.staged import Step
from app.chat.tools import ToolScope
from app.documents.service import Passage

Emit = Callable[[str], Awaitable[None]]  # sends a piece of the answer as it is made
Retrieve = Callable[[str], Awaitable[list[Passage]]]


@dataclass(frozen=True)
class TurnContext:
    agent: AgentSpec  # at the conversation's prompt version
    message: str  # what the user said this turn
    history: Sequence[tuple[str, str]]  # earlier (role, text), oldest first, within budget
    stage_number: int
    state: dict[str, Any]
    outputs: dict[str, Any]
    tools: ToolScope  # the tenant, its clock and zone; a session per tool call
    clients: Sequence[ClientRef]  # the tenant's clients, for names in questions
    retrieve: Retrieve  # the tenant's documents visible to this agent (and client)
    # The conversation's client for a language model: profile and latest analyses.
    client_profile: dict[str, Any] | None = None
    # The tool the previous answer came from, for a follow-up ("¿Y en septiembre?").
    previous_call: ToolCall | None = None

    @property
    def language(self) -> str:
        return self.agent.language


@dataclass
class Reply:
    text: str
    model: str
    usage: dict[str, int] = field(default_factory=dict)
    tools: list[dict[str, Any]] = field(default_factory=list)  # {name, arguments, result}
    sources: list[dict[str, Any]] = field(default_factory=list)
    step: Step | None = None  # a staged agent's new stage, state, outputs and progress


class ChatEngineError(Exception):
    """The engine could not answer: `timeout` True for a deadline, else an error."""

    def __init__(
        self, message: str, *, timeout: bool = False, usage: dict[str, int] | None = None
    ) -> None:
        super().__init__(message)
        self.timeout = timeout
        self.usage = usage or {}


class ChatEngine(Protocol):
    name: str

    async def reply(self, ctx: TurnContext, emit: Emit) -> Reply: ...


def source_of(passage: Passage) -> dict[str, Any]:
    """How a passage is recorded as a source of an answer."""
    return {
        "document_id": str(passage.document_id),
        "chunk_id": str(passage.chunk_id),
        "filename": passage.filename,
        "heading": passage.heading,
        "page": passage.page,
        "score": passage.score,
    }


async def emit_in_pieces(text: str, emit: Emit, size: int = 48) -> None:
    """Send a finished text as a few deltas (on word boundaries) whose concatenation is
    the text itself."""
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            space = text.rfind(" ", start + 1, end)
            end = space + 1 if space > start else end
        await emit(text[start:end])
        start = end

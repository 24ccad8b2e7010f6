"""What a conversation needs to know about an agent at one prompt version, as plain
frozen data (the chat domain reads agents through `app.agents.service`, which returns
these, never the ORM rows)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class StageSpec:
    position: int  # 1 = the first stage
    name: str
    goal: str
    prompt: str
    output_schema: dict[str, Any]  # JSON schema: type object, properties, required
    questions: dict[str, str]  # field -> the question that asks for it (else its description)


@dataclass(frozen=True, slots=True)
class AgentSpec:
    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    slug: str
    kind: str  # AgentKind
    language: str  # "es" or "en"
    engine: str | None  # None: the tenant's AI settings
    model: str | None
    temperature: float | None
    tools: tuple[str, ...]  # allowed tool names (app.chat.tools)
    client_id: uuid.UUID | None
    prompt_version: int  # the version this spec is of
    system_prompt: str
    stages: tuple[StageSpec, ...] = ()  # ordered; empty for an assistant
    is_active: bool = True  # an inactive agent keeps its conversations but takes no turns

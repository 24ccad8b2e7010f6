"""Request and answer shapes of chat turns, conversations and messages."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import not_blank

MAX_MESSAGE_CHARS = 4000
MessageText = Annotated[str, not_blank(MAX_MESSAGE_CHARS)]


class ChatIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"message": "¿Cuántas publicaciones negativas tuvo Banco Andino en marzo?"},
                {"message": "Hola", "conversation_id": None, "client_id": None},
            ]
        },
    )

    message: MessageText = Field(description="What the user says (not blank).")
    conversation_id: uuid.UUID | None = Field(
        default=None, description="Continue this conversation; omit to start a new one."
    )
    client_id: uuid.UUID | None = Field(
        default=None,
        description="The client (brand) the conversation is about; default the agent's.",
    )


class TurnMetadata(BaseModel):
    engine: str = Field(description="'local' or 'openai'.")
    model: str = Field(description="The model that answered ('local-chat-1' offline).")
    prompt_version: int = Field(description="The agent's prompt version of the conversation.")
    usage: dict[str, int] = Field(description="Tokens used (empty on the local engine).")
    sources: list[dict[str, Any]] = Field(
        description="Passages the answer rests on: document_id, chunk_id, filename, score."
    )
    tools: list[dict[str, Any]] = Field(
        description="Tools called, each with its name, arguments and result."
    )
    latency_ms: int = Field(ge=0, description="Server time of the turn.")


class TurnOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "conversation_id": "5f0c3c2e-8b7a-4f57-9d43-0c2a8a9f6b11",
                    "message_id": "0b1e5a3c-2f4d-4e8a-b1c9-6d7e8f9a0b1c",
                    "agent_message": "Banco Andino tuvo 132 publicaciones negativas del 1 al "
                    "31 de marzo de 2026 (todas las plataformas).",
                    "stage_number": 1,
                    "state": {},
                    "progress": 0,
                    "is_complete": False,
                    "output": None,
                    "metadata": {
                        "engine": "local",
                        "model": "local-chat-1",
                        "prompt_version": 1,
                        "usage": {},
                        "sources": [],
                        "tools": [
                            {
                                "name": "count_posts",
                                "arguments": {"sentiment": "negative"},
                                "result": {"posts": 132},
                            }
                        ],
                        "latency_ms": 12,
                    },
                }
            ]
        }
    )

    conversation_id: uuid.UUID
    message_id: uuid.UUID = Field(description="The agent's stored message.")
    agent_message: str = Field(description="The agent's answer.")
    stage_number: int = Field(ge=1, description="The current stage (1 for an assistant).")
    state: dict[str, Any] = Field(description="The staged flow's working data.")
    progress: int = Field(ge=0, le=100, description="Share of required fields filled, 0-100.")
    is_complete: bool = Field(description="Every stage is complete.")
    output: dict[str, Any] | None = Field(
        description="The output of the stage this turn completed (null otherwise)."
    )
    metadata: TurnMetadata


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    agent_id: uuid.UUID
    client_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    user_id: uuid.UUID | None
    channel: str
    prompt_version: int
    stage_number: int
    state: dict[str, Any]
    outputs: dict[str, Any] = Field(description="Each completed stage's output, by number.")
    progress: int
    is_complete: bool
    messages: int = Field(description="Messages stored (the user's and the agent's).")
    last_message_at: datetime | None
    created_at: datetime
    updated_at: datetime


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    conversation_id: uuid.UUID
    role: str = Field(description="'user' or 'agent'.")
    text: str
    stage_number: int | None
    engine: str | None
    model: str | None
    prompt_version: int | None
    usage: dict[str, Any] | None
    latency_ms: int | None
    tools: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    error: dict[str, Any] | None = Field(description="Why the turn failed (null when it did not).")
    created_at: datetime


class ExternalChatIn(BaseModel):
    """The existing product's chat request (the microservice Pixely replaces)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "mensaje": "¿Cuántos seguidores tiene Banco Andino?",
                    "usuario_id": "42",
                    "proyecto": "asistente-clientes",
                }
            ]
        },
    )

    mensaje: MessageText = Field(description="What the user says.")
    usuario_id: str | int = Field(description="The token's user id (403 otherwise).")
    proyecto: str = Field(
        min_length=1, max_length=64, description="The slug of an agent of the user's tenant."
    )


class ExternalChatOut(TurnOut):
    respuesta: str = Field(description="The agent's answer (as agent_message).")
    fuentes: list[dict[str, Any]] = Field(description="The sources (as metadata.sources).")

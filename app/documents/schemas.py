from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.enums import DocumentStatus, Language

_DOCUMENT_EXAMPLE: dict[str, Any] = {
    "id": "0b8f5c1e-8d44-4f0e-9a55-2f1f9b7c2a10",
    "filename": "tarifario-tarjetas.pdf",
    "content_type": "application/pdf",
    "language": "es",
    "size_bytes": 182344,
    "sha256": "9f2c" + "0" * 60,
    "status": "ready",
    "progress": 100,
    "pages": 6,
    "chunks": 14,
    "error": None,
    "client_id": "5d1f4a7e-0c36-4a52-8d8e-3f4b2e9c7a11",
    "agent_id": None,
    "job_id": None,
    "created_at": "2026-12-06T15:04:05Z",
    "updated_at": "2026-12-06T15:04:06Z",
}


class DocumentOut(BaseModel):
    """An uploaded document: `ready` once its passages are searchable, `pending` while a
    job reads it (`progress` 0-100), `failed` with `error` when its text could not be
    read."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"example": _DOCUMENT_EXAMPLE}
    )

    id: uuid.UUID
    filename: str
    content_type: str = Field(description="application/pdf, text/markdown or text/plain")
    language: Language = Field(description="The language its passages are indexed in")
    size_bytes: int
    sha256: str
    status: DocumentStatus
    progress: int = Field(
        description="Of its ingestion, 0-100 (100 once ready or failed); below 100 on a "
        "ready document while its passages are embedded again (POST /documents/reindex)"
    )
    pages: int | None = Field(description="A PDF's pages; null for text and Markdown")
    chunks: int = Field(description="Passages stored for retrieval")
    error: str | None = Field(description="Why it failed")
    client_id: uuid.UUID | None = Field(description="Only this client's agents use it")
    agent_id: uuid.UUID | None = Field(description="Only this agent uses it")
    job_id: uuid.UUID | None = Field(description="Its ingestion job, when it was read by one")
    created_at: datetime
    updated_at: datetime


class PassageOut(BaseModel):
    document_id: uuid.UUID
    chunk_id: uuid.UUID
    filename: str
    heading: str | None = Field(description="The Markdown heading path it is under")
    page: int | None = Field(description="The PDF page it starts on (1-based)")
    text: str
    score: float = Field(description="Reciprocal rank fusion: sum of 1 / (60 + rank)")
    text_rank: int | None = Field(description="Its rank by full-text search (1 = best)")
    vector_rank: int | None = Field(description="Its rank by embedding similarity (1 = best)")


class SearchOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "items": [
                    {
                        "document_id": _DOCUMENT_EXAMPLE["id"],
                        "chunk_id": "7a3c2b1d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                        "filename": "tarifario-tarjetas.pdf",
                        "heading": None,
                        "page": 2,
                        "text": "La Tarjeta Clásica no cobra membresía el primer año...",
                        "score": 0.0328,
                        "text_rank": 1,
                        "vector_rank": 1,
                    }
                ]
            }
        }
    )

    items: list[PassageOut]


class ReindexOut(BaseModel):
    """What `POST /documents/reindex` queued."""

    model: str = Field(
        description="The tenant's embedding model now: its passages are embedded again with it",
        examples=["openai:text-embedding-3-small"],
    )
    document_ids: list[uuid.UUID] = Field(
        description="The documents with passages of another model, each re-embedded by a job "
        "(its `progress`); empty when every passage is of this model already"
    )

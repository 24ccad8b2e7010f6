"""An agent, its versioned prompt and (for a staged agent) its ordered stages.

Every change of the prompt or the stages is a new `AgentPromptVersion` with its own
`AgentStage` rows: a conversation keeps the version it started on, and the history of an
agent's instructions is never rewritten.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, IdMixin, TenantMixin, TimestampMixin
from app.core.enums import AgentKind, Language, check_in


class Agent(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "agent"
    __table_args__ = (
        UniqueConstraint("tenant_id", "slug"),
        CheckConstraint(check_in("kind", AgentKind), name="kind"),
        CheckConstraint(check_in("language", Language), name="language"),
        CheckConstraint("engine IS NULL OR engine IN ('local', 'openai')", name="engine"),
        CheckConstraint(
            "temperature IS NULL OR (temperature >= 0 AND temperature <= 2)", name="temperature"
        ),
        CheckConstraint("prompt_version >= 1", name="prompt_version"),
        Index("ix_agent_tenant_created", "tenant_id", "created_at"),
    )

    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(64))  # how an existing product addresses it
    purpose: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    engine: Mapped[str | None] = mapped_column(String(16))  # None: the tenant's AI settings
    model: Mapped[str | None] = mapped_column(String(120))
    temperature: Mapped[float | None] = mapped_column(Float)
    tools: Mapped[list[str]] = mapped_column(JSONB, default=list)  # allowed tool names
    client_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("client.id", ondelete="SET NULL"), index=True
    )
    prompt_version: Mapped[int] = mapped_column(Integer, default=1)  # the current version
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class AgentPromptVersion(IdMixin, TimestampMixin, TenantMixin, Base):
    """One version of an agent's instructions: its system prompt and its stages."""

    __tablename__ = "agent_prompt_version"
    __table_args__ = (
        UniqueConstraint("agent_id", "version"),
        CheckConstraint("version >= 1", name="version"),
    )

    # Covered by the unique (agent_id, version) index for the cascade from the agent.
    agent_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("agent.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    system_prompt: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("user.id", ondelete="SET NULL")
    )


class AgentStage(IdMixin, TimestampMixin, TenantMixin, Base):
    """A stage of a staged agent's prompt version: what it must find out (`output_schema`,
    a JSON schema whose required fields each have a description and, optionally, the
    question that asks for it in `questions`) and how it speaks while doing so."""

    __tablename__ = "agent_stage"
    __table_args__ = (
        UniqueConstraint("version_id", "position"),
        CheckConstraint("position >= 1", name="position"),
    )

    version_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("agent_prompt_version.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)  # 1 = the first stage
    name: Mapped[str] = mapped_column(String(120))
    goal: Mapped[str] = mapped_column(Text, default="")
    prompt: Mapped[str] = mapped_column(Text, default="")
    output_schema: Mapped[dict[str, Any]] = mapped_column(JSONB)
    questions: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)  # field -> question

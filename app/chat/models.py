"""Contacts, conversations and messages: one model for every channel (the API now;
web chat, WhatsApp and voice reuse it with their `channel` and a `Contact`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, IdMixin, TenantMixin, TimestampMixin
from app.core.enums import Channel, MessageRole, check_in


class Contact(IdMixin, TimestampMixin, TenantMixin, Base):
    """Someone outside the tenant's team who talks to its agents: a WhatsApp number, a
    caller, a web chat visitor (`address` is what the channel knows them by)."""

    __tablename__ = "contact"
    __table_args__ = (
        UniqueConstraint("tenant_id", "channel", "address"),
        CheckConstraint(check_in("channel", Channel), name="channel"),
    )

    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    client_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("client.id", ondelete="SET NULL"), index=True
    )


class Conversation(IdMixin, TimestampMixin, TenantMixin, Base):
    """A conversation with one agent, on one channel, at one prompt version.

    `state` holds the staged flow's working data (the field just asked, the values
    given so far); `outputs` the validated output of each completed stage, by stage
    number; `progress` the share (0-100) of all stages' required fields filled.
    """

    __tablename__ = "conversation"
    __table_args__ = (
        CheckConstraint(check_in("channel", Channel), name="channel"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        CheckConstraint("stage_number >= 1", name="stage_number"),
        Index("ix_conversation_tenant_updated", "tenant_id", "updated_at"),
        Index("ix_conversation_agent_updated", "agent_id", "updated_at"),
        Index("ix_conversation_user_agent", "user_id", "agent_id", "updated_at"),
    )

    agent_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("agent.id", ondelete="CASCADE"))
    prompt_version: Mapped[int] = mapped_column(Integer)
    client_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("client.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("contact.id", ondelete="SET NULL"), index=True
    )
    # The team member (or the existing product's user) talking through the API.
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("user.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(16), default=Channel.api.value)
    stage_number: Mapped[int] = mapped_column(SmallInteger, default=1)
    state: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    progress: Mapped[int] = mapped_column(SmallInteger, default=0)
    is_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Message(IdMixin, TimestampMixin, TenantMixin, Base):
    """One message of a conversation: the user's, or the agent's with how it was made
    (engine, model, prompt version, usage, latency, tools called, sources used) or the
    error that stopped it (`error`, and no text)."""

    __tablename__ = "message"
    __table_args__ = (
        CheckConstraint(check_in("role", MessageRole), name="role"),
        Index("ix_message_conversation_created", "conversation_id", "created_at"),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("conversation.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text, default="")
    stage_number: Mapped[int | None] = mapped_column(SmallInteger)
    engine: Mapped[str | None] = mapped_column(String(16))
    model: Mapped[str | None] = mapped_column(String(120))
    prompt_version: Mapped[int | None] = mapped_column(Integer)
    usage: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    tools: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, IdMixin, TenantMixin, TimestampMixin
from app.core.enums import Language, Platform, check_in


class Client(IdMixin, TimestampMixin, TenantMixin, Base):
    """A brand the agency analyses."""

    __tablename__ = "client"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint(check_in("language", Language), name="language"),
        Index("ix_client_tenant_id_created_at", "tenant_id", "created_at"),
    )

    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(2), default=Language.es.value)
    website: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    # Other names the brand goes by ("BBVA", "BBVA Continental"), matched like its name.
    aliases: Mapped[list[str]] = mapped_column(
        ARRAY(String(200)), default=list, server_default="{}"
    )
    # [{"name": ..., "handles": [...], "aliases": [...]}] (app/clients/schemas.Competitor)
    competitors: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )


class SocialAccount(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "social_account"
    __table_args__ = (
        UniqueConstraint("client_id", "platform", "handle"),
        CheckConstraint(check_in("platform", Platform), name="platform"),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("client.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    handle: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))

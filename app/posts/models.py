from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, IdMixin, TenantMixin, TimestampMixin
from app.core.enums import ContentType, Platform, check_in


class Post(IdMixin, TimestampMixin, TenantMixin, Base):
    """A post collected on one of a client's social accounts (own or a mention)."""

    __tablename__ = "post"
    __table_args__ = (
        UniqueConstraint("account_id", "external_id"),
        CheckConstraint(check_in("platform", Platform), name="platform"),
        CheckConstraint(check_in("content_type", ContentType), name="content_type"),
        CheckConstraint(
            "likes >= 0 AND comments >= 0 AND shares >= 0 AND views >= 0 AND reach >= 0"
            " AND author_followers >= 0",
            name="counts_non_negative",
        ),
        # The list index; INCLUDE lets the list's count(*) with the common filters be
        # an index-only scan.
        Index(
            "ix_post_client_published",
            "tenant_id",
            "client_id",
            "published_at",
            "id",
            postgresql_include=["platform", "is_own", "account_id", "language", "sentiment_label"],
        ),
        # Per-platform views (the commonest filter): their count and page read only that
        # platform's posts, however many the client has on the others.
        Index(
            "ix_post_client_platform_published",
            "tenant_id",
            "client_id",
            "platform",
            "published_at",
            "id",
            postgresql_include=["is_own", "account_id", "language", "sentiment_label"],
        ),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("client.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("social_account.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(120))
    author_handle: Mapped[str] = mapped_column(String(100))
    author_followers: Mapped[int] = mapped_column(BigInteger, default=0)
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    comments: Mapped[int] = mapped_column(BigInteger, default=0)
    shares: Mapped[int] = mapped_column(BigInteger, default=0)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    reach: Mapped[int] = mapped_column(BigInteger, default=0)
    content_type: Mapped[str] = mapped_column(String(16), default=ContentType.text.value)
    hashtags: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    mentions: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    url: Mapped[str | None] = mapped_column(String(1000))
    language: Mapped[str | None] = mapped_column(String(8))
    is_own: Mapped[bool] = mapped_column(Boolean, default=False)
    # A share of another post ("RT @x: ..."): flagged on import, or told by its text in
    # the analyses (app/ai/local/text.retweet_of); its engagement is the original's.
    is_retweet: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Per-post enrichment, written when an analysis runs (read by later questions,
    # filters and the agents instead of recomputing).
    sentiment_label: Mapped[str | None] = mapped_column(String(8))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    emotion_label: Mapped[str | None] = mapped_column(String(16))
    emotion_scores: Mapped[dict[str, float] | None] = mapped_column(JSONB)
    topics: Mapped[list[str]] = mapped_column(ARRAY(String(120)), default=list, server_default="{}")
    frames: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list, server_default="{}")
    enriched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

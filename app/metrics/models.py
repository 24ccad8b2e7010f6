from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, IdMixin, TenantMixin, TimestampMixin


class AccountMetric(IdMixin, TimestampMixin, TenantMixin, Base):
    """A snapshot of an account's audience figures at one time."""

    __tablename__ = "account_metric"
    __table_args__ = (
        UniqueConstraint("account_id", "captured_at"),
        CheckConstraint(
            "followers >= 0 AND following >= 0 AND posts_total >= 0 AND reach >= 0"
            " AND impressions >= 0 AND engagement_rate >= 0",
            name="counts_non_negative",
        ),
        Index("ix_account_metric_client_captured", "tenant_id", "client_id", "captured_at", "id"),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("client.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("social_account.id", ondelete="CASCADE"), index=True
    )
    captured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    followers: Mapped[int] = mapped_column(BigInteger, default=0)
    following: Mapped[int] = mapped_column(BigInteger, default=0)
    posts_total: Mapped[int] = mapped_column(BigInteger, default=0)
    engagement_rate: Mapped[float] = mapped_column(Float, default=0.0)
    reach: Mapped[int] = mapped_column(BigInteger, default=0)
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)

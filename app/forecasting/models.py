from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, IdMixin, TenantMixin, TimestampMixin


class FollowerForecast(IdMixin, TimestampMixin, TenantMixin, Base):
    """One trained version of an account's follower forecast.

    Versions are immutable and numbered per account (1, 2, ...). The fitted model is
    plain JSON in `parameters` (coefficients, features, residual std, training window),
    never a pickle, so any version can be read, compared and predicted from later.
    """

    __tablename__ = "follower_forecast"
    __table_args__ = (
        UniqueConstraint("account_id", "version"),
        CheckConstraint(
            "version >= 1 AND horizon_days BETWEEN 1 AND 365 AND n_points >= 0"
            " AND holdout_fraction > 0 AND holdout_fraction < 1",
            name="values",
        ),
        # The list (newest first) and "latest" read this index.
        Index("ix_follower_forecast_account_version", "tenant_id", "account_id", "version"),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("client.id", ondelete="CASCADE"), index=True
    )
    # Covered by the unique (account_id, version) index for the cascade from the account.
    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("social_account.id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(40))
    horizon_days: Mapped[int] = mapped_column(Integer)
    holdout_fraction: Mapped[float] = mapped_column(Float)
    n_points: Mapped[int] = mapped_column(Integer)
    train_start: Mapped[date] = mapped_column(Date)
    train_end: Mapped[date] = mapped_column(Date)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONB)

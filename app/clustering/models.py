from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, IdMixin, TenantMixin, TimestampMixin


class PostClusterModel(IdMixin, TimestampMixin, TenantMixin, Base):
    """One clustering of a client's posts by engagement (an immutable, numbered version).

    `parameters` holds what is needed to place a new post (scaler means/stds, centroids,
    names), `clusters` the per-cluster summary at training time, `filters` the selection
    of posts it was trained on. All JSON, never a pickle.
    """

    __tablename__ = "post_cluster_model"
    __table_args__ = (
        UniqueConstraint("client_id", "version"),
        CheckConstraint(
            "version >= 1 AND k BETWEEN 2 AND 12 AND n_posts >= 0"
            " AND k_selection IN ('silhouette', 'given')",
            name="values",
        ),
        Index("ix_post_cluster_model_client_version", "tenant_id", "client_id", "version"),
    )

    # Covered by the unique (client_id, version) index for the cascade from the client.
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("client.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    k: Mapped[int] = mapped_column(SmallInteger)
    k_selection: Mapped[str] = mapped_column(String(16))
    silhouette: Mapped[float] = mapped_column(Float)
    n_posts: Mapped[int] = mapped_column(Integer)
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB)
    clusters: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)

    # Counts kept in `parameters` (no columns): None for versions trained before copies
    # of one text were counted once.
    @property
    def n_clustered(self) -> int:
        return int(self.parameters.get("n_clustered", self.n_posts))

    @property
    def retweets(self) -> int | None:
        value = self.parameters.get("retweets")
        return None if value is None else int(value)

    @property
    def duplicates(self) -> int | None:
        value = self.parameters.get("duplicates")
        return None if value is None else int(value)


class PostClusterAssignment(TenantMixin, Base):
    """The cluster each post fell in, per model version.

    A table rather than a `cluster` column on `post`: every version keeps its own
    assignments (versions stay comparable and reproducible), re-clustering never rewrites
    rows of the hot `post` table, and deleting a model or a post removes its rows by
    cascade. Rows are immutable children of their model, so they carry no timestamps.
    """

    __tablename__ = "post_cluster_assignment"
    __table_args__ = (
        CheckConstraint("cluster >= 0 AND distance >= 0", name="values"),
        # Posts of one cluster, most typical (closest to the centroid) first.
        Index(
            "ix_post_cluster_assignment_model_cluster",
            "tenant_id",
            "model_id",
            "cluster",
            "distance",
        ),
    )

    model_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("post_cluster_model.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("post.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    cluster: Mapped[int] = mapped_column(SmallInteger)
    distance: Mapped[float] = mapped_column(Float)

"""Forecasting and clustering: follower forecast versions, post cluster models and the
posts' cluster assignments.

Reviewed by hand: every table has a not-null, indexed tenant_id with a cascading foreign
key; versions are unique per account (forecasts) or per client (cluster models), and
those unique indexes also serve the cascades from the account / client; lists read
(tenant_id, owner, version); fitted models are JSONB (never pickles); assignments have
the natural key (model_id, post_id) and an index on post_id for the cascade from post.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import SchemaItem

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    ]


def _tenant(table: str) -> list[SchemaItem]:
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f(f"fk_{table}_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "follower_forecast",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("holdout_fraction", sa.Float(), nullable=False),
        sa.Column("n_points", sa.Integer(), nullable=False),
        sa.Column("train_start", sa.Date(), nullable=False),
        sa.Column("train_end", sa.Date(), nullable=False),
        sa.Column("parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("metrics", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *_timestamps(),
        *_tenant("follower_forecast"),
        sa.CheckConstraint(
            "version >= 1 AND horizon_days BETWEEN 1 AND 365 AND n_points >= 0"
            " AND holdout_fraction > 0 AND holdout_fraction < 1",
            name=op.f("ck_follower_forecast_values"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_follower_forecast_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["social_account.id"],
            name=op.f("fk_follower_forecast_account_id_social_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follower_forecast")),
        sa.UniqueConstraint(
            "account_id", "version", name=op.f("uq_follower_forecast_account_id_version")
        ),
    )
    op.create_index(
        op.f("ix_follower_forecast_tenant_id"), "follower_forecast", ["tenant_id"], unique=False
    )
    op.create_index(
        op.f("ix_follower_forecast_client_id"), "follower_forecast", ["client_id"], unique=False
    )
    op.create_index(
        "ix_follower_forecast_account_version",
        "follower_forecast",
        ["tenant_id", "account_id", "version"],
        unique=False,
    )

    op.create_table(
        "post_cluster_model",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("k", sa.SmallInteger(), nullable=False),
        sa.Column("k_selection", sa.String(length=16), nullable=False),
        sa.Column("silhouette", sa.Float(), nullable=False),
        sa.Column("n_posts", sa.Integer(), nullable=False),
        sa.Column("filters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("clusters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *_timestamps(),
        *_tenant("post_cluster_model"),
        sa.CheckConstraint(
            "version >= 1 AND k BETWEEN 2 AND 12 AND n_posts >= 0"
            " AND k_selection IN ('silhouette', 'given')",
            name=op.f("ck_post_cluster_model_values"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_post_cluster_model_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_cluster_model")),
        sa.UniqueConstraint(
            "client_id", "version", name=op.f("uq_post_cluster_model_client_id_version")
        ),
    )
    op.create_index(
        op.f("ix_post_cluster_model_tenant_id"), "post_cluster_model", ["tenant_id"], unique=False
    )
    op.create_index(
        "ix_post_cluster_model_client_version",
        "post_cluster_model",
        ["tenant_id", "client_id", "version"],
        unique=False,
    )

    op.create_table(
        "post_cluster_assignment",
        sa.Column("model_id", sa.Uuid(), nullable=False),
        sa.Column("post_id", sa.Uuid(), nullable=False),
        sa.Column("cluster", sa.SmallInteger(), nullable=False),
        sa.Column("distance", sa.Float(), nullable=False),
        *_tenant("post_cluster_assignment"),
        sa.CheckConstraint(
            "cluster >= 0 AND distance >= 0", name=op.f("ck_post_cluster_assignment_values")
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["post_cluster_model.id"],
            name=op.f("fk_post_cluster_assignment_model_id_post_cluster_model"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["post.id"],
            name=op.f("fk_post_cluster_assignment_post_id_post"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", "post_id", name=op.f("pk_post_cluster_assignment")),
    )
    op.create_index(
        op.f("ix_post_cluster_assignment_tenant_id"),
        "post_cluster_assignment",
        ["tenant_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_post_cluster_assignment_post_id"),
        "post_cluster_assignment",
        ["post_id"],
        unique=False,
    )
    op.create_index(
        "ix_post_cluster_assignment_model_cluster",
        "post_cluster_assignment",
        ["tenant_id", "model_id", "cluster", "distance"],
        unique=False,
    )


def downgrade() -> None:
    # Children first; dropping a table drops its indexes and constraints.
    op.drop_table("post_cluster_assignment")
    op.drop_table("post_cluster_model")
    op.drop_table("follower_forecast")

"""Analyses: runs, jobs, idempotency records, per-post enrichment, tenant AI settings,
and the procrastinate job queue schema.

Reviewed by hand. The procrastinate schema is the SQL file shipped with the installed
procrastinate release; upgrading procrastinate across a schema change needs a new
migration that applies its SQL migration files. Downgrade drops every procrastinate_*
object.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 23:48:52.159691
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _procrastinate_schema() -> str:
    from procrastinate.schema import SchemaManager

    return SchemaManager.get_schema()


def _execute_script(sql: str) -> None:
    """Run a multi-statement script: asyncpg's simple-query protocol, in this migration's
    transaction (prepared statements take one command only)."""
    from sqlalchemy.util import await_only

    dbapi_connection = op.get_bind().connection.dbapi_connection
    await_only(dbapi_connection.driver_connection.execute(sql))  # type: ignore[union-attr]


def upgrade() -> None:
    _execute_script(_procrastinate_schema())
    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_idempotency_record_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_idempotency_record_tenant_id_key")),
    )
    op.create_index(
        op.f("ix_idempotency_record_tenant_id"), "idempotency_record", ["tenant_id"], unique=False
    )
    op.create_table(
        "analysis_job",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("questions", postgresql.ARRAY(sa.String(length=8)), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker_job_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
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
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')",
            name=op.f("ck_analysis_job_status"),
        ),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name=op.f("ck_analysis_job_progress")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_analysis_job_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_analysis_job_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_job")),
    )
    op.create_index(op.f("ix_analysis_job_client_id"), "analysis_job", ["client_id"], unique=False)
    op.create_index(
        "ix_analysis_job_tenant_client_created",
        "analysis_job",
        ["tenant_id", "client_id", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_analysis_job_tenant_id"), "analysis_job", ["tenant_id"], unique=False)
    op.create_table(
        "analysis_run",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("question", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("prompt_version", sa.String(length=120), nullable=True),
        sa.Column("input_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("usage", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("posts_analyzed", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("reused_from_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
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
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')",
            name=op.f("ck_analysis_run_status"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_analysis_run_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["analysis_job.id"],
            name=op.f("fk_analysis_run_job_id_analysis_job"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_analysis_run_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_run")),
    )
    op.create_index(op.f("ix_analysis_run_client_id"), "analysis_run", ["client_id"], unique=False)
    op.create_index(
        "ix_analysis_run_history",
        "analysis_run",
        ["tenant_id", "client_id", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_analysis_run_job_id"), "analysis_run", ["job_id"], unique=False)
    op.create_index(
        "ix_analysis_run_latest",
        "analysis_run",
        ["tenant_id", "client_id", "question", "status", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_analysis_run_reuse",
        "analysis_run",
        ["tenant_id", "client_id", "question", "input_fingerprint"],
        unique=False,
    )
    op.create_index(op.f("ix_analysis_run_tenant_id"), "analysis_run", ["tenant_id"], unique=False)
    op.add_column("post", sa.Column("sentiment_label", sa.String(length=8), nullable=True))
    op.add_column("post", sa.Column("sentiment_score", sa.Float(), nullable=True))
    op.add_column("post", sa.Column("emotion_label", sa.String(length=16), nullable=True))
    op.add_column(
        "post", sa.Column("emotion_scores", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column(
        "post",
        sa.Column(
            "topics", postgresql.ARRAY(sa.String(length=120)), server_default="{}", nullable=False
        ),
    )
    op.add_column(
        "post",
        sa.Column(
            "frames", postgresql.ARRAY(sa.String(length=32)), server_default="{}", nullable=False
        ),
    )
    op.add_column("post", sa.Column("enriched_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "tenant",
        sa.Column(
            "ai_settings",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
    )


def downgrade() -> None:
    schema = _procrastinate_schema()
    for table in (
        "procrastinate_events",
        "procrastinate_periodic_defers",
        "procrastinate_jobs",
        "procrastinate_workers",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    for name in sorted(set(re.findall(r"CREATE FUNCTION (procrastinate_\w+)", schema))):
        op.execute(f"DROP FUNCTION IF EXISTS {name} CASCADE")
    for name in sorted(set(re.findall(r"CREATE TYPE (procrastinate_\w+)", schema))):
        op.execute(f"DROP TYPE IF EXISTS {name} CASCADE")
    op.drop_column("tenant", "ai_settings")
    op.drop_column("post", "enriched_at")
    op.drop_column("post", "frames")
    op.drop_column("post", "topics")
    op.drop_column("post", "emotion_scores")
    op.drop_column("post", "emotion_label")
    op.drop_column("post", "sentiment_score")
    op.drop_column("post", "sentiment_label")
    op.drop_index(op.f("ix_analysis_run_tenant_id"), table_name="analysis_run")
    op.drop_index("ix_analysis_run_reuse", table_name="analysis_run")
    op.drop_index("ix_analysis_run_latest", table_name="analysis_run")
    op.drop_index(op.f("ix_analysis_run_job_id"), table_name="analysis_run")
    op.drop_index("ix_analysis_run_history", table_name="analysis_run")
    op.drop_index(op.f("ix_analysis_run_client_id"), table_name="analysis_run")
    op.drop_table("analysis_run")
    op.drop_index(op.f("ix_analysis_job_tenant_id"), table_name="analysis_job")
    op.drop_index("ix_analysis_job_tenant_client_created", table_name="analysis_job")
    op.drop_index(op.f("ix_analysis_job_client_id"), table_name="analysis_job")
    op.drop_table("analysis_job")
    op.drop_index(op.f("ix_idempotency_record_tenant_id"), table_name="idempotency_record")
    op.drop_table("idempotency_record")

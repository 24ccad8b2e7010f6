"""Agents, conversations and documents (issue 12).

- agent, agent_prompt_version, agent_stage: an agent per tenant (unique slug), its
  versioned system prompt and, for a staged agent, the stages of each version.
- contact, conversation, message: one conversation model for every channel.
- document, document_chunk: uploaded documents, their chunks with a generated tsvector
  (Spanish or English configuration, GIN) and a 512-d pgvector embedding (HNSW, cosine).
- user.external_id: the user's id in an existing product that issues its own tokens.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TSV_EXPRESSION = (
    "to_tsvector(CASE WHEN language = 'es' THEN 'spanish'::regconfig "
    "ELSE 'english'::regconfig END, coalesce(heading, '') || ' ' || text)"
)


def _base() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
    ]


def _tenant(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=f"fk_{table}_tenant_id_tenant", ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.add_column("user", sa.Column("external_id", sa.String(200), nullable=True))
    op.create_unique_constraint("uq_user_external_id", "user", ["external_id"])

    op.create_table(
        "agent",
        *_base(),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("engine", sa.String(16), nullable=True),
        sa.Column("model", sa.String(120), nullable=True),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("tools", postgresql.JSONB(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("prompt_version", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        *_tenant("agent"),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name="fk_agent_client_id_client", ondelete="SET NULL"
        ),
        sa.UniqueConstraint("tenant_id", "slug", name="uq_agent_tenant_id_slug"),
        sa.CheckConstraint("kind IN ('assistant', 'staged')", name="ck_agent_kind"),
        sa.CheckConstraint("language IN ('es', 'en')", name="ck_agent_language"),
        sa.CheckConstraint(
            "engine IS NULL OR engine IN ('local', 'openai')", name="ck_agent_engine"
        ),
        sa.CheckConstraint(
            "temperature IS NULL OR (temperature >= 0 AND temperature <= 2)",
            name="ck_agent_temperature",
        ),
        sa.CheckConstraint("prompt_version >= 1", name="ck_agent_prompt_version"),
    )
    op.create_index("ix_agent_tenant_id", "agent", ["tenant_id"])
    op.create_index("ix_agent_client_id", "agent", ["client_id"])
    op.create_index("ix_agent_tenant_created", "agent", ["tenant_id", "created_at"])

    op.create_table(
        "agent_prompt_version",
        *_base(),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("system_prompt", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        *_tenant("agent_prompt_version"),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agent.id"],
            name="fk_agent_prompt_version_agent_id_agent",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name="fk_agent_prompt_version_created_by_id_user",
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("agent_id", "version", name="uq_agent_prompt_version_agent_id_version"),
        sa.CheckConstraint("version >= 1", name="ck_agent_prompt_version_version"),
    )
    op.create_index("ix_agent_prompt_version_tenant_id", "agent_prompt_version", ["tenant_id"])

    op.create_table(
        "agent_stage",
        *_base(),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("output_schema", postgresql.JSONB(), nullable=False),
        sa.Column("questions", postgresql.JSONB(), nullable=False),
        *_tenant("agent_stage"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["agent_prompt_version.id"],
            name="fk_agent_stage_version_id_agent_prompt_version",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("version_id", "position", name="uq_agent_stage_version_id_position"),
        sa.CheckConstraint("position >= 1", name="ck_agent_stage_position"),
    )
    op.create_index("ix_agent_stage_tenant_id", "agent_stage", ["tenant_id"])

    op.create_table(
        "contact",
        *_base(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        *_tenant("contact"),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name="fk_contact_client_id_client", ondelete="SET NULL"
        ),
        sa.UniqueConstraint(
            "tenant_id", "channel", "address", name="uq_contact_tenant_id_channel_address"
        ),
        sa.CheckConstraint(
            "channel IN ('api', 'webchat', 'whatsapp', 'voice')", name="ck_contact_channel"
        ),
    )
    op.create_index("ix_contact_tenant_id", "contact", ["tenant_id"])
    op.create_index("ix_contact_client_id", "contact", ["client_id"])

    op.create_table(
        "conversation",
        *_base(),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("prompt_version", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("stage_number", sa.SmallInteger(), nullable=False),
        sa.Column("state", postgresql.JSONB(), nullable=False),
        sa.Column("outputs", postgresql.JSONB(), nullable=False),
        sa.Column("progress", sa.SmallInteger(), nullable=False),
        sa.Column("is_complete", sa.Boolean(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True),
        *_tenant("conversation"),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name="fk_conversation_agent_id_agent", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name="fk_conversation_client_id_client",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name="fk_conversation_contact_id_contact",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_conversation_user_id_user", ondelete="SET NULL"
        ),
        sa.CheckConstraint(
            "channel IN ('api', 'webchat', 'whatsapp', 'voice')", name="ck_conversation_channel"
        ),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name="ck_conversation_progress"),
        sa.CheckConstraint("stage_number >= 1", name="ck_conversation_stage_number"),
    )
    op.create_index("ix_conversation_tenant_id", "conversation", ["tenant_id"])
    op.create_index("ix_conversation_client_id", "conversation", ["client_id"])
    op.create_index("ix_conversation_contact_id", "conversation", ["contact_id"])
    op.create_index("ix_conversation_tenant_updated", "conversation", ["tenant_id", "updated_at"])
    op.create_index("ix_conversation_agent_updated", "conversation", ["agent_id", "updated_at"])
    op.create_index(
        "ix_conversation_user_agent", "conversation", ["user_id", "agent_id", "updated_at"]
    )

    op.create_table(
        "message",
        *_base(),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("stage_number", sa.SmallInteger(), nullable=True),
        sa.Column("engine", sa.String(16), nullable=True),
        sa.Column("model", sa.String(120), nullable=True),
        sa.Column("prompt_version", sa.Integer(), nullable=True),
        sa.Column("usage", postgresql.JSONB(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("tools", postgresql.JSONB(), nullable=False),
        sa.Column("sources", postgresql.JSONB(), nullable=False),
        sa.Column("error", postgresql.JSONB(), nullable=True),
        *_tenant("message"),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversation.id"],
            name="fk_message_conversation_id_conversation",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("role IN ('user', 'agent')", name="ck_message_role"),
    )
    op.create_index("ix_message_tenant_id", "message", ["tenant_id"])
    op.create_index("ix_message_conversation_created", "message", ["conversation_id", "created_at"])

    op.create_table(
        "document",
        *_base(),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("details", postgresql.JSONB(), nullable=False),
        *_tenant("document"),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name="fk_document_client_id_client", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name="fk_document_agent_id_agent", ondelete="CASCADE"
        ),
        sa.CheckConstraint("status IN ('pending', 'ready', 'failed')", name="ck_document_status"),
        sa.CheckConstraint("language IN ('es', 'en')", name="ck_document_language"),
    )
    op.create_index("ix_document_tenant_id", "document", ["tenant_id"])
    op.create_index("ix_document_client_id", "document", ["client_id"])
    op.create_index("ix_document_agent_id", "document", ["agent_id"])
    op.create_index("ix_document_tenant_created", "document", ["tenant_id", "created_at"])

    op.create_table(
        "document_chunk",
        *_base(),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("heading", sa.Text(), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column(
            "tsv",
            postgresql.TSVECTOR(),
            sa.Computed(TSV_EXPRESSION, persisted=True),
            nullable=True,
        ),
        sa.Column("embedding", Vector(512), nullable=False),
        sa.Column("embedding_model", sa.String(120), nullable=False),
        *_tenant("document_chunk"),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
            name="fk_document_chunk_document_id_document",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "document_id", "position", name="uq_document_chunk_document_id_position"
        ),
    )
    op.create_index("ix_document_chunk_tenant_id", "document_chunk", ["tenant_id"])
    op.create_index("ix_document_chunk_tsv", "document_chunk", ["tsv"], postgresql_using="gin")
    op.create_index(
        "ix_document_chunk_embedding",
        "document_chunk",
        ["embedding"],
        postgresql_using="hnsw",
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )


def downgrade() -> None:
    for table in (
        "document_chunk",
        "document",
        "message",
        "conversation",
        "contact",
        "agent_stage",
        "agent_prompt_version",
        "agent",
    ):
        op.drop_table(table)
    op.drop_constraint("uq_user_external_id", "user", type_="unique")
    op.drop_column("user", "external_id")
    # The vector extension stays: other databases objects may use it, and it is harmless.

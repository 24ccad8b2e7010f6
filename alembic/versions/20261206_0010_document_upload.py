"""document_upload: the file of a document that a job reads (issue 12), kept until the
job has read it; the worker may be another process or machine, and the document row is
no place for up to 20 MiB of bytes (its `details` are rewritten with the job's progress).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_upload",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("document_id", name="pk_document_upload"),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
            name="fk_document_upload_document_id_document",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name="fk_document_upload_tenant_id_tenant",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_document_upload_tenant_id", "document_upload", ["tenant_id"])


def downgrade() -> None:
    op.drop_table("document_upload")

"""Posts list index per platform: a per-platform count and page read only that platform.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 02:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_post_client_platform_published",
        "post",
        ["tenant_id", "client_id", "platform", "published_at", "id"],
        postgresql_include=["is_own", "account_id", "language", "sentiment_label"],
    )


def downgrade() -> None:
    op.drop_index("ix_post_client_platform_published", table_name="post")

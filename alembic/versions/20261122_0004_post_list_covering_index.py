"""Posts list index covers the common filters (index-only count for the list).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 00:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["tenant_id", "client_id", "published_at", "id"]
INCLUDE = ["platform", "is_own", "account_id", "language", "sentiment_label"]


def upgrade() -> None:
    op.drop_index("ix_post_client_published", table_name="post")
    op.create_index("ix_post_client_published", "post", COLUMNS, postgresql_include=INCLUDE)


def downgrade() -> None:
    op.drop_index("ix_post_client_published", table_name="post")
    op.create_index("ix_post_client_published", "post", COLUMNS)

"""Runs still 'running', by start: what the job workers' upkeep looks for every few
seconds to fail the runs of processes that stopped (few rows; a partial index).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_analysis_run_running",
        "analysis_run",
        ["created_at"],
        postgresql_where=sa.text("status = 'running'"),
    )


def downgrade() -> None:
    op.drop_index("ix_analysis_run_running", table_name="analysis_run")

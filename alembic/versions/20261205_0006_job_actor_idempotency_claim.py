"""A job acts as whoever created it; an Idempotency-Key is claimed before the work.

- analysis_job.created_by_api_key_id, analysis_run.created_by_api_key_id: a job created
  with an API key runs as that key (runs and audit events record it), as a job created
  by a user runs as that user (created_by_id).
- idempotency_record.completed_at: a key is claimed (row inserted, completed_at null) in
  the transaction that does the work and completed with the answer; a concurrent request
  with the same key waits for that transaction, then replays the answer. Existing rows
  are complete.
- Jobs are now enqueued in the transaction that creates them. A job an older release left
  'queued' without a place in the queue (its enqueue failed after its row was committed)
  would wait forever: it is marked failed, saying so, and can be requested again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("analysis_job", sa.Column("created_by_api_key_id", sa.Uuid(), nullable=True))
    op.add_column("analysis_run", sa.Column("created_by_api_key_id", sa.Uuid(), nullable=True))
    op.add_column(
        "idempotency_record",
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute("UPDATE idempotency_record SET completed_at = created_at")
    op.execute(
        "UPDATE analysis_job SET status = 'failed', progress = 100, finished_at = now(), "
        "error = 'This job was never queued (its enqueue failed); request it again' "
        "WHERE status = 'queued' AND worker_job_id IS NULL"
    )


def downgrade() -> None:
    op.drop_column("idempotency_record", "completed_at")
    op.drop_column("analysis_run", "created_by_api_key_id")
    op.drop_column("analysis_job", "created_by_api_key_id")

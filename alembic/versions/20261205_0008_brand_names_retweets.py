"""A brand's aliases, competitors with their handles and aliases, and retweets flagged.

- client.aliases: other names the brand goes by, matched like its name.
- client.competitors: from a text array of names to JSONB objects
  {"name", "handles", "aliases"}; each stored name becomes {"name": name}.
- post.is_retweet: a share of another post, flagged on import.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "client",
        sa.Column("aliases", postgresql.ARRAY(sa.String(200)), nullable=False, server_default="{}"),
    )
    # A subquery cannot convert a column in place: a new column, filled, then renamed.
    op.add_column(
        "client",
        sa.Column(
            "competitor_objects",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'[]'::jsonb"),
        ),
    )
    op.execute(
        "UPDATE client SET competitor_objects = (SELECT coalesce(jsonb_agg(jsonb_build_object("
        "'name', c, 'handles', '[]'::jsonb, 'aliases', '[]'::jsonb) ORDER BY o), '[]'::jsonb)"
        " FROM unnest(competitors) WITH ORDINALITY AS t(c, o))"
    )
    op.drop_column("client", "competitors")
    op.alter_column("client", "competitor_objects", new_column_name="competitors")
    op.add_column(
        "post",
        sa.Column("is_retweet", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("post", "is_retweet")
    op.add_column(
        "client",
        sa.Column(
            "competitor_names",
            postgresql.ARRAY(sa.String(200)),
            nullable=False,
            server_default="{}",
        ),
    )
    op.execute(
        "UPDATE client SET competitor_names = ARRAY(SELECT e->>'name' FROM "
        "jsonb_array_elements(competitors) WITH ORDINALITY AS t(e, o) ORDER BY o)"
    )
    op.drop_column("client", "competitors")
    op.alter_column("client", "competitor_names", new_column_name="competitors")
    op.alter_column("client", "competitors", server_default=None)
    op.drop_column("client", "aliases")

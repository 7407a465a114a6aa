"""Users' auth-event history and the shared rate/attempt counters.

Revision ID: 0003
Revises: 0002
Create Date: 2026-01-03

Self-contained on purpose: a migration describes the schema as it was at its revision, so it does not
import ``userpools.storage.schema`` (which moves on). Only new tables: plain ``create_table`` on both
engines, no batch mode needed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "auth_events",
        sa.Column("id", Id, nullable=False),
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("username_key", Id, nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("challenge_responses", Document, nullable=False),
        sa.Column("context", Document, nullable=False),
        sa.Column("feedback", Document, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_auth_events"),
        sa.ForeignKeyConstraint(
            ["pool_id", "username_key"],
            ["users.pool_id", "users.username_key"],
            name="fk_auth_events_pool_id_users",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_auth_events_pool_id_username_key_created_at_id",
        "auth_events",
        ["pool_id", "username_key", "created_at", "id"],
    )
    op.create_table(
        "counters",
        sa.Column("key", Id, nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name="pk_counters"),
    )
    op.create_index("ix_counters_expires_at", "counters", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_counters_expires_at", table_name="counters")
    op.drop_table("counters")
    op.drop_index("ix_auth_events_pool_id_username_key_created_at_id", table_name="auth_events")
    op.drop_table("auth_events")

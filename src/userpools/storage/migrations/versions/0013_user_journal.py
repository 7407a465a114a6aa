"""Point-in-time recovery: the users' change journal and the recoveries.

Revision ID: 0013
Revises: 0012

``user_journal``: every user or membership write's new state (or a tombstone), appended in the write's own
transaction. ``point_in_time_recoveries``: a pool's recoveries; ``held_until`` says until when one holds the
pool's user writes. Only new tables, so no batch mode.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "user_journal",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("username_key", Id, nullable=False),
        sa.Column("group_key", Id, nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.Text(), nullable=True),
    )
    op.create_index("ix_user_journal_pool_id_at", "user_journal", ["pool_id", "at"])
    op.create_index(
        "ix_user_journal_pool_id_username_key_group_key_at", "user_journal",
        ["pool_id", "username_key", "group_key", "at"],
    )
    op.create_table(
        "point_in_time_recoveries",
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("restore_id", Id, nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("restore_at", sa.BigInteger(), nullable=False),
        sa.Column("trigger_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("held_until", sa.BigInteger(), nullable=False),
        sa.Column("preview", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("pool_id", "restore_id", name="pk_point_in_time_recoveries"),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["user_pools.id"], name="fk_point_in_time_recoveries_pool_id_user_pools", ondelete="CASCADE"
        ),
    )
    op.create_index(
        "ix_point_in_time_recoveries_pool_id_held_until", "point_in_time_recoveries", ["pool_id", "held_until"]
    )


def downgrade() -> None:
    op.drop_table("point_in_time_recoveries")
    op.drop_table("user_journal")

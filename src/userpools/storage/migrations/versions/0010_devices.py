"""Remembered devices: one row per tracked device of a user.

Revision ID: 0010
Revises: 0009

Self-contained like the others (no import of ``userpools.storage.schema``); only a new table, so no batch mode.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
Micros = sa.BigInteger()
Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("username_key", Id, nullable=False),
        sa.Column("device_key", Id, nullable=False),
        sa.Column("group_key", sa.Text(), nullable=False),
        sa.Column("verifier", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("attributes", Document, nullable=False),
        sa.Column("created_at", Micros, nullable=False),
        sa.Column("updated_at", Micros, nullable=False),
        sa.Column("last_authenticated_at", Micros, nullable=True),
        sa.PrimaryKeyConstraint("pool_id", "username_key", "device_key", name="pk_devices"),
        sa.ForeignKeyConstraint(
            ["pool_id", "username_key"], ["users.pool_id", "users.username_key"],
            name="fk_devices_pool_id_users", ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("devices")

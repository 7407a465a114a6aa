"""The configuration generation on PostgreSQL: one row whose number every transaction that writes a pool or an
app client increases, so each process may cache pools and clients and check them with one cheap read.

Revision ID: 0005
Revises: 0004

SQLite keeps the same number in its file header (``PRAGMA user_version``) and leaves this row alone; the
table exists on both engines so that the schema is the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "config_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_generation")),
    )
    op.bulk_insert(table, [{"id": 1, "n": 0}])


def downgrade() -> None:
    op.drop_table("config_generation")

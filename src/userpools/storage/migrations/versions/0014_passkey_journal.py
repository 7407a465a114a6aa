"""Point-in-time recovery journals passkeys too: ``user_journal.credential_id``.

Revision ID: 0014
Revises: 0013

A passkey's rows (its registration and its deletion) name it in ``credential_id``; a user's own rows and its
memberships' keep '' there, which the server default gives the rows already written. Adding a column with a
constant default needs no batch mode on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    op.add_column("user_journal", sa.Column("credential_id", Id, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("user_journal") as batch:
        batch.drop_column("credential_id")

"""User sessions: each token family's last refresh, and the caller's address and User-Agent.

Revision ID: 0011
Revises: 0010

ListUserSessions shows LastActiveDate, LastIPAddress and DeviceType of each token session, and the
hosted-UI session it came through (OriginSessionId); they are written at
the sign-in (one INSERT, as before) and at each refresh (one UPDATE). Nullable, so existing rows need nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("auth_sessions") as batch:
        batch.add_column(sa.Column("last_used_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("last_ip", sa.Text(), nullable=True))
        batch.add_column(sa.Column("user_agent", sa.Text(), nullable=True))
        batch.add_column(sa.Column("origin_sso", Id, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("auth_sessions") as batch:
        batch.drop_column("origin_sso")
        batch.drop_column("user_agent")
        batch.drop_column("last_ip")
        batch.drop_column("last_used_at")

"""Short-lived OAuth state of a pool's domain: authorization codes and hosted-UI sessions.

Revision ID: 0007
Revises: 0006

One table keyed by (kind, key): ``kind`` is "code" or "session", ``key`` the keyed hash (hex) of the secret
the browser or the client holds (never the secret itself). Self-contained like the others; only a new table.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "oauth_grants",
        sa.Column("kind", Id, nullable=False),
        sa.Column("key", Id, nullable=False),
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.Column("document", Document, nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name="pk_oauth_grants"),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["user_pools.id"], name="fk_oauth_grants_pool_id_user_pools", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_oauth_grants_pool_id", "oauth_grants", ["pool_id"])
    op.create_index("ix_oauth_grants_expires_at", "oauth_grants", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_oauth_grants_expires_at", table_name="oauth_grants")
    op.drop_index("ix_oauth_grants_pool_id", table_name="oauth_grants")
    op.drop_table("oauth_grants")

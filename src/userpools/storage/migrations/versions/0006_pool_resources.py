"""A pool's OAuth configuration documents: domains, resource servers, hosted-UI customizations.

Revision ID: 0006
Revises: 0005

One generic table keyed by (kind, key), see ``userpools.domain.resources``. Self-contained like the
others (no import of ``userpools.storage.schema``); only a new table, so no batch mode.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "pool_resources",
        sa.Column("kind", Id, nullable=False),
        sa.Column("key", Id, nullable=False),
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("document", Document, nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name="pk_pool_resources"),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["user_pools.id"], name="fk_pool_resources_pool_id_user_pools", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_pool_resources_pool_id_kind_key", "pool_resources", ["pool_id", "kind", "key"])


def downgrade() -> None:
    op.drop_index("ix_pool_resources_pool_id_kind_key", table_name="pool_resources")
    op.drop_table("pool_resources")

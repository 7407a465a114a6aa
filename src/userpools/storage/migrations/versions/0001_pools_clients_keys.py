"""User pools, app clients and signing keys.

Revision ID: 0001
Revises:
Create Date: 2026-01-01

Self-contained on purpose: a migration describes the schema as it was at its revision, so it does not
import ``userpools.storage.schema`` (which moves on).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "user_pools",
        sa.Column("id", Id, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("settings", Document, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_pools"),
    )
    op.create_table(
        "user_pool_clients",
        sa.Column("id", Id, nullable=False),
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("settings", Document, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_pool_clients"),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["user_pools.id"],
            name="fk_user_pool_clients_pool_id_user_pools",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_user_pool_clients_pool_id_id", "user_pool_clients", ["pool_id", "id"])
    op.create_table(
        "signing_keys",
        sa.Column("kid", Id, nullable=False),
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("private_key_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("public_jwk", Document, nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("kid", name="pk_signing_keys"),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["user_pools.id"],
            name="fk_signing_keys_pool_id_user_pools",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_signing_keys_pool_id", "signing_keys", ["pool_id"])


def downgrade() -> None:
    op.drop_index("ix_signing_keys_pool_id", table_name="signing_keys")
    op.drop_table("signing_keys")
    op.drop_index("ix_user_pool_clients_pool_id_id", table_name="user_pool_clients")
    op.drop_table("user_pool_clients")
    op.drop_table("user_pools")

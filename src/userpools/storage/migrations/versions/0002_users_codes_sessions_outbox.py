"""Users with their aliases and filter index, one-time codes, auth sessions, and the outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-02

Self-contained on purpose: a migration describes the schema as it was at its revision, so it does not
import ``userpools.storage.schema`` (which moves on). Only new tables: plain ``create_table`` on both
engines, no batch mode needed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _user_foreign_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["pool_id", "username_key"],
        ["users.pool_id", "users.username_key"],
        name=f"fk_{table}_pool_id_users",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("username_key", Id, nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("sub", Id, nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("attributes", Document, nullable=False),
        sa.Column("password_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("password_changed_at", sa.BigInteger(), nullable=True),
        sa.Column("password_history_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.BigInteger(), nullable=True),
        sa.Column("extra", Document, nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "username_key", name="pk_users"),
        sa.UniqueConstraint("pool_id", "sub", name="uq_users_pool_id_sub"),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["user_pools.id"], name="fk_users_pool_id_user_pools", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "user_aliases",
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("kind", Id, nullable=False),
        sa.Column("value_key", Id, nullable=False),
        sa.Column("username_key", Id, nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "kind", "value_key", name="pk_user_aliases"),
        _user_foreign_key("user_aliases"),
    )
    op.create_index("ix_user_aliases_pool_id_username_key", "user_aliases", ["pool_id", "username_key"])
    op.create_table(
        "user_index",
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("username_key", Id, nullable=False),
        sa.Column("name", Id, nullable=False),
        sa.Column("value", Id, nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "username_key", "name", name="pk_user_index"),
        _user_foreign_key("user_index"),
    )
    op.create_index(
        "ix_user_index_pool_id_name_value_username_key",
        "user_index",
        ["pool_id", "name", "value", "username_key"],
    )
    op.create_table(
        "codes",
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("username_key", Id, nullable=False),
        sa.Column("purpose", Id, nullable=False),
        sa.Column("code_hash", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "username_key", "purpose", name="pk_codes"),
        _user_foreign_key("codes"),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("origin_jti", Id, nullable=False),
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("client_id", Id, nullable=False),
        sa.Column("username_key", Id, nullable=False),
        sa.Column("auth_time", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("origin_jti", name="pk_auth_sessions"),
        _user_foreign_key("auth_sessions"),
    )
    op.create_index("ix_auth_sessions_pool_id_username_key", "auth_sessions", ["pool_id", "username_key"])
    op.create_table(
        "outbox",
        sa.Column("id", Id, nullable=False),
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("delivery_medium", sa.Text(), nullable=False),
        sa.Column("trigger_source", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("payload_ciphertext", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["user_pools.id"], name="fk_outbox_pool_id_user_pools", ondelete="CASCADE"
        ),
    )
    op.create_index(
        "ix_outbox_pool_id_username_created_at_id", "outbox", ["pool_id", "username", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_pool_id_username_created_at_id", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_auth_sessions_pool_id_username_key", table_name="auth_sessions")
    op.drop_table("auth_sessions")
    op.drop_table("codes")
    op.drop_index("ix_user_index_pool_id_name_value_username_key", table_name="user_index")
    op.drop_table("user_index")
    op.drop_index("ix_user_aliases_pool_id_username_key", table_name="user_aliases")
    op.drop_table("user_aliases")
    op.drop_table("users")

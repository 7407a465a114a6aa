"""User pool groups and their members.

Revision ID: 0008
Revises: 0007

``groups`` keyed by (pool_id, name_key) and ``group_members`` keyed by (pool_id, group_key, username_key) with
a second index (pool_id, username_key, group_key): both directions of the membership are index ranges (see
``userpools.storage.schema``). Deleting a pool, a group or a user deletes the memberships with it (foreign
keys ON DELETE CASCADE). Only new tables, so no batch mode.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "groups",
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("name_key", Id, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("role_arn", sa.Text(), nullable=True),
        sa.Column("precedence", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "name_key", name="pk_groups"),
        sa.ForeignKeyConstraint(["pool_id"], ["user_pools.id"], name="fk_groups_pool_id_user_pools", ondelete="CASCADE"),
    )
    op.create_table(
        "group_members",
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("group_key", Id, nullable=False),
        sa.Column("username_key", Id, nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "group_key", "username_key", name="pk_group_members"),
        sa.ForeignKeyConstraint(
            ["pool_id", "group_key"], ["groups.pool_id", "groups.name_key"],
            name="fk_group_members_pool_id_groups", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pool_id", "username_key"], ["users.pool_id", "users.username_key"],
            name="fk_group_members_pool_id_users", ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_group_members_pool_id_username_key_group_key", "group_members", ["pool_id", "username_key", "group_key"]
    )


def downgrade() -> None:
    op.drop_index("ix_group_members_pool_id_username_key_group_key", table_name="group_members")
    op.drop_table("group_members")
    op.drop_table("groups")

"""Users' passkeys.

Revision ID: 0012
Revises: 0011

``webauthn_credentials`` keyed by (pool_id, username_key, credential_id): a user's passkeys are one range of the
primary key, and they go with the user (foreign key ON DELETE CASCADE). Only a new table, so no batch mode.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "webauthn_credentials",
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("username_key", Id, nullable=False),
        sa.Column("credential_id", Id, nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("relying_party_id", sa.Text(), nullable=False),
        sa.Column("friendly_name", sa.Text(), nullable=False),
        sa.Column("attachment", sa.Text(), nullable=True),
        sa.Column("transports", Document, nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "username_key", "credential_id", name="pk_webauthn_credentials"),
        sa.ForeignKeyConstraint(
            ["pool_id", "username_key"], ["users.pool_id", "users.username_key"],
            name="fk_webauthn_credentials_pool_id_users", ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("webauthn_credentials")

"""The database schema, in SQLAlchemy Core, for both engines.

This module is the target the Alembic migrations must reach: ``tests/contract`` compares a migrated database
against ``metadata`` on every backend, so a change here without a migration fails the suite.

Representation choices, the same on SQLite and PostgreSQL:

- Times are ``BIGINT`` microseconds since the Unix epoch, UTC (``storage.sql`` converts). SQLite has no
  time type (SQLAlchemy would store naive text), PostgreSQL's ``timestamptz`` comes back in the session's
  time zone; an integer round-trips to the microsecond on both, compares and sorts cheaply, and makes
  "expires before" queries and a test clock offset plain arithmetic.
- Identifiers compare byte-wise (``COLLATE "C"`` on PostgreSQL, SQLite's default ``BINARY``), so keyset
  pagination (``id > :after ORDER BY id``) gives the same order on both engines whatever the database's
  locale.
- Documents are ``JSON`` (text on SQLite, ``JSONB`` on PostgreSQL), written and read with orjson.
- Constraints and indexes are named by ``NAMING_CONVENTION``, so later migrations (SQLite batch mode) can
  refer to them by name.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

#: An identifier: text compared byte-wise on both engines.
Id = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
#: A JSON document: JSONB on PostgreSQL.
Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
#: A point in time: microseconds since 1970-01-01T00:00:00Z.
Micros = sa.BigInteger()

user_pools = sa.Table(
    "user_pools",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("updated_at", Micros, nullable=False),
    sa.Column("settings", Document, nullable=False),
)

user_pool_clients = sa.Table(
    "user_pool_clients",
    metadata,
    # Globally unique: the public operations find the pool from the ClientId alone.
    sa.Column("id", Id, primary_key=True),
    sa.Column("pool_id", Id, sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("updated_at", Micros, nullable=False),
    sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=True),
    sa.Column("settings", Document, nullable=False),
    # Serves ListUserPoolClients' keyset pages and the cascade from user_pools.
    sa.Index(None, "pool_id", "id"),
)

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", Id, primary_key=True),
    sa.Column("pool_id", Id, sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False),
    sa.Column("purpose", sa.Text(), nullable=False),
    sa.Column("private_key_ciphertext", sa.LargeBinary(), nullable=False),
    sa.Column("public_jwk", Document, nullable=False),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Index(None, "pool_id"),
)

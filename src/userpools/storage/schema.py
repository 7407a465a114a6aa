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

#: Filter values are kept in ``user_index`` cut to this many code points: an index entry must stay within
#: PostgreSQL's B-tree limit (a third of a page, 2704 bytes) while attributes may hold 2048 characters of
#: up to 4 UTF-8 bytes each. Lossless for every filter Cognito accepts (the whole ListUsers ``Filter`` is at
#: most 256 characters, so its value is shorter than this).
INDEXED_VALUE_LENGTH = 256

users = sa.Table(
    "users",
    metadata,
    sa.Column("pool_id", Id, sa.ForeignKey("user_pools.id", ondelete="CASCADE"), primary_key=True),
    # The lookup form of the username (lower-cased in case-insensitive pools); ``username`` as created.
    sa.Column("username_key", Id, primary_key=True),
    sa.Column("username", sa.Text(), nullable=False),
    sa.Column("sub", Id, nullable=False),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("updated_at", Micros, nullable=False),
    sa.Column("attributes", Document, nullable=False),
    sa.Column("password_ciphertext", sa.LargeBinary(), nullable=True),
    sa.Column("password_changed_at", Micros, nullable=True),
    sa.Column("password_history_ciphertext", sa.LargeBinary(), nullable=True),
    sa.Column("failed_attempts", sa.Integer(), nullable=False),
    sa.Column("locked_until", Micros, nullable=True),
    sa.Column("extra", Document, nullable=False),
    # The primary key also serves ListUsers' unfiltered keyset pages, the pool's count and its cascade.
    sa.UniqueConstraint("pool_id", "sub"),
)


def _user_foreign_key() -> sa.ForeignKeyConstraint:
    """A child row belongs to one user and goes with it."""
    return sa.ForeignKeyConstraint(
        ["pool_id", "username_key"], ["users.pool_id", "users.username_key"], ondelete="CASCADE"
    )


user_aliases = sa.Table(
    "user_aliases",
    metadata,
    # kind: email, phone_number or preferred_username; value_key: the value's lookup form.
    sa.Column("pool_id", Id, primary_key=True),
    sa.Column("kind", Id, primary_key=True),
    sa.Column("value_key", Id, primary_key=True),
    sa.Column("username_key", Id, nullable=False),
    _user_foreign_key(),
    # The user's own aliases (set_aliases) and the cascade from users.
    sa.Index(None, "pool_id", "username_key"),
)

user_index = sa.Table(
    "user_index",
    metadata,
    # One row per user and filterable name (FILTERABLE_ATTRIBUTES) that has a value; the primary key serves
    # the rewrite on update and the cascade from users.
    sa.Column("pool_id", Id, primary_key=True),
    sa.Column("username_key", Id, primary_key=True),
    sa.Column("name", Id, primary_key=True),
    # At most INDEXED_VALUE_LENGTH code points; byte-wise order makes a prefix a range.
    sa.Column("value", Id, nullable=False),
    _user_foreign_key(),
    # A filtered ListUsers page: a range of this index, already in username_key order for an exact match.
    sa.Index(None, "pool_id", "name", "value", "username_key"),
)

codes = sa.Table(
    "codes",
    metadata,
    sa.Column("pool_id", Id, primary_key=True),
    sa.Column("username_key", Id, primary_key=True),
    sa.Column("purpose", Id, primary_key=True),
    sa.Column("code_hash", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("expires_at", Micros, nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    _user_foreign_key(),
)

auth_sessions = sa.Table(
    "auth_sessions",
    metadata,
    sa.Column("origin_jti", Id, primary_key=True),
    sa.Column("pool_id", Id, nullable=False),
    sa.Column("client_id", Id, nullable=False),
    sa.Column("username_key", Id, nullable=False),
    sa.Column("auth_time", Micros, nullable=False),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("expires_at", Micros, nullable=False),
    sa.Column("revoked_at", Micros, nullable=True),
    # Refresh-token rotation (migration 0004): the current generation and when it last moved.
    sa.Column("generation", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("rotated_at", Micros, nullable=True),
    # User sessions (migration 0011): the last refresh, and the caller's address and User-Agent at the sign-in
    # or the last refresh (ListUserSessions' LastActiveDate, LastIPAddress, DeviceType).
    sa.Column("last_used_at", Micros, nullable=True),
    sa.Column("last_ip", sa.Text(), nullable=True),
    sa.Column("user_agent", sa.Text(), nullable=True),
    # The stored key of the hosted-UI session (oauth_grants kind "session") the family came through, if any.
    sa.Column("origin_sso", Id, nullable=True),
    _user_foreign_key(),
    # GlobalSignOut (revoke_user) and the cascade from users.
    sa.Index(None, "pool_id", "username_key"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("pool_id", Id, sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False),
    # Plain text, not a key of users: a message outlives its user (only the pool takes it along).
    sa.Column("username", sa.Text(), nullable=False),
    sa.Column("destination", sa.Text(), nullable=False),
    sa.Column("delivery_medium", sa.Text(), nullable=False),
    sa.Column("trigger_source", sa.Text(), nullable=False),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("payload_ciphertext", sa.LargeBinary(), nullable=False),
    # One user's messages newest first, read backwards in order (id breaks ties of created_at); the cascade.
    sa.Index(None, "pool_id", "username", "created_at", "id"),
)

#: A document that may be absent: Python None is stored as SQL NULL (``Document`` would store JSON ``null``).
OptionalDocument = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")

auth_events = sa.Table(
    "auth_events",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("pool_id", Id, nullable=False),
    sa.Column("username_key", Id, nullable=False),
    sa.Column("event_type", sa.Text(), nullable=False),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("response", sa.Text(), nullable=False),
    sa.Column("challenge_responses", Document, nullable=False),
    sa.Column("context", Document, nullable=False),
    sa.Column("feedback", OptionalDocument, nullable=True),
    _user_foreign_key(),
    # AdminListUserAuthEvents: one user's events newest first, read backwards in order from the keyset
    # ``(created_at, id) < :before`` (id breaks ties of created_at); also the cascade from users.
    sa.Index(None, "pool_id", "username_key", "created_at", "id"),
)

counters = sa.Table(
    "counters",
    metadata,
    # Fixed-window rate and attempt counters shared by every server process: one row per key and window.
    sa.Column("key", Id, primary_key=True),
    sa.Column("window_start", Micros, primary_key=True),
    sa.Column("count", sa.Integer(), nullable=False),
    sa.Column("expires_at", Micros, nullable=False),
    # purge: the expired rows, oldest first, without a scan.
    sa.Index(None, "expires_at"),
)


config_generation = sa.Table(
    "config_generation",
    metadata,
    # One row (id 1): PostgreSQL's configuration generation (storage.sql.ConfigCache); SQLite uses its header.
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("n", sa.BigInteger(), nullable=False),
)

pool_resources = sa.Table(
    "pool_resources",
    metadata,
    # A pool's OAuth configuration documents (domain.resources): kind "domain" (key: the domain, unique across
    # pools), "resource_server" (key: pool id/identifier), "ui_customization" (key: pool id/client id or ALL).
    sa.Column("kind", Id, primary_key=True),
    sa.Column("key", Id, primary_key=True),
    sa.Column("pool_id", Id, sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False),
    sa.Column("document", Document, nullable=False),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("updated_at", Micros, nullable=False),
    # A pool's resources of one kind in key order (keyset pages); also the cascade from user_pools.
    sa.Index(None, "pool_id", "kind", "key"),
)

oauth_grants = sa.Table(
    "oauth_grants",
    metadata,
    # Short-lived OAuth state (ports.OAuthGrantRecord): kind "code" (authorization codes) or "session" (hosted-UI
    # sign-in sessions); key = keyed hash (hex) of the secret the client or the browser holds.
    sa.Column("kind", Id, primary_key=True),
    sa.Column("key", Id, primary_key=True),
    sa.Column("pool_id", Id, sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("expires_at", Micros, nullable=False, index=True),
    sa.Column("used_at", Micros, nullable=True),
    sa.Column("document", Document, nullable=False),
)

groups = sa.Table(
    "groups",
    metadata,
    # A pool's groups (domain.groups): name_key is the name lower-cased (names are unique regardless of case),
    # name as created. The primary key serves GetGroup, ListGroups' keyset pages and the cascade from pools.
    sa.Column("pool_id", Id, sa.ForeignKey("user_pools.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("name_key", Id, primary_key=True),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("description", sa.Text(), nullable=True),
    sa.Column("role_arn", sa.Text(), nullable=True),
    sa.Column("precedence", sa.BigInteger(), nullable=True),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("updated_at", Micros, nullable=False),
)

group_members = sa.Table(
    "group_members",
    metadata,
    # One row per (group, user). The primary key serves ListUsersInGroup (a group's members in username_key
    # order) and the cascade from groups; the second index AdminListGroupsForUser, the groups of a sign-in's
    # tokens, and the cascade from users.
    sa.Column("pool_id", Id, primary_key=True),
    sa.Column("group_key", Id, primary_key=True),
    sa.Column("username_key", Id, primary_key=True),
    sa.ForeignKeyConstraint(["pool_id", "group_key"], ["groups.pool_id", "groups.name_key"], ondelete="CASCADE"),
    _user_foreign_key(),
    sa.Index(None, "pool_id", "username_key", "group_key"),
)

webauthn_credentials = sa.Table(
    "webauthn_credentials",
    metadata,
    # A user's passkeys (domain.passkeys), in creation order within the user for ListWebAuthnCredentials; the
    # primary key serves the sign-in's look-up and the cascade from users.
    sa.Column("pool_id", Id, primary_key=True),
    sa.Column("username_key", Id, primary_key=True),
    sa.Column("credential_id", Id, primary_key=True),
    sa.Column("public_key", sa.LargeBinary(), nullable=False),
    sa.Column("sign_count", sa.BigInteger(), nullable=False),
    sa.Column("relying_party_id", sa.Text(), nullable=False),
    sa.Column("friendly_name", sa.Text(), nullable=False),
    sa.Column("attachment", sa.Text(), nullable=True),
    sa.Column("transports", Document, nullable=False),
    sa.Column("created_at", Micros, nullable=False),
    _user_foreign_key(),
)

devices = sa.Table(
    "devices",
    metadata,
    # A user's tracked devices (remembered devices): the primary key serves GetDevice, ListDevices' keyset
    # pages in device_key order and the cascade from users; verifier is the device's SRP salt and verifier
    # encrypted under the data key (NULL until ConfirmDevice).
    sa.Column("pool_id", Id, primary_key=True),
    sa.Column("username_key", Id, primary_key=True),
    sa.Column("device_key", Id, primary_key=True),
    sa.Column("group_key", sa.Text(), nullable=False),
    sa.Column("verifier", sa.LargeBinary(), nullable=True),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("name", sa.Text(), nullable=True),
    sa.Column("attributes", Document, nullable=False),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("updated_at", Micros, nullable=False),
    sa.Column("last_authenticated_at", Micros, nullable=True),
    _user_foreign_key(),
)

import_jobs = sa.Table(
    "import_jobs",
    metadata,
    # User import jobs (CreateUserImportJob): the job's state, counts and the claim of the process running it.
    sa.Column("id", Id, primary_key=True),
    sa.Column("pool_id", Id, sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("role_arn", sa.Text(), nullable=False),
    sa.Column("password_hashing", sa.Text(), nullable=True),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("started_at", Micros, nullable=True),
    sa.Column("completed_at", Micros, nullable=True),
    sa.Column("imported", sa.BigInteger(), nullable=False),
    sa.Column("skipped", sa.BigInteger(), nullable=False),
    sa.Column("failed", sa.BigInteger(), nullable=False),
    sa.Column("message", sa.Text(), nullable=True),
    sa.Column("progress_line", sa.BigInteger(), nullable=False),
    sa.Column("owner", sa.Text(), nullable=True),
    sa.Column("heartbeat_at", Micros, nullable=True),
    sa.Column("uploaded_at", Micros, nullable=True),
    # ListUserImportJobs: the pool's jobs newest first (keyset on created_at, id); also the cascade.
    sa.Index(None, "pool_id", "created_at", "id"),
    # The jobs to resume at start-up (Pending, InProgress, Stopping).
    sa.Index(None, "status"),
)

import_job_files = sa.Table(
    "import_job_files",
    metadata,
    # The uploaded CSV of a job (the pre-signed URL's PUT), kept until the job ends.
    sa.Column("job_id", Id, sa.ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("content", sa.LargeBinary(), nullable=False),
)

import_job_log = sa.Table(
    "import_job_log",
    metadata,
    # Each CSV line's outcome (`userpools import-log`): what Cognito writes to CloudWatch Logs.
    sa.Column("job_id", Id, sa.ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("line", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("outcome", sa.Text(), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
)

user_journal = sa.Table(
    "user_journal",
    metadata,
    # Point-in-time recovery's change journal (storage.sql_journal): every write of a user, a group
    # membership or a passkey appends the new state (``state``: the user row or the passkey as JSON text; for
    # a membership "1"), or a tombstone (NULL), at ``at``. ``group_key`` names a membership's group and
    # ``credential_id`` a passkey (0014); both are '' for a user's own rows. Kept for the longest recovery
    # window and purged lazily. No foreign keys: the rows outlive the users they describe.
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("pool_id", Id, nullable=False),
    sa.Column("username_key", Id, nullable=False),
    sa.Column("group_key", Id, nullable=False),
    sa.Column("at", Micros, nullable=False),
    sa.Column("state", sa.Text(), nullable=True),
    sa.Column("credential_id", Id, nullable=False, server_default=""),
    sa.Index(None, "pool_id", "at"),
    sa.Index(None, "pool_id", "username_key", "group_key", "at"),
)

recoveries = sa.Table(
    "point_in_time_recoveries",
    metadata,
    # A pool's point-in-time recoveries (operations.recovery_points). ``held_until``: while the status holds
    # the pool's user writes, the moment that hold lapses (the 24-hour expiry of a preview); else 0.
    sa.Column("pool_id", Id, sa.ForeignKey("user_pools.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("restore_id", Id, primary_key=True),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("restore_at", Micros, nullable=False),
    sa.Column("trigger_at", Micros, nullable=False),
    sa.Column("created_at", Micros, nullable=False),
    sa.Column("held_until", Micros, nullable=False),
    sa.Column("preview", sa.Text(), nullable=True),
    sa.Index(None, "pool_id", "held_until"),
)

#: The rows migrations seed, which a database created directly from ``metadata`` (``engine.create_current``)
#: must hold too: (table, rows). A migration that seeds rows adds them here.
SEED_ROWS: tuple[tuple[sa.Table, list[dict[str, object]]], ...] = (
    (config_generation, [{"id": 1, "n": 0}]),  # 0005
)

#: Alembic's version table, as Alembic creates it, for ``engine.create_current`` to stamp a database created
#: directly at the head (kept out of ``metadata``: the migrations do not describe it).
VERSION_TABLE = "alembic_version"
version_metadata = sa.MetaData()
alembic_version = sa.Table(
    VERSION_TABLE,
    version_metadata,
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)

"""The store's narrow async ports, one per domain, and the records they carry.

A handler opens exactly one transaction per operation::

    async with store.transaction() as tx:
        pool = await tx.pools.get(pool_id, for_update=True)
        ...
        await tx.pools.update(pool)

Leaving the block commits; an exception rolls everything back, so a failed operation leaves no partial
state. The store never raises Cognito errors: it returns None/False for "not there" and raises
``Conflict`` for a duplicate key; the operations decide what Cognito answers.

Datetimes are timezone-aware UTC on the way in and on the way out, whatever the backend stores.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from userpools.domain.groups import GroupRecord, TokenGroup
from userpools.domain.resources import PoolResource


class Conflict(Exception):
    """A row with the same unique key already exists."""


@dataclass(frozen=True)
class PoolRecord:
    """A user pool.

    ``settings`` is the pool's configuration document in Cognito's own member names (Policies,
    LambdaConfig, SchemaAttributes, AutoVerifiedAttributes, …: every member of UserPoolType except Id,
    Name, Arn, the dates and the counters), exactly as DescribeUserPool will show it. It is one document
    because Cognito treats it as one (UpdateUserPool replaces it as a whole); domains that need typed
    views of a part parse that part.
    """

    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClientRecord:
    """An app client. ``id`` is unique across all pools (public operations find the pool from it).

    ``secret_ciphertext`` is the client secret encrypted under the deployment's data key (None when the
    client has no secret). ``settings`` holds every other member of UserPoolClientType in Cognito's names.
    """

    id: str
    pool_id: str
    name: str
    created_at: datetime
    updated_at: datetime
    secret_ciphertext: bytes | None = None
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SigningKeyRecord:
    """One RSA signing key of a pool. ``purpose`` is "id" or "access" (Cognito signs each token type with
    its own kid). The private key is PEM encrypted under the data key; ``public_jwk`` is what JWKS serves."""

    kid: str
    pool_id: str
    purpose: str
    private_key_ciphertext: bytes
    public_jwk: dict[str, Any]
    created_at: datetime
    active: bool = True


class PoolPort(Protocol):
    async def insert(self, pool: PoolRecord) -> None:
        """Raises Conflict if the id exists."""

    async def get(self, pool_id: str, *, for_update: bool = False) -> PoolRecord | None: ...

    async def hold(self, pool_id: str) -> bool:
        """Keeps the pool from being deleted until the transaction ends, without keeping other transactions
        that hold it waiting (what a new user needs); False when the pool is gone."""

    async def update(self, pool: PoolRecord) -> None:
        """Replaces name, updated_at and settings of an existing pool."""

    async def delete(self, pool_id: str) -> bool:
        """Deletes the pool and everything in it (clients, keys, users, groups, …)."""

    async def list(self, *, limit: int, after_id: str | None = None) -> Sequence[PoolRecord]:
        """Pools ordered by id, those with id > after_id, at most ``limit``."""


class ClientPort(Protocol):
    async def insert(self, client: ClientRecord) -> None:
        """Raises Conflict if the id exists (in any pool)."""

    async def get(self, client_id: str, *, for_update: bool = False) -> ClientRecord | None: ...

    async def update(self, client: ClientRecord) -> None:
        """Replaces name, updated_at, secret_ciphertext and settings."""

    async def delete(self, client_id: str) -> bool: ...

    async def list(self, pool_id: str, *, limit: int, after_id: str | None = None) -> Sequence[ClientRecord]:
        """The pool's clients ordered by id, those with id > after_id, at most ``limit``."""


class SigningKeyPort(Protocol):
    async def insert(self, key: SigningKeyRecord) -> None: ...

    async def list(self, pool_id: str) -> Sequence[SigningKeyRecord]:
        """All keys of the pool, active and retired, oldest first."""


#: Names ListUsers can filter on (Cognito's list). The store keeps an index of exactly these per user, so
#: a filtered listing never scans a pool: the attributes of the same names, plus
#: ``cognito:user_status`` (the user's status) and ``status`` ("Enabled" / "Disabled").
FILTERABLE_ATTRIBUTES = (
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
)


@dataclass(frozen=True)
class UserRecord:
    """A user of a pool.

    ``username`` is the name as created (case kept); ``username_key`` is its lookup form, unique in the pool
    (lower-cased when the pool's UsernameConfiguration.CaseSensitive is false; the domain decides).
    ``attributes`` holds every attribute except ``sub``, with string values as Cognito keeps them
    (``"email_verified": "true"``). ``password_ciphertext`` is the encrypted SRP salt and verifier (never
    the password); ``password_history_ciphertext`` the encrypted list of earlier ones. ``extra`` holds what
    later domains keep per user (MFA settings, preferences) as a small document.
    """

    pool_id: str
    username: str
    username_key: str
    sub: str
    status: str
    enabled: bool
    created_at: datetime
    updated_at: datetime
    attributes: dict[str, str] = field(default_factory=dict)
    password_ciphertext: bytes | None = None
    password_changed_at: datetime | None = None
    password_history_ciphertext: bytes | None = None
    failed_attempts: int = 0
    locked_until: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UserFilter:
    """One ListUsers filter: ``name = "value"`` (exact) or ``name ^= "value"`` (prefix)."""

    name: str
    value: str
    prefix: bool = False


@dataclass(frozen=True)
class CodeRecord:
    """A one-time code (sign-up confirmation, attribute verification, password reset). Only its keyed
    hash is kept; there is at most one per (pool, user, purpose), so a new code replaces the old one."""

    pool_id: str
    username_key: str
    purpose: str
    code_hash: bytes
    created_at: datetime
    expires_at: datetime
    attempts: int = 0


@dataclass(frozen=True)
class AuthSessionRecord:
    """One sign-in's token family: the refresh token and every access/ID token issued from it share
    ``origin_jti``. Revoking it (RevokeToken, GlobalSignOut) revokes all of them."""

    origin_jti: str
    pool_id: str
    client_id: str
    username_key: str
    auth_time: datetime
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    generation: int = 0
    """Refresh-token rotation: the generation of the family's current refresh token (0 until rotated)."""
    rotated_at: datetime | None = None


@dataclass(frozen=True)
class OutboxRecord:
    """A message the pool sent. ``payload_ciphertext`` is the encrypted JSON of subject, body and code:
    a copy of the database must not reveal codes."""

    id: str
    pool_id: str
    username: str
    destination: str
    delivery_medium: str
    trigger_source: str
    created_at: datetime
    payload_ciphertext: bytes


class UserPort(Protocol):
    async def insert(self, user: UserRecord) -> None:
        """Raises Conflict if (pool_id, username_key) exists."""

    async def get(self, pool_id: str, username_key: str, *, for_update: bool = False) -> UserRecord | None: ...

    async def get_by_sub(self, pool_id: str, sub: str, *, for_update: bool = False) -> UserRecord | None: ...

    async def update(self, user: UserRecord) -> None:
        """Replaces every column but pool_id, username, username_key, sub and created_at; keeps the filter
        index in step."""

    async def delete(self, pool_id: str, username_key: str) -> bool:
        """Deletes the user with its aliases, codes and auth sessions."""

    async def count(self, pool_id: str) -> int: ...

    async def list(
        self,
        pool_id: str,
        *,
        limit: int,
        after_key: str | None = None,
        where: UserFilter | None = None,
    ) -> Sequence[UserRecord]:
        """At most ``limit`` users matching ``where`` (through the index, never a scan; ``where.name`` is one
        of FILTERABLE_ATTRIBUTES), after ``after_key``: a ``page_key`` of the same listing. Without a filter
        or with an exact one they come in username_key order; with a prefix filter in the order of the
        filtered value, then username_key (so a page reads only its own entries)."""

    def page_key(self, user: UserRecord, where: UserFilter | None) -> str:
        """The ``after_key`` that continues a listing with ``where`` after ``user``."""

    async def find_alias(self, pool_id: str, kind: str, value_key: str) -> str | None:
        """The username_key owning the alias (kind: email, phone_number, preferred_username), or None."""

    async def set_aliases(self, pool_id: str, username_key: str, aliases: dict[str, str]) -> None:
        """Makes ``aliases`` (kind → value_key) exactly the user's aliases. Raises Conflict if another user
        owns one of them (the caller releases it first when it means to move it)."""

    async def release_alias(self, pool_id: str, kind: str, value_key: str) -> None:
        """Removes the alias from whichever user owns it."""


class CodePort(Protocol):
    async def put(self, code: CodeRecord) -> None:
        """Inserts or replaces the code of (pool_id, username_key, purpose)."""

    async def get(
        self, pool_id: str, username_key: str, purpose: str, *, for_update: bool = False
    ) -> CodeRecord | None: ...

    async def delete(self, pool_id: str, username_key: str, purpose: str) -> bool: ...


class AuthSessionPort(Protocol):
    async def insert(self, session: AuthSessionRecord) -> None: ...

    async def get(self, origin_jti: str) -> AuthSessionRecord | None: ...

    async def revoke(self, origin_jti: str, at: datetime) -> bool:
        """Marks one family revoked (no-op, False, if already revoked or unknown)."""

    async def revoke_user(self, pool_id: str, username_key: str, at: datetime) -> int:
        """Marks every unrevoked family of the user revoked; returns how many."""

    async def rotate(self, origin_jti: str, at: datetime) -> int | None:
        """Moves an unrevoked family to its next refresh-token generation (atomically) and returns it; None
        when there is no such unrevoked family."""


class OutboxPort(Protocol):
    async def add(self, message: OutboxRecord) -> None: ...

    async def list(
        self, pool_id: str | None = None, username: str | None = None, *, limit: int = 100
    ) -> Sequence[OutboxRecord]:
        """Newest first, optionally for one pool and one username."""


@dataclass(frozen=True)
class AuthEventRecord:
    """One entry of a user's auth-event history (AdminListUserAuthEvents): what was asked, when, how it ended,
    and the context the client sent (UserContextData: IP address, device data)."""

    id: str
    pool_id: str
    username_key: str
    event_type: str  # SignIn | SignUp | ForgotPassword | PasswordChange | ResendCode
    created_at: datetime
    response: str  # Pass | Fail | InProgress
    challenge_responses: list[dict[str, str]] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    feedback: dict[str, Any] | None = None


class AuthEventPort(Protocol):
    async def add(self, event: AuthEventRecord) -> None: ...

    async def list(
        self, pool_id: str, username_key: str, *, limit: int, before: tuple[datetime, str] | None = None
    ) -> Sequence[AuthEventRecord]:
        """Newest first (created_at DESC, id DESC), those strictly before ``before`` = (created_at, id)."""

    async def set_feedback(self, pool_id: str, username_key: str, event_id: str, feedback: dict[str, Any]) -> bool: ...


class CounterPort(Protocol):
    """Rate and attempt counters shared by every server process (fixed windows)."""

    async def hit(self, key: str, window_start: datetime, *, expires_at: datetime) -> int:
        """Adds one to the counter of (key, window_start) and returns its new value, atomically."""

    async def peek(self, key: str, window_start: datetime) -> int: ...

    async def reset(self, key: str) -> None:
        """Forgets every window of the key."""

    async def purge(self, now: datetime) -> int:
        """Deletes counters whose expires_at has passed; returns how many."""


class ResourcePort(Protocol):
    """A pool's configuration documents by (kind, key): see ``userpools.domain.resources``."""

    async def insert(self, resource: PoolResource) -> None:
        """Raises Conflict if (kind, key) exists, in whichever pool."""

    async def get(self, kind: str, key: str, *, for_update: bool = False) -> PoolResource | None: ...

    async def update(self, resource: PoolResource) -> None:
        """Replaces document and updated_at of the existing (kind, key)."""

    async def delete(self, kind: str, key: str) -> bool: ...

    async def list(
        self, pool_id: str, kind: str, *, limit: int, after_key: str | None = None
    ) -> Sequence[PoolResource]:
        """The pool's resources of the kind ordered by key (byte-wise), those with key > after_key, at most
        ``limit``."""


class GroupPort(Protocol):
    """A pool's groups and their members (``userpools.domain.groups``); groups by ``name_key``."""

    async def insert(self, group: GroupRecord) -> None:
        """Raises Conflict if (pool_id, name_key) exists."""

    async def get(self, pool_id: str, name_key: str, *, for_update: bool = False) -> GroupRecord | None: ...

    async def update(self, group: GroupRecord) -> None:
        """Replaces description, role_arn, precedence and updated_at."""

    async def delete(self, pool_id: str, name_key: str) -> bool:
        """Deletes the group and its memberships."""

    async def count(self, pool_id: str) -> int: ...

    async def list(self, pool_id: str, *, limit: int, after_key: str | None = None) -> Sequence[GroupRecord]:
        """The pool's groups in name_key order (byte-wise), those after ``after_key``, at most ``limit``."""

    async def add_member(self, pool_id: str, group_key: str, username_key: str) -> bool:
        """Adds the user to the group; False when it was a member already. Both must exist."""

    async def remove_member(self, pool_id: str, group_key: str, username_key: str) -> bool: ...

    async def is_member(self, pool_id: str, group_key: str, username_key: str) -> bool: ...

    async def count_for_user(self, pool_id: str, username_key: str) -> int: ...

    async def list_for_user(
        self, pool_id: str, username_key: str, *, limit: int, after_key: str | None = None
    ) -> Sequence[GroupRecord]:
        """The user's groups in name_key order, those after ``after_key``, at most ``limit`` (one index range)."""

    async def token_groups(self, pool_id: str, username_key: str) -> Sequence[TokenGroup]:
        """(name, role_arn, precedence) of every group of the user (at most 100): what tokens claim. One range
        of the members' (pool, user) index, each group read by its key; nothing else is converted."""

    async def list_members(
        self, pool_id: str, group_key: str, *, limit: int, after_key: str | None = None
    ) -> Sequence[UserRecord]:
        """The group's users in username_key order, those after ``after_key``, at most ``limit``."""


class Transaction(Protocol):
    pools: PoolPort
    clients: ClientPort
    signing_keys: SigningKeyPort
    users: UserPort
    codes: CodePort
    auth_sessions: AuthSessionPort
    outbox: OutboxPort
    auth_events: AuthEventPort
    counters: CounterPort
    resources: ResourcePort
    groups: GroupPort

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A part of the transaction that is undone alone when it raises (the exception goes on); what the
        transaction wrote before it stays, to be committed."""
        ...


class Store(Protocol):
    #: True when write transactions run one at a time on the whole database (SQLite): holding a row that
    #: every operation writes for a whole transaction then delays nobody more than the transaction does.
    writers_take_turns: bool

    def transaction(self, *, readonly: bool = False) -> AbstractAsyncContextManager[Transaction]:
        """One transaction. ``readonly``: the caller only reads; on SQLite such a transaction neither waits
        for nor blocks the process's writer (WAL readers see the last commit), so a trigger function that
        reads the pool back (AdminGetUser, ListUsers) while a write transaction waits on it is served."""
        ...

    async def ping(self) -> None:
        """Raises if the database cannot be reached."""

    async def close(self) -> None: ...

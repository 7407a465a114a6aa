"""The store's narrow async ports, one per domain. The records they carry are the domain's
(``domain.records``): import them from there.

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

from collections.abc import Hashable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from userpools.domain.records import (
    AuthEventRecord,
    AuthSessionRecord,
    ClientRecord,
    CodeRecord,
    DeviceRecord,
    GroupRecord,
    ImportJobRecord,
    ImportLogLine,
    JournalEntry,
    OAuthGrantRecord,
    OutboxRecord,
    PoolRecord,
    PoolResource,
    SigningKeyRecord,
    TokenGroup,
    UserFilter,
    UserRecord,
    WebAuthnCredentialRecord,
)


class Conflict(Exception):
    """A row with the same unique key already exists."""


class WritesHeld(Exception):
    """A write of a pool's user data (a user, a group membership, a passkey) refused because a point-in-time
    recovery holds the pool's user writes; the transaction must roll back. The operations answer it with
    Cognito's error (``operations.common.held_as_cognito``)."""

    def __init__(self, pool_id: str) -> None:
        super().__init__(pool_id)
        self.pool_id = pool_id


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


class UserPort(Protocol):
    async def insert(self, user: UserRecord) -> None:
        """Raises Conflict if (pool_id, username_key) exists."""

    async def get(self, pool_id: str, username_key: str, *, for_update: bool = False) -> UserRecord | None: ...

    async def get_by_sub(self, pool_id: str, sub: str, *, for_update: bool = False) -> UserRecord | None: ...

    async def update(self, user: UserRecord) -> None:
        """Replaces every column but pool_id, username, username_key, sub and created_at; keeps the filter
        index in step."""

    async def set_extra(self, user: UserRecord) -> None:
        """Replaces only ``extra``, for what a sign-in marks there (the TOTP step it used): one statement,
        neither indexed (nothing in ``extra`` is) nor journaled for point-in-time recovery (a replay marker
        of a few seconds' use, like a passkey's signature counter), but refused with ``WritesHeld`` as every
        user write while a recovery holds the pool's users. Nothing when the user is gone."""

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
        of ``domain.records.FILTERABLE_ATTRIBUTES``), after ``after_key``: a ``page_key`` of the same listing. Without a filter
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

    async def existing(self, pool_id: str, username_keys: Sequence[str]) -> set[str]:
        """Which of ``username_keys`` the pool has (one statement, for a bulk import)."""

    async def insert_many(self, users: Sequence[UserRecord]) -> None:
        """Inserts users of one pool with their filter index entries, in a few statements (no aliases: the
        caller stores those of the users that have any). Raises Conflict when any of them exists (the
        transaction may then be unusable until the caller's savepoint is rolled back)."""


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

    async def live(self, pool_id: str, username_key: str, now: datetime) -> list[AuthSessionRecord]:
        """The user's unrevoked, unexpired families, oldest first (ListUserSessions' token sessions)."""

    async def touch(self, origin_jti: str, at: datetime, ip: str | None, user_agent: str | None) -> None:
        """Records a refresh of the family: its last use, and the caller's address and User-Agent."""

    async def rotate(self, origin_jti: str, at: datetime) -> int | None:
        """Moves an unrevoked family to its next refresh-token generation (atomically) and returns it; None
        when there is no such unrevoked family."""


class OutboxPort(Protocol):
    async def add(self, message: OutboxRecord) -> None: ...

    async def list(
        self, pool_id: str | None = None, username: str | None = None, *, limit: int = 100
    ) -> Sequence[OutboxRecord]:
        """Newest first, optionally for one pool and one username."""


class AuthEventPort(Protocol):
    async def add(self, event: AuthEventRecord) -> None: ...

    async def list(
        self, pool_id: str, username_key: str, *, limit: int, before: tuple[datetime, str] | None = None
    ) -> Sequence[AuthEventRecord]:
        """Newest first (created_at DESC, id DESC), those strictly before ``before`` = (created_at, id)."""

    async def set_feedback(self, pool_id: str, username_key: str, event_id: str, feedback: dict[str, Any]) -> bool: ...

    async def set_outcome(self, pool_id: str, username_key: str, event_id: str, response: str,
                          challenge_responses: list[dict[str, str]]) -> bool:
        """Replaces the event's EventResponse and ChallengeResponses (a sign-in's MFA answered after it was
        recorded); False when the user has no such event."""


class CounterPort(Protocol):
    """Rate and attempt counters shared by every server process (fixed windows)."""

    async def hit(self, key: str, window_start: datetime, *, expires_at: datetime, amount: int = 1) -> int:
        """Adds ``amount`` (one unless said) to the counter of (key, window_start) and returns its new value,
        atomically."""

    async def put(self, key: str, window_start: datetime, value: int, *, expires_at: datetime) -> None:
        """Sets the counter of (key, window_start) to ``value`` (a number kept rather than counted: the
        provisioned request rates)."""

    async def peek(self, key: str, window_start: datetime) -> int: ...

    async def peek_two(self, key: str, other: str, window_start: datetime) -> tuple[int, int]:
        """``peek`` of two keys' counts in one window, in one statement."""

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

    async def kinds(self, pool_id: str) -> Sequence[str]:
        """The kinds of resource the pool has, sorted (what ``userpools export`` walks)."""


class OAuthGrantPort(Protocol):
    async def insert(self, grant: OAuthGrantRecord) -> None:
        """Raises Conflict if (kind, key) exists."""

    async def get(self, kind: str, key: str, *, for_update: bool = False) -> OAuthGrantRecord | None: ...

    async def use(self, kind: str, key: str, at: datetime, document: dict[str, Any]) -> bool:
        """Marks an unused grant used at ``at`` and replaces its document, atomically; False (nothing changed)
        when it is unknown or already used — of two concurrent redemptions exactly one gets True."""

    async def delete(self, kind: str, key: str) -> bool: ...

    async def live(self, kind: str, pool_id: str, now: datetime) -> list[OAuthGrantRecord]:
        """The pool's unexpired grants of ``kind``, oldest first (ListUserSessions' SSO sessions)."""

    async def purge(self, now: datetime) -> int:
        """Deletes the grants whose expires_at has passed; returns how many."""


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


class ImportJobPort(Protocol):
    """User import jobs, their uploaded CSV and their per-line log."""

    async def insert(self, job: ImportJobRecord) -> None:
        """Raises Conflict if the id exists."""

    async def get(self, pool_id: str, job_id: str, *, for_update: bool = False) -> ImportJobRecord | None: ...

    async def update(self, job: ImportJobRecord) -> None:
        """Replaces every column but id, pool_id, name, role_arn, password_hashing and created_at."""

    async def list(
        self, pool_id: str, *, limit: int, before: tuple[datetime, str] | None = None
    ) -> Sequence[ImportJobRecord]:
        """Newest first (created_at DESC, id DESC), those strictly before ``before`` = (created_at, id)."""

    async def unfinished(self, *, limit: int) -> Sequence[ImportJobRecord]:
        """Jobs of any pool in Pending, InProgress or Stopping (what a server resumes)."""

    async def claim(self, job_id: str, owner: str, now: datetime, *, stale_before: datetime) -> bool:
        """Makes ``owner`` the job's owner, atomically, if the job is Pending, InProgress or Stopping and has no
        owner, is already ``owner``'s, or its owner's heartbeat is older than ``stale_before``."""

    async def release(self, job_id: str, owner: str) -> bool:
        """Clears the claim if ``owner`` holds it."""

    async def put_file(self, job_id: str, content: bytes) -> None:
        """Inserts or replaces the job's CSV."""

    async def get_file(self, job_id: str) -> bytes | None: ...

    async def delete_file(self, job_id: str) -> None: ...

    async def add_log(self, lines: Sequence[ImportLogLine]) -> None: ...

    async def log(self, job_id: str, *, after_line: int = 0, limit: int = 1000) -> Sequence[ImportLogLine]:
        """The job's log lines in line order, those after ``after_line``."""


class WebAuthnCredentialPort(Protocol):
    """A user's passkeys (``domain.passkeys``)."""

    async def insert(self, credential: WebAuthnCredentialRecord) -> None:
        """Raises Conflict if the user has a passkey with that id."""

    async def list(self, pool_id: str, username_key: str) -> Sequence[WebAuthnCredentialRecord]:
        """The user's passkeys, oldest first (then by id)."""

    async def set_sign_count(self, pool_id: str, username_key: str, credential_id: str, sign_count: int) -> None:
        ...

    async def delete(self, pool_id: str, username_key: str, credential_id: str) -> bool:
        """True if there was such a passkey."""


class DevicePort(Protocol):
    """A user's tracked devices (``userpools.domain.devices``), by (pool_id, username_key, device_key)."""

    async def insert(self, device: DeviceRecord) -> None:
        """Raises Conflict if the device key exists for the user."""

    async def get(
        self, pool_id: str, username_key: str, device_key: str, *, for_update: bool = False
    ) -> DeviceRecord | None: ...

    async def update(self, device: DeviceRecord) -> None:
        """Replaces every column but the key, group_key and created_at."""

    async def delete(self, pool_id: str, username_key: str, device_key: str) -> bool: ...

    async def list(
        self, pool_id: str, username_key: str, *, limit: int, after_key: str | None = None
    ) -> Sequence[DeviceRecord]:
        """The user's devices in device_key order (byte-wise), those after ``after_key``, at most ``limit``."""


class RecoveryPort(Protocol):
    """Point-in-time recoveries (storage.sql_journal) and the users' change journal they read. Rows are dicts
    of the ``point_in_time_recoveries`` columns, moments in microseconds since the epoch."""

    def release_hold(self) -> None:
        """Lets this transaction's later user writes through a recovery's hold (the restore's own writes)."""

    async def insert(self, row: dict[str, Any]) -> None: ...

    async def get(self, pool_id: str, restore_id: str) -> dict[str, Any] | None: ...

    async def update(self, pool_id: str, restore_id: str, **values: Any) -> None: ...

    async def list(self, pool_id: str) -> list[dict[str, Any]]:
        """Newest first."""

    async def changed_since(self, pool_id: str, at: int) -> list[str]:
        """The username keys whose user, memberships or passkeys changed after ``at``."""

    async def history(self, pool_id: str, username_key: str) -> list[JournalEntry]:
        """The user's journal rows (its own, its memberships', its passkeys'), oldest first."""

    async def purge(self, pool_id: str, before: int) -> int:
        """Drops the rows before ``before`` that a later row before it supersedes."""


class ConfigMemo(dict[Hashable, Any]):
    """What operations worked out from one configuration (``Store.config_memo``): a dict, emptied when it holds
    ``LIMIT`` entries and another is put with ``remember`` (whoever fills it, a request that is not kept is
    worked out again, and memory stays bounded)."""

    LIMIT = 5_000

    def remember(self, key: Hashable, value: Any) -> None:
        if len(self) >= self.LIMIT and key not in self:
            self.clear()
        self[key] = value


class Transaction(Protocol):
    recoveries: RecoveryPort
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
    oauth_grants: OAuthGrantPort
    groups: GroupPort
    import_jobs: ImportJobPort
    webauthn_credentials: WebAuthnCredentialPort
    devices: DevicePort

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A part of the transaction that is undone alone when it raises (the exception goes on); what the
        transaction wrote before it stays, to be committed."""
        ...

    async def config_memo(self) -> ConfigMemo | None:
        """What operations worked out from the configuration (pools, clients, cached resources) as this
        transaction sees it, kept by the process until the configuration changes (see ``Store.config_memo``);
        None when this transaction changed it or sees an older one than the process keeps."""
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

    async def config_memo(self) -> ConfigMemo | None:
        """The memo of the last committed configuration, without a transaction (one read of its generation):
        a value put in it by a transaction that saw this configuration still holds. None when the process
        keeps another generation (the next transaction catches up)."""
        ...

    async def ping(self) -> None:
        """Raises if the database cannot be reached."""

    async def close(self) -> None: ...

"""The store on SQLAlchemy Core (async): one implementation of the ports for SQLite and PostgreSQL.

No ORM: each port method runs one statement built once at import (SQLAlchemy caches its compiled form;
asyncpg caches the prepared statement per connection) and maps rows to the frozen records by position.

Inserts are ``INSERT … ON CONFLICT (pk) DO NOTHING`` and report ``Conflict`` when no row went in, rather
than catching the IntegrityError: on PostgreSQL a failed statement aborts the whole transaction, while this
way the caller's transaction stays usable after a Conflict (it may, say, retry with a fresh id), and a
concurrent insert of the same key waits for the other transaction and then reports Conflict. A child row
whose pool is gone still raises SQLAlchemy's IntegrityError: lock the pool (``for_update``) first.

The ports of users, codes and auth sessions live in ``storage.sql_users``, with the row conversions
(``to_micros``, ``from_micros``) the modules share; those of auth events and counters in
``storage.sql_events``; this module assembles the transaction.

Engines come from ``userpools.storage.engine.open_store``, which configures the connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import BigInteger, Row, bindparam, cast, delete, extract, func, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Select
from sqlalchemy.sql.dml import Insert

from userpools.clock import Clock
from userpools.domain.records import ClientRecord, OutboxRecord, PoolRecord, PoolResource, SigningKeyRecord
from userpools.domain.resources import (
    DOMAIN,
    MANAGED_LOGIN_BRANDING,
    MANAGED_LOGIN_BRANDING_CLIENT,
    RESOURCE_SERVER,
    UI_CUSTOMIZATION,
)
from userpools.storage.pg_direct import PgDirectConnection
from userpools.storage.ports import (
    AuthEventPort,
    AuthSessionPort,
    ClientPort,
    CodePort,
    ConfigMemo,
    CounterPort,
    DevicePort,
    GroupPort,
    ImportJobPort,
    OAuthGrantPort,
    OutboxPort,
    PoolPort,
    RecoveryPort,
    ResourcePort,
    SigningKeyPort,
    UserPort,
    WebAuthnCredentialPort,
)
from userpools.storage.schema import (
    config_generation,
    outbox,
    signing_keys,
    user_journal,
    user_pool_clients,
    user_pools,
)
from userpools.storage.sql_devices import SqlDevices, device_insert
from userpools.storage.sql_events import EventStatements, SqlAuthEvents, SqlCounters
from userpools.storage.sql_groups import GroupStatements, SqlGroups
from userpools.storage.sql_import import ImportStatements, SqlImportJobs
from userpools.storage.sql_journal import DEFAULT_CLOCK, Journal, SqlRecoveries
from userpools.storage.sql_oauth import SqlOAuthGrants, grant_insert
from userpools.storage.sql_resources import SqlResources, resource_insert
from userpools.storage.sql_users import (
    SqlAuthSessions,
    SqlCodes,
    SqlUsers,
    UserStatements,
    as_bytes,
    dialect_insert,
    from_micros,
    insert_or_conflict,
    optional_bytes,
    to_micros,
)
from userpools.storage.sql_webauthn import SqlWebAuthnCredentials, WebAuthnStatements
from userpools.storage.sqlite_direct import (
    Checkpointer,
    ConnectionPool,
    DirectConnection,
    StatementCache,
    StatementListener,
    WriterLock,
)

__all__ = ["SQLITE_BEGIN_OPTION", "SqlStore", "SqlTransaction", "from_micros", "to_micros"]

#: Execution option naming the statement the SQLite "begin" hook emits (default ``BEGIN IMMEDIATE``).
SQLITE_BEGIN_OPTION = "userpools_sqlite_begin"

# --- statements, built once ---------------------------------------------------------------------------

_P = user_pools.c
_POOL_COLUMNS = (_P.id, _P.name, _P.created_at, _P.updated_at, _P.settings)
_GET_POOL = select(*_POOL_COLUMNS).where(_P.id == bindparam("b_id"))
_GET_POOL_FOR_UPDATE = _GET_POOL.with_for_update()
# PostgreSQL's FOR KEY SHARE: conflicts with the DELETE of the row, not with other holders (nor with an UPDATE
# of its non-key columns); SQLite has no row locks (its write transaction holds the whole file).
_HOLD_POOL = select(_P.id).where(_P.id == bindparam("b_id")).with_for_update(read=True, key_share=True)
_UPDATE_POOL = (
    update(user_pools)
    .where(_P.id == bindparam("b_id"))
    .values(name=bindparam("name"), updated_at=bindparam("updated_at"), settings=bindparam("settings"))
)
_DELETE_POOL = delete(user_pools).where(_P.id == bindparam("b_id"))
_LIST_POOLS = select(*_POOL_COLUMNS).order_by(_P.id).limit(bindparam("b_limit"))
_LIST_POOLS_AFTER = _LIST_POOLS.where(_P.id > bindparam("b_after"))
_DELETE_POOL_JOURNAL = delete(user_journal).where(user_journal.c.pool_id == bindparam("b_id"))

_C = user_pool_clients.c
_CLIENT_COLUMNS = (
    _C.id,
    _C.pool_id,
    _C.name,
    _C.created_at,
    _C.updated_at,
    _C.secret_ciphertext,
    _C.settings,
)
_GET_CLIENT = select(*_CLIENT_COLUMNS).where(_C.id == bindparam("b_id"))
_GET_CLIENT_FOR_UPDATE = _GET_CLIENT.with_for_update()
_UPDATE_CLIENT = (
    update(user_pool_clients)
    .where(_C.id == bindparam("b_id"))
    .values(
        name=bindparam("name"),
        updated_at=bindparam("updated_at"),
        secret_ciphertext=bindparam("secret_ciphertext"),
        settings=bindparam("settings"),
    )
)
_DELETE_CLIENT = delete(user_pool_clients).where(_C.id == bindparam("b_id"))
_LIST_CLIENTS = (
    select(*_CLIENT_COLUMNS)
    .where(_C.pool_id == bindparam("b_pool_id"))
    .order_by(_C.id)
    .limit(bindparam("b_limit"))
)
_LIST_CLIENTS_AFTER = _LIST_CLIENTS.where(_C.id > bindparam("b_after"))

_K = signing_keys.c
_KEY_COLUMNS = (
    _K.kid,
    _K.pool_id,
    _K.purpose,
    _K.private_key_ciphertext,
    _K.public_jwk,
    _K.created_at,
    _K.active,
)
_LIST_KEYS = select(*_KEY_COLUMNS).where(_K.pool_id == bindparam("b_pool_id")).order_by(_K.created_at, _K.kid)

# The outbox belongs to the pool (its messages outlive their users), so it lives here.
_O = outbox.c
_OUTBOX_COLUMNS = (
    _O.id,
    _O.pool_id,
    _O.username,
    _O.destination,
    _O.delivery_medium,
    _O.trigger_source,
    _O.created_at,
    _O.payload_ciphertext,
)
_LIST_OUTBOX = (
    select(*_OUTBOX_COLUMNS).order_by(_O.created_at.desc(), _O.id.desc()).limit(bindparam("b_limit"))
)
_LIST_OUTBOX_OF_POOL = _LIST_OUTBOX.where(_O.pool_id == bindparam("b_pool_id"))
#: (pool given?, username given?) → statement
_LIST_OUTBOX_BY: dict[tuple[bool, bool], Select[Any]] = {
    (False, False): _LIST_OUTBOX,
    (True, False): _LIST_OUTBOX_OF_POOL,
    (False, True): _LIST_OUTBOX.where(_O.username == bindparam("b_username")),
    (True, True): _LIST_OUTBOX_OF_POOL.where(_O.username == bindparam("b_username")),
}


class _Inserts:
    """The dialect's ``INSERT … ON CONFLICT (pk) DO NOTHING`` per table (``users``: those of sql_users;
    ``events``: those of sql_events, with the counters' upsert)."""

    def __init__(self, dialect_name: str) -> None:
        insert = dialect_insert(dialect_name)
        self.users = UserStatements(dialect_name)
        self.events = EventStatements(dialect_name)
        self.pool: Insert = insert(user_pools).on_conflict_do_nothing(index_elements=[_P.id])
        self.client: Insert = insert(user_pool_clients).on_conflict_do_nothing(index_elements=[_C.id])
        self.key: Insert = insert(signing_keys).on_conflict_do_nothing(index_elements=[_K.kid])
        self.message: Insert = insert(outbox).on_conflict_do_nothing(index_elements=[_O.id])
        self.resource: Insert = resource_insert(dialect_name)
        self.grant: Insert = grant_insert(dialect_name)
        self.groups = GroupStatements(dialect_name)
        self.imports = ImportStatements(dialect_name)
        self.webauthn = WebAuthnStatements(dialect_name)
        self.device: Insert = device_insert(dialect_name)
        #: the moments of the users' change journal (storage.sql_journal); app sets the server's clock
        self.clock: Clock = DEFAULT_CLOCK


# --- row mapping -------------------------------------------------------------------------------------


def _pool(row: Row[Any]) -> PoolRecord:
    return PoolRecord(row[0], row[1], from_micros(row[2]), from_micros(row[3]), row[4])


def _client(row: Row[Any]) -> ClientRecord:
    return ClientRecord(
        row[0], row[1], row[2], from_micros(row[3]), from_micros(row[4]), optional_bytes(row[5]), row[6]
    )


def _key(row: Row[Any]) -> SigningKeyRecord:
    return SigningKeyRecord(
        row[0], row[1], row[2], as_bytes(row[3]), row[4], from_micros(row[5]), bool(row[6])
    )


def _message(row: Row[Any]) -> OutboxRecord:
    return OutboxRecord(row[0], row[1], row[2], row[3], row[4], row[5], from_micros(row[6]), as_bytes(row[7]))


# --- ports -------------------------------------------------------------------------------------------


class SqlPools:
    __slots__ = ("_conn", "_insert_statement")

    def __init__(self, conn: AsyncConnection, inserts: _Inserts) -> None:
        self._conn = conn
        self._insert_statement = inserts.pool

    async def insert(self, pool: PoolRecord) -> None:
        values = {
            "id": pool.id,
            "name": pool.name,
            "created_at": to_micros(pool.created_at),
            "updated_at": to_micros(pool.updated_at),
            "settings": pool.settings,
        }
        await insert_or_conflict(self._conn, self._insert_statement, values, f"user pool {pool.id}")

    async def get(self, pool_id: str, *, for_update: bool = False) -> PoolRecord | None:
        statement = _GET_POOL_FOR_UPDATE if for_update else _GET_POOL
        row = (await self._conn.execute(statement, {"b_id": pool_id})).first()
        return None if row is None else _pool(row)

    async def hold(self, pool_id: str) -> bool:
        return (await self._conn.execute(_HOLD_POOL, {"b_id": pool_id})).first() is not None

    async def update(self, pool: PoolRecord) -> None:
        values = {
            "b_id": pool.id,
            "name": pool.name,
            "updated_at": to_micros(pool.updated_at),
            "settings": pool.settings,
        }
        await self._conn.execute(_UPDATE_POOL, values)

    async def delete(self, pool_id: str) -> bool:
        result = await self._conn.execute(_DELETE_POOL, {"b_id": pool_id})
        if result.rowcount == 0:
            return False
        # the users' change journal has no foreign key (its rows outlive the users): it goes with the pool
        await self._conn.execute(_DELETE_POOL_JOURNAL, {"b_id": pool_id})
        return True

    async def list(self, *, limit: int, after_id: str | None = None) -> Sequence[PoolRecord]:
        if after_id is None:
            result = await self._conn.execute(_LIST_POOLS, {"b_limit": limit})
        else:
            result = await self._conn.execute(_LIST_POOLS_AFTER, {"b_limit": limit, "b_after": after_id})
        return [_pool(row) for row in result]


class SqlClients:
    __slots__ = ("_conn", "_insert_statement")

    def __init__(self, conn: AsyncConnection, inserts: _Inserts) -> None:
        self._conn = conn
        self._insert_statement = inserts.client

    async def insert(self, client: ClientRecord) -> None:
        values = {
            "id": client.id,
            "pool_id": client.pool_id,
            "name": client.name,
            "created_at": to_micros(client.created_at),
            "updated_at": to_micros(client.updated_at),
            "secret_ciphertext": client.secret_ciphertext,
            "settings": client.settings,
        }
        await insert_or_conflict(self._conn, self._insert_statement, values, f"app client {client.id}")

    async def get(self, client_id: str, *, for_update: bool = False) -> ClientRecord | None:
        statement = _GET_CLIENT_FOR_UPDATE if for_update else _GET_CLIENT
        row = (await self._conn.execute(statement, {"b_id": client_id})).first()
        return None if row is None else _client(row)

    async def update(self, client: ClientRecord) -> None:
        values = {
            "b_id": client.id,
            "name": client.name,
            "updated_at": to_micros(client.updated_at),
            "secret_ciphertext": client.secret_ciphertext,
            "settings": client.settings,
        }
        await self._conn.execute(_UPDATE_CLIENT, values)

    async def delete(self, client_id: str) -> bool:
        result = await self._conn.execute(_DELETE_CLIENT, {"b_id": client_id})
        return result.rowcount > 0

    async def list(self, pool_id: str, *, limit: int, after_id: str | None = None) -> Sequence[ClientRecord]:
        if after_id is None:
            params: dict[str, Any] = {"b_pool_id": pool_id, "b_limit": limit}
            result = await self._conn.execute(_LIST_CLIENTS, params)
        else:
            params = {"b_pool_id": pool_id, "b_limit": limit, "b_after": after_id}
            result = await self._conn.execute(_LIST_CLIENTS_AFTER, params)
        return [_client(row) for row in result]


class SqlSigningKeys:
    __slots__ = ("_conn", "_insert_statement")

    def __init__(self, conn: AsyncConnection, inserts: _Inserts) -> None:
        self._conn = conn
        self._insert_statement = inserts.key

    async def insert(self, key: SigningKeyRecord) -> None:
        values = {
            "kid": key.kid,
            "pool_id": key.pool_id,
            "purpose": key.purpose,
            "private_key_ciphertext": key.private_key_ciphertext,
            "public_jwk": key.public_jwk,
            "created_at": to_micros(key.created_at),
            "active": key.active,
        }
        await insert_or_conflict(self._conn, self._insert_statement, values, f"signing key {key.kid}")

    async def list(self, pool_id: str) -> Sequence[SigningKeyRecord]:
        result = await self._conn.execute(_LIST_KEYS, {"b_pool_id": pool_id})
        return [_key(row) for row in result]


class SqlOutbox:
    __slots__ = ("_conn", "_insert_statement")

    def __init__(self, conn: AsyncConnection, inserts: _Inserts) -> None:
        self._conn = conn
        self._insert_statement = inserts.message

    async def add(self, message: OutboxRecord) -> None:
        values = {
            "id": message.id,
            "pool_id": message.pool_id,
            "username": message.username,
            "destination": message.destination,
            "delivery_medium": message.delivery_medium,
            "trigger_source": message.trigger_source,
            "created_at": to_micros(message.created_at),
            "payload_ciphertext": message.payload_ciphertext,
        }
        await insert_or_conflict(self._conn, self._insert_statement, values, f"outbox message {message.id}")

    async def list(
        self, pool_id: str | None = None, username: str | None = None, *, limit: int = 100
    ) -> Sequence[OutboxRecord]:
        params: dict[str, Any] = {"b_limit": limit}
        if pool_id is not None:
            params["b_pool_id"] = pool_id
        if username is not None:
            params["b_username"] = username
        statement = _LIST_OUTBOX_BY[(pool_id is not None, username is not None)]
        return [_message(row) for row in await self._conn.execute(statement, params)]


class ConfigCache:
    """Pools and app clients as last read in this process, valid while the database's configuration generation
    is the one they were read at.

    The generation is a number every transaction that writes a pool or a client adds one to, whichever process
    it runs in, and that a transaction reads once before using the cache: SQLite's ``PRAGMA user_version`` (a
    header field, transactional like any write; microseconds to read), PostgreSQL's ``config_generation`` row
    (one indexed read instead of the pool's and the client's rows and their JSON). So a request loads no pool
    or client rows unless one changed, and a change made by another process is seen by the next transaction,
    as without a cache. On PostgreSQL (READ COMMITTED) a row read after the generation is at least as new as
    the generation it is cached under, so the cache never labels old rows with a newer generation.

    The pool resources that the OAuth endpoints read on every request (domains: which pool a domain is;
    resource servers: the custom scopes a client_credentials token may carry) are configuration too: their
    writes bump the same generation, and their reads (``get`` and ``list``) are kept here.

    ``memo``: what the operations worked out from this configuration and keep while it lasts (see
    ``Store.config_memo``): emptied with the rest at every change.
    """

    __slots__ = ("clients", "generation", "memo", "pools", "resource_lists", "resources")

    def __init__(self) -> None:
        self.generation = -1
        self.pools: dict[str, PoolRecord] = {}
        self.clients: dict[str, ClientRecord] = {}
        self.resources: dict[tuple[str, str], PoolResource | None] = {}
        self.resource_lists: dict[tuple[str, str, int, str | None], Sequence[PoolResource]] = {}
        self.memo = ConfigMemo()

    def start_over(self, generation: int) -> None:
        """Empty, holding rows of ``generation`` from now on (-1: of none yet)."""
        self.generation = generation
        self.pools.clear()
        self.clients.clear()
        self.resources.clear()
        self.resource_lists.clear()
        self.memo = ConfigMemo()  # a new one: one a caller still holds stays the old generation's


class _Generation:
    """One transaction's view of the configuration generation (see ConfigCache). A write group's members read
    it once for the group (``_WriteGroup.generation``): no other process can change it while the group holds
    the write lock, and its own members change it only through ``bump``, after which it is read again."""

    __slots__ = ("_cache", "_group", "_raw", "_seen", "changed")

    def __init__(self, raw: sqlite3.Connection, cache: ConfigCache, group: _WriteGroup | None = None) -> None:
        self._raw = raw
        self._cache = cache
        self._group = group
        self._seen: int | None = None
        self.changed = False

    async def usable_cache(self) -> ConfigCache | None:
        """The cache when it holds this transaction's generation (started afresh for a newer one); None after
        this transaction changed the configuration, or when its snapshot is older than the cache."""
        if self.changed:
            return None
        if self._seen is None:
            self._seen = self._read()
        return _cache_at(self._cache, self._seen)

    async def bump(self) -> None:
        if not self.changed:
            generation = self._read() + 1
            self._raw.execute(f"PRAGMA user_version={generation}")
            self.changed = True
            if self._group is not None:  # read again by the next member: a savepoint may still undo the bump
                self._group.generation = None

    def _read(self) -> int:
        group = self._group
        if group is not None and group.generation is not None:
            return group.generation
        generation = int(self._raw.execute("PRAGMA user_version").fetchone()[0])
        if group is not None:
            group.generation = generation
        return generation


def _cache_at(cache: ConfigCache, seen: int) -> ConfigCache | None:
    if seen > cache.generation:
        cache.start_over(seen)
    return cache if seen == cache.generation else None


_READ_GENERATION = select(config_generation.c.n).where(config_generation.c.id == 1)
_BUMP_GENERATION = (
    postgresql.insert(config_generation)
    # A row written again after it was deleted must not repeat a number that a process may hold in its cache:
    # it starts at the time in microseconds, above any count of bumps since the row was first written.
    .values(id=1, n=cast(extract("epoch", func.clock_timestamp()) * 1_000_000, BigInteger))
    .on_conflict_do_update(index_elements=[config_generation.c.id], set_={"n": config_generation.c.n + 1})
)


class _PgGeneration:
    """PostgreSQL's configuration generation (see ConfigCache): the ``config_generation`` row, read once per
    transaction; a missing row (an emptied table) counts as 0 (nothing cached is used) and comes back at the
    next bump with a number larger than any before."""

    __slots__ = ("_cache", "_conn", "_seen", "changed")

    def __init__(self, conn: PgDirectConnection, cache: ConfigCache) -> None:
        self._conn = conn
        self._cache = cache
        self._seen: int | None = None
        self.changed = False

    async def usable_cache(self) -> ConfigCache | None:
        if self.changed:
            return None
        if self._seen is None:
            self._seen = int((await self._conn.execute(_READ_GENERATION)).scalar() or 0)
        return _cache_at(self._cache, self._seen)

    async def bump(self) -> None:
        if not self.changed:
            await self._conn.execute(_BUMP_GENERATION)  # also locks the row until commit: bumps queue
            self.changed = True


_AnyGeneration = _Generation | _PgGeneration


class _CachedPools(SqlPools):
    __slots__ = ("_generation",)

    def __init__(self, conn: AsyncConnection, inserts: _Inserts, generation: _AnyGeneration) -> None:
        super().__init__(conn, inserts)
        self._generation = generation

    async def get(self, pool_id: str, *, for_update: bool = False) -> PoolRecord | None:
        cache = None if for_update else await self._generation.usable_cache()
        if cache is None:
            return await super().get(pool_id, for_update=for_update)
        pool = cache.pools.get(pool_id)
        if pool is None:
            pool = await super().get(pool_id, for_update=for_update)
            if pool is not None:
                cache.pools[pool_id] = pool
        return pool

    async def insert(self, pool: PoolRecord) -> None:
        await self._generation.bump()
        await super().insert(pool)

    async def update(self, pool: PoolRecord) -> None:
        await self._generation.bump()
        await super().update(pool)

    async def delete(self, pool_id: str) -> bool:
        await self._generation.bump()
        return await super().delete(pool_id)


class _CachedClients(SqlClients):
    __slots__ = ("_generation",)

    def __init__(self, conn: AsyncConnection, inserts: _Inserts, generation: _AnyGeneration) -> None:
        super().__init__(conn, inserts)
        self._generation = generation

    async def get(self, client_id: str, *, for_update: bool = False) -> ClientRecord | None:
        cache = None if for_update else await self._generation.usable_cache()
        if cache is None:
            return await super().get(client_id, for_update=for_update)
        client = cache.clients.get(client_id)
        if client is None:
            client = await super().get(client_id, for_update=for_update)
            if client is not None:
                cache.clients[client_id] = client
        return client

    async def insert(self, client: ClientRecord) -> None:
        await self._generation.bump()
        await super().insert(client)

    async def update(self, client: ClientRecord) -> None:
        await self._generation.bump()
        await super().update(client)

    async def delete(self, client_id: str) -> bool:
        await self._generation.bump()
        return await super().delete(client_id)


#: The resource kinds kept in the ConfigCache: those every OAuth token request reads.
CACHED_RESOURCE_KINDS = frozenset({DOMAIN, RESOURCE_SERVER})
#: The pool resources that are configuration: a write bumps the generation. The cached kinds, and those a
#: domain's pages look like (classic UI customization, managed login branding), which operations keep worked
#: out in the configuration's memo (``Store.config_memo``) but which are not cached themselves (their
#: documents carry the images).
CONFIGURATION_KINDS = CACHED_RESOURCE_KINDS | {UI_CUSTOMIZATION, MANAGED_LOGIN_BRANDING, MANAGED_LOGIN_BRANDING_CLIENT}


class _CachedResources(SqlResources):
    """``SqlResources`` with domains and resource servers read through the ConfigCache (see there); a write of
    one of them, or of another configuration kind (``CONFIGURATION_KINDS``), bumps the generation, so every
    process reads them again."""

    __slots__ = ("_generation",)

    def __init__(self, conn: AsyncConnection, insert_statement: Insert, generation: _AnyGeneration) -> None:
        super().__init__(conn, insert_statement)
        self._generation = generation

    async def get(self, kind: str, key: str, *, for_update: bool = False) -> PoolResource | None:
        if for_update or kind not in CACHED_RESOURCE_KINDS:
            return await super().get(kind, key, for_update=for_update)
        cache = await self._generation.usable_cache()
        if cache is None:
            return await super().get(kind, key)
        try:
            return cache.resources[(kind, key)]
        except KeyError:
            found = cache.resources[(kind, key)] = await super().get(kind, key)  # None (no such row) too
            return found

    async def list(
        self, pool_id: str, kind: str, *, limit: int, after_key: str | None = None
    ) -> Sequence[PoolResource]:
        if kind not in CACHED_RESOURCE_KINDS:
            return await super().list(pool_id, kind, limit=limit, after_key=after_key)
        cache = await self._generation.usable_cache()
        if cache is None:
            return await super().list(pool_id, kind, limit=limit, after_key=after_key)
        key = (pool_id, kind, limit, after_key)
        found = cache.resource_lists.get(key)
        if found is None:
            found = cache.resource_lists[key] = tuple(
                await super().list(pool_id, kind, limit=limit, after_key=after_key)
            )
        return found

    async def insert(self, resource: PoolResource) -> None:
        if resource.kind in CONFIGURATION_KINDS:
            await self._generation.bump()
        await super().insert(resource)

    async def update(self, resource: PoolResource) -> None:
        if resource.kind in CONFIGURATION_KINDS:
            await self._generation.bump()
        await super().update(resource)

    async def delete(self, kind: str, key: str) -> bool:
        if kind in CONFIGURATION_KINDS:
            await self._generation.bump()
        return await super().delete(kind, key)


class SqlTransaction:
    """The ports of one transaction, each made on its first use (``_Port``; then a plain attribute): an
    operation touches three or four of the sixteen, and every request opens a transaction."""

    pools: PoolPort
    clients: ClientPort
    resources: ResourcePort
    signing_keys: SigningKeyPort
    users: UserPort
    recoveries: RecoveryPort
    codes: CodePort
    auth_sessions: AuthSessionPort
    outbox: OutboxPort
    auth_events: AuthEventPort
    counters: CounterPort
    oauth_grants: OAuthGrantPort
    groups: GroupPort
    import_jobs: ImportJobPort
    webauthn_credentials: WebAuthnCredentialPort
    devices: DevicePort
    _journal: Journal  # one per transaction, shared by the ports that journal

    def __init__(
        self, conn: AsyncConnection, inserts: _Inserts, generation: _AnyGeneration | None = None
    ) -> None:
        self._conn = conn
        self._inserts = inserts
        self._generation = generation

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        return self._conn.savepoint()  # type: ignore[attr-defined, no-any-return]

    async def config_memo(self) -> ConfigMemo | None:
        """The memo of the configuration this transaction sees (``ConfigCache.memo``); None when the cache does
        not hold it (this transaction changed it, or saw an older one)."""
        if self._generation is None:
            return None
        cache = await self._generation.usable_cache()
        return None if cache is None else cache.memo


_PortFactory = Callable[[SqlTransaction, Any, "_Inserts", Any], Any]
_PORTS: dict[str, _PortFactory] = {
    "pools": lambda t, c, i, g: SqlPools(c, i) if g is None else _CachedPools(c, i, g),
    "clients": lambda t, c, i, g: SqlClients(c, i) if g is None else _CachedClients(c, i, g),
    "resources": lambda t, c, i, g: SqlResources(c, i.resource) if g is None else _CachedResources(c, i.resource, g),
    "_journal": lambda t, c, i, g: Journal(i.clock),
    "signing_keys": lambda t, c, i, g: SqlSigningKeys(c, i),
    "users": lambda t, c, i, g: SqlUsers(c, i.users, t._journal),
    "recoveries": lambda t, c, i, g: SqlRecoveries(c, t._journal),
    "codes": lambda t, c, i, g: SqlCodes(c, i.users),
    "auth_sessions": lambda t, c, i, g: SqlAuthSessions(c, i.users),
    "outbox": lambda t, c, i, g: SqlOutbox(c, i),
    "auth_events": lambda t, c, i, g: SqlAuthEvents(c, i.events),
    "counters": lambda t, c, i, g: SqlCounters(c, i.events),
    "oauth_grants": lambda t, c, i, g: SqlOAuthGrants(c, i.grant),
    "groups": lambda t, c, i, g: SqlGroups(c, i.groups, t._journal),
    "import_jobs": lambda t, c, i, g: SqlImportJobs(c, i.imports),
    "webauthn_credentials": lambda t, c, i, g: SqlWebAuthnCredentials(c, i.webauthn, t._journal),
    "devices": lambda t, c, i, g: SqlDevices(c, i.device),
}


class _Port:
    """A port of ``SqlTransaction``, made on first use and kept in the transaction's ``__dict__``, which then
    shadows this (non-data) descriptor. (``__getattr__`` did the same after the normal lookup had failed, an
    AttributeError made and caught inside the interpreter every time.)"""

    __slots__ = ("_make", "_name")

    def __init__(self, name: str, make: _PortFactory) -> None:
        self._name = name
        self._make = make

    def __get__(self, tx: SqlTransaction | None, owner: type | None = None) -> Any:
        if tx is None:
            return self
        port = self._make(tx, tx._conn, tx._inserts, tx._generation)
        tx.__dict__[self._name] = port
        return port


for _name, _make in _PORTS.items():
    setattr(SqlTransaction, _name, _Port(_name, _make))


class _WriteGroup:
    """SQLite's group commit: one write transaction holding the operations that queued for the writer slot
    together, each inside its own savepoint, committed once after the last of them (see SqlStore)."""

    __slots__ = ("done", "generation", "members", "raw")

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw
        self.members = 0
        #: the configuration generation as the group's transaction sees it, once read (``_Generation``)
        self.generation: int | None = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()


class SqlStore:
    """A ``Store`` on an engine from ``engine.create_engine``.

    ``serialize_transactions`` (SQLite) queues this process's transactions on an asyncio lock before they
    take SQLite's write lock: SQLite admits one writer at a time anyway, and waiting on the lock hands over
    at once and in order, where waiting in SQLite's busy handler polls. Other processes still queue on the
    busy timeout. ``lock_timeout`` bounds the wait (so a transaction opened inside another of the same task
    fails instead of hanging).

    ``direct`` (SQLite): the dialect and the ``sqlite3`` connection factory of ``storage.sqlite_direct``.
    The ports' statements then run on the event loop's own thread, straight on ``sqlite3`` (a statement
    on a local file takes microseconds: less than the thread hops of an async driver, or SQLAlchemy's
    per-execution work). A write transaction's
    ``BEGIN IMMEDIATE`` does not wait in SQLite's busy handler (that would block the loop while another
    process writes): when the file is locked the store awaits and tries again, until ``lock_timeout``.

    Group commit (the direct SQLite path): the write transactions queued for the writer slot share one SQLite
    transaction, each operation inside a savepoint of its own, so one that fails leaves nothing behind and the
    others keep their writes. The transaction commits once every operation that was queued when it began has
    had its turn; each operation's ``transaction()`` returns only after that commit (or raises with it), so
    an answer is never sent before its writes are durable, and a later transaction, read-only ones included,
    sees them. Operations run one after the other as before: each sees the earlier ones' writes, as it would
    after their commits. What the group saves is the per-commit cost (SQLite writes each changed page to the
    log at every COMMIT; ForgotPassword changes ~7 pages, and the append-only tables' last pages are the same
    for the whole group) and the BEGIN/COMMIT locking.

    ``pg_direct`` (PostgreSQL): the dialect and a pool of asyncpg connections (``storage.pg_direct``), each
    transaction on one of them at READ COMMITTED. A store has exactly one of the two; the async ``engine``
    (kept for migrations and tests) runs no transaction of the ports.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        serialize_transactions: bool = False,
        lock_timeout: float = 15.0,
        direct: tuple[Dialect, Callable[[], sqlite3.Connection]] | None = None,
        pg_direct: tuple[Dialect, asyncpg.Pool] | None = None,
        writer_lock: WriterLock | None = None,
    ) -> None:
        self.engine = engine
        self._lock_timeout = lock_timeout
        self._inserts = _Inserts(engine.dialect.name)
        # the direct SQLite path always queues its writers: they share one group-commit transaction
        self._lock = asyncio.Lock() if serialize_transactions or direct is not None else None
        #: Whether write transactions take one lock for the whole database (SQLite): operations then do what
        #: they can (CPU-heavy checks) before their transaction rather than in it.
        self.serializes_writers = serialize_transactions
        #: Whether write transactions run one at a time on the whole database (SQLite, in any process): a row
        #: every operation writes (a per-pool counter) then costs nothing more held for a whole transaction.
        self.writers_take_turns = direct is not None
        self._direct: tuple[StatementCache, ConnectionPool] | None = None
        self._config = ConfigCache()
        #: the generation config_memo read in this turn of the event loop (None: not read yet)
        self._tick_generation: int | None = None
        #: SQLite: the write transaction now open, shared by the operations queued for the writer slot
        self._group: _WriteGroup | None = None
        self._background_tasks: set[asyncio.Task[None]] = set()
        #: SQLite commits of write transactions (a group counts once), for tests and diagnostics
        self.commits = 0
        self._restarting = False
        #: Called with (SQL, parameters) before each statement of the direct path (tests capture them).
        self.statement_listeners: list[StatementListener] = []
        self._pg: tuple[StatementCache, asyncpg.Pool] | None = None
        if pg_direct is not None:
            self._pg = (StatementCache(pg_direct[0]), pg_direct[1])
        if direct is not None:
            dialect, connect = direct
            self._direct = (StatementCache(dialect), ConnectionPool(connect))
            self._checkpointer = Checkpointer(connect)
        #: SQLite on a file: the processes writing it take turns (sqlite_direct.WriterLock)
        self._writer_lock = writer_lock if direct is not None else None
        if (self._direct is None) == (self._pg is None):
            raise ValueError("a store runs on exactly one of direct (SQLite) and pg_direct (PostgreSQL)")

    def use_clock(self, clock: Clock) -> None:
        """The clock of the users' change journal (the server's, so the development clock moves it too)."""
        self._inserts.clock = clock

    def transaction(self, *, readonly: bool = False) -> AbstractAsyncContextManager[SqlTransaction]:
        if self._direct is not None:
            return _DirectTransaction(self, readonly)
        return self._pg_transaction(readonly)

    async def config_memo(self) -> ConfigMemo | None:
        """The memo of the last committed configuration, read without a transaction: one read of the generation
        (SQLite: ``PRAGMA user_version`` on an idle connection, in autocommit; PostgreSQL: the
        ``config_generation`` row) per turn of the event loop. None when this process's cache holds another
        generation.

        A generation read is kept until the loop's next turn (``_forget_generation``, scheduled when it is
        read): the requests whose handlers run in one turn see the same one. That is no older than each could
        have read itself: a request that a client sent after another process committed a configuration change
        (and answered it) is read off the socket in a later turn, after the forgetting callback, which was
        queued first. A commit of this process forgets it at once (``_end_group``, ``_pg_transaction``), so a
        configuration change made here is seen by the next call, in the same turn too."""
        seen = self._tick_generation
        if seen is None:
            seen = self._tick_generation = await self._read_generation()
            asyncio.get_running_loop().call_soon(self._forget_generation)
        cache = _cache_at(self._config, seen)
        return None if cache is None else cache.memo

    def _forget_generation(self) -> None:
        self._tick_generation = None

    async def _read_generation(self) -> int:
        if self._direct is not None:
            pool = self._direct[1]
            raw = pool.checkout()
            try:
                return int(raw.execute("PRAGMA user_version").fetchone()[0])
            finally:
                pool.checkin(raw)
        assert self._pg is not None
        statements, pg_pool = self._pg
        async with pg_pool.acquire() as conn:
            direct = PgDirectConnection(conn, statements, self.statement_listeners)
            return int((await direct.execute(_READ_GENERATION)).scalar() or 0)

    async def _take_writer_slot(self) -> None:
        """This process's turn among its writers (``_lock``, FIFO); ``_release_writer_slot`` ends it."""
        lock = self._lock
        if lock is None:
            return
        try:
            if lock.locked():  # a free lock is taken at once: no timer to set and cancel
                async with asyncio.timeout(self._lock_timeout):
                    await lock.acquire()
            else:
                await lock.acquire()
        except TimeoutError:
            # Also what a transaction opened inside another one of the same task ends in.
            raise TimeoutError(f"no transaction slot within {self._lock_timeout} s") from None

    def _release_writer_slot(self) -> None:
        if self._lock is not None:
            self._lock.release()

    async def _join_write_group(self) -> _WriteGroup:
        """The open write group (begun here when there is none), with a savepoint for the caller's operation;
        called in the writer slot."""
        assert self._direct is not None
        group = self._group
        if group is None:
            pool = self._direct[1]
            raw = pool.checkout()
            try:
                await self._begin_immediate(raw)
            except BaseException:
                pool.checkin(raw)
                raise
            group = self._group = _WriteGroup(raw)
            self._background(self._flush_when_queue_passed(group))
        group.raw.execute("SAVEPOINT operation")
        return group

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        """A task of the store's own (a group's commit, a log restart), which close() waits for."""
        task = asyncio.create_task(work)
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)

    def _undo_operation(self, group: _WriteGroup) -> None:
        """One operation of the group failed: its statements are undone, the others' stay. When SQLite lost
        the whole transaction (an I/O error, a full disk), the group ends here in failure."""
        raw = group.raw
        group.generation = None  # the operation's bump, if any, is undone too: read it again
        try:
            raw.execute("ROLLBACK TO operation")
            raw.execute("RELEASE operation")
        except sqlite3.Error as exc:  # the savepoint went with the transaction, or the connection failed
            self._end_group(group, exc)
            return
        if not raw.in_transaction:
            self._end_group(group, sqlite3.OperationalError("the write transaction was rolled back"))

    async def _flush_when_queue_passed(self, group: _WriteGroup) -> None:
        """Commits ``group`` once every operation that was queued for the writer slot when the group began
        has had its turn (the lock is FIFO); no timeout: the group must end, however long its members take."""
        assert self._lock is not None
        await self._lock.acquire()
        try:
            if self._group is group:
                self._end_group(group, None)
        finally:
            self._lock.release()

    async def _restart_log(self) -> None:
        """The write-ahead log has grown long (see sqlite_direct.Checkpointer): this process's writers wait
        while a RESTART checkpoint copies the rest of it, after which the next writer starts it over."""
        assert self._lock is not None
        try:
            await self._lock.acquire()
            try:
                if self._group is not None:  # all its members are done: commit it now, not at its flusher
                    self._end_group(self._group, None)
                await self._checkpointer.restart()
            finally:
                self._lock.release()
        finally:
            self._restarting = False

    def _end_group(self, group: _WriteGroup, error: BaseException | None) -> None:
        if self._group is group:
            self._group = None
        assert self._direct is not None
        raw = group.raw
        if error is None:
            try:
                raw.commit()
            except sqlite3.Error as exc:
                error = exc
        if error is None:
            self.commits += 1
            self._tick_generation = None  # it may have changed the configuration: read it again (config_memo)
            self._checkpointer.committed(group.members)
            group.done.set_result(None)
            if self._checkpointer.wants_restart and not self._restarting:
                self._restarting = True
                self._background(self._restart_log())
        else:
            # A configuration change read into the cache by a later member never committed: forget it all.
            self._config.start_over(-1)
            group.done.set_exception(error)
            group.done.exception()  # retrieved here too: a group whose members all failed has no one awaiting
        self._direct[1].checkin(raw)  # rolls back whatever did not commit
        if self._writer_lock is not None:
            self._writer_lock.release()

    @asynccontextmanager
    async def _pg_transaction(self, readonly: bool) -> AsyncIterator[SqlTransaction]:
        assert self._pg is not None
        statements, pool = self._pg
        async with pool.acquire() as conn:
            transaction = conn.transaction(readonly=readonly)  # READ COMMITTED, the server's default
            await transaction.start()
            try:
                direct = PgDirectConnection(conn, statements, self.statement_listeners)
                yield SqlTransaction(direct, self._inserts, _PgGeneration(direct, self._config))  # type: ignore[arg-type]
            except BaseException:
                with contextlib.suppress(Exception):  # a lost connection: the server rolls back by itself
                    await transaction.rollback()
                raise
            await transaction.commit()
            self._tick_generation = None  # as _end_group

    def _direct_tx(self, raw: sqlite3.Connection, statements: StatementCache,
                   group: _WriteGroup | None = None) -> SqlTransaction:
        conn = DirectConnection(raw, statements, self.statement_listeners)
        return SqlTransaction(conn, self._inserts, _Generation(raw, self._config, group))  # type: ignore[arg-type]

    async def _begin_immediate(self, raw: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE`` without SQLite's busy wait, awaiting in between while another process holds
        the write lock."""
        deadline = time.monotonic() + self._lock_timeout
        lock = self._writer_lock
        if lock is not None:  # this process's turn among those writing the file: then SQLite's lock is free
            try:
                await lock.acquire(self._lock_timeout)
            except TimeoutError as exc:
                raise OperationalError("BEGIN IMMEDIATE", (), exc) from None
        pause = 0.0002
        raw.execute("PRAGMA busy_timeout=0")
        try:
            while True:
                try:
                    raw.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if not _is_busy(exc) or time.monotonic() > deadline:
                        raise OperationalError("BEGIN IMMEDIATE", (), exc) from exc
                # Short pauses: another process's write transaction lasts well under a millisecond (the CPU-heavy
                # work is done outside transactions), and this process's other writers queue behind this one.
                # (With the writer lock held, only a writer outside it can be here: a checkpoint, another tool.)
                await asyncio.sleep(pause * (0.5 + random.random()))
                pause = min(pause * 2, 0.002)
        except BaseException:  # no transaction (a failure, or cancelled while waiting): the turn goes on
            if lock is not None:
                lock.release()
            raise
        finally:
            raw.execute(f"PRAGMA busy_timeout={INLINE_BUSY_TIMEOUT_MS}")

    async def ping(self) -> None:
        if self._pg is not None:
            async with self._pg[1].acquire() as conn:
                await conn.fetchval("SELECT 1")
            return
        assert self._direct is not None
        _, pool = self._direct
        raw = pool.checkout()
        try:
            raw.execute("SELECT 1").fetchall()
        finally:
            pool.checkin(raw)

    async def close(self) -> None:
        if self._direct is not None:
            while self._background_tasks:  # the open group commits first
                await asyncio.gather(*self._background_tasks, return_exceptions=True)
            self._direct[1].close()
            await self._checkpointer.close()
            if self._writer_lock is not None:
                self._writer_lock.close()
        if self._pg is not None:
            pool, self._pg = self._pg[1], None
            try:
                await asyncio.wait_for(pool.close(), 10)
            except TimeoutError:
                pool.terminate()
        await self.engine.dispose()


#: How long a statement on the direct path may wait for a lock (in WAL mode only a reader during another
#: process's recovery or checkpoint ever does); BEGIN IMMEDIATE does not wait at all (the store retries).
INLINE_BUSY_TIMEOUT_MS = 1_000


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    message = str(exc).lower()
    return "locked" in message or "busy" in message


class _DirectTransaction:
    """``SqlStore.transaction`` on SQLite, as one async context manager (three nested generator-based ones
    cost a write transaction about as much as one of its statements).

    A reader has a connection of its own and a deferred BEGIN (in WAL mode readers never wait for writers),
    rolled back when the connection goes back to the pool. A writer takes the process's writer slot, joins
    the open write group (``_join_write_group``) under a savepoint of its own, gives the slot up when its
    operation is done (its statements undone alone when it raised: ``_undo_operation``), and then waits for
    the group's commit: its work is durable (or failed with the group's) when ``__aexit__`` returns. That
    wait is shielded: one member's cancellation (its client went away) must not cancel the others' outcome."""

    __slots__ = ("_group", "_raw", "_readonly", "_store")

    def __init__(self, store: SqlStore, readonly: bool) -> None:
        self._store = store
        self._readonly = readonly
        self._raw: sqlite3.Connection | None = None
        self._group: _WriteGroup | None = None

    async def __aenter__(self) -> SqlTransaction:
        store = self._store
        assert store._direct is not None
        cache, pool = store._direct
        if self._readonly:
            raw = self._raw = pool.checkout()
            try:
                raw.execute("BEGIN")
            except BaseException:
                pool.checkin(raw)
                raise
            return store._direct_tx(raw, cache)
        await store._take_writer_slot()
        try:
            group = self._group = await store._join_write_group()
        except BaseException:
            store._release_writer_slot()
            raise
        return store._direct_tx(group.raw, cache, group)

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        traceback: object) -> None:
        store = self._store
        if self._readonly:
            assert store._direct is not None and self._raw is not None
            store._direct[1].checkin(self._raw)  # rolls the read transaction back
            return
        group = self._group
        assert group is not None
        try:
            if exc_type is not None:
                store._undo_operation(group)
                return
            group.raw.execute("RELEASE operation")
            group.members += 1
        finally:
            store._release_writer_slot()
        await asyncio.shield(group.done)

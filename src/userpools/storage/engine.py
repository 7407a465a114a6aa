"""Database URLs, engines, migrations, and ``open_store``: the one way to get a ``Store``.

Accepted URLs (translated to the async drivers we ship)::

    sqlite:///relative/path.db        sqlite:////absolute/path.db       sqlite+aiosqlite:///…
    postgresql://user@host:5432/db    postgres://…                      postgresql+asyncpg://…

Query parameters pass through to the driver (e.g. ``?ssl=require`` for asyncpg).

SQLite files are put in WAL mode once (a property of the file; switching needs the file to itself, so
``_enable_wal`` retries), and every connection runs with ``foreign_keys=ON``, ``synchronous=NORMAL`` and a
busy timeout;
every transaction starts with ``BEGIN IMMEDIATE``, so writers queue on the database lock at the start
instead of failing with "database is locked" when a reader upgrades to a writer. PostgreSQL connections are
pooled asyncpg connections at READ COMMITTED.

Migrations (``migrate``) bring the schema to the newest revision in one transaction: on PostgreSQL under an
advisory lock, so any number of processes may start at once; on SQLite under ``BEGIN IMMEDIATE`` with foreign
keys switched off for that connection (SQLite's batch migrations copy and drop tables, and dropping a parent
table with foreign keys on would cascade-delete its children), checked with ``PRAGMA foreign_key_check``
before commit. A database already at the newest revision costs one query; a new, empty one gets the schema
module's tables directly (``create_current``: ``metadata.create_all``, the rows migrations seed, and
Alembic's version table stamped at the head), and only a database at an older revision imports Alembic and
replays the migrations it lacks (``storage.upgrade``): a server's start-up imports no Alembic.
``tests/contract/test_schema_creation_contract.py`` proves both ways make the same database.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import sqlalchemy
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import URL, Connection, Dialect, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from userpools.storage import schema
from userpools.storage.pg_direct import STATEMENT_CACHE_SIZE, init_connection
from userpools.storage.ports import Store
from userpools.storage.sql import INLINE_BUSY_TIMEOUT_MS, SQLITE_BEGIN_OPTION, SqlStore
from userpools.storage.sqlite_direct import WriterLock

MIGRATIONS = Path(__file__).parent / "migrations"

#: ``pg_advisory_xact_lock`` key held while migrating: "userpool" in ASCII.
MIGRATION_LOCK_KEY = int.from_bytes(b"userpool", "big")

SQLITE_BUSY_TIMEOUT_MS = 15_000
POSTGRES_POOL_SIZE = 10
POSTGRES_MAX_OVERFLOW = 20


def async_url(database_url: str) -> URL:
    """The SQLAlchemy URL, with the async driver, for a configured database URL.

    Raises ValueError for anything but a SQLite file or a PostgreSQL database.
    """
    try:
        url = make_url(database_url)
    except ArgumentError as e:
        raise ValueError(f"not a database URL: {_redacted(database_url)}") from e
    backend, _, driver = url.drivername.partition("+")
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "asyncpg"):
            raise ValueError(f"PostgreSQL URLs use the asyncpg driver, not {driver!r}")
        return url.set(drivername="postgresql+asyncpg")
    if backend == "sqlite":
        if driver not in ("", "aiosqlite", "pysqlite"):
            raise ValueError(f"SQLite URLs use the aiosqlite driver, not {driver!r}")
        database = url.database or ""
        if database in ("", ":memory:") or url.query.get("mode") == "memory" or ":memory:" in database:
            raise ValueError("an in-memory SQLite database is not supported: name a file (sqlite:///path.db)")
        if not url.query.get("uri"):
            # Absolute, so a later chdir cannot send new pooled connections to another file.
            database = os.path.abspath(database)
        return url.set(drivername="sqlite+aiosqlite", database=database)
    raise ValueError(f"unsupported database URL scheme {url.drivername!r}: use sqlite:/// or postgresql://")


def create_engine(database_url: str | URL, *, migrating: bool = False) -> AsyncEngine:
    """An engine configured for the store (``migrating``: unpooled, SQLite foreign keys off). Lower level than
    ``open_store``, which also puts a SQLite file in WAL mode."""
    url = database_url if isinstance(database_url, URL) else async_url(database_url)
    common: dict[str, Any] = {
        "json_serializer": _json_dumps,
        "json_deserializer": orjson.loads,
    }
    if migrating:
        common["poolclass"] = NullPool
    if url.get_backend_name() == "sqlite":
        _ensure_parent_folder(url)
        engine = create_async_engine(url, pool_reset_on_return=None, **common)
        _configure_sqlite(engine, foreign_keys=not migrating)
        return engine
    if not migrating:
        common.update(pool_size=POSTGRES_POOL_SIZE, max_overflow=POSTGRES_MAX_OVERFLOW)
    return create_async_engine(
        url,
        isolation_level="READ COMMITTED",
        connect_args={"server_settings": {"application_name": "userpools"}},
        **common,
    )


async def open_store(database_url: str, *, migrate: bool = True) -> Store:
    """Opens the store at ``database_url``, first bringing its schema to the newest revision unless
    ``migrate`` is False. Close it with ``await store.close()``."""
    url = async_url(database_url)
    if migrate:
        await migrate_async(database_url)
    elif url.get_backend_name() == "sqlite":
        await _enable_wal(url)
    engine = create_engine(url)
    if url.get_backend_name() != "sqlite":
        return SqlStore(engine, pg_direct=await postgresql_direct(engine))
    sync_url = url.set(drivername="sqlite+pysqlite")
    writer_lock = WriterLock.beside(sync_url.database or "", uri=bool(sync_url.query.get("uri")))
    return SqlStore(engine, serialize_transactions=True, direct=sqlite_direct(url), writer_lock=writer_lock)


async def postgresql_direct(engine: AsyncEngine) -> tuple[Dialect, asyncpg.Pool]:
    """What ``SqlStore`` needs to run its statements straight on asyncpg (``storage.pg_direct``): the engine's
    dialect, initialised (one connection tells it the server's version), and a pool of asyncpg connections
    configured as the engine's (JSON codecs with orjson, the application name), as large as its pool."""
    async with engine.connect():
        pass
    url = engine.url.set(drivername="postgresql")
    pool = await asyncpg.create_pool(
        url.render_as_string(hide_password=False),
        min_size=1,
        max_size=POSTGRES_POOL_SIZE + POSTGRES_MAX_OVERFLOW,
        init=init_connection,
        reset=_keep_session,
        statement_cache_size=STATEMENT_CACHE_SIZE,
        server_settings={"application_name": "userpools"},
    )
    return engine.dialect, pool


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """What a connection needs on its way back to the pool, besides the rollback of an open transaction that
    asyncpg always does: nothing. The store never changes a session's state (no SET, LISTEN, cursor or
    advisory lock), so asyncpg's default reset (``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL``) would be one more round trip after every transaction for nothing."""


def sqlite_direct(url: URL) -> tuple[Dialect, Callable[[], sqlite3.Connection]]:
    """What ``SqlStore`` needs to run its statements straight on ``sqlite3`` (``storage.sqlite_direct``):
    SQLAlchemy's pysqlite dialect, initialised against the file (it learns the SQLite version, and so
    whether RETURNING is there) and configured as the async engine (orjson for JSON), and a factory of
    connections with the store's pragmas."""
    sync_url = url.set(drivername="sqlite+pysqlite")
    engine = sqlalchemy.create_engine(
        sync_url, poolclass=NullPool, json_serializer=_json_dumps, json_deserializer=orjson.loads
    )
    try:
        engine.connect().close()  # initialises the dialect
    finally:
        engine.dispose()
    database = sync_url.database or ""
    uri = bool(sync_url.query.get("uri"))

    def connect() -> sqlite3.Connection:
        raw = sqlite3.connect(
            database, isolation_level=None, check_same_thread=False, uri=uri, cached_statements=512
        )
        for pragma in (
            f"PRAGMA busy_timeout={INLINE_BUSY_TIMEOUT_MS}",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA wal_autocheckpoint=0",  # sqlite_direct.Checkpointer does it, off the event loop
            "PRAGMA cache_size=-16384",
        ):
            raw.execute(pragma)
        return raw

    return engine.dialect, connect


def migrate(database_url: str) -> None:
    """Runs ``alembic upgrade head`` on ``database_url``; idempotent, and safe when several processes do it
    at once. For the command line; async code should ``await migrate_async(…)`` (called from inside a
    running event loop, this blocks that loop while it runs the upgrade on a helper thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(migrate_async(database_url))
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(asyncio.run, migrate_async(database_url)).result()


async def migrate_async(database_url: str) -> None:
    """``migrate`` for async callers."""
    await run_in_migration_transaction(database_url, bring_to_head)


def bring_to_head(connection: Connection) -> None:
    """Inside the migration transaction: nothing when the database is at the newest revision; the current
    schema created directly when it is empty; else Alembic replays the migrations it lacks (imported only
    then: ``storage.upgrade``)."""
    head = head_revision()
    tables = inspect(connection).get_table_names()
    if schema.VERSION_TABLE in tables:
        current = connection.execute(text(f"SELECT version_num FROM {schema.VERSION_TABLE}")).scalars().all()
        if current == [head]:
            return
    elif not tables:
        create_current(connection, head)
        return
    from userpools.storage.upgrade import upgrade_to_head  # Alembic: only for a database that needs it

    upgrade_to_head(connection)


def create_current(connection: Connection, revision: str) -> None:
    """An empty database made what replaying every migration up to ``revision`` (the head) makes: the schema
    module's tables, the rows migrations seed, and Alembic's version table at ``revision``."""
    schema.metadata.create_all(connection)
    for table, rows in schema.SEED_ROWS:
        connection.execute(table.insert(), rows)
    schema.version_metadata.create_all(connection)
    connection.execute(schema.alembic_version.insert(), [{"version_num": revision}])


_REVISION = re.compile(r'^revision\b[^=]*=\s*["\'](\w+)["\']', re.MULTILINE)
_DOWN_REVISION = re.compile(r'^down_revision\b[^=]*=\s*(?:["\'](\w+)["\']|None)', re.MULTILINE)


def head_revision() -> str:
    """The newest migration's revision, read from the files of ``migrations/versions`` as Alembic would find
    it (the one revision no other revises) without importing Alembic."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text()
        revision = _REVISION.search(source)
        if revision is None:
            continue
        revisions.add(revision.group(1))
        down = _DOWN_REVISION.search(source)
        if down is None:
            raise RuntimeError(f"{path.name}: no down_revision this reader understands")
        if down.group(1):
            revised.add(down.group(1))
    heads = revisions - revised
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


async def run_in_migration_transaction(database_url: str, fn: Callable[[Connection], None]) -> None:
    """Calls ``fn`` with a (sync) connection inside the one migration transaction: the advisory lock is held
    on PostgreSQL; on SQLite the write lock is held and foreign keys are off, and checked before commit."""
    url = async_url(database_url)
    if url.get_backend_name() == "sqlite":
        await _enable_wal(url)
    engine = create_engine(url, migrating=True)
    try:
        async with engine.begin() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if not sqlite:
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            await conn.run_sync(fn)
            if sqlite:
                violations = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if violations:
                    raise RuntimeError(f"migration left rows with dangling foreign keys: {violations[:5]}")
    finally:
        await engine.dispose()


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _ensure_parent_folder(url: URL) -> None:
    database = url.database or ""
    if url.query.get("uri"):
        database = database.removeprefix("file:").split("?", 1)[0]
    if database:
        Path(database).parent.mkdir(parents=True, exist_ok=True)


async def _enable_wal(url: URL) -> None:
    _ensure_parent_folder(url)
    await asyncio.to_thread(_enable_wal_blocking, url.database or "", bool(url.query.get("uri")))


def _enable_wal_blocking(database: str, uri: bool) -> None:
    """Puts the SQLite file in WAL mode (persistent: once per file). Switching needs the file to itself, and
    SQLite answers "database is locked" at once rather than wait, so this retries until the busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        conn = sqlite3.connect(database, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None, uri=uri)
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            try:
                if conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal":
                    return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) and "busy" not in str(e):
                    raise
            if time.monotonic() > deadline:
                raise sqlite3.OperationalError(f"could not switch {database} to WAL mode: database is locked")
        finally:
            conn.close()
        time.sleep(0.01)


def _configure_sqlite(engine: AsyncEngine, *, foreign_keys: bool) -> None:
    # journal_mode=WAL is a property of the file, set once by ``_enable_wal``.
    pragmas = (
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "PRAGMA synchronous=NORMAL",
        f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}",
    )

    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver must not issue BEGIN itself (it would be a deferred one, and skipped for DDL);
        # the "begin" hook below does.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, _record: Any, state: Any) -> None:
        # Instead of the pool's unconditional rollback on return (one more trip to the connection's
        # thread after every commit): roll back only what is still open.
        if not state.asyncio_safe or state.terminate_only:
            return
        try:
            still_open = dbapi_connection.driver_connection.in_transaction
        except Exception:  # noqa: BLE001 - a closed connection; let rollback deal with it
            still_open = True
        if still_open:
            dbapi_connection.rollback()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "BEGIN IMMEDIATE"))


def _redacted(database_url: str) -> str:
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable>"

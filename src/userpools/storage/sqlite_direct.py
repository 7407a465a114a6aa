"""SQLite without the execution machinery: SQLAlchemy compiles, sqlite3 runs.

The store's statements are built once at import. On SQLite (a local file, statements of microseconds) the
cost of a request's database work was mostly SQLAlchemy's per-execution work around each statement
(execution context, events, result set-up, connection pool, transaction objects): some 30–40 µs per
statement and as much again per transaction. Here each statement is compiled by SQLAlchemy once per set of
parameter names, with the store's dialect (so the SQL text, the bind processors and the result processors
are exactly those SQLAlchemy would use), and then executed on the ``sqlite3`` connection directly.

``DirectConnection.execute`` has the shape the ports call (``await conn.execute(statement, params)``, a
dict or, for executemany, a list of dicts) and answers a ``DirectResult`` with the ``Result`` methods the
ports use. Driver errors come out as SQLAlchemy's (``IntegrityError``…), as they would through an engine.

``ConnectionPool`` keeps the open ``sqlite3`` connections; a checkout never waits (a transaction may stay
open across awaits on the event loop's thread, and waiting there would stall everything).
"""

from __future__ import annotations

import asyncio
import contextlib
import operator
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.sqltypes import _Binary

Processor = Callable[[Any], Any]
StatementListener = Callable[[str, Any], None]

_MISSING = object()


class _Prepared(NamedTuple):
    sql: str
    #: a SELECT, or a statement with RETURNING
    returns_rows: bool
    #: per positional parameter: (name, bind processor or None, value when the caller gives none)
    binds: tuple[tuple[str, Processor | None, Any], ...]
    #: (position, result processor) of the result columns that have one; None when none has
    results: tuple[tuple[int, Processor], ...] | None
    #: the positional parameters straight from the caller's values, when the caller gives every one (no
    #: default): ``_positional``'s work without its loop, then ``convert``
    direct: Callable[[dict[str, Any]], tuple[Any, ...]] | None = None
    #: with ``direct``: (position, bind processor) of the parameters that have one
    convert: tuple[tuple[int, Processor], ...] = ()


class DirectResult:
    """The part of SQLAlchemy's ``Result`` the ports use, over rows already fetched (plain tuples)."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)

    def first(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def all(self) -> list[tuple[Any, ...]]:
        return list(self._rows)

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        if len(self._rows) != 1:
            raise (sa_exc.NoResultFound if not self._rows else sa_exc.MultipleResultsFound)(
                f"expected one row, got {len(self._rows)}"
            )
        return self._rows[0][0]

    def scalar_one_or_none(self) -> Any:
        if len(self._rows) > 1:
            raise sa_exc.MultipleResultsFound(f"expected at most one row, got {len(self._rows)}")
        return self._rows[0][0] if self._rows else None


class StatementCache:
    """Each statement compiled once per set of parameter names (an ``insert(table)`` compiles to the columns
    it is given, so the names are part of the key). Statements are the store's module-level constants; the
    cache holds them, so an ``id`` is never reused while its entry lives."""

    def __init__(self, dialect: Dialect) -> None:
        if not dialect.positional:
            raise ValueError(f"the direct path needs a positional paramstyle, not {dialect.paramstyle}")
        self._dialect = dialect
        self._entries: dict[tuple[int, frozenset[str]], tuple[ClauseElement, _Prepared]] = {}

    def prepared(self, statement: ClauseElement, names: frozenset[str]) -> _Prepared:
        key = (id(statement), names)
        entry = self._entries.get(key)
        if entry is None:
            entry = (statement, self._compile(statement, names))
            self._entries[key] = entry
        return entry[1]

    def bound(
        self, statement: ClauseElement, values: dict[str, Any], listeners: Sequence[StatementListener]
    ) -> tuple[_Prepared, tuple[Any, ...]]:
        """The statement prepared for ``values`` and its positional parameters, the listeners told. (Every
        statement of the store comes through here: ``prepared`` and ``_positional``'s common case in line.)"""
        names = frozenset(values)
        entry = self._entries.get((id(statement), names))
        prepared = entry[1] if entry is not None else self.prepared(statement, names)
        direct = prepared.direct
        row = direct(values) if direct is not None and not prepared.convert else _positional(prepared, values)
        for listener in listeners:
            listener(prepared.sql, row)
        return prepared, row

    def bound_many(
        self, statement: ClauseElement, parameters: list[dict[str, Any]], listeners: Sequence[StatementListener]
    ) -> tuple[_Prepared, list[tuple[Any, ...]]]:
        """``bound`` for an executemany: one statement (the first dict's names), a row per dict."""
        prepared = self.prepared(statement, frozenset(parameters[0]))
        rows = [_positional(prepared, values) for values in parameters]
        for listener in listeners:
            listener(prepared.sql, rows)
        return prepared, rows

    def _compile(self, statement: ClauseElement, names: frozenset[str]) -> _Prepared:
        compiled = statement.compile(dialect=self._dialect, column_keys=sorted(names))
        processors = compiled._bind_processors
        sqlite = self._dialect.name == "sqlite"
        binds = []
        for name in compiled.positiontup or ():
            param = compiled.binds[name]
            default = _MISSING if name in names or param.required else param.effective_value
            processor = processors.get(name)
            if sqlite and isinstance(param.type, _Binary):
                # LargeBinary's processor wraps a value in sqlite3.Binary (a memoryview), which sqlite3 binds
                # as the BLOB it binds bytes as: the store's values are bytes (or None, which it passes)
                processor = None
            binds.append((name, processor, default))
        results: tuple[tuple[int, Processor], ...] | None = None
        columns = compiled._result_columns
        if columns:
            found = tuple(
                (i, processor) for i, column in enumerate(columns)
                if (processor := column.type._cached_result_processor(self._dialect, None)) is not None
            )
            results = found or None
        direct = None
        convert: tuple[tuple[int, Processor], ...] = ()
        if all(name in names for name, _, _ in binds):
            direct = _getter(tuple(name for name, _, _ in binds))
            convert = tuple((i, processor) for i, (_, processor, _) in enumerate(binds) if processor is not None)
        return _Prepared(str(compiled), bool(columns), tuple(binds), results, direct, convert)


class DirectConnection:
    """One transaction's statements on a ``sqlite3`` connection (see the module's docstring)."""

    __slots__ = ("_cache", "_listeners", "_raw")

    def __init__(
        self, raw: sqlite3.Connection, cache: StatementCache, listeners: Sequence[StatementListener] = ()
    ) -> None:
        self._raw = raw
        self._cache = cache
        self._listeners = listeners

    async def execute(self, statement: ClauseElement, parameters: Any = None) -> DirectResult:
        if isinstance(parameters, list):
            return self._executemany(statement, parameters)
        prepared, row = self._cache.bound(statement, parameters or {}, self._listeners)
        try:
            cursor = self._raw.execute(prepared.sql, row)
            rows = cursor.fetchall() if cursor.description is not None else []
        except sqlite3.Error as error:
            raise _wrapped(error, prepared.sql, row) from error
        if prepared.results is not None and rows:
            rows = _processed(rows, prepared.results)
        return DirectResult(rows, cursor.rowcount)

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A part of the transaction undone alone when it raises (SQLite's savepoints nest: a group-commit
        member's own ``operation`` savepoint holds this one)."""
        self._raw.execute("SAVEPOINT part")
        try:
            yield
        except BaseException:
            self._raw.execute("ROLLBACK TO part")
            self._raw.execute("RELEASE part")
            raise
        self._raw.execute("RELEASE part")

    def _executemany(self, statement: ClauseElement, parameters: list[dict[str, Any]]) -> DirectResult:
        if not parameters:
            return DirectResult([], 0)
        prepared, rows = self._cache.bound_many(statement, parameters, self._listeners)
        try:
            cursor = self._raw.executemany(prepared.sql, rows)
        except sqlite3.Error as error:
            raise _wrapped(error, prepared.sql, rows) from error
        return DirectResult([], cursor.rowcount)


def _getter(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    if len(names) > 1:
        return operator.itemgetter(*names)  # type: ignore[return-value]
    if names:
        (name,) = names
        return lambda values: (values[name],)
    return lambda values: ()


def _positional(prepared: _Prepared, values: dict[str, Any]) -> tuple[Any, ...]:
    if prepared.direct is not None:
        row = prepared.direct(values)
        if not prepared.convert:
            return row
        converted = list(row)
        for i, processor in prepared.convert:
            converted[i] = processor(converted[i])
        return tuple(converted)
    out = []
    for name, processor, default in prepared.binds:
        value = values.get(name, default)
        if value is _MISSING:
            raise sa_exc.StatementError(f"A value is required for bind parameter {name!r}", prepared.sql, values, None)
        out.append(value if processor is None else processor(value))
    return tuple(out)


def _processed(rows: list[tuple[Any, ...]], processors: tuple[tuple[int, Processor], ...]) -> list[tuple[Any, ...]]:
    out = []
    for row in rows:
        values = list(row)
        for i, processor in processors:
            values[i] = processor(values[i])
        out.append(tuple(values))
    return out


def _wrapped(error: sqlite3.Error, sql: str, params: Any) -> sa_exc.DBAPIError:
    kind = sa_exc.IntegrityError if isinstance(error, sqlite3.IntegrityError) else (
        sa_exc.OperationalError if isinstance(error, sqlite3.OperationalError) else sa_exc.DBAPIError
    )
    return kind(sql, params, error)


class ConnectionPool:
    """Open ``sqlite3`` connections to one file, configured by ``connect`` (pragmas). ``checkout`` never
    waits: it opens another connection when none is idle; at most ``keep`` idle ones are kept."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], keep: int = 8) -> None:
        self._connect = connect
        self._idle: list[sqlite3.Connection] = []
        self._keep = keep
        self._closed = False

    def checkout(self) -> sqlite3.Connection:
        if self._closed:
            raise RuntimeError("the store is closed")
        return self._idle.pop() if self._idle else self._connect()

    def checkin(self, raw: sqlite3.Connection) -> None:
        try:
            if raw.in_transaction:
                raw.rollback()
        except sqlite3.Error:
            raw.close()
            return
        if self._closed or len(self._idle) >= self._keep:
            raw.close()
        else:
            self._idle.append(raw)

    def close(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()


class Checkpointer:
    """Copies the write-ahead log back into the database file on a worker thread, and keeps the log short.

    SQLite checkpoints by itself every 1,000 pages of log, inside the COMMIT that crosses the mark, and a
    checkpoint ends with fsync: on the direct path that COMMIT runs on the event loop's thread, which then
    waits for the disk (ForgotPassword at concurrency 32: the server was busy 0.79 of the time, 1,108/s; with
    the checkpoints moved here, 1.00 and 1,388/s). So the store's connections set ``wal_autocheckpoint=0`` and
    call ``committed()`` after each write; every ``every`` operations one PASSIVE checkpoint (the kind SQLite's
    own is: it never waits for readers or writers) runs on a connection of its own in the loop's default
    executor. ``close()`` waits for it and truncates the log. A checkpoint copies each page changed since the
    last one once, however often it changed, so the rarer they are the less they copy: every 200 operations
    took 7% of ForgotPassword's server CPU; every 1,000, SignUp 1,456 → 1,630/s.

    A PASSIVE checkpoint never makes the log shorter: SQLite starts the log over only when a writer begins
    after a checkpoint that copied *everything*, and under a steady load another commit always comes between
    the two (ForgotPassword at 2,800/s: 220,000 frames, 900 MB of log, in 40 s). So once the log holds
    ``restart_frames`` frames, ``wants_restart`` is set, and the store calls ``restart()`` at a moment when
    none of its writers is in a transaction: a RESTART checkpoint (it also waits for other processes' writers
    and readers, up to ``restart_wait_ms``) after which the next writer starts the log from its beginning.
    The store's writers wait meanwhile: 15-30 ms on this VM, whatever is left to copy, for the two fsyncs of
    a checkpoint. Every 16,384 frames that pause made ForgotPassword's p99 at 1,000,000 users 1.3-1.8× its
    p99 at 1,000; every 65,536 (a log of at most ~270 MB, restarted every few seconds at full load) it is
    within 1.05×.
    """

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        every: int = 1000,
        restart_frames: int = 65536,
        restart_wait_ms: int = 500,
    ) -> None:
        self._connect = connect
        self._every = every
        self._restart_frames = restart_frames
        self._restart_wait_ms = restart_wait_ms
        self._commits = 0
        self._running: Any = None  # the executor's future while a checkpoint runs
        self._raw: sqlite3.Connection | None = None
        #: (busy, log frames, checkpointed frames) of the last checkpoint, and how many ran
        self.last: tuple[int, int, int] | None = None
        self.runs = 0
        #: RESTART checkpoints that ended with the log free to start over
        self.restarts = 0
        #: the log is long: the store should call ``restart()`` between two of its write transactions
        self.wants_restart = False
        self._closed = False

    def committed(self, operations: int = 1) -> None:
        """After a commit holding ``operations`` operations (a group commit holds several)."""
        self._commits += operations
        if self._commits < self._every or self._running is not None or self._closed:
            return
        self._commits = 0
        loop = asyncio.get_running_loop()
        self._running = loop.run_in_executor(None, self._checkpoint, "PASSIVE")
        self._running.add_done_callback(self._done)

    def _done(self, future: Any) -> None:
        self._running = None
        if not future.cancelled():
            future.exception()  # a failed checkpoint is retried by the next one; nothing is lost

    async def restart(self) -> None:
        """A RESTART checkpoint on the worker thread; call it while this process has no write transaction open
        (the checkpoint takes the write lock, and waits for the one of another process)."""
        if self._closed:
            return
        while (running := self._running) is not None:  # a PASSIVE one first
            with contextlib.suppress(Exception):  # see _done
                await running
            if self._running is running:  # done, and its _done callback not run yet: awaiting did not yield
                self._running = None
        self._running = asyncio.get_running_loop().run_in_executor(None, self._checkpoint, "RESTART")
        self._running.add_done_callback(self._done)
        with contextlib.suppress(Exception):  # busy (readers elsewhere) or failed: the next long log tries again
            await self._running

    def _checkpoint(self, mode: str) -> None:
        if self._raw is None:
            self._raw = self._connect()
            self._raw.execute("PRAGMA busy_timeout=0")  # another process checkpointing: skip this round
        waits = mode == "RESTART"
        if waits:
            self._raw.execute(f"PRAGMA busy_timeout={self._restart_wait_ms}")
        try:
            busy, log, done = self._raw.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        finally:
            if waits:
                self._raw.execute("PRAGMA busy_timeout=0")
        self.last = (int(busy), int(log), int(done))
        self.runs += 1
        if waits:  # done, or busy: then the next PASSIVE checkpoint asks again if the log is still long
            self.restarts += not busy
            self.wants_restart = False
        elif log >= self._restart_frames:
            self.wants_restart = True

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._running is not None:
            with contextlib.suppress(Exception):  # see _done
                await self._running
        try:
            self._checkpoint("TRUNCATE")
        except sqlite3.Error:
            pass  # readers elsewhere: the log stays, and is checkpointed next time
        finally:
            if self._raw is not None:
                self._raw.close()
                self._raw = None


class WriterLock:
    """The turn of this process among the processes writing one database file (``serve --workers``): an
    ``flock(2)`` on a file beside it, taken before ``BEGIN IMMEDIATE`` and released after the commit.

    SQLite's own write lock cannot be waited for, only retried: its busy handler sleeps and polls, and so did
    the store's ``BEGIN IMMEDIATE`` loop. Between two processes that both write all the time, the one that had
    just committed began its next transaction before the other's next try came round, so the other mostly
    waited: two workers gave USER_PASSWORD_AUTH sign-ins 1.29 cores of the two (1,115/s), one worker 1.00. A
    process waiting on this lock is woken the moment the holder lets go, and the holder's next transaction
    queues behind it: the processes take turns.

    It orders the processes; it does not replace SQLite's lock, which ``BEGIN IMMEDIATE`` still takes (and
    retries should a writer outside this lock hold it: a checkpoint, another tool), so whatever befalls this
    lock, two transactions never write at once. Uncontended, it costs two system calls per write transaction
    (a group commit's). Contended, the wait is on
    a thread of the loop's default executor, so the event loop goes on with everything else; at most one
    such wait per process at a time (the store's writers queue on its asyncio lock before this one). A wait
    that times out or is cancelled leaves its thread waiting; the lock it then gets is let go at once."""

    def __init__(self, path: str) -> None:
        import fcntl

        self._flock = fcntl.flock
        self._exclusive, self._unlock, self._now = fcntl.LOCK_EX, fcntl.LOCK_UN, fcntl.LOCK_EX | fcntl.LOCK_NB
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self.held = False
        #: waits that found another process holding the lock (tests and diagnostics)
        self.waits = 0

    @classmethod
    def beside(cls, database: str, *, uri: bool) -> WriterLock | None:
        """The lock of the database file at ``database`` (``<file>-writer``), or None where there is no file of
        its own to lock beside (an in-memory database, a URI) or no ``flock`` (not POSIX)."""
        if uri or not database or database == ":memory:" or os.name != "posix":
            return None
        return cls(database + "-writer")

    async def acquire(self, timeout: float) -> None:
        try:
            self._flock(self._fd, self._now)
        except BlockingIOError:
            self.waits += 1
            waiting = asyncio.get_running_loop().run_in_executor(None, self._flock, self._fd, self._exclusive)
            try:
                async with asyncio.timeout(timeout):
                    await asyncio.shield(waiting)
            except BaseException:
                waiting.add_done_callback(self._let_go_if_got)
                raise
        self.held = True

    def _let_go_if_got(self, waiting: asyncio.Future[None]) -> None:
        if not waiting.cancelled() and waiting.exception() is None:
            self._flock(self._fd, self._unlock)

    def release(self) -> None:
        if self.held:
            self.held = False
            self._flock(self._fd, self._unlock)

    def close(self) -> None:
        if self._fd >= 0:
            self.release()
            os.close(self._fd)
            self._fd = -1

"""PostgreSQL without the execution machinery: SQLAlchemy compiles, asyncpg runs.

The PostgreSQL counterpart of ``storage.sqlite_direct``. Through SQLAlchemy's async engine each statement
went through the asyncpg adaption layer (a DBAPI cursor emulated over asyncpg, a greenlet switch per call)
and the per-execution machinery, which cost more server CPU than the database round trip itself: GetUser
took 1.65 ms of server CPU on PostgreSQL against 0.46 ms on SQLite. Here each statement is compiled once by
SQLAlchemy's asyncpg dialect (the SQL with its ``$n`` parameters and casts, the bind and result processors
SQLAlchemy would use) and run on a pooled asyncpg connection, whose prepared-statement cache then skips
the parse and plan on the server too. JSON and JSONB go through the codecs the asyncpg dialect installs
(orjson here), so documents come back as SQLAlchemy would give them.

The transaction's ``execute`` answers a ``DirectResult`` (see ``sqlite_direct``); asyncpg's errors come out
as SQLAlchemy's (``IntegrityError`` for a constraint), as they would through the engine.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import orjson
from sqlalchemy import exc as sa_exc
from sqlalchemy.sql import ClauseElement

from userpools.storage.sqlite_direct import (
    DirectResult,
    StatementCache,
    StatementListener,
    _processed,
)

#: asyncpg's prepared statements kept per connection (the store has about a hundred distinct statements).
STATEMENT_CACHE_SIZE = 512


async def init_connection(conn: asyncpg.Connection) -> None:
    """The codecs of SQLAlchemy's asyncpg dialect, with orjson: JSON/JSONB travel as text in binary format."""
    await conn.set_type_codec(
        "json", encoder=str.encode, decoder=orjson.loads, schema="pg_catalog", format="binary"
    )
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda text: b"\x01" + text.encode(),
        decoder=lambda data: orjson.loads(data[1:]),
        schema="pg_catalog",
        format="binary",
    )


class PgDirectConnection:
    """One transaction's statements on an asyncpg connection."""

    __slots__ = ("_cache", "_conn", "_listeners")

    def __init__(
        self, conn: asyncpg.Connection, cache: StatementCache, listeners: Sequence[StatementListener] = ()
    ) -> None:
        self._conn = conn
        self._cache = cache
        self._listeners = listeners

    async def execute(self, statement: ClauseElement, parameters: Any = None) -> DirectResult:
        if isinstance(parameters, list):
            return await self._executemany(statement, parameters)
        prepared, row = self._cache.bound(statement, parameters or {}, self._listeners)
        try:
            if prepared.returns_rows:
                records = await self._conn.fetch(prepared.sql, *row)
                rows: list[Any] = list(records)
                rowcount = len(rows)
            else:
                rows, rowcount = [], _rowcount(await self._conn.execute(prepared.sql, *row))
        except asyncpg.PostgresError as error:
            raise _wrapped(error, prepared.sql, row) from error
        if prepared.results is not None and rows:
            rows = _processed(rows, prepared.results)
        return DirectResult(rows, rowcount)

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A part of the transaction undone alone when it raises (asyncpg opens a SAVEPOINT for a transaction
        started inside another)."""
        async with self._conn.transaction():
            yield

    async def _executemany(self, statement: ClauseElement, parameters: list[dict[str, Any]]) -> DirectResult:
        if not parameters:
            return DirectResult([], 0)
        prepared, rows = self._cache.bound_many(statement, parameters, self._listeners)
        try:
            await self._conn.executemany(prepared.sql, rows)
        except asyncpg.PostgresError as error:
            raise _wrapped(error, prepared.sql, rows) from error
        return DirectResult([], len(rows))


def _rowcount(status: str) -> int:
    """The row count of a command tag: ``INSERT 0 1``, ``UPDATE 3``, ``DELETE 0``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


def _wrapped(error: asyncpg.PostgresError, sql: str, params: Any) -> sa_exc.DBAPIError:
    kind = (
        sa_exc.IntegrityError
        if isinstance(error, asyncpg.IntegrityConstraintViolationError)
        else sa_exc.DBAPIError
    )
    return kind(sql, params, error)

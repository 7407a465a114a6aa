"""The auth-event history and the shared counters on SQLAlchemy Core.

The same rules as ``storage.sql``: statements built once, inserts are ``INSERT … ON CONFLICT DO NOTHING``
that report ``Conflict`` when no row went in (so the transaction stays usable).

Auth events are listed newest first by keyset: ``(created_at, id) < (:created_at, :id) ORDER BY created_at
DESC, id DESC``, one backward range of the index ``(pool_id, username_key, created_at, id)`` on both engines
(both compare row values and read the index in reverse instead of sorting).

A counter hit is one statement, ``INSERT … ON CONFLICT (key, window_start) DO UPDATE SET count =
counters.count + 1 RETURNING count``: PostgreSQL inserts or, when a concurrent transaction inserted first,
waits for it and updates (at READ COMMITTED, never a unique violation). SQLite runs the same upsert without
RETURNING and then reads the count, both under the write lock every transaction takes with ``BEGIN
IMMEDIATE`` (SQLite's RETURNING doubles the cost of the upsert: about 26,000 instructions more than the
read). Either way no hit is lost and every hit of a window sees a different count, however many processes
share the database.

A hit belongs to the transaction it runs in: a rollback takes it back, and on PostgreSQL the counter's row
stays locked until the transaction ends (concurrent hits of the same key wait for it). A limit that must
count failed attempts hits in a short transaction of its own, before the operation's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, case, delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert

from userpools.domain.records import AuthEventRecord
from userpools.storage.schema import auth_events, counters
from userpools.storage.sql_users import dialect_insert, from_micros, insert_or_conflict, to_micros

# --- statements, built once ---------------------------------------------------------------------------

_E = auth_events.c
_EVENT_COLUMNS = (
    _E.id,
    _E.pool_id,
    _E.username_key,
    _E.event_type,
    _E.created_at,
    _E.response,
    _E.challenge_responses,
    _E.context,
    _E.feedback,
)
_THE_USERS_EVENTS = (_E.pool_id == bindparam("b_pool_id")) & (_E.username_key == bindparam("b_username_key"))
_LIST_EVENTS = (
    select(*_EVENT_COLUMNS)
    .where(_THE_USERS_EVENTS)
    .order_by(_E.created_at.desc(), _E.id.desc())
    .limit(bindparam("b_limit"))
)
_LIST_EVENTS_BEFORE = _LIST_EVENTS.where(
    tuple_(_E.created_at, _E.id)
    < tuple_(bindparam("b_created_at", type_=_E.created_at.type), bindparam("b_id", type_=_E.id.type))
)
_SET_FEEDBACK = (
    update(auth_events)
    .where(_THE_USERS_EVENTS, _E.id == bindparam("b_id"))
    .values(feedback=bindparam("feedback"))
)
_SET_OUTCOME = (
    update(auth_events)
    .where(_THE_USERS_EVENTS, _E.id == bindparam("b_id"))
    .values(response=bindparam("response"), challenge_responses=bindparam("challenge_responses"))
)

# ``key`` and ``count`` by name: as attributes they could be taken for the collection's own.
_KEY, _WINDOW_START, _COUNT, _EXPIRES_AT = (
    counters.c["key"],
    counters.c["window_start"],
    counters.c["count"],
    counters.c["expires_at"],
)
_THE_WINDOW = (_KEY == bindparam("b_key")) & (_WINDOW_START == bindparam("b_window_start"))
_PEEK = select(_COUNT).where(_THE_WINDOW)
_PEEK_TWO = select(_KEY, _COUNT).where(
    _KEY.in_([bindparam("b_key"), bindparam("b_other")]), _WINDOW_START == bindparam("b_window_start")
)
_RESET = delete(counters).where(_KEY == bindparam("b_key"))
_PURGE = delete(counters).where(_EXPIRES_AT <= bindparam("b_now"))


class EventStatements:
    """The dialect's insert statements for these tables."""

    def __init__(self, dialect_name: str) -> None:
        dialect = dialect_insert(dialect_name)
        self.event: Insert = dialect(auth_events).on_conflict_do_nothing(index_elements=[_E.id])
        hit = dialect(counters).values(
            {
                _KEY: bindparam("b_key"),
                _WINDOW_START: bindparam("b_window_start"),
                _COUNT: bindparam("b_amount"),
                _EXPIRES_AT: bindparam("b_expires_at"),
            }
        )
        upsert = hit.on_conflict_do_update(
            index_elements=[_KEY, _WINDOW_START],
            set_={
                _COUNT: _COUNT + hit.excluded[_COUNT.name],
                # The later expiry wins, so purge never drops a window a caller still counts on.
                _EXPIRES_AT: case(
                    (hit.excluded["expires_at"] > _EXPIRES_AT, hit.excluded["expires_at"]),
                    else_=_EXPIRES_AT,
                ),
            },
        )
        #: SQLite: the upsert, then the count read by ``_PEEK`` (see the module's docstring)
        self.counted_after = dialect_name == "sqlite"
        self.hit: Insert = upsert if self.counted_after else upsert.returning(_COUNT)
        self.put: Insert = hit.on_conflict_do_update(
            index_elements=[_KEY, _WINDOW_START],
            set_={_COUNT: hit.excluded[_COUNT.name], _EXPIRES_AT: hit.excluded["expires_at"]},
        )


# --- row mapping -------------------------------------------------------------------------------------


def _event(row: Row[Any]) -> AuthEventRecord:
    return AuthEventRecord(
        id=row[0],
        pool_id=row[1],
        username_key=row[2],
        event_type=row[3],
        created_at=from_micros(row[4]),
        response=row[5],
        challenge_responses=row[6],
        context=row[7],
        feedback=row[8],
    )


# --- ports -------------------------------------------------------------------------------------------


class SqlAuthEvents:
    __slots__ = ("_conn", "_statements")

    def __init__(self, conn: AsyncConnection, statements: EventStatements) -> None:
        self._conn = conn
        self._statements = statements

    async def add(self, event: AuthEventRecord) -> None:
        values = {
            "id": event.id,
            "pool_id": event.pool_id,
            "username_key": event.username_key,
            "event_type": event.event_type,
            "created_at": to_micros(event.created_at),
            "response": event.response,
            "challenge_responses": event.challenge_responses,
            "context": event.context,
            "feedback": event.feedback,
        }
        await insert_or_conflict(self._conn, self._statements.event, values, f"auth event {event.id}")

    async def list(
        self, pool_id: str, username_key: str, *, limit: int, before: tuple[datetime, str] | None = None
    ) -> Sequence[AuthEventRecord]:
        params: dict[str, Any] = {"b_pool_id": pool_id, "b_username_key": username_key, "b_limit": limit}
        if before is None:
            result = await self._conn.execute(_LIST_EVENTS, params)
        else:
            params["b_created_at"], params["b_id"] = to_micros(before[0]), before[1]
            result = await self._conn.execute(_LIST_EVENTS_BEFORE, params)
        return [_event(row) for row in result]

    async def set_feedback(
        self, pool_id: str, username_key: str, event_id: str, feedback: dict[str, Any]
    ) -> bool:
        params = {
            "b_pool_id": pool_id,
            "b_username_key": username_key,
            "b_id": event_id,
            "feedback": feedback,
        }
        return (await self._conn.execute(_SET_FEEDBACK, params)).rowcount > 0

    async def set_outcome(self, pool_id: str, username_key: str, event_id: str, response: str,
                          challenge_responses: list[dict[str, str]]) -> bool:
        params = {
            "b_pool_id": pool_id,
            "b_username_key": username_key,
            "b_id": event_id,
            "response": response,
            "challenge_responses": challenge_responses,
        }
        return (await self._conn.execute(_SET_OUTCOME, params)).rowcount > 0


class SqlCounters:
    __slots__ = ("_conn", "_statements")

    def __init__(self, conn: AsyncConnection, statements: EventStatements) -> None:
        self._conn = conn
        self._statements = statements

    async def hit(self, key: str, window_start: datetime, *, expires_at: datetime, amount: int = 1) -> int:
        start = to_micros(window_start)
        params = {"b_key": key, "b_window_start": start, "b_expires_at": to_micros(expires_at), "b_amount": amount}
        result = await self._conn.execute(self._statements.hit, params)
        if self._statements.counted_after:
            result = await self._conn.execute(_PEEK, {"b_key": key, "b_window_start": start})
        return int(result.scalar_one())

    async def put(self, key: str, window_start: datetime, value: int, *, expires_at: datetime) -> None:
        params = {
            "b_key": key,
            "b_window_start": to_micros(window_start),
            "b_expires_at": to_micros(expires_at),
            "b_amount": value,
        }
        await self._conn.execute(self._statements.put, params)

    async def peek(self, key: str, window_start: datetime) -> int:
        params = {"b_key": key, "b_window_start": to_micros(window_start)}
        count: int | None = (await self._conn.execute(_PEEK, params)).scalar_one_or_none()
        return 0 if count is None else int(count)

    async def peek_two(self, key: str, other: str, window_start: datetime) -> tuple[int, int]:
        params = {"b_key": key, "b_other": other, "b_window_start": to_micros(window_start)}
        found = dict((await self._conn.execute(_PEEK_TWO, params)).all())
        return int(found.get(key, 0)), int(found.get(other, 0))

    async def reset(self, key: str) -> None:
        await self._conn.execute(_RESET, {"b_key": key})

    async def purge(self, now: datetime) -> int:
        return int((await self._conn.execute(_PURGE, {"b_now": to_micros(now)})).rowcount)

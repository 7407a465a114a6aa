"""The user ports on SQLAlchemy Core: users (with their aliases and filter index), codes, auth sessions.

The same rules as ``storage.sql``: each method runs statements built once, inserts are ``INSERT … ON
CONFLICT DO NOTHING`` and report ``Conflict`` when no row went in (so the transaction stays usable).

This module also holds the row conversions ``storage.sql`` shares (``to_micros``, ``from_micros``, …):
``sql.py`` assembles the transaction from the ports here, so the import runs one way only, sql → sql_users.

ListUsers filters go through ``user_index``: one row per user and filterable name, ``(pool_id, name, value,
username_key)`` indexed. An exact filter reads one range of that index, already in username_key order; a
prefix filter reads the range ``[prefix, prefix_upper_bound(prefix))`` in (value, username_key) order, the
index's own, and its pages continue after ``value NUL username_key`` (``page_key``). Both stop after
``limit`` rows: a page costs the same whether the filter matches ten users or a million.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Row, Text, bindparam, delete, func, insert, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select
from sqlalchemy.sql.dml import Insert

from userpools.domain.records import (
    FILTERABLE_ATTRIBUTES,
    AuthSessionRecord,
    CodeRecord,
    UserFilter,
    UserRecord,
    made,
)
from userpools.storage.ports import Conflict, WritesHeld
from userpools.storage.schema import (
    INDEXED_VALUE_LENGTH,
    auth_sessions,
    codes,
    user_aliases,
    user_index,
    users,
)
from userpools.storage.sql_journal import NOT_HELD, Journal, user_state

# --- conversions shared with storage.sql --------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch of a timezone-aware datetime (exact: integer arithmetic)."""
    if moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the store takes timezone-aware UTC datetimes")
    return (moment - _EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def optional_micros(moment: datetime | None) -> int | None:
    return None if moment is None else to_micros(moment)


def optional_datetime(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(micros)


def as_bytes(value: Any) -> bytes:
    """A binary column's value as ``bytes`` (drivers may hand back a ``memoryview``)."""
    return value if type(value) is bytes else bytes(value)


def optional_bytes(value: Any) -> bytes | None:
    return None if value is None else as_bytes(value)


def dialect_insert(dialect_name: str) -> Any:
    """The dialect's ``insert`` construct, which has ``on_conflict_do_nothing``/``_do_update``."""
    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert


async def insert_or_conflict(
    conn: AsyncConnection, statement: Insert, values: dict[str, Any], what: str
) -> None:
    """Runs an ``INSERT … ON CONFLICT DO NOTHING``; raises Conflict when no row went in."""
    result = await conn.execute(statement, values)
    if result.rowcount == 0:
        raise Conflict(what)


# --- filters -----------------------------------------------------------------------------------------


def prefix_upper_bound(prefix: str) -> str | None:
    """The least string after every string that starts with ``prefix``, or None when there is none (an
    empty prefix, or one of U+10FFFF only).

    Both engines compare UTF-8 bytes, and UTF-8 byte order is code point order, so this is the prefix with
    its last code point incremented; U+D7FF steps over the surrogates (which UTF-8 cannot encode) to
    U+E000, and a last U+10FFFF is dropped and the one before it incremented instead.
    """
    while prefix:
        last = ord(prefix[-1])
        if last < 0x10FFFF:
            return prefix[:-1] + chr(0xE000 if last == 0xD7FF else last + 1)
        prefix = prefix[:-1]
    return None


def indexed_values(user: UserRecord) -> dict[str, str]:
    """The user's entries in the filter index: name → value, cut to INDEXED_VALUE_LENGTH code points."""
    derived = {
        "username": user.username,
        "cognito:user_status": user.status,
        "status": "Enabled" if user.enabled else "Disabled",
        "sub": user.sub,
    }
    values: dict[str, str] = {}
    for name in FILTERABLE_ATTRIBUTES:
        value = derived[name] if name in derived else user.attributes.get(name)
        if value is not None:
            values[name] = value[:INDEXED_VALUE_LENGTH]
    return values


# --- statements, built once ---------------------------------------------------------------------------

_U = users.c
_USER_COLUMNS = (
    _U.pool_id,
    _U.username,
    _U.username_key,
    _U.sub,
    _U.status,
    _U.enabled,
    _U.created_at,
    _U.updated_at,
    _U.attributes,
    _U.password_ciphertext,
    _U.password_changed_at,
    _U.password_history_ciphertext,
    _U.failed_attempts,
    _U.locked_until,
    _U.extra,
)
_THE_USER = (_U.pool_id == bindparam("b_pool_id")) & (_U.username_key == bindparam("b_username_key"))
_GET_USER = select(*_USER_COLUMNS).where(_THE_USER)
_GET_USER_FOR_UPDATE = _GET_USER.with_for_update()
_GET_USER_BY_SUB = select(*_USER_COLUMNS).where(
    _U.pool_id == bindparam("b_pool_id"), _U.sub == bindparam("b_sub")
)
_GET_USER_BY_SUB_FOR_UPDATE = _GET_USER_BY_SUB.with_for_update()
_MUTABLE_USER_COLUMNS = (
    "status",
    "enabled",
    "updated_at",
    "attributes",
    "password_ciphertext",
    "password_changed_at",
    "password_history_ciphertext",
    "failed_attempts",
    "locked_until",
    "extra",
)
# Returns the stored identity, which the filter index is rewritten from (the record's may differ).
_UPDATE_USER = (
    update(users)
    .where(_THE_USER)
    .values({name: bindparam(name) for name in _MUTABLE_USER_COLUMNS})
    .returning(_U.username, _U.sub)
)
_SET_EXTRA = update(users).where(_THE_USER, NOT_HELD).values(extra=bindparam("extra"))
_DELETE_USER = delete(users).where(_THE_USER)
_COUNT_USERS = select(func.count()).select_from(users).where(_U.pool_id == bindparam("b_pool_id"))
_LIST_USERS = (
    select(*_USER_COLUMNS)
    .where(_U.pool_id == bindparam("b_pool_id"))
    .order_by(_U.username_key)
    .limit(bindparam("b_limit"))
)
_LIST_USERS_AFTER = _LIST_USERS.where(_U.username_key > bindparam("b_after"))

_X = user_index.c
_INSERT_INDEX = insert(user_index)
#: A plain insert (a duplicate raises): insert_many's executemany, undone by the caller's savepoint.
_INSERT_USER = insert(users)
_DELETE_INDEX = delete(user_index).where(
    _X.pool_id == bindparam("b_pool_id"), _X.username_key == bindparam("b_username_key")
)
_FILTERED = (
    select(*_USER_COLUMNS)
    .select_from(user_index.join(users, (_U.pool_id == _X.pool_id) & (_U.username_key == _X.username_key)))
    .where(_X.pool_id == bindparam("b_pool_id"), _X.name == bindparam("b_name"))
    .limit(bindparam("b_limit"))
)
_EXACT = _FILTERED.where(_X.value == bindparam("b_value")).order_by(_X.username_key)
# In the index's order, so the first page reads ``limit`` entries however many match (ordered by
# username_key it had to read and sort every match: a million for ``phone_number ^= "+1"``).
_PREFIX = _FILTERED.where(_X.value < bindparam("b_upper")).order_by(_X.value, _X.username_key)
#: (prefix?, after?) → statement
_LIST_FILTERED: dict[tuple[bool, bool], Select[Any]] = {
    (False, False): _EXACT,
    (False, True): _EXACT.where(_X.username_key > bindparam("b_after")),
    (True, False): _PREFIX.where(_X.value >= bindparam("b_value")),
    # A row-value bound both engines read as a range of the index.
    (True, True): _PREFIX.where(
        tuple_(_X.value, _X.username_key) > tuple_(bindparam("b_after_value"), bindparam("b_after"))
    ),
}
#: Separates the value from the username_key in a prefix listing's page key; a username cannot contain it,
#: so the last one splits the key whatever the value holds.
_PAGE_KEY_SEPARATOR = "\x00"
#: The upper bound of a prefix that has none: above every indexed value (each at most INDEXED_VALUE_LENGTH
#: code points), so the statement stays a bounded range of the index (SQLite plans an open one as a scan).
_ABOVE_EVERY_VALUE = "\U0010ffff" * (INDEXED_VALUE_LENGTH + 1)


_A = user_aliases.c
_THE_ALIAS = (
    (_A.pool_id == bindparam("b_pool_id"))
    & (_A.kind == bindparam("b_kind"))
    & (_A.value_key == bindparam("b_value_key"))
)
_FIND_ALIAS = select(_A.username_key).where(_THE_ALIAS)
_USER_ALIASES = select(_A.kind, _A.value_key).where(
    _A.pool_id == bindparam("b_pool_id"), _A.username_key == bindparam("b_username_key")
)
_DELETE_ALIAS = delete(user_aliases).where(_THE_ALIAS)

_D = codes.c
_CODE_COLUMNS = (
    _D.pool_id,
    _D.username_key,
    _D.purpose,
    _D.code_hash,
    _D.created_at,
    _D.expires_at,
    _D.attempts,
)
_THE_CODE = (
    (_D.pool_id == bindparam("b_pool_id"))
    & (_D.username_key == bindparam("b_username_key"))
    & (_D.purpose == bindparam("b_purpose"))
)
_GET_CODE = select(*_CODE_COLUMNS).where(_THE_CODE)
_GET_CODE_FOR_UPDATE = _GET_CODE.with_for_update()
_DELETE_CODE = delete(codes).where(_THE_CODE)

_S = auth_sessions.c
_SESSION_COLUMNS = (
    _S.origin_jti,
    _S.pool_id,
    _S.client_id,
    _S.username_key,
    _S.auth_time,
    _S.created_at,
    _S.expires_at,
    _S.revoked_at,
    _S.generation,
    _S.rotated_at,
    _S.last_used_at,
    _S.last_ip,
    _S.user_agent,
    _S.origin_sso,
)
_GET_SESSION = select(*_SESSION_COLUMNS).where(_S.origin_jti == bindparam("b_origin_jti"))
_REVOKE_SESSION = (
    update(auth_sessions)
    .where(_S.origin_jti == bindparam("b_origin_jti"), _S.revoked_at.is_(None))
    .values(revoked_at=bindparam("revoked_at"))
)
_ROTATE_SESSION = (
    update(auth_sessions)
    .where(_S.origin_jti == bindparam("b_origin_jti"), _S.revoked_at.is_(None))
    .values(generation=_S.generation + 1, rotated_at=bindparam("rotated_at"))
    .returning(_S.generation)
)
_TOUCH_SESSION = (
    update(auth_sessions)
    .where(_S.origin_jti == bindparam("b_origin_jti"))
    .values(last_used_at=bindparam("last_used_at"), last_ip=bindparam("last_ip"), user_agent=bindparam("user_agent"))
)
_LIVE_USER_SESSIONS = (
    select(*_SESSION_COLUMNS)
    .where(
        _S.pool_id == bindparam("b_pool_id"),
        _S.username_key == bindparam("b_username_key"),
        _S.revoked_at.is_(None),
        _S.expires_at > bindparam("b_now"),
    )
    .order_by(_S.created_at, _S.origin_jti)
)
_REVOKE_USER_SESSIONS = (
    update(auth_sessions)
    .where(
        _S.pool_id == bindparam("b_pool_id"),
        _S.username_key == bindparam("b_username_key"),
        _S.revoked_at.is_(None),
    )
    .values(revoked_at=bindparam("revoked_at"))
)


class UserStatements:
    """The dialect's insert statements for these tables."""

    def __init__(self, dialect_name: str) -> None:
        dialect = dialect_insert(dialect_name)
        # No conflict target: a duplicate username_key and a duplicate sub are both a Conflict.
        self.user: Insert = dialect(users).on_conflict_do_nothing()
        self.alias: Insert = dialect(user_aliases).on_conflict_do_nothing(
            index_elements=[_A.pool_id, _A.kind, _A.value_key]
        )
        code = dialect(codes)
        self.code: Insert = code.on_conflict_do_update(
            index_elements=[_D.pool_id, _D.username_key, _D.purpose],
            set_={
                name: code.excluded[name] for name in ("code_hash", "created_at", "expires_at", "attempts")
            },
        )
        self.session: Insert = dialect(auth_sessions).on_conflict_do_nothing(index_elements=[_S.origin_jti])
        # A bulk import's look-up of the usernames a pool already has: the keys as one parameter (a JSON
        # array on SQLite, a text[] on PostgreSQL), so the statement is the same for any number of them.
        if dialect_name == "postgresql":
            existing = (
                "SELECT username_key FROM users WHERE pool_id = :b_pool_id "
                "AND username_key = ANY(CAST(:b_keys AS text[]))"
            )
        else:
            existing = (
                "SELECT username_key FROM users WHERE pool_id = :b_pool_id "
                "AND username_key IN (SELECT value FROM json_each(:b_keys))"
            )
        self.existing = text(existing).columns(username_key=Text)
        self.keys_as_json = dialect_name != "postgresql"
        #: PostgreSQL: a bulk insert is one statement over arrays (``unnest``), one round trip and one
        #: statement's overhead for a whole batch; SQLite's executemany already runs in-process.
        self.unnest = dialect_name == "postgresql"
        self.users_unnest = text(
            "INSERT INTO users (pool_id, username, username_key, sub, status, enabled, created_at, updated_at, "
            "attributes, password_ciphertext, password_changed_at, password_history_ciphertext, failed_attempts, "
            "locked_until, extra) SELECT * FROM unnest(CAST(:pool_id AS text[]), CAST(:username AS text[]), "
            "CAST(:username_key AS text[]), CAST(:sub AS text[]), CAST(:status AS text[]), "
            "CAST(:enabled AS boolean[]), CAST(:created_at AS bigint[]), CAST(:updated_at AS bigint[]), "
            "CAST(:attributes AS jsonb[]), CAST(:password_ciphertext AS bytea[]), "
            "CAST(:password_changed_at AS bigint[]), CAST(:password_history_ciphertext AS bytea[]), "
            "CAST(:failed_attempts AS integer[]), CAST(:locked_until AS bigint[]), CAST(:extra AS jsonb[]))"
        )
        self.index_unnest = text(
            "INSERT INTO user_index (pool_id, username_key, name, value) SELECT * FROM unnest("
            "CAST(:pool_id AS text[]), CAST(:username_key AS text[]), CAST(:name AS text[]), CAST(:value AS text[]))"
        )


# --- row mapping -------------------------------------------------------------------------------------


def _user(row: Row[Any]) -> UserRecord:
    return made(UserRecord, {
        "pool_id": row[0],
        "username": row[1],
        "username_key": row[2],
        "sub": row[3],
        "status": row[4],
        "enabled": bool(row[5]),
        "created_at": from_micros(row[6]),
        "updated_at": from_micros(row[7]),
        "attributes": row[8],
        "password_ciphertext": optional_bytes(row[9]),
        "password_changed_at": optional_datetime(row[10]),
        "password_history_ciphertext": optional_bytes(row[11]),
        "failed_attempts": row[12],
        "locked_until": optional_datetime(row[13]),
        "extra": row[14],
    })


def _mutable_values(user: UserRecord) -> dict[str, Any]:
    return {
        "status": user.status,
        "enabled": user.enabled,
        "updated_at": to_micros(user.updated_at),
        "attributes": user.attributes,
        "password_ciphertext": user.password_ciphertext,
        "password_changed_at": optional_micros(user.password_changed_at),
        "password_history_ciphertext": user.password_history_ciphertext,
        "failed_attempts": user.failed_attempts,
        "locked_until": optional_micros(user.locked_until),
        "extra": user.extra,
    }


def _code(row: Row[Any]) -> CodeRecord:
    return CodeRecord(
        row[0], row[1], row[2], as_bytes(row[3]), from_micros(row[4]), from_micros(row[5]), row[6]
    )


def _session(row: Row[Any]) -> AuthSessionRecord:
    return AuthSessionRecord(
        row[0],
        row[1],
        row[2],
        row[3],
        from_micros(row[4]),
        from_micros(row[5]),
        from_micros(row[6]),
        optional_datetime(row[7]),
        int(row[8]),
        optional_datetime(row[9]),
        optional_datetime(row[10]),
        row[11],
        row[12],
        row[13],
    )


_JSON_COLUMNS = ("attributes", "extra")


def _columns(rows: list[dict[str, Any]], json_columns: Sequence[str]) -> dict[str, list[Any]]:
    """Rows as one array per column (an ``unnest`` insert's parameters), JSON columns as their text."""
    out: dict[str, list[Any]] = {name: [row[name] for row in rows] for name in rows[0]}
    for name in json_columns:
        out[name] = [orjson.dumps(value).decode() for value in out[name]]
    return out


# --- ports -------------------------------------------------------------------------------------------


class SqlUsers:
    __slots__ = ("_conn", "_journal", "_statements")

    def __init__(self, conn: AsyncConnection, statements: UserStatements, journal: Journal) -> None:
        self._conn = conn
        self._statements = statements
        self._journal = journal

    async def insert(self, user: UserRecord) -> None:
        values = {
            "pool_id": user.pool_id,
            "username": user.username,
            "username_key": user.username_key,
            "sub": user.sub,
            "created_at": to_micros(user.created_at),
            **_mutable_values(user),
        }
        what = f"user {user.username_key!r} (sub {user.sub}) in {user.pool_id}"
        await insert_or_conflict(self._conn, self._statements.user, values, what)
        await self._journal.append(self._conn, user.pool_id, user.username_key, "", user_state(user))
        await self._write_index(user)

    async def get(self, pool_id: str, username_key: str, *, for_update: bool = False) -> UserRecord | None:
        statement = _GET_USER_FOR_UPDATE if for_update else _GET_USER
        row = (
            await self._conn.execute(statement, {"b_pool_id": pool_id, "b_username_key": username_key})
        ).first()
        return None if row is None else _user(row)

    async def get_by_sub(self, pool_id: str, sub: str, *, for_update: bool = False) -> UserRecord | None:
        statement = _GET_USER_BY_SUB_FOR_UPDATE if for_update else _GET_USER_BY_SUB
        row = (await self._conn.execute(statement, {"b_pool_id": pool_id, "b_sub": sub})).first()
        return None if row is None else _user(row)

    async def update(self, user: UserRecord) -> None:
        the_user = {"b_pool_id": user.pool_id, "b_username_key": user.username_key}
        stored = (await self._conn.execute(_UPDATE_USER, {**the_user, **_mutable_values(user)})).first()
        if stored is None:
            return  # no such user: nothing to index
        stored_user = replace(user, username=stored[0], sub=stored[1])
        await self._journal.append(self._conn, user.pool_id, user.username_key, "", user_state(stored_user))
        await self._conn.execute(_DELETE_INDEX, the_user)
        await self._write_index(stored_user)

    async def set_extra(self, user: UserRecord) -> None:
        the_user = {"b_pool_id": user.pool_id, "b_username_key": user.username_key}
        at = to_micros(self._journal.clock.now())
        result = await self._conn.execute(_SET_EXTRA, {**the_user, "b_at": at, "extra": user.extra})
        if result.rowcount == 0 and await self._journal.holds(self._conn, user.pool_id):
            raise WritesHeld(user.pool_id)

    async def delete(self, pool_id: str, username_key: str) -> bool:
        result = await self._conn.execute(
            _DELETE_USER, {"b_pool_id": pool_id, "b_username_key": username_key}
        )
        if result.rowcount == 0:
            return False
        await self._journal.append(self._conn, pool_id, username_key, "", None)
        return True

    async def count(self, pool_id: str) -> int:
        return int((await self._conn.execute(_COUNT_USERS, {"b_pool_id": pool_id})).scalar_one())

    async def list(
        self,
        pool_id: str,
        *,
        limit: int,
        after_key: str | None = None,
        where: UserFilter | None = None,
    ) -> Sequence[UserRecord]:
        params: dict[str, Any] = {"b_pool_id": pool_id, "b_limit": limit}
        if after_key is not None:
            params["b_after"] = after_key
        if where is None:
            statement: Select[Any] = _LIST_USERS if after_key is None else _LIST_USERS_AFTER
        else:
            if where.name not in FILTERABLE_ATTRIBUTES:
                raise ValueError(f"{where.name!r} is not filterable (FILTERABLE_ATTRIBUTES)")
            if len(where.value) >= INDEXED_VALUE_LENGTH:
                raise ValueError(f"a filter value must be shorter than {INDEXED_VALUE_LENGTH} characters")
            params["b_name"] = where.name
            params["b_value"] = where.value
            if where.prefix:
                params["b_upper"] = prefix_upper_bound(where.value) or _ABOVE_EVERY_VALUE
                if after_key is not None:
                    # A key without a value (a token from before this order) starts at the prefix.
                    value, _, key = after_key.rpartition(_PAGE_KEY_SEPARATOR)
                    params["b_after_value"], params["b_after"] = value or where.value, key
            statement = _LIST_FILTERED[(where.prefix, after_key is not None)]
        return [_user(row) for row in await self._conn.execute(statement, params)]

    def page_key(self, user: UserRecord, where: UserFilter | None) -> str:
        if where is None or not where.prefix:
            return user.username_key
        return indexed_values(user)[where.name] + _PAGE_KEY_SEPARATOR + user.username_key

    async def find_alias(self, pool_id: str, kind: str, value_key: str) -> str | None:
        params = {"b_pool_id": pool_id, "b_kind": kind, "b_value_key": value_key}
        owner: str | None = (await self._conn.execute(_FIND_ALIAS, params)).scalar_one_or_none()
        return owner

    async def set_aliases(self, pool_id: str, username_key: str, aliases: dict[str, str]) -> None:
        # Check everything before writing anything, so a Conflict leaves the aliases as they were.
        the_user = {"b_pool_id": pool_id, "b_username_key": username_key}
        current = {(row[0], row[1]) for row in await self._conn.execute(_USER_ALIASES, the_user)}
        wanted = set(aliases.items())
        for kind, value_key in sorted(wanted - current):
            if await self.find_alias(pool_id, kind, value_key) is not None:
                raise Conflict(f"alias {kind} {value_key!r} in {pool_id} belongs to another user")
        # In a fixed order, so two transactions writing the same aliases lock them in the same order.
        for kind, value_key in sorted(current - wanted):
            await self.release_alias(pool_id, kind, value_key)
        for kind, value_key in sorted(wanted - current):
            values = {"pool_id": pool_id, "kind": kind, "value_key": value_key, "username_key": username_key}
            # Only a concurrent transaction can have taken it since the check above.
            await insert_or_conflict(
                self._conn, self._statements.alias, values, f"alias {kind} {value_key!r}"
            )

    async def release_alias(self, pool_id: str, kind: str, value_key: str) -> None:
        await self._conn.execute(
            _DELETE_ALIAS, {"b_pool_id": pool_id, "b_kind": kind, "b_value_key": value_key}
        )

    async def existing(self, pool_id: str, username_keys: Sequence[str]) -> set[str]:
        if not username_keys:
            return set()
        keys: Any = orjson.dumps(list(username_keys)).decode() if self._statements.keys_as_json else list(username_keys)
        result = await self._conn.execute(self._statements.existing, {"b_pool_id": pool_id, "b_keys": keys})
        return {row[0] for row in result}

    async def insert_many(self, users_: Sequence[UserRecord]) -> None:
        if not users_:
            return
        rows = [
            {
                "pool_id": user.pool_id,
                "username": user.username,
                "username_key": user.username_key,
                "sub": user.sub,
                "created_at": to_micros(user.created_at),
                **_mutable_values(user),
            }
            for user in users_
        ]
        index = [
            {"pool_id": user.pool_id, "username_key": user.username_key, "name": name, "value": value}
            for user in users_
            for name, value in indexed_values(user).items()
        ]
        try:
            if self._statements.unnest:
                await self._conn.execute(self._statements.users_unnest, _columns(rows, _JSON_COLUMNS))
                await self._conn.execute(self._statements.index_unnest, _columns(index, ()))
            else:
                await self._conn.execute(_INSERT_USER, rows)
                await self._conn.execute(_INSERT_INDEX, index)
        except IntegrityError as exc:
            raise Conflict(f"one of {len(users_)} users exists in {users_[0].pool_id}") from exc
        await self._journal.append_many(self._conn, users_, unnest=self._statements.unnest)

    async def _write_index(self, user: UserRecord) -> None:
        rows = [
            {"pool_id": user.pool_id, "username_key": user.username_key, "name": name, "value": value}
            for name, value in indexed_values(user).items()
        ]
        await self._conn.execute(_INSERT_INDEX, rows)


class SqlCodes:
    __slots__ = ("_conn", "_statements")

    def __init__(self, conn: AsyncConnection, statements: UserStatements) -> None:
        self._conn = conn
        self._statements = statements

    async def put(self, code: CodeRecord) -> None:
        values = {
            "pool_id": code.pool_id,
            "username_key": code.username_key,
            "purpose": code.purpose,
            "code_hash": code.code_hash,
            "created_at": to_micros(code.created_at),
            "expires_at": to_micros(code.expires_at),
            "attempts": code.attempts,
        }
        await self._conn.execute(self._statements.code, values)

    async def get(
        self, pool_id: str, username_key: str, purpose: str, *, for_update: bool = False
    ) -> CodeRecord | None:
        statement = _GET_CODE_FOR_UPDATE if for_update else _GET_CODE
        params = {"b_pool_id": pool_id, "b_username_key": username_key, "b_purpose": purpose}
        row = (await self._conn.execute(statement, params)).first()
        return None if row is None else _code(row)

    async def delete(self, pool_id: str, username_key: str, purpose: str) -> bool:
        params = {"b_pool_id": pool_id, "b_username_key": username_key, "b_purpose": purpose}
        return (await self._conn.execute(_DELETE_CODE, params)).rowcount > 0


class SqlAuthSessions:
    __slots__ = ("_conn", "_statements")

    def __init__(self, conn: AsyncConnection, statements: UserStatements) -> None:
        self._conn = conn
        self._statements = statements

    async def insert(self, session: AuthSessionRecord) -> None:
        values = {
            "origin_jti": session.origin_jti,
            "pool_id": session.pool_id,
            "client_id": session.client_id,
            "username_key": session.username_key,
            "auth_time": to_micros(session.auth_time),
            "created_at": to_micros(session.created_at),
            "expires_at": to_micros(session.expires_at),
            "revoked_at": optional_micros(session.revoked_at),
            "generation": session.generation,
            "rotated_at": optional_micros(session.rotated_at),
            "last_used_at": optional_micros(session.last_used_at),
            "last_ip": session.last_ip,
            "user_agent": session.user_agent,
            "origin_sso": session.origin_sso,
        }
        what = f"auth session {session.origin_jti}"
        await insert_or_conflict(self._conn, self._statements.session, values, what)

    async def get(self, origin_jti: str) -> AuthSessionRecord | None:
        row = (await self._conn.execute(_GET_SESSION, {"b_origin_jti": origin_jti})).first()
        return None if row is None else _session(row)

    async def revoke(self, origin_jti: str, at: datetime) -> bool:
        params = {"b_origin_jti": origin_jti, "revoked_at": to_micros(at)}
        return (await self._conn.execute(_REVOKE_SESSION, params)).rowcount > 0

    async def revoke_user(self, pool_id: str, username_key: str, at: datetime) -> int:
        params = {"b_pool_id": pool_id, "b_username_key": username_key, "revoked_at": to_micros(at)}
        return int((await self._conn.execute(_REVOKE_USER_SESSIONS, params)).rowcount)

    async def live(self, pool_id: str, username_key: str, now: datetime) -> list[AuthSessionRecord]:
        params = {"b_pool_id": pool_id, "b_username_key": username_key, "b_now": to_micros(now)}
        return [_session(row) for row in (await self._conn.execute(_LIVE_USER_SESSIONS, params))]

    async def touch(self, origin_jti: str, at: datetime, ip: str | None, user_agent: str | None) -> None:
        params = {"b_origin_jti": origin_jti, "last_used_at": to_micros(at), "last_ip": ip, "user_agent": user_agent}
        await self._conn.execute(_TOUCH_SESSION, params)

    async def rotate(self, origin_jti: str, at: datetime) -> int | None:
        params = {"b_origin_jti": origin_jti, "rotated_at": to_micros(at)}
        row = (await self._conn.execute(_ROTATE_SESSION, params)).first()
        return None if row is None else int(row[0])


#: For the ports of other tables that read whole users (``sql_groups``: a group's members).
USER_COLUMNS = _USER_COLUMNS
user_from_row = _user

"""Point-in-time recovery's change journal and recoveries on SQLAlchemy Core.

Every write of a user (SqlUsers: insert, insert_many, update, delete), of a group membership (SqlGroups:
add_member, remove_member) or of a passkey (SqlWebAuthnCredentials: insert, delete; not the signature counter
a sign-in moves) appends the new state to ``user_journal`` in the write's own transaction: one
``INSERT … SELECT … WHERE NOT EXISTS (a recovery holding the pool)``, so the journal is exact, and the same
statement is the write freeze: when no row went in, a recovery holds the pool's users and the write is
refused (``storage.ports.WritesHeld``; the caller's transaction then rolls back). Nothing else is read or written per write.

The state of a user at a moment is its newest journal row at or before it (a tombstone or none: no user);
the journal starts with the pool, so every user's history is complete. A membership counts at a moment when
its newest row says so and is newer than the user's newest creation (a user's deletion drops its
memberships by cascade, without rows of their own); so does a passkey. Rows older than the longest window are purged lazily
(``purge``), keeping each key's newest row before the cutoff: the state there stays known.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import and_, bindparam, delete, exists, insert, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from userpools.clock import Clock, SystemClock
from userpools.domain.records import JournalEntry, UserRecord, WebAuthnCredentialRecord
from userpools.storage.ports import WritesHeld
from userpools.storage.schema import Id, Micros, recoveries, user_journal

_J = user_journal.c
_R = recoveries.c

#: The statuses in which a recovery holds the pool's user writes (while ``held_until`` is ahead).
HOLDING = ("PREVIEW_GENERATING", "PREVIEW_GENERATED", "RESTORING")


def _held(pool_id: str, at: str) -> Any:
    """Whether a recovery holds the pool's user writes at the moment, by the names of the two parameters."""
    return exists().where(
        _R.pool_id == bindparam(pool_id, type_=Id), _R.held_until > bindparam(at, type_=Micros)
    )


_HELD = _held("pool_id", "at")
_APPEND = insert(user_journal).from_select(
    ["pool_id", "username_key", "group_key", "credential_id", "at", "state"],
    select(
        bindparam("pool_id", type_=Id),
        bindparam("username_key", type_=Id),
        bindparam("group_key", type_=Id),
        bindparam("credential_id", type_=Id),
        bindparam("at", type_=Micros),
        bindparam("state", type_=user_journal.c.state.type),
    ).where(~_HELD),
)
_APPEND_FREE = insert(user_journal)
_HOLDS = select(_HELD)
#: the condition of a write that is not journaled but is held all the same (``SqlUsers.set_extra``), with the
#: names an UPDATE of the users leaves free (its statement's ``b_pool_id``, and ``b_at``)
NOT_HELD = ~_held("b_pool_id", "b_at")
#: PostgreSQL: a bulk insert's rows (``SqlUsers.insert_many``, an import's batch) in one statement over arrays,
#: each row checking the hold at its own moment as ``_APPEND`` does: fewer rows than given means held.
_UNNEST = (
    "INSERT INTO user_journal (pool_id, username_key, group_key, credential_id, at, state) "
    "SELECT j.pool_id, j.username_key, j.group_key, j.credential_id, j.at, j.state FROM unnest("
    "CAST(:pool_id AS text[]), CAST(:username_key AS text[]), CAST(:group_key AS text[]), "
    "CAST(:credential_id AS text[]), CAST(:at AS bigint[]), CAST(:state AS text[])) "
    "AS j(pool_id, username_key, group_key, credential_id, at, state)"
)
_APPEND_UNNEST = text(
    _UNNEST + " WHERE NOT EXISTS (SELECT 1 FROM point_in_time_recoveries AS r "
    'WHERE r.pool_id = j.pool_id COLLATE "C" AND r.held_until > j.at)'
)
_APPEND_UNNEST_FREE = text(_UNNEST)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


# sql_users' conversions, repeated: sql_users imports this module
def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def optional_micros(moment: datetime | None) -> int | None:
    return None if moment is None else _micros(moment)


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def optional_datetime(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(micros)


def user_state(user: UserRecord) -> str:
    """The user's full row as JSON text (binary columns base64)."""
    def b64(value: bytes | None) -> str | None:
        return None if value is None else base64.b64encode(value).decode()

    return orjson.dumps({
        "username": user.username, "sub": user.sub, "status": user.status, "enabled": user.enabled,
        "created_at": _micros(user.created_at), "updated_at": _micros(user.updated_at),
        "attributes": user.attributes, "password_ciphertext": b64(user.password_ciphertext),
        "password_changed_at": optional_micros(user.password_changed_at),
        "password_history_ciphertext": b64(user.password_history_ciphertext),
        "failed_attempts": user.failed_attempts, "locked_until": optional_micros(user.locked_until),
        "extra": user.extra,
    }).decode()


def state_user(pool_id: str, username_key: str, state: str) -> UserRecord:
    data = orjson.loads(state)

    def unb64(value: str | None) -> bytes | None:
        return None if value is None else base64.b64decode(value)

    return UserRecord(
        pool_id=pool_id, username=data["username"], username_key=username_key, sub=data["sub"],
        status=data["status"], enabled=data["enabled"], created_at=from_micros(data["created_at"]),
        updated_at=from_micros(data["updated_at"]), attributes=data["attributes"],
        password_ciphertext=unb64(data["password_ciphertext"]),
        password_changed_at=optional_datetime(data["password_changed_at"]),
        password_history_ciphertext=unb64(data["password_history_ciphertext"]),
        failed_attempts=data["failed_attempts"], locked_until=optional_datetime(data["locked_until"]),
        extra=data["extra"],
    )


def passkey_state(credential: WebAuthnCredentialRecord) -> str:
    """A passkey as JSON text (its public key base64)."""
    return orjson.dumps({
        "public_key": base64.b64encode(credential.public_key).decode(), "sign_count": credential.sign_count,
        "relying_party_id": credential.relying_party_id, "friendly_name": credential.friendly_name,
        "transports": list(credential.transports), "created_at": _micros(credential.created_at),
        "attachment": credential.attachment,
    }).decode()


def state_passkey(pool_id: str, username_key: str, credential_id: str, state: str) -> WebAuthnCredentialRecord:
    data = orjson.loads(state)
    return WebAuthnCredentialRecord(
        pool_id=pool_id, username_key=username_key, credential_id=credential_id,
        public_key=base64.b64decode(data["public_key"]), sign_count=data["sign_count"],
        relying_party_id=data["relying_party_id"], friendly_name=data["friendly_name"],
        transports=tuple(data["transports"]), created_at=from_micros(data["created_at"]),
        attachment=data["attachment"],
    )


class Journal:
    """Appends to the journal for one transaction. ``free``: the recovery's own writes, which the hold
    does not stop."""

    __slots__ = ("clock", "free")

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.free = False

    async def append(
        self, conn: AsyncConnection, pool_id: str, username_key: str, group_key: str, state: str | None, *,
        credential_id: str = "",
    ) -> None:
        values = {
            "pool_id": pool_id, "username_key": username_key, "group_key": group_key,
            "credential_id": credential_id, "at": _micros(self.clock.now()), "state": state,
        }
        if self.free:
            await conn.execute(_APPEND_FREE, values)
            return
        if (await conn.execute(_APPEND, values)).rowcount == 0:
            raise WritesHeld(pool_id)

    async def holds(self, conn: AsyncConnection, pool_id: str) -> bool:
        """Whether a recovery holds the pool's user writes now (what ``append`` refuses a write for)."""
        if self.free:
            return False
        at = _micros(self.clock.now())
        return bool((await conn.execute(_HOLDS, {"pool_id": pool_id, "at": at})).scalar())

    async def append_many(
        self, conn: AsyncConnection, users: Sequence[UserRecord], *, unnest: bool = False
    ) -> None:
        """``append`` of each user's new state, in one statement (``unnest``: PostgreSQL's arrays; else an
        executemany): the rows and the hold check are those ``append`` would write, one by one."""
        if not users:
            return
        rows = [
            {
                "pool_id": user.pool_id, "username_key": user.username_key, "group_key": "",
                "credential_id": "", "at": _micros(self.clock.now()), "state": user_state(user),
            }
            for user in users
        ]
        if unnest:
            columns = {name: [row[name] for row in rows] for name in rows[0]}
            statement: Any = _APPEND_UNNEST_FREE if self.free else _APPEND_UNNEST
            written = (await conn.execute(statement, columns)).rowcount
        else:
            written = (await conn.execute(_APPEND_FREE if self.free else _APPEND, rows)).rowcount
        if not self.free and written != len(rows):
            raise WritesHeld(users[0].pool_id)


# --- recoveries and the journal's reads ------------------------------------------------------------------

_RECOVERY_COLUMNS = (
    _R.pool_id, _R.restore_id, _R.status, _R.restore_at, _R.trigger_at, _R.created_at, _R.held_until, _R.preview,
)
_RECOVERY_NAMES = tuple(column.name for column in _RECOVERY_COLUMNS)


def _recovery(row: Any) -> dict[str, Any]:
    return dict(zip(_RECOVERY_NAMES, tuple(row), strict=True))


_THE_RECOVERY = (_R.pool_id == bindparam("b_pool_id")) & (_R.restore_id == bindparam("b_restore_id"))


class SqlRecoveries:
    """The ``RecoveryPort``: a pool's recoveries as plain dicts of their columns (micros for moments)."""

    __slots__ = ("_conn", "_journal")

    def __init__(self, conn: AsyncConnection, journal: Journal) -> None:
        self._conn = conn
        self._journal = journal

    def release_hold(self) -> None:
        """The rest of this transaction's user writes are the recovery's own: the hold does not stop them."""
        self._journal.free = True

    async def insert(self, row: dict[str, Any]) -> None:
        await self._conn.execute(insert(recoveries), row)

    async def get(self, pool_id: str, restore_id: str) -> dict[str, Any] | None:
        found = (
            await self._conn.execute(
                select(*_RECOVERY_COLUMNS).where(_THE_RECOVERY),
                {"b_pool_id": pool_id, "b_restore_id": restore_id},
            )
        ).first()
        return None if found is None else _recovery(found)

    async def update(self, pool_id: str, restore_id: str, **values: Any) -> None:
        await self._conn.execute(
            update(recoveries).where(_THE_RECOVERY).values(**values),
            {"b_pool_id": pool_id, "b_restore_id": restore_id},
        )

    async def list(self, pool_id: str) -> list[dict[str, Any]]:
        rows = await self._conn.execute(
            select(*_RECOVERY_COLUMNS).where(_R.pool_id == bindparam("b_pool_id")).order_by(_R.created_at.desc(),
                                                                                          _R.restore_id),
            {"b_pool_id": pool_id},
        )
        return [_recovery(row) for row in rows]

    async def changed_since(self, pool_id: str, at: int) -> list[str]:
        """The username keys with journal rows (of the user, a membership or a passkey) after ``at``."""
        rows = await self._conn.execute(
            select(_J.username_key).where(_J.pool_id == bindparam("b_pool_id"), _J.at > bindparam("b_at"))
            .distinct().order_by(_J.username_key),
            {"b_pool_id": pool_id, "b_at": at},
        )
        return [row[0] for row in rows]

    async def history(self, pool_id: str, username_key: str) -> list[JournalEntry]:
        """A user's journal rows, oldest first."""
        rows = await self._conn.execute(
            select(_J.group_key, _J.credential_id, _J.at, _J.state)
            .where(_J.pool_id == bindparam("b_pool_id"), _J.username_key == bindparam("b_key"))
            .order_by(_J.at, _J.id),
            {"b_pool_id": pool_id, "b_key": username_key},
        )
        out: list[JournalEntry] = []
        for group_key, credential_id, at, state in rows:
            if group_key:
                out.append(JournalEntry("group", group_key, at, None if state is None else True))
            elif credential_id:
                out.append(JournalEntry("passkey", credential_id, at, None if state is None else
                                        state_passkey(pool_id, username_key, credential_id, state)))
            else:
                out.append(JournalEntry("user", "", at, None if state is None else
                                        state_user(pool_id, username_key, state)))
        return out

    async def purge(self, pool_id: str, before: int) -> int:
        """Deletes journal rows older than ``before`` that a newer row, also older, supersedes."""
        newer = user_journal.alias("newer")
        superseded = exists().where(
            and_(
                newer.c.pool_id == _J.pool_id, newer.c.username_key == _J.username_key,
                newer.c.group_key == _J.group_key, newer.c.credential_id == _J.credential_id,
                newer.c.at < literal(before), newer.c.id > _J.id,
            )
        )
        result = await self._conn.execute(
            delete(user_journal).where(_J.pool_id == bindparam("b_pool_id"), _J.at < bindparam("b_before"),
                                       superseded),
            {"b_pool_id": pool_id, "b_before": before},
        )
        return int(result.rowcount or 0)


DEFAULT_CLOCK = SystemClock()

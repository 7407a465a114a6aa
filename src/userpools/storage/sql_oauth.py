"""Authorization codes and hosted-UI sessions (``oauth_grants``) on SQLAlchemy Core: the ``OAuthGrantPort``.

The same rules as ``storage.sql_resources``: statements built once, ``INSERT … ON CONFLICT DO NOTHING`` that
reports ``Conflict``. ``use`` is one conditional ``UPDATE … WHERE used_at IS NULL``: whichever of two
concurrent redemptions of a code writes first wins, the other sees no row changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert

from userpools.domain.records import OAuthGrantRecord
from userpools.storage.schema import oauth_grants
from userpools.storage.sql_users import (
    dialect_insert,
    from_micros,
    insert_or_conflict,
    optional_datetime,
    to_micros,
)

_G = oauth_grants.c
_COLUMNS = (_G.kind, _G["key"], _G.pool_id, _G.created_at, _G.expires_at, _G.used_at, _G.document)
_THE_ROW = (_G.kind == bindparam("b_kind")) & (_G["key"] == bindparam("b_key"))
_GET = select(*_COLUMNS).where(_THE_ROW)
_GET_FOR_UPDATE = _GET.with_for_update()
_USE = (
    update(oauth_grants)
    .where(_THE_ROW & _G.used_at.is_(None))
    .values(used_at=bindparam("used_at"), document=bindparam("document"))
)
_DELETE = delete(oauth_grants).where(_THE_ROW)
_LIVE = (
    select(*_COLUMNS)
    .where(_G.kind == bindparam("b_kind"), _G.pool_id == bindparam("b_pool_id"), _G.expires_at > bindparam("b_now"))
    .order_by(_G.created_at, _G["key"])
)
_PURGE = delete(oauth_grants).where(_G.expires_at < bindparam("b_now"))


def grant_insert(dialect_name: str) -> Insert:
    insert = dialect_insert(dialect_name)
    return insert(oauth_grants).on_conflict_do_nothing(index_elements=[_G.kind, _G["key"]])  # type: ignore[no-any-return]


def _grant(row: Row[Any]) -> OAuthGrantRecord:
    return OAuthGrantRecord(
        row[0], row[1], row[2], from_micros(row[3]), from_micros(row[4]), optional_datetime(row[5]), row[6]
    )


class SqlOAuthGrants:
    __slots__ = ("_conn", "_insert_statement")

    def __init__(self, conn: AsyncConnection, insert_statement: Insert) -> None:
        self._conn = conn
        self._insert_statement = insert_statement

    async def insert(self, grant: OAuthGrantRecord) -> None:
        values = {
            "kind": grant.kind,
            "key": grant.key,
            "pool_id": grant.pool_id,
            "created_at": to_micros(grant.created_at),
            "expires_at": to_micros(grant.expires_at),
            "used_at": None if grant.used_at is None else to_micros(grant.used_at),
            "document": grant.document,
        }
        await insert_or_conflict(self._conn, self._insert_statement, values, f"{grant.kind} grant")

    async def get(self, kind: str, key: str, *, for_update: bool = False) -> OAuthGrantRecord | None:
        statement = _GET_FOR_UPDATE if for_update else _GET
        row = (await self._conn.execute(statement, {"b_kind": kind, "b_key": key})).first()
        return None if row is None else _grant(row)

    async def live(self, kind: str, pool_id: str, now: datetime) -> list[OAuthGrantRecord]:
        params = {"b_kind": kind, "b_pool_id": pool_id, "b_now": to_micros(now)}
        return [_grant(row) for row in (await self._conn.execute(_LIVE, params))]

    async def use(self, kind: str, key: str, at: datetime, document: dict[str, Any]) -> bool:
        result = await self._conn.execute(
            _USE, {"b_kind": kind, "b_key": key, "used_at": to_micros(at), "document": document}
        )
        return result.rowcount > 0

    async def delete(self, kind: str, key: str) -> bool:
        result = await self._conn.execute(_DELETE, {"b_kind": kind, "b_key": key})
        return result.rowcount > 0

    async def purge(self, now: datetime) -> int:
        result = await self._conn.execute(_PURGE, {"b_now": to_micros(now)})
        return int(result.rowcount)

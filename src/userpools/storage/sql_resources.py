"""A pool's configuration documents (``pool_resources``) on SQLAlchemy Core: the ``ResourcePort``.

The same rules as ``storage.sql``: statements built once, inserts are ``INSERT … ON CONFLICT (kind, key) DO
NOTHING`` that report ``Conflict`` when no row went in (so the transaction stays usable, and two pools
claiming the same domain at once end with one Conflict). Listing reads the ``(pool_id, kind, key)`` index
in order from the keyset ``key > :after``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, delete, distinct, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert

from userpools.domain.records import PoolResource
from userpools.storage.schema import pool_resources
from userpools.storage.sql_users import dialect_insert, from_micros, insert_or_conflict, to_micros

_R = pool_resources.c
_COLUMNS = (_R.kind, _R["key"], _R.pool_id, _R.created_at, _R.updated_at, _R.document)
_THE_ROW = (_R.kind == bindparam("b_kind")) & (_R["key"] == bindparam("b_key"))
_GET = select(*_COLUMNS).where(_THE_ROW)
_GET_FOR_UPDATE = _GET.with_for_update()
_UPDATE = (
    update(pool_resources)
    .where(_THE_ROW)
    .values(document=bindparam("document"), updated_at=bindparam("updated_at"))
)
_DELETE = delete(pool_resources).where(_THE_ROW)
_LIST = (
    select(*_COLUMNS)
    .where(_R.pool_id == bindparam("b_pool_id"), _R.kind == bindparam("b_kind"))
    .order_by(_R["key"])
    .limit(bindparam("b_limit"))
)
_LIST_AFTER = _LIST.where(_R["key"] > bindparam("b_after"))
_KINDS = select(distinct(_R.kind)).where(_R.pool_id == bindparam("b_pool_id")).order_by(_R.kind)


def resource_insert(dialect_name: str) -> Insert:
    """The dialect's ``INSERT … ON CONFLICT (kind, key) DO NOTHING``."""
    insert = dialect_insert(dialect_name)
    return insert(pool_resources).on_conflict_do_nothing(index_elements=[_R.kind, _R["key"]])  # type: ignore[no-any-return]


def _resource(row: Row[Any]) -> PoolResource:
    return PoolResource(row[0], row[1], row[2], from_micros(row[3]), from_micros(row[4]), row[5])


class SqlResources:
    __slots__ = ("_conn", "_insert_statement")

    def __init__(self, conn: AsyncConnection, insert_statement: Insert) -> None:
        self._conn = conn
        self._insert_statement = insert_statement

    async def insert(self, resource: PoolResource) -> None:
        values = {
            "kind": resource.kind,
            "key": resource.key,
            "pool_id": resource.pool_id,
            "document": resource.document,
            "created_at": to_micros(resource.created_at),
            "updated_at": to_micros(resource.updated_at),
        }
        await insert_or_conflict(
            self._conn, self._insert_statement, values, f"{resource.kind} {resource.key}"
        )

    async def get(self, kind: str, key: str, *, for_update: bool = False) -> PoolResource | None:
        statement = _GET_FOR_UPDATE if for_update else _GET
        row = (await self._conn.execute(statement, {"b_kind": kind, "b_key": key})).first()
        return None if row is None else _resource(row)

    async def update(self, resource: PoolResource) -> None:
        values = {
            "b_kind": resource.kind,
            "b_key": resource.key,
            "document": resource.document,
            "updated_at": to_micros(resource.updated_at),
        }
        await self._conn.execute(_UPDATE, values)

    async def delete(self, kind: str, key: str) -> bool:
        result = await self._conn.execute(_DELETE, {"b_kind": kind, "b_key": key})
        return result.rowcount > 0

    async def list(
        self, pool_id: str, kind: str, *, limit: int, after_key: str | None = None
    ) -> Sequence[PoolResource]:
        params: dict[str, Any] = {"b_pool_id": pool_id, "b_kind": kind, "b_limit": limit}
        if after_key is None:
            result = await self._conn.execute(_LIST, params)
        else:
            params["b_after"] = after_key
            result = await self._conn.execute(_LIST_AFTER, params)
        return [_resource(row) for row in result]

    async def kinds(self, pool_id: str) -> Sequence[str]:
        return [row[0] for row in await self._conn.execute(_KINDS, {"b_pool_id": pool_id})]

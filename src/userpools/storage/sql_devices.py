"""Remembered devices (``devices``) on SQLAlchemy Core: the ``DevicePort``.

The same rules as ``storage.sql``: statements built once; the insert is ``INSERT … ON CONFLICT DO NOTHING``,
reporting ``Conflict`` when no row went in. ListDevices is one range of the primary key (pool_id,
username_key, device_key) read in its order from the keyset ``> :after``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert

from userpools.domain.records import DeviceRecord
from userpools.storage.schema import devices
from userpools.storage.sql_users import (
    dialect_insert,
    from_micros,
    insert_or_conflict,
    optional_micros,
    to_micros,
)

_D = devices.c
_COLUMNS = (
    _D.pool_id, _D.username_key, _D.device_key, _D.group_key, _D.status, _D.created_at, _D.updated_at,
    _D.verifier, _D.name, _D.attributes, _D.last_authenticated_at,
)
_THE_USER = (_D.pool_id == bindparam("b_pool_id")) & (_D.username_key == bindparam("b_username_key"))
_THE_DEVICE = _THE_USER & (_D.device_key == bindparam("b_device_key"))
_GET = select(*_COLUMNS).where(_THE_DEVICE)
_GET_FOR_UPDATE = _GET.with_for_update()
_UPDATE = (
    update(devices)
    .where(_THE_DEVICE)
    .values(
        status=bindparam("status"),
        updated_at=bindparam("updated_at"),
        verifier=bindparam("verifier"),
        name=bindparam("name"),
        attributes=bindparam("attributes"),
        last_authenticated_at=bindparam("last_authenticated_at"),
    )
)
_DELETE = delete(devices).where(_THE_DEVICE)
_LIST = select(*_COLUMNS).where(_THE_USER).order_by(_D.device_key).limit(bindparam("b_limit"))
_LIST_AFTER = _LIST.where(_D.device_key > bindparam("b_after"))


def device_insert(dialect_name: str) -> Insert:
    insert = dialect_insert(dialect_name)
    statement: Insert = insert(devices).on_conflict_do_nothing(
        index_elements=[_D.pool_id, _D.username_key, _D.device_key]
    )
    return statement


def _device(row: Row[Any]) -> DeviceRecord:
    last = row[10]
    return DeviceRecord(
        pool_id=row[0],
        username_key=row[1],
        device_key=row[2],
        group_key=row[3],
        status=row[4],
        created_at=from_micros(row[5]),
        updated_at=from_micros(row[6]),
        verifier_ciphertext=None if row[7] is None else bytes(row[7]),
        name=row[8],
        attributes=dict(row[9] or {}),
        last_authenticated_at=None if last is None else from_micros(last),
    )


class SqlDevices:
    __slots__ = ("_conn", "_insert")

    def __init__(self, conn: AsyncConnection, insert: Insert) -> None:
        self._conn = conn
        self._insert = insert

    async def insert(self, device: DeviceRecord) -> None:
        values = {
            "pool_id": device.pool_id,
            "username_key": device.username_key,
            "device_key": device.device_key,
            "group_key": device.group_key,
            "status": device.status,
            "created_at": to_micros(device.created_at),
            "updated_at": to_micros(device.updated_at),
            "verifier": device.verifier_ciphertext,
            "name": device.name,
            "attributes": device.attributes,
            "last_authenticated_at": optional_micros(device.last_authenticated_at),
        }
        await insert_or_conflict(self._conn, self._insert, values, f"device {device.device_key!r}")

    async def get(
        self, pool_id: str, username_key: str, device_key: str, *, for_update: bool = False
    ) -> DeviceRecord | None:
        statement = _GET_FOR_UPDATE if for_update else _GET
        params = {"b_pool_id": pool_id, "b_username_key": username_key, "b_device_key": device_key}
        row = (await self._conn.execute(statement, params)).first()
        return None if row is None else _device(row)

    async def update(self, device: DeviceRecord) -> None:
        await self._conn.execute(_UPDATE, {
            "b_pool_id": device.pool_id,
            "b_username_key": device.username_key,
            "b_device_key": device.device_key,
            "status": device.status,
            "updated_at": to_micros(device.updated_at),
            "verifier": device.verifier_ciphertext,
            "name": device.name,
            "attributes": device.attributes,
            "last_authenticated_at": optional_micros(device.last_authenticated_at),
        })

    async def delete(self, pool_id: str, username_key: str, device_key: str) -> bool:
        params = {"b_pool_id": pool_id, "b_username_key": username_key, "b_device_key": device_key}
        result = await self._conn.execute(_DELETE, params)
        return result.rowcount > 0

    async def list(
        self, pool_id: str, username_key: str, *, limit: int, after_key: str | None = None
    ) -> Sequence[DeviceRecord]:
        params: dict[str, Any] = {"b_pool_id": pool_id, "b_username_key": username_key, "b_limit": limit}
        if after_key is None:
            result = await self._conn.execute(_LIST, params)
        else:
            result = await self._conn.execute(_LIST_AFTER, {**params, "b_after": after_key})
        return [_device(row) for row in result]

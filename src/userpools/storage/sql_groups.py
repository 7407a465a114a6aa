"""User pool groups (``groups``, ``group_members``) on SQLAlchemy Core: the ``GroupPort``.

The same rules as ``storage.sql``: statements built once, inserts are ``INSERT … ON CONFLICT DO NOTHING`` that
report ``Conflict`` (a group) or False (a membership already there) when no row went in. Every listing is one
range of an index read in its order from the keyset ``> :after``: ListGroups the groups' primary key,
ListUsersInGroup the members' primary key (then each user by its own), AdminListGroupsForUser and a sign-in's
group claims the members' (pool_id, username_key, group_key) index (then each group by its own key). A page
costs the same in a pool of ten users as in one of a million.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert

from userpools.domain.records import GroupRecord, TokenGroup, UserRecord
from userpools.storage.schema import group_members, groups, users
from userpools.storage.sql_journal import Journal
from userpools.storage.sql_users import (
    USER_COLUMNS,
    dialect_insert,
    from_micros,
    insert_or_conflict,
    to_micros,
    user_from_row,
)

_G = groups.c
_M = group_members.c
_U = users.c
_GROUP_COLUMNS = (
    _G.pool_id, _G.name, _G.name_key, _G.created_at, _G.updated_at, _G.description, _G.role_arn, _G.precedence
)
_THE_GROUP = (_G.pool_id == bindparam("b_pool_id")) & (_G.name_key == bindparam("b_name_key"))
_GET = select(*_GROUP_COLUMNS).where(_THE_GROUP)
_GET_FOR_UPDATE = _GET.with_for_update()
_UPDATE = (
    update(groups)
    .where(_THE_GROUP)
    .values(
        description=bindparam("description"),
        role_arn=bindparam("role_arn"),
        precedence=bindparam("precedence"),
        updated_at=bindparam("updated_at"),
    )
)
_DELETE = delete(groups).where(_THE_GROUP)
_COUNT = select(func.count()).select_from(groups).where(_G.pool_id == bindparam("b_pool_id"))
_LIST = (
    select(*_GROUP_COLUMNS)
    .where(_G.pool_id == bindparam("b_pool_id"))
    .order_by(_G.name_key)
    .limit(bindparam("b_limit"))
)
_LIST_AFTER = _LIST.where(_G.name_key > bindparam("b_after"))

_THE_MEMBERSHIP = (
    (_M.pool_id == bindparam("b_pool_id"))
    & (_M.group_key == bindparam("b_group_key"))
    & (_M.username_key == bindparam("b_username_key"))
)
_REMOVE = delete(group_members).where(_THE_MEMBERSHIP)
_IS_MEMBER = select(_M.group_key).where(_THE_MEMBERSHIP)
_COUNT_FOR_USER = (
    select(func.count())
    .select_from(group_members)
    .where(_M.pool_id == bindparam("b_pool_id"), _M.username_key == bindparam("b_username_key"))
)
_FOR_USER = (
    select(*_GROUP_COLUMNS)
    .select_from(group_members.join(groups, (_G.pool_id == _M.pool_id) & (_G.name_key == _M.group_key)))
    .where(_M.pool_id == bindparam("b_pool_id"), _M.username_key == bindparam("b_username_key"))
    .order_by(_M.group_key)
    .limit(bindparam("b_limit"))
)
_FOR_USER_AFTER = _FOR_USER.where(_M.group_key > bindparam("b_after"))
_TOKEN_GROUPS = (
    select(_G.name, _G.role_arn, _G.precedence)
    .select_from(group_members.join(groups, (_G.pool_id == _M.pool_id) & (_G.name_key == _M.group_key)))
    .where(_M.pool_id == bindparam("b_pool_id"), _M.username_key == bindparam("b_username_key"))
)
_MEMBERS = (
    select(*USER_COLUMNS)
    .select_from(group_members.join(users, (_U.pool_id == _M.pool_id) & (_U.username_key == _M.username_key)))
    .where(_M.pool_id == bindparam("b_pool_id"), _M.group_key == bindparam("b_group_key"))
    .order_by(_M.username_key)
    .limit(bindparam("b_limit"))
)
_MEMBERS_AFTER = _MEMBERS.where(_M.username_key > bindparam("b_after"))


class GroupStatements:
    """The dialect's insert statements for these tables."""

    def __init__(self, dialect_name: str) -> None:
        insert = dialect_insert(dialect_name)
        self.group: Insert = insert(groups).on_conflict_do_nothing(index_elements=[_G.pool_id, _G.name_key])
        self.member: Insert = insert(group_members).on_conflict_do_nothing(
            index_elements=[_M.pool_id, _M.group_key, _M.username_key]
        )


def _group(row: Row[Any]) -> GroupRecord:
    precedence = row[7]
    return GroupRecord(
        pool_id=row[0],
        name=row[1],
        name_key=row[2],
        created_at=from_micros(row[3]),
        updated_at=from_micros(row[4]),
        description=row[5],
        role_arn=row[6],
        precedence=None if precedence is None else int(precedence),
    )


class SqlGroups:
    __slots__ = ("_conn", "_journal", "_statements")

    def __init__(self, conn: AsyncConnection, statements: GroupStatements, journal: Journal) -> None:
        self._conn = conn
        self._statements = statements
        self._journal = journal

    async def insert(self, group: GroupRecord) -> None:
        values = {
            "pool_id": group.pool_id,
            "name_key": group.name_key,
            "name": group.name,
            "description": group.description,
            "role_arn": group.role_arn,
            "precedence": group.precedence,
            "created_at": to_micros(group.created_at),
            "updated_at": to_micros(group.updated_at),
        }
        await insert_or_conflict(self._conn, self._statements.group, values, f"group {group.name_key!r}")

    async def get(self, pool_id: str, name_key: str, *, for_update: bool = False) -> GroupRecord | None:
        statement = _GET_FOR_UPDATE if for_update else _GET
        row = (await self._conn.execute(statement, {"b_pool_id": pool_id, "b_name_key": name_key})).first()
        return None if row is None else _group(row)

    async def update(self, group: GroupRecord) -> None:
        values = {
            "b_pool_id": group.pool_id,
            "b_name_key": group.name_key,
            "description": group.description,
            "role_arn": group.role_arn,
            "precedence": group.precedence,
            "updated_at": to_micros(group.updated_at),
        }
        await self._conn.execute(_UPDATE, values)

    async def delete(self, pool_id: str, name_key: str) -> bool:
        result = await self._conn.execute(_DELETE, {"b_pool_id": pool_id, "b_name_key": name_key})
        return result.rowcount > 0

    async def count(self, pool_id: str) -> int:
        return int((await self._conn.execute(_COUNT, {"b_pool_id": pool_id})).scalar_one())

    async def list(self, pool_id: str, *, limit: int, after_key: str | None = None) -> Sequence[GroupRecord]:
        params: dict[str, Any] = {"b_pool_id": pool_id, "b_limit": limit}
        if after_key is not None:
            params["b_after"] = after_key
        statement = _LIST if after_key is None else _LIST_AFTER
        return [_group(row) for row in await self._conn.execute(statement, params)]

    async def add_member(self, pool_id: str, group_key: str, username_key: str) -> bool:
        values = {"pool_id": pool_id, "group_key": group_key, "username_key": username_key}
        if (await self._conn.execute(self._statements.member, values)).rowcount == 0:
            return False
        await self._journal.append(self._conn, pool_id, username_key, group_key, "1")
        return True

    async def remove_member(self, pool_id: str, group_key: str, username_key: str) -> bool:
        params = {"b_pool_id": pool_id, "b_group_key": group_key, "b_username_key": username_key}
        if (await self._conn.execute(_REMOVE, params)).rowcount == 0:
            return False
        await self._journal.append(self._conn, pool_id, username_key, group_key, None)
        return True

    async def is_member(self, pool_id: str, group_key: str, username_key: str) -> bool:
        params = {"b_pool_id": pool_id, "b_group_key": group_key, "b_username_key": username_key}
        return (await self._conn.execute(_IS_MEMBER, params)).first() is not None

    async def count_for_user(self, pool_id: str, username_key: str) -> int:
        params = {"b_pool_id": pool_id, "b_username_key": username_key}
        return int((await self._conn.execute(_COUNT_FOR_USER, params)).scalar_one())

    async def list_for_user(
        self, pool_id: str, username_key: str, *, limit: int, after_key: str | None = None
    ) -> Sequence[GroupRecord]:
        params: dict[str, Any] = {"b_pool_id": pool_id, "b_username_key": username_key, "b_limit": limit}
        if after_key is not None:
            params["b_after"] = after_key
        statement = _FOR_USER if after_key is None else _FOR_USER_AFTER
        return [_group(row) for row in await self._conn.execute(statement, params)]

    async def token_groups(self, pool_id: str, username_key: str) -> Sequence[TokenGroup]:
        params = {"b_pool_id": pool_id, "b_username_key": username_key}
        return [tuple(row) for row in await self._conn.execute(_TOKEN_GROUPS, params)]  # type: ignore[misc]

    async def list_members(
        self, pool_id: str, group_key: str, *, limit: int, after_key: str | None = None
    ) -> Sequence[UserRecord]:
        params: dict[str, Any] = {"b_pool_id": pool_id, "b_group_key": group_key, "b_limit": limit}
        if after_key is not None:
            params["b_after"] = after_key
        statement = _MEMBERS if after_key is None else _MEMBERS_AFTER
        return [user_from_row(row) for row in await self._conn.execute(statement, params)]

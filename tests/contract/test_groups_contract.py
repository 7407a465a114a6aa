"""The groups port: every test runs on SQLite and PostgreSQL (see conftest.py)."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from contract_records import OTHER_POOL, POOL, T0, a_user, setup
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect

from userpools.domain.groups import GroupRecord, group_key
from userpools.storage import sql_groups
from userpools.storage.ports import Conflict, Store


def a_group(name: str, pool_id: str = POOL, **changes: Any) -> GroupRecord:
    group = GroupRecord(pool_id, name, group_key(name), T0, T0, "Ünïcode description", None, None)
    return replace(group, **changes)


async def with_groups(store: Store, *groups: GroupRecord) -> None:
    async with store.transaction() as tx:
        for group in groups:
            await tx.groups.insert(group)


def test_a_group_reads_back_as_written_with_and_without_optional_members(store: Store, run: Any) -> None:
    full = a_group("Admins", role_arn="arn:aws:iam::123456789012:role/admin", precedence=2**31 - 1)
    bare = a_group("readers", description=None)

    async def scenario() -> tuple[GroupRecord | None, GroupRecord | None]:
        await setup(store)
        await with_groups(store, full, bare)
        async with store.transaction(readonly=True) as tx:
            return await tx.groups.get(POOL, "admins"), await tx.groups.get(POOL, "readers")

    assert run(scenario()) == (full, bare)


def test_a_second_group_with_the_same_key_raises_conflict_and_the_transaction_goes_on(store: Store, run: Any) -> None:
    async def scenario() -> tuple[bool, int]:
        await setup(store)
        await with_groups(store, a_group("Admins"), a_group("Admins", pool_id=OTHER_POOL))
        async with store.transaction() as tx:
            try:
                await tx.groups.insert(a_group("ADMINS"))
                conflicted = False
            except Conflict:
                conflicted = True
            return conflicted, await tx.groups.count(POOL)

    assert run(scenario()) == (True, 1)


def test_update_replaces_description_role_precedence_and_updated_at_only(store: Store, run: Any) -> None:
    group = a_group("Admins")
    changed = replace(group, description=None, role_arn="arn:aws:iam::123456789012:role/x", precedence=0,
                      updated_at=T0 + timedelta(hours=1), created_at=T0 + timedelta(days=9))

    async def scenario() -> GroupRecord | None:
        await setup(store)
        await with_groups(store, group)
        async with store.transaction() as tx:
            await tx.groups.update(changed)
        async with store.transaction() as tx:
            return await tx.groups.get(POOL, group.name_key)

    assert run(scenario()) == replace(changed, created_at=T0)


async def pages_of_groups(store: Store, limit: int) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    async with store.transaction(readonly=True) as tx:
        while True:
            page = await tx.groups.list(POOL, limit=limit, after_key=after)
            pages.append([g.name for g in page])
            if len(page) < limit:
                return pages
            after = page[-1].name_key


def test_groups_list_in_byte_order_of_key_in_keyset_pages(store: Store, run: Any) -> None:
    names = ["b", "A", "c", "é", "Z9", "_x"]

    async def scenario() -> list[list[str]]:
        await setup(store)
        await with_groups(store, *(a_group(n) for n in names), a_group("other", pool_id=OTHER_POOL))
        return await pages_of_groups(store, 4)

    # keys _x, a, b, c, z9, é: byte order of the lower-cased names
    assert run(scenario()) == [["_x", "A", "b", "c"], ["Z9", "é"]]


def test_memberships_add_once_list_both_ways_in_key_order_and_remove(store: Store, run: Any) -> None:
    users = [a_user(k) for k in ("carol", "alice", "bob")]

    async def scenario() -> dict[str, Any]:
        await setup(store, *users, a_user("alice", pool_id=OTHER_POOL))
        await with_groups(store, a_group("Writers"), a_group("admins"), a_group("Admins", pool_id=OTHER_POOL))
        out: dict[str, Any] = {}
        async with store.transaction() as tx:
            added = [await tx.groups.add_member(POOL, "writers", u.username_key) for u in users]
            added.append(await tx.groups.add_member(POOL, "writers", "alice"))
            added.append(await tx.groups.add_member(POOL, "admins", "alice"))
            await tx.groups.add_member(OTHER_POOL, "admins", "alice")
            out["added"] = added
        async with store.transaction(readonly=True) as tx:
            out["members"] = [u.username for u in await tx.groups.list_members(POOL, "writers", limit=10)]
            out["page2"] = [u for u in await tx.groups.list_members(POOL, "writers", limit=10, after_key="alice")]
            out["of_alice"] = [g.name for g in await tx.groups.list_for_user(POOL, "alice", limit=10)]
            out["after"] = [g.name for g in await tx.groups.list_for_user(POOL, "alice", limit=10, after_key="admins")]
            out["count"] = await tx.groups.count_for_user(POOL, "alice")
            out["token"] = sorted(await tx.groups.token_groups(POOL, "alice"))
            out["is"] = (await tx.groups.is_member(POOL, "admins", "alice"),
                         await tx.groups.is_member(POOL, "admins", "bob"))
        async with store.transaction() as tx:
            out["removed"] = (await tx.groups.remove_member(POOL, "writers", "alice"),
                              await tx.groups.remove_member(POOL, "writers", "alice"))
            out["left"] = [g.name for g in await tx.groups.list_for_user(POOL, "alice", limit=10)]
            out["other"] = [g.name for g in await tx.groups.list_for_user(OTHER_POOL, "alice", limit=10)]
        return out

    out = run(scenario())
    assert out["added"] == [True, True, True, False, True]
    assert out["members"] == ["alice", "bob", "carol"]
    assert [u.username for u in out["page2"]] == ["bob", "carol"]
    assert out["page2"][0] == users[2]  # whole users come back
    assert out["of_alice"] == ["admins", "Writers"]
    assert out["after"] == ["Writers"]
    assert out["count"] == 2
    assert out["token"] == [("Writers", None, None), ("admins", None, None)]
    assert out["is"] == (True, False)
    assert out["removed"] == (True, False)
    assert out["left"] == ["admins"]
    assert out["other"] == ["Admins"]


def test_deleting_a_group_a_user_or_the_pool_deletes_their_memberships(store: Store, run: Any) -> None:
    async def scenario() -> dict[str, Any]:
        await setup(store, a_user("alice"), a_user("bob"))
        await with_groups(store, a_group("one"), a_group("two"))
        async with store.transaction() as tx:
            for group in ("one", "two"):
                for user in ("alice", "bob"):
                    await tx.groups.add_member(POOL, group, user)
        out: dict[str, Any] = {}
        async with store.transaction() as tx:
            out["deleted"] = await tx.groups.delete(POOL, "one"), await tx.groups.delete(POOL, "one")
            await tx.users.delete(POOL, "bob")
        async with store.transaction(readonly=True) as tx:
            out["two"] = [u.username for u in await tx.groups.list_members(POOL, "two", limit=10)]
            out["alice"] = [g.name for g in await tx.groups.list_for_user(POOL, "alice", limit=10)]
        async with store.transaction() as tx:
            # a new group of the old name starts empty
            await tx.groups.insert(a_group("one"))
            out["new one"] = list(await tx.groups.list_members(POOL, "one", limit=10))
        async with store.transaction() as tx:
            await tx.pools.delete(POOL)
        async with store.transaction(readonly=True) as tx:
            out["after pool"] = await tx.groups.count(POOL), list(await tx.groups.list_for_user(POOL, "alice", limit=9))
        return out

    out = run(scenario())
    assert out["deleted"] == (True, False)
    assert out["two"] == ["alice"]
    assert out["alice"] == ["two"]
    assert out["new one"] == []
    assert out["after pool"] == (0, [])


# --- the listings are index ranges -------------------------------------------------------------------------

PLANNED = {
    # statement: (the index it must read, in order)
    "members": (sql_groups._MEMBERS_AFTER, "pk_group_members"),
    "groups of a user": (sql_groups._FOR_USER_AFTER, "ix_group_members_pool_id_username_key_group_key"),
    "groups": (sql_groups._LIST_AFTER, "pk_groups"),
    "a sign-in's groups": (sql_groups._TOKEN_GROUPS, "ix_group_members_pool_id_username_key_group_key"),
}
PARAMS = {"b_pool_id": POOL, "b_group_key": "g", "b_username_key": "u", "b_after": "a", "b_limit": 60}


def _compiled(statement: Any, dialect: Any) -> tuple[str, list[Any]]:
    """The statement's SQL in the dialect's positional form, and its parameters in order."""
    compiled = statement.compile(dialect=dialect)
    return compiled.string, [PARAMS.get(name, compiled.params.get(name)) for name in compiled.positiontup]


@pytest.mark.parametrize("listing", sorted(PLANNED))
def test_each_listing_reads_one_ordered_index_range(store: Store, database_url: str, backend: str,
                                                    run: Any, listing: str) -> None:
    """What keeps ListUsersInGroup, AdminListGroupsForUser, ListGroups and a sign-in's group claims as fast in a
    pool of a million users as in one of ten: an index range in the listing's order (no sort, no scan of the
    pool's members)."""
    statement, index = PLANNED[listing]
    if backend == "sqlite":
        path = database_url.removeprefix("sqlite:///")
        with contextlib.closing(sqlite3.connect(path)) as conn:
            sql, values = _compiled(statement, sqlite_dialect.dialect())
            plan = " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", values))
        assert "TEMP B-TREE" not in plan, plan
        first = plan.split(" | ")[0]
        sqlite_name = {"pk_groups": "sqlite_autoindex_groups_1",
                       "pk_group_members": "sqlite_autoindex_group_members_1"}.get(index, index)
        assert first.startswith("SEARCH") and f"INDEX {sqlite_name} " in first, plan
        return

    async def pg_plan() -> str:
        import asyncpg

        await setup(store)
        conn = await asyncpg.connect(database_url)
        try:
            # A pool of 20,000 users, each in 2 of 1,000 groups, analysed: the planner then chooses as it would for
            # a large pool (on empty tables it may take a range of the other index and filter it).
            await conn.execute(f"""
                INSERT INTO users (pool_id, username_key, username, sub, status, enabled, created_at, updated_at,
                                   attributes, failed_attempts, extra)
                SELECT '{POOL}', 'u' || lpad(i::text, 6, '0'), 'u' || i, gen_random_uuid()::text, 'CONFIRMED',
                       true, 0, 0, '{{}}', 0, '{{}}' FROM generate_series(1, 20000) AS i;
                INSERT INTO groups (pool_id, name_key, name, created_at, updated_at)
                SELECT '{POOL}', 'g' || lpad(i::text, 3, '0'), 'G' || i, 0, 0 FROM generate_series(0, 999) AS i;
                INSERT INTO group_members (pool_id, group_key, username_key)
                SELECT '{POOL}', 'g' || lpad((i % 1000)::text, 3, '0'), 'u' || lpad(i::text, 6, '0')
                FROM generate_series(1, 20000) AS i
                UNION ALL
                SELECT '{POOL}', 'g' || lpad(((i + 7) % 1000)::text, 3, '0'), 'u' || lpad(i::text, 6, '0')
                FROM generate_series(1, 20000) AS i;
                ANALYZE users; ANALYZE groups; ANALYZE group_members;
            """)
            sql, values = _compiled(statement, asyncpg_dialect.dialect())
            realistic = {"g": "g007", "u": "u000123", "a": "u000100"}
            rows = await conn.fetch("EXPLAIN " + sql, *(realistic.get(v, v) if isinstance(v, str) else v
                                                         for v in values))
            return " | ".join(row[0] for row in rows)
        finally:
            await conn.close()

    plan = run(pg_plan())
    assert "Sort" not in plan and "Seq Scan" not in plan, plan
    assert index in plan, plan

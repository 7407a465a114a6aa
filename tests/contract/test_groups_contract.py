"""The groups port: every test runs on SQLite and PostgreSQL (see conftest.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from contract_records import OTHER_POOL, POOL, T0, a_user, setup

from userpools.domain.groups import GroupRecord, group_key
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

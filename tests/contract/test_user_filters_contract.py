"""The contract of ListUsers' listing and filters (``users.list``): every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from typing import Any

import pytest
from contract_records import OTHER_POOL, POOL, T0, a_user, keys, matching, setup

from statements import captured_statements
from userpools.domain.records import FILTERABLE_ATTRIBUTES, PoolRecord, UserFilter
from userpools.storage.ports import Store

# --- listing and filters -----------------------------------------------------------------------------


def test_list_pages_through_the_pools_users_only(store: Store, run: Any) -> None:
    mine = [f"user{n:02d}" for n in range(11)] + ["User", "b"]

    async def body() -> None:
        await setup(store, *(a_user(k) for k in mine), a_user("a", pool_id=OTHER_POOL))
        seen: list[str] = []
        after: str | None = None
        while page := await keys(store, limit=4, after_key=after):
            assert len(page) <= 4
            seen += page
            after = page[-1]
        assert seen == sorted(mine)
        assert await keys(store, OTHER_POOL) == ["a"]
        assert await keys(store, "us-east-1_missing") == []

    run(body())


def test_every_filterable_name_finds_its_value(store: Store, run: Any) -> None:
    attributes = {
        "email": "ann@example.com",
        "phone_number": "+15550100",
        "name": "Ann Smith",
        "given_name": "Ann",
        "family_name": "Smith",
        "preferred_username": "annie",
        "custom:email": "not-filterable",
    }
    ann_sub, bob_sub = "0a11ce00-0000-4000-8000-000000000001", "b0b00000-0000-4000-8000-000000000002"
    ann = a_user("ann", username="Ann", sub=ann_sub, attributes=attributes, status="UNCONFIRMED")
    bob = a_user("bob", sub=bob_sub, attributes={"email": "bob@example.com"}, enabled=False)
    expected = {
        **attributes,
        "username": "Ann",
        "cognito:user_status": "UNCONFIRMED",
        "status": "Enabled",
        "sub": ann.sub,
    }

    async def body() -> None:
        await setup(store, ann, bob, a_user("ann", pool_id=OTHER_POOL, attributes=attributes))
        for name in FILTERABLE_ATTRIBUTES:
            assert await matching(store, name, expected[name]) == ["ann"], name
            assert await matching(store, name, expected[name][:3], prefix=True) == ["ann"], name
        assert await matching(store, "username", "ann") == []  # the name as created, case kept
        assert await matching(store, "status", "Disabled") == ["bob"]
        assert await matching(store, "cognito:user_status", "CONFIRMED") == ["bob"]
        assert await matching(store, "given_name", "", prefix=True) == ["ann"]  # present only for ann
        assert await matching(store, "email", "", prefix=True) == ["ann", "bob"]
        async with store.transaction() as tx:
            with pytest.raises(ValueError):
                await tx.users.list(POOL, limit=10, where=UserFilter("custom:email", "not-filterable"))

    run(body())


# Values around the edges of UTF-8: multi-byte, the surrogate gap (U+D7FF | U+E000), the last BMP code point,
# the first supplementary one, and the last code point of all.
VALUES = [
    "a",
    "ab",
    "abc",
    "ab\x7f",
    "ab\x80",
    "abé",
    "ab\u07ff",
    "ab\u0800",
    "ab\ud7ff",
    "ab\ud7ffz",
    "ab\ue000",
    "ab\uffff",
    "ab\U00010000",
    "ab\U0010ffff",
    "ab\U0010ffff\U0010ffff",
    "ab\U0010ffffz",
    "ac",
    "b",
    "日本語",
    "日本",
    "日",
    "😀😀",
    "😀",
    "\U0010ffff",
    "\U0010ffff\U0010ffff",
    "\U0010ffffa",
]
PREFIXES = [
    "",
    "a",
    "ab",
    "abc",
    "ab\x7f",
    "abé",
    "ab\ud7ff",
    "ab\ue000",
    "ab\uffff",
    "ab\U0010ffff",
    "ab\U0010ffff\U0010ffff",
    "日本",
    "😀",
    "\U0010ffff",
    "\U0010ffff\U0010ffff",
    "z",
]


def test_prefix_filters_find_exactly_the_values_starting_with_the_prefix(store: Store, run: Any) -> None:
    users = [a_user(f"user{n:02d}", attributes={"name": value}) for n, value in enumerate(VALUES)]

    async def body() -> None:
        await setup(store, *users)
        for prefix in PREFIXES:
            # a prefix listing comes in the index's order: the value, then the username_key
            found = sorted((u.attributes["name"], u.username_key) for u in users if u.attributes["name"].startswith(prefix))
            expected = [key for _, key in found]
            assert await matching(store, "name", prefix, prefix=True) == expected, repr(prefix)
        for value in VALUES:
            expected = [u.username_key for u in users if u.attributes["name"] == value]
            assert await matching(store, "name", value) == expected, repr(value)

    run(body())


def test_filtered_listings_page_by_their_page_keys(store: Store, run: Any) -> None:
    """Exact filters list in username_key order; prefix filters in (value, username_key) order, their page keys
    carrying both. Either way every user comes once, in order, across pages."""
    status = {f"u{n:02d}": ("CONFIRMED" if n % 3 else "UNCONFIRMED") for n in range(20)}
    # emails in the opposite order of the usernames, so the two orders differ
    users = [a_user(key, status=status[key], attributes={"email": f"{99 - int(key[1:])}x{key}@example.com"})
             for key in reversed(status)]

    async def page_through(where: UserFilter) -> list[str]:
        seen: list[str] = []
        after: str | None = None
        while True:
            async with store.transaction() as tx:
                page = list(await tx.users.list(POOL, limit=3, after_key=after, where=where))
                if not page:
                    return seen
                assert len(page) <= 3
                seen += [u.username_key for u in page]
                after = tx.users.page_key(page[-1], where)

    async def body() -> None:
        await setup(store, *users)
        confirmed = await page_through(UserFilter("cognito:user_status", "CONFIRMED"))
        assert confirmed == sorted(k for k in status if status[k] == "CONFIRMED")
        eighties = await page_through(UserFilter("email", "8", prefix=True))  # u19 (80x…) … u10 (89x…)
        assert eighties == [f"u{n}" for n in range(19, 9, -1)]
        assert await page_through(UserFilter("email", "", prefix=True)) == [f"u{n:02d}" for n in range(19, -1, -1)]
        async with store.transaction() as tx:
            after = tx.users.page_key(next(u for u in users if u.username_key == "u15"), UserFilter("email", "8", True))
        assert await keys(store, limit=2, after_key=after, where=UserFilter("email", "8", prefix=True)) == [
            "u14",
            "u13",
        ]
        assert await keys(store, limit=5, after_key="u19", where=UserFilter("status", "Enabled")) == []

    run(body())


def test_the_filter_index_follows_updates(store: Store, run: Any) -> None:
    async def body() -> None:
        await setup(store, a_user("alice", status="UNCONFIRMED"), a_user("bob"))
        async with store.transaction() as tx:
            alice = await tx.users.get(POOL, "alice", for_update=True)
            assert alice is not None
            await tx.users.update(
                replace(alice, status="CONFIRMED", attributes={"email": "alice@new.example", "name": "A"})
            )
        assert await matching(store, "email", "alice@new.example") == ["alice"]
        assert await matching(store, "email", "alice@example.com") == []
        assert await matching(store, "email", "alice", prefix=True) == ["alice"]
        assert await matching(store, "cognito:user_status", "CONFIRMED") == ["alice", "bob"]
        assert await matching(store, "cognito:user_status", "UNCONFIRMED") == []
        assert await matching(store, "name", "A") == ["alice"]
        async with store.transaction() as tx:
            bob = await tx.users.get(POOL, "bob")
            assert bob is not None
            await tx.users.update(replace(bob, enabled=False, status="RESET_REQUIRED", attributes={}))
        assert await matching(store, "status", "Disabled") == ["bob"]
        assert await matching(store, "status", "Enabled") == ["alice"]
        assert await matching(store, "cognito:user_status", "RESET_REQUIRED") == ["bob"]
        assert await matching(store, "email", "bob", prefix=True) == []
        assert await matching(store, "username", "bob") == ["bob"]
        assert await matching(store, "sub", a_user("bob").sub) == ["bob"]

    run(body())


def test_long_values_are_kept_whole_and_found_by_their_beginning(store: Store, run: Any) -> None:
    # 2048 characters of 3 UTF-8 bytes each: past PostgreSQL's B-tree entry limit if indexed whole.
    long_name = "".join(chr(0x4E00 + (n * 7919) % 20000) for n in range(2048))
    head = long_name[:255]

    async def body() -> None:
        await setup(
            store, a_user("long", attributes={"name": long_name}), a_user("head", attributes={"name": head})
        )
        async with store.transaction() as tx:
            assert (await tx.users.get(POOL, "long")).attributes["name"] == long_name  # type: ignore[union-attr]
        assert await matching(store, "name", head[:100], prefix=True) == ["head", "long"]
        assert await matching(store, "name", head, prefix=True) == ["head", "long"]
        assert await matching(store, "name", head) == ["head"]
        async with store.transaction() as tx:
            with pytest.raises(ValueError):
                await tx.users.list(POOL, limit=10, where=UserFilter("name", long_name[:256]))

    run(body())


def test_a_filtered_page_of_a_large_pool_is_fast_and_reads_the_index(
    store: Store, backend: str, run: Any
) -> None:
    size = 3000
    users = [
        a_user(
            f"user{n:05d}",
            sub=str(uuid.UUID(int=n)),
            status="UNCONFIRMED" if n % 50 == 0 else "CONFIRMED",
            attributes={"email": f"m{n % 300:03d}@example.com", "name": f"Name {n}"},
        )
        for n in range(size)
    ]
    filters = [
        (UserFilter("email", "m042@example.com"), None),
        (UserFilter("email", "m042@example.com"), "user00042"),
        (UserFilter("email", "m04", prefix=True), None),
        (UserFilter("email", "m04", prefix=True), "m040@example.com\x00user01000"),  # value NUL key
        (UserFilter("cognito:user_status", "UNCONFIRMED"), "user01000"),
    ]

    async def body() -> None:
        async with store.transaction() as tx:
            for pool_id in (POOL, OTHER_POOL):
                await tx.pools.insert(PoolRecord(pool_id, "pool", T0, T0, {}))
            for user in users:
                await tx.users.insert(user)
            for user in users[:500]:  # the same users in another pool, which no page may show
                await tx.users.insert(replace(user, pool_id=OTHER_POOL))
        engine = store.engine  # type: ignore[attr-defined]
        if backend == "postgresql":
            async with engine.begin() as conn:
                await conn.exec_driver_sql("ANALYZE")
        with captured_statements(store) as statements:
            async with store.transaction() as tx:
                for where, after in filters:
                    page = await tx.users.list(POOL, limit=60, after_key=after, where=where)
                    assert page and all(u.pool_id == POOL for u in page)
        listed = [(s, p) for s, p in statements if "user_index" in s]
        assert len(listed) == len(filters)
        async with engine.connect() as conn:
            for statement, parameters in listed:
                plan = await explain(conn, backend, statement, parameters)
                assert "ix_user_index_pool_id_name_value_username_key" in plan, plan
                assert "Seq Scan" not in plan and "SCAN " not in plan, plan
                # users are read by key, one per index entry: never a walk of the pool's users
                by_key = (
                    "(username_key = user_index.username_key)"
                    if backend == "postgresql"
                    else "(pool_id=? AND username_key=?)"
                )
                assert by_key in plan, plan

        pages = 40
        started = time.perf_counter()
        async with store.transaction() as tx:
            for n in range(pages):
                where, after = filters[n % len(filters)]
                await tx.users.list(POOL, limit=60, after_key=after, where=where)
        per_page = (time.perf_counter() - started) / pages
        assert per_page < 0.02, f"{per_page * 1000:.1f} ms a page"  # ~1 ms: it reads 10 to 100 entries

    run(body())


async def explain(conn: Any, backend: str, statement: str, parameters: Any) -> str:
    if backend == "sqlite":
        rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in rows)
    rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
    return "\n".join(str(row[0]) for row in rows)

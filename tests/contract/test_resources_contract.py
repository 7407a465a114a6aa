"""The pool resources port (domains, resource servers, UI customizations): every test runs on SQLite and
PostgreSQL (see conftest.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from userpools.domain.records import PoolRecord
from userpools.domain.resources import (
    DOMAIN,
    RESOURCE_SERVER,
    UI_CUSTOMIZATION,
    PoolResource,
    resource_server_key,
    ui_customization_key,
)
from userpools.storage.ports import Conflict, Store

T0 = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
POOL = "us-east-1_Pool00001"
OTHER = "us-east-1_Pool00002"


def a_server(identifier: str, pool_id: str = POOL, **changes: Any) -> PoolResource:
    document = {
        "UserPoolId": pool_id,
        "Identifier": identifier,
        "Name": "API — ünïcode",
        "Scopes": [{"ScopeName": "read", "ScopeDescription": "Read things"}],
    }
    return replace(
        PoolResource(RESOURCE_SERVER, resource_server_key(pool_id, identifier), pool_id, T0, T0, document),
        **changes,
    )


async def with_pools(store: Store, *pool_ids: str) -> None:
    async with store.transaction() as tx:
        for pool_id in pool_ids:
            await tx.pools.insert(PoolRecord(pool_id, "pool", T0, T0, {}))


def test_a_resource_reads_back_as_written(store: Store, run: Any) -> None:
    server = a_server("https://api.example.com")

    async def scenario() -> PoolResource | None:
        await with_pools(store, POOL)
        async with store.transaction() as tx:
            await tx.resources.insert(server)
        async with store.transaction(readonly=True) as tx:
            return await tx.resources.get(RESOURCE_SERVER, server.key)

    assert run(scenario()) == server


def test_inserting_the_same_kind_and_key_twice_raises_conflict_even_from_another_pool(
    store: Store, run: Any
) -> None:
    mine = PoolResource(DOMAIN, "myapp", POOL, T0, T0, {"Domain": "myapp"})
    theirs = replace(mine, pool_id=OTHER)

    async def scenario() -> tuple[bool, PoolResource | None]:
        await with_pools(store, POOL, OTHER)
        async with store.transaction() as tx:
            await tx.resources.insert(mine)
        async with store.transaction() as tx:
            try:
                await tx.resources.insert(theirs)
                conflicted = False
            except Conflict:
                conflicted = True
            # the transaction stays usable after a Conflict
            return conflicted, await tx.resources.get(DOMAIN, "myapp")

    conflicted, stored = run(scenario())
    assert conflicted
    assert stored == mine


def test_the_same_key_in_another_kind_is_another_resource(store: Store, run: Any) -> None:
    domain = PoolResource(DOMAIN, "k", POOL, T0, T0, {"a": 1})
    custom = PoolResource(UI_CUSTOMIZATION, "k", POOL, T0, T0, {"b": 2})

    async def scenario() -> tuple[PoolResource | None, PoolResource | None]:
        await with_pools(store, POOL)
        async with store.transaction() as tx:
            await tx.resources.insert(domain)
            await tx.resources.insert(custom)
            return await tx.resources.get(DOMAIN, "k"), await tx.resources.get(UI_CUSTOMIZATION, "k")

    assert run(scenario()) == (domain, custom)


def test_update_replaces_document_and_updated_at_only(store: Store, run: Any) -> None:
    server = a_server("api")
    later = T0 + timedelta(minutes=5)
    changed = replace(
        server,
        document={"Identifier": "api", "Scopes": []},
        updated_at=later,
        created_at=later,
        pool_id=OTHER,
    )

    async def scenario() -> PoolResource | None:
        await with_pools(store, POOL, OTHER)
        async with store.transaction() as tx:
            await tx.resources.insert(server)
        async with store.transaction() as tx:
            assert await tx.resources.get(RESOURCE_SERVER, server.key, for_update=True) == server
            await tx.resources.update(changed)
        async with store.transaction(readonly=True) as tx:
            return await tx.resources.get(RESOURCE_SERVER, server.key)

    assert run(scenario()) == replace(server, document=changed.document, updated_at=later)


def test_delete_reports_whether_there_was_a_resource(store: Store, run: Any) -> None:
    server = a_server("api")

    async def scenario() -> tuple[bool, bool, PoolResource | None]:
        await with_pools(store, POOL)
        async with store.transaction() as tx:
            await tx.resources.insert(server)
        async with store.transaction() as tx:
            first = await tx.resources.delete(RESOURCE_SERVER, server.key)
            second = await tx.resources.delete(RESOURCE_SERVER, server.key)
            return first, second, await tx.resources.get(RESOURCE_SERVER, server.key)

    assert run(scenario()) == (True, False, None)


def test_list_gives_one_pools_resources_of_one_kind_in_key_order_by_keyset(store: Store, run: Any) -> None:
    # byte-wise order on both engines: upper case before lower case, "/" and ":" by code point
    identifiers = ["b", "B", "a", "https://z.example.com", "a:b", "é", "a/b"]
    servers = [a_server(i) for i in identifiers]
    elsewhere = [
        a_server("a", pool_id=OTHER),
        PoolResource(UI_CUSTOMIZATION, ui_customization_key(POOL, None), POOL, T0, T0, {}),
    ]

    async def scenario() -> list[list[str]]:
        await with_pools(store, POOL, OTHER)
        async with store.transaction() as tx:
            for resource in servers + elsewhere:
                await tx.resources.insert(resource)
        pages: list[list[str]] = []
        after = None
        async with store.transaction(readonly=True) as tx:
            while True:
                page = await tx.resources.list(POOL, RESOURCE_SERVER, limit=3, after_key=after)
                if not page:
                    return pages
                pages.append([r.key for r in page])
                after = page[-1].key

    expected = sorted((s.key for s in servers), key=lambda k: k.encode())
    pages = run(scenario())
    assert [k for page in pages for k in page] == expected
    assert [len(p) for p in pages] == [3, 3, 1]


def test_deleting_the_pool_deletes_its_resources_only(store: Store, run: Any) -> None:
    mine = [a_server("api"), PoolResource(DOMAIN, "mine", POOL, T0, T0, {})]
    theirs = PoolResource(DOMAIN, "theirs", OTHER, T0, T0, {})

    async def scenario() -> tuple[list[PoolResource | None], PoolResource | None]:
        await with_pools(store, POOL, OTHER)
        async with store.transaction() as tx:
            for resource in [*mine, theirs]:
                await tx.resources.insert(resource)
        async with store.transaction() as tx:
            assert await tx.pools.delete(POOL)
        async with store.transaction(readonly=True) as tx:
            gone = [await tx.resources.get(r.kind, r.key) for r in mine]
            return gone, await tx.resources.get(DOMAIN, "theirs")

    assert run(scenario()) == ([None, None], theirs)


@pytest.mark.parametrize("kind", [DOMAIN, RESOURCE_SERVER, UI_CUSTOMIZATION])
def test_an_unknown_resource_is_none(store: Store, run: Any, kind: str) -> None:
    async def scenario() -> PoolResource | None:
        async with store.transaction(readonly=True) as tx:
            return await tx.resources.get(kind, "nothing")

    assert run(scenario()) is None


def test_kinds_lists_each_kind_the_pool_has_once_sorted(store: Store, run: Any) -> None:
    mine = [a_server("api"), a_server("other"), PoolResource(DOMAIN, "mine", POOL, T0, T0, {})]
    theirs = PoolResource(UI_CUSTOMIZATION, ui_customization_key(OTHER, None), OTHER, T0, T0, {})

    async def scenario() -> tuple[list[str], list[str], list[str]]:
        await with_pools(store, POOL, OTHER, "us-east-1_Pool00003")
        async with store.transaction() as tx:
            for resource in [*mine, theirs]:
                await tx.resources.insert(resource)
        async with store.transaction(readonly=True) as tx:
            return (list(await tx.resources.kinds(POOL)), list(await tx.resources.kinds(OTHER)),
                    list(await tx.resources.kinds("us-east-1_Pool00003")))

    assert run(scenario()) == ([DOMAIN, RESOURCE_SERVER], [UI_CUSTOMIZATION], [])

"""Pools and clients read through the store stay current: a change is seen by the next transaction, in this
process or another one on the same database (each process caches them, checked against a configuration
generation: SQLite's file header, PostgreSQL's config_generation row; the contract is the same)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import asyncpg
import pytest
from contract_records import POOL, T0, setup

from statements import captured_statements
from userpools.domain.records import ClientRecord, PoolResource
from userpools.domain.resources import (
    DOMAIN,
    MANAGED_LOGIN_BRANDING,
    MANAGED_LOGIN_BRANDING_CLIENT,
    RESOURCE_SERVER,
    UI_CUSTOMIZATION,
)
from userpools.storage.engine import open_store
from userpools.storage.ports import Store


async def pool_settings(store: Store) -> dict[str, Any]:
    async with store.transaction(readonly=True) as tx:
        pool = await tx.pools.get(POOL)
        assert pool is not None
        return dict(pool.settings)


async def client_name(store: Store, client_id: str) -> str | None:
    async with store.transaction(readonly=True) as tx:
        client = await tx.clients.get(client_id)
        return None if client is None else client.name


class Abort(Exception):
    pass


async def change_in(store: Store, settings: dict[str, Any], *, then_abort: bool = False) -> None:
    """The pool's settings replaced in one write transaction (which then raises Abort, when asked)."""
    async with store.transaction() as tx:
        pool = await tx.pools.get(POOL)
        assert pool is not None
        await tx.pools.update(replace(pool, settings=settings))
        if then_abort:
            raise Abort


def test_a_change_in_another_process_is_seen_by_the_next_transaction(
    store: Store, database_url: str, run: Any
) -> None:
    async def body() -> None:
        await setup(store)
        async with store.transaction() as tx:
            await tx.clients.insert(ClientRecord("client1", POOL, "first", T0, T0, None, {}))
        assert await pool_settings(store) == {}
        assert await client_name(store, "client1") == "first"  # both now read (and cached) here
        other = await open_store(database_url, migrate=False)  # another process's store
        try:
            async with other.transaction() as tx:
                pool = await tx.pools.get(POOL)
                assert pool is not None
                await tx.pools.update(replace(pool, settings={"MfaConfiguration": "OPTIONAL"}))
                client = await tx.clients.get("client1")
                assert client is not None
                await tx.clients.update(replace(client, name="renamed"))
            assert await pool_settings(store) == {"MfaConfiguration": "OPTIONAL"}
            assert await client_name(store, "client1") == "renamed"
            async with other.transaction() as tx:
                assert await tx.clients.delete("client1")
            assert await client_name(store, "client1") is None
        finally:
            await other.close()

    run(body())


def test_a_transaction_reads_its_own_changes_and_a_rollback_changes_nothing(store: Store, run: Any) -> None:
    async def body() -> None:
        await setup(store)
        assert await pool_settings(store) == {}
        async with store.transaction() as tx:
            pool = await tx.pools.get(POOL)
            assert pool is not None
            await tx.pools.update(replace(pool, settings={"a": 1}))
            again = await tx.pools.get(POOL)
            assert again is not None and again.settings == {"a": 1}
        assert await pool_settings(store) == {"a": 1}

        with pytest.raises(Abort):
            await change_in(store, {"a": 2}, then_abort=True)
        assert await pool_settings(store) == {"a": 1}

    run(body())


def test_a_reader_older_than_a_change_does_not_put_stale_rows_in_the_cache(store: Store, run: Any) -> None:
    async def body() -> None:
        await setup(store)
        async with store.transaction(readonly=True) as old:
            first = await old.pools.get(POOL)  # this snapshot predates the update below
            assert first is not None
            async with store.transaction() as tx:
                await tx.pools.update(replace(first, settings={"b": 1}))
            assert await pool_settings(store) == {"b": 1}  # a new transaction sees the change
            stale = await old.pools.get(POOL)  # the old snapshot still sees its own state…
            assert stale is not None
        assert await pool_settings(store) == {"b": 1}  # …and that did not replace the newer one

    run(body())


def test_pools_and_clients_are_read_once_then_served_from_the_cache(store: Store, run: Any) -> None:
    async def body() -> None:
        await setup(store)
        async with store.transaction() as tx:
            await tx.clients.insert(ClientRecord("client1", POOL, "first", T0, T0, None, {}))
        assert await pool_settings(store) == {} and await client_name(store, "client1") == "first"
        with captured_statements(store) as statements:
            assert await pool_settings(store) == {} and await client_name(store, "client1") == "first"
        # no pool or client row read again; left: the generation (PostgreSQL: its row, once per transaction;
        # SQLite: its file header, read beside the statements the store records)
        assert not any("user_pool" in sql for sql, _ in statements)
        assert all("config_generation" in sql for sql, _ in statements) and len(statements) <= 2

    run(body())


def test_a_change_goes_through_when_the_generation_row_is_missing(
    store: Store, database_url: str, run: Any, backend: str
) -> None:
    """PostgreSQL's generation is a row (SQLite's, its file header); a missing row counts as 0 and the next
    change writes it again. (The suite empties every table between tests, that row included.)"""
    if backend != "postgresql":
        pytest.skip("SQLite keeps the generation in its file header")

    async def body() -> None:
        await setup(store)
        assert await pool_settings(store) == {}
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute("DELETE FROM config_generation")
        finally:
            await conn.close()
        assert await pool_settings(store) == {}
        async with store.transaction() as tx:
            pool = await tx.pools.get(POOL)
            assert pool is not None
            await tx.pools.update(replace(pool, settings={"c": 1}))
        assert await pool_settings(store) == {"c": 1}
        other = await open_store(database_url, migrate=False)
        try:
            assert await pool_settings(other) == {"c": 1}
            async with other.transaction() as tx:
                pool = await tx.pools.get(POOL)
                assert pool is not None
                await tx.pools.update(replace(pool, settings={"c": 2}))
        finally:
            await other.close()
        assert await pool_settings(store) == {"c": 2}

    run(body())


def test_writers_sharing_a_commit_see_each_others_changes_and_an_undone_change_is_no_change(
    store: Store, database_url: str, run: Any, backend: str
) -> None:
    """On SQLite the writers queued together share one transaction (a group commit) and read the generation
    once for the group; a change inside a savepoint that is rolled back, or in a member that fails, must not
    leave this process's cache a generation ahead of the file (another process's next change would then look
    already cached)."""

    async def body() -> None:
        await setup(store)
        seen: dict[str, dict[str, Any]] = {}

        async def read(name: str) -> None:
            async with store.transaction() as tx:
                pool = await tx.pools.get(POOL)
                assert pool is not None
                seen[name] = dict(pool.settings)

        async def change_then_undo_part() -> None:
            async with store.transaction() as tx:
                pool = await tx.pools.get(POOL)
                assert pool is not None
                try:
                    async with tx.savepoint():
                        await tx.pools.update(replace(pool, settings={"undone": 1}))
                        raise Abort
                except Abort:
                    pass

        async def change_then_fail() -> None:
            with pytest.raises(Abort):
                await change_in(store, {"failed": 1}, then_abort=True)

        await asyncio.gather(read("first"), change_then_undo_part(), read("second"), change_then_fail(),
                             read("third"))
        assert seen == {"first": {}, "second": {}, "third": {}}

        await asyncio.gather(read("before"), change_in(store, {"d": 1}), read("after"))
        if backend == "sqlite":  # one after the other (PostgreSQL's run side by side)
            assert seen["before"] == {} and seen["after"] == {"d": 1}
        assert await pool_settings(store) == {"d": 1}
        other = await open_store(database_url, migrate=False)  # another process's store
        try:
            await change_in(other, {"d": 2})
            assert await pool_settings(store) == {"d": 2}
            await asyncio.gather(read("again"), change_then_undo_part(), read("last"))
            await change_in(other, {"d": 3})
            assert await pool_settings(store) == {"d": 3}
        finally:
            await other.close()

    run(body())




async def domain_pool(store: Store, domain: str) -> str | None:
    async with store.transaction(readonly=True) as tx:
        found = await tx.resources.get(DOMAIN, domain)
        return None if found is None else found.pool_id


async def scope_names(store: Store) -> list[list[str]]:
    async with store.transaction(readonly=True) as tx:
        servers = await tx.resources.list(POOL, RESOURCE_SERVER, limit=1000)
        return [[s["ScopeName"] for s in server.document.get("Scopes", [])] for server in servers]


def test_domains_and_resource_servers_are_cached_and_a_change_in_another_process_is_seen(
    store: Store, database_url: str, run: Any
) -> None:
    """The OAuth endpoints read a domain's pool and the pool's resource servers on every token: they are
    kept with the pools and clients, and their writes bump the same generation."""

    async def body() -> None:
        await setup(store)
        assert await domain_pool(store, "myapp") is None  # "no such domain" is cached too…
        assert await scope_names(store) == []
        with captured_statements(store) as statements:
            assert await domain_pool(store, "myapp") is None
            assert await scope_names(store) == []
        assert not any("pool_resources" in sql for sql, _ in statements)
        other = await open_store(database_url, migrate=False)  # another process's store
        try:
            async with other.transaction() as tx:
                await tx.resources.insert(PoolResource(DOMAIN, "myapp", POOL, T0, T0, {"Domain": "myapp"}))
                await tx.resources.insert(PoolResource(
                    RESOURCE_SERVER, f"{POOL}/api", POOL, T0, T0, {"Scopes": [{"ScopeName": "read"}]}
                ))
            assert await domain_pool(store, "myapp") == POOL  # …until a write anywhere bumps the generation
            assert await scope_names(store) == [["read"]]
            async with other.transaction() as tx:
                found = await tx.resources.get(RESOURCE_SERVER, f"{POOL}/api", for_update=True)
                assert found is not None
                await tx.resources.update(replace(found, document={"Scopes": [{"ScopeName": "write"}]}))
            assert await scope_names(store) == [["write"]]
            async with other.transaction() as tx:
                assert await tx.resources.delete(DOMAIN, "myapp")
            assert await domain_pool(store, "myapp") is None
        finally:
            await other.close()

    run(body())


def test_a_memo_of_the_configuration_lasts_until_it_changes_in_any_process(
    store: Store, database_url: str, run: Any
) -> None:
    """``config_memo``: what a transaction puts in the memo of the configuration it sees is there for a reader
    without a transaction while that configuration is the last committed one, and gone at a change (here, in
    another process's store); a transaction that changed the configuration gets no memo."""

    async def body() -> None:
        await setup(store)
        async with store.transaction(readonly=True) as tx:
            memo = await tx.config_memo()
            assert memo is not None
            memo["worked out"] = 1
        now = await store.config_memo()
        assert now is not None and now.get("worked out") == 1
        async with store.transaction(readonly=True) as tx:  # a transaction seeing the same configuration
            again = await tx.config_memo()
            assert again is not None and again.get("worked out") == 1
        other = await open_store(database_url, migrate=False)  # another process's store
        try:
            async with other.transaction() as tx:
                await tx.clients.insert(ClientRecord("client9", POOL, "new", T0, T0, None, {}))
                assert await tx.config_memo() is None  # it changed the configuration
        finally:
            await other.close()
        after = await store.config_memo()
        assert after is not None and "worked out" not in after
        assert memo is not after  # a new memo: the old one, still held here, is nobody's now

    run(body())


@pytest.mark.parametrize("kind", [UI_CUSTOMIZATION, MANAGED_LOGIN_BRANDING, MANAGED_LOGIN_BRANDING_CLIENT])
def test_a_write_of_the_pages_look_ends_the_configurations_memo(store: Store, run: Any, kind: str) -> None:
    """The hosted pages keep their look (classic UI customization, managed login branding) in the configuration's
    memo: these resources are not cached, but each write of one (insert, update, delete) is a new configuration."""

    async def body() -> None:
        await setup(store)
        resource = PoolResource(kind, f"{POOL}/look", POOL, T0, T0, {"CSS": ".a{}"})

        async def kept_then_changed(write: Any) -> None:
            memo = await store.config_memo()
            assert memo is not None
            memo["look"] = 1
            async with store.transaction() as tx:
                await write(tx)
            after = await store.config_memo()
            assert after is not None and "look" not in after

        await kept_then_changed(lambda tx: tx.resources.insert(resource))
        await kept_then_changed(lambda tx: tx.resources.update(replace(resource, document={"CSS": ".b{}"})))
        await kept_then_changed(lambda tx: tx.resources.delete(kind, resource.key))

    run(body())

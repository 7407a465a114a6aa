"""The store's contract: every test runs on SQLite and on PostgreSQL (see conftest.py)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import column, func, select, table, text

import pg
from userpools.domain.records import ClientRecord, PoolRecord, SigningKeyRecord
from userpools.storage.engine import async_url, create_engine, migrate, open_store
from userpools.storage.ports import Conflict, Store
from userpools.storage.schema import metadata

T0 = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)

SETTINGS: dict[str, Any] = {
    "Policies": {"PasswordPolicy": {"MinimumLength": 8, "RequireSymbols": True}},
    "LambdaConfig": {},
    "SchemaAttributes": [
        {
            "Name": "email",
            "Mutable": True,
            "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"},
        }
    ],
    "EmailVerificationMessage": "Ihr Bestätigungscode lautet {####} — 验证码 🔐",
    "Nested": {"a": {"b": {"c": [1, 2.5, None, False, '"quoted" \\ back/slash\n\ttab']}}},
    "Empty": {"list": [], "string": ""},
    "Numbers": {"big": 2**53 + 1, "small": -1.5e-7, "zero": 0},
}


def a_pool(pool_id: str = "us-east-1_Pool00001", **changes: Any) -> PoolRecord:
    return replace(PoolRecord(pool_id, "pool", T0, T0, {"Policies": {}}), **changes)


def a_client(client_id: str, pool_id: str = "us-east-1_Pool00001", **changes: Any) -> ClientRecord:
    return replace(ClientRecord(client_id, pool_id, "client", T0, T0, b"\x00secret\xff", {"a": 1}), **changes)


def a_key(kid: str, pool_id: str = "us-east-1_Pool00001", **changes: Any) -> SigningKeyRecord:
    jwk = {"kty": "RSA", "kid": kid, "n": "AQAB" * 64, "e": "AQAB", "alg": "RS256", "use": "sig"}
    return replace(SigningKeyRecord(kid, pool_id, "id", b"-----BEGIN-----\x00\x01", jwk, T0), **changes)


async def insert(store: Store, *records: PoolRecord | ClientRecord | SigningKeyRecord) -> None:
    async with store.transaction() as tx:
        for record in records:
            if isinstance(record, PoolRecord):
                await tx.pools.insert(record)
            elif isinstance(record, ClientRecord):
                await tx.clients.insert(record)
            else:
                await tx.signing_keys.insert(record)


# --- pools -------------------------------------------------------------------------------------------


def test_inserted_pool_reads_back_equal(store: Store, run: Any) -> None:
    pool = a_pool(settings=SETTINGS)

    async def body() -> None:
        await insert(store, pool)
        async with store.transaction() as tx:
            assert await tx.pools.get(pool.id) == pool
            assert await tx.pools.get(pool.id, for_update=True) == pool

    run(body())


def test_get_missing_pool_returns_none(store: Store, run: Any) -> None:
    async def body() -> None:
        async with store.transaction() as tx:
            assert await tx.pools.get("us-east-1_missing") is None
            assert await tx.pools.get("us-east-1_missing", for_update=True) is None

    run(body())


def test_inserting_a_pool_twice_raises_conflict(store: Store, run: Any) -> None:
    async def body() -> None:
        await insert(store, a_pool(name="first"))
        with pytest.raises(Conflict):
            await insert(store, a_pool(name="second"))
        async with store.transaction() as tx:
            assert (await tx.pools.get(a_pool().id)).name == "first"  # type: ignore[union-attr]

    run(body())


def test_a_conflict_leaves_the_transaction_usable(store: Store, run: Any) -> None:
    async def body() -> None:
        await insert(store, a_pool())
        async with store.transaction() as tx:
            with pytest.raises(Conflict):
                await tx.pools.insert(a_pool())
            await tx.pools.insert(a_pool("us-east-1_Pool00002"))
        async with store.transaction() as tx:
            assert [p.id for p in await tx.pools.list(limit=10)] == [
                "us-east-1_Pool00001",
                "us-east-1_Pool00002",
            ]

    run(body())


def test_update_pool_replaces_name_updated_at_and_settings(store: Store, run: Any) -> None:
    later = T0 + timedelta(days=1, microseconds=1)

    async def body() -> None:
        await insert(store, a_pool())
        changed = a_pool(name="renamed", updated_at=later, settings=SETTINGS)
        async with store.transaction() as tx:
            await tx.pools.update(changed)
        async with store.transaction() as tx:
            assert await tx.pools.get(changed.id) == changed

    run(body())


def test_delete_pool_says_whether_it_existed(store: Store, run: Any) -> None:
    async def body() -> None:
        await insert(store, a_pool())
        async with store.transaction() as tx:
            assert await tx.pools.delete(a_pool().id) is True
            assert await tx.pools.delete(a_pool().id) is False
            assert await tx.pools.get(a_pool().id) is None

    run(body())


def test_list_pools_pages_through_all_pools_in_byte_order_of_id(store: Store, run: Any) -> None:
    ids = ["us-east-1_abc", "us-east-1_ABC", "us-east-1_Abc", "eu-west-1_Z", "ap-south-1_0", "us-east-1_a9"]

    async def body() -> None:
        await insert(store, *(a_pool(i) for i in ids))
        seen: list[str] = []
        after: str | None = None
        async with store.transaction() as tx:
            while page := await tx.pools.list(limit=4, after_id=after):
                assert len(page) <= 4
                seen += [p.id for p in page]
                after = page[-1].id
            assert await tx.pools.list(limit=100, after_id="zzz") == []
            assert [p.id for p in await tx.pools.list(limit=2)] == sorted(ids)[:2]
        assert seen == sorted(ids)

    run(body())


# --- clients -----------------------------------------------------------------------------------------


def test_inserted_client_reads_back_equal_with_and_without_a_secret(store: Store, run: Any) -> None:
    with_secret = a_client("client1", settings=SETTINGS)
    without = a_client("client2", secret_ciphertext=None)

    async def body() -> None:
        await insert(store, a_pool(), with_secret, without)
        async with store.transaction() as tx:
            assert await tx.clients.get("client1") == with_secret
            assert await tx.clients.get("client2", for_update=True) == without
            assert await tx.clients.get("missing") is None

    run(body())


def test_client_ids_are_unique_across_pools(store: Store, run: Any) -> None:
    async def body() -> None:
        await insert(store, a_pool(), a_pool("us-east-1_Pool00002"), a_client("client1"))
        with pytest.raises(Conflict):
            await insert(store, a_client("client1", pool_id="us-east-1_Pool00002"))
        async with store.transaction() as tx:
            assert (await tx.clients.get("client1")).pool_id == "us-east-1_Pool00001"  # type: ignore[union-attr]

    run(body())


def test_update_client_replaces_name_updated_at_secret_and_settings(store: Store, run: Any) -> None:
    async def body() -> None:
        await insert(store, a_pool(), a_client("client1"))
        changed = a_client(
            "client1",
            name="renamed",
            updated_at=T0 + timedelta(seconds=1),
            secret_ciphertext=None,
            settings=SETTINGS,
        )
        async with store.transaction() as tx:
            await tx.clients.update(changed)
        async with store.transaction() as tx:
            assert await tx.clients.get("client1") == changed
            await tx.clients.update(replace(changed, secret_ciphertext=b"new"))
            assert (await tx.clients.get("client1")).secret_ciphertext == b"new"  # type: ignore[union-attr]

    run(body())


def test_delete_client_says_whether_it_existed(store: Store, run: Any) -> None:
    async def body() -> None:
        await insert(store, a_pool(), a_client("client1"))
        async with store.transaction() as tx:
            assert await tx.clients.delete("client1") is True
            assert await tx.clients.delete("client1") is False
            assert await tx.clients.get("client1") is None
            assert await tx.pools.get(a_pool().id) is not None

    run(body())


def test_list_clients_pages_through_the_pools_clients_only(store: Store, run: Any) -> None:
    mine = [f"c{n:02d}" for n in range(7)] + ["C99", "b00"]
    other = a_pool("us-east-1_Pool00002")

    async def body() -> None:
        await insert(store, a_pool(), other, *(a_client(c) for c in mine), a_client("a00", pool_id=other.id))
        seen: list[str] = []
        after: str | None = None
        async with store.transaction() as tx:
            while page := await tx.clients.list(a_pool().id, limit=3, after_id=after):
                assert len(page) <= 3 and all(c.pool_id == a_pool().id for c in page)
                seen += [c.id for c in page]
                after = page[-1].id
            assert [c.id for c in await tx.clients.list(other.id, limit=10)] == ["a00"]
            assert await tx.clients.list("us-east-1_missing", limit=10) == []
        assert seen == sorted(mine)

    run(body())


# --- signing keys ------------------------------------------------------------------------------------


def test_signing_keys_list_active_and_retired_oldest_first(store: Store, run: Any) -> None:
    newest = a_key("k3", created_at=T0 + timedelta(days=2), purpose="access")
    oldest = a_key("k2", created_at=T0, active=False)
    middle = a_key("k1", created_at=T0 + timedelta(microseconds=1), public_jwk={"kty": "RSA", "kid": "k1"})

    async def body() -> None:
        await insert(store, a_pool(), a_pool("us-east-1_Pool00002"), newest, oldest, middle)
        await insert(store, a_key("other", pool_id="us-east-1_Pool00002"))
        with pytest.raises(Conflict):
            await insert(store, a_key("k1", pool_id="us-east-1_Pool00002"))
        async with store.transaction() as tx:
            assert await tx.signing_keys.list(a_pool().id) == [oldest, middle, newest]
            assert await tx.signing_keys.list("us-east-1_missing") == []

    run(body())


# --- cascades and transactions -----------------------------------------------------------------------


def test_deleting_a_pool_deletes_its_clients_and_keys_only(store: Store, run: Any) -> None:
    other = "us-east-1_Pool00002"

    async def body() -> None:
        await insert(store, a_pool(), a_pool(other), a_client("c1"), a_client("c2"), a_key("k1"))
        await insert(store, a_client("c3", pool_id=other), a_key("k2", pool_id=other))
        async with store.transaction() as tx:
            assert await tx.pools.delete(a_pool().id) is True
        async with store.transaction() as tx:
            assert await tx.clients.get("c1") is None and await tx.clients.get("c2") is None
            assert await tx.clients.list(a_pool().id, limit=10) == []
            assert await tx.signing_keys.list(a_pool().id) == []
            assert [c.id for c in await tx.clients.list(other, limit=10)] == ["c3"]
            assert [k.kid for k in await tx.signing_keys.list(other)] == ["k2"]

    run(body())


def test_an_exception_rolls_back_the_whole_transaction(store: Store, run: Any) -> None:
    class Boom(Exception):
        pass

    async def body() -> None:
        await insert(store, a_pool("us-east-1_Kept00001"))
        with pytest.raises(Boom):
            async with store.transaction() as tx:
                await tx.pools.insert(a_pool())
                await tx.clients.insert(a_client("c1"))
                await tx.signing_keys.insert(a_key("k1"))
                await tx.pools.update(a_pool("us-east-1_Kept00001", name="changed"))
                assert await tx.clients.get("c1") is not None  # visible inside the transaction
                raise Boom
        async with store.transaction() as tx:
            assert await tx.pools.get(a_pool().id) is None
            assert await tx.clients.get("c1") is None
            assert await tx.signing_keys.list(a_pool().id) == []
            assert (await tx.pools.get("us-east-1_Kept00001")).name == "pool"  # type: ignore[union-attr]

    run(body())


def test_get_for_update_serialises_concurrent_read_modify_writes(store: Store, run: Any) -> None:
    writers = 8

    async def increment(n: int) -> None:
        async with store.transaction() as tx:
            pool = await tx.pools.get(a_pool().id, for_update=True)
            client = await tx.clients.get("c1", for_update=True)
            assert pool is not None and client is not None
            await asyncio.sleep(0.01 * (n % 3))  # let the others try to get in
            await tx.pools.update(replace(pool, settings={"count": pool.settings["count"] + 1}))
            await tx.clients.update(replace(client, settings={"count": client.settings["count"] + 1}))

    async def body() -> None:
        await insert(store, a_pool(settings={"count": 0}), a_client("c1", settings={"count": 0}))
        await asyncio.gather(*(increment(n) for n in range(writers)))
        async with store.transaction() as tx:
            assert (await tx.pools.get(a_pool().id)).settings == {"count": writers}  # type: ignore[union-attr]
            assert (await tx.clients.get("c1")).settings == {"count": writers}  # type: ignore[union-attr]

    run(body())


def test_hold_keeps_a_pool_from_deletion_without_making_other_holders_wait(store: Store, run: Any,
                                                                            backend: str) -> None:
    """What SignUp takes on the pool before it inserts the user: on PostgreSQL a FOR KEY SHARE lock (the
    SignUps of one pool in several processes do not queue on the pool's row; a DeleteUserPool waits for
    them); on SQLite the write transaction itself holds the whole file."""

    async def lock_waits() -> int:
        async with store.transaction(readonly=True) as tx:  # PostgreSQL: what is waiting on a lock now
            waiting = select(func.count()).select_from(table("pg_stat_activity"))
            result = await tx.pools._conn.execute(  # type: ignore[attr-defined]
                waiting.where(column("wait_event_type") == "Lock")
            )
            return int(result.scalar_one())

    async def delete_pool() -> bool:
        async with store.transaction() as tx:
            return await tx.pools.delete(a_pool().id)

    async def body() -> None:
        await insert(store, a_pool())
        async with store.transaction() as tx:
            assert await tx.pools.hold(a_pool().id)
            assert not await tx.pools.hold("us-east-1_missing")
        if backend != "postgresql":
            return
        async with store.transaction() as holder:
            assert await holder.pools.hold(a_pool().id)

            async def another_holder() -> bool:
                async with store.transaction() as tx:
                    return await tx.pools.hold(a_pool().id)

            assert await asyncio.wait_for(another_holder(), 5)  # not kept waiting by the first
            deleting = asyncio.create_task(delete_pool())
            while await lock_waits() == 0:  # the delete queues behind the holder
                assert not deleting.done()
                await asyncio.sleep(0)
            assert not deleting.done()
        assert await deleting
        async with store.transaction() as tx:
            assert not await tx.pools.hold(a_pool().id)

    run(body())


# --- values ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 1, 12, 34, 56, 789012, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, 0, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    ],
    ids=["2026", "before-1970", "year-9999", "+05:30"],
)
def test_datetimes_round_trip_to_the_microsecond_as_utc(store: Store, run: Any, moment: datetime) -> None:
    async def body() -> None:
        await insert(
            store,
            a_pool(created_at=moment, updated_at=moment - timedelta(microseconds=1)),
            a_client("c1", created_at=moment, updated_at=moment),
            a_key("k1", created_at=moment),
        )
        async with store.transaction() as tx:
            pool = await tx.pools.get(a_pool().id)
            client = await tx.clients.get("c1")
            (key,) = await tx.signing_keys.list(a_pool().id)
        assert pool is not None and client is not None
        for value in (pool.created_at, client.created_at, client.updated_at, key.created_at):
            assert value == moment and value.tzinfo == UTC
        assert pool.created_at - pool.updated_at == timedelta(microseconds=1)

    run(body())


def test_naive_datetimes_are_refused(store: Store, run: Any) -> None:
    with pytest.raises(ValueError, match="naive"):
        run(insert(store, a_pool(created_at=datetime(2026, 1, 1))))


def test_nested_unicode_settings_round_trip(store: Store, run: Any) -> None:
    async def body() -> None:
        jwk = {"kty": "RSA", "kid": "ключ", "x5c": ["Zm9v"], "ext": {"ok": True}}
        await insert(store, a_pool(settings=SETTINGS), a_client("c1", settings=SETTINGS))
        await insert(store, a_key("k1", public_jwk=jwk))
        async with store.transaction() as tx:
            assert (await tx.pools.get(a_pool().id)).settings == SETTINGS  # type: ignore[union-attr]
            assert (await tx.clients.get("c1")).settings == SETTINGS  # type: ignore[union-attr]
            assert [k.public_jwk for k in await tx.signing_keys.list(a_pool().id)] == [jwk]

    run(body())


# --- migrations --------------------------------------------------------------------------------------


def test_migrate_twice_is_harmless(store: Store, database_url: str, run: Any) -> None:
    run(insert(store, a_pool()))
    migrate(database_url)
    migrate(database_url)

    async def body() -> None:
        again = await open_store(database_url)  # migrates a third time
        try:
            async with again.transaction() as tx:
                assert await tx.pools.get(a_pool().id) == a_pool()
        finally:
            await again.close()

    run(body())


def test_migrate_works_inside_a_running_event_loop(store: Store, database_url: str, run: Any) -> None:
    async def body() -> None:
        migrate(database_url)

    run(body())


def test_the_migrated_schema_is_the_schema_module(store: Store, database_url: str, run: Any) -> None:
    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async def body() -> list[Any]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(differences)
        finally:
            await engine.dispose()

    assert run(body()) == []


_PROCESS = """
import asyncio, sys
from dataclasses import replace
from datetime import UTC, datetime
from userpools.storage.engine import open_store
from userpools.domain.records import PoolRecord
from userpools.storage.ports import Conflict

async def main(url, name):
    store = await open_store(url)
    now = datetime.now(UTC)
    try:
        for n in range(15):
            async with store.transaction() as tx:
                await tx.pools.insert(PoolRecord(f"us-east-1_{name}{n:03d}", name, now, now, {}))
                counter = await tx.pools.get("us-east-1_counter", for_update=True)
                if counter is None:
                    try:
                        await tx.pools.insert(PoolRecord("us-east-1_counter", "counter", now, now, {"n": 1}))
                        continue
                    except Conflict:  # another process created it meanwhile; this transaction goes on
                        counter = await tx.pools.get("us-east-1_counter", for_update=True)
                await tx.pools.update(replace(counter, settings={"n": counter.settings["n"] + 1}))
    finally:
        await store.close()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def test_processes_starting_at_once_migrate_and_write_without_errors(backend: str, tmp_path: Path) -> None:
    """Several server processes start together on a new database: each migrates, then they all write."""
    url = f"sqlite:///{tmp_path}/new/userpools.db" if backend == "sqlite" else _fresh_postgres_database()
    try:
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", _PROCESS, url, name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            for name in ("a", "b", "c")
        ]
        for process in processes:
            output, _ = process.communicate(timeout=120)
            assert process.returncode == 0, output.decode()

        async def check() -> None:
            store = await open_store(url, migrate=False)
            try:
                async with store.transaction() as tx:
                    assert len(await tx.pools.list(limit=100)) == 3 * 15 + 1
                    counter = await tx.pools.get("us-east-1_counter")
                    assert counter is not None and counter.settings == {"n": 3 * 15}
            finally:
                await store.close()

        asyncio.run(check())
    finally:
        if backend == "postgresql":
            pg.drop_database(url)


def _fresh_postgres_database() -> str:
    try:
        return pg.create_database()
    except pg.PostgresUnavailable as e:
        pytest.fail(str(e), pytrace=False)


# --- several stores on one database ------------------------------------------------------------------


def test_two_stores_on_one_database_see_each_others_commits_at_once(
    store: Store, database_url: str, run: Any
) -> None:
    async def body() -> None:
        other = await open_store(database_url, migrate=False)
        try:
            await insert(store, a_pool())
            async with other.transaction() as tx:
                assert await tx.pools.get(a_pool().id) == a_pool()
                await tx.pools.update(a_pool(name="renamed"))
                await tx.clients.insert(a_client("c1"))
            async with store.transaction() as tx:
                assert (await tx.pools.get(a_pool().id)).name == "renamed"  # type: ignore[union-attr]
                assert await tx.clients.get("c1") == a_client("c1")
                assert await tx.pools.delete(a_pool().id)
            async with other.transaction() as tx:
                assert await tx.pools.get(a_pool().id) is None
                assert await tx.clients.get("c1") is None
        finally:
            await other.close()

    run(body())


def test_two_stores_writing_at_once_both_succeed(store: Store, database_url: str, run: Any) -> None:
    """Two writers (two engines, as two processes would have) read, wait, then write: they queue on the
    database's lock, neither fails with "database is locked", and no update is lost."""
    rounds = 6

    async def writer(target: Store, name: str) -> None:
        for n in range(rounds):
            async with target.transaction() as tx:
                pool = await tx.pools.get(a_pool().id, for_update=True)
                assert pool is not None
                await asyncio.sleep(0.005)
                await tx.pools.update(replace(pool, settings={"n": pool.settings["n"] + 1}))
                await tx.clients.insert(a_client(f"{name}{n}"))

    async def body() -> None:
        await insert(store, a_pool(settings={"n": 0}))
        other = await open_store(database_url, migrate=False)
        try:
            await asyncio.gather(writer(store, "a"), writer(other, "b"))
        finally:
            await other.close()
        async with store.transaction() as tx:
            assert (await tx.pools.get(a_pool().id)).settings == {"n": 2 * rounds}  # type: ignore[union-attr]
            assert len(await tx.clients.list(a_pool().id, limit=100)) == 2 * rounds

    run(body())


def test_ping_answers_even_while_a_writer_holds_the_database(store: Store, run: Any) -> None:
    async def body() -> None:
        await store.ping()
        async with store.transaction() as tx:
            await tx.pools.insert(a_pool())
            async with asyncio.timeout(5):
                await store.ping()

    run(body())


def test_opening_or_pinging_an_unreachable_database_raises(backend: str, tmp_path: Path, run: Any) -> None:
    if backend == "sqlite":
        (tmp_path / "a-folder").mkdir()
        url = f"sqlite:///{tmp_path}/a-folder"  # a folder cannot be opened as a database
    else:
        url = "postgresql://postgres@127.0.0.1:1/nothing"

    async def body() -> None:
        with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises
            store = await open_store(url, migrate=False)
            try:
                await store.ping()
            finally:
                await store.close()

    run(body())


# --- engine-specific guarantees ----------------------------------------------------------------------


def test_every_sqlite_connection_enforces_foreign_keys_in_wal_mode(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/a/b/userpools.db"
    migrate(url)
    assert (tmp_path / "a" / "b" / "userpools.db").exists()

    async def body() -> None:
        engine = create_engine(url)
        connections = [await engine.connect() for _ in range(4)]  # four pooled connections at once
        try:
            for conn in connections:
                pragma = {
                    name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                    for name in ("foreign_keys", "journal_mode", "synchronous", "busy_timeout")
                }
                await conn.rollback()
                assert pragma == {
                    "foreign_keys": 1,
                    "journal_mode": "wal",
                    "synchronous": 1,
                    "busy_timeout": 15000,
                }
        finally:
            for conn in connections:
                await conn.close()
            await engine.dispose()

    asyncio.run(body())


def test_postgresql_transactions_are_read_committed(postgresql_url: str) -> None:
    async def body() -> None:
        engine = create_engine(postgresql_url)
        try:
            async with engine.begin() as conn:
                level = (await conn.execute(text("SHOW transaction_isolation"))).scalar()
                assert level == "read committed"
        finally:
            await engine.dispose()

    asyncio.run(body())


# --- database URLs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:////var/lib/userpools/data.db", "sqlite+aiosqlite:////var/lib/userpools/data.db"),
        ("sqlite+aiosqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db"),
        ("postgresql://u@db.example:5433/userpools", "postgresql+asyncpg://u@db.example:5433/userpools"),
        ("postgres://u:p@h/d?ssl=require", "postgresql+asyncpg://u:p@h/d?ssl=require"),
        ("postgresql+asyncpg://u@h:5432/d", "postgresql+asyncpg://u@h:5432/d"),
    ],
)
def test_database_urls_are_translated_to_the_async_drivers(given: str, expected: str) -> None:
    assert async_url(given).render_as_string(hide_password=False) == expected


def test_a_relative_sqlite_path_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert async_url("sqlite:///.userpools/data.db").database == str(tmp_path / ".userpools" / "data.db")


@pytest.mark.parametrize(
    "given",
    ["sqlite://", "sqlite:///:memory:", "mysql://u@h/d", "postgresql+psycopg2://u@h/d", "not a url"],
)
def test_unsupported_database_urls_are_refused(given: str) -> None:
    with pytest.raises(ValueError):
        async_url(given)


def test_migrations_may_run_from_several_threads_at_once(backend: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/t/userpools.db" if backend == "sqlite" else _fresh_postgres_database()
    errors: list[BaseException] = []

    def run_migrate() -> None:
        try:
            migrate(url)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    try:
        threads = [threading.Thread(target=run_migrate) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
    finally:
        if backend == "postgresql":
            pg.drop_database(url)


def test_a_cancelled_transaction_leaves_nothing_and_blocks_nobody(store: Store, run: Any) -> None:
    async def interrupted(started: asyncio.Event) -> None:
        async with store.transaction() as tx:
            await tx.pools.insert(a_pool())
            await tx.pools.get(a_pool().id, for_update=True)
            started.set()
            await asyncio.sleep(60)

    async def body() -> None:
        started = asyncio.Event()
        task = asyncio.create_task(interrupted(started))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with asyncio.timeout(5):
            await insert(store, a_pool("us-east-1_Pool00002"))
            async with store.transaction() as tx:
                assert await tx.pools.get(a_pool().id) is None
                await tx.pools.insert(a_pool())

    run(body())

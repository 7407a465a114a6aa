"""Group commit on SQLite: the write transactions queued for the writer slot share one SQLite transaction,
each in a savepoint. Each behaves as if alone: a failure undoes only its own writes, ``transaction()`` returns
after the commit, a cancelled member does not cancel the others. On PostgreSQL (no groups) the same tests
show the same outcomes."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from contract_records import T0

from userpools.domain.records import PoolRecord
from userpools.storage.ports import Conflict, Store


def pool(pool_id: str) -> PoolRecord:
    return PoolRecord(pool_id, "pool", T0, T0, {})


async def ids(store: Store) -> list[str]:
    async with store.transaction(readonly=True) as tx:
        return sorted(p.id for p in await tx.pools.list(limit=60))


class Boom(Exception):
    pass


async def insert_then_signal(store: Store, pool_id: str, inserted: asyncio.Event) -> None:
    """A write transaction that says when its body is done (it then waits for its group's commit)."""
    async with store.transaction() as tx:
        await tx.pools.insert(pool(pool_id))
        inserted.set()


def test_queued_writers_share_one_commit_and_each_sees_the_earlier_ones(store: Store, run: Any, backend: str) -> None:
    async def body() -> None:
        commits_before = getattr(store, "commits", 0)
        seen: dict[int, int] = {}

        async def writer(n: int) -> None:
            async with store.transaction() as tx:
                seen[n] = len(await tx.pools.list(limit=60))
                await tx.pools.insert(pool(f"us-east-1_P{n:02d}"))

        await asyncio.gather(*(writer(n) for n in range(20)))
        assert await ids(store) == [f"us-east-1_P{n:02d}" for n in range(20)]
        if backend == "sqlite":  # one after the other, each seeing the earlier ones' writes
            assert sorted(seen.values()) == list(range(20))
            assert 1 <= store.commits - commits_before <= 2  # type: ignore[attr-defined]

    run(body())


def test_a_failing_member_leaves_nothing_and_the_others_commit(store: Store, run: Any) -> None:
    async def body() -> None:
        async def writer(n: int, fail: bool) -> str:
            try:
                async with store.transaction() as tx:
                    await tx.pools.insert(pool(f"us-east-1_P{n}"))
                    await tx.clients.list("us-east-1_P0", limit=1)
                    if fail:
                        raise Boom
            except Boom:
                return "failed"
            return "ok"

        outcomes = await asyncio.gather(*(writer(n, n in (1, 3)) for n in range(5)))
        assert outcomes == ["ok", "failed", "ok", "failed", "ok"]
        assert await ids(store) == ["us-east-1_P0", "us-east-1_P2", "us-east-1_P4"]

    run(body())


def test_a_member_that_breaks_a_constraint_is_undone_alone(store: Store, run: Any, backend: str) -> None:
    async def body() -> None:
        async def writer(pool_id: str) -> str:
            try:
                async with store.transaction() as tx:
                    await tx.pools.insert(pool(pool_id))
            except Conflict:  # the store's own error for a duplicate key
                return "conflict"
            return "ok"

        outcomes = await asyncio.gather(
            writer("us-east-1_A"), writer("us-east-1_A"), writer("us-east-1_B")
        )
        # SQLite runs them in their order; on PostgreSQL either of the two A's may be the one refused
        assert outcomes == ["ok", "conflict", "ok"] if backend == "sqlite" else sorted(outcomes) == ["conflict", "ok", "ok"]
        assert await ids(store) == ["us-east-1_A", "us-east-1_B"]

    run(body())


def test_transaction_returns_after_its_writes_are_committed(store: Store, run: Any) -> None:
    async def body() -> None:
        release = asyncio.Event()
        first_saw: list[str] = []

        async def first() -> None:
            async with store.transaction() as tx:
                await tx.pools.insert(pool("us-east-1_First"))
            first_saw.extend(await ids(store))  # another connection: only what has committed
            release.set()

        async def second() -> None:
            async with store.transaction() as tx:
                await tx.pools.insert(pool("us-east-1_Second"))

        await asyncio.wait_for(asyncio.gather(first(), second()), timeout=10)
        assert "us-east-1_First" in first_saw
        assert release.is_set()

    run(body())


def test_a_cancelled_member_does_not_cancel_the_group(store: Store, run: Any) -> None:
    async def body() -> None:
        first_done = asyncio.Event()
        go_on = asyncio.Event()

        async def second() -> None:
            async with store.transaction() as tx:
                await tx.pools.insert(pool("us-east-1_Second"))
                await asyncio.wait_for(go_on.wait(), timeout=10)  # the group stays open meanwhile

        a = asyncio.create_task(insert_then_signal(store, "us-east-1_First", first_done))
        b = asyncio.create_task(second())
        await first_done.wait()
        for _ in range(5):
            await asyncio.sleep(0)  # first() now waits for the group's commit (SQLite) or is done
        a.cancel()
        go_on.set()
        await b
        await asyncio.gather(a, return_exceptions=True)
        assert await ids(store) == ["us-east-1_First", "us-east-1_Second"]

    run(body())


def test_a_lost_transaction_fails_every_member_and_the_store_goes_on(
    store: Store, run: Any, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's group commit")

    async def body() -> None:
        first_done = asyncio.Event()

        async def second() -> None:
            await first_done.wait()
            async with store.transaction() as tx:
                await tx.pools.insert(pool("us-east-1_Second"))
                store._group.raw.execute("ROLLBACK")  # type: ignore[attr-defined]  # what SQLITE_FULL does
                raise Boom

        outcomes = await asyncio.gather(
            insert_then_signal(store, "us-east-1_First", first_done), second(), return_exceptions=True
        )
        assert isinstance(outcomes[0], sqlite3.OperationalError)
        assert isinstance(outcomes[1], Boom)
        assert await ids(store) == []
        async with store.transaction() as tx:
            await tx.pools.insert(pool("us-east-1_After"))
        assert await ids(store) == ["us-east-1_After"]

    run(body())


def test_two_stores_on_one_file_take_turns_without_polling(
    store: Store, backend: str, database_url: str, run: Any
) -> None:
    """Two processes on one SQLite file (``serve --workers``), as two stores of this process: while one holds a
    write transaction, the other's writer waits on the writer lock (sqlite_direct.WriterLock), not in SQLite's
    busy loop, and goes on the moment the first commits."""
    if backend != "sqlite":
        pytest.skip("SQLite's writers only")
    from userpools.storage.engine import open_store

    async def body() -> None:
        other = await open_store(database_url, migrate=False)
        try:
            lock = other._writer_lock  # type: ignore[attr-defined]
            assert lock is not None and database_url.endswith(".db")
            held, release = asyncio.Event(), asyncio.Event()

            async def first() -> None:
                async with store.transaction() as tx:
                    await tx.pools.insert(pool("us-east-1_First"))
                    held.set()
                    await release.wait()

            async def second() -> None:
                await held.wait()
                async with other.transaction() as tx:
                    assert [p.id for p in await tx.pools.list(limit=5)] == ["us-east-1_First"]  # after its commit
                    await tx.pools.insert(pool("us-east-1_Second"))

            one, two = asyncio.create_task(first()), asyncio.create_task(second())
            await held.wait()
            for _ in range(2000):  # until the second writer waits on the lock (on an executor thread)
                if lock.waits:
                    break
                await asyncio.sleep(0.001)
            assert not two.done() and lock.waits == 1
            release.set()
            await asyncio.gather(one, two)
            assert await ids(store) == ["us-east-1_First", "us-east-1_Second"]
            assert not lock.held and not store._writer_lock.held  # type: ignore[attr-defined]
        finally:
            await other.close()

    run(body())

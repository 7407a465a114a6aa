"""The contract of the shared counters (rate limits, attempt counts): SQLite and PostgreSQL.

What makes a rate limit hold across server processes is that a hit is one atomic statement on the shared
database; the tests below hit one counter from several stores (engines, as processes have) and processes
at once and check that no hit is lost and no two hits see the same count.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from contract_records import T0

import pg
from userpools.storage.engine import open_store
from userpools.storage.ports import Store

MINUTE = timedelta(minutes=1)
W0 = T0.replace(second=0, microsecond=0)  # a window's start
W1 = W0 + MINUTE


async def hit(
    store: Store, key: str, window_start: datetime = W0, *, expires_at: datetime | None = None
) -> int:
    async with store.transaction() as tx:
        return await tx.counters.hit(key, window_start, expires_at=expires_at or window_start + MINUTE)


async def peek(store: Store, key: str, window_start: datetime = W0) -> int:
    async with store.transaction() as tx:
        return await tx.counters.peek(key, window_start)


def test_hit_counts_up_from_one_and_peek_reads_without_counting(store: Store, run: Any) -> None:
    async def body() -> None:
        assert await peek(store, "ip:192.0.2.1") == 0
        assert [await hit(store, "ip:192.0.2.1") for _ in range(3)] == [1, 2, 3]
        assert await peek(store, "ip:192.0.2.1") == 3
        assert await peek(store, "ip:192.0.2.1") == 3
        async with store.transaction() as tx:  # several hits in one transaction
            assert await tx.counters.hit("ip:192.0.2.1", W0, expires_at=W1) == 4
            assert await tx.counters.hit("ip:192.0.2.1", W0, expires_at=W1) == 5
            assert await tx.counters.peek("ip:192.0.2.1", W0) == 5

    run(body())


def test_hit_adds_an_amount_and_put_sets_a_value(store: Store, run: Any) -> None:
    async def body() -> None:
        async with store.transaction() as tx:
            assert await tx.counters.hit("rate:UserRead", W0, expires_at=W1, amount=7) == 7
            assert await tx.counters.hit("rate:UserRead", W0, expires_at=W1, amount=5) == 12
            assert await tx.counters.hit("rate:UserRead", W0, expires_at=W1) == 13
            await tx.counters.put("limit:UserRead", W0, 300, expires_at=W1)
            await tx.counters.put("limit:UserRead", W0, 150, expires_at=W1)
        assert await peek(store, "limit:UserRead") == 150
        assert await peek(store, "rate:UserRead") == 13

    run(body())


def test_windows_and_keys_are_counted_apart(store: Store, run: Any) -> None:
    async def body() -> None:
        for _ in range(3):
            await hit(store, "signin:alice", W0)
        assert await hit(store, "signin:alice", W1) == 1  # the next window starts again
        assert await hit(store, "signin:alice", W0 - MINUTE) == 1
        assert await hit(store, "signin:Alice", W0) == 1  # keys compare byte-wise
        assert await hit(store, "signin:alice ", W0) == 1
        assert await hit(store, "signin:ålice", W0) == 1
        assert await peek(store, "signin:alice", W0) == 3
        assert await peek(store, "signin:alice", W1) == 1
        assert await peek(store, "signin:alice", W0 + timedelta(microseconds=1)) == 0
        assert await peek(store, "signin:bob", W0) == 0

    run(body())


def test_reset_forgets_every_window_of_that_key_only(store: Store, run: Any) -> None:
    async def body() -> None:
        for window in (W0 - MINUTE, W0, W1):
            await hit(store, "k", window)
            await hit(store, "k", window)
        await hit(store, "k2", W0)
        await hit(store, "K", W0)
        async with store.transaction() as tx:
            await tx.counters.reset("k")
            await tx.counters.reset("never-hit")  # harmless
        for window in (W0 - MINUTE, W0, W1):
            assert await peek(store, "k", window) == 0
        assert await peek(store, "k2", W0) == 1 and await peek(store, "K", W0) == 1
        assert await hit(store, "k", W0) == 1

    run(body())


def test_purge_deletes_the_expired_counters_and_says_how_many(store: Store, run: Any) -> None:
    async def body() -> None:
        await hit(store, "a", W0, expires_at=W0 + MINUTE)
        await hit(store, "a", W1, expires_at=W1 + MINUTE)
        await hit(store, "b", W0, expires_at=W0 + MINUTE)
        await hit(store, "c", W0, expires_at=W0 + timedelta(days=1))  # a long window
        async with store.transaction() as tx:
            assert await tx.counters.purge(W0 + MINUTE - timedelta(microseconds=1)) == 0
        async with store.transaction() as tx:
            assert await tx.counters.purge(W0 + MINUTE) == 2  # expires_at reached is expired
            assert await tx.counters.purge(W0 + MINUTE) == 0
        assert await peek(store, "a", W0) == 0 and await peek(store, "b", W0) == 0
        assert await peek(store, "a", W1) == 1 and await peek(store, "c", W0) == 1
        async with store.transaction() as tx:
            assert await tx.counters.purge(W0 + timedelta(days=2)) == 2
        assert await hit(store, "c", W0) == 1

    run(body())


def test_a_windows_expiry_only_moves_later(store: Store, run: Any) -> None:
    later = W0 + timedelta(hours=1)

    async def body() -> None:
        await hit(store, "lock:alice", W0, expires_at=W1)
        await hit(store, "lock:alice", W0, expires_at=later)
        await hit(store, "lock:alice", W0, expires_at=W1)  # does not shorten it again
        async with store.transaction() as tx:
            assert await tx.counters.purge(W1) == 0
            assert await tx.counters.peek("lock:alice", W0) == 3
            assert await tx.counters.purge(later) == 1

    run(body())


def test_a_hit_belongs_to_its_transaction(store: Store, run: Any) -> None:
    """Rolled back with it: a limit that must count failures hits in a transaction of its own."""

    class Boom(Exception):
        pass

    async def body() -> None:
        await hit(store, "k")
        with pytest.raises(Boom):
            async with store.transaction() as tx:
                assert await tx.counters.hit("k", W0, expires_at=W1) == 2
                assert await tx.counters.hit("new", W0, expires_at=W1) == 1
                raise Boom
        assert await peek(store, "k") == 1 and await peek(store, "new") == 0

    run(body())


def test_two_stores_hitting_one_counter_at_once_lose_no_hit(
    store: Store, database_url: str, run: Any
) -> None:
    """2 × 50 hits from two stores (two engines, as two server processes have), ten tasks each, every hit in
    its own transaction, on a counter that does not exist yet: 100 in the end, each hit saw its own count."""
    tasks_per_store, hits_per_task = 10, 5

    async def hitter(target: Store, start: asyncio.Event) -> list[int]:
        await start.wait()
        return [await hit(target, "ip:198.51.100.7") for _ in range(hits_per_task)]

    async def body() -> None:
        other = await open_store(database_url, migrate=False)
        try:
            start = asyncio.Event()
            tasks = [
                asyncio.create_task(hitter(target, start))
                for target in (store, other)
                for _ in range(tasks_per_store)
            ]
            await asyncio.sleep(0)
            start.set()
            seen = [count for counts in await asyncio.gather(*tasks) for count in counts]
        finally:
            await other.close()
        total = 2 * tasks_per_store * hits_per_task
        assert sorted(seen) == list(range(1, total + 1))
        assert await peek(store, "ip:198.51.100.7") == total

    run(body())


_PROCESS = """
import asyncio, sys
from datetime import UTC, datetime, timedelta
from userpools.storage.engine import open_store

async def main(url, hits):
    store = await open_store(url)
    window = datetime(2026, 1, 1, tzinfo=UTC)
    counts = []
    try:
        for _ in range(hits):
            async with store.transaction() as tx:
                counts.append(await tx.counters.hit("shared", window, expires_at=window + timedelta(minutes=1)))
    finally:
        await store.close()
    print(" ".join(map(str, counts)))

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def test_server_processes_share_one_counter(backend: str, tmp_path: Path) -> None:
    """Three processes start on a new database (each migrates) and hit one counter 40 times each."""
    processes_, hits = 3, 40
    url = f"sqlite:///{tmp_path}/new/userpools.db" if backend == "sqlite" else _fresh_postgres_database()
    try:
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", _PROCESS, url, str(hits)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(processes_)
        ]
        seen: list[int] = []
        for process in processes:
            output, errors = process.communicate(timeout=120)
            assert process.returncode == 0, errors.decode()
            counts = [int(c) for c in output.split()]
            assert counts == sorted(counts) and len(counts) == hits  # each process sees its hits go up
            seen += counts
        assert sorted(seen) == list(range(1, processes_ * hits + 1))
    finally:
        if backend == "postgresql":
            pg.drop_database(url)


def _fresh_postgres_database() -> str:
    try:
        return pg.create_database()
    except pg.PostgresUnavailable as e:
        pytest.fail(str(e), pytrace=False)


def test_a_savepoint_undoes_only_what_was_written_inside_it(store: Store, run: Any) -> None:
    """Transaction.savepoint(): the recovery operations count the pool's rate, then run inside one, so that an
    error undoes the operation's writes and keeps the count. Savepoints nest (SQLite's group commit already
    holds each operation in one)."""

    async def body() -> None:
        async with store.transaction() as tx:
            assert await tx.counters.hit("rate:pool", W0, expires_at=W1) == 1
            with pytest.raises(LookupError):
                async with tx.savepoint():
                    assert await tx.counters.hit("rate:pool", W0, expires_at=W1) == 2
                    assert await tx.counters.hit("attempts:alice", W0, expires_at=W1) == 1
                    raise LookupError("the operation failed")
            assert await tx.counters.peek("rate:pool", W0) == 1
            async with tx.savepoint():  # one that ends well keeps its writes
                assert await tx.counters.hit("attempts:bob", W0, expires_at=W1) == 1
        assert await peek(store, "rate:pool") == 1
        assert await peek(store, "attempts:alice") == 0
        assert await peek(store, "attempts:bob") == 1

    run(body())


def test_peek_two_reads_two_counts_of_one_window(store: Store, run: Any) -> None:
    async def body() -> list[tuple[int, int]]:
        await hit(store, "a")
        await hit(store, "a")
        await hit(store, "b", W1)  # another window: not counted in W0
        async with store.transaction(readonly=True) as tx:
            return [
                await tx.counters.peek_two("a", "b", W0),
                await tx.counters.peek_two("b", "a", W0),
                await tx.counters.peek_two("b", "none", W1),
                await tx.counters.peek_two("none", "other", W0),
            ]

    assert run(body()) == [(2, 0), (0, 2), (1, 0), (0, 0)]

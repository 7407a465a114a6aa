"""Read-only transactions: served while a write transaction of the same store is open (on SQLite they stay
out of the writers' queue), and they see the last commit, never the open transaction's writes."""

from __future__ import annotations

import asyncio
from typing import Any

from contract_records import T0

from userpools.domain.records import PoolRecord
from userpools.storage.ports import Store


def pool(pool_id: str, name: str = "pool") -> PoolRecord:
    return PoolRecord(pool_id, name, T0, T0, {})


def test_a_read_only_transaction_is_served_while_a_writer_waits(store: Store, run: Any) -> None:
    async def body() -> None:
        async with store.transaction() as tx:
            await tx.pools.insert(pool("us-east-1_Committed"))
        writer_open = asyncio.Event()
        reader_done = asyncio.Event()

        async def writer() -> None:
            async with store.transaction() as tx:
                await tx.pools.insert(pool("us-east-1_Uncommitted"))
                writer_open.set()
                # The writer holds its transaction until the reader has finished (a trigger waiting on a
                # callback does exactly this); a reader that queued behind it would time out here.
                await asyncio.wait_for(reader_done.wait(), timeout=10)

        async def reader() -> list[str]:
            await writer_open.wait()
            async with store.transaction(readonly=True) as tx:
                seen = [p.id for p in await tx.pools.list(limit=10)]
            reader_done.set()
            return seen

        _, seen = await asyncio.gather(writer(), reader())
        assert seen == ["us-east-1_Committed"]
        async with store.transaction(readonly=True) as tx:
            assert [p.id for p in await tx.pools.list(limit=10)] == ["us-east-1_Committed", "us-east-1_Uncommitted"]

    run(body())

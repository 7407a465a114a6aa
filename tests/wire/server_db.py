"""Reading and writing a live server's own database from a wire test, for what no operation shows: the
resources left behind after a deletion, and the records the OAuth endpoints write (CIMD fetches)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pg import run_async
from userpools.config import Settings
from userpools.domain.resources import PoolResource
from userpools.storage.engine import open_store
from userpools.storage.ports import Transaction

T = TypeVar("T")


def in_transaction(server: Any, work: Callable[[Transaction], Awaitable[T]]) -> T:
    """Runs ``work`` in one transaction of the server's store (SQLite file or PostgreSQL database)."""

    async def run() -> T:
        url = Settings(data_dir=server.data_dir, database_url=server.database_url).effective_database_url
        store = await open_store(url)
        try:
            async with store.transaction() as tx:
                return await work(tx)
        finally:
            await store.close()

    return run_async(run())


def resources_of(server: Any, pool_id: str, *kinds: str) -> list[PoolResource]:
    """Every resource of the pool of the given kinds (at most 1000 of each)."""

    async def read(tx: Transaction) -> list[PoolResource]:
        return [r for kind in kinds for r in await tx.resources.list(pool_id, kind, limit=1000)]

    return in_transaction(server, read)

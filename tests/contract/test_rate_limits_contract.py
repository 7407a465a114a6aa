"""The request-rate limits (operations.limits) shared by server processes through the store's counters:
two RateLimits on two stores opened on one database, as two processes have, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from userpools.clock import FrozenClock
from userpools.operations import limits as limits_module
from userpools.operations.limits import RateLimits
from userpools.storage.engine import open_store
from userpools.storage.ports import Store


def limiter(store: Store, clock: FrozenClock) -> RateLimits:
    return RateLimits(store, clock, account_id="123456789012", region="us-east-1", enforce=True,
                      recovery_requests_per_second=30)


def test_two_processes_share_a_categorys_rate_and_its_provisioned_value(
    store: Store, database_url: str, run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits_module, "FLUSH_SECONDS", 0.0)  # every request flushed: the count is exact

    async def body() -> None:
        other_store = await open_store(database_url)
        try:
            clock = FrozenClock()
            one, two = limiter(store, clock), limiter(other_store, clock)
            assert [await one.admit("UserRead") for _ in range(100)] == [True] * 100
            # A request is written at its process's next flush, before that one's decision: so far 99 of one's.
            assert [await two.admit("UserRead") for _ in range(30)] == [True] * 21 + [False] * 9
            assert await one.admit("UserRead") is False  # 100 + 21 of the 120

            await two.provision("UserRead", 150)  # the other process reads it at its next flush
            assert await one.provisioned("UserRead") == 150
            assert [await one.admit("UserRead") for _ in range(40)] == [True] * 29 + [False] * 11

            clock.advance(timedelta(seconds=1))  # a new second starts from nothing
            assert [await two.admit("UserRead") for _ in range(150)] == [True] * 150
            assert await two.admit("UserRead") is False
        finally:
            await other_store.close()

    run(body())

"""Cognito's request-rate limits (``domain.limits``): per account and Region, per category, per second.

The provisioned rate of each category is kept in the store's counters (key ``limit:<account>:<region>:
<category>``), so UpdateProvisionedLimit on one server process holds for all of them.

Counting every request with a database write would cost a write transaction per request (on SQLite, where
writers take turns, that halves throughput). So each process counts in memory, per category and one-second
window, and flushes its count to the shared counter (``rate:<account>:<region>:<category>``) at most every
``FLUSH_SECONDS`` per category, reading back the total of every process and the provisioned rate in the same
short transaction. A request is refused (TooManyRequestsException) when the last total read plus this
process's requests since then reach the rate. In one process that is exact; across processes it is
approximate: each may admit what the others admitted in the last flush interval (at most a tenth of a
second's worth of their traffic) before it sees their counts. Refused requests are not counted.

With the limits off (the development default) the operations are not wrapped at all: no work per request.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from userpools.clock import Clock
from userpools.domain.limits import CATEGORIES, category_of
from userpools.errors import TooManyRequestsException
from userpools.storage.ports import Store

FLUSH_SECONDS = 0.1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FOREVER = datetime(9999, 1, 1, tzinfo=UTC)
_KEPT = timedelta(seconds=10)  # how long a second's shared count stays before purge may drop it

Handler = Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]


class _Window:
    """One category's count in this process for the current second."""

    __slots__ = ("flushed_at", "pending", "rate", "second", "shared")

    def __init__(self, rate: int) -> None:
        self.second = -1
        self.shared = 0  # every process's count at the last flush, ours included
        self.pending = 0  # this process's admitted requests since
        self.flushed_at = 0.0  # time.monotonic() of the last flush
        self.rate = rate  # the provisioned rate, as last read


class RateLimits:
    """The provisioned rates (always: Get/UpdateProvisionedLimit) and, when ``enforce`` is on, their
    enforcement around the operations (``wrap``)."""

    def __init__(self, store: Store, clock: Clock, *, account_id: str, region: str, enforce: bool,
                 recovery_requests_per_second: int) -> None:
        self._store = store
        self._clock = clock
        self._prefix = f"{account_id}:{region}:"
        self.enforce = enforce
        #: The free (default) rate of each category; UserAccountRecovery's is the --recovery-requests-per-second
        #: setting (0: not limited).
        self.defaults = {name: rate for name, (rate, _adjustable) in CATEGORIES.items()}
        self.defaults["UserAccountRecovery"] = recovery_requests_per_second
        self._windows = {name: _Window(rate) for name, rate in self.defaults.items()}

    # --- the provisioned rates ------------------------------------------------------------------------------

    def _limit_key(self, category: str) -> str:
        return f"limit:{self._prefix}{category}"

    async def provisioned(self, category: str) -> int:
        async with self._store.transaction(readonly=True) as tx:
            stored = await tx.counters.peek(self._limit_key(category), _EPOCH)
        return stored or self.defaults[category]

    async def provision(self, category: str, value: int) -> None:
        async with self._store.transaction() as tx:
            await tx.counters.put(self._limit_key(category), _EPOCH, value, expires_at=_FOREVER)
        self._windows[category].rate = value  # this process at once; the others at their next flush

    # --- enforcement ----------------------------------------------------------------------------------------

    def wrap(self, operations: Mapping[str, Handler]) -> dict[str, Handler]:
        """The operations table with each handler behind its category's limit (app.py, when enforcing)."""
        return {name: self._limited(category_of(name), handler) for name, handler in operations.items()}

    def _limited(self, category: str, handler: Handler) -> Handler:
        admit = self.admit

        async def limited(ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
            if not await admit(category):
                raise TooManyRequestsException("Rate exceeded")
            return await handler(ctx, params)

        return limited

    async def admit(self, category: str) -> bool:
        """Counts one request of the category; False (not counted) when the category's rate is reached."""
        window = self._windows[category]
        now = self._clock.now()
        second = int(now.timestamp())
        if second != window.second:
            window.second, window.shared, window.pending = second, 0, 0  # a new second
        if time.monotonic() - window.flushed_at >= FLUSH_SECONDS:
            await self._flush(category, window, now)
        if not window.rate:
            return True  # 0: not limited (--recovery-requests-per-second 0)
        if window.shared + window.pending >= window.rate:
            return False
        window.pending += 1
        return True

    async def _flush(self, category: str, window: _Window, now: datetime) -> None:
        """Adds this process's pending count to the shared one; reads back the total and the provisioned
        rate. Other requests go on counting while it waits (the amount being written stays in ``pending`` until the
        total that includes it is read back, so no request is missed in between)."""
        window.flushed_at = time.monotonic()
        second, amount = window.second, window.pending  # still counted as pending while it is written
        start = _EPOCH + timedelta(seconds=second)
        key = f"rate:{self._prefix}{category}"
        async with self._store.transaction(readonly=not amount) as tx:
            if amount:
                total = await tx.counters.hit(key, start, expires_at=now + _KEPT, amount=amount)
            else:
                total = await tx.counters.peek(key, start)
            stored = await tx.counters.peek(self._limit_key(category), _EPOCH)
        window.rate = stored or self.defaults[category]
        if window.second == second:
            window.shared, window.pending = total, window.pending - amount

"""Answers that must not reveal, by their timing, whether a user exists (PreventUserExistenceErrors).

A simulated answer does less work than a real one (no code stored, no message recorded), so on its own it
would come back faster. The pacer remembers how long recent real answers took, per operation, and holds a
simulated answer until the same time has passed (a random pick among recent real durations, so the two
distributions match rather than just their medians).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque


class Pacer:
    def __init__(self, window: int = 64) -> None:
        self._real: dict[str, deque[float]] = {}
        self._window = window

    def start(self) -> float:
        return time.perf_counter()

    def record_real(self, operation: str, started: float) -> None:
        samples = self._real.setdefault(operation, deque(maxlen=self._window))
        samples.append(time.perf_counter() - started)

    async def hold_simulated(self, operation: str, started: float) -> None:
        samples = self._real.get(operation)
        if not samples:
            return
        target = random.choice(samples)
        remaining = target - (time.perf_counter() - started)
        if remaining > 0:
            await asyncio.sleep(remaining)

"""The recent trigger invocations of this process, for the developer console (development mode only): each
with its trigger, function, pool, the event sent and the answer received (or the error), newest first.

A bounded list in memory (``CAPACITY``), not the store: it is a development aid, like the console that shows
it; a server with ``--workers`` keeps one per process. Passwords in an event (UserMigration's
``request.password``) are replaced by ``HIDDEN`` before the event is kept.
"""

from __future__ import annotations

import copy
import itertools
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CAPACITY = 200
HIDDEN = "(hidden)"
#: Keys whose values are never kept, wherever they are in an event or an answer.
_SECRET_KEYS = frozenset({"password", "oldPassword", "newPassword"})


@dataclass(frozen=True)
class Invocation:
    number: int
    at: datetime
    trigger: str
    function: str
    pool_id: str
    trigger_source: str
    event: dict[str, Any]
    answer: dict[str, Any] | None
    error: str | None  # "<ErrorCode>: <message>" when the call failed
    seconds: float


def _hidden(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: HIDDEN if k in _SECRET_KEYS and v is not None else _hidden(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hidden(v) for v in value]
    return copy.copy(value)


class TriggerJournal:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._entries: deque[Invocation] = deque(maxlen=capacity)
        self._numbers = itertools.count(1)

    def record(self, *, at: datetime, trigger: str, function: str, event: Mapping[str, Any],
               answer: Mapping[str, Any] | None, error: str | None, seconds: float) -> None:
        self._entries.appendleft(Invocation(
            next(self._numbers), at, trigger, function, str(event.get("userPoolId", "")),
            str(event.get("triggerSource", "")), _hidden(event), None if answer is None else _hidden(answer), error,
            seconds,
        ))

    def recent(self, pool_id: str | None = None) -> list[Invocation]:
        """Newest first; only ``pool_id``'s when given."""
        return [e for e in self._entries if pool_id is None or e.pool_id == pool_id]

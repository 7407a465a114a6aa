"""Injectable time. Everything that needs "now" takes a Clock, so tests move time instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class AdjustableClock:
    """The system clock, which development mode lets tests stop and move (``POST /_userpools/clock``), so
    that expiry and lockout can be tested without sleeping. Off (never built) outside development mode."""

    def __init__(self, base: Clock | None = None) -> None:
        self._base = base or SystemClock()
        self._offset = timedelta(0)
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return self._base.now() + self._offset

    def freeze(self) -> None:
        self._frozen = self.now()

    def advance(self, delta: timedelta) -> None:
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta

    def reset(self) -> None:
        self._frozen = None
        self._offset = timedelta(0)

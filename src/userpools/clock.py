"""Injectable time. Everything that needs "now" takes a Clock, so tests move time instead of sleeping."""

from __future__ import annotations

import struct
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
    that expiry and lockout can be tested without sleeping. Off (never built) outside development mode.

    ``shared``: the clock of ``serve --workers``, whose setting lives in memory all the worker processes share
    (``SharedClockSetting``), so a clock moved through any worker is moved in every one."""

    def __init__(self, base: Clock | None = None, *, shared: SharedClockSetting | None = None) -> None:
        self._base = base or SystemClock()
        self._offset = timedelta(0)
        self._frozen: datetime | None = None
        self._shared = shared
        self._seen = -1  # the shared setting's version this process last read

    def now(self) -> datetime:
        if self._shared is not None and self._shared.version() != self._seen:
            self._seen, self._offset, self._frozen = self._shared.read()
        if self._frozen is not None:
            return self._frozen
        return self._base.now() + self._offset

    def freeze(self) -> None:
        self._set(self._offset, self.now())

    def advance(self, delta: timedelta) -> None:
        self.now()  # the newest shared setting first
        if self._frozen is not None:
            self._set(self._offset, self._frozen + delta)
        else:
            self._set(self._offset + delta, None)

    def reset(self) -> None:
        self._set(timedelta(0), None)

    def _set(self, offset: timedelta, frozen: datetime | None) -> None:
        if self._shared is not None:
            self._seen = self._shared.write(offset, frozen)
        self._offset, self._frozen = offset, frozen


class SharedClockSetting:
    """The development clock's offset and frozen time, in an anonymous shared memory mapping made by
    ``serve --workers``'s supervisor before it forks: every worker's AdjustableClock reads it.

    A version number, bumped by every change, is all a reader looks at on each ``now()`` (one aligned 8-byte
    read); only when it changed does the reader take the lock and read the setting, which a writer changes
    under the same lock before bumping the version."""

    _LAYOUT = struct.Struct("<qqq")  # version, offset in µs, frozen time in µs since the epoch (or NOT_FROZEN)
    _VERSION = struct.Struct("<q")
    NOT_FROZEN = -(2**63)

    def __init__(self) -> None:
        import mmap
        import multiprocessing

        self._memory = mmap.mmap(-1, self._LAYOUT.size)  # MAP_SHARED: fork()ed children see one memory
        self._LAYOUT.pack_into(self._memory, 0, 0, 0, self.NOT_FROZEN)
        self._lock = multiprocessing.get_context("fork").Lock()

    def version(self) -> int:
        return int(self._VERSION.unpack_from(self._memory, 0)[0])

    def read(self) -> tuple[int, timedelta, datetime | None]:
        with self._lock:
            version, offset, frozen = self._LAYOUT.unpack_from(self._memory, 0)
        return (
            version, timedelta(microseconds=offset),
            None if frozen == self.NOT_FROZEN else _EPOCH + timedelta(microseconds=frozen),
        )

    def write(self, offset: timedelta, frozen: datetime | None) -> int:
        """Sets the clock of every worker; answers the new version."""
        micros = self.NOT_FROZEN if frozen is None else (frozen - _EPOCH) // timedelta(microseconds=1)
        with self._lock:
            version = self.version() + 1
            self._LAYOUT.pack_into(self._memory, 0, version, offset // timedelta(microseconds=1), micros)
        return version


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

"""The supervisor of ``serve --workers N``, with workers that are plain functions (forked from this process).

The wire tests (tests/wire/test_workers.py) run the real server; these cover what a live server cannot
be made to do on demand: a worker failing to start, and a worker exiting after it served.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from userpools.workers import Supervisor

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")


def reaped(pids: str) -> bool:
    """Every pid (one per line) has exited and been waited for."""
    for pid in pids.split():
        try:
            os.waitpid(int(pid), os.WNOHANG)
        except ChildProcessError:
            continue
        return False
    return True


def test_a_worker_that_fails_to_start_stops_the_supervisor_with_its_status(tmp_path: Path) -> None:
    started = tmp_path / "started"

    def fails(slot: int, notify_ready: Any, stop_requested: Any) -> int:
        with started.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        return 3

    assert Supervisor(2, fails).run() == 3
    assert len(started.read_text().split()) == 2 and reaped(started.read_text())


def test_a_worker_that_exits_after_serving_is_replaced(tmp_path: Path) -> None:
    starts = tmp_path / "starts"

    def serves(slot: int, notify_ready: Any, stop_requested: Any) -> int:
        with starts.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        notify_ready()
        if len(starts.read_text().split()) == 1:
            return 0  # the first one "crashes" once it served
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # so the answer cannot be missed
        os.kill(os.getppid(), signal.SIGTERM)  # its replacement asks the supervisor to stop…
        signal.sigwait({signal.SIGTERM})  # …which asks it to stop in turn
        return 0

    previous = signal.getsignal(signal.SIGTERM)
    assert Supervisor(1, serves).run() == 0
    assert len(starts.read_text().split()) == 2 and reaped(starts.read_text())
    assert signal.getsignal(signal.SIGTERM) is previous

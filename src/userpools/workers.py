"""``userpools serve --workers N``: N server processes on one listening socket and one store.

The parent process (the supervisor) does what must happen exactly once, then forks:

1. binds the listening sockets (so the port is taken, and connections queue, before any worker runs): on
   Linux one per worker on the same port (SO_REUSEPORT), elsewhere one shared by all;
2. loads the data key (creating the development key file once) and migrates the schema;
3. forks N workers. Each builds its own application, store connections and event loop, and runs uvicorn
   on its inherited socket; the kernel hands each new connection to one of them.

Every piece of state a request depends on lives in the store (codes, sessions and refresh-token revocation,
lockout and recovery counters, signing keys, the outbox), so any worker can answer any request. What a
worker keeps in memory is either a cache of immutable rows (a pool's signing keys, parsed key objects) or
per-process by nature (the timing samples of ``operations.pacing``). The development clock
(``POST /_userpools/clock``) is the one setting held in memory: the supervisor makes a shared memory mapping
for it before it forks (``clock.SharedClockSetting``), so a clock moved through one worker is moved in all.

The supervisor:

- forwards SIGTERM and SIGINT to every worker as SIGTERM (uvicorn's graceful shutdown: open requests
  finish), waits for all of them, and exits 0; a second signal kills the workers at once (SIGKILL);
- replaces a worker that exits after it started serving (a crash, an OOM kill, a stray ``kill``), logging
  the worker's exit status;
- stops everything when a worker fails during start-up (the store is unreachable, the application cannot
  be built), exiting with that worker's status: a replacement would fail the same way;
- on Linux asks the kernel to send each worker SIGTERM should the supervisor itself die (even by SIGKILL),
  so no worker outlives it.
"""

from __future__ import annotations

import logging
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from userpools import metrics
from userpools.clock import SharedClockSetting
from userpools.config import Settings

log = logging.getLogger("userpools")

#: uvicorn's exit status for a server that could not start.
STARTUP_FAILURE = 3

def serve_workers(settings: Settings, *, workers: int, log_level: str, access_log: bool) -> int:
    """Runs ``workers`` server processes until SIGTERM or SIGINT; returns the exit status."""
    from userpools.app import load_cipher
    from userpools.storage.engine import migrate

    if not hasattr(os, "fork"):
        log.error("--workers above 1 needs a platform with fork()")
        return 2
    config = uvicorn_config(None, settings, log_level=log_level, access_log=access_log)
    sockets = listening_sockets(config, workers)  # exits with STARTUP_FAILURE (and logs why) if the address is taken
    try:
        load_cipher(settings)  # creates the development key file, once, before any worker reads it
        migrate(settings.effective_database_url)
    except Exception as exc:  # noqa: BLE001 - an unreachable or unusable store: say so and stop
        log.error("cannot prepare the store at %s: %s", _redacted(settings.effective_database_url), exc)
        for sock in sockets:
            sock.close()
        return STARTUP_FAILURE

    clock = SharedClockSetting() if settings.development_mode else None

    def run_worker(slot: int, notify_ready: Callable[[], None], stop_requested: Callable[[], bool]) -> int:
        return _run_worker(settings, sockets[slot % len(sockets)], clock, log_level=log_level,
                           access_log=access_log, notify_ready=notify_ready, stop_requested=stop_requested)

    # The metrics of every worker in files of one directory, summed by whichever worker is scraped
    # (prometheus-client's multiprocess mode); a new directory per run, so no old run's counts are added.
    metrics_dir = tempfile.mkdtemp(prefix="userpools-metrics-")
    metrics.use_multiprocess(metrics_dir)
    supervisor = Supervisor(workers, run_worker, description=settings.effective_public_url)
    try:
        return supervisor.run()
    finally:
        for sock in sockets:
            sock.close()
        shutil.rmtree(metrics_dir, ignore_errors=True)


def listening_sockets(config: Any, count: int) -> list[socket.socket]:
    """The workers' listening sockets, listening already (connections queue from now on, also while a worker
    is being replaced: the supervisor keeps them open).

    Where the platform has SO_REUSEPORT (Linux), one socket per worker on the same address: the kernel spreads
    new connections across them by their addresses. On one shared socket, whichever worker's loop wakes first
    accepts every connection waiting, so a client opening its keep-alive connections together (an SDK's pool,
    a load balancer) put 31 of 32 on one worker, which then did all the work. Elsewhere, one shared socket.

    The address is first bound as uvicorn binds it (without SO_REUSEPORT), so an address in use, by any
    process, still fails the start as it did (uvicorn logs why and exits with STARTUP_FAILURE); that socket
    then makes way for the workers' own, on the port it was given (``--port 0``: a free one)."""
    first = config.bind_socket()
    reuse_port = getattr(socket, "SO_REUSEPORT", None)
    if count > 1 and reuse_port is not None and sys.platform.startswith("linux"):
        family, address = first.family, first.getsockname()
        first.close()
        sockets: list[socket.socket] = []
        try:
            for _ in range(count):
                sock = socket.socket(family=family, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
                sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.setsockopt(socket.SOL_SOCKET, reuse_port, 1)
                sock.bind(address)
                sock.set_inheritable(True)
                sock.listen(config.backlog)
        except OSError as exc:  # taken in between by another process
            for sock in sockets:
                sock.close()
            log.error("cannot listen on %s: %s", address, exc)
            raise SystemExit(STARTUP_FAILURE) from exc
        return sockets
    first.listen(config.backlog)
    return [first]


def uvicorn_config(app: Any, settings: Settings, *, log_level: str, access_log: bool) -> Any:
    """uvicorn's options, for one process (cli.serve) and for each worker: uvloop and httptools, and each
    response in one write (``http.OneWriteHttpToolsProtocol``)."""
    import uvicorn

    from userpools.http import OneWriteHttpToolsProtocol, uvicorn_log_config

    files = settings.effective_tls_files  # checked (or made) by cli.serve before the workers start
    return uvicorn.Config(app, host=settings.host, port=settings.port, log_level=log_level,
                          log_config=uvicorn_log_config(settings.log_format),
                          access_log=access_log, server_header=False, http=OneWriteHttpToolsProtocol,
                          # X-Forwarded-For is read only for the access log: nothing else uses the client's address
                          # (Cognito's takes it from UserContextData), and uvicorn's middleware for it costs every
                          # request a call
                          proxy_headers=access_log,
                          timeout_keep_alive=settings.keep_alive_seconds,
                          ssl_certfile=files[0] if files else None, ssl_keyfile=files[1] if files else None)


def _run_worker(settings: Settings, sock: socket.socket, clock: SharedClockSetting | None, *, log_level: str,
                access_log: bool, notify_ready: Callable[[], None], stop_requested: Callable[[], bool]) -> int:
    """One worker: its own application, store and event loop, serving the inherited socket; in development
    mode on the clock all the workers share."""
    from userpools.app import create_app
    from userpools.clock import AdjustableClock, SystemClock
    from userpools.http import Server

    app: Any = create_app(settings, clock=SystemClock() if clock is None else AdjustableClock(shared=clock))

    class WorkerServer(Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                notify_ready()
            if stop_requested():  # a signal came before uvicorn listened for it
                self.should_exit = True

    server = WorkerServer(uvicorn_config(app, settings, log_level=log_level, access_log=access_log))
    server.run(sockets=[sock])
    return 0 if server.started else STARTUP_FAILURE


@dataclass
class _Worker:
    slot: int
    pid: int
    ready_fd: int  # the read end of the pipe on which the worker writes one byte once it serves
    ready: bool = False
    signalled: bool = False


class Supervisor:
    """Forks ``count`` workers running ``run_worker`` and keeps them running (see the module docstring).

    ``run_worker(slot, notify_ready, stop_requested)`` runs in the child (``slot``: which of the ``count``
    workers it is, the same for its replacement) and returns its exit status; it calls
    ``notify_ready()`` once it serves, and should stop soon after ``stop_requested()`` becomes true (a
    signal that came before it installed its own handlers)."""

    def __init__(self, count: int, run_worker: Callable[[int, Callable[[], None], Callable[[], bool]], int], *,
                 description: str = "") -> None:
        self.count = count
        self.run_worker = run_worker
        self.description = description
        self.workers: dict[int, _Worker] = {}
        self.exit_status = 0
        self._signals = 0  # SIGTERM/SIGINT received by the supervisor
        self._stopping = False
        self._killed = False
        self._announced = False
        self._wake: tuple[int, int] = (-1, -1)
        self._child_stop = False

    # --- the supervisor -------------------------------------------------------------------------------

    def run(self) -> int:
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        self._wake = (wake_r, wake_w)
        previous_wakeup = signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        previous = {
            sig: signal.signal(sig, handler)
            for sig, handler in ((signal.SIGTERM, self._on_stop_signal), (signal.SIGINT, self._on_stop_signal),
                                 (signal.SIGCHLD, _ignore))
        }
        try:
            log.info("starting %d workers", self.count)
            for slot in range(self.count):
                self._spawn(slot)
            self._loop(wake_r)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            signal.set_wakeup_fd(previous_wakeup)
            for worker in self.workers.values():  # only after an unexpected error in the loop itself
                _send(worker.pid, signal.SIGKILL)
            os.close(wake_r)
            os.close(wake_w)
        log.info("all workers stopped")
        return self.exit_status

    def _loop(self, wake_r: int) -> None:
        while True:
            if self._signals and not self._stopping:
                log.info("stopping %d workers", len(self.workers))
                self._stopping = True
            if self._stopping:
                self._signal_workers()
            if self._reap():
                continue  # a worker failed to start: stopping now, signal the others first
            if self._stopping and not self.workers:
                return
            waiting = [w.ready_fd for w in self.workers.values() if not w.ready and w.ready_fd >= 0]
            # Signals (SIGCHLD included) write to wake_r, so this wakes for them even if one came just before.
            readable, _, _ = select.select([wake_r, *waiting], [], [])
            if wake_r in readable:
                _drain(wake_r)
            for worker in list(self.workers.values()):
                if worker.ready_fd in readable:
                    self._read_ready(worker)

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1  # acted on by the loop, which the wakeup fd wakes

    def _signal_workers(self) -> None:
        if self._signals >= 2 and not self._killed:
            log.warning("second signal: killing %d workers", len(self.workers))
            self._killed = True
            for worker in self.workers.values():
                _send(worker.pid, signal.SIGKILL)
        for worker in self.workers.values():
            if not worker.signalled:
                worker.signalled = True
                _send(worker.pid, signal.SIGTERM)

    def _reap(self) -> bool:
        """Collects exited workers; replaces those that had been serving. True when one failed to start."""
        failed = False
        for pid in list(self.workers):  # only our workers: the embedding process may have other children
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # someone else reaped it: its status is lost
                done, status = pid, 255 << 8
            if done == 0:
                continue
            worker = self.workers.pop(pid)
            self._read_ready(worker)
            if worker.ready_fd >= 0:
                os.close(worker.ready_fd)
            code = os.waitstatus_to_exitcode(status)
            if self._stopping:
                log.info("worker %d (pid %d) stopped (%s)", worker.slot, pid, _describe(code))
            elif not worker.ready:
                log.error("worker %d (pid %d) failed to start (%s): stopping the server",
                          worker.slot, pid, _describe(code))
                self.exit_status = code if code > 0 else STARTUP_FAILURE
                self._signals = max(self._signals, 1)
                failed = True
            else:
                log.warning("worker %d (pid %d) exited unexpectedly (%s): starting a new one",
                            worker.slot, pid, _describe(code))
                self._spawn(worker.slot)
        return failed

    def _read_ready(self, worker: _Worker) -> None:
        if worker.ready or worker.ready_fd < 0:
            return
        try:
            data = os.read(worker.ready_fd, 1)
        except BlockingIOError:
            return
        if data:
            worker.ready = True
            if not self._announced and len(self.workers) == self.count and all(
                w.ready for w in self.workers.values()
            ):
                self._announced = True
                log.info("%d workers serving on %s", self.count, self.description)
        else:  # the worker closed the pipe without being ready: it is exiting; _reap will see it
            os.close(worker.ready_fd)
            worker.ready_fd = -1

    def _spawn(self, slot: int) -> None:
        ready_r, ready_w = os.pipe()
        parent = os.getpid()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker
            os.close(ready_r)
            self._become_worker(slot, ready_w, parent)  # never returns
        os.close(ready_w)
        os.set_blocking(ready_r, False)
        self.workers[pid] = _Worker(slot=slot, pid=pid, ready_fd=ready_r)
        log.info("worker %d started (pid %d)", slot, pid)

    # --- in a worker ------------------------------------------------------------------------------------

    def _become_worker(self, slot: int, ready_w: int, parent: int) -> None:
        status = 1
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, self._on_child_signal)
            signal.signal(signal.SIGINT, self._on_child_signal)
            for fd in (*self._wake, *(w.ready_fd for w in self.workers.values())):
                if fd >= 0:
                    os.close(fd)
            self.workers = {}
            _die_with_parent(parent)

            def notify_ready() -> None:
                os.write(ready_w, b"r")

            status = self.run_worker(slot, notify_ready, lambda: self._child_stop)
        except SystemExit as exc:  # uvicorn's own exit on a failed start-up
            status = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            log.exception("worker failed")
            status = 1
        finally:
            try:
                logging.shutdown()
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(status)

    def _on_child_signal(self, signum: int, frame: FrameType | None) -> None:
        self._child_stop = True


def _die_with_parent(parent: int) -> None:
    """Linux: SIGTERM this process when the supervisor dies, however it dies."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the supervisor died before the request took effect
        raise SystemExit(0)


def _ignore(signum: int, frame: FrameType | None) -> None:
    """SIGCHLD: only to wake the loop (through the wakeup fd); the loop reaps."""


def _send(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _redacted(database_url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable>"

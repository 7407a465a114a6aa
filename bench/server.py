"""``--start-server``: a ``python -m userpools serve`` of its own, on a free loopback port with a fresh data
directory, ready once ``GET /_userpools/health`` answers 200; stopped (SIGTERM, then SIGKILL) afterwards."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalServer:
    python: str = sys.executable
    database_url: str | None = None
    log_level: str = "warning"
    extra_args: Sequence[str] = ()
    keep_data: bool = False
    port: int = field(default_factory=free_port)
    data_dir: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    _log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def command(self) -> list[str]:
        assert self.data_dir is not None
        cmd = [
            self.python,
            "-m",
            "userpools",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--log-level",
            self.log_level,
        ]
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        return cmd + list(self.extra_args)

    def start(self, timeout: float = 60.0) -> LocalServer:
        self.data_dir = Path(tempfile.mkdtemp(prefix="userpools-bench-"))
        self._log = self.data_dir / "server.log"
        # the server reads USERPOOLS_* from the environment: leave them out so a run is what its flags say
        env = {k: v for k, v in os.environ.items() if not k.startswith("USERPOOLS_")}
        with self._log.open("wb") as log:  # the child keeps its own handle; a file never fills like a pipe
            self.proc = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"userpools exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + "/_userpools/health", timeout=2.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"userpools was not healthy within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if self._log is None or not self._log.exists():
            return ""
        return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.data_dir is not None and not self.keep_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)

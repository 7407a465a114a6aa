"""A real userpools server in a subprocess, for the wire tests: started with the CLI a user would run,
reached over HTTP by real clients (boto3, the AWS CLI, plain HTTP)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

READY_LINE = "Application startup complete"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    data_dir: Path
    database_url: str | None = None
    extra_args: Sequence[str] = ()
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    proc: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)
    scheme: str = "http"  # "https" for a server started with a --tls-* option
    cafile: Path | None = None  # the certificate clients trust for https (boto3's verify=)

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "userpools", "serve", "--host", self.host, "--port", str(self.port),
               "--data-dir", str(self.data_dir), "--log-level", "info"]
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        return cmd + list(self.extra_args)

    def start(self, timeout: float = 60.0) -> ServerProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("USERPOOLS_")} | self.env
        self.output = []
        self.proc = subprocess.Popen(
            self.command(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        ready = threading.Event()

        def drain() -> None:  # read the log until the server says it is ready, then keep the pipe empty
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self.output.append(line)
                if READY_LINE in line:
                    ready.set()
            ready.set()  # the process ended

        self._drain = threading.Thread(target=drain, daemon=True)
        self._drain.start()
        if not ready.wait(timeout) or self.proc.poll() is not None:
            self.stop()
            raise RuntimeError("userpools did not start:\n" + "".join(self.output))
        return self

    def run_to_exit(self, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Runs the command expecting it to exit by itself (a refused configuration)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("USERPOOLS_")} | self.env
        return subprocess.run(self.command(), capture_output=True, text=True, env=env, timeout=timeout,
                              check=False)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        drain = getattr(self, "_drain", None)
        if drain is not None:
            drain.join(timeout=10)  # the whole log has been read once the pipe is closed
        self.proc = None

    def client(self, service: str = "cognito-idp", *, validate: bool = True, **kwargs: Any) -> Any:
        """A boto3 client pointed at this server, as a user would configure it. ``validate=False`` turns
        off botocore's own client-side checks, so the server's answer to bad input can be seen."""
        if self.cafile is not None:
            kwargs.setdefault("verify", str(self.cafile))
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=kwargs.pop("aws_access_key_id", "AKIDEXAMPLE"),
            aws_secret_access_key=kwargs.pop("aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            config=Config(retries={"mode": "standard", "max_attempts": 1}, parameter_validation=validate),
            **kwargs,
        )

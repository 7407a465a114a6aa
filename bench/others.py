"""The other servers `compare.py` measures userpools against, each started fresh on a free loopback port and
stopped afterwards, with the same interface as :class:`bench.server.LocalServer` (``start()``, ``url``,
``pid``, ``log_tail()``, ``stop()``):

- moto's server (PyPI ``moto[server]``), in a virtualenv of its own under ``bench/.others/moto`` so that its
  dependencies never meet ours: ``moto_server -H 127.0.0.1 -p PORT``, one process (Werkzeug, a thread per
  request), every service in memory; ready when ``GET /moto-api/`` answers 200.
- cognito-local (npm ``cognito-local``) under ``bench/.others/cognito-local``: ``node …/lib/bin/start.js``
  with ``HOST`` and ``PORT`` in its environment, one Node process; it keeps its configuration and its data
  (a JSON file per pool) in ``.cognito/`` under its working directory, so each start gets a new temporary
  one. Ready when ``GET /health`` answers 200.

cognito-local's own default configuration makes every pool's usernames email addresses
(``UserPoolDefaults.UsernameAttributes: ["email"]``), whatever CreateUserPool asked; Cognito's default, and
what the load generator's CreateUserPool asks for (no UsernameAttributes), is plain usernames. The
``.cognito/config.json`` written here sets ``UsernameAttributes: []`` so that its pools are what was asked
for. Nothing else is configured: the requests are the same for every server.

- oidc-provider (npm ``oidc-provider``, the OpenID-certified reference provider) under
  ``bench/.others/oidc-provider``, run by our own ``bench/oidc_provider_server.mjs``: client_credentials
  with RS256 JWT access tokens (peers.md's settings), in memory, one Node process. Ready when
  ``GET /.well-known/openid-configuration`` answers 200. Only the client_credentials scenario runs on it.

``make bench`` installs them (``make others``); ``versions()`` reads what is installed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.server import free_port

OTHERS_DIR = Path(__file__).resolve().parent / ".others"


@dataclass
class ChildServer:
    """A server command run in a fresh temporary directory (its cwd, where its log goes too), in a session of
    its own so that stopping it ends anything it started."""

    name: str
    health_path: str
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
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def prepare(self, data_dir: Path) -> None:
        """Writes whatever the server needs in its working directory before it starts."""

    def start(self, timeout: float = 60.0) -> ChildServer:
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"{self.name}-bench-"))
        self._log = self.data_dir / "server.log"
        self.prepare(self.data_dir)
        with self._log.open("wb") as log:
            self.proc = subprocess.Popen(
                self.command(),
                cwd=self.data_dir,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + self.health_path, timeout=2.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} was not ready within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if self._log is None or not self._log.exists():
            return ""
        return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            pgid = self.proc.pid  # its own session: the group id is its pid
            os.killpg(pgid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(pgid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        if self.data_dir is not None and not self.keep_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)


@dataclass
class MotoServer(ChildServer):
    name: str = "moto"
    health_path: str = "/moto-api/"
    home: Path = OTHERS_DIR / "moto"

    def command(self) -> list[str]:
        return [str(self.home / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)]

    def environment(self) -> dict[str, str]:
        # moto needs no credentials; leave any real AWS settings out of its way
        return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}


@dataclass
class CognitoLocalServer(ChildServer):
    name: str = "cognito-local"
    health_path: str = "/health"
    home: Path = OTHERS_DIR / "cognito-local"
    node: str = field(default_factory=lambda: shutil.which("node") or "node")

    @property
    def package_dir(self) -> Path:
        return self.home / "node_modules" / "cognito-local"

    def command(self) -> list[str]:
        return [self.node, str(self.package_dir / "lib" / "bin" / "start.js")]

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "CODE", "COGNITO_LOCAL_DEVMODE")}
        return env | {"HOST": "127.0.0.1", "PORT": str(self.port)}

    def prepare(self, data_dir: Path) -> None:
        (data_dir / ".cognito").mkdir()
        config = {"UserPoolDefaults": {"UsernameAttributes": []}}
        (data_dir / ".cognito" / "config.json").write_text(json.dumps(config))


@dataclass
class OidcProviderServer(ChildServer):
    name: str = "oidc-provider"
    health_path: str = "/.well-known/openid-configuration"
    home: Path = OTHERS_DIR / "oidc-provider"
    node: str = field(default_factory=lambda: shutil.which("node") or "node")

    def command(self) -> list[str]:
        return [self.node, str(Path(__file__).resolve().parent / "oidc_provider_server.mjs")]

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "NODE_ENV")}
        return env | {"PORT": str(self.port), "OIDC_PROVIDER_HOME": str(self.home)}


def _run(command: Sequence[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


@dataclass
class MinistackServer(ChildServer):
    """ministack (PyPI, pinned by the Makefile) in a virtualenv of its own (it pins its own botocore), with
    ``cryptography`` (else it signs tokens with random bytes): AUTH=true turns its code, flow and token
    checks on; in memory; it serves software-token MFA (RFC 6238). See /work/shared/peers.md."""

    name: str = "ministack"
    health_path: str = "/_ministack/health"
    home: Path = OTHERS_DIR / "ministack"

    def command(self) -> list[str]:
        return [str(self.home / "bin" / "ministack")]

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PERSIST_"))}
        assert self.data_dir is not None
        return env | {
            "AUTH": "true",
            "GATEWAY_PORT": str(self.port),
            "BIND_HOST": "127.0.0.1",
            "STATE_DIR": str(self.data_dir),
            "TMPDIR": str(self.data_dir),
        }


def ministack_version(home: Path = OTHERS_DIR / "ministack") -> str | None:
    return _run([str(home / "bin" / "python"), "-c", "import importlib.metadata as m; print(m.version('ministack'))"])


def moto_version(home: Path = OTHERS_DIR / "moto") -> str | None:
    return _run([str(home / "bin" / "python"), "-c", "import moto; print(moto.__version__)"])


def cognito_local_version(home: Path = OTHERS_DIR / "cognito-local") -> str | None:
    try:
        return str(json.loads((home / "node_modules/cognito-local/package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def oidc_provider_version(home: Path = OTHERS_DIR / "oidc-provider") -> str | None:
    try:
        return str(json.loads((home / "node_modules/oidc-provider/package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def node_version(node: str | None = None) -> str | None:
    return _run([node or shutil.which("node") or "node", "--version"])


def missing() -> list[str]:
    """What is not installed yet, as the make target that installs it would say."""
    out = []
    if not (OTHERS_DIR / "moto" / "bin" / "moto_server").exists():
        out.append(f"moto: no {OTHERS_DIR / 'moto' / 'bin' / 'moto_server'}")
    if not (OTHERS_DIR / "cognito-local" / "node_modules" / "cognito-local" / "lib").exists():
        out.append(f"cognito-local: no {OTHERS_DIR / 'cognito-local' / 'node_modules' / 'cognito-local'}")
    if not (OTHERS_DIR / "ministack" / "bin" / "ministack").exists():
        out.append(f"ministack: no {OTHERS_DIR / 'ministack' / 'bin' / 'ministack'}")
    if not (OTHERS_DIR / "oidc-provider" / "node_modules" / "oidc-provider" / "lib").exists():
        out.append(f"oidc-provider: no {OTHERS_DIR / 'oidc-provider' / 'node_modules' / 'oidc-provider'}")
    return out

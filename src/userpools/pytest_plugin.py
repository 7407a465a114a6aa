"""The pytest plugin (entry point ``pytest11``: on as soon as userpools is installed; ``-p no:userpools``
turns it off). Fixtures:

- ``userpools`` (session): a userpools server on a free loopback port with a temporary data directory, run
  in this process on a thread of its own (no interpreter to start: ready in well under a second), stopped at
  the end of the session and its directory removed. It exposes ``endpoint``, ``latest_code(pool_id,
  username)``, ``messages(…)``, ``advance_clock(seconds)``, ``freeze_clock()``, ``reset_clock()`` and
  ``reset()`` (every pool gone, the clock back);
- ``cognito_idp`` (session): a boto3 ``cognito-idp`` client pointed at it (dummy credentials, us-east-1);
- ``user_pool`` (per test): a new pool (email auto-verified: SignUp sends a code) and an app client
  (``UserPool(pool_id, client_id)``) with the password, SRP and refresh flows on; the pool is deleted after
  the test.

After each test that moved the server's clock (advance_clock, freeze_clock), the clock is reset.

Options (command line, or the ini keys in brackets): ``--userpools-database-url URL``
(``userpools_database_url``): PostgreSQL (an existing database; migrated at start) instead of SQLite in the
temporary directory; ``--userpools-arg ARG``, repeatable (``userpools_args``): more ``userpools serve``
options, e.g. ``--userpools-arg=--config=userpools.toml``. The server always runs in development mode with
``--shared-signing-key`` (new pools in milliseconds; ``--userpools-arg=--no-shared-signing-key`` for keys of
their own).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

#: What the user_pool fixture's app client allows.
AUTH_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH",
              "ALLOW_REFRESH_TOKEN_AUTH"]

#: The dummy credentials of the cognito_idp client (a development-mode server takes any well-formed signature).
ACCESS_KEY_ID = "AKIAUSERPOOLSTEST"
SECRET_ACCESS_KEY = "userpools-test-secret-access-key"
REGION = "us-east-1"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("userpools", "userpools server for tests (the userpools fixture)")
    group.addoption("--userpools-database-url", default=None,
                    help="PostgreSQL URL (postgresql://user@host:port/db) for the userpools fixture's server; "
                         "default: SQLite in a temporary directory.")
    group.addoption("--userpools-arg", action="append", default=[],
                    help="An option for the userpools fixture's server, as `userpools serve` takes it "
                         "(repeatable), e.g. --userpools-arg=--config=userpools.toml")
    parser.addini("userpools_database_url", "PostgreSQL URL for the userpools fixture's server", default=None)
    parser.addini("userpools_args", "`userpools serve` options for the userpools fixture's server", type="args",
                  default=[])


class UserPoolsServer:
    """A userpools server on a thread of this process (the ``userpools`` fixture)."""

    def __init__(self, args: Sequence[str] = (), *, database_url: str | None = None,
                 data_dir: Path | None = None) -> None:
        self._own_dir = data_dir is None
        self.data_dir = Path(tempfile.mkdtemp(prefix="userpools-pytest-")) if data_dir is None else data_dir
        self._args = list(args)
        self._database_url = database_url
        self._thread: threading.Thread | None = None
        self._server: Any = None
        self._http: Any = None
        self._socket: socket.socket | None = None
        self.endpoint = ""
        self.startup_seconds = 0.0
        self.import_seconds = 0.0
        self.clock_moved = False

    def start(self, timeout: float = 30.0) -> UserPoolsServer:
        started = time.perf_counter()
        import uvicorn

        from userpools.app import create_app
        from userpools.cli import serve, settings_from_options
        from userpools.http import OneWriteHttpToolsProtocol

        self.import_seconds = time.perf_counter() - started

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))  # the port is ours from here on: no race for a "free" one
        self._socket = sock  # uvicorn serves on this very socket: closed once it has stopped
        port = sock.getsockname()[1]
        # a test's requests come one at a time: a signing helper process would only be one more process (the
        # fixture's --userpools-arg can still turn it on)
        args = ["--shared-signing-key", "--no-signing-process", *self._args, "--host", "127.0.0.1", "--port", str(port),
                "--data-dir", str(self.data_dir)]
        if self._database_url:
            args += ["--database-url", self._database_url]
        with serve.make_context("serve", args) as ctx:
            settings = settings_from_options(ctx.params)
        if not settings.development_mode:
            raise pytest.UsageError("the userpools fixture's server runs in development mode (its outbox and "
                                    "clock are what the fixture offers): do not give it --admin-credentials")
        if settings.workers != 1 or settings.tls:
            raise pytest.UsageError("the userpools fixture's server is one process on plain HTTP: leave out "
                                    "--workers and the --tls-* options")
        from userpools.config import ConfigError

        try:
            settings.check()
        except ConfigError as exc:
            raise pytest.UsageError(f"userpools: {exc}") from None
        app = create_app(settings)
        from userpools.app import provision_pools
        from userpools.provisioning import PoolsConfigError

        try:  # pools as code (--userpools-arg=--config=userpools.toml), as `userpools serve` applies them
            provision_pools(settings)
        except PoolsConfigError as exc:
            raise pytest.UsageError(f"userpools: {exc}") from None
        config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False,
                                server_header=False, http=OneWriteHttpToolsProtocol, lifespan="on",
                                timeout_keep_alive=settings.keep_alive_seconds,
                                ws="none")  # no WebSocket route: the websockets library is not imported
        self._server = server = uvicorn.Server(config)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(server.serve(sockets=[sock]))
            except BaseException as exc:  # noqa: BLE001 - reported by start() below
                failure.append(exc)

        self._thread = threading.Thread(target=run, name="userpools-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if failure or not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the userpools server did not start: {failure[0] if failure else 'timeout'}")
            time.sleep(0.005)
        self.endpoint = f"http://127.0.0.1:{port}"
        self.startup_seconds = time.perf_counter() - started
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._socket is not None:
            self._socket.close()
        if self._http is not None:
            self._http.close()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    @property
    def _development(self) -> Any:
        """The HTTP client of the development endpoints (outbox, clock, reset): made at its first use, as its
        TLS context alone costs tens of milliseconds of start-up a session may never need."""
        if self._http is None:
            import httpx

            self._http = httpx.Client(base_url=self.endpoint, timeout=30)
        return self._http

    # --- what tests need and Cognito lacks --------------------------------------------------------------

    def messages(self, pool_id: str | None = None, username: str | None = None, *,
                 limit: int = 100) -> list[dict[str, Any]]:
        """The messages the server sent (the outbox), newest first: userPoolId, username, destination,
        deliveryMedium, subject, body, code, triggerSource, createdAt."""
        params = {k: v for k, v in {"userPoolId": pool_id, "username": username, "limit": limit}.items() if v}
        response = self._development.get("/_userpools/outbox", params=params)
        response.raise_for_status()
        return list(response.json()["messages"])

    def latest_code(self, pool_id: str, username: str) -> str:
        """The code (or temporary password) of the latest message sent to ``username`` in ``pool_id``;
        LookupError when none was sent."""
        for message in self.messages(pool_id, username, limit=20):
            if message["code"]:
                return str(message["code"])
        raise LookupError(f"userpools sent no code to {username!r} in {pool_id}")

    def _clock(self, body: dict[str, Any]) -> str:
        self.clock_moved = not body.get("reset")
        response = self._development.post("/_userpools/clock", json=body)
        response.raise_for_status()
        return str(response.json()["now"])

    def advance_clock(self, seconds: float) -> str:
        """Moves the server's clock forward (codes, tokens and lockouts expire); returns its new time."""
        return self._clock({"advanceSeconds": seconds})

    def freeze_clock(self) -> str:
        """Stops the server's clock (it moves only with advance_clock from now on)."""
        return self._clock({"freeze": True})

    def reset_clock(self) -> str:
        """The server's clock is the system's again."""
        return self._clock({"reset": True})

    def reset(self) -> dict[str, Any]:
        """Every pool deleted, with everything in it (users, clients, the outbox, …), the counters emptied
        and the clock back to the system's."""
        response = self._development.post("/_userpools/reset")
        response.raise_for_status()
        self.reset_clock()
        return dict(response.json())

    def client(self, service: str = "cognito-idp", **kwargs: Any) -> Any:
        """A boto3 client pointed at the server (dummy credentials)."""
        import boto3
        from botocore.config import Config

        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                            config=Config(retries={"max_attempts": 1}), **kwargs)


@dataclass(frozen=True)
class UserPool:
    """The ``user_pool`` fixture: a new pool and its app client (no secret)."""

    pool_id: str
    client_id: str


def _option(config: pytest.Config, name: str, ini: str) -> Any:
    value = config.getoption(name)
    return value if value else config.getini(ini)


@pytest.fixture(scope="session")
def userpools(pytestconfig: pytest.Config) -> Iterator[UserPoolsServer]:
    """A userpools server for the session (see the module docstring)."""
    args = [*(_option(pytestconfig, "userpools_arg", "userpools_args") or [])]
    server = UserPoolsServer(args, database_url=_option(pytestconfig, "userpools_database_url",
                                                        "userpools_database_url"))
    try:
        server.start()
        _RUNNING.append(server)
        yield server
    finally:
        if server in _RUNNING:
            _RUNNING.remove(server)
        server.stop()  # also when it could not start: the temporary directory goes


#: The session's started servers (for the clock guard, which must not start one itself).
_RUNNING: list[UserPoolsServer] = []


@pytest.fixture(autouse=True)
def _userpools_clock_guard() -> Iterator[None]:
    """After each test that moved the server's clock, the clock is the system's again, so no test sees the
    time another one set. Costs a test that did not move it nothing (and never starts a server)."""
    yield
    for server in _RUNNING:
        if server.clock_moved:
            server.reset_clock()


@pytest.fixture(scope="session")
def cognito_idp(userpools: UserPoolsServer) -> Any:
    """A boto3 cognito-idp client pointed at the userpools server."""
    return userpools.client()


@pytest.fixture
def user_pool(userpools: UserPoolsServer, cognito_idp: Any, request: pytest.FixtureRequest) -> Iterator[UserPool]:
    """A new pool and app client for this test; deleted afterwards."""
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in request.node.name)[:100] or "test"
    pool_id = cognito_idp.create_user_pool(PoolName=name, AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
    client_id = cognito_idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="test", ExplicitAuthFlows=AUTH_FLOWS
    )["UserPoolClient"]["ClientId"]
    try:
        yield UserPool(pool_id, client_id)
    finally:
        try:
            cognito_idp.delete_user_pool(UserPoolId=pool_id)
        except cognito_idp.exceptions.ClientError:
            pass  # the test deleted it, or protected it: reset() takes it

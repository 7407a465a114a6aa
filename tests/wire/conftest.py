"""Fixtures for the wire tests: a live server per storage backend, and boto3 clients pointed at it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from server import ServerProcess

import pg

BACKENDS = ("sqlite", "postgresql")


def create_pg_database() -> str:
    """A fresh PostgreSQL database for one server; fails (never skips) if PostgreSQL is down."""
    try:
        return pg.create_database("userpools_wire")
    except pg.PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


class ServerFactory:
    """Starts extra servers for tests that need their own (restarts, credentials, two processes).

    A server started by a module (by its tests or its module-scoped fixtures) is stopped, and the PostgreSQL
    database made for it dropped, when that module ends (``_stop_module_servers``): a session of several
    hundred servers otherwise keeps every one's connection pool open to its end, and PostgreSQL's
    ``max_connections`` (100 by default) is reached before the last modules start theirs. Only the
    session-wide ``server`` fixture's servers are kept (``session=True``)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.module: list[tuple[ServerProcess, str | None]] = []  # the servers to stop, and their own database
        self.session: list[tuple[ServerProcess, str | None]] = []

    def __call__(self, backend: str = "sqlite", *, start: bool = True, database: str | None = None,  # a URL
                 session: bool = False, **kwargs: Any) -> ServerProcess:
        data_dir = self.tmp_path_factory.mktemp(f"userpools-{backend}")
        url = own = None
        if backend == "postgresql":
            url = own = create_pg_database() if database is None else None
            url = url or database
        srv = ServerProcess(data_dir=data_dir, database_url=url, **kwargs)
        (self.session if session else self.module).append((srv, own))
        return srv.start() if start else srv

    @staticmethod
    def stop(servers: list[tuple[ServerProcess, str | None]]) -> None:
        for srv, _ in servers:
            srv.stop()
        for _, own in servers:
            if own is not None:
                pg.drop_database(own)
        servers.clear()

    def end_module(self) -> None:
        self.stop(self.module)

    def end_session(self) -> None:
        self.stop(self.module)
        self.stop(self.session)


@pytest.fixture(scope="session")
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    factory = ServerFactory(tmp_path_factory)
    yield factory
    factory.end_session()


@pytest.fixture(scope="module", autouse=True)
def _stop_module_servers(server_factory: ServerFactory) -> Iterator[None]:
    """Autouse, so set up before (and torn down after) every fixture of the module that starts a server."""
    yield
    server_factory.end_module()


@pytest.fixture(scope="session", params=BACKENDS)
def server(request: pytest.FixtureRequest, server_factory: ServerFactory) -> ServerProcess:
    """One live server per backend; every wire test that uses it runs on SQLite and on PostgreSQL."""
    return server_factory(request.param, session=True)


@pytest.fixture
def cognito(server: ServerProcess) -> Any:
    return server.client()


@pytest.fixture(scope="module")
def lambdas() -> Iterator[Any]:
    """A real AWS Lambda Invoke API (and webhook) server on loopback for the trigger tests of one module;
    tests register the Python handlers it runs (tests/wire/lambda_api.py)."""
    from lambda_api import LambdaApiServer

    with LambdaApiServer() as api:
        yield api


@pytest.fixture
def calls(lambdas: Any) -> Any:
    """The module's Lambda API server, emptied of the previous test's functions and requests."""
    lambdas.reset()
    return lambdas


@pytest.fixture
def raw_cognito(server: ServerProcess) -> Any:
    """A boto3 client without botocore's client-side validation: what the server answers to bad input."""
    return server.client(validate=False)


@pytest.fixture
def pool(cognito: Any) -> Iterator[dict[str, Any]]:
    """A fresh pool with default settings, deleted afterwards."""
    created = cognito.create_user_pool(PoolName=f"pool-{uuid.uuid4().hex[:8]}")["UserPool"]
    yield created
    try:
        cognito.delete_user_pool(UserPoolId=created["Id"])
    except cognito.exceptions.ResourceNotFoundException:
        pass

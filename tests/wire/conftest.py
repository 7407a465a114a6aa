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


@pytest.fixture(scope="session")
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Starts extra servers for tests that need their own (restarts, credentials, two processes)."""
    started: list[ServerProcess] = []
    databases: list[str] = []

    def make(backend: str = "sqlite", *, start: bool = True, database: str | None = None,  # a URL
             **kwargs: Any) -> ServerProcess:
        data_dir = tmp_path_factory.mktemp(f"userpools-{backend}")
        url = None
        if backend == "postgresql":
            if database is None:
                url = create_pg_database()
                databases.append(url)
            else:
                url = database
        srv = ServerProcess(data_dir=data_dir, database_url=url, **kwargs)
        started.append(srv)
        return srv.start() if start else srv

    yield make
    for srv in started:
        srv.stop()
    for url in databases:
        pg.drop_database(url)


@pytest.fixture(scope="session", params=BACKENDS)
def server(request: pytest.FixtureRequest, server_factory: Any) -> ServerProcess:
    """One live server per backend; every wire test that uses it runs on SQLite and on PostgreSQL."""
    return server_factory(request.param)


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

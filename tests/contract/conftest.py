"""The contract suite's fixtures: every test runs once per backend.

pytest-asyncio is not used: a test receives ``run``, an ``asyncio.Runner`` whose loop also opened the store
(asyncpg connections belong to the loop that made them), and calls ``run(coroutine)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

import pg
from userpools.storage.engine import open_store
from userpools.storage.ports import Store

T = TypeVar("T")
Run = Callable[[Coroutine[Any, Any, T]], T]

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def run() -> Iterator[Run[Any]]:
    with asyncio.Runner() as runner:
        yield runner.run


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty store's URL: a new SQLite file, or the session's PostgreSQL database emptied."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/data/userpools.db"
    url = str(request.getfixturevalue("postgresql_url"))
    pg.truncate_all(url)
    return url


@pytest.fixture
def store(database_url: str, run: Run[Any]) -> Iterator[Store]:
    opened = run(open_store(database_url))
    yield opened
    run(opened.close())

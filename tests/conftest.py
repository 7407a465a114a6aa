"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import pg


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped at its end). Fails, never skips, when
    PostgreSQL is not running."""
    try:
        url = pg.create_database()
    except pg.PostgresUnavailable as e:
        pytest.fail(str(e), pytrace=False)
    yield url
    pg.drop_database(url)

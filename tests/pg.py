"""PostgreSQL for tests: a fresh, uniquely named database per test session, dropped at its end.

The server is ``USERPOOLS_TEST_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/test``, trust auth);
the databases are created from a connection to that maintenance database. An unreachable server is an error
that says how to start it, never a reason to skip.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

SERVER_URL = os.environ.get("USERPOOLS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
START_HINT = "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


class PostgresUnavailable(RuntimeError):
    pass


def run_async(coroutine: Any) -> Any:
    """``asyncio.run``, on a thread of its own when this thread already runs an event loop (Playwright's sync
    API keeps one running while the browser tests ask for a PostgreSQL server)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def create_database(prefix: str = "userpools_test") -> str:
    """Creates an empty database ``<prefix>_<random hex>`` and returns its ``postgresql://`` URL."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    run_async(_admin(f'CREATE DATABASE "{name}"'))
    return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(database_url: str) -> None:
    """Drops the database, disconnecting whoever is still connected."""
    name = make_url(database_url).database
    run_async(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def truncate_all(database_url: str) -> None:
    """Empties every table of the database's public schema except Alembic's version table."""
    run_async(_truncate_all(database_url))


async def _truncate_all(database_url: str) -> None:
    conn = await _connect(database_url)
    try:
        tables = await conn.fetch(
            "SELECT quote_ident(tablename) AS t FROM pg_tables "
            "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        if tables:
            await conn.execute(f"TRUNCATE {', '.join(r['t'] for r in tables)} CASCADE")
    finally:
        await conn.close()


def table_names(database_url: str) -> set[str]:
    """The tables of the database's public schema."""
    return asyncio.run(_table_names(database_url))


async def _table_names(database_url: str) -> set[str]:
    conn = await _connect(database_url)
    try:
        return {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    finally:
        await conn.close()


async def _admin(sql: str) -> None:
    conn = await _connect(SERVER_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _connect(database_url: str) -> Any:
    url = make_url(database_url)
    try:
        return await asyncpg.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 5432,
            user=url.username or "postgres",
            password=url.password,
            database=url.database,
            timeout=5,
        )
    except (TimeoutError, OSError, asyncpg.PostgresError) as e:
        where = make_url(database_url).render_as_string(hide_password=True)
        raise PostgresUnavailable(f"PostgreSQL is not reachable at {where} ({e!r}); {START_HINT}") from e

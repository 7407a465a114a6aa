"""Migration 0003 (auth events, counters) upgrades and downgrades cleanly on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from contract_records import POOL, T0, a_user, setup
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

import pg
from userpools.domain.records import AuthEventRecord
from userpools.storage.engine import (
    create_engine,
    migrate_async,
    open_store,
    run_in_migration_transaction,
)
from userpools.storage.schema import metadata
from userpools.storage.upgrade import alembic_config

NEW_TABLES = {"auth_events", "counters"}


def downgrade_to(revision: str) -> Callable[[Connection], None]:
    def fn(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    return fn


HEAD = "0014"  # the latest revision: 0003 is checked on its way there and back


async def inspected(url: str) -> tuple[set[str], str | None, list[Any]]:
    """The database's tables, its Alembic revision, and how it differs from ``schema.metadata``."""

    def read(connection: Connection) -> tuple[set[str], str | None, list[Any]]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        tables = set(inspect(connection).get_table_names())
        return tables, context.get_current_revision(), list(compare_metadata(context, metadata))

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(read)
    finally:
        await engine.dispose()


def test_0003_downgrades_keeping_what_came_before_and_upgrades_again(backend: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/m/userpools.db" if backend == "sqlite" else _fresh_postgres_database()
    event = AuthEventRecord("e1", POOL, "alice", "SignIn", T0, "Pass")

    async def body() -> None:
        await migrate_async(url)
        tables, revision, differences = await inspected(url)
        assert NEW_TABLES <= tables and revision == HEAD and differences == []
        store = await open_store(url, migrate=False)
        try:
            await setup(store, a_user("alice"))
            async with store.transaction() as tx:
                await tx.auth_events.add(event)
                await tx.counters.hit("k", T0, expires_at=T0)
        finally:
            await store.close()

        await run_in_migration_transaction(url, downgrade_to("0002"))
        tables, revision, _ = await inspected(url)
        assert revision == "0002"
        assert not NEW_TABLES & tables and {"users", "outbox", "user_pools"} <= tables
        store = await open_store(url, migrate=False)
        try:
            async with store.transaction() as tx:
                assert await tx.users.get(POOL, "alice") == a_user("alice")
        finally:
            await store.close()

        await migrate_async(url)  # up again: empty new tables, the schema module's schema
        tables, revision, differences = await inspected(url)
        assert NEW_TABLES <= tables and revision == HEAD and differences == []
        store = await open_store(url, migrate=False)
        try:
            async with store.transaction() as tx:
                assert await tx.auth_events.list(POOL, "alice", limit=10) == []
                assert await tx.counters.peek("k", T0) == 0
                await tx.auth_events.add(event)
        finally:
            await store.close()

        await run_in_migration_transaction(url, downgrade_to("base"))
        tables, revision, _ = await inspected(url)
        assert revision is None and tables <= {"alembic_version"}

    try:
        asyncio.run(body())
    finally:
        if backend == "postgresql":
            pg.drop_database(url)


def _fresh_postgres_database() -> str:
    try:
        return pg.create_database()
    except pg.PostgresUnavailable as e:
        pytest.fail(str(e), pytrace=False)

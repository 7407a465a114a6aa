"""A new database gets the schema module's tables directly (``engine.create_current``, what a server's start-up
does) instead of a replay of every migration: both ways must make the same database, on SQLite and PostgreSQL.

Compared: every table's columns (in order: name, type, nullability, default, collation), primary key, foreign
keys (with their ON DELETE), indexes, unique and check constraints, the rows (the ones migrations seed), and
Alembic's version table; on PostgreSQL also ``pg_dump --schema-only`` of both databases, line for line (what
the inspector leaves out: sequences, identity, storage details).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, inspect, select
from sqlalchemy.engine import Connection, make_url

import pg
from userpools.storage.engine import (
    bring_to_head,
    create_engine,
    head_revision,
    run_in_migration_transaction,
)
from userpools.storage.upgrade import upgrade_to_head


def describe(connection: Connection) -> dict[str, Any]:
    """What the two databases must share, as plain data."""
    inspector = inspect(connection)
    tables: dict[str, Any] = {}
    for name in sorted(inspector.get_table_names()):
        columns = [
            (c["name"], str(c["type"]), c["nullable"], c.get("default"), getattr(c["type"], "collation", None))
            for c in inspector.get_columns(name)
        ]
        primary = inspector.get_pk_constraint(name)
        tables[name] = {
            "columns": columns,
            "primary_key": (primary.get("name"), primary["constrained_columns"]),
            "foreign_keys": sorted(
                (fk.get("name") or "", fk["constrained_columns"], fk["referred_table"], fk["referred_columns"],
                 sorted((fk.get("options") or {}).items()))
                for fk in inspector.get_foreign_keys(name)
            ),
            "indexes": sorted((i["name"], i["column_names"], bool(i["unique"]))
                              for i in inspector.get_indexes(name)),
            "unique": sorted((u.get("name") or "", u["column_names"]) for u in inspector.get_unique_constraints(name)),
            "checks": sorted((c.get("name") or "", c["sqltext"]) for c in inspector.get_check_constraints(name)),
        }
    reflected = MetaData()
    reflected.reflect(connection)
    rows = {name: sorted(tuple(row) for row in connection.execute(select(table)))
            for name, table in sorted(reflected.tables.items())}
    return {"tables": tables, "rows": rows}


def _fresh(backend: str, tmp_path: Path, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/{name}/userpools.db"
    try:
        return pg.create_database(f"userpools_schema_{name}")
    except pg.PostgresUnavailable as e:
        pytest.fail(str(e), pytrace=False)


async def _prepare(url: str, fn: Callable[[Connection], None]) -> dict[str, Any]:
    await run_in_migration_transaction(url, fn)
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(describe)
    finally:
        await engine.dispose()


def _schema_dump(url: str) -> list[str]:
    """``pg_dump --schema-only`` of the database, without the lines that name it or change per run."""
    parsed = make_url(url)
    done = subprocess.run(
        ["pg_dump", "--schema-only", "--no-owner", "-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432),
         "-U", parsed.username or "postgres", parsed.database or ""],
        capture_output=True, text=True, check=True,
    )
    skipped = re.compile(r"^(--|\\restrict|\\unrestrict|SET |SELECT pg_catalog.set_config)")
    return [line for line in done.stdout.splitlines() if line.strip() and not skipped.match(line)]


def test_a_new_database_is_created_at_the_head_as_the_migrations_make_it(backend: str, tmp_path: Path) -> None:
    replayed_url = _fresh(backend, tmp_path, "replayed")
    created_url = _fresh(backend, tmp_path, "created")
    try:
        replayed = asyncio.run(_prepare(replayed_url, upgrade_to_head))  # every migration, as before
        created = asyncio.run(_prepare(created_url, bring_to_head))  # empty: created directly

        assert created["rows"]["alembic_version"] == [(head_revision(),)]
        assert set(created["tables"]) == set(replayed["tables"])
        for name in replayed["tables"]:
            assert created["tables"][name] == replayed["tables"][name], name
        assert created["rows"] == replayed["rows"]
        if backend == "postgresql":
            if shutil.which("pg_dump") is None:
                pytest.fail("pg_dump is missing (Debian: postgresql-client)", pytrace=False)
            assert _schema_dump(created_url) == _schema_dump(replayed_url)
    finally:
        if backend == "postgresql":
            pg.drop_database(replayed_url)
            pg.drop_database(created_url)


def test_the_head_read_from_the_migration_files_is_alembics(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    from userpools.storage.upgrade import alembic_config

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_a_database_at_the_head_is_left_alone_and_an_older_one_is_upgraded(tmp_path: Path) -> None:
    from alembic import command

    from userpools.storage.upgrade import alembic_config

    url = f"sqlite:///{tmp_path}/old/userpools.db"

    def to_0012(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0012")

    async def body() -> tuple[dict[str, Any], dict[str, Any]]:
        old = await _prepare(url, to_0012)
        return old, await _prepare(url, bring_to_head)

    old, upgraded = asyncio.run(body())
    assert old["rows"]["alembic_version"] == [("0012",)]
    assert upgraded["rows"]["alembic_version"] == [(head_revision(),)]
    again = asyncio.run(_prepare(url, bring_to_head))
    assert again == upgraded


def test_a_server_starts_without_importing_alembic_webauthn_or_pysaml2() -> None:
    """Alembic is imported only for a database that needs upgrading, webauthn at the first passkey operation,
    pysaml2 at the first SAML message: none by the app, the store or the plugin (start-up cost,
    docs/architecture.md)."""
    code = ("import sys, userpools.app, userpools.pytest_plugin, userpools.storage.engine;"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'webauthn', 'saml2'}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

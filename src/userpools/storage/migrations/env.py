"""Alembic's environment for the store.

``userpools.storage.engine.migrate`` hands this script an open connection, already inside the one
transaction the upgrade runs in (under PostgreSQL's advisory lock, with SQLite's foreign keys off), through
``config.attributes["connection"]``. Without one (the ``alembic`` command line with ``sqlalchemy.url``
set, e.g. ``alembic revision --autogenerate``) it opens its own through the same helper; ``--sql`` renders
the migrations as a script for a DBA instead.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from userpools.storage.schema import metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite alters tables by copying them; batch mode does that for every op.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline(url: str) -> None:
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("run migrations with userpools.storage.engine.migrate(), or set sqlalchemy.url")
    if context.is_offline_mode():
        run_offline(url)
        return
    from userpools.storage.engine import run_in_migration_transaction

    asyncio.run(run_in_migration_transaction(url, run_on))


main()

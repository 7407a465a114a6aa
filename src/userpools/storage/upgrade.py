"""Alembic's side of the migrations: its configuration, built in code (no alembic.ini), and the upgrade of a
database at an older revision. Imported only when a database needs it (``engine.bring_to_head``), so that
Alembic (a tenth of a second and more of imports) stays out of a server's start-up on a new or current
database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str | None = None) -> Config:
    """Alembic's configuration, built in code (no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if database_url is not None:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(connection: Connection) -> None:
    """``alembic upgrade head`` on ``connection`` (inside ``engine.run_in_migration_transaction``)."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")

"""Alembic migrations of the store. Run them with ``userpools.storage.engine.migrate`` (or ``open_store``),
which configures Alembic programmatically; no alembic.ini is needed."""

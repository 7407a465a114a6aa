"""Alembic revisions, one file each, named ``NNNN_<what>.py`` with ``revision = "NNNN"``."""

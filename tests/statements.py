"""Capturing the SQL a store runs (to EXPLAIN it), on either path: SQLAlchemy's engine events on PostgreSQL,
the direct paths' listeners (``SqlStore.statement_listeners``) otherwise."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event


@contextlib.contextmanager
def captured_statements(store: Any) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []
    if getattr(store, "_direct", None) is not None or getattr(store, "_pg", None) is not None:

        def listen(statement: str, parameters: Any) -> None:
            statements.append((statement, parameters))

        store.statement_listeners.append(listen)
        try:
            yield statements
        finally:
            store.statement_listeners.remove(listen)
        return

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    engine = store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", capture)

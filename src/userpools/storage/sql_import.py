"""User import jobs on SQLAlchemy Core: the ``ImportJobPort`` (``import_jobs``, ``import_job_files``,
``import_job_log``).

The same rules as ``storage.sql``: statements built once, ``INSERT … ON CONFLICT DO NOTHING`` reporting
``Conflict``. A claim is one conditional UPDATE, so of several server processes exactly one works on a job.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, or_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert

from userpools.domain.records import ImportJobRecord, ImportLogLine
from userpools.storage.ports import Conflict
from userpools.storage.schema import import_job_files, import_job_log, import_jobs
from userpools.storage.sql_users import (
    as_bytes,
    dialect_insert,
    from_micros,
    insert_or_conflict,
    optional_datetime,
    optional_micros,
    to_micros,
)

#: The states a server works on (or resumes after a restart).
UNFINISHED = ("Pending", "InProgress", "Stopping")
#: As SQL text: the direct paths compile each statement once, without SQLAlchemy's expanding IN.
_IS_UNFINISHED = text("import_jobs.status IN ('Pending', 'InProgress', 'Stopping')")

_J = import_jobs.c
_COLUMNS = (
    _J.id,
    _J.pool_id,
    _J.name,
    _J.status,
    _J.role_arn,
    _J.created_at,
    _J.password_hashing,
    _J.started_at,
    _J.completed_at,
    _J.imported,
    _J.skipped,
    _J.failed,
    _J.message,
    _J.progress_line,
    _J.owner,
    _J.heartbeat_at,
    _J.uploaded_at,
)
_MUTABLE = (
    "status",
    "started_at",
    "completed_at",
    "imported",
    "skipped",
    "failed",
    "message",
    "progress_line",
    "owner",
    "heartbeat_at",
    "uploaded_at",
)
_GET = select(*_COLUMNS).where(_J.pool_id == bindparam("b_pool_id"), _J.id == bindparam("b_id"))
_GET_FOR_UPDATE = _GET.with_for_update()
_UPDATE = update(import_jobs).where(_J.id == bindparam("b_id")).values({n: bindparam(n) for n in _MUTABLE})
_LIST = (
    select(*_COLUMNS)
    .where(_J.pool_id == bindparam("b_pool_id"))
    .order_by(_J.created_at.desc(), _J.id.desc())
    .limit(bindparam("b_limit"))
)
_LIST_BEFORE = _LIST.where(tuple_(_J.created_at, _J.id) < tuple_(bindparam("b_at"), bindparam("b_before")))
_UNFINISHED = select(*_COLUMNS).where(_IS_UNFINISHED).order_by(_J.created_at).limit(bindparam("b_limit"))
_CLAIM = (
    update(import_jobs)
    .where(
        _J.id == bindparam("b_id"),
        _IS_UNFINISHED,
        or_(_J.owner.is_(None), _J.owner == bindparam("b_owner"), _J.heartbeat_at < bindparam("b_stale")),
    )
    .values(owner=bindparam("owner"), heartbeat_at=bindparam("heartbeat_at"))
)
_RELEASE = (
    update(import_jobs)
    .where(_J.id == bindparam("b_id"), _J.owner == bindparam("b_owner"))
    .values(owner=None, heartbeat_at=None)
)
_F = import_job_files.c
_GET_FILE = select(_F.content).where(_F.job_id == bindparam("b_id"))
_DELETE_FILE = delete(import_job_files).where(_F.job_id == bindparam("b_id"))
_L = import_job_log.c
_LOG = (
    select(_L.job_id, _L.line, _L.outcome, _L.message)
    .where(_L.job_id == bindparam("b_id"), _L.line > bindparam("b_after"))
    .order_by(_L.line)
    .limit(bindparam("b_limit"))
)


class ImportStatements:
    """The dialect's insert statements for these tables."""

    def __init__(self, dialect_name: str) -> None:
        insert = dialect_insert(dialect_name)
        self.job: Insert = insert(import_jobs).on_conflict_do_nothing(index_elements=[_J.id])
        upsert = insert(import_job_files)
        self.file: Insert = upsert.on_conflict_do_update(
            index_elements=[_F.job_id], set_={"content": upsert.excluded.content}
        )
        self.log: Insert = insert(import_job_log)
        #: PostgreSQL: a batch's log lines in one statement over arrays.
        self.log_unnest = (
            text(
                "INSERT INTO import_job_log (job_id, line, outcome, message) SELECT * FROM unnest("
                "CAST(:job_id AS text[]), CAST(:line AS bigint[]), CAST(:outcome AS text[]), "
                "CAST(:message AS text[]))"
            )
            if dialect_name == "postgresql"
            else None
        )


def _job(row: Row[Any]) -> ImportJobRecord:
    return ImportJobRecord(
        id=row[0],
        pool_id=row[1],
        name=row[2],
        status=row[3],
        role_arn=row[4],
        created_at=from_micros(row[5]),
        password_hashing=row[6],
        started_at=optional_datetime(row[7]),
        completed_at=optional_datetime(row[8]),
        imported=int(row[9]),
        skipped=int(row[10]),
        failed=int(row[11]),
        message=row[12],
        progress_line=int(row[13]),
        owner=row[14],
        heartbeat_at=optional_datetime(row[15]),
        uploaded_at=optional_datetime(row[16]),
    )


def _mutable(job: ImportJobRecord) -> dict[str, Any]:
    return {
        "status": job.status,
        "started_at": optional_micros(job.started_at),
        "completed_at": optional_micros(job.completed_at),
        "imported": job.imported,
        "skipped": job.skipped,
        "failed": job.failed,
        "message": job.message,
        "progress_line": job.progress_line,
        "owner": job.owner,
        "heartbeat_at": optional_micros(job.heartbeat_at),
        "uploaded_at": optional_micros(job.uploaded_at),
    }


class SqlImportJobs:
    __slots__ = ("_conn", "_statements")

    def __init__(self, conn: AsyncConnection, statements: ImportStatements) -> None:
        self._conn = conn
        self._statements = statements

    async def insert(self, job: ImportJobRecord) -> None:
        values = {
            "id": job.id,
            "pool_id": job.pool_id,
            "name": job.name,
            "role_arn": job.role_arn,
            "password_hashing": job.password_hashing,
            "created_at": to_micros(job.created_at),
            **_mutable(job),
        }
        await insert_or_conflict(self._conn, self._statements.job, values, f"import job {job.id}")

    async def get(self, pool_id: str, job_id: str, *, for_update: bool = False) -> ImportJobRecord | None:
        statement = _GET_FOR_UPDATE if for_update else _GET
        row = (await self._conn.execute(statement, {"b_pool_id": pool_id, "b_id": job_id})).first()
        return None if row is None else _job(row)

    async def update(self, job: ImportJobRecord) -> None:
        await self._conn.execute(_UPDATE, {"b_id": job.id, **_mutable(job)})

    async def list(
        self, pool_id: str, *, limit: int, before: tuple[datetime, str] | None = None
    ) -> Sequence[ImportJobRecord]:
        params: dict[str, Any] = {"b_pool_id": pool_id, "b_limit": limit}
        statement = _LIST
        if before is not None:
            statement = _LIST_BEFORE
            params["b_at"], params["b_before"] = to_micros(before[0]), before[1]
        return [_job(row) for row in await self._conn.execute(statement, params)]

    async def unfinished(self, *, limit: int) -> Sequence[ImportJobRecord]:
        return [_job(row) for row in await self._conn.execute(_UNFINISHED, {"b_limit": limit})]

    async def claim(self, job_id: str, owner: str, now: datetime, *, stale_before: datetime) -> bool:
        params = {
            "b_id": job_id,
            "b_owner": owner,
            "b_stale": to_micros(stale_before),
            "owner": owner,
            "heartbeat_at": to_micros(now),
        }
        return (await self._conn.execute(_CLAIM, params)).rowcount > 0

    async def release(self, job_id: str, owner: str) -> bool:
        return (await self._conn.execute(_RELEASE, {"b_id": job_id, "b_owner": owner})).rowcount > 0

    async def put_file(self, job_id: str, content: bytes) -> None:
        await self._conn.execute(self._statements.file, {"job_id": job_id, "content": content})

    async def get_file(self, job_id: str) -> bytes | None:
        row = (await self._conn.execute(_GET_FILE, {"b_id": job_id})).first()
        return None if row is None else as_bytes(row[0])

    async def delete_file(self, job_id: str) -> None:
        await self._conn.execute(_DELETE_FILE, {"b_id": job_id})

    async def add_log(self, lines: Sequence[ImportLogLine]) -> None:
        rows = [
            {"job_id": x.job_id, "line": x.line, "outcome": x.outcome, "message": x.message} for x in lines
        ]
        if not rows:
            return
        if self._statements.log_unnest is not None:
            columns = {name: [row[name] for row in rows] for name in rows[0]}
            await self._conn.execute(self._statements.log_unnest, columns)
        else:
            await self._conn.execute(self._statements.log, rows)

    async def log(self, job_id: str, *, after_line: int = 0, limit: int = 1000) -> Sequence[ImportLogLine]:
        result = await self._conn.execute(_LOG, {"b_id": job_id, "b_after": after_line, "b_limit": limit})
        return [ImportLogLine(row[0], int(row[1]), row[2], row[3]) for row in result]


__all__ = ["UNFINISHED", "Conflict", "ImportStatements", "SqlImportJobs"]

"""The background side of user import jobs: the process's runner that imports a started job's CSV.

A job is worked on by one server process at a time: the runner claims it in the store (a conditional update,
``ImportJobPort.claim``) and keeps its claim alive with each batch it commits. Each batch of lines is one
transaction holding the users it creates, their log lines, the job's counts and its ``progress_line``: a
job interrupted anywhere (a stop, a crash, a restart) has imported exactly the lines before its
``progress_line``, and a runner that takes it over goes on from there. At start-up (and every
``SWEEP_SECONDS``) a runner takes over the unfinished jobs nobody holds (a server that stops releases its
claims) or whose owner has gone silent for ``STALE``.

Lines without aliases go in one bulk insert per batch (a savepoint around it); when that meets a username
created meanwhile, or for users with aliases (which may collide), each line goes in its own savepoint.
No Lambda trigger runs during an import [U].
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import uuid
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from userpools import ids
from userpools.clock import Clock
from userpools.crypto import imported_hashes
from userpools.crypto.datakey import DataKeyCipher
from userpools.domain import user_import
from userpools.domain import users as user_domain
from userpools.domain.records import ImportJobRecord, ImportLogLine, PoolRecord, UserRecord
from userpools.errors import CognitoError
from userpools.storage.ports import Conflict, Store, Transaction

log = logging.getLogger("userpools.import")

BATCH_LINES = 1000
STALE = timedelta(seconds=60)
SWEEP_SECONDS = 15.0
RESUME_DELAY_SECONDS = 0.5
SWEEPER_NAME = "import sweeper"  # the periodic task's name (tests that count a request's statements leave it out)
TOO_MANY_FAILED = "Too many users have failed or been skipped during the import."  # [O: DG sample]


@dataclasses.dataclass
class _Line:
    number: int
    user: UserRecord | None = None
    outcome: str = "FAILED"
    message: str = ""
    aliases: bool = False


class _LostClaim(Exception):
    """The job is gone (its pool was deleted) or another process has taken it over (this one was silent too
    long): stop without writing."""


class ImportRunner:
    """Runs the process's import jobs as asyncio tasks (see the module docstring)."""

    def __init__(self, store: Store, clock: Clock, cipher: DataKeyCipher) -> None:
        self._store = store
        self._clock = clock
        self._cipher = cipher
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._sweeper: asyncio.Task[None] | None = None

    def bind(self, store: Store) -> None:
        """The store opened at start-up (app.py builds the runner before the store exists)."""
        self._store = store

    def start(self, pool_id: str, job_id: str) -> None:
        """Works on the job in the background (if another process holds it, this task ends at once)."""
        if job_id in self._tasks:
            return
        task = asyncio.create_task(self._run(pool_id, job_id), name=f"import {job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))

    async def resume(self) -> None:
        """Start-up: takes over the unfinished jobs nobody holds (a moment after start-up, once the server
        listens: an import's batches keep the event loop busy), and keeps looking every SWEEP_SECONDS."""
        self._sweeper = asyncio.create_task(self._sweep_forever(), name=SWEEPER_NAME)

    async def _sweep_forever(self) -> None:
        await asyncio.sleep(RESUME_DELAY_SECONDS)
        while True:
            try:
                await self._sweep()
            except Exception:  # the database may be away for a moment: try again at the next sweep
                log.exception("import jobs: the sweep failed")
            await asyncio.sleep(SWEEP_SECONDS)

    async def _sweep(self) -> None:
        async with self._store.transaction(readonly=True) as tx:
            jobs = await tx.import_jobs.unfinished(limit=100)
        stale_before = self._clock.now() - STALE
        for job in jobs:
            if (
                job.owner is None
                or job.owner == self.owner
                or (job.heartbeat_at or job.created_at) < stale_before
            ):
                self.start(job.pool_id, job.id)

    async def close(self) -> None:
        """Shut-down: the tasks stop between batches and their claims are released, so the next server
        (or another process) resumes at once."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- one job ---------------------------------------------------------------------------------------------

    async def _run(self, pool_id: str, job_id: str) -> None:
        try:
            await self._work(pool_id, job_id)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                async with self._store.transaction() as tx:
                    await tx.import_jobs.release(job_id, self.owner)
            log.info("import job %s: paused at shut-down, to be resumed", job_id)
            raise
        except _LostClaim:
            log.warning("import job %s: deleted with its pool, or taken over by another process", job_id)
        except Exception:
            log.exception("import job %s: failed", job_id)
            with contextlib.suppress(Exception):
                await self._finish_by_id(
                    pool_id, job_id, "Failed", "The import job failed because of an internal error."
                )

    async def _work(self, pool_id: str, job_id: str) -> None:
        now = self._clock.now()
        async with self._store.transaction() as tx:
            job = await tx.import_jobs.get(pool_id, job_id)
            if job is None or not await tx.import_jobs.claim(
                job.id, self.owner, now, stale_before=now - STALE
            ):
                return
            job = await tx.import_jobs.get(job.pool_id, job.id, for_update=True)
            assert job is not None
            if job.status == "Pending":
                job = dataclasses.replace(job, status="InProgress")
                await tx.import_jobs.update(job)
            content = await tx.import_jobs.get_file(job.id)
            pool = await tx.pools.get(job.pool_id)
        if job.status == "Stopping":
            await self._finish(job, "Stopped", user_import.STOPPED)
            return
        if pool is None or content is None:
            await self._finish(job, "Failed", "The user pool or the CSV file no longer exists.")  # [U]
            return
        try:
            text = user_import.decode(content)
            del content
            batch_columns = user_import.read_header(
                text, pool.settings, with_hash=job.password_hashing is not None
            )
            if user_import.count_users(text) > user_import.MAX_USERS:
                raise user_import.CsvError("The CSV file has more than 500,000 users.")  # [U]
        except user_import.CsvError as exc:
            await self._finish(job, "Failed", str(exc))
            return
        log.info("import job %s: importing from line %d", job.id, job.progress_line + 1)
        # With PostgreSQL each batch is parsed on a thread while the previous one is written (the database
        # works in its own process meanwhile); with SQLite the writes run on this thread, so parsing does too.
        previous: asyncio.Future[list[_Line]] | None = None
        for batch in _batches(text, job.progress_line):
            parsing = asyncio.ensure_future(self._parse(job, pool, batch_columns, batch))
            if previous is not None:
                job = await self._commit(job, pool, await previous)
                if job.status != "InProgress":
                    parsing.cancel()
                    return
            previous = parsing
        if previous is not None:
            job = await self._commit(job, pool, await previous)
            if job.status != "InProgress":
                return
        if job.imported == 0 and (job.failed or job.skipped):
            await self._finish(job, "Failed", TOO_MANY_FAILED)
        else:
            await self._finish(job, "Succeeded", None)

    async def _parse(
        self, job: ImportJobRecord, pool: PoolRecord, columns: list[str], batch: Sequence[tuple[int, str]]
    ) -> list[_Line]:
        if self._store.writers_take_turns:
            await asyncio.sleep(0)  # the API's requests go first (parsing a batch takes ~20 ms of the loop)
            return self._prepare(job, pool, columns, batch)
        return await asyncio.to_thread(self._prepare, job, pool, columns, batch)

    def _prepare(
        self, job: ImportJobRecord, pool: PoolRecord, columns: list[str], batch: Sequence[tuple[int, str]]
    ) -> list[_Line]:
        """Each line parsed and its user built, outside the transaction (the CPU part)."""
        now = self._clock.now()
        lines: list[_Line] = []
        for number, text in batch:
            entry = _Line(number)
            lines.append(entry)
            try:
                new = user_import.parse_line(columns, text, pool.settings, algorithm=job.password_hashing)
            except user_import.LineFailed as exc:
                entry.message = str(exc)
                continue
            extra: dict[str, Any] = {}
            if new.mfa_enabled and new.attributes.get("phone_number"):
                extra = {
                    "MFAOptions": [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}],
                    "UserMFASettingList": ["SMS_MFA"],
                    "PreferredMfaSetting": "SMS_MFA",
                }
            status = "RESET_REQUIRED"
            if new.password_hash is not None and job.password_hashing is not None:
                extra[user_import.IMPORTED_HASH] = imported_hashes.seal(
                    job.password_hashing, new.password_hash, pool.id, new.username, self._cipher
                )
                status = "CONFIRMED"  # [U] the user keeps its password: sign-in with it is possible
            entry.user = UserRecord(
                pool_id=pool.id,
                username=new.username,
                username_key=user_domain.username_key(pool.settings, new.username),
                sub=ids.new_uuid(),
                status=status,
                enabled=True,
                created_at=now,
                updated_at=now,
                attributes=new.attributes,
                extra=extra,
            )
            entry.aliases = bool(user_domain.aliases_for(pool.settings, new.attributes))
        return lines

    async def _commit(self, job: ImportJobRecord, pool: PoolRecord, lines: list[_Line]) -> ImportJobRecord:
        """One batch's users, log lines, counts and progress, in one transaction."""
        async with self._store.transaction() as tx:
            current = await tx.import_jobs.get(job.pool_id, job.id, for_update=True)
            if current is None or current.owner != self.owner:
                raise _LostClaim(job.id)
            if current.status != "InProgress":
                job = current
            else:
                await self._insert(tx, pool, lines)
                await tx.import_jobs.add_log(
                    [ImportLogLine(job.id, x.number, x.outcome, x.message) for x in lines]
                )
                job = dataclasses.replace(
                    current,
                    imported=current.imported + sum(x.outcome == "SUCCEEDED" for x in lines),
                    skipped=current.skipped + sum(x.outcome == "SKIPPED" for x in lines),
                    failed=current.failed + sum(x.outcome == "FAILED" for x in lines),
                    progress_line=lines[-1].number,
                    heartbeat_at=self._clock.now(),
                )
                await tx.import_jobs.update(job)
        if job.status == "Stopping":
            await self._finish(job, "Stopped", user_import.STOPPED)
            return dataclasses.replace(job, status="Stopped")
        if job.status != "InProgress":
            return job
        for x in lines:
            text = user_import.log_text(x.number, x.outcome, x.message)
            if x.outcome == "SUCCEEDED":
                log.debug("import job %s: %s", job.id, text)
            else:
                log.info("import job %s: %s", job.id, text)
        return job

    async def _insert(self, tx: Transaction, pool: PoolRecord, lines: list[_Line]) -> None:
        """Creates the batch's users: SUCCEEDED, SKIPPED (the username exists) or FAILED per line."""
        seen: set[str] = set()
        candidates: list[_Line] = []
        for x in lines:
            if x.user is None:
                continue
            if x.user.username_key in seen:
                x.outcome, x.message = "SKIPPED", user_import.EXISTS
                continue
            seen.add(x.user.username_key)
            candidates.append(x)
        existing = await tx.users.existing(pool.id, [x.user.username_key for x in candidates if x.user])
        fresh: list[_Line] = []
        for x in candidates:
            assert x.user is not None
            if x.user.username_key in existing:
                x.outcome, x.message = "SKIPPED", user_import.EXISTS
            else:
                fresh.append(x)
        simple = [x for x in fresh if not x.aliases]
        one_by_one = [x for x in fresh if x.aliases]
        try:
            async with tx.savepoint():
                await tx.users.insert_many([x.user for x in simple if x.user])
            for x in simple:
                x.outcome, x.message = "SUCCEEDED", user_import.SUCCEEDED
        except Conflict:  # a username created meanwhile: line by line
            one_by_one = simple + one_by_one
        for x in sorted(one_by_one, key=lambda x: x.number):
            await self._insert_one(tx, pool, x)

    async def _insert_one(self, tx: Transaction, pool: PoolRecord, x: _Line) -> None:
        assert x.user is not None
        try:
            async with tx.savepoint():
                await tx.users.insert(x.user)
                aliases = user_domain.aliases_for(pool.settings, x.user.attributes)
                try:
                    await tx.users.set_aliases(pool.id, x.user.username_key, aliases)
                except Conflict:
                    raise _AliasTaken from None
        except Conflict:
            x.outcome, x.message = "SKIPPED", user_import.EXISTS
        except _AliasTaken:
            x.outcome, x.message = (
                "FAILED",
                "An account with the email or phone number already exists.",
            )  # [U]
        except CognitoError as exc:
            x.outcome, x.message = "FAILED", exc.message
        else:
            x.outcome, x.message = "SUCCEEDED", user_import.SUCCEEDED

    async def _finish_by_id(self, pool_id: str, job_id: str, status: str, message: str | None) -> None:
        async with self._store.transaction(readonly=True) as tx:
            job = await tx.import_jobs.get(pool_id, job_id)
        if job is not None:
            await self._finish(job, status, message)

    async def _finish(self, job: ImportJobRecord, status: str, message: str | None) -> None:
        """The job ends: its status, message and completion date; its file is deleted; the claim released."""
        async with self._store.transaction() as tx:
            current = await tx.import_jobs.get(job.pool_id, job.id, for_update=True)
            if current is None or current.owner not in (None, self.owner):
                return
            if current.status == "Stopping" and status != "Failed":
                status, message = "Stopped", user_import.STOPPED
            done = dataclasses.replace(
                current,
                status=status,
                message=message,
                completed_at=self._clock.now(),
                owner=None,
                heartbeat_at=None,
            )
            await tx.import_jobs.update(done)
            await tx.import_jobs.delete_file(job.id)
        log.info(
            "import job %s: %s (imported %d, skipped %d, failed %d)%s",
            job.id,
            status,
            done.imported,
            done.skipped,
            done.failed,
            f": {message}" if message else "",
        )


class _AliasTaken(Exception):
    pass


def _batches(text: str, after_line: int) -> Iterator[list[tuple[int, str]]]:
    """The data lines after ``after_line``, BATCH_LINES at a time."""
    batch: list[tuple[int, str]] = []
    for number, line in user_import.data_lines(text):
        if number <= after_line:
            continue
        batch.append((number, line))
        if len(batch) >= BATCH_LINES:
            yield batch
            batch = []
    if batch:
        yield batch

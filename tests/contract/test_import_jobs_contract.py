"""The import jobs port and the users' bulk insert: every test runs on SQLite and PostgreSQL (see conftest.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from userpools.domain.records import ImportJobRecord, ImportLogLine, PoolRecord, UserFilter, UserRecord
from userpools.storage.ports import Conflict, Store

T0 = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
POOL = "us-east-1_Pool00001"


def a_job(job_id: str, **changes: Any) -> ImportJobRecord:
    job = ImportJobRecord(
        id=job_id,
        pool_id=POOL,
        name="import ü",
        status="Created",
        role_arn="arn:aws:iam::000000000000:role/x",
        created_at=T0,
        password_hashing="BCRYPT",
    )
    return replace(job, **changes)


def a_user(name: str) -> UserRecord:
    return UserRecord(
        POOL,
        name,
        name.lower(),
        f"sub-{name}",
        "RESET_REQUIRED",
        True,
        T0,
        T0,
        {"email": f"{name}@example.com", "email_verified": "true"},
    )


async def with_pool(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.pools.insert(PoolRecord(POOL, "pool", T0, T0, {}))


def test_a_job_reads_back_as_written_and_updates(store: Store, run: Any) -> None:
    job = a_job("import-aaaaaaaaaa")
    later = replace(
        job,
        status="InProgress",
        started_at=T0 + timedelta(seconds=1),
        imported=5,
        skipped=1,
        failed=2,
        message="m",
        progress_line=9,
        owner="me",
        heartbeat_at=T0,
        uploaded_at=T0,
    )

    async def scenario() -> tuple[Any, Any, bool]:
        await with_pool(store)
        async with store.transaction() as tx:
            await tx.import_jobs.insert(job)
        async with store.transaction() as tx:
            first = await tx.import_jobs.get(POOL, job.id)
            await tx.import_jobs.update(later)
            try:
                await tx.import_jobs.insert(job)
                conflicted = False
            except Conflict:
                conflicted = True
        async with store.transaction(readonly=True) as tx:
            return first, await tx.import_jobs.get(POOL, job.id), conflicted

    first, second, conflicted = run(scenario())
    assert first == job and second == later and conflicted


def test_jobs_list_newest_first_in_pages(store: Store, run: Any) -> None:
    jobs = [a_job(f"import-{i:010d}", created_at=T0 + timedelta(seconds=i // 2)) for i in range(5)]

    async def scenario() -> tuple[list[str], list[str]]:
        await with_pool(store)
        async with store.transaction() as tx:
            for job in jobs:
                await tx.import_jobs.insert(job)
        async with store.transaction(readonly=True) as tx:
            page = await tx.import_jobs.list(POOL, limit=3)
            rest = await tx.import_jobs.list(POOL, limit=3, before=(page[-1].created_at, page[-1].id))
        return [j.id for j in page], [j.id for j in rest]

    page, rest = run(scenario())
    assert page + rest == [j.id for j in reversed(jobs)]


def test_only_one_owner_claims_a_job_until_its_claim_is_stale_or_released(store: Store, run: Any) -> None:
    job = a_job("import-claimed00", status="Pending")

    async def scenario() -> list[bool]:
        await with_pool(store)
        async with store.transaction() as tx:
            await tx.import_jobs.insert(job)
        outcomes = []
        async with store.transaction() as tx:
            outcomes.append(
                await tx.import_jobs.claim(job.id, "a", T0, stale_before=T0 - timedelta(minutes=1))
            )
            outcomes.append(
                await tx.import_jobs.claim(job.id, "b", T0, stale_before=T0 - timedelta(minutes=1))
            )
            outcomes.append(
                await tx.import_jobs.claim(job.id, "b", T0, stale_before=T0 + timedelta(seconds=1))
            )
            outcomes.append(await tx.import_jobs.release(job.id, "a"))
            outcomes.append(await tx.import_jobs.release(job.id, "b"))
            outcomes.append(await tx.import_jobs.claim(job.id, "a", T0, stale_before=T0))
            await tx.import_jobs.update(replace(job, status="Succeeded"))
            outcomes.append(await tx.import_jobs.claim(job.id, "c", T0, stale_before=T0 + timedelta(days=1)))
            outcomes.append(bool(await tx.import_jobs.unfinished(limit=10)))
        return outcomes

    assert run(scenario()) == [True, False, True, False, True, True, False, False]


def test_files_and_log_lines_are_kept_and_go_with_the_job(store: Store, run: Any) -> None:
    job = a_job("import-files0000")
    content = b"cognito:username\n" + bytes(range(256)) * 1000

    async def scenario() -> tuple[Any, ...]:
        await with_pool(store)
        async with store.transaction() as tx:
            await tx.import_jobs.insert(job)
            await tx.import_jobs.put_file(job.id, b"first")
            await tx.import_jobs.put_file(job.id, content)
            await tx.import_jobs.add_log([ImportLogLine(job.id, n, "SUCCEEDED", "ok") for n in range(2, 9)])
        async with store.transaction(readonly=True) as tx:
            stored = await tx.import_jobs.get_file(job.id)
            page = await tx.import_jobs.log(job.id, after_line=4, limit=2)
        async with store.transaction() as tx:
            await tx.import_jobs.delete_file(job.id)
            gone = await tx.import_jobs.get_file(job.id)
            await tx.pools.delete(POOL)
            left = await tx.import_jobs.log(job.id)
        return stored, [x.line for x in page], gone, left

    stored, page, gone, left = run(scenario())
    assert stored == content and page == [5, 6] and gone is None and list(left) == []


def test_insert_many_writes_users_and_their_index_or_raises_conflict(store: Store, run: Any) -> None:
    users = [a_user(f"Bulk{i}") for i in range(3)]

    async def scenario() -> tuple[Any, ...]:
        await with_pool(store)
        async with store.transaction() as tx:
            await tx.users.insert_many(users)
        async with store.transaction() as tx:
            existing = await tx.users.existing(POOL, ["bulk0", "bulk2", "nobody", "Bulk1"])
            try:
                async with tx.savepoint():
                    await tx.users.insert_many([a_user("New"), a_user("Bulk1")])
                conflicted = False
            except Conflict:
                conflicted = True
            found = await tx.users.list(POOL, limit=10, where=UserFilter("email", "Bulk1@example.com"))
            new = await tx.users.get(POOL, "new")
        return existing, conflicted, [u.username for u in found], new

    existing, conflicted, found, new = run(scenario())
    assert existing == {"bulk0", "bulk2"} and conflicted and found == ["Bulk1"] and new is None

"""User import jobs (SigV4): GetCSVHeader, CreateUserImportJob, StartUserImportJob, StopUserImportJob,
DescribeUserImportJob, ListUserImportJobs; and the upload to the job's pre-signed URL, which app.py routes
here. The import itself runs in the background (``operations.import_runner``).

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
Facts: shared/cognito/admin-misc.md §1.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from userpools import ids
from userpools.domain import user_import
from userpools.domain.records import ImportJobRecord
from userpools.errors import InvalidParameterException, PreconditionNotMetException, ResourceNotFoundException
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.storage.ports import Conflict, Transaction

#: ListUserImportJobs' PaginationToken: base64url of "<created_at micros>:<job id>" of the last job given.
_TOKEN_PREFIX = "import-jobs"
_MICROSECOND = timedelta(microseconds=1)


def _key(ctx: Context) -> bytes:
    return ctx.cipher.derive("import-upload-url")


def _view(ctx: Context, job: ImportJobRecord) -> dict[str, Any]:
    url = user_import.presigned_url(_key(ctx), ctx.settings.public_url, job)
    return user_import.job_type(job, url, ctx.clock.now())


async def _job_or_raise(
    tx: Transaction, pool_id: str, job_id: str, *, for_update: bool = False
) -> ImportJobRecord:
    await get_pool_or_raise(tx, pool_id)
    job = await tx.import_jobs.get(pool_id, job_id, for_update=for_update)
    if job is None:
        raise ResourceNotFoundException(f"Import job {job_id} does not exist.")  # [U] wording
    return job


async def get_csv_header(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetCSVHeader."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
    return {"UserPoolId": pool.id, "CSVHeader": user_import.csv_header(pool.settings)}


async def create_user_import_job(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_CreateUserImportJob: a Created job and the URL to upload its CSV to (valid 15 minutes)."""
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        for _ in range(5):
            job = ImportJobRecord(
                id=ids.new_import_job_id(),
                pool_id=pool.id,
                name=req["JobName"],
                status="Created",
                role_arn=req["CloudWatchLogsRoleArn"],
                created_at=now,
                password_hashing=req.get("PasswordHashingAlgorithm"),
            )
            try:
                await tx.import_jobs.insert(job)
                break
            except Conflict:
                continue
    return {"UserImportJob": _view(ctx, job)}


async def start_user_import_job(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_StartUserImportJob: Created → Pending; the runner takes it to InProgress and on."""
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        job = await _job_or_raise(tx, req["UserPoolId"], req["JobId"], for_update=True)
        pool = await get_pool_or_raise(tx, job.pool_id)
        status = user_import.effective_status(job, now)
        if status == "Expired" and job.status != "Expired":
            await tx.import_jobs.update(dataclasses.replace(job, status="Expired"))
            await tx.import_jobs.delete_file(job.id)
        if status != "Created":
            # [U] the message; the error type is the one the model lists for a job in the wrong state
            raise PreconditionNotMetException(
                f"Import job {job.id} is in status {status} and cannot be started."
            )
        if job.uploaded_at is None:
            raise PreconditionNotMetException(
                "The CSV file has not been uploaded to the pre-signed URL."
            )  # [U]
        if not pool.settings.get("AutoVerifiedAttributes"):
            # "A pool with no auto-verified attribute can't start a job" [C: DG]; the message is [U]
            raise PreconditionNotMetException(
                "The user pool has no auto verified attributes: users cannot be imported into it."
            )
        job = dataclasses.replace(job, status="Pending", started_at=now)
        await tx.import_jobs.update(job)
    ctx.imports.start(job.pool_id, job.id)
    return {"UserImportJob": _view(ctx, job)}


async def stop_user_import_job(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_StopUserImportJob: a Pending or InProgress job stops. With a runner at work it becomes Stopping and
    the runner stops it between two batches (every line before is imported, none after); without one it is
    Stopped at once. A stopped job cannot be started again [C: DG]."""
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        job = await _job_or_raise(tx, req["UserPoolId"], req["JobId"], for_update=True)
        if job.status not in ("Pending", "InProgress"):
            status = user_import.effective_status(job, now)
            raise PreconditionNotMetException(
                f"Import job {job.id} is in status {status} and cannot be stopped."
            )  # [U]
        if job.owner is None:
            job = dataclasses.replace(job, status="Stopped", message=user_import.STOPPED, completed_at=now)
            await tx.import_jobs.delete_file(job.id)
        else:
            job = dataclasses.replace(job, status="Stopping")
        await tx.import_jobs.update(job)
    return {"UserImportJob": _view(ctx, job)}


async def describe_user_import_job(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DescribeUserImportJob."""
    async with ctx.store.transaction(readonly=True) as tx:
        job = await _job_or_raise(tx, req["UserPoolId"], req["JobId"])
    return {"UserImportJob": _view(ctx, job)}


def _encode_token(job: ImportJobRecord) -> str:
    micros = (job.created_at - datetime(1970, 1, 1, tzinfo=job.created_at.tzinfo)) // _MICROSECOND
    return base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}:{micros}:{job.id}".encode()).decode("ascii")


def _decode_token(token: str) -> tuple[datetime, str]:
    try:
        prefix, micros, job_id = base64.urlsafe_b64decode(token.encode("ascii")).decode().split(":")
        if prefix != _TOKEN_PREFIX or not job_id:
            raise ValueError(token)
        return datetime(1970, 1, 1, tzinfo=UTC) + _MICROSECOND * int(micros), job_id
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidParameterException("Invalid pagination token.") from None  # [U] as the other listings


async def list_user_import_jobs(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListUserImportJobs: newest first, MaxResults (1–60) a page, PaginationToken to go on."""
    limit = int(req["MaxResults"])
    token = req.get("PaginationToken")
    before = _decode_token(token) if token else None
    async with ctx.store.transaction(readonly=True) as tx:
        await get_pool_or_raise(tx, req["UserPoolId"])
        jobs = list(await tx.import_jobs.list(req["UserPoolId"], limit=limit + 1, before=before))
    out: dict[str, Any] = {"UserImportJobs": [_view(ctx, job) for job in jobs[:limit]]}
    if len(jobs) > limit:
        out["PaginationToken"] = _encode_token(jobs[limit - 1])
    return out


# --- the upload (PUT to the pre-signed URL) -------------------------------------------------------------------


async def upload(ctx: Context, pool_id: str, job_id: str, query: Mapping[str, str], body: bytes) -> None:
    """Stores the CSV PUT to a job's pre-signed URL; UploadRefused (an S3 error) when the signature is wrong
    or expired, the job is gone or past Created, or the file is over 100 MB. Uploading again replaces the
    file (as a second PUT to an S3 URL does) while the job is Created."""
    now = ctx.clock.now()
    user_import.check_upload(_key(ctx), pool_id, job_id, query, now)
    if len(body) > user_import.MAX_FILE_BYTES:
        raise user_import.UploadRefused(
            "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", status=400
        )
    async with ctx.store.transaction() as tx:
        job = await tx.import_jobs.get(pool_id, job_id, for_update=True)
        if job is None:
            raise user_import.UploadRefused("NoSuchKey", "The specified key does not exist.", status=404)
        if user_import.effective_status(job, now) != "Created":
            raise user_import.UploadRefused(
                "AccessDenied", "Access Denied"
            )  # [U] the job has started or ended
        await tx.import_jobs.put_file(job.id, body)
        await tx.import_jobs.update(dataclasses.replace(job, uploaded_at=now))


async def log_lines(ctx: Context, pool_id: str, job_id: str) -> list[str]:
    """The job's per-line log as Cognito writes it (``userpools import-log``)."""
    out: list[str] = []
    after = 0
    while True:
        async with ctx.store.transaction(readonly=True) as tx:
            if after == 0:
                await _job_or_raise(tx, pool_id, job_id)
            page = await tx.import_jobs.log(job_id, after_line=after, limit=5000)
        out.extend(user_import.log_text(x.line, x.outcome, x.message) for x in page)
        if len(page) < 5000:
            return out
        after = page[-1].line

"""User import jobs, the pure part: the CSV header (GetCSVHeader), the rules of the CSV, one line → a new
user or the reason it fails, the job as UserImportJobType, and the pre-signed upload URL.

Facts (shared/cognito/admin-misc.md §1, Cognito's developer guide "Importing users into user pools from a
CSV file"): line 1 is the header, in any column order, with every column of GetCSVHeader; values unquoted, a
comma inside one escaped ``\\,``, leading and trailing white space trimmed; UTF-8; rows of at most 16,000
characters, files of at most 100 MB and 500,000 users. Each line's outcome goes to the job's log in
Cognito's words (a line number and a reason, never user data).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from userpools.crypto import imported_hashes
from userpools.domain.pools import STANDARD_ATTRIBUTES
from userpools.domain.records import ImportJobRecord
from userpools.domain.users import VERIFIED_FLAGS, schema, validate_new_user_attributes
from userpools.errors import CognitoError

Settings = Mapping[str, Any]

#: GetCSVHeader's standard columns, in Cognito's order [O: CLI get-csv-header; C: DG]: the pool's standard
#: attributes but `sub`, which Cognito makes itself.
STANDARD_COLUMNS = tuple(a["Name"] for a in STANDARD_ATTRIBUTES if a["Name"] != "sub")
USERNAME = "cognito:username"
MFA_ENABLED = "cognito:mfa_enabled"
#: [U] Cognito documents PasswordHashingAlgorithm but not its column: this one, accepted (not required) in
#: jobs created with an algorithm, and not part of GetCSVHeader's answer (which takes no job).
PASSWORD_HASH = "cognito:password_hash"

MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_ROW_CHARACTERS = 16_000
MAX_USERS = 500_000
#: The pre-signed URL's validity: S3's for Cognito's URL, 15 minutes [C: DG].
URL_VALIDITY = timedelta(minutes=15)
#: A job not started within this time expires and its file is deleted ("24-48 hours" [C: BC]).
EXPIRY = timedelta(hours=24)

SUCCEEDED = "The import succeeded."
EXISTS = "The user already exists."  # [O: DG CloudWatch sample]
NOT_VERIFIED = "The User Record does not set any of the auto verified attributes to true. (Example: email_verified to true)."  # [O: DG CloudWatch sample]
STOPPED = "The Import Job was stopped by the developer."  # [O: DG sample]
IMPORTED_HASH = "importedPasswordHash"
"""The key in UserRecord.extra of a user's imported hash (sealed, ``crypto.imported_hashes``)."""


class CsvError(Exception):
    """The file cannot be imported at all: the job fails with this message as its CompletionMessage."""


def csv_header(pool_settings: Settings) -> list[str]:
    """GetCSVHeader: the standard columns, the pool's custom attributes (after ``updated_at``: [U]), then
    ``cognito:mfa_enabled`` and ``cognito:username``."""
    names = schema(pool_settings)
    custom = [name for name in names if name.startswith("custom:")]
    return [*(c for c in STANDARD_COLUMNS if c in names), *custom, MFA_ENABLED, USERNAME]


def split_row(line: str) -> list[str]:
    """One CSV line's values: split on commas that are not escaped as ``\\,``, each trimmed, ``\\,`` → ``,``."""
    if "\\" not in line:
        return [value.strip() for value in line.split(",")]
    values: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\" and i + 1 < len(line) and line[i + 1] == ",":
            current.append(",")
            i += 2
            continue
        if char == ",":
            values.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        i += 1
    values.append("".join(current).strip())
    return values


def read_header(text: str, pool_settings: Settings, *, with_hash: bool) -> list[str]:
    """The header line's columns, checked: every column of GetCSVHeader, each once, and nothing else but the
    password-hash column of a job with a hashing algorithm. Messages [U]."""
    first, _, _ = text.partition("\n")
    columns = [c.lower() if c.lower().startswith("cognito:") else c for c in split_row(first.rstrip("\r"))]
    expected = csv_header(pool_settings)
    allowed = set(expected) | ({PASSWORD_HASH} if with_hash else set())
    unknown = [c for c in columns if c not in allowed]
    if unknown:
        raise CsvError(
            f"The CSV header has columns that are not attributes of the user pool: {', '.join(unknown)}"
        )
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise CsvError(f"The CSV header has repeated columns: {', '.join(duplicated)}")
    missing = [c for c in expected if c not in columns]
    if missing:
        raise CsvError(f"The CSV header is missing columns: {', '.join(missing)}")
    return columns


def decode(content: bytes) -> str:
    """The file as text (UTF-8; a byte-order mark is tolerated [U])."""
    if len(content) > MAX_FILE_BYTES:
        raise CsvError("The CSV file is larger than 100 MB.")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise CsvError("The CSV file is not valid UTF-8.") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise CsvError("The CSV file is empty.")
    return text


def data_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of each data line (the header is line 1); blank lines are passed over."""
    for number, line in enumerate(text.split("\n"), start=1):
        if number == 1:
            continue
        line = line.rstrip("\r")
        if line.strip():
            yield number, line


def count_users(text: str) -> int:
    return sum(1 for _ in data_lines(text))


@dataclass(frozen=True)
class NewUser:
    """What one line asks for: a username, its attributes, and the imported hash if any."""

    username: str
    attributes: dict[str, str]
    mfa_enabled: bool
    password_hash: str | None


class LineFailed(Exception):
    """The line is not imported: FAILED with this message."""


def _mfa(value: str, pool_settings: Settings) -> bool:
    mode = pool_settings.get("MfaConfiguration") or "OFF"
    flag = value.lower()
    if flag not in ("true", "false"):
        raise LineFailed("The cognito:mfa_enabled value must be true or false.")  # [U]
    if mode == "ON" and flag != "true":
        raise LineFailed(
            "The cognito:mfa_enabled value must be true when MFA is required in the user pool."
        )  # [U]
    if mode == "OFF" and flag != "false":
        raise LineFailed(
            "The cognito:mfa_enabled value must be false when MFA is off in the user pool."
        )  # [U]
    return flag == "true"


_BIRTHDATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")


def parse_line(columns: list[str], line: str, pool_settings: Settings, *, algorithm: str | None) -> NewUser:
    """One data line → the user to create; LineFailed with the reason otherwise. The attribute checks are
    AdminCreateUser's (``validate_new_user_attributes``), plus the pool's required attributes and the
    auto-verified rule [C: DG]."""
    if len(line) > MAX_ROW_CHARACTERS:
        raise LineFailed("The line is longer than 16000 characters.")  # [U]
    values = split_row(line)
    if len(values) != len(columns):
        raise LineFailed(
            f"The line has {len(values)} values but the header has {len(columns)} columns."
        )  # [U]
    row = dict(zip(columns, values, strict=True))
    username = row.pop(USERNAME)
    if not username:
        raise LineFailed("The cognito:username value is missing.")  # [U]
    if any(c.isspace() for c in username) or len(username) > 128:
        raise LineFailed("The cognito:username value is not a valid username.")  # [U]
    mfa_enabled = _mfa(row.pop(MFA_ENABLED), pool_settings)
    password_hash = row.pop(PASSWORD_HASH, "") or None
    if (
        password_hash is not None
        and algorithm is not None
        and not imported_hashes.well_formed(algorithm, password_hash)
    ):
        raise LineFailed(f"The cognito:password_hash value is not a {algorithm} hash.")  # [U]
    birthdate = row.get("birthdate")
    if birthdate and (match := _BIRTHDATE.fullmatch(birthdate)):
        row["birthdate"] = f"{match[3]}-{match[1]}-{match[2]}"  # stored as Cognito shows it [U]
    for flag in VERIFIED_FLAGS.values():
        if row.get(flag):
            row[flag] = row[flag].lower()
    auto = [a for a in (pool_settings.get("AutoVerifiedAttributes") or []) if a in VERIFIED_FLAGS]
    if auto and not any(row.get(VERIFIED_FLAGS[a]) == "true" for a in auto):
        raise LineFailed(NOT_VERIFIED)
    try:
        attributes = validate_new_user_attributes(
            pool_settings, [{"Name": n, "Value": v} for n, v in row.items() if v], for_admin=True
        )
    except CognitoError as exc:
        raise LineFailed(exc.message) from None
    required = [
        name
        for name, entry in schema(pool_settings).items()
        if entry.get("Required") and name != "sub" and not attributes.get(name)
    ]
    if required:
        raise LineFailed(f"The user is missing required attributes: {', '.join(required)}.")  # [U]
    return NewUser(username, attributes, mfa_enabled, password_hash)


def log_text(line: int, outcome: str, message: str) -> str:
    """A log line as Cognito writes it to CloudWatch: ``[SUCCEEDED] Line Number 5956 - The import succeeded.``"""
    return f"[{outcome}] Line Number {line} - {message}"


# --- the job -------------------------------------------------------------------------------------------------


def effective_status(job: ImportJobRecord, now: datetime) -> str:
    """The job's status, with Expired for a job left in Created past EXPIRY."""
    if job.status == "Created" and now - job.created_at > EXPIRY:
        return "Expired"
    return job.status


def job_type(job: ImportJobRecord, url: str, now: datetime) -> dict[str, Any]:
    """UserImportJobType. StartDate and CompletionDate only once set [O: DG sample]."""
    out: dict[str, Any] = {
        "JobName": job.name,
        "JobId": job.id,
        "UserPoolId": job.pool_id,
        "PreSignedUrl": url,
        "CreationDate": job.created_at,
        "Status": effective_status(job, now),
        "CloudWatchLogsRoleArn": job.role_arn,
        "ImportedUsers": job.imported,
        "SkippedUsers": job.skipped,
        "FailedUsers": job.failed,
    }
    if job.started_at is not None:
        out["StartDate"] = job.started_at
    if job.completed_at is not None:
        out["CompletionDate"] = job.completed_at
    if job.message:
        out["CompletionMessage"] = job.message
    if job.password_hashing:
        out["PasswordHashingAlgorithm"] = job.password_hashing
    return out


# --- the pre-signed URL --------------------------------------------------------------------------------------


def _signature(key: bytes, pool_id: str, job_id: str, date: str, expires: int) -> str:
    message = f"PUT\n{pool_id}\n{job_id}\n{date}\n{expires}".encode()
    return hmac.digest(key, message, "sha256").hex()


def _amz_date(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def upload_path(pool_id: str, job_id: str) -> str:
    return f"/_userpools/import/{pool_id}/{job_id}"


def presigned_url(key: bytes, public_url: str, job: ImportJobRecord) -> str:
    """An S3-style pre-signed PUT URL on this server, valid URL_VALIDITY from the job's creation:
    ``X-Amz-Date``, ``X-Amz-Expires`` and an HMAC-SHA256 ``X-Amz-Signature`` under ``key`` (a subkey of the
    data key) over the method, pool, job, date and validity."""
    date = _amz_date(job.created_at)
    expires = int(URL_VALIDITY.total_seconds())
    signature = _signature(key, job.pool_id, job.id, date, expires)
    query = (
        f"X-Amz-Algorithm=HMAC-SHA256&X-Amz-Date={date}&X-Amz-Expires={expires}"
        f"&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
    )
    return f"{public_url}{quote(upload_path(job.pool_id, job.id))}?{query}"


class UploadRefused(Exception):
    """The upload is refused: an S3 error code and message (403)."""

    def __init__(self, code: str, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def check_upload(key: bytes, pool_id: str, job_id: str, query: Mapping[str, str], now: datetime) -> None:
    """The URL's signature is this server's and has not expired; UploadRefused (S3's codes) otherwise."""
    date, expires, signature = (
        query.get("X-Amz-Date"),
        query.get("X-Amz-Expires"),
        query.get("X-Amz-Signature"),
    )
    if not date or not expires or not signature or not expires.isdigit():
        raise UploadRefused(
            "AccessDenied",
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
        )
    expected = _signature(key, pool_id, job_id, date, int(expires))
    if not hmac.compare_digest(expected, signature):
        raise UploadRefused(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the "
            "signature you provided. Check your key and signing method.",
        )
    try:
        signed_at = datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=now.tzinfo)
    except ValueError:
        raise UploadRefused("AccessDenied", "X-Amz-Date must be in the ISO8601 Long Format") from None
    if now > signed_at + timedelta(seconds=int(expires)):
        raise UploadRefused("AccessDenied", "Request has expired")


def s3_error_xml(code: str, message: str, request_id: str) -> bytes:
    """S3's error body."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<RequestId>{escape(request_id)}</RequestId></Error>"
    ).encode()

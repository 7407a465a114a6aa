"""The CSV rules of user import jobs: splitting with ``\\,``, the header, each line's checks, and the
pre-signed URL's signature and expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from userpools.domain import user_import
from userpools.domain.records import ImportJobRecord

POOL = {"AutoVerifiedAttributes": ["email"], "MfaConfiguration": "OFF"}
T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_split_row_trims_values_and_reads_escaped_commas() -> None:
    assert user_import.split_row(" a ,b\\, c,, d") == ["a", "b, c", "", "d"]
    assert user_import.split_row("x\\y,z") == ["x\\y", "z"]


def test_header_any_order_but_complete() -> None:
    header = user_import.csv_header(POOL)
    assert header[-2:] == ["cognito:mfa_enabled", "cognito:username"] and "sub" not in header
    text = ",".join(reversed(header)) + "\n"
    assert user_import.read_header(text, POOL, with_hash=False) == list(reversed(header))
    with pytest.raises(user_import.CsvError, match="missing columns: cognito:username"):
        user_import.read_header(",".join(header[:-1]), POOL, with_hash=False)
    with pytest.raises(user_import.CsvError, match="not attributes"):
        user_import.read_header(",".join([*header, "cognito:password_hash"]), POOL, with_hash=False)
    assert "cognito:password_hash" in user_import.read_header(
        ",".join([*header, "cognito:password_hash"]), POOL, with_hash=True
    )


def _line(header: list[str], **values: str) -> str:
    return ",".join(values.get(column.replace(":", "_"), "") for column in header)


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (
            {
                "email": "a@example.com",
                "email_verified": "false",
                "cognito_mfa_enabled": "false",
                "cognito_username": "a",
            },
            "auto verified",
        ),
        (
            {
                "email": "a@example.com",
                "email_verified": "true",
                "cognito_mfa_enabled": "true",
                "cognito_username": "a",
            },
            "MFA is off",
        ),
        (
            {
                "email": "a@example.com",
                "email_verified": "true",
                "cognito_mfa_enabled": "false",
                "cognito_username": "a b",
            },
            "not a valid username",
        ),
        (
            {
                "email": "not-an-email",
                "email_verified": "true",
                "cognito_mfa_enabled": "false",
                "cognito_username": "a",
            },
            "email",
        ),
    ],
)
def test_lines_that_fail_say_why(values: dict[str, str], reason: str) -> None:
    header = user_import.csv_header(POOL)
    with pytest.raises(user_import.LineFailed, match=reason):
        user_import.parse_line(header, _line(header, **values), POOL, algorithm=None)


def test_a_good_line_becomes_a_user_with_birthdate_in_cognitos_form() -> None:
    header = user_import.csv_header(POOL)
    line = _line(
        header,
        email="a@example.com",
        email_verified="TRUE",
        cognito_mfa_enabled="false",
        cognito_username="Ann",
        birthdate="02/29/2000",
        name="Ann\\, the first",
    )
    new = user_import.parse_line(header, line, POOL, algorithm=None)
    assert new.username == "Ann" and not new.mfa_enabled and new.password_hash is None
    assert new.attributes["birthdate"] == "2000-02-29" and new.attributes["name"] == "Ann, the first"
    assert new.attributes["email_verified"] == "true"


def test_presigned_url_is_refused_when_changed_or_expired() -> None:
    job = ImportJobRecord("import-abcdefghij", "us-east-1_Pool", "j", "Created", "arn", T0)
    key = b"k" * 32
    url = user_import.presigned_url(key, "http://localhost:9229", job)
    query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    user_import.check_upload(key, job.pool_id, job.id, query, T0 + timedelta(minutes=14))
    with pytest.raises(user_import.UploadRefused) as refused:
        user_import.check_upload(key, job.pool_id, "import-other00000", query, T0)
    assert refused.value.code == "SignatureDoesNotMatch"
    with pytest.raises(user_import.UploadRefused) as refused:
        user_import.check_upload(key, job.pool_id, job.id, query, T0 + timedelta(minutes=16))
    assert refused.value.message == "Request has expired"

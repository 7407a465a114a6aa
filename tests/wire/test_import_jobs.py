"""User import jobs through boto3 and the real upload path (httpx, curl) on SQLite and PostgreSQL: the six
operations and their errors, the pre-signed URL's signature and expiry, the CSV rules and per-line log, the
imported users' sign-in (recovery flow, imported bcrypt hash), and a restart of the server mid-import."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import bcrypt
import httpx
import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/CognitoImportRole"


def _pool(cognito: Any, **kwargs: Any) -> dict[str, Any]:
    return cognito.create_user_pool(
        PoolName=f"import-{uuid.uuid4().hex[:8]}", AutoVerifiedAttributes=["email"], **kwargs
    )["UserPool"]


def _client(cognito: Any, pool_id: str) -> str:
    return cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
    )["UserPoolClient"]["ClientId"]


def _csv(header: list[str], rows: list[dict[str, str]]) -> bytes:
    lines = [",".join(header)]
    for row in rows:
        lines.append(",".join(row.get(column, "").replace(",", "\\,") for column in header))
    return ("\n".join(lines) + "\n").encode()


def _row(username: str, **extra: str) -> dict[str, str]:
    return {
        "cognito:username": username,
        "email": f"{username}@example.com",
        "email_verified": "true",
        "cognito:mfa_enabled": "false",
        **extra,
    }


def _wait(
    cognito: Any, pool_id: str, job_id: str, until: tuple[str, ...], timeout: float = 120
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = cognito.describe_user_import_job(UserPoolId=pool_id, JobId=job_id)["UserImportJob"]
        if job["Status"] in until:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def _create(cognito: Any, pool_id: str, **kwargs: Any) -> dict[str, Any]:
    return cognito.create_user_import_job(
        JobName="import", UserPoolId=pool_id, CloudWatchLogsRoleArn=ROLE, **kwargs
    )["UserImportJob"]


def _upload(job: dict[str, Any], body: bytes) -> httpx.Response:
    return httpx.put(
        job["PreSignedUrl"], content=body, headers={"x-amz-server-side-encryption": "aws:kms"}, timeout=60
    )


def _import(cognito: Any, pool_id: str, body: bytes, **kwargs: Any) -> dict[str, Any]:
    job = _create(cognito, pool_id, **kwargs)
    assert _upload(job, body).status_code == 200
    started = cognito.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])["UserImportJob"]
    assert started["Status"] == "Pending" and "StartDate" in started
    return _wait(cognito, pool_id, job["JobId"], ("Succeeded", "Failed", "Stopped"))


def test_get_csv_header_lists_cognitos_columns_and_custom_attributes(cognito: Any) -> None:
    pool = _pool(cognito, Schema=[{"Name": "tier", "AttributeDataType": "String"}])
    header = cognito.get_csv_header(UserPoolId=pool["Id"])
    assert header["UserPoolId"] == pool["Id"]
    columns = header["CSVHeader"]
    assert columns[:3] == ["name", "given_name", "family_name"]
    assert columns[-2:] == ["cognito:mfa_enabled", "cognito:username"]
    assert "custom:tier" in columns and "sub" not in columns
    with pytest.raises(ClientError) as err:
        cognito.get_csv_header(UserPoolId="us-east-1_nothere00")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_create_user_import_job_answers_a_created_job_with_a_presigned_url(cognito: Any, server: Any) -> None:
    pool = _pool(cognito)
    job = _create(cognito, pool["Id"])
    assert job["Status"] == "Created" and job["JobId"].startswith("import-")
    assert job["ImportedUsers"] == job["SkippedUsers"] == job["FailedUsers"] == 0
    assert "StartDate" not in job and "CompletionDate" not in job
    assert job["PreSignedUrl"].startswith(server.url + "/_userpools/import/")
    assert "X-Amz-Expires=900" in job["PreSignedUrl"]
    assert job["CloudWatchLogsRoleArn"] == ROLE
    raw = server.client(validate=False)
    with pytest.raises(ClientError) as err:
        raw.create_user_import_job(JobName="x", UserPoolId=pool["Id"])
    assert err.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as err:
        raw.create_user_import_job(
            JobName="x", UserPoolId=pool["Id"], CloudWatchLogsRoleArn=ROLE, PasswordHashingAlgorithm="MD5"
        )
    assert err.value.response["Error"]["Code"] == "InvalidParameterException"


def test_import_then_recovery_flow_signs_in(cognito: Any) -> None:
    pool = _pool(cognito)
    client_id = _client(cognito, pool["Id"])
    header = cognito.get_csv_header(UserPoolId=pool["Id"])["CSVHeader"]
    header = list(reversed(header))  # the column order is free
    rows = [_row(f"user{i}", name=f"User, number {i}") for i in range(25)]
    rows.append(_row("nover", email_verified="false"))  # no auto-verified attribute true
    rows.append(_row("user3"))  # repeated in the file: skipped
    job = _import(cognito, pool["Id"], _csv(header, rows))
    assert job["Status"] == "Succeeded", job
    assert (job["ImportedUsers"], job["SkippedUsers"], job["FailedUsers"]) == (25, 1, 1)
    assert "CompletionDate" in job
    user = cognito.admin_get_user(UserPoolId=pool["Id"], Username="user7")
    assert user["UserStatus"] == "RESET_REQUIRED"
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["name"] == "User, number 7" and attributes["email_verified"] == "true"
    with pytest.raises(cognito.exceptions.PasswordResetRequiredException):
        cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "user7", "PASSWORD": "Whatever1!"},
        )
    cognito.forgot_password(ClientId=client_id, Username="user7")
    code = _outbox_code(cognito, pool["Id"], "user7")
    cognito.confirm_forgot_password(
        ClientId=client_id, Username="user7", ConfirmationCode=code, Password="NewPassw0rd!"
    )
    tokens = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "user7", "PASSWORD": "NewPassw0rd!"},
    )
    assert "AccessToken" in tokens["AuthenticationResult"]


def _outbox_code(cognito: Any, pool_id: str, username: str) -> str:
    base = cognito.meta.endpoint_url
    messages = httpx.get(
        f"{base}/_userpools/outbox", params={"userPoolId": pool_id, "username": username}
    ).json()
    return str(messages["messages"][0]["code"])


def test_import_log_names_each_line(cognito: Any, server: Any) -> None:
    pool = _pool(cognito)
    header = cognito.get_csv_header(UserPoolId=pool["Id"])["CSVHeader"]
    body = _csv(
        header, [_row("a"), _row("b", email_verified="false"), _row("c", **{"cognito:mfa_enabled": "maybe"})]
    )
    body += b"only,three,values\n"
    job = _import(cognito, pool["Id"], body)
    assert (job["ImportedUsers"], job["FailedUsers"]) == (1, 3)
    args = [sys.executable, "-m", "userpools", "import-log", job["JobId"], "--data-dir", str(server.data_dir)]
    if server.database_url:
        args += ["--database-url", server.database_url]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout.splitlines()
    assert out[0] == "[SUCCEEDED] Line Number 2 - The import succeeded."
    assert out[1] == (
        "[FAILED] Line Number 3 - The User Record does not set any of the auto verified attributes "
        "to true. (Example: email_verified to true)."
    )
    assert out[2].startswith("[FAILED] Line Number 4 - ") and out[3].startswith("[FAILED] Line Number 5 - ")
    assert any(f"import job {job['JobId']}: [FAILED] Line Number 3" in line for line in server.output)


def test_existing_user_is_skipped_and_a_wrong_header_fails_the_job(cognito: Any) -> None:
    pool = _pool(cognito)
    cognito.admin_create_user(UserPoolId=pool["Id"], Username="taken", MessageAction="SUPPRESS")
    header = cognito.get_csv_header(UserPoolId=pool["Id"])["CSVHeader"]
    job = _import(cognito, pool["Id"], _csv(header, [_row("taken"), _row("fresh")]))
    assert (job["Status"], job["ImportedUsers"], job["SkippedUsers"]) == ("Succeeded", 1, 1)
    wrong = _import(cognito, pool["Id"], _csv([*header[:-1], "nickname2"], [_row("x")]))
    assert wrong["Status"] == "Failed"
    assert "nickname2" in wrong["CompletionMessage"] and wrong["ImportedUsers"] == 0
    missing = _import(cognito, pool["Id"], _csv(header[:-1], [_row("x")]))
    assert missing["Status"] == "Failed" and "cognito:username" in missing["CompletionMessage"]
    broken = _import(cognito, pool["Id"], b"\xff\xfe not utf-8")
    assert broken["Status"] == "Failed" and "UTF-8" in broken["CompletionMessage"]


def test_jobs_in_the_wrong_state_answer_precondition_not_met(cognito: Any) -> None:
    pool = _pool(cognito)
    job = _create(cognito, pool["Id"])
    with pytest.raises(ClientError) as err:  # nothing uploaded
        cognito.start_user_import_job(UserPoolId=pool["Id"], JobId=job["JobId"])
    assert err.value.response["Error"]["Code"] == "PreconditionNotMetException"
    with pytest.raises(ClientError) as err:  # not started
        cognito.stop_user_import_job(UserPoolId=pool["Id"], JobId=job["JobId"])
    assert err.value.response["Error"]["Code"] == "PreconditionNotMetException"
    with pytest.raises(ClientError) as err:
        cognito.describe_user_import_job(UserPoolId=pool["Id"], JobId="import-nosuchjob0")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    header = cognito.get_csv_header(UserPoolId=pool["Id"])["CSVHeader"]
    done = _import(cognito, pool["Id"], _csv(header, [_row("one")]))
    with pytest.raises(ClientError) as err:
        cognito.start_user_import_job(UserPoolId=pool["Id"], JobId=done["JobId"])
    assert err.value.response["Error"]["Code"] == "PreconditionNotMetException"
    plain = cognito.create_user_pool(PoolName="no-auto-verify")["UserPool"]
    other = _create(cognito, plain["Id"])
    assert _upload(other, _csv(header, [_row("one")])).status_code == 200
    with pytest.raises(ClientError) as err:
        cognito.start_user_import_job(UserPoolId=plain["Id"], JobId=other["JobId"])
    assert err.value.response["Error"]["Code"] == "PreconditionNotMetException"


def test_list_user_import_jobs_pages_newest_first(cognito: Any) -> None:
    pool = _pool(cognito)
    ids = [_create(cognito, pool["Id"])["JobId"] for _ in range(5)]
    seen: list[str] = []
    token = None
    while True:
        kwargs = {"PaginationToken": token} if token else {}
        page = cognito.list_user_import_jobs(UserPoolId=pool["Id"], MaxResults=2, **kwargs)
        seen += [j["JobId"] for j in page["UserImportJobs"]]
        token = page.get("PaginationToken")
        if not token:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    with pytest.raises(ClientError) as err:
        cognito.list_user_import_jobs(UserPoolId=pool["Id"], MaxResults=2, PaginationToken="bm9wZQ")
    assert err.value.response["Error"]["Code"] == "InvalidParameterException"


def test_upload_refuses_a_wrong_or_expired_signature(cognito: Any, server: Any) -> None:
    pool = _pool(cognito)
    job = _create(cognito, pool["Id"])
    bad = job["PreSignedUrl"].replace("X-Amz-Signature=", "X-Amz-Signature=0")
    answer = httpx.put(bad, content=b"x")
    assert answer.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer.content
    other = job["PreSignedUrl"].replace(job["JobId"], _create(cognito, pool["Id"])["JobId"])
    assert httpx.put(other, content=b"x").status_code == 403
    httpx.post(f"{server.url}/_userpools/clock", json={"advanceSeconds": 16 * 60})
    try:
        answer = _upload(job, b"cognito:username\n")
    finally:
        httpx.post(f"{server.url}/_userpools/clock", json={"reset": True})
    assert answer.status_code == 403 and b"Request has expired" in answer.content


def test_curl_upload_as_aws_documents_it(cognito: Any, tmp_path: Path) -> None:
    curl = shutil.which("curl")
    assert curl, "curl is needed for this test"
    pool = _pool(cognito)
    header = cognito.get_csv_header(UserPoolId=pool["Id"])["CSVHeader"]
    path = tmp_path / "users.csv"
    path.write_bytes(_csv(header, [_row(f"c{i}") for i in range(10)]))
    job = _create(cognito, pool["Id"])
    done = subprocess.run(
        [
            curl,
            "-sS",
            "-f",
            "-T",
            str(path),
            "-H",
            "x-amz-server-side-encryption:aws:kms",
            job["PreSignedUrl"],
        ],
        check=False,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    cognito.start_user_import_job(UserPoolId=pool["Id"], JobId=job["JobId"])
    finished = _wait(cognito, pool["Id"], job["JobId"], ("Succeeded", "Failed"))
    assert (finished["Status"], finished["ImportedUsers"]) == ("Succeeded", 10)


def test_imported_bcrypt_hash_signs_in_once_then_srp_verifier(cognito: Any) -> None:
    pool = _pool(cognito)
    client_id = _client(cognito, pool["Id"])
    header = [*cognito.get_csv_header(UserPoolId=pool["Id"])["CSVHeader"], "cognito:password_hash"]
    hashed = bcrypt.hashpw(b"Imported-Passw0rd", bcrypt.gensalt(rounds=4)).decode()
    rows = [
        _row("hashed", **{"cognito:password_hash": hashed}),
        _row("nohash"),
        _row("badhash", **{"cognito:password_hash": "$2b$nothash"}),
    ]
    job = _import(cognito, pool["Id"], _csv(header, rows), PasswordHashingAlgorithm="BCRYPT")
    assert (job["ImportedUsers"], job["FailedUsers"]) == (2, 1), job
    assert job["PasswordHashingAlgorithm"] == "BCRYPT"
    with pytest.raises(cognito.exceptions.NotAuthorizedException):  # SRP needs the password sign-in first
        from pycognito.aws_srp import AWSSRP

        AWSSRP(
            username="hashed",
            password="Imported-Passw0rd",
            pool_id=pool["Id"],
            client_id=client_id,
            client=cognito,
        ).authenticate_user()
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "hashed", "PASSWORD": "wrong-password"},
        )
    tokens = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "hashed", "PASSWORD": "Imported-Passw0rd"},
    )
    assert "AccessToken" in tokens["AuthenticationResult"]
    from pycognito.aws_srp import AWSSRP

    srp = AWSSRP(
        username="hashed",
        password="Imported-Passw0rd",
        pool_id=pool["Id"],
        client_id=client_id,
        client=cognito,
    ).authenticate_user()
    assert "AccessToken" in srp["AuthenticationResult"]
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username="nohash")["UserStatus"] == "RESET_REQUIRED"


def test_stop_user_import_job_stops_between_batches(cognito: Any) -> None:
    pool = _pool(cognito)
    header = cognito.get_csv_header(UserPoolId=pool["Id"])["CSVHeader"]
    job = _create(cognito, pool["Id"])
    assert _upload(job, _csv(header, [_row(f"s{i}") for i in range(30_000)])).status_code == 200
    cognito.start_user_import_job(UserPoolId=pool["Id"], JobId=job["JobId"])
    stopped = cognito.stop_user_import_job(UserPoolId=pool["Id"], JobId=job["JobId"])["UserImportJob"]
    assert stopped["Status"] in ("Stopping", "Stopped")
    final = _wait(cognito, pool["Id"], job["JobId"], ("Stopped",))
    assert final["CompletionMessage"] == "The Import Job was stopped by the developer."
    listed = cognito.list_users(UserPoolId=pool["Id"], Limit=60)
    assert final["ImportedUsers"] < 30_000
    assert final["ImportedUsers"] == 0 or listed["Users"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_restart_mid_import_imports_every_user_exactly_once(server_factory: Any, backend: str) -> None:
    first = server_factory(backend)
    cognito = first.client()
    pool = _pool(cognito)
    header = cognito.get_csv_header(UserPoolId=pool["Id"])["CSVHeader"]
    total = 60_000
    job = _create(cognito, pool["Id"])
    assert _upload(job, _csv(header, [_row(f"r{i}") for i in range(total)])).status_code == 200
    cognito.start_user_import_job(UserPoolId=pool["Id"], JobId=job["JobId"])
    deadline = time.monotonic() + 60
    while True:  # stop the server once the job is under way
        seen = cognito.describe_user_import_job(UserPoolId=pool["Id"], JobId=job["JobId"])["UserImportJob"]
        if seen["Status"] == "InProgress" and seen["ImportedUsers"] > 0:
            break
        assert time.monotonic() < deadline and seen["Status"] in ("Pending", "InProgress"), seen
        time.sleep(0.02)
    first.stop()
    first.output.clear()
    second = first.start()
    cognito = second.client()
    try:
        done = _wait(cognito, pool["Id"], job["JobId"], ("Succeeded", "Failed"))
    except Exception as exc:
        raise AssertionError("".join(second.output)) from exc
    assert done["Status"] == "Succeeded", done
    assert (done["ImportedUsers"], done["SkippedUsers"], done["FailedUsers"]) == (total, 0, 0)
    resumed = [int(line.rsplit(" ", 1)[1]) for line in second.output if "importing from line" in line]
    assert resumed and resumed[0] > 2  # went on after the committed lines, not from the top
    count = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["EstimatedNumberOfUsers"]
    assert count == total


def test_two_servers_sharing_postgresql_hand_a_job_over(server_factory: Any) -> None:
    """The file uploaded through one process, the job run by another; when that one stops mid-import the
    first takes the job over at its next sweep and ends it, every user imported exactly once."""
    a = server_factory("postgresql")
    b = server_factory("postgresql", database=a.database_url)
    via_a, via_b = a.client(), b.client()
    pool = _pool(via_a)
    header = via_a.get_csv_header(UserPoolId=pool["Id"])["CSVHeader"]
    total = 40_000
    job = _create(via_a, pool["Id"])
    assert _upload(job, _csv(header, [_row(f"h{i}") for i in range(total)])).status_code == 200
    via_b.start_user_import_job(UserPoolId=pool["Id"], JobId=job["JobId"])
    deadline = time.monotonic() + 60
    while True:
        seen = via_a.describe_user_import_job(UserPoolId=pool["Id"], JobId=job["JobId"])["UserImportJob"]
        if seen["ImportedUsers"] > 0:
            break
        assert time.monotonic() < deadline, seen
        time.sleep(0.02)
    b.stop()
    done = _wait(via_a, pool["Id"], job["JobId"], ("Succeeded", "Failed"), timeout=120)
    assert (done["Status"], done["ImportedUsers"], done["SkippedUsers"], done["FailedUsers"]) == (
        "Succeeded",
        total,
        0,
        0,
    )
    assert any(f"import job {job['JobId']}: importing from line" in line for line in a.output)

"""Operating the server: the Prometheus metrics at /_userpools/metrics (one process and --workers 2), the
request log, --log-format json, and a full run's logs searched for every secret the run handled."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from accounts import PASSWORD, latest_code, make_client, make_user, sign_in, unique
from botocore.exceptions import ClientError
from server import ServerProcess

from userpools.metrics import sample

WIRE_DIR = Path(__file__).resolve().parent
ARN = "arn:aws:lambda:us-east-1:123456789012:function:"


def scrape(server: Any) -> bytes:
    answer = httpx.get(f"{server.url}/_userpools/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return answer.content


def triggers_config(path: Path) -> Path:
    path.write_text(f'[functions."{ARN}record"]\ncallable = "trigger_functions:record"\n\n'
                    f'[functions."{ARN}refuse"]\ncallable = "trigger_functions:refuse"\n')
    return path


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_metrics_count_requests_sign_ins_lockouts_deliveries_and_trigger_calls(
    server_factory: Any, tmp_path: Path, backend: str
) -> None:
    srv = server_factory(backend, extra_args=["--config", str(triggers_config(tmp_path / "userpools.toml"))],
                         env={"PYTHONPATH": str(WIRE_DIR)})
    cognito = srv.client()
    pool_id = cognito.create_user_pool(PoolName="metrics", AutoVerifiedAttributes=["email"],
                                       LambdaConfig={"PreAuthentication": ARN + "record"})["UserPool"]["Id"]
    client_id = make_client(cognito, pool_id)["ClientId"]
    username = make_user(cognito, pool_id, attributes={"email": "metrics@example.com"})
    sign_in(cognito, client_id, username)
    for _ in range(5):  # the fifth wrong password locks the user out
        with pytest.raises(ClientError):
            sign_in(cognito, client_id, username, "Wrong-Password-1")
    cognito.admin_create_user(UserPoolId=pool_id, Username=unique(),
                              UserAttributes=[{"Name": "email", "Value": "invited@example.com"}])
    refused = cognito.create_user_pool(PoolName="refused", LambdaConfig={"PreAuthentication": ARN + "refuse"})
    refused_id = refused["UserPool"]["Id"]
    refused_client = make_client(cognito, refused_id)["ClientId"]
    with pytest.raises(cognito.exceptions.UserLambdaValidationException):
        sign_in(cognito, refused_client, make_user(cognito, refused_id))
    with pytest.raises(cognito.exceptions.ResourceNotFoundException):
        cognito.describe_user_pool(UserPoolId="us-east-1_nothere0")

    text = scrape(srv)
    assert sample(text, "userpools_requests_total", operation="InitiateAuth", outcome="ok") == 1
    assert sample(text, "userpools_requests_total", operation="InitiateAuth", outcome="NotAuthorizedException") == 5
    assert sample(text, "userpools_requests_total", operation="DescribeUserPool",
                  outcome="ResourceNotFoundException") == 1
    assert sample(text, "userpools_request_duration_seconds_count", operation="InitiateAuth") == 7
    assert sample(text, "userpools_request_duration_seconds_bucket", operation="InitiateAuth", le="+Inf") == 7
    assert sample(text, "userpools_sign_ins_total", result="success") == 1
    assert sample(text, "userpools_sign_ins_total", result="failure") == 5
    assert sample(text, "userpools_lockouts_total") == 1
    assert sample(text, "userpools_deliveries_total", medium="EMAIL", result="outbox") == 1
    assert sample(text, "userpools_trigger_calls_total", trigger="PreAuthentication", result="ok") == 6
    assert sample(text, "userpools_trigger_calls_total", trigger="PreAuthentication", result="raised") == 1
    # Nothing per user, client or pool in a label.
    for value in (username, client_id, pool_id, "metrics@example.com"):
        assert value.encode() not in text


def test_metrics_of_two_workers_are_summed_whichever_answers(server_factory: Any) -> None:
    srv = server_factory("sqlite", extra_args=["--workers", "2"])
    cognito = srv.client()
    for _ in range(12):
        with pytest.raises(cognito.exceptions.ResourceNotFoundException):
            cognito.describe_user_pool(UserPoolId="us-east-1_nothere0")
    seen = set()
    for _ in range(6):  # a new connection each time: the kernel hands them to either worker
        with httpx.Client() as fresh:
            text = fresh.get(f"{srv.url}/_userpools/metrics").content
        seen.add(sample(text, "userpools_requests_total", operation="DescribeUserPool",
                        outcome="ResourceNotFoundException"))
    assert seen == {12.0}


# --- logs -------------------------------------------------------------------------------------------------


def secret_hash(username: str, client_id: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class LoggedServer(ServerProcess):
    """A server whose standard error (the log) and standard output (the development console outbox) are kept
    apart, each in a file."""

    def start(self, timeout: float = 60.0) -> LoggedServer:
        env = {k: v for k, v in os.environ.items() if not k.startswith("USERPOOLS_")} | self.env
        self.log_path = self.data_dir / "stderr.log"
        self.console_path = self.data_dir / "stdout.log"
        with open(self.log_path, "w") as err, open(self.console_path, "w") as out:
            self.proc = subprocess.Popen(self.command(), stdout=out, stderr=err, text=True, env=env)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/_userpools/health").status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("userpools did not start:\n" + self.log_path.read_text())
            time.sleep(0.05)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_full_run_logs_every_request_and_never_a_secret(tmp_path: Path, backend: str) -> None:
    import pg
    from conftest import create_pg_database

    database = create_pg_database() if backend == "postgresql" else None
    srv = LoggedServer(data_dir=tmp_path, database_url=database,
                       extra_args=["--request-log", "--log-format", "json", "--log-level", "debug",
                                   "--access-log"]).start()
    secrets: list[str] = []
    try:
        cognito = srv.client()
        pool_id = cognito.create_user_pool(PoolName="logs", AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
        client = make_client(cognito, pool_id, GenerateSecret=True)
        client_id, client_secret = client["ClientId"], client["ClientSecret"]
        secrets.append(client_secret)
        username, password, new_password = unique("logs"), "Sign-Up-Secret-42", "New-Secret-Pass-77"
        secrets += [password, new_password]
        sh = secret_hash(username, client_id, client_secret)
        secrets.append(sh)
        cognito.sign_up(ClientId=client_id, SecretHash=sh, Username=username, Password=password,
                        UserAttributes=[{"Name": "email", "Value": "logs@example.com"}])
        code = latest_code(srv, pool_id, username)
        secrets.append(code)
        cognito.confirm_sign_up(ClientId=client_id, SecretHash=sh, Username=username, ConfirmationCode=code)
        tokens = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
            "USERNAME": username, "PASSWORD": password, "SECRET_HASH": sh})["AuthenticationResult"]
        secrets += [tokens["AccessToken"], tokens["IdToken"], tokens["RefreshToken"]]
        secrets += [part for jwt in (tokens["AccessToken"], tokens["IdToken"]) for part in jwt.split(".")[1:]]
        refreshed = cognito.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={
            "REFRESH_TOKEN": tokens["RefreshToken"], "SECRET_HASH": sh})["AuthenticationResult"]
        secrets += [refreshed["AccessToken"], refreshed["IdToken"]]
        cognito.get_user(AccessToken=refreshed["AccessToken"])
        with pytest.raises(cognito.exceptions.NotAuthorizedException):
            cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
                "USERNAME": username, "PASSWORD": "Wrong-Secret-Guess-9", "SECRET_HASH": sh})
        secrets.append("Wrong-Secret-Guess-9")
        cognito.forgot_password(ClientId=client_id, SecretHash=sh, Username=username)
        reset_code = latest_code(srv, pool_id, username)
        secrets.append(reset_code)
        cognito.confirm_forgot_password(ClientId=client_id, SecretHash=sh, Username=username,
                                        ConfirmationCode=reset_code, Password=new_password)
        invited = unique("invited")
        cognito.admin_create_user(UserPoolId=pool_id, Username=invited,
                                  UserAttributes=[{"Name": "email", "Value": "invited@example.com"}])
        temporary = latest_code(srv, pool_id, invited)
        secrets.append(temporary)
        make_user(cognito, pool_id, password=PASSWORD)
        secrets.append(PASSWORD)
    finally:
        srv.stop()
        if database:
            pg.drop_database(database)
    log = srv.log_path.read_text()
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]  # every line is one JSON object
    requests = [line for line in lines if line["logger"] == "userpools.requests"]
    operations = [(line["operation"], line["outcome"]) for line in requests]
    assert ("SignUp", "ok") in operations and ("ConfirmForgotPassword", "ok") in operations
    assert ("InitiateAuth", "NotAuthorizedException") in operations
    assert all(isinstance(line["durationMs"], float | int) and line["requestId"] for line in requests)
    assert any(line["logger"] == "uvicorn.access" for line in lines)  # the access log is JSON too
    found = [secret for secret in secrets if secret in log]
    assert not found, f"secrets in the log: {found}"
    # The development console outbox (standard output, not the log) is where the codes are shown.
    assert code in srv.console_path.read_text()

"""The server as a user runs it: durability across restarts, the AWS CLI, JWKS, health, several
processes on one PostgreSQL database, and the refusal to expose unauthenticated admin calls."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError


def test_health_answers_ok_once_the_store_is_reachable(server: Any) -> None:
    response = httpx.get(server.url + "/_userpools/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_each_pool_publishes_two_rsa_signing_keys_in_its_jwks(server: Any, pool: dict[str, Any]) -> None:
    response = httpx.get(f"{server.url}/{pool['Id']}/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert len(keys) == 2
    assert len({k["kid"] for k in keys}) == 2
    for key in keys:
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["e"] == "AQAB"
        assert "d" not in key and "p" not in key  # never the private half
    other = httpx.get(f"{server.url}/us-east-1_000000000/.well-known/jwks.json")
    assert other.status_code == 404


def test_openid_configuration_names_issuer_and_jwks_uri(server: Any, pool: dict[str, Any]) -> None:
    document = httpx.get(f"{server.url}/{pool['Id']}/.well-known/openid-configuration").json()
    assert document["issuer"] == f"{server.url}/{pool['Id']}"
    assert document["jwks_uri"] == f"{server.url}/{pool['Id']}/.well-known/jwks.json"
    assert httpx.get(document["jwks_uri"]).status_code == 200


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_pools_clients_and_keys_survive_a_restart(server_factory: Any, backend: str) -> None:
    srv = server_factory(backend)
    cognito = srv.client()
    pool = cognito.create_user_pool(PoolName="durable")["UserPool"]
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="app", GenerateSecret=True)[
        "UserPoolClient"
    ]
    jwks = httpx.get(f"{srv.url}/{pool['Id']}/.well-known/jwks.json").json()
    srv.stop()
    srv.start()
    cognito = srv.client()
    assert cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"] == pool
    again = cognito.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    assert again["UserPoolClient"] == client
    assert httpx.get(f"{srv.url}/{pool['Id']}/.well-known/jwks.json").json() == jwks


def test_the_default_store_is_sqlite_in_wal_mode_under_the_data_dir(server_factory: Any) -> None:
    srv = server_factory("sqlite")
    srv.client().create_user_pool(PoolName="on-disk")
    database = srv.data_dir / "userpools.db"
    assert database.exists()
    import sqlite3

    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    key_file = srv.data_dir / "data.key"
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600
    assert b"BEGIN PRIVATE KEY" not in database.read_bytes()  # signing keys are encrypted at rest


def test_two_processes_on_one_postgresql_database_see_each_others_writes(server_factory: Any) -> None:
    # Every node of a deployment shares the database and the data key.
    env = {"USERPOOLS_DATA_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
    first = server_factory("postgresql", env=env)
    second = server_factory("postgresql", database=first.database_url, env=env)
    a, b = first.client(), second.client()
    pool = a.create_user_pool(PoolName="shared")["UserPool"]
    assert b.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["Name"] == "shared"
    client = a.create_user_pool_client(UserPoolId=pool["Id"], ClientName="c", GenerateSecret=True)["UserPoolClient"]
    assert b.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])["UserPoolClient"] == client
    assert httpx.get(f"{first.url}/{pool['Id']}/.well-known/jwks.json").json() == httpx.get(
        f"{second.url}/{pool['Id']}/.well-known/jwks.json"
    ).json()
    b.update_user_pool(UserPoolId=pool["Id"], PoolName="changed-by-b")
    assert a.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["Name"] == "changed-by-b"
    b.delete_user_pool(UserPoolId=pool["Id"])
    with pytest.raises(ClientError):
        a.describe_user_pool(UserPoolId=pool["Id"])


def test_the_aws_cli_creates_a_pool_that_is_still_there_after_a_restart(server_factory: Any) -> None:
    srv = server_factory("sqlite")
    aws = str(Path(sys.executable).with_name("aws"))
    env = os.environ | {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                        "AWS_DEFAULT_REGION": "us-east-1"}
    created = subprocess.run(
        [aws, "--endpoint-url", srv.url, "cognito-idp", "create-user-pool", "--pool-name", "demo"],
        capture_output=True, text=True, env=env, check=True,
    )
    pool_id = json.loads(created.stdout)["UserPool"]["Id"]
    srv.stop()
    srv.start()
    described = subprocess.run(
        [aws, "--endpoint-url", srv.url, "cognito-idp", "describe-user-pool", "--user-pool-id", pool_id],
        capture_output=True, text=True, env=env, check=True,
    )
    assert json.loads(described.stdout)["UserPool"]["Name"] == "demo"


def test_binding_a_public_address_without_admin_credentials_is_refused(server_factory: Any) -> None:
    srv = server_factory("sqlite", start=False, host="0.0.0.0")
    result = srv.run_to_exit()
    assert result.returncode == 2
    assert "admin credentials" in result.stderr


ADMIN_KEY, ADMIN_SECRET = "AKIAUSERPOOLSADMIN01", "s3cr3t/for+the+admin+calls0123456789abcd"


@pytest.fixture(scope="module")
def secured(server_factory: Any) -> Any:
    return server_factory("sqlite", extra_args=["--admin-credentials", f"{ADMIN_KEY}:{ADMIN_SECRET}"])


def test_with_admin_credentials_a_correct_signature_is_accepted(secured: Any) -> None:
    cognito = secured.client(aws_access_key_id=ADMIN_KEY, aws_secret_access_key=ADMIN_SECRET)
    assert cognito.create_user_pool(PoolName="signed")["UserPool"]["Name"] == "signed"


def test_with_admin_credentials_a_wrong_secret_is_refused(secured: Any) -> None:
    cognito = secured.client(aws_access_key_id=ADMIN_KEY, aws_secret_access_key="wrong-secret")
    with pytest.raises(ClientError) as excinfo:
        cognito.list_user_pools(MaxResults=1)
    assert excinfo.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_with_admin_credentials_an_unknown_access_key_is_refused(secured: Any) -> None:
    cognito = secured.client(aws_access_key_id="AKIANOTCONFIGURED000", aws_secret_access_key=ADMIN_SECRET)
    with pytest.raises(ClientError) as excinfo:
        cognito.list_user_pools(MaxResults=1)
    assert excinfo.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_with_admin_credentials_an_expired_signature_is_refused(secured: Any) -> None:
    import datetime

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method="POST", url=secured.url + "/", data=b'{"MaxResults": 1}',
        headers={"Content-Type": "application/x-amz-json-1.1",
                 "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools"},
    )
    signer = SigV4Auth(Credentials(ADMIN_KEY, ADMIN_SECRET), "cognito-idp", "us-east-1")
    # Sign as of an hour ago: the signature is right, the time is not.
    stale = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    request.context["timestamp"] = stale.strftime("%Y%m%dT%H%M%SZ")
    signer._modify_request_before_signing(request)
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    signature = signer.signature(string_to_sign, request)
    signer._inject_signature_to_request(request, signature)
    response = httpx.post(secured.url + "/", content=request.body, headers=dict(request.headers.items()))
    assert response.status_code == 400
    assert response.json()["__type"] == "InvalidSignatureException"
    assert "Signature expired" in response.json()["message"]


def test_with_admin_credentials_public_operations_still_need_no_signature(secured: Any) -> None:
    from rawhttp import post

    response = post(secured.url, "ForgotPassword", '{"ClientId": "abc", "Username": "u"}', sign=False)
    assert response.json()["__type"] not in ("MissingAuthenticationTokenException", "InvalidSignatureException")


def test_userpools_migrate_brings_an_empty_database_to_the_current_schema(tmp_path: Path) -> None:
    import sqlite3

    database = tmp_path / "migrated.db"
    result = subprocess.run(
        [sys.executable, "-m", "userpools", "migrate", "--database-url", f"sqlite:///{database}"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(database) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"user_pools", "user_pool_clients", "signing_keys", "alembic_version"} <= tables
    again = subprocess.run(
        [sys.executable, "-m", "userpools", "migrate", "--database-url", f"sqlite:///{database}"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert again.returncode == 0, again.stderr


def test_every_serve_option_can_come_from_a_userpools_environment_variable(server_factory: Any,
                                                                           tmp_path: Path) -> None:
    from server import ServerProcess, free_port

    port = free_port()
    srv = ServerProcess(data_dir=tmp_path / "unused", port=port)
    srv.command = lambda: [sys.executable, "-m", "userpools", "serve"]  # type: ignore[method-assign]
    srv.env = {
        "USERPOOLS_PORT": str(port),
        "USERPOOLS_HOST": "127.0.0.1",
        "USERPOOLS_DATA_DIR": str(tmp_path / "data"),
        "USERPOOLS_DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}",
        "USERPOOLS_REGION": "eu-west-3",
    }
    srv.start()
    try:
        pool = srv.client().create_user_pool(PoolName="from-env")["UserPool"]
        assert pool["Id"].startswith("eu-west-3_")
        assert (tmp_path / "env.db").exists()
        assert (tmp_path / "data" / "data.key").exists()
    finally:
        srv.stop()


def test_outbox_cli_prints_the_messages_of_a_pool(server_factory: Any) -> None:
    srv = server_factory("sqlite")
    cognito = srv.client()
    pool = cognito.create_user_pool(PoolName="outbox")["UserPool"]
    cognito.admin_create_user(UserPoolId=pool["Id"], Username="olga", DesiredDeliveryMediums=["EMAIL"],
                              UserAttributes=[{"Name": "email", "Value": "olga@example.com"}])
    result = subprocess.run(
        [sys.executable, "-m", "userpools", "outbox", "--url", srv.url, "--pool", pool["Id"], "--user", "olga"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "olga@example.com (EMAIL)" in result.stdout
    assert "Your username is olga and temporary password is" in result.stdout
    assert "CustomMessage_AdminCreateUser" in result.stdout


def test_the_server_prints_messages_to_its_console_in_development_mode(server_factory: Any) -> None:
    srv = server_factory("sqlite")
    cognito = srv.client()
    pool = cognito.create_user_pool(PoolName="console")["UserPool"]
    cognito.admin_create_user(UserPoolId=pool["Id"], Username="pavel", DesiredDeliveryMediums=["EMAIL"],
                              UserAttributes=[{"Name": "email", "Value": "pavel@example.com"}])
    srv.stop()  # the log is complete once the process has ended
    log = "".join(srv.output)
    assert "userpools outbox" in log and "pavel@example.com (EMAIL)" in log


def test_with_admin_credentials_the_outbox_and_clock_are_off(secured: Any) -> None:
    assert httpx.get(secured.url + "/_userpools/outbox").status_code == 404
    assert httpx.post(secured.url + "/_userpools/clock", json={"freeze": True}).status_code == 404

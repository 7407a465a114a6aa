"""userpools export / userpools import: a pool as one JSON document, restored with its passwords, exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from server import ServerProcess

from conftest import BACKENDS


def _cli(srv: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "userpools", *args, "--data-dir", str(srv.data_dir)]
    if srv.database_url:
        cmd += ["--database-url", srv.database_url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _sign_in(cognito: Any, client_id: str, username: str, password: str) -> dict[str, Any]:
    return cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )["AuthenticationResult"]


def _domain(pool_id: str) -> str:
    return f"export-{pool_id.split('_')[1].lower()}"


def _populate(cognito: Any) -> tuple[str, str, str]:
    pool_id = cognito.create_user_pool(
        PoolName="exported", AliasAttributes=["email"],
        Policies={"PasswordPolicy": {"MinimumLength": 8, "RequireSymbols": False}},
    )["UserPool"]["Id"]
    cognito.create_resource_server(
        UserPoolId=pool_id, Identifier="https://api.example.com", Name="api",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "read"}],
    )
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    secret_client = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="backend", GenerateSecret=True)
    cognito.create_group(UserPoolId=pool_id, GroupName="admins", Precedence=3, Description="the admins")
    for name in ("alice", "bob"):
        cognito.admin_create_user(
            UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"}, {"Name": "email_verified", "Value": "true"}],
        )
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=f"{name}-passw0rd", Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="alice", GroupName="admins")
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=_domain(pool_id))
    return pool_id, client_id, secret_client["UserPoolClient"]["ClientSecret"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_export_delete_import_keeps_passwords_and_round_trips_exactly(
    backend: str, server_factory: Any, tmp_path: Path
) -> None:
    srv = server_factory(backend)
    cognito = srv.client()
    pool_id, client_id, secret = _populate(cognito)
    assert _sign_in(cognito, client_id, "alice", "alice-passw0rd")["AccessToken"]

    first = tmp_path / "first.json"
    result = _cli(srv, "export", "--pool", pool_id, "--out", str(first))
    assert result.returncode == 0, result.stderr
    document = json.loads(first.read_text())
    assert document["pool"]["id"] == pool_id
    assert sorted(u["username"] for u in document["users"]) == ["alice", "bob"]
    assert "alice-passw0rd" not in first.read_text()  # verifiers stay encrypted
    assert secret not in first.read_text()

    cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain=_domain(pool_id))
    cognito.delete_user_pool(UserPoolId=pool_id)
    with pytest.raises(cognito.exceptions.ResourceNotFoundException):
        cognito.describe_user_pool(UserPoolId=pool_id)

    result = _cli(srv, "import", str(first))
    assert result.returncode == 0, result.stderr

    # Signs in with the same password, by username and by the email alias (recomputed), through the same client.
    tokens = _sign_in(cognito, client_id, "alice", "alice-passw0rd")
    assert cognito.get_user(AccessToken=tokens["AccessToken"])["Username"] == "alice"
    assert _sign_in(cognito, client_id, "bob@example.com", "bob-passw0rd")["IdToken"]
    described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    assert described["ClientName"] == "web"
    clients = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=10)["UserPoolClients"]
    backend_id = next(c["ClientId"] for c in clients if c["ClientName"] == "backend")
    assert cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=backend_id)["UserPoolClient"][
        "ClientSecret"] == secret
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username="alice")["Groups"]
    assert [(g["GroupName"], g["Precedence"], g["Description"]) for g in groups] == [("admins", 3, "the admins")]
    servers = cognito.list_resource_servers(UserPoolId=pool_id, MaxResults=10)["ResourceServers"]
    assert [s["Identifier"] for s in servers] == ["https://api.example.com"]
    assert cognito.describe_user_pool_domain(Domain=_domain(pool_id))["DomainDescription"]["UserPoolId"] == pool_id

    second = tmp_path / "second.json"
    result = _cli(srv, "export", "--pool", pool_id, "--out", str(second))
    assert result.returncode == 0, result.stderr
    again = json.loads(second.read_text())
    # Exact: equal to the first document but for exportedAt (the sign-ins above change no stored record).
    assert {k: v for k, v in again.items() if k != "exportedAt"} == {
        k: v for k, v in document.items() if k != "exportedAt"
    }


def test_import_of_an_existing_pool_is_refused_and_changes_nothing(server_factory: Any, tmp_path: Path) -> None:
    srv = server_factory("sqlite")
    cognito = srv.client()
    pool_id, _client_id, _secret = _populate(cognito)
    path = tmp_path / "pool.json"
    assert _cli(srv, "export", "--pool", pool_id, "--out", str(path)).returncode == 0
    result = _cli(srv, "import", str(path))
    assert result.returncode == 2
    assert f"User pool {pool_id} already exists on this server" in result.stderr
    assert len(cognito.list_users(UserPoolId=pool_id)["Users"]) == 2


def test_export_of_an_unknown_pool_is_an_error(server_factory: Any) -> None:
    srv = server_factory("sqlite")
    result = _cli(srv, "export", "--pool", "us-east-1_Nonexist1")
    assert result.returncode == 2
    assert "User pool us-east-1_Nonexist1 does not exist." in result.stderr

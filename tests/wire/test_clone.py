"""userpools clone: a pool copied from another Cognito-compatible server (a second userpools, and moto's
server) through its public API only; users arrive RESET_REQUIRED and set a new password through
ForgotPassword."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from accounts import latest_code

from conftest import BACKENDS


def _clone(target: Any, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "userpools", "clone", *args, "--data-dir", str(target.data_dir)]
    if target.database_url:
        cmd += ["--database-url", target.database_url]
    env = {"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "AKIDCLONE", "AWS_SECRET_ACCESS_KEY": "clonesecret"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, env=env)


@pytest.mark.parametrize("backend", BACKENDS)
def test_clone_copies_the_pool_with_its_ids_and_users_reset_required(backend: str, server_factory: Any) -> None:
    source = server_factory("sqlite")
    target = server_factory(backend)
    there = source.client()
    pool = there.create_user_pool(
        PoolName="source", AutoVerifiedAttributes=["email"], UsernameAttributes=["email"],
        Schema=[{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}],
        Policies={"PasswordPolicy": {"MinimumLength": 10}},
    )["UserPool"]
    pool_id = pool["Id"]
    there.create_resource_server(UserPoolId=pool_id, Identifier="https://api.example.com", Name="api",
                                 Scopes=[{"ScopeName": "read", "ScopeDescription": "read"}])
    web = there.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    backend_client = there.create_user_pool_client(UserPoolId=pool_id, ClientName="backend", GenerateSecret=True,
                                                   AllowedOAuthFlows=["client_credentials"],
                                                   AllowedOAuthFlowsUserPoolClient=True,
                                                   AllowedOAuthScopes=["https://api.example.com/read"])["UserPoolClient"]
    there.create_group(UserPoolId=pool_id, GroupName="admins", Precedence=2)
    created = there.admin_create_user(
        UserPoolId=pool_id, Username="dora@example.com", MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "dora@example.com"}, {"Name": "email_verified", "Value": "true"},
                        {"Name": "custom:tenant", "Value": "acme"}],
    )["User"]
    sub = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
    there.admin_set_user_password(UserPoolId=pool_id, Username=sub, Password="Source-passw0rd", Permanent=True)
    there.admin_add_user_to_group(UserPoolId=pool_id, Username=sub, GroupName="admins")

    result = _clone(target, "--endpoint", source.url, "--pool", pool_id)
    assert result.returncode == 0, result.stderr
    assert "copied user" in result.stderr

    here = target.client()
    copied = here.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert copied["Name"] == "source"
    assert copied["UsernameAttributes"] == ["email"]
    assert copied["Policies"]["PasswordPolicy"]["MinimumLength"] == 10
    assert any(a["Name"] == "custom:tenant" for a in copied["SchemaAttributes"])
    described = here.describe_user_pool_client(UserPoolId=pool_id, ClientId=backend_client["ClientId"])
    assert described["UserPoolClient"]["ClientSecret"] == backend_client["ClientSecret"]
    assert described["UserPoolClient"]["AllowedOAuthScopes"] == ["https://api.example.com/read"]
    user = here.admin_get_user(UserPoolId=pool_id, Username="dora@example.com")
    assert user["UserStatus"] == "RESET_REQUIRED"
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["sub"] == sub and attributes["custom:tenant"] == "acme"
    groups = here.admin_list_groups_for_user(UserPoolId=pool_id, Username="dora@example.com")["Groups"]
    assert [(g["GroupName"], g["Precedence"]) for g in groups] == [("admins", 2)]

    # No password came along: sign-in asks for a reset, ForgotPassword gives a code, the new password works.
    with pytest.raises(here.exceptions.PasswordResetRequiredException):
        here.initiate_auth(ClientId=web["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                           AuthParameters={"USERNAME": "dora@example.com", "PASSWORD": "Source-passw0rd"})
    here.forgot_password(ClientId=web["ClientId"], Username="dora@example.com")
    code = latest_code(target, pool_id, sub)
    here.confirm_forgot_password(ClientId=web["ClientId"], Username="dora@example.com", ConfirmationCode=code,
                                 Password="Target-passw0rd")
    tokens = here.initiate_auth(ClientId=web["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                AuthParameters={"USERNAME": "dora@example.com", "PASSWORD": "Target-passw0rd"})
    assert tokens["AuthenticationResult"]["AccessToken"]

    # A second clone adds nothing and leaves the user's new password alone.
    again = _clone(target, "--endpoint", source.url, "--pool", pool_id)
    assert again.returncode == 0, again.stderr
    assert "copied user" not in again.stderr
    assert len(here.list_users(UserPoolId=pool_id)["Users"]) == 1
    assert here.initiate_auth(ClientId=web["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                              AuthParameters={"USERNAME": "dora@example.com", "PASSWORD": "Target-passw0rd"})[
        "AuthenticationResult"]["AccessToken"]


def test_clone_of_a_pool_the_source_lacks_names_the_error(server_factory: Any) -> None:
    source = server_factory("sqlite")
    target = server_factory("sqlite", start=False)
    result = _clone(target, "--endpoint", source.url, "--pool", "us-east-1_Nowhere01")
    assert result.returncode == 2
    assert f"{source.url}: ResourceNotFoundException: User pool us-east-1_Nowhere01 does not exist." in result.stderr


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """moto's server (``moto[server]``, a dev dependency) on a free loopback port, in this process."""
    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        moto.stop()


def _moto_client(endpoint: str) -> Any:
    return boto3.client("cognito-idp", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="AKIDCLONE", aws_secret_access_key="clonesecret")


@pytest.mark.parametrize("backend", BACKENDS)
def test_clone_from_moto_copies_clients_groups_users_and_attributes(
    backend: str, moto_endpoint: str, server_factory: Any
) -> None:
    there = _moto_client(moto_endpoint)
    pool_id = there.create_user_pool(
        PoolName=f"moto-{backend}", AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}],
        Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireSymbols": False}},
    )["UserPool"]["Id"]
    web = there.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    confidential = there.create_user_pool_client(UserPoolId=pool_id, ClientName="backend", GenerateSecret=True,
                                                 ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH",
                                                                    "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]
    there.create_group(UserPoolId=pool_id, GroupName="admins", Description="the admins", Precedence=1)
    there.create_group(UserPoolId=pool_id, GroupName="readers", Precedence=5)
    people = {
        "ana": {"email": "ana@example.com", "custom:tenant": "acme", "given_name": "Ana"},
        "bo": {"email": "bo@example.com", "custom:tenant": "globex"},
        "cy": {"email": "cy@example.com"},
    }
    subs = {}
    for name, attributes in people.items():
        created = there.admin_create_user(
            UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items()],
        )["User"]
        subs[name] = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
    there.admin_add_user_to_group(UserPoolId=pool_id, Username="ana", GroupName="admins")
    there.admin_add_user_to_group(UserPoolId=pool_id, Username="ana", GroupName="readers")
    there.admin_add_user_to_group(UserPoolId=pool_id, Username="bo", GroupName="readers")
    there.admin_disable_user(UserPoolId=pool_id, Username="cy")

    target = server_factory(backend)
    result = _clone(target, "--endpoint", moto_endpoint, "--pool", pool_id)
    assert result.returncode == 0, result.stderr

    here = target.client()
    pool = here.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["Name"] == f"moto-{backend}"
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert any(a["Name"] == "custom:tenant" for a in pool["SchemaAttributes"])

    clients = {c["ClientId"]: c["ClientName"]
               for c in here.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]}
    assert clients == {web["ClientId"]: "web", confidential["ClientId"]: "backend"}
    copied = here.describe_user_pool_client(UserPoolId=pool_id, ClientId=confidential["ClientId"])["UserPoolClient"]
    # moto's secrets are UUIDs, which Cognito's API refuses (pattern [\w+]+): a new one, and clone says so.
    assert "-" in confidential["ClientSecret"] and copied["ClientSecret"] != confidential["ClientSecret"]
    assert len(copied["ClientSecret"]) == 51
    assert f"client {confidential['ClientId']} (backend): the source's secret is not one Cognito accepts" in (
        result.stderr)
    assert set(copied["ExplicitAuthFlows"]) == {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}

    groups = {g["GroupName"]: (g.get("Description") or None, g.get("Precedence"))  # moto answers "" for none
              for g in here.list_groups(UserPoolId=pool_id)["Groups"]}
    assert groups == {"admins": ("the admins", 1), "readers": (None, 5)}

    for name, attributes in people.items():
        user = here.admin_get_user(UserPoolId=pool_id, Username=name)
        assert user["UserStatus"] == "RESET_REQUIRED", name
        assert user["Enabled"] is (name != "cy")
        got = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
        assert got["sub"] == subs[name]
        assert {k: got.get(k) for k in attributes} == attributes
    member_of = {name: sorted(g["GroupName"] for g in here.admin_list_groups_for_user(
        UserPoolId=pool_id, Username=name)["Groups"]) for name in people}
    assert member_of == {"ana": ["admins", "readers"], "bo": ["readers"], "cy": []}

    # The users sign in after a reset, here, with the client ids the app already has.
    here.admin_set_user_password(UserPoolId=pool_id, Username="ana", Password="Cloned-from-moto1", Permanent=True)
    tokens = here.initiate_auth(ClientId=web["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                AuthParameters={"USERNAME": "ana", "PASSWORD": "Cloned-from-moto1"})
    assert tokens["AuthenticationResult"]["AccessToken"]

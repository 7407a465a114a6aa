"""Group claims in tokens, through boto3 and pycognito against a live server with triggers (SQLite and
PostgreSQL): ``cognito:groups`` in ID and access tokens of every flow, ``cognito:roles`` and
``cognito:preferred_role`` in the ID token by precedence, membership changes at the next refresh, and
PreTokenGeneration V1/V2/V3 receiving ``groupConfiguration`` and overriding it with ``groupOverrideDetails``.
Every token is verified with PyJWT against the pool's JWKS (``test_auth.decode``)."""

from __future__ import annotations

from typing import Any

import pytest
from accounts import ALL_FLOWS, PASSWORD, make_client, make_user, sign_in, unique
from botocore.config import Config
from lambda_api import LambdaApiServer
from pycognito import Cognito
from test_auth import decode
from test_triggers_signin import answering, arn, pool_with, received, srp_sign_in, triggered_server

ROLE_A = "arn:aws:iam::123456789012:role/a"
ROLE_B = "arn:aws:iam::123456789012:role/b"
ROLE_C = "arn:aws:iam::123456789012:role/c"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def triggered(server_factory: Any, lambdas: LambdaApiServer, tmp_path_factory: pytest.TempPathFactory,
              request: pytest.FixtureRequest) -> Any:
    return triggered_server(server_factory, lambdas, tmp_path_factory.mktemp("group-claims"), request.param)


@pytest.fixture
def cognito(triggered: Any) -> Any:
    return triggered.client()


def grouped_user(cognito: Any, pool_id: str) -> str:
    """A user in four groups: admins (precedence 1, role A), staff (2, role B), everyone (no precedence,
    role C) and readers (neither)."""
    name = make_user(cognito, pool_id)
    for group, extra in (("staff", {"Precedence": 2, "RoleArn": ROLE_B}),
                         ("readers", {}),
                         ("admins", {"Precedence": 1, "RoleArn": ROLE_A}),
                         ("everyone", {"RoleArn": ROLE_C})):
        cognito.create_group(UserPoolId=pool_id, GroupName=group, **extra)
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=name, GroupName=group)
    return name


EXPECTED_GROUPS = ["admins", "staff", "everyone", "readers"]  # by precedence, none last, then by name


def assert_group_claims(server: Any, pool_id: str, result: dict[str, Any]) -> None:
    id_claims = decode(server, pool_id, result["IdToken"])
    access = decode(server, pool_id, result["AccessToken"])
    assert id_claims["token_use"] == "id" and access["token_use"] == "access"
    assert id_claims["cognito:groups"] == EXPECTED_GROUPS
    assert id_claims["cognito:roles"] == [ROLE_A, ROLE_B, ROLE_C]
    assert id_claims["cognito:preferred_role"] == ROLE_A
    assert access["cognito:groups"] == EXPECTED_GROUPS
    assert "cognito:roles" not in access and "cognito:preferred_role" not in access


def test_every_way_of_signing_in_claims_the_users_groups(triggered: Any, cognito: Any) -> None:
    pool = cognito.create_user_pool(PoolName=unique("claims"))["UserPool"]
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = grouped_user(cognito, pool["Id"])

    password = sign_in(cognito, client, name)["AuthenticationResult"]
    assert_group_claims(triggered, pool["Id"], password)
    assert_group_claims(triggered, pool["Id"], srp_sign_in(cognito, pool["Id"], client, name)["AuthenticationResult"])
    admin = cognito.admin_initiate_auth(UserPoolId=pool["Id"], ClientId=client, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                        AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD})
    assert_group_claims(triggered, pool["Id"], admin["AuthenticationResult"])
    refreshed = cognito.initiate_auth(ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH",
                                      AuthParameters={"REFRESH_TOKEN": password["RefreshToken"]})
    assert_group_claims(triggered, pool["Id"], refreshed["AuthenticationResult"])
    again = cognito.get_tokens_from_refresh_token(ClientId=client, RefreshToken=password["RefreshToken"])
    assert_group_claims(triggered, pool["Id"], again["AuthenticationResult"])


def test_a_user_in_no_group_has_no_group_claims_and_changes_show_at_the_next_refresh(
    triggered: Any, cognito: Any
) -> None:
    pool = cognito.create_user_pool(PoolName=unique("claims"))["UserPool"]
    pool_id = pool["Id"]
    client = make_client(cognito, pool_id)["ClientId"]
    name = make_user(cognito, pool_id)
    tokens = sign_in(cognito, client, name)["AuthenticationResult"]
    first = decode(triggered, pool_id, tokens["IdToken"])
    assert not {"cognito:groups", "cognito:roles", "cognito:preferred_role"} & set(first)
    assert "cognito:groups" not in decode(triggered, pool_id, tokens["AccessToken"])

    def refresh() -> tuple[dict[str, Any], dict[str, Any]]:
        result = cognito.initiate_auth(ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH",
                                       AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})["AuthenticationResult"]
        return decode(triggered, pool_id, result["IdToken"]), decode(triggered, pool_id, result["AccessToken"])

    cognito.create_group(UserPoolId=pool_id, GroupName="Editors", RoleArn=ROLE_A)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=name, GroupName="editors")
    id_claims, access = refresh()
    assert id_claims["cognito:groups"] == access["cognito:groups"] == ["Editors"]  # the name as created
    assert id_claims["cognito:roles"] == [ROLE_A] and id_claims["cognito:preferred_role"] == ROLE_A

    cognito.update_group(UserPoolId=pool_id, GroupName="Editors", RoleArn=ROLE_B)
    assert refresh()[0]["cognito:preferred_role"] == ROLE_B

    cognito.admin_remove_user_from_group(UserPoolId=pool_id, Username=name, GroupName="Editors")
    id_claims, access = refresh()
    assert "cognito:groups" not in id_claims and "cognito:roles" not in id_claims and "cognito:groups" not in access

    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=name, GroupName="Editors")
    assert refresh()[0]["cognito:groups"] == ["Editors"]
    cognito.delete_group(UserPoolId=pool_id, GroupName="Editors")
    assert "cognito:groups" not in refresh()[0]


@pytest.mark.parametrize(
    ("groups", "preferred"),
    [
        # equal precedence, different roles: no preferred role
        ([("a", 3, ROLE_A), ("b", 3, ROLE_B), ("c", 4, ROLE_C)], None),
        # equal precedence, the same role: that role
        ([("a", 3, ROLE_A), ("b", 3, ROLE_A), ("c", 4, ROLE_C)], ROLE_A),
        # no precedence loses to any precedence
        ([("a", None, ROLE_A), ("b", 9, ROLE_B)], ROLE_B),
        # a group without a role takes no part, whatever its precedence
        ([("a", 0, None), ("b", 9, ROLE_B)], ROLE_B),
        # zero is the highest precedence
        ([("a", 0, ROLE_A), ("b", 1, ROLE_B)], ROLE_A),
    ],
)
def test_the_preferred_role_follows_cognitos_precedence_rules(
    triggered: Any, cognito: Any, groups: list[tuple[str, int | None, str | None]], preferred: str | None
) -> None:
    pool_id = cognito.create_user_pool(PoolName=unique("claims"))["UserPool"]["Id"]
    client = make_client(cognito, pool_id)["ClientId"]
    name = make_user(cognito, pool_id)
    for group, precedence, role in groups:
        extra: dict[str, Any] = {}
        if precedence is not None:
            extra["Precedence"] = precedence
        if role is not None:
            extra["RoleArn"] = role
        cognito.create_group(UserPoolId=pool_id, GroupName=group, **extra)
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=name, GroupName=group)
    id_claims = decode(triggered, pool_id, sign_in(cognito, client, name)["AuthenticationResult"]["IdToken"])
    assert id_claims.get("cognito:preferred_role") == preferred
    assert sorted(id_claims["cognito:groups"]) == sorted(g for g, _, _ in groups)


def test_pycognitos_group_helpers(triggered: Any, cognito: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName=unique("claims"))["UserPool"]["Id"]
    client = make_client(cognito, pool_id, ExplicitAuthFlows=ALL_FLOWS)["ClientId"]
    name = make_user(cognito, pool_id)
    cognito.create_group(UserPoolId=pool_id, GroupName="admins", Description="Admins", Precedence=1, RoleArn=ROLE_A)
    cognito.create_group(UserPoolId=pool_id, GroupName="staff")
    py = Cognito(pool_id, client, username=name,
                 boto3_client_kwargs={"endpoint_url": triggered.url, "aws_access_key_id": "AKIDEXAMPLE",
                                      "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
                 botocore_config=Config(retries={"mode": "standard", "max_attempts": 1}))
    group = py.get_group("admins")
    assert (group.group_name, group.description, group.precedence, group.role_arn) == ("admins", "Admins", 1, ROLE_A)
    assert sorted(g.group_name for g in py.get_groups()) == ["admins", "staff"]
    py.admin_add_user_to_group(name, "admins")
    py.admin_add_user_to_group(name, "staff")
    assert py.admin_list_groups_for_user(name) == ["admins", "staff"]
    py.admin_remove_user_from_group(name, "staff")
    assert py.admin_list_groups_for_user(name) == ["admins"]
    tokens = sign_in(cognito, client, name)["AuthenticationResult"]
    assert decode(triggered, pool_id, tokens["AccessToken"])["cognito:groups"] == ["admins"]


# --- PreTokenGeneration ---------------------------------------------------------------------------------


def test_pre_token_generation_v1_receives_the_group_configuration_and_a_copy_keeps_the_claims(
    triggered: Any, cognito: Any, calls: Any
) -> None:
    def copy_back(event: dict[str, Any]) -> dict[str, Any]:
        # what the guide says to do "to leave the existing group configuration as is"
        event["response"]["claimsOverrideDetails"] = {"groupOverrideDetails": event["request"]["groupConfiguration"]}
        return event

    calls.register("group-copy", copy_back)
    pool = pool_with(cognito, {"PreTokenGeneration": arn("group-copy")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = grouped_user(cognito, pool["Id"])
    result = sign_in(cognito, client, name)["AuthenticationResult"]
    (event,) = received(calls, "group-copy")
    assert event["request"]["groupConfiguration"] == {
        "groupsToOverride": EXPECTED_GROUPS, "iamRolesToOverride": [ROLE_A, ROLE_B, ROLE_C], "preferredRole": ROLE_A}
    assert_group_claims(triggered, pool["Id"], result)


def test_pre_token_generation_v1_empty_group_override_suppresses_the_group_claims(
    triggered: Any, cognito: Any, calls: Any
) -> None:
    calls.register("group-empty", answering(claimsOverrideDetails={"groupOverrideDetails": {}}))
    pool = pool_with(cognito, {"PreTokenGeneration": arn("group-empty")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = grouped_user(cognito, pool["Id"])
    result = sign_in(cognito, client, name)["AuthenticationResult"]
    id_claims = decode(triggered, pool["Id"], result["IdToken"])
    access = decode(triggered, pool["Id"], result["AccessToken"])
    assert not {"cognito:groups", "cognito:roles", "cognito:preferred_role"} & (set(id_claims) | set(access))


def test_pre_token_generation_v1_without_group_override_keeps_the_groups_and_cannot_add_them_as_claims(
    triggered: Any, cognito: Any, calls: Any
) -> None:
    calls.register("group-claims", answering(claimsOverrideDetails={
        "claimsToAddOrOverride": {"cognito:groups": "forged", "tenant": "t1"}}))
    pool = pool_with(cognito, {"PreTokenGeneration": arn("group-claims")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = grouped_user(cognito, pool["Id"])
    result = sign_in(cognito, client, name)["AuthenticationResult"]
    assert_group_claims(triggered, pool["Id"], result)
    assert decode(triggered, pool["Id"], result["IdToken"])["tenant"] == "t1"


@pytest.mark.parametrize("version", ["V2_0", "V3_0"])
def test_pre_token_generation_v2_and_v3_replace_groups_in_both_tokens_and_roles_in_the_id_token(
    triggered: Any, cognito: Any, calls: Any, version: str
) -> None:
    function = f"group-replace-{version}"
    calls.register(function, answering(claimsAndScopeOverrideDetails={"groupOverrideDetails": {
        "groupsToOverride": ["vip"], "iamRolesToOverride": [ROLE_C], "preferredRole": ROLE_C}}))
    pool = pool_with(cognito, {"PreTokenGeneration": arn(function), "PreTokenGenerationConfig": {
        "LambdaVersion": version, "LambdaArn": arn(function)}})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = grouped_user(cognito, pool["Id"])
    result = sign_in(cognito, client, name)["AuthenticationResult"]
    (event,) = received(calls, function)
    assert event["request"]["groupConfiguration"]["groupsToOverride"] == EXPECTED_GROUPS
    id_claims = decode(triggered, pool["Id"], result["IdToken"])
    access = decode(triggered, pool["Id"], result["AccessToken"])
    assert id_claims["cognito:groups"] == access["cognito:groups"] == ["vip"]
    assert id_claims["cognito:roles"] == [ROLE_C] and id_claims["cognito:preferred_role"] == ROLE_C
    assert "cognito:roles" not in access
    # the override holds at refresh too, where the function runs again
    refreshed = cognito.initiate_auth(ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH",
                                      AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]})["AuthenticationResult"]
    assert decode(triggered, pool["Id"], refreshed["AccessToken"])["cognito:groups"] == ["vip"]
    assert received(calls, function)[-1]["triggerSource"] == "TokenGeneration_RefreshTokens"


def test_pre_token_generation_group_override_with_groups_only_drops_the_roles(
    triggered: Any, cognito: Any, calls: Any
) -> None:
    calls.register("group-only", answering(claimsOverrideDetails={"groupOverrideDetails": {
        "groupsToOverride": ["admins"]}}))
    pool = pool_with(cognito, {"PreTokenGeneration": arn("group-only")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = grouped_user(cognito, pool["Id"])
    id_claims = decode(triggered, pool["Id"], sign_in(cognito, client, name)["AuthenticationResult"]["IdToken"])
    # groupOverrideDetails replaces the whole configuration [C]
    assert id_claims["cognito:groups"] == ["admins"]
    assert "cognito:roles" not in id_claims and "cognito:preferred_role" not in id_claims

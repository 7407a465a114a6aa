"""Resource servers through boto3 against a live server (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from test_pools import error_of

SCOPES = [
    {"ScopeName": "read", "ScopeDescription": "Read the orders"},
    {"ScopeName": "write", "ScopeDescription": "Change the orders"},
]


def test_create_then_describe_shows_the_server_as_created(cognito: Any, pool: dict[str, Any]) -> None:
    created = cognito.create_resource_server(
        UserPoolId=pool["Id"], Identifier="https://api.example.com", Name="Orders API", Scopes=SCOPES
    )["ResourceServer"]
    assert created == {
        "UserPoolId": pool["Id"],
        "Identifier": "https://api.example.com",
        "Name": "Orders API",
        "Scopes": SCOPES,
    }
    described = cognito.describe_resource_server(UserPoolId=pool["Id"], Identifier="https://api.example.com")
    assert described["ResourceServer"] == created


def test_a_server_without_scopes_has_an_empty_list(cognito: Any, pool: dict[str, Any]) -> None:
    created = cognito.create_resource_server(UserPoolId=pool["Id"], Identifier="plain", Name="Plain")
    assert created["ResourceServer"]["Scopes"] == []


def test_the_same_identifier_twice_is_refused(cognito: Any, pool: dict[str, Any]) -> None:
    cognito.create_resource_server(UserPoolId=pool["Id"], Identifier="api", Name="API")
    with pytest.raises(ClientError) as twice:
        cognito.create_resource_server(UserPoolId=pool["Id"], Identifier="api", Name="API again")
    assert error_of(twice)[0] == "InvalidParameterException"
    assert (
        cognito.describe_resource_server(UserPoolId=pool["Id"], Identifier="api")["ResourceServer"]["Name"]
        == "API"
    )


def test_the_same_identifier_in_two_pools_is_two_servers(cognito: Any, pool: dict[str, Any]) -> None:
    other = cognito.create_user_pool(PoolName="other")["UserPool"]
    try:
        cognito.create_resource_server(UserPoolId=pool["Id"], Identifier="api", Name="Mine")
        cognito.create_resource_server(UserPoolId=other["Id"], Identifier="api", Name="Theirs")
        mine = cognito.describe_resource_server(UserPoolId=pool["Id"], Identifier="api")["ResourceServer"]
        assert mine["Name"] == "Mine"
    finally:
        cognito.delete_user_pool(UserPoolId=other["Id"])


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("Identifier", 'has"quote'),
        ("Identifier", "has space"),
        ("Name", "bad/name"),
        ("Scopes", [{"ScopeName": "a/b", "ScopeDescription": "slash"}]),
        ("Scopes", [{"ScopeName": "a", "ScopeDescription": ""}]),
        ("Scopes", [{"ScopeName": f"s{i}", "ScopeDescription": "d"} for i in range(101)]),
        (
            "Scopes",
            [{"ScopeName": "a", "ScopeDescription": "one"}, {"ScopeName": "a", "ScopeDescription": "two"}],
        ),
    ],
)
def test_invalid_servers_are_refused(raw_cognito: Any, pool: dict[str, Any], member: str, value: Any) -> None:
    request = {"UserPoolId": pool["Id"], "Identifier": "api", "Name": "API", member: value}
    with pytest.raises(ClientError) as refused:
        raw_cognito.create_resource_server(**request)
    assert error_of(refused)[0] == "InvalidParameterException"


def test_a_pool_holds_25_resource_servers(cognito: Any, pool: dict[str, Any]) -> None:
    for i in range(25):
        cognito.create_resource_server(UserPoolId=pool["Id"], Identifier=f"api{i:02}", Name="API")
    with pytest.raises(ClientError) as full:
        cognito.create_resource_server(UserPoolId=pool["Id"], Identifier="api25", Name="API")
    assert error_of(full)[0] == "LimitExceededException"
    cognito.delete_resource_server(UserPoolId=pool["Id"], Identifier="api00")
    cognito.create_resource_server(UserPoolId=pool["Id"], Identifier="api25", Name="API")


def test_update_replaces_name_and_scopes(cognito: Any, pool: dict[str, Any]) -> None:
    cognito.create_resource_server(UserPoolId=pool["Id"], Identifier="api", Name="API", Scopes=SCOPES)
    updated = cognito.update_resource_server(
        UserPoolId=pool["Id"], Identifier="api", Name="Renamed", Scopes=SCOPES[:1]
    )["ResourceServer"]
    assert updated["Name"] == "Renamed" and updated["Scopes"] == SCOPES[:1]
    assert (
        cognito.describe_resource_server(UserPoolId=pool["Id"], Identifier="api")["ResourceServer"] == updated
    )
    cleared = cognito.update_resource_server(UserPoolId=pool["Id"], Identifier="api", Name="Renamed")
    assert cleared["ResourceServer"]["Scopes"] == []


def test_unknown_servers_are_resource_not_found(cognito: Any, pool: dict[str, Any]) -> None:
    for call, extra in (
        (cognito.describe_resource_server, {}),
        (cognito.update_resource_server, {"Name": "x"}),
        (cognito.delete_resource_server, {}),
    ):
        with pytest.raises(ClientError) as missing:
            call(UserPoolId=pool["Id"], Identifier="nothing", **extra)
        assert error_of(missing)[0] == "ResourceNotFoundException"


def test_delete_removes_the_server(cognito: Any, pool: dict[str, Any]) -> None:
    cognito.create_resource_server(UserPoolId=pool["Id"], Identifier="api", Name="API")
    assert cognito.delete_resource_server(UserPoolId=pool["Id"], Identifier="api")["ResponseMetadata"]
    with pytest.raises(ClientError) as gone:
        cognito.describe_resource_server(UserPoolId=pool["Id"], Identifier="api")
    assert error_of(gone)[0] == "ResourceNotFoundException"


def test_list_pages_through_every_server_in_identifier_order(cognito: Any, pool: dict[str, Any]) -> None:
    identifiers = ["https://b.example.com", "a:b", "Zeta", "alpha", "beta"]
    for identifier in identifiers:
        cognito.create_resource_server(UserPoolId=pool["Id"], Identifier=identifier, Name="API")
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"UserPoolId": pool["Id"], "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = cognito.list_resource_servers(**kwargs)
        pages += 1
        seen += [s["Identifier"] for s in page["ResourceServers"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == sorted(identifiers, key=lambda s: s.encode())
    assert pages == 3
    everything = cognito.list_resource_servers(UserPoolId=pool["Id"])["ResourceServers"]
    assert [s["Identifier"] for s in everything] == seen
    paginated = cognito.get_paginator("list_resource_servers").paginate(UserPoolId=pool["Id"], MaxResults=1)
    assert [s["Identifier"] for p in paginated for s in p["ResourceServers"]] == seen


def test_a_foreign_next_token_is_refused(cognito: Any, pool: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as refused:
        cognito.list_resource_servers(UserPoolId=pool["Id"], MaxResults=5, NextToken="bm90LWEtdG9rZW4=")
    assert error_of(refused)[0] == "InvalidParameterException"


def test_an_unknown_pool_is_resource_not_found(cognito: Any) -> None:
    with pytest.raises(ClientError) as missing:
        cognito.list_resource_servers(UserPoolId="us-east-1_Nope12345", MaxResults=5)
    assert error_of(missing)[0] == "ResourceNotFoundException"


# --- app clients allow the pool's scopes only --------------------------------------------------------------------


def oauth_client(**members: Any) -> dict[str, Any]:
    return {
        "ClientName": "m2m",
        "GenerateSecret": True,
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["client_credentials"],
        **members,
    }


def test_a_client_may_allow_the_scopes_of_the_pools_resource_servers(
    cognito: Any, pool: dict[str, Any]
) -> None:
    cognito.create_resource_server(UserPoolId=pool["Id"], Identifier="orders", Name="Orders", Scopes=SCOPES)
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"], **oauth_client(AllowedOAuthScopes=["orders/read", "orders/write"])
    )["UserPoolClient"]
    assert client["AllowedOAuthScopes"] == ["orders/read", "orders/write"]
    updated = cognito.update_user_pool_client(
        UserPoolId=pool["Id"],
        ClientId=client["ClientId"],
        **{
            k: v
            for k, v in oauth_client(AllowedOAuthScopes=["orders/read"]).items()
            if k not in ("ClientName", "GenerateSecret")
        },
    )["UserPoolClient"]
    assert updated["AllowedOAuthScopes"] == ["orders/read"]


@pytest.mark.parametrize("scope", ["orders/delete", "other/read", "Cognito", "orders"])
def test_a_scope_the_pool_does_not_define_is_scope_does_not_exist(
    cognito: Any, pool: dict[str, Any], scope: str
) -> None:
    cognito.create_resource_server(UserPoolId=pool["Id"], Identifier="orders", Name="Orders", Scopes=SCOPES)
    with pytest.raises(ClientError) as refused:
        cognito.create_user_pool_client(UserPoolId=pool["Id"], **oauth_client(AllowedOAuthScopes=[scope]))
    assert error_of(refused) == ("ScopeDoesNotExistException", f"Invalid scope requested: {scope}")
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")["UserPoolClient"]
    with pytest.raises(ClientError) as on_update:
        cognito.update_user_pool_client(
            UserPoolId=pool["Id"], ClientId=client["ClientId"], AllowedOAuthScopes=[scope]
        )
    assert error_of(on_update)[0] == "ScopeDoesNotExistException"


def test_a_scope_of_another_pools_server_does_not_exist_here(cognito: Any, pool: dict[str, Any]) -> None:
    other = cognito.create_user_pool(PoolName="other")["UserPool"]
    try:
        cognito.create_resource_server(
            UserPoolId=other["Id"], Identifier="orders", Name="Orders", Scopes=SCOPES
        )
        with pytest.raises(ClientError) as refused:
            cognito.create_user_pool_client(
                UserPoolId=pool["Id"], **oauth_client(AllowedOAuthScopes=["orders/read"])
            )
        assert error_of(refused)[0] == "ScopeDoesNotExistException"
    finally:
        cognito.delete_user_pool(UserPoolId=other["Id"])


def test_standard_scopes_need_no_resource_server(cognito: Any, pool: dict[str, Any]) -> None:
    scopes = ["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="web",
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=scopes,
        CallbackURLs=["https://app.example.com/cb"],
        LogoutURLs=["https://app.example.com/bye", "http://localhost:3000/"],
    )["UserPoolClient"]
    assert client["AllowedOAuthScopes"] == scopes


def test_a_logout_url_must_be_https_except_on_loopback(cognito: Any, pool: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as refused:
        cognito.create_user_pool_client(
            UserPoolId=pool["Id"], ClientName="web", LogoutURLs=["http://app.example.com/bye"]
        )
    assert error_of(refused) == (
        "InvalidParameterException",
        "Invalid LogoutURLs: http://app.example.com/bye",
    )


def test_an_unknown_identity_provider_is_refused(cognito: Any, pool: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as refused:
        cognito.create_user_pool_client(
            UserPoolId=pool["Id"], ClientName="web", SupportedIdentityProviders=["COGNITO", "Google"]
        )
    assert error_of(refused) == (
        "InvalidParameterException",
        f"The provider Google does not exist for User Pool {pool['Id']}",
    )

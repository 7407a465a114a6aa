"""App client management through boto3 against a live server (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from test_pools import error_of

FULL_CLIENT: dict[str, Any] = {
    "RefreshTokenValidity": 10,
    "AccessTokenValidity": 30,
    "IdTokenValidity": 45,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
    "ReadAttributes": ["email", "email_verified", "name"],
    "WriteAttributes": ["email", "name"],
    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "SupportedIdentityProviders": ["COGNITO"],
    "CallbackURLs": ["https://app.example.com/callback"],
    "LogoutURLs": ["https://app.example.com/logout"],
    "DefaultRedirectURI": "https://app.example.com/callback",
    "AllowedOAuthFlows": ["code"],
    "AllowedOAuthScopes": ["openid", "email"],
    "AllowedOAuthFlowsUserPoolClient": True,
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": True,
    "EnablePropagateAdditionalUserContextData": False,
    "AuthSessionValidity": 5,
}


def test_create_user_pool_client_with_generated_secret(cognito: Any, pool: dict[str, Any]) -> None:
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web", GenerateSecret=True)[
        "UserPoolClient"
    ]
    assert re.fullmatch(r"[a-z0-9]{26}", client["ClientId"])
    assert re.fullmatch(r"[\w+]{24,64}", client["ClientSecret"])
    assert len(client["ClientSecret"]) == 51
    assert client["UserPoolId"] == pool["Id"] and client["ClientName"] == "web"
    described = cognito.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])[
        "UserPoolClient"
    ]
    assert described == client


def test_create_user_pool_client_without_secret_has_no_client_secret(cognito: Any, pool: dict[str, Any]) -> None:
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="spa")["UserPoolClient"]
    assert "ClientSecret" not in client


def test_create_user_pool_client_with_a_custom_secret_keeps_it(cognito: Any, pool: dict[str, Any]) -> None:
    secret = "custom+secret_0123456789abcdef"
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="svc", ClientSecret=secret)[
        "UserPoolClient"
    ]
    assert client["ClientSecret"] == secret
    described = cognito.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    assert described["UserPoolClient"]["ClientSecret"] == secret


def test_generate_secret_together_with_a_client_secret_is_refused(cognito: Any, pool: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool_client(
            UserPoolId=pool["Id"], ClientName="x", GenerateSecret=True, ClientSecret="a" * 30
        )
    assert error_of(excinfo)[0] == "InvalidParameterException"
    assert cognito.list_user_pool_clients(UserPoolId=pool["Id"])["UserPoolClients"] == []


def test_describe_user_pool_client_shows_cognitos_defaults(cognito: Any, pool: dict[str, Any]) -> None:
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="defaults")["UserPoolClient"]
    assert client["RefreshTokenValidity"] == 30
    assert client["AllowedOAuthFlowsUserPoolClient"] is False
    assert client["EnableTokenRevocation"] is True
    assert client["AuthSessionValidity"] == 3
    assert "CreationDate" in client and "LastModifiedDate" in client


def test_every_create_user_pool_client_member_is_stored_and_returned(cognito: Any, pool: dict[str, Any]) -> None:
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="full", **FULL_CLIENT)[
        "UserPoolClient"
    ]
    described = cognito.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])[
        "UserPoolClient"
    ]
    assert described == client
    for member, value in FULL_CLIENT.items():
        if isinstance(value, list):
            assert sorted(described[member]) == sorted(value), member
        else:
            assert described[member] == value, member


def test_create_user_pool_client_in_unknown_pool_raises_resource_not_found(cognito: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool_client(UserPoolId="us-east-1_000000000", ClientName="x")
    assert error_of(excinfo) == ("ResourceNotFoundException", "User pool us-east-1_000000000 does not exist.")


def test_create_user_pool_client_with_unknown_auth_flow_raises_invalid_parameter(
    cognito: Any, pool: dict[str, Any]
) -> None:
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="x", ExplicitAuthFlows=["ALLOW_NOTHING"])
    code, message = error_of(excinfo)
    assert code == "InvalidParameterException"
    assert "explicitAuthFlows" in message and "enum value set" in message


def test_update_user_pool_client_changes_members_and_keeps_the_secret(cognito: Any, pool: dict[str, Any]) -> None:
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="before", GenerateSecret=True, **FULL_CLIENT
    )["UserPoolClient"]
    updated = cognito.update_user_pool_client(
        UserPoolId=pool["Id"], ClientId=client["ClientId"], ClientName="after", RefreshTokenValidity=7,
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    assert updated["ClientName"] == "after"
    assert updated["RefreshTokenValidity"] == 7
    assert sorted(updated["ExplicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
    assert updated["ClientSecret"] == client["ClientSecret"]
    assert updated["CreationDate"] == client["CreationDate"]
    # Members not given go back to their defaults, as Cognito documents for UpdateUserPoolClient.
    assert "CallbackURLs" not in updated
    assert updated["AllowedOAuthFlowsUserPoolClient"] is False
    described = cognito.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    assert described["UserPoolClient"] == updated


def test_update_user_pool_client_without_a_name_keeps_the_name(cognito: Any, pool: dict[str, Any]) -> None:
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="stays")["UserPoolClient"]
    updated = cognito.update_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    assert updated["UserPoolClient"]["ClientName"] == "stays"


def test_a_client_is_not_found_through_another_pool(cognito: Any, pool: dict[str, Any]) -> None:
    other = cognito.create_user_pool(PoolName="other")["UserPool"]
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="mine")["UserPoolClient"]
    for call in (
        lambda: cognito.describe_user_pool_client(UserPoolId=other["Id"], ClientId=client["ClientId"]),
        lambda: cognito.update_user_pool_client(UserPoolId=other["Id"], ClientId=client["ClientId"]),
        lambda: cognito.delete_user_pool_client(UserPoolId=other["Id"], ClientId=client["ClientId"]),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == (
            "ResourceNotFoundException", f"User pool client {client['ClientId']} does not exist."
        )
    cognito.delete_user_pool(UserPoolId=other["Id"])


def test_delete_user_pool_client_removes_it(cognito: Any, pool: dict[str, Any]) -> None:
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="gone")["UserPoolClient"]
    assert cognito.delete_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_list_user_pool_clients_pages_through_the_pools_clients(cognito: Any, pool: dict[str, Any]) -> None:
    made = {
        cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName=f"c{i}")["UserPoolClient"]["ClientId"]
        for i in range(5)
    }
    seen: list[str] = []
    kwargs: dict[str, Any] = {"UserPoolId": pool["Id"], "MaxResults": 2}
    while True:
        page = cognito.list_user_pool_clients(**kwargs)
        for summary in page["UserPoolClients"]:
            assert set(summary) == {"ClientId", "UserPoolId", "ClientName"}
            assert summary["UserPoolId"] == pool["Id"]
        seen += [c["ClientId"] for c in page["UserPoolClients"]]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert sorted(seen) == sorted(made)
    everything = cognito.list_user_pool_clients(UserPoolId=pool["Id"])
    assert sorted(c["ClientId"] for c in everything["UserPoolClients"]) == sorted(made)
    assert cognito.list_user_pool_clients(UserPoolId=pool["Id"], ClientType="DCR")["UserPoolClients"] == []


def test_list_user_pool_clients_of_unknown_pool_raises_resource_not_found(cognito: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        cognito.list_user_pool_clients(UserPoolId="us-east-1_000000000")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"

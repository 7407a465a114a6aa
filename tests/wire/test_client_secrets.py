"""Client secret rotation through boto3: AddUserPoolClientSecret, DeleteUserPoolClientSecret,
ListUserPoolClientSecrets, and both secrets accepted wherever a secret is — on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from clients import App, delete_pool, make_app, secret_hash

from userpools.domain.client_secrets import SECRETS_KEY


@pytest.fixture
def app(cognito: Any) -> Any:
    created = make_app(cognito, secret=True)
    yield created
    delete_pool(cognito, created.pool_id)


def listed(cognito: Any, app: App) -> list[dict[str, Any]]:
    out = cognito.list_user_pool_client_secrets(UserPoolId=app.pool_id, ClientId=app.client_id)
    assert "NextToken" not in out
    return list(out["ClientSecrets"])


def password_sign_in(cognito: Any, app: App, secret: str) -> dict[str, Any]:
    return dict(cognito.initiate_auth(
        ClientId=app.client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": app.login, "PASSWORD": app.password,
                        "SECRET_HASH": secret_hash(app.login, app.client_id, secret)},
    )["AuthenticationResult"])


def error(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_a_client_made_with_a_secret_lists_it_without_its_value(cognito: Any, app: App) -> None:
    (only,) = listed(cognito, app)
    assert set(only) == {"ClientSecretId", "ClientSecretCreateDate"}
    assert re.fullmatch(rf"{app.client_id}--\d{{13}}", only["ClientSecretId"])
    assert isinstance(only["ClientSecretCreateDate"], datetime)


def test_a_generated_second_secret_is_returned_once_and_both_sign_in(cognito: Any, app: App) -> None:
    added = cognito.add_user_pool_client_secret(UserPoolId=app.pool_id, ClientId=app.client_id)
    descriptor = added["ClientSecretDescriptor"]
    value = descriptor["ClientSecretValue"]
    assert re.fullmatch(r"[\w+]{51}", value) and value != app.client_secret
    ids = [s["ClientSecretId"] for s in listed(cognito, app)]
    assert ids[1] == descriptor["ClientSecretId"] and len(ids) == 2 and ids[0] != ids[1]
    assert all("ClientSecretValue" not in s for s in listed(cognito, app))

    assert password_sign_in(cognito, app, app.client_secret)["IdToken"]
    tokens = password_sign_in(cognito, app, value)
    # the other places a secret is taken: GetTokensFromRefreshToken and RevokeToken
    for secret in (app.client_secret, value):
        assert cognito.get_tokens_from_refresh_token(
            ClientId=app.client_id, ClientSecret=secret, RefreshToken=tokens["RefreshToken"]
        )["AuthenticationResult"]["AccessToken"]
    cognito.revoke_token(ClientId=app.client_id, ClientSecret=value, Token=tokens["RefreshToken"])
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        cognito.get_user(AccessToken=tokens["AccessToken"])
    # a secret that is neither still fails
    with pytest.raises(ClientError) as exc:
        password_sign_in(cognito, app, "x" * 51)
    assert exc.value.response["Error"]["Message"] == f"Unable to verify secret hash for client {app.client_id}"


def test_deleting_the_old_secret_completes_a_rotation(cognito: Any, app: App) -> None:
    added = cognito.add_user_pool_client_secret(UserPoolId=app.pool_id, ClientId=app.client_id,
                                                ClientSecret="Custom+Secret_Value_0123456789")
    # a secret the caller gave is not echoed back
    assert set(added["ClientSecretDescriptor"]) == {"ClientSecretId", "ClientSecretCreateDate"}
    old_id = listed(cognito, app)[0]["ClientSecretId"]
    cognito.delete_user_pool_client_secret(UserPoolId=app.pool_id, ClientId=app.client_id, ClientSecretId=old_id)
    assert [s["ClientSecretId"] for s in listed(cognito, app)] == [added["ClientSecretDescriptor"]["ClientSecretId"]]
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        password_sign_in(cognito, app, app.client_secret)
    assert password_sign_in(cognito, app, "Custom+Secret_Value_0123456789")["AccessToken"]
    described = cognito.describe_user_pool_client(UserPoolId=app.pool_id, ClientId=app.client_id)["UserPoolClient"]
    assert described["ClientSecret"] == "Custom+Secret_Value_0123456789"
    assert SECRETS_KEY not in described
    # an update of the client keeps its secrets
    cognito.update_user_pool_client(UserPoolId=app.pool_id, ClientId=app.client_id, ClientName="renamed",
                                    ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    assert len(listed(cognito, app)) == 1
    assert password_sign_in(cognito, app, "Custom+Secret_Value_0123456789")["AccessToken"]


def test_at_most_two_secrets_and_never_none(cognito: Any, app: App) -> None:
    cognito.add_user_pool_client_secret(UserPoolId=app.pool_id, ClientId=app.client_id)
    with pytest.raises(ClientError) as exc:
        cognito.add_user_pool_client_secret(UserPoolId=app.pool_id, ClientId=app.client_id)
    assert error(exc) == "LimitExceededException"
    first, second = (s["ClientSecretId"] for s in listed(cognito, app))
    cognito.delete_user_pool_client_secret(UserPoolId=app.pool_id, ClientId=app.client_id, ClientSecretId=first)
    with pytest.raises(ClientError) as exc:
        cognito.delete_user_pool_client_secret(UserPoolId=app.pool_id, ClientId=app.client_id,
                                               ClientSecretId=second)
    assert error(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        cognito.delete_user_pool_client_secret(UserPoolId=app.pool_id, ClientId=app.client_id,
                                               ClientSecretId=first)
    assert error(exc) == "ResourceNotFoundException"
    assert [s["ClientSecretId"] for s in listed(cognito, app)] == [second]


def test_unknown_pool_client_and_a_public_client(cognito: Any, app: App) -> None:
    calls = [
        lambda **k: cognito.add_user_pool_client_secret(**k),
        lambda **k: cognito.list_user_pool_client_secrets(**k),
        lambda **k: cognito.delete_user_pool_client_secret(ClientSecretId="x--1", **k),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call(UserPoolId="us-east-1_Nowhere00", ClientId=app.client_id)
        assert error(exc) == "ResourceNotFoundException"
        with pytest.raises(ClientError) as exc:
            call(UserPoolId=app.pool_id, ClientId="a" * 26)
        assert error(exc) == "ResourceNotFoundException"
    public = cognito.create_user_pool_client(UserPoolId=app.pool_id, ClientName="public")["UserPoolClient"]
    assert cognito.list_user_pool_client_secrets(
        UserPoolId=app.pool_id, ClientId=public["ClientId"])["ClientSecrets"] == []
    with pytest.raises(ClientError) as exc:
        cognito.add_user_pool_client_secret(UserPoolId=app.pool_id, ClientId=public["ClientId"])
    assert error(exc) == "InvalidParameterException"


def test_a_custom_secret_must_fit_the_model(raw_cognito: Any, app: App) -> None:
    for bad in ("short", "has space in it 0123456789", "x" * 65):
        with pytest.raises(ClientError) as exc:
            raw_cognito.add_user_pool_client_secret(UserPoolId=app.pool_id, ClientId=app.client_id, ClientSecret=bad)
        assert error(exc) == "InvalidParameterException"
    assert len(raw_cognito.list_user_pool_client_secrets(
        UserPoolId=app.pool_id, ClientId=app.client_id)["ClientSecrets"]) == 1


def test_the_hosted_pages_own_secret_hash_cannot_be_sent(cognito: Any, app: App) -> None:
    """The hosted pages tell the API's sign-in steps that the server itself vouches for the client (its own
    object, ``common.SECRET_KNOWN_TO_SERVER``); the same text sent by a caller is just a wrong SECRET_HASH."""
    from userpools.operations.common import SECRET_KNOWN_TO_SERVER

    with pytest.raises(ClientError) as exc:
        cognito.initiate_auth(ClientId=app.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
            "USERNAME": app.login, "PASSWORD": app.password, "SECRET_HASH": SECRET_KNOWN_TO_SERVER})
    assert error(exc) == "NotAuthorizedException"
    assert exc.value.response["Error"]["Message"] == f"Unable to verify secret hash for client {app.client_id}"

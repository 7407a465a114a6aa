"""pycognito against a live server (SQLite and PostgreSQL): SRP sign-in with and without a client secret, its
token checks, and the tokens themselves verified with PyJWT against the server's JWKS.

pycognito is pointed at the server through ``boto3_client_kwargs={"endpoint_url": …}``: it builds its boto3
client from them, and takes the same ``endpoint_url`` as the issuer's base (``<endpoint>/<poolId>``) and the
JWKS location (``<endpoint>/<poolId>/.well-known/jwks.json``) when it verifies tokens, which is exactly the
server's default issuer. ``Cognito.authenticate`` verifies both tokens that way before it returns.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from clients import (
    WRONG_PASSWORD,
    App,
    default_issuer,
    delete_pool,
    fetch_jwks,
    make_app,
    unique,
    verify_with_pyjwt,
)
from pycognito import Cognito
from pycognito.aws_srp import AWSSRP
from pycognito.exceptions import ForceChangePasswordException
from server import ServerProcess

NEW_PASSWORD = "Brand-New-Horse-7-staple"


@pytest.fixture(params=[False, True], ids=["public-client", "client-with-secret"])
def app(request: pytest.FixtureRequest, cognito: Any) -> Iterator[App]:
    """A pool, a client (without and with a secret) and a confirmed user."""
    created = make_app(cognito, secret=request.param)
    yield created
    delete_pool(cognito, created.pool_id)


def pycognito_for(server: ServerProcess, app: App, username: str | None = None, **tokens: Any) -> Cognito:
    return Cognito(
        app.pool_id, app.client_id, username=username or app.login, client_secret=app.client_secret,
        boto3_client_kwargs={"endpoint_url": server.url, "aws_access_key_id": "AKIDEXAMPLE",
                             "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
        botocore_config=Config(retries={"mode": "standard", "max_attempts": 1}),
        **tokens,
    )


def srp_tokens(server: ServerProcess, app: App, password: str | None = None) -> dict[str, Any]:
    aws = AWSSRP(username=app.login, password=password or app.password, pool_id=app.pool_id,
                 client_id=app.client_id, client_secret=app.client_secret, client=server.client())
    return dict(aws.authenticate_user())


def test_pycognito_authenticate_signs_in_with_srp_and_verifies_both_tokens(server: ServerProcess, app: App) -> None:
    user = pycognito_for(server, app)
    user.authenticate(password=app.password)  # raises TokenVerificationException if a token fails its checks

    assert user.token_type == "Bearer"
    assert user.id_token and user.access_token and user.refresh_token
    assert user.id_claims["token_use"] == "id" and user.access_claims["token_use"] == "access"
    assert user.id_claims["aud"] == app.client_id
    assert user.access_claims["client_id"] == app.client_id
    assert user.id_claims["cognito:username"] == app.username
    assert user.access_claims["username"] == app.username
    assert user.id_claims["sub"] == user.access_claims["sub"] == app.sub
    assert user.id_claims["iss"] == default_issuer(server, app.pool_id)
    user.verify_tokens()  # again, from the stored tokens
    assert user.check_token(renew=False) is False  # not expired


def test_awssrp_authenticate_user_answers_with_cognitos_authentication_result(
    server: ServerProcess, app: App
) -> None:
    tokens = srp_tokens(server, app)
    assert "ChallengeName" not in tokens
    result = tokens["AuthenticationResult"]
    assert set(result) >= {"AccessToken", "IdToken", "RefreshToken", "ExpiresIn", "TokenType"}
    assert result["ExpiresIn"] == 3600 and result["TokenType"] == "Bearer"
    assert result["RefreshToken"].count(".") == 4  # a JWE, like Cognito's


def test_pycognito_authenticate_with_a_wrong_password_raises_not_authorized(server: ServerProcess, app: App) -> None:
    user = pycognito_for(server, app)
    with pytest.raises(ClientError) as excinfo:
        user.authenticate(password=WRONG_PASSWORD)
    error = excinfo.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("NotAuthorizedException", "Incorrect username or password.")
    assert excinfo.value.operation_name == "RespondToAuthChallenge"
    assert user.access_token is None


def test_awssrp_with_a_wrong_password_raises_not_authorized(server: ServerProcess, app: App) -> None:
    with pytest.raises(ClientError) as excinfo:
        srp_tokens(server, app, password=WRONG_PASSWORD)
    error = excinfo.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("NotAuthorizedException", "Incorrect username or password.")


def test_srp_tokens_verify_with_pyjwt_against_the_servers_jwks_and_carry_cognitos_claims(
    server: ServerProcess, app: App
) -> None:
    result = srp_tokens(server, app)["AuthenticationResult"]
    jwks = fetch_jwks(server, app.pool_id)
    for key in jwks["keys"]:
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
        assert key["e"] and key["n"]
    issuer = default_issuer(server, app.pool_id)
    id_header, id_claims = verify_with_pyjwt(result["IdToken"], jwks, issuer=issuer, audience=app.client_id)
    access_header, access_claims = verify_with_pyjwt(result["AccessToken"], jwks, issuer=issuer)

    # headers: RS256, a kid per purpose (Cognito signs ID and access tokens with different keys)
    assert id_header["alg"] == access_header["alg"] == "RS256"
    assert id_header["kid"] != access_header["kid"]
    for kid in (id_header["kid"], access_header["kid"]):
        assert len(base64.b64decode(kid)) == 32

    # ID token
    assert id_claims["token_use"] == "id"
    assert id_claims["aud"] == app.client_id
    assert "client_id" not in id_claims
    assert id_claims["cognito:username"] == app.username
    assert id_claims["sub"] == app.sub
    assert id_claims["email"] == app.email
    assert id_claims["email_verified"] is True
    assert id_claims["iss"] == issuer

    # access token
    assert access_claims["token_use"] == "access"
    assert access_claims["client_id"] == app.client_id
    assert "aud" not in access_claims
    assert access_claims["username"] == app.username
    assert access_claims["sub"] == app.sub
    assert access_claims["scope"] == "aws.cognito.signin.user.admin"
    assert access_claims["iss"] == issuer

    # one sign-in: the same origin_jti, event_id and auth_time; a jti of their own
    assert id_claims["origin_jti"] == access_claims["origin_jti"]
    assert id_claims["event_id"] == access_claims["event_id"]
    assert id_claims["auth_time"] == access_claims["auth_time"]
    assert id_claims["jti"] != access_claims["jti"]
    assert len({id_claims["jti"], access_claims["jti"], id_claims["origin_jti"]}) == 3

    # default validity: one hour
    for claims in (id_claims, access_claims):
        assert claims["exp"] - claims["iat"] == 3600
        assert claims["iat"] >= claims["auth_time"]


def test_pycognito_renews_the_access_token_reads_the_user_and_logs_out(server: ServerProcess, app: App) -> None:
    user = pycognito_for(server, app)
    user.authenticate(password=app.password)
    first_access, first_claims = user.access_token, dict(user.access_claims)

    user.renew_access_token()  # REFRESH_TOKEN_AUTH (with SECRET_HASH when the client has a secret)
    assert user.access_token != first_access
    user.verify_tokens()
    assert user.access_claims["auth_time"] == first_claims["auth_time"]
    assert user.access_claims["origin_jti"] == first_claims["origin_jti"]

    profile = user.get_user()  # GetUser
    assert profile.username == app.login
    assert profile.sub == app.sub and profile.email == app.email

    access_token = user.access_token
    user.logout()  # GlobalSignOut
    with pytest.raises(ClientError) as excinfo:
        server.client().get_user(AccessToken=access_token)
    error = excinfo.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("NotAuthorizedException", "Access Token has been revoked")


def test_pycognito_new_password_challenge_confirms_an_admin_created_user(
    server: ServerProcess, cognito: Any, app: App
) -> None:
    username = unique("invited")
    temporary = "Temp-Horse-3-battery"
    cognito.admin_create_user(UserPoolId=app.pool_id, Username=username, TemporaryPassword=temporary,
                              MessageAction="SUPPRESS")
    assert cognito.admin_get_user(UserPoolId=app.pool_id, Username=username)["UserStatus"] == "FORCE_CHANGE_PASSWORD"

    user = pycognito_for(server, app, username=username)
    with pytest.raises(ForceChangePasswordException):
        user.authenticate(password=temporary)
    user.new_password_challenge(password=temporary, new_password=NEW_PASSWORD)
    assert user.id_claims["cognito:username"] == username
    assert cognito.admin_get_user(UserPoolId=app.pool_id, Username=username)["UserStatus"] == "CONFIRMED"

    again = pycognito_for(server, app, username=username)
    again.authenticate(password=NEW_PASSWORD)
    assert again.access_claims["username"] == username


@pytest.mark.parametrize("secret", [False, True], ids=["public-client", "client-with-secret"])
def test_pycognito_signs_in_with_the_email_in_an_email_as_username_pool(
    server: ServerProcess, cognito: Any, secret: bool
) -> None:
    """USER_ID_FOR_SRP is the UUID username: pycognito derives the password key from it and, with a client
    secret, computes the challenge response's SECRET_HASH over it (InitiateAuth's over the email typed)."""
    app = make_app(cognito, secret=secret, email_as_username=True)
    try:
        user = pycognito_for(server, app)
        user.authenticate(password=app.password)
        assert user.id_claims["cognito:username"] == app.username == app.sub
        assert user.access_claims["username"] == app.username
        assert user.id_claims["email"] == app.email
        with pytest.raises(ClientError) as excinfo:
            pycognito_for(server, app).authenticate(password=WRONG_PASSWORD)
        assert excinfo.value.response["Error"]["Code"] == "NotAuthorizedException"
    finally:
        delete_pool(cognito, app.pool_id)

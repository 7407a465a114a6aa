"""Sign-in through boto3: password flows, challenges, refresh, lockout, revocation, tokens checked against
the pool's JWKS with PyJWT."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from accounts import PASSWORD, make_client, make_user, sign_in, unique
from botocore.exceptions import ClientError
from test_pools import error_of


@pytest.fixture
def app(cognito: Any, pool: dict[str, Any]) -> dict[str, Any]:
    return make_client(cognito, pool["Id"])


def decode(server: Any, pool_id: str, token: str, **kwargs: Any) -> dict[str, Any]:
    keys = httpx.get(f"{server.url}/{pool_id}/.well-known/jwks.json").json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWK(next(k for k in keys if k["kid"] == kid))
    return jwt.decode(token, key.key, algorithms=["RS256"], options={"verify_aud": False}, **kwargs)


@pytest.fixture
def frozen_clock(server: Any) -> Iterator[Any]:
    """Stops the server's clock for a test (development endpoint), and lets the test move it."""

    def move(seconds: float) -> None:
        httpx.post(f"{server.url}/_userpools/clock", json={"advanceSeconds": seconds}).raise_for_status()

    httpx.post(f"{server.url}/_userpools/clock", json={"freeze": True}).raise_for_status()
    try:
        yield move
    finally:
        httpx.post(f"{server.url}/_userpools/clock", json={"reset": True}).raise_for_status()


def test_user_password_auth_returns_tokens_that_verify_against_the_jwks(
    cognito: Any, server: Any, pool: dict[str, Any], app: dict[str, Any]
) -> None:
    name = make_user(cognito, pool["Id"], attributes={"email": "eve@example.com", "email_verified": "true"})
    result = sign_in(cognito, app["ClientId"], name)
    assert result["ChallengeParameters"] == {}
    tokens = result["AuthenticationResult"]
    assert tokens["TokenType"] == "Bearer" and tokens["ExpiresIn"] == 3600
    issuer = f"{server.url}/{pool['Id']}"
    id_claims = decode(server, pool["Id"], tokens["IdToken"], issuer=issuer)
    access_claims = decode(server, pool["Id"], tokens["AccessToken"], issuer=issuer)
    assert jwt.get_unverified_header(tokens["IdToken"])["kid"] != jwt.get_unverified_header(tokens["AccessToken"])["kid"]
    assert id_claims["token_use"] == "id" and id_claims["aud"] == app["ClientId"]
    assert id_claims["cognito:username"] == name and id_claims["email"] == "eve@example.com"
    assert id_claims["email_verified"] is True
    assert access_claims["token_use"] == "access" and access_claims["client_id"] == app["ClientId"]
    assert "aud" not in access_claims
    assert access_claims["scope"] == "aws.cognito.signin.user.admin" and access_claims["username"] == name
    assert id_claims["sub"] == access_claims["sub"]
    assert id_claims["origin_jti"] == access_claims["origin_jti"]
    assert id_claims["jti"] != access_claims["jti"]
    assert access_claims["exp"] - access_claims["iat"] == 3600
    assert tokens["RefreshToken"].count(".") == 4  # JWE-shaped and opaque, like Cognito's


def test_wrong_password_unknown_user_and_hidden_user_existence(cognito: Any, pool: dict[str, Any],
                                                               app: dict[str, Any]) -> None:
    name = make_user(cognito, pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, app["ClientId"], name, "Wrong-Password-1")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, app["ClientId"], "nobody-at-all")
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    hidden = make_client(cognito, pool["Id"], PreventUserExistenceErrors="ENABLED")
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, hidden["ClientId"], "nobody-at-all")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")


def test_a_flow_the_client_does_not_allow_is_refused(cognito: Any, pool: dict[str, Any]) -> None:
    default_client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="defaults")["UserPoolClient"]
    name = make_user(cognito, pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, default_client["ClientId"], name)
    assert error_of(excinfo) == ("InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")


def test_admin_initiate_auth_with_admin_user_password_auth(cognito: Any, pool: dict[str, Any],
                                                          app: dict[str, Any]) -> None:
    name = make_user(cognito, pool["Id"])
    result = cognito.admin_initiate_auth(
        UserPoolId=pool["Id"], ClientId=app["ClientId"], AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD},
    )
    assert "IdToken" in result["AuthenticationResult"]
    with pytest.raises(ClientError) as excinfo:
        cognito.initiate_auth(ClientId=app["ClientId"], AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                              AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD})
    assert error_of(excinfo) == ("InvalidParameterException", "Initiate Auth method not supported.")


def test_disabled_user_cannot_sign_in_and_loses_its_tokens(cognito: Any, pool: dict[str, Any],
                                                          app: dict[str, Any]) -> None:
    name = make_user(cognito, pool["Id"])
    tokens = sign_in(cognito, app["ClientId"], name)["AuthenticationResult"]
    cognito.admin_disable_user(UserPoolId=pool["Id"], Username=name)
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, app["ClientId"], name)
    assert error_of(excinfo) == ("NotAuthorizedException", "User is disabled.")
    with pytest.raises(ClientError) as excinfo:
        cognito.get_user(AccessToken=tokens["AccessToken"])
    assert error_of(excinfo)[0] == "NotAuthorizedException"
    cognito.admin_enable_user(UserPoolId=pool["Id"], Username=name)
    assert sign_in(cognito, app["ClientId"], name)["AuthenticationResult"]


def test_five_wrong_passwords_lock_the_user_with_a_growing_back_off(
    cognito: Any, pool: dict[str, Any], app: dict[str, Any], frozen_clock: Any
) -> None:
    name = make_user(cognito, pool["Id"])
    for _ in range(5):
        with pytest.raises(ClientError) as excinfo:
            sign_in(cognito, app["ClientId"], name, "Wrong-Password-1")
        assert error_of(excinfo)[1] == "Incorrect username or password."
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, app["ClientId"], name)  # even the right password, while locked
    assert error_of(excinfo) == ("NotAuthorizedException", "Password attempts exceeded")
    frozen_clock(1.5)  # 2^(5-5) = 1 s has passed
    assert sign_in(cognito, app["ClientId"], name)["AuthenticationResult"]


def test_refresh_token_auth_gives_new_tokens_of_the_same_family(cognito: Any, server: Any, pool: dict[str, Any],
                                                                app: dict[str, Any]) -> None:
    name = make_user(cognito, pool["Id"])
    first = sign_in(cognito, app["ClientId"], name)["AuthenticationResult"]
    refreshed = cognito.initiate_auth(ClientId=app["ClientId"], AuthFlow="REFRESH_TOKEN_AUTH",
                                      AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]})["AuthenticationResult"]
    assert "RefreshToken" not in refreshed
    old = decode(server, pool["Id"], first["AccessToken"])
    new = decode(server, pool["Id"], refreshed["AccessToken"])
    assert new["origin_jti"] == old["origin_jti"] and new["jti"] != old["jti"]
    assert new["auth_time"] == old["auth_time"]
    again = cognito.get_tokens_from_refresh_token(ClientId=app["ClientId"], RefreshToken=first["RefreshToken"])
    assert "AccessToken" in again["AuthenticationResult"]
    other = make_client(cognito, pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        cognito.initiate_auth(ClientId=other["ClientId"], AuthFlow="REFRESH_TOKEN_AUTH",
                              AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]})
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid Refresh Token")


def test_global_sign_out_revokes_access_and_refresh_tokens(cognito: Any, pool: dict[str, Any],
                                                          app: dict[str, Any]) -> None:
    name = make_user(cognito, pool["Id"])
    one = sign_in(cognito, app["ClientId"], name)["AuthenticationResult"]
    two = sign_in(cognito, app["ClientId"], name)["AuthenticationResult"]
    cognito.global_sign_out(AccessToken=one["AccessToken"])
    for tokens in (one, two):
        with pytest.raises(ClientError) as excinfo:
            cognito.get_user(AccessToken=tokens["AccessToken"])
        assert error_of(excinfo) == ("NotAuthorizedException", "Access Token has been revoked")
        with pytest.raises(ClientError) as excinfo:
            cognito.initiate_auth(ClientId=app["ClientId"], AuthFlow="REFRESH_TOKEN_AUTH",
                                  AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})
        assert error_of(excinfo)[0] == "NotAuthorizedException"
    three = sign_in(cognito, app["ClientId"], name)["AuthenticationResult"]
    assert cognito.get_user(AccessToken=three["AccessToken"])["Username"] == name


def test_admin_user_global_sign_out_revokes_every_session(cognito: Any, pool: dict[str, Any],
                                                          app: dict[str, Any]) -> None:
    name = make_user(cognito, pool["Id"])
    tokens = sign_in(cognito, app["ClientId"], name)["AuthenticationResult"]
    cognito.admin_user_global_sign_out(UserPoolId=pool["Id"], Username=name)
    with pytest.raises(ClientError) as excinfo:
        cognito.get_user(AccessToken=tokens["AccessToken"])
    assert error_of(excinfo) == ("NotAuthorizedException", "Access Token has been revoked")


def test_revoke_token_revokes_only_that_family(cognito: Any, pool: dict[str, Any], app: dict[str, Any]) -> None:
    name = make_user(cognito, pool["Id"])
    one = sign_in(cognito, app["ClientId"], name)["AuthenticationResult"]
    two = sign_in(cognito, app["ClientId"], name)["AuthenticationResult"]
    cognito.revoke_token(Token=one["RefreshToken"], ClientId=app["ClientId"])
    with pytest.raises(ClientError) as excinfo:
        cognito.get_user(AccessToken=one["AccessToken"])
    assert error_of(excinfo) == ("NotAuthorizedException", "Access Token has been revoked")
    with pytest.raises(ClientError) as excinfo:
        cognito.initiate_auth(ClientId=app["ClientId"], AuthFlow="REFRESH_TOKEN_AUTH",
                              AuthParameters={"REFRESH_TOKEN": one["RefreshToken"]})
    assert error_of(excinfo) == ("NotAuthorizedException", "Refresh Token has been revoked")
    assert cognito.get_user(AccessToken=two["AccessToken"])["Username"] == name
    with pytest.raises(ClientError) as excinfo:
        cognito.revoke_token(Token=two["AccessToken"], ClientId=app["ClientId"])
    assert error_of(excinfo)[0] == "UnsupportedTokenTypeException"


def test_temporary_password_leads_to_new_password_required(cognito: Any, pool: dict[str, Any],
                                                           app: dict[str, Any]) -> None:
    name = unique()
    cognito.admin_create_user(UserPoolId=pool["Id"], Username=name, TemporaryPassword="Temp-Pass-123",
                              MessageAction="SUPPRESS")
    challenge = sign_in(cognito, app["ClientId"], name, "Temp-Pass-123")
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert challenge["ChallengeParameters"]["USER_ID_FOR_SRP"] == name
    assert json.loads(challenge["ChallengeParameters"]["requiredAttributes"]) == []
    assert isinstance(json.loads(challenge["ChallengeParameters"]["userAttributes"]), dict)
    with pytest.raises(ClientError) as excinfo:
        cognito.respond_to_auth_challenge(
            ClientId=app["ClientId"], ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge["Session"],
            ChallengeResponses={"USERNAME": name, "NEW_PASSWORD": "weak"},
        )
    assert error_of(excinfo)[0] == "InvalidPasswordException"
    assert error_of(excinfo)[1].startswith("Password does not conform to policy: ")
    done = cognito.respond_to_auth_challenge(
        ClientId=app["ClientId"], ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": name, "NEW_PASSWORD": "Brand-New-Pass-9"},
    )
    assert "AccessToken" in done["AuthenticationResult"]
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)["UserStatus"] == "CONFIRMED"
    assert sign_in(cognito, app["ClientId"], name, "Brand-New-Pass-9")["AuthenticationResult"]
    with pytest.raises(ClientError):
        sign_in(cognito, app["ClientId"], name, "Temp-Pass-123")


def test_secret_hash_is_required_and_checked_on_sign_in(cognito: Any, pool: dict[str, Any]) -> None:
    client = make_client(cognito, pool["Id"], GenerateSecret=True)
    name = make_user(cognito, pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client["ClientId"], name)
    assert error_of(excinfo)[1] == (
        f"Client {client['ClientId']} is configured with secret but SECRET_HASH was not received"
    )
    digest = hmac.new(client["ClientSecret"].encode(), (name + client["ClientId"]).encode(), hashlib.sha256).digest()
    result = cognito.initiate_auth(
        ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD, "SECRET_HASH": base64.b64encode(digest).decode()},
    )
    assert "AccessToken" in result["AuthenticationResult"]


def test_tampered_or_foreign_access_token_is_refused(cognito: Any, pool: dict[str, Any], app: dict[str, Any]) -> None:
    name = make_user(cognito, pool["Id"])
    token = sign_in(cognito, app["ClientId"], name)["AuthenticationResult"]["AccessToken"]
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["username"] = "someone-else"
    forged = ".".join([head, base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode(), sig])
    for bad in (forged, "not.a.token", "garbage"):
        with pytest.raises(ClientError) as excinfo:
            cognito.get_user(AccessToken=bad)
        assert error_of(excinfo) == ("NotAuthorizedException", "Invalid Access Token")


def test_srp_sign_in_with_pycognito_and_hidden_user_existence(cognito: Any, pool: dict[str, Any]) -> None:
    from pycognito.aws_srp import AWSSRP

    app = make_client(cognito, pool["Id"], PreventUserExistenceErrors="ENABLED")
    name = make_user(cognito, pool["Id"])
    tokens = AWSSRP(username=name, password=PASSWORD, pool_id=pool["Id"], client_id=app["ClientId"],
                    client=cognito).authenticate_user()
    assert "AccessToken" in tokens["AuthenticationResult"]
    for username, password in ((name, "Wrong-Password-1"), ("nobody-at-all", PASSWORD)):
        with pytest.raises(ClientError) as excinfo:
            AWSSRP(username=username, password=password, pool_id=pool["Id"], client_id=app["ClientId"],
                   client=cognito).authenticate_user()
        assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")


def test_refresh_token_rotation_retires_the_old_token_after_the_grace_period(
    cognito: Any, pool: dict[str, Any], frozen_clock: Any
) -> None:
    app = make_client(cognito, pool["Id"],
                      RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 30})
    name = make_user(cognito, pool["Id"])
    first = sign_in(cognito, app["ClientId"], name)["AuthenticationResult"]["RefreshToken"]
    rotated = cognito.get_tokens_from_refresh_token(ClientId=app["ClientId"], RefreshToken=first)
    second = rotated["AuthenticationResult"]["RefreshToken"]
    assert second != first and "AccessToken" in rotated["AuthenticationResult"]
    # within the grace period the old token still works (and gets the current generation's token)
    again = cognito.get_tokens_from_refresh_token(ClientId=app["ClientId"], RefreshToken=first)
    assert "AccessToken" in again["AuthenticationResult"]
    frozen_clock(31)
    with pytest.raises(ClientError) as excinfo:
        cognito.get_tokens_from_refresh_token(ClientId=app["ClientId"], RefreshToken=first)
    assert error_of(excinfo)[0] == "RefreshTokenReuseException"
    third = cognito.get_tokens_from_refresh_token(ClientId=app["ClientId"], RefreshToken=second)
    assert third["AuthenticationResult"]["RefreshToken"] not in (first, second)
    # with no grace period, a rotated-out token is refused at once
    strict = make_client(cognito, pool["Id"], RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0})
    token = sign_in(cognito, strict["ClientId"], name)["AuthenticationResult"]["RefreshToken"]
    cognito.get_tokens_from_refresh_token(ClientId=strict["ClientId"], RefreshToken=token)
    with pytest.raises(ClientError) as excinfo:
        cognito.get_tokens_from_refresh_token(ClientId=strict["ClientId"], RefreshToken=token)
    assert error_of(excinfo)[0] == "RefreshTokenReuseException"


def test_tokens_signed_on_signing_threads_verify_and_refresh(server_factory: Any) -> None:
    """``serve --signing-threads 2``: the RS256 signatures are computed on threads beside the event loop; every
    token of concurrent sign-ins (and of a refresh) still verifies against the JWKS and names its own user."""
    from concurrent.futures import ThreadPoolExecutor

    srv = server_factory("sqlite", extra_args=["--signing-threads", "2"])
    cognito = srv.client()
    pool = cognito.create_user_pool(PoolName=unique("threads"))["UserPool"]
    client = make_client(cognito, pool["Id"])["ClientId"]
    names = [make_user(cognito, pool["Id"]) for _ in range(12)]
    with ThreadPoolExecutor(6) as threads:
        results = list(threads.map(lambda name: (name, sign_in(cognito, client, name)), names))
    issuer = f"{srv.url}/{pool['Id']}"
    for name, result in results:
        tokens = result["AuthenticationResult"]
        assert decode(srv, pool["Id"], tokens["IdToken"], issuer=issuer)["cognito:username"] == name
        assert decode(srv, pool["Id"], tokens["AccessToken"], issuer=issuer)["username"] == name
    name, first = results[0]
    refreshed = cognito.initiate_auth(ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH",
                                      AuthParameters={"REFRESH_TOKEN": first["AuthenticationResult"]["RefreshToken"]})
    access = refreshed["AuthenticationResult"]["AccessToken"]
    assert decode(srv, pool["Id"], access, issuer=issuer)["username"] == name
    assert cognito.get_user(AccessToken=access)["Username"] == name

"""The pool domain's /oauth2/token, /oauth2/userInfo and /oauth2/revoke over raw HTTP (httpx), the codes
coming from the hosted sign-in form; every test on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx
import jwt
import pytest
from accounts import sign_in as api_sign_in
from oauthkit import (
    CALLBACK,
    DomainPool,
    code_from,
    domain_pool,
    frozen_clock,
    new_browser,
    pkce_pair,
    redeem,
    sign_in_through_form,
)
from test_triggers_signin import triggered

__all__ = ["domain_pool", "frozen_clock", "triggered"]  # the fixtures, used by name


def verified(server: Any, pool_id: str, token: str, **kwargs: Any) -> dict[str, Any]:
    keys = httpx.get(f"{server.url}/{pool_id}/.well-known/jwks.json").json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWK(next(k for k in keys if k["kid"] == kid))
    return dict(jwt.decode(token, key.key, algorithms=["RS256"], **kwargs))


def a_code(dp: DomainPool, client_id: str, username: str, **params: str) -> str:
    with new_browser() as browser:
        return code_from(sign_in_through_form(browser, dp, client_id, username, **params))


def token_post(dp: DomainPool, data: dict[str, str], **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{dp.base}/oauth2/token", data=data, **kwargs)


def error_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]


# --- authorization_code ---------------------------------------------------------------------------------


def test_a_code_with_pkce_gives_tokens_with_the_scopes_nonce_and_at_hash(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    username = dp.user(email="ann@example.com", email_verified="true")
    verifier, challenge = pkce_pair()
    code = a_code(dp, client_id, username, code_challenge=challenge, code_challenge_method="S256", nonce="n-1")
    response = redeem(dp, client_id, code, verifier=verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert list(body) == ["id_token", "access_token", "refresh_token", "expires_in", "token_type"]
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    id_claims = verified(dp.server, dp.pool_id, body["id_token"], audience=client_id)
    assert (id_claims["nonce"], id_claims["token_use"], id_claims["cognito:username"]) == ("n-1", "id", username)
    digest = hashlib.sha256(body["access_token"].encode()).digest()[:16]
    assert id_claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    access = verified(dp.server, dp.pool_id, body["access_token"])
    assert access["scope"] == "openid email profile"
    assert (access["client_id"], access["version"], access["token_use"]) == (client_id, 2, "access")
    assert access["origin_jti"] == id_claims["origin_jti"]


def test_a_code_used_twice_is_refused_and_the_tokens_it_gave_are_revoked(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    code = a_code(dp, client_id, dp.user())
    first = redeem(dp, client_id, code).json()
    assert error_of(redeem(dp, client_id, code)) == (400, "invalid_grant")
    userinfo = httpx.get(f"{dp.base}/oauth2/userInfo", headers={"Authorization": f"Bearer {first['access_token']}"})
    assert userinfo.status_code == 401
    refreshed = token_post(dp, {"grant_type": "refresh_token", "client_id": client_id,
                                "refresh_token": first["refresh_token"]})
    assert error_of(refreshed) == (400, "invalid_grant")


def test_a_wrong_or_missing_pkce_verifier_is_invalid_grant(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    username = dp.user()
    _verifier, challenge = pkce_pair()
    code = a_code(dp, client_id, username, code_challenge=challenge, code_challenge_method="S256")
    assert error_of(redeem(dp, client_id, code, verifier=pkce_pair()[0])) == (400, "invalid_grant")
    code = a_code(dp, client_id, username, code_challenge=challenge, code_challenge_method="S256")
    assert error_of(redeem(dp, client_id, code)) == (400, "invalid_grant")


def test_a_code_is_bound_to_its_client_and_redirect_uri(domain_pool: DomainPool) -> None:
    dp = domain_pool
    mine = dp.client(callbacks=(CALLBACK, CALLBACK + "/other"))["ClientId"]
    other = dp.client()["ClientId"]
    username = dp.user()
    code = a_code(dp, mine, username)
    assert error_of(redeem(dp, other, code)) == (400, "invalid_grant")
    assert error_of(redeem(dp, mine, code, redirect_uri=CALLBACK + "/other")) == (400, "unauthorized_client")
    assert redeem(dp, mine, code).status_code == 200  # the failed attempts did not use it up


def test_a_code_expires_after_five_minutes(domain_pool: DomainPool, frozen_clock: Any) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    code = a_code(dp, client_id, dp.user())
    frozen_clock(301)
    assert error_of(redeem(dp, client_id, code)) == (400, "invalid_grant")


def test_an_unknown_code_is_invalid_grant(domain_pool: DomainPool) -> None:
    client_id = domain_pool.client()["ClientId"]
    assert error_of(redeem(domain_pool, client_id, "0b00d136-776e-412a-8423-d6c4307b9d60")) == (400, "invalid_grant")


# --- request and client errors ------------------------------------------------------------------------


def test_request_errors_are_invalid_request_or_unsupported_grant_type(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    assert error_of(token_post(dp, {"client_id": client_id})) == (400, "invalid_request")
    assert error_of(token_post(dp, {"grant_type": "password", "client_id": client_id})) == (
        400, "unsupported_grant_type")
    assert error_of(token_post(dp, {"grant_type": "authorization_code", "client_id": client_id,
                                    "redirect_uri": CALLBACK})) == (400, "invalid_request")
    as_json = httpx.post(f"{dp.base}/oauth2/token", json={"grant_type": "authorization_code"})
    assert error_of(as_json) == (400, "invalid_request")
    twice = httpx.post(f"{dp.base}/oauth2/token", content="grant_type=a&grant_type=b",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert error_of(twice) == (400, "invalid_request")


def test_client_authentication_failures_are_invalid_client_with_401(domain_pool: DomainPool) -> None:
    dp = domain_pool
    confidential = dp.client(secret=True)
    client_id = confidential["ClientId"]
    data = {"grant_type": "authorization_code", "code": "x", "redirect_uri": CALLBACK}
    wrong = token_post(dp, data, auth=(client_id, "not-the-secret"))
    assert error_of(wrong) == (401, "invalid_client")
    assert wrong.headers["www-authenticate"].startswith("Basic")
    assert error_of(token_post(dp, data | {"client_id": client_id})) == (401, "invalid_client")  # no secret
    assert error_of(token_post(dp, data | {"client_id": "nosuchclient0000000000000"})) == (401, "invalid_client")
    assert error_of(token_post(dp, data)) == (401, "invalid_client")  # no client at all
    malformed = token_post(dp, data, headers={"Authorization": "Basic !!!"})
    assert error_of(malformed) == (401, "invalid_client")


def test_a_client_of_another_pool_is_unknown_at_this_domain(domain_pool: DomainPool, cognito: Any) -> None:
    other_pool = cognito.create_user_pool(PoolName="other")["UserPool"]["Id"]
    try:
        other = cognito.create_user_pool_client(UserPoolId=other_pool, ClientName="x")["UserPoolClient"]["ClientId"]
        response = token_post(domain_pool, {"grant_type": "authorization_code", "code": "x", "client_id": other,
                                            "redirect_uri": CALLBACK})
        assert error_of(response) == (401, "invalid_client")
    finally:
        cognito.delete_user_pool(UserPoolId=other_pool)


def test_secret_clients_authenticate_with_basic_or_post(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client = dp.client(secret=True)
    client_id, secret = client["ClientId"], client["ClientSecret"]
    username = dp.user()
    assert redeem(dp, client_id, a_code(dp, client_id, username), secret=secret).status_code == 200
    posted = token_post(dp, {"grant_type": "authorization_code", "code": a_code(dp, client_id, username),
                             "redirect_uri": CALLBACK, "client_id": client_id, "client_secret": secret})
    assert posted.status_code == 200, posted.text


def test_a_client_without_the_code_flow_is_unauthorized_client(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client(flows=("implicit",))["ClientId"]
    assert error_of(redeem(dp, client_id, "0b00d136-776e-412a-8423-d6c4307b9d60")) == (400, "unauthorized_client")


# --- refresh_token --------------------------------------------------------------------------------------


def test_a_refresh_keeps_the_grants_scopes_and_gives_no_new_refresh_token(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client(scopes=("openid", "phone"))["ClientId"]
    first = redeem(dp, client_id, a_code(dp, client_id, dp.user())).json()
    response = token_post(dp, {"grant_type": "refresh_token", "client_id": client_id,
                               "refresh_token": first["refresh_token"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"id_token", "access_token", "expires_in", "token_type"}
    assert verified(dp.server, dp.pool_id, body["access_token"])["scope"] == "openid phone"
    garbage = token_post(dp, {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": "x.y.z"})
    assert error_of(garbage) == (400, "invalid_grant")


# --- client_credentials -----------------------------------------------------------------------------------


@pytest.fixture
def api_server(domain_pool: DomainPool) -> str:
    identifier = "https://api.example.com"
    domain_pool.cognito.create_resource_server(
        UserPoolId=domain_pool.pool_id, Identifier=identifier, Name="api",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "read"},
                {"ScopeName": "write", "ScopeDescription": "write"}],
    )
    return identifier


def test_client_credentials_gives_an_m2m_access_token_with_custom_scopes(domain_pool: DomainPool,
                                                                        api_server: str) -> None:
    dp = domain_pool
    client = dp.client(secret=True, flows=("client_credentials",), scopes=(f"{api_server}/read", f"{api_server}/write"))
    client_id, secret = client["ClientId"], client["ClientSecret"]
    every = token_post(dp, {"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert every.status_code == 200, every.text
    assert set(every.json()) == {"access_token", "expires_in", "token_type"}
    claims = verified(dp.server, dp.pool_id, every.json()["access_token"])
    assert claims["scope"] == f"{api_server}/read {api_server}/write"
    assert (claims["sub"], claims["client_id"], claims["token_use"], claims["version"]) == (
        client_id, client_id, "access", 2)
    assert not {"username", "origin_jti", "event_id", "cognito:groups"} & set(claims)
    one = token_post(dp, {"grant_type": "client_credentials", "scope": f"{api_server}/read", "client_id": client_id,
                          "client_secret": secret})
    assert verified(dp.server, dp.pool_id, one.json()["access_token"])["scope"] == f"{api_server}/read"


def test_client_credentials_refuses_standard_or_unknown_scopes_and_other_clients(
    domain_pool: DomainPool, api_server: str
) -> None:
    dp = domain_pool
    client = dp.client(secret=True, flows=("client_credentials",), scopes=(f"{api_server}/read",))
    auth = (client["ClientId"], client["ClientSecret"])
    for scope in ("openid", f"{api_server}/write", "nonsense"):
        response = token_post(dp, {"grant_type": "client_credentials", "scope": scope}, auth=auth)
        assert error_of(response) == (400, "invalid_scope"), scope
    code_client = dp.client(secret=True)
    response = token_post(dp, {"grant_type": "client_credentials"},
                          auth=(code_client["ClientId"], code_client["ClientSecret"]))
    assert error_of(response) == (400, "unauthorized_client")


def test_either_secret_of_a_client_in_rotation_authenticates_it_at_the_token_endpoint(
    domain_pool: DomainPool, api_server: str
) -> None:
    dp = domain_pool
    client = dp.client(secret=True, flows=("client_credentials",), scopes=(f"{api_server}/read",))
    client_id, first = client["ClientId"], client["ClientSecret"]
    added = dp.cognito.add_user_pool_client_secret(UserPoolId=dp.pool_id, ClientId=client_id)
    second = added["ClientSecretDescriptor"]["ClientSecretValue"]
    assert second != first
    for secret in (first, second):
        by_basic = token_post(dp, {"grant_type": "client_credentials"}, auth=(client_id, secret))
        assert by_basic.status_code == 200, by_basic.text
        by_post = token_post(dp, {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
        assert by_post.status_code == 200, by_post.text
    assert error_of(token_post(dp, {"grant_type": "client_credentials"}, auth=(client_id, first + "x")))[1] == (
        "invalid_client")


def test_a_scope_deleted_from_its_resource_server_is_dropped_silently(domain_pool: DomainPool,
                                                                    api_server: str) -> None:
    dp = domain_pool
    client = dp.client(secret=True, flows=("client_credentials",), scopes=(f"{api_server}/read", f"{api_server}/write"))
    dp.cognito.update_resource_server(UserPoolId=dp.pool_id, Identifier=api_server, Name="api",
                                      Scopes=[{"ScopeName": "read", "ScopeDescription": "read"}])
    response = token_post(dp, {"grant_type": "client_credentials"}, auth=(client["ClientId"], client["ClientSecret"]))
    assert verified(dp.server, dp.pool_id, response.json()["access_token"])["scope"] == f"{api_server}/read"


def test_a_machines_repeated_request_gets_a_new_token_and_sees_every_configuration_change(
    domain_pool: DomainPool, api_server: str, frozen_clock: Any
) -> None:
    """The same client_credentials request again is answered from what the first one worked out, while the
    configuration lasts: a new token each time (its own jti, the clock's time), and any change to the pool,
    the client, its scopes or the domain is seen by the next request."""
    dp = domain_pool
    client = dp.client(secret=True, flows=("client_credentials",), scopes=(f"{api_server}/read", f"{api_server}/write"))
    client_id, secret = client["ClientId"], client["ClientSecret"]

    def claims() -> dict[str, Any]:
        response = token_post(dp, {"grant_type": "client_credentials"}, auth=(client_id, secret))
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store" and response.headers["pragma"] == "no-cache"
        assert response.headers["content-type"] == "application/json"
        assert set(response.json()) == {"access_token", "expires_in", "token_type"}
        # the server's clock runs ahead of this one's after the move below
        return verified(dp.server, dp.pool_id, response.json()["access_token"], options={"verify_iat": False})

    first, second = claims(), claims()
    assert first["jti"] != second["jti"] and first["iat"] == second["iat"]
    assert second["scope"] == f"{api_server}/read {api_server}/write" and second["exp"] - second["iat"] == 3600
    frozen_clock(100)
    assert claims()["iat"] == first["iat"] + 100
    dp.cognito.update_resource_server(UserPoolId=dp.pool_id, Identifier=api_server, Name="api",
                                      Scopes=[{"ScopeName": "read", "ScopeDescription": "read"}])
    assert claims()["scope"] == f"{api_server}/read"
    dp.cognito.update_user_pool_client(
        UserPoolId=dp.pool_id, ClientId=client_id, AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"], AllowedOAuthScopes=[f"{api_server}/read"],
        SupportedIdentityProviders=["COGNITO"], AccessTokenValidity=2, TokenValidityUnits={"AccessToken": "hours"})
    assert claims()["exp"] - claims()["iat"] == 7200
    dp.cognito.update_user_pool_client(
        UserPoolId=dp.pool_id, ClientId=client_id, AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"], CallbackURLs=[CALLBACK],
        SupportedIdentityProviders=["COGNITO"])
    refused = token_post(dp, {"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert error_of(refused) == (400, "unauthorized_client")
    dp.cognito.delete_user_pool_client(UserPoolId=dp.pool_id, ClientId=client_id)
    assert error_of(token_post(dp, {"grant_type": "client_credentials"}, auth=(client_id, secret))) == (
        401, "invalid_client")


def test_a_machines_remembered_request_ends_with_its_domain(domain_pool: DomainPool, api_server: str) -> None:
    dp = domain_pool
    client = dp.client(secret=True, flows=("client_credentials",), scopes=(f"{api_server}/read",))
    auth = (client["ClientId"], client["ClientSecret"])
    for _ in range(2):
        assert token_post(dp, {"grant_type": "client_credentials"}, auth=auth).status_code == 200
    wrong = token_post(dp, {"grant_type": "client_credentials"}, auth=(client["ClientId"], client["ClientSecret"] + "x"))
    assert error_of(wrong) == (401, "invalid_client")  # another request: nothing remembered answers it
    dp.cognito.delete_user_pool_domain(UserPoolId=dp.pool_id, Domain=dp.domain)
    assert token_post(dp, {"grant_type": "client_credentials"}, auth=auth).status_code == 404
    dp.cognito.create_user_pool_domain(UserPoolId=dp.pool_id, Domain=dp.domain)  # for the fixture to delete
    assert token_post(dp, {"grant_type": "client_credentials"}, auth=auth).status_code == 200


# --- userInfo -------------------------------------------------------------------------------------------


def userinfo(dp: DomainPool, token: str, method: str = "GET") -> httpx.Response:
    return httpx.request(method, f"{dp.base}/oauth2/userInfo", headers={"Authorization": f"Bearer {token}"})


def test_userinfo_answers_the_claims_of_the_tokens_scopes(domain_pool: DomainPool) -> None:
    dp = domain_pool
    attributes = {"email": "bo@example.com", "email_verified": "true", "phone_number": "+15555550100",
                  "phone_number_verified": "false", "name": "Bo"}
    username = dp.user(**attributes)
    phone_only = dp.client(scopes=("openid", "phone"))["ClientId"]
    token = redeem(dp, phone_only, a_code(dp, phone_only, username)).json()["access_token"]
    claims = userinfo(dp, token).json()
    assert set(claims) == {"sub", "phone_number", "phone_number_verified", "username"}
    assert claims["phone_number"] == "+15555550100"
    everything = dp.client(scopes=("openid", "email", "phone", "profile"))["ClientId"]
    token = redeem(dp, everything, a_code(dp, everything, username)).json()["access_token"]
    claims = userinfo(dp, token, "POST").json()
    assert {k: claims[k] for k in attributes} == attributes
    assert claims["username"] == username


def test_userinfo_refuses_bad_tokens_with_401_and_www_authenticate(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client(ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["ClientId"]
    username = dp.user()
    api_token = api_sign_in(dp.cognito, client_id, username)["AuthenticationResult"]["AccessToken"]
    no_openid = userinfo(dp, api_token)
    assert no_openid.status_code == 401
    assert no_openid.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert userinfo(dp, "not-a-token").status_code == 401
    missing = httpx.get(f"{dp.base}/oauth2/userInfo")
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


# --- revoke ---------------------------------------------------------------------------------------------


def test_revoking_a_refresh_token_revokes_its_family(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    tokens = redeem(dp, client_id, a_code(dp, client_id, dp.user())).json()
    revoked = httpx.post(f"{dp.base}/oauth2/revoke", data={"token": tokens["refresh_token"], "client_id": client_id})
    assert (revoked.status_code, revoked.content) == (200, b"")
    assert userinfo(dp, tokens["access_token"]).status_code == 401
    refreshed = token_post(dp, {"grant_type": "refresh_token", "client_id": client_id,
                                "refresh_token": tokens["refresh_token"]})
    assert error_of(refreshed) == (400, "invalid_grant")
    again = httpx.post(f"{dp.base}/oauth2/revoke", data={"token": tokens["refresh_token"], "client_id": client_id})
    assert again.status_code == 200  # already revoked: 200 all the same


def test_revoke_errors(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client = dp.client(secret=True)
    client_id, secret = client["ClientId"], client["ClientSecret"]
    tokens = redeem(dp, client_id, a_code(dp, client_id, dp.user()), secret=secret).json()
    revoke = f"{dp.base}/oauth2/revoke"
    assert httpx.post(revoke, data={"token": "unknown"}, auth=(client_id, secret)).status_code == 200
    access = httpx.post(revoke, data={"token": tokens["access_token"]}, auth=(client_id, secret))
    assert error_of(access) == (400, "unsupported_token_type")
    assert error_of(httpx.post(revoke, data={}, auth=(client_id, secret))) == (400, "invalid_request")
    no_secret = httpx.post(revoke, data={"token": tokens["refresh_token"], "client_id": client_id})
    assert error_of(no_secret) == (401, "invalid_client")
    assert userinfo(dp, tokens["access_token"]).status_code == 200  # nothing was revoked


# --- triggers -------------------------------------------------------------------------------------------


def test_hosted_tokens_run_pre_token_generation_with_the_hosted_auth_source(
    triggered: Any, calls: Any
) -> None:
    from test_triggers_signin import arn, received

    def v2(event: dict[str, Any]) -> dict[str, Any]:
        event["response"]["claimsAndScopeOverrideDetails"] = {
            "accessTokenGeneration": {"claimsToAddOrOverride": {"tenant": "acme"}, "scopesToAdd": ["extra/one"]}}
        return event

    calls.register("pre-token-hosted", v2)
    cognito = triggered.client()
    pool_id = cognito.create_user_pool(
        PoolName="hosted-triggers", LambdaConfig={"PreTokenGeneration": arn("pre-token-hosted"),
                                                  "PreTokenGenerationConfig": {"LambdaVersion": "V2_0",
                                                                               "LambdaArn": arn("pre-token-hosted")}},
    )["UserPool"]["Id"]
    dp = DomainPool(triggered, cognito, pool_id, f"hosted-{pool_id.split('_')[1].lower()}")
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=dp.domain)
    try:
        client_id = dp.client(scopes=("openid", "email"))["ClientId"]
        username = dp.user()
        tokens = redeem(dp, client_id, a_code(dp, client_id, username)).json()
        (event,) = received(calls, "pre-token-hosted")
        assert event["triggerSource"] == "TokenGeneration_HostedAuth" and event["userName"] == username
        assert event["request"]["scopes"] == ["openid", "email"]
        access = verified(triggered, pool_id, tokens["access_token"])
        assert access["tenant"] == "acme" and access["scope"] == "openid email extra/one"
    finally:
        cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain=dp.domain)
        cognito.delete_user_pool(UserPoolId=pool_id)

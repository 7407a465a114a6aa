"""Tokens for app clients: GetClientToken and GetDerivedToken through boto3, the token-exchange grant of
/oauth2/token over raw HTTP, and PreTokenGeneration V3_0 on machine-to-machine tokens; SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from accounts import ALL_FLOWS, make_client, sign_in
from botocore.exceptions import ClientError
from oauthkit import DomainPool, domain_pool, frozen_clock
from test_oauth_token import a_code, api_server, error_of, token_post, verified
from test_triggers_signin import triggered

__all__ = ["api_server", "domain_pool", "frozen_clock", "triggered"]  # the fixtures, used by name

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_URN = "urn:ietf:params:oauth:token-type:access_token"
ID_URN = "urn:ietf:params:oauth:token-type:id_token"
IMPERSONATION = "ALLOW_TOKEN_EXCHANGE_IMPERSONATION"
DELEGATION = "ALLOW_TOKEN_EXCHANGE_DELEGATION"


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def m2m_client(dp: DomainPool, scopes: list[str], **kwargs: Any) -> dict[str, Any]:
    return make_client(dp.cognito, dp.pool_id, GenerateSecret=True, ExplicitAuthFlows=["ALLOW_CLIENT_TOKEN_AUTH"],
                       AllowedOAuthScopes=scopes, **kwargs)


# --- GetClientToken -------------------------------------------------------------------------------------


def test_get_client_token_gives_an_m2m_access_token_without_a_domain_call(domain_pool: DomainPool,
                                                                         api_server: str) -> None:
    dp = domain_pool
    client = m2m_client(dp, [f"{api_server}/read", f"{api_server}/write"])
    assert client["ExplicitAuthFlows"] == ["ALLOW_CLIENT_TOKEN_AUTH"]
    result = dp.cognito.get_client_token(ClientId=client["ClientId"], Secret=client["ClientSecret"])
    out = result["ClientAuthenticationResult"]
    assert (out["TokenType"], out["ExpiresIn"]) == ("Bearer", 3600)
    assert set(out) == {"AccessToken", "ExpiresIn", "TokenType"}
    claims = verified(dp.server, dp.pool_id, out["AccessToken"])
    assert claims["scope"] == f"{api_server}/read {api_server}/write"
    assert (claims["sub"], claims["client_id"], claims["token_use"]) == (client["ClientId"],) * 2 + ("access",)
    assert not {"username", "origin_jti"} & set(claims)
    one = dp.cognito.get_client_token(ClientId=client["ClientId"], Secret=client["ClientSecret"],
                                      Scopes=[f"{api_server}/write"])["ClientAuthenticationResult"]
    assert verified(dp.server, dp.pool_id, one["AccessToken"])["scope"] == f"{api_server}/write"


def test_get_client_token_errors(domain_pool: DomainPool, api_server: str) -> None:
    dp, cognito = domain_pool, domain_pool.cognito
    client = m2m_client(dp, [f"{api_server}/read"])
    with pytest.raises(ClientError) as exc:
        cognito.get_client_token(ClientId=client["ClientId"], Secret="x" * 30)
    assert error(exc)[0] == "NotAuthorizedException"
    with pytest.raises(ClientError) as exc:
        cognito.get_client_token(ClientId=client["ClientId"], Secret=client["ClientSecret"],
                                 Scopes=[f"{api_server}/write"])
    assert error(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        cognito.get_client_token(ClientId="a" * 26, Secret=client["ClientSecret"])
    assert error(exc)[0] == "ResourceNotFoundException"
    user_client = make_client(cognito, dp.pool_id, GenerateSecret=True)
    with pytest.raises(ClientError) as exc:
        cognito.get_client_token(ClientId=user_client["ClientId"], Secret=user_client["ClientSecret"])
    assert error(exc) == ("InvalidParameterException", "ALLOW_CLIENT_TOKEN_AUTH flow not enabled for this client")
    for flows, secret in ((["ALLOW_CLIENT_TOKEN_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], True),
                          (["ALLOW_CLIENT_TOKEN_AUTH"], False)):
        with pytest.raises(ClientError) as exc:
            make_client(cognito, dp.pool_id, GenerateSecret=secret, ExplicitAuthFlows=flows)
        assert error(exc)[0] == "InvalidParameterException", flows


# --- GetDerivedToken and the token-exchange grant --------------------------------------------------------


def user_tokens(dp: DomainPool, api_server: str) -> tuple[str, dict[str, Any]]:
    """A user's tokens from the hosted sign-in (scopes openid, email and the API's read and write)."""
    web = dp.client(scopes=("openid", "email", f"{api_server}/read", f"{api_server}/write"))
    username = dp.user(email="dee@example.com")
    from oauthkit import redeem
    tokens = redeem(dp, web["ClientId"], a_code(dp, web["ClientId"], username)).json()
    return username, tokens


def test_get_derived_token_narrows_scopes_and_binds_the_audience(domain_pool: DomainPool, api_server: str) -> None:
    dp = domain_pool
    username, tokens = user_tokens(dp, api_server)
    subject = verified(dp.server, dp.pool_id, tokens["access_token"])
    exchanger = make_client(dp.cognito, dp.pool_id, GenerateSecret=True, ExplicitAuthFlows=[IMPERSONATION])
    out = dp.cognito.get_derived_token(
        ClientId=exchanger["ClientId"], ClientSecret=exchanger["ClientSecret"], SubjectToken=tokens["access_token"],
        SubjectTokenType="ACCESS_TOKEN", Scopes=[f"{api_server}/read", "phone"], Resources=[api_server],
    )
    assert (out["IssuedTokenType"], out["TokenType"], out["ExpiresIn"]) == ("ACCESS_TOKEN", "Bearer", 3600)
    assert out["Scopes"] == [f"{api_server}/read"]  # phone: not in the subject token
    claims = verified(dp.server, dp.pool_id, out["IssuedToken"], audience=api_server)
    assert (claims["sub"], claims["username"], claims["client_id"]) == (subject["sub"], username,
                                                                         exchanger["ClientId"])
    assert claims["origin_jti"] == subject["origin_jti"] and "act" not in claims
    same = dp.cognito.get_derived_token(ClientId=exchanger["ClientId"], ClientSecret=exchanger["ClientSecret"],
                                        SubjectToken=tokens["access_token"], SubjectTokenType="ACCESS_TOKEN")
    assert same["Scopes"] == subject["scope"].split()
    id_out = dp.cognito.get_derived_token(
        ClientId=exchanger["ClientId"], ClientSecret=exchanger["ClientSecret"], SubjectToken=tokens["id_token"],
        SubjectTokenType="ID_TOKEN", RequestedTokenType="ID_TOKEN", Audiences=["billing"],
    )
    assert (id_out["IssuedTokenType"], id_out["TokenType"]) == ("ID_TOKEN", "N_A")
    id_claims = verified(dp.server, dp.pool_id, id_out["IssuedToken"], audience="billing")
    assert (id_claims["token_use"], id_claims["cognito:username"], id_claims["email"]) == (
        "id", username, "dee@example.com")


def test_get_derived_token_with_an_actor_token_carries_act(domain_pool: DomainPool, api_server: str) -> None:
    dp = domain_pool
    _, tokens = user_tokens(dp, api_server)
    agent = m2m_client(dp, [f"{api_server}/read"])
    actor = dp.cognito.get_client_token(ClientId=agent["ClientId"], Secret=agent["ClientSecret"])
    actor_token = actor["ClientAuthenticationResult"]["AccessToken"]
    delegate = make_client(dp.cognito, dp.pool_id, ExplicitAuthFlows=[DELEGATION])
    out = dp.cognito.get_derived_token(ClientId=delegate["ClientId"], SubjectToken=tokens["access_token"],
                                       SubjectTokenType="ACCESS_TOKEN", ActorToken=actor_token,
                                       ActorTokenType="ACCESS_TOKEN")
    assert verified(dp.server, dp.pool_id, out["IssuedToken"])["act"] == {"sub": agent["ClientId"]}
    with pytest.raises(ClientError) as exc:  # impersonation needs the other flow
        dp.cognito.get_derived_token(ClientId=delegate["ClientId"], SubjectToken=tokens["access_token"],
                                     SubjectTokenType="ACCESS_TOKEN")
    assert error(exc)[0] == "NotAuthorizedException"


def test_get_derived_token_errors(domain_pool: DomainPool, api_server: str) -> None:
    dp, cognito = domain_pool, domain_pool.cognito
    _, tokens = user_tokens(dp, api_server)
    exchanger = make_client(cognito, dp.pool_id, GenerateSecret=True, ExplicitAuthFlows=[IMPERSONATION])
    base = {"ClientId": exchanger["ClientId"], "ClientSecret": exchanger["ClientSecret"],
            "SubjectToken": tokens["access_token"], "SubjectTokenType": "ACCESS_TOKEN"}
    cases = [
        ({"ClientSecret": "w" * 40}, "NotAuthorizedException"),
        ({"SubjectToken": tokens["id_token"]}, "NotAuthorizedException"),  # an ID token called an access token
        ({"SubjectToken": "abc.def.ghi"}, "NotAuthorizedException"),
        ({"Audiences": ["a"], "Resources": [api_server]}, "InvalidParameterException"),
        ({"Resources": ["https://unknown.example.com"]}, "InvalidParameterException"),
        ({"Scopes": ["nothing/here"]}, "InvalidParameterException"),
        ({"SubjectTokenType": "SAML2"}, "InvalidParameterException"),
        ({"ClientId": "b" * 26}, "ResourceNotFoundException"),
    ]
    for change, code in cases:
        with pytest.raises(ClientError) as exc:
            cognito.get_derived_token(**(base | change))
        assert error(exc)[0] == code, change
    user_client = make_client(cognito, dp.pool_id, ExplicitAuthFlows=ALL_FLOWS)
    with pytest.raises(ClientError) as exc:
        cognito.get_derived_token(ClientId=user_client["ClientId"], SubjectToken=tokens["access_token"],
                                  SubjectTokenType="ACCESS_TOKEN")
    assert error(exc)[0] == "NotAuthorizedException"
    # a revoked family's token is no subject any more
    api_client = make_client(cognito, dp.pool_id)
    username = dp.user()
    signed = sign_in(cognito, api_client["ClientId"], username)["AuthenticationResult"]
    ok = cognito.get_derived_token(**(base | {"SubjectToken": signed["AccessToken"]}))
    assert ok["Scopes"] == ["aws.cognito.signin.user.admin"]
    cognito.revoke_token(Token=signed["RefreshToken"], ClientId=api_client["ClientId"])
    with pytest.raises(ClientError) as exc:
        cognito.get_derived_token(**(base | {"SubjectToken": signed["AccessToken"]}))
    assert error(exc)[0] == "NotAuthorizedException"


def test_the_token_exchange_grant_of_the_token_endpoint(domain_pool: DomainPool, api_server: str) -> None:
    dp = domain_pool
    username, tokens = user_tokens(dp, api_server)
    exchanger = make_client(dp.cognito, dp.pool_id, GenerateSecret=True, ExplicitAuthFlows=[IMPERSONATION])
    auth = (exchanger["ClientId"], exchanger["ClientSecret"])
    form = {"grant_type": EXCHANGE, "subject_token": tokens["access_token"], "subject_token_type": ACCESS_URN,
            "scope": f"{api_server}/write", "audience": "orders"}
    response = token_post(dp, form, auth=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["issued_token_type"] == ACCESS_URN and body["token_type"] == "Bearer"
    assert body["scope"] == f"{api_server}/write" and "refresh_token" not in body
    claims = verified(dp.server, dp.pool_id, body["access_token"], audience="orders")
    assert (claims["username"], claims["client_id"]) == (username, exchanger["ClientId"])
    id_body = token_post(dp, {"grant_type": EXCHANGE, "subject_token": tokens["id_token"],
                              "subject_token_type": ID_URN, "requested_token_type": ID_URN}, auth=auth).json()
    assert (id_body["issued_token_type"], id_body["token_type"]) == (ID_URN, "N_A")
    assert verified(dp.server, dp.pool_id, id_body["access_token"], audience=exchanger["ClientId"])["token_use"] == "id"
    errors = [
        ({"subject_token_type": "urn:x"}, auth, (400, "invalid_request")),
        ({"subject_token": "a.b.c"}, auth, (400, "invalid_grant")),
        ({"scope": "unknown/scope"}, auth, (400, "invalid_scope")),
        ({"resource": "https://nowhere.example.com", "audience": ""}, auth, (400, "invalid_target")),
        ({}, (exchanger["ClientId"], "wrong-secret"), (401, "invalid_client")),
    ]
    for change, credentials, expected in errors:
        assert error_of(token_post(dp, form | change, auth=credentials)) == expected, change
    plain = dp.client(secret=True)
    assert error_of(token_post(dp, form, auth=(plain["ClientId"], plain["ClientSecret"]))) == (
        400, "unauthorized_client")


# --- PreTokenGeneration V3_0 on M2M tokens ----------------------------------------------------------------


def test_pre_token_generation_v3_customizes_m2m_tokens(triggered: Any, calls: Any) -> None:
    from test_triggers_signin import arn, received

    def v3(event: dict[str, Any]) -> dict[str, Any]:
        event["response"]["claimsAndScopeOverrideDetails"] = {"accessTokenGeneration": {
            "claimsToAddOrOverride": {"tenant": (event["request"].get("clientMetadata") or {}).get("tenant", "-"),
                                      "sub": "forged"},
            "scopesToSuppress": [f"{identifier}/write"]}}
        return event

    identifier = "https://m2m.example.com"
    calls.register("pre-token-m2m", v3)
    cognito = triggered.client()
    pool_id = cognito.create_user_pool(PoolName="m2m-triggers", LambdaConfig={
        "PreTokenGenerationConfig": {"LambdaVersion": "V3_0", "LambdaArn": arn("pre-token-m2m")}})["UserPool"]["Id"]
    v2_pool = cognito.create_user_pool(PoolName="m2m-v2", LambdaConfig={
        "PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": arn("pre-token-m2m")}})["UserPool"]["Id"]
    dp = DomainPool(triggered, cognito, pool_id, f"m2m-{pool_id.split('_')[1].lower()}")
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=dp.domain)
    try:
        scopes = [f"{identifier}/read", f"{identifier}/write"]
        for pid in (pool_id, v2_pool):
            cognito.create_resource_server(UserPoolId=pid, Identifier=identifier, Name="m2m", Scopes=[
                {"ScopeName": "read", "ScopeDescription": "r"}, {"ScopeName": "write", "ScopeDescription": "w"}])
        client = m2m_client(dp, scopes)
        out = cognito.get_client_token(ClientId=client["ClientId"], Secret=client["ClientSecret"],
                                       ClientMetadata={"tenant": "acme"})["ClientAuthenticationResult"]
        (event,) = received(calls, "pre-token-m2m")
        assert event["triggerSource"] == "TokenGeneration_ClientCredentials" and event["version"] == "3"
        assert "userName" not in event and event["callerContext"]["clientId"] == client["ClientId"]
        assert event["request"]["scopes"] == scopes and event["request"]["clientMetadata"] == {"tenant": "acme"}
        assert event["request"]["userAttributes"] == {}
        claims = verified(triggered, pool_id, out["AccessToken"])
        assert (claims["tenant"], claims["sub"], claims["scope"]) == ("acme", client["ClientId"], scopes[0])
        grant_client = dp.client(secret=True, flows=("client_credentials",), scopes=tuple(scopes))
        body = token_post(dp, {"grant_type": "client_credentials"},
                          auth=(grant_client["ClientId"], grant_client["ClientSecret"])).json()
        assert verified(triggered, pool_id, body["access_token"])["tenant"] == "-"
        assert "clientMetadata" not in received(calls, "pre-token-m2m")[-1]["request"]
        v2_client = make_client(cognito, v2_pool, GenerateSecret=True, ExplicitAuthFlows=["ALLOW_CLIENT_TOKEN_AUTH"],
                                AllowedOAuthScopes=scopes)
        v2_out = cognito.get_client_token(ClientId=v2_client["ClientId"], Secret=v2_client["ClientSecret"])
        assert "tenant" not in verified(triggered, v2_pool, v2_out["ClientAuthenticationResult"]["AccessToken"])
        assert len(received(calls, "pre-token-m2m")) == 2  # V2_0 functions hear nothing of M2M tokens
    finally:
        cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain=dp.domain)
        cognito.delete_user_pool(UserPoolId=pool_id)
        cognito.delete_user_pool(UserPoolId=v2_pool)

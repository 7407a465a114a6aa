"""Dynamic client registration (RFC 7591) at a pool domain's /oauth2/register over raw HTTP, the clients it
makes seen through boto3 and used at the domain's endpoints; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from accounts import unique
from oauthkit import CALLBACK, DomainPool, code_from, new_browser, pkce_pair, redeem, sign_in_through_form
from test_oauth_token import token_post, verified

API = "https://api.example.com"
DCR_SCOPE = "aws.cognito/dcr/register"


@pytest.fixture
def dcr_pool(server: Any, cognito: Any) -> Iterator[DomainPool]:
    pool_id = cognito.create_user_pool(PoolName=unique("dcr"), DcrConfiguration={
        "OpenDcrEnabled": True, "AllowedScopes": [f"{API}/read"]})["UserPool"]["Id"]
    dp = DomainPool(server, cognito, pool_id, unique("dcr"))
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=dp.domain)
    cognito.create_resource_server(UserPoolId=pool_id, Identifier=API, Name="api", Scopes=[
        {"ScopeName": "read", "ScopeDescription": "r"}, {"ScopeName": "write", "ScopeDescription": "w"}])
    yield dp
    cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain=dp.domain)
    cognito.delete_user_pool(UserPoolId=pool_id)


def register(dp: DomainPool, body: Any, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{dp.base}/oauth2/register", json=body, headers=headers)


def test_open_registration_makes_a_dcr_client_that_signs_users_in(dcr_pool: DomainPool) -> None:
    dp = dcr_pool
    discovery = httpx.get(f"{dp.base}/.well-known/openid-configuration").json()
    assert discovery["registration_endpoint"] == f"{dp.base}/oauth2/register"
    response = register(dp, {"redirect_uris": [CALLBACK], "client_name": "Agent <one>",
                             "token_endpoint_auth_method": "none",
                             "grant_types": ["authorization_code", "refresh_token"]})
    assert response.status_code == 201, response.text
    body = response.json()
    assert "client_secret" not in body
    assert (body["client_name"], body["redirect_uris"], body["token_endpoint_auth_method"]) == (
        "Agent one", [CALLBACK], "none")
    assert body["scope"] == f"openid email phone profile {API}/read"
    client_id = body["client_id"]
    described = dp.cognito.describe_user_pool_client(UserPoolId=dp.pool_id, ClientId=client_id)["UserPoolClient"]
    assert (described["ClientType"], described["CallbackURLs"], described["AllowedOAuthFlows"]) == (
        "DCR", [CALLBACK], ["code"])
    regular = dp.client()["ClientId"]
    dcr_listed = dp.cognito.list_user_pool_clients(UserPoolId=dp.pool_id, ClientType="DCR")["UserPoolClients"]
    regular_listed = dp.cognito.list_user_pool_clients(UserPoolId=dp.pool_id,
                                                       ClientType="REGULAR")["UserPoolClients"]
    assert [c["ClientId"] for c in dcr_listed] == [client_id]
    assert [c["ClientId"] for c in regular_listed] == [regular]
    verifier, challenge = pkce_pair()
    with new_browser() as browser:
        code = code_from(sign_in_through_form(browser, dp, client_id, dp.user(), code_challenge=challenge,
                                              code_challenge_method="S256", scope="openid"))
    tokens = redeem(dp, client_id, code, verifier=verifier)
    assert tokens.status_code == 200, tokens.text
    assert verified(dp.server, dp.pool_id, tokens.json()["id_token"], audience=client_id)["aud"] == client_id


def test_authenticated_registration_with_an_initial_access_token(dcr_pool: DomainPool) -> None:
    dp = dcr_pool
    registrar = dp.client(secret=True, flows=("client_credentials",), scopes=(DCR_SCOPE,))
    grant = token_post(dp, {"grant_type": "client_credentials"},
                       auth=(registrar["ClientId"], registrar["ClientSecret"]))
    assert grant.status_code == 200, grant.text
    initial = grant.json()["access_token"]
    assert verified(dp.server, dp.pool_id, initial)["scope"] == DCR_SCOPE
    response = register(dp, {"grant_types": ["client_credentials"], "scope": f"{API}/read",
                             "client_name": "machine"}, initial)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["token_endpoint_auth_method"] == "client_secret_basic" and len(body["client_secret"]) == 51
    m2m = token_post(dp, {"grant_type": "client_credentials"}, auth=(body["client_id"], body["client_secret"]))
    assert verified(dp.server, dp.pool_id, m2m.json()["access_token"])["scope"] == f"{API}/read"
    described = dp.cognito.describe_user_pool_client(UserPoolId=dp.pool_id, ClientId=body["client_id"])
    assert described["UserPoolClient"]["AllowedOAuthScopes"] == [f"{API}/read"]


def test_registration_errors(dcr_pool: DomainPool) -> None:
    dp = dcr_pool
    other = dp.client(secret=True, flows=("client_credentials",), scopes=(f"{API}/write",))
    no_scope_token = token_post(dp, {"grant_type": "client_credentials"},
                                auth=(other["ClientId"], other["ClientSecret"])).json()["access_token"]
    cases: list[tuple[Any, str | None, int, str]] = [
        ({"redirect_uris": [CALLBACK]}, "not.a.token", 401, "invalid_token"),
        ({"redirect_uris": [CALLBACK]}, no_scope_token, 401, "invalid_token"),
        ({"grant_types": ["client_credentials"]}, None, 400, "invalid_client_metadata"),  # open: code only
        ({"redirect_uris": [CALLBACK], "scope": f"{API}/write"}, None, 400, "invalid_client_metadata"),
        ({"redirect_uris": [CALLBACK], "scope": DCR_SCOPE}, None, 400, "invalid_client_metadata"),
        ({"token_endpoint_auth_method": "none"}, None, 400, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://app.example.com/cb"]}, None, 400, "invalid_redirect_uri"),
        ({"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "private_key_jwt"}, None, 400,
         "invalid_client_metadata"),
        (["not", "an", "object"], None, 400, "invalid_client_metadata"),
    ]
    for body, token, status, error in cases:
        response = register(dp, body, token)
        assert (response.status_code, response.json()["error"]) == (status, error), body
    assert dp.cognito.list_user_pool_clients(UserPoolId=dp.pool_id, ClientType="DCR")["UserPoolClients"] == []
    dp.cognito.update_user_pool(UserPoolId=dp.pool_id, DcrConfiguration={"EnableStatus": "Disabled"})
    assert register(dp, {"redirect_uris": [CALLBACK]}).status_code == 404
    assert "registration_endpoint" not in httpx.get(f"{dp.base}/.well-known/openid-configuration").json()
    dp.cognito.update_user_pool(UserPoolId=dp.pool_id, DcrConfiguration={"OpenDcrEnabled": False})
    closed = register(dp, {"redirect_uris": [CALLBACK]})
    assert (closed.status_code, closed.json()["error"]) == (401, "invalid_token")

"""An OIDC client library against the pool's domain, through discovery: Authlib's OAuth2Client (httpx) with
PKCE S256, the ID token validated against the JWKS (nonce, at_hash, issuer, audience), userInfo, refresh and
revocation; client_credentials. Every test on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
import warnings
from typing import Any

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from oauthkit import CALLBACK, DomainPool, csrf_of, domain_pool, new_browser

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # authlib.jose announces its move to joserfc
    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.oidc.core import CodeIDToken

__all__ = ["domain_pool"]  # the fixture, used by name


def discover(dp: DomainPool) -> dict[str, Any]:
    """As an OIDC library configured with the pool's issuer would: the pool's own discovery document."""
    response = httpx.get(f"{dp.server.url}/{dp.pool_id}/.well-known/openid-configuration")
    assert response.status_code == 200
    return dict(response.json())


def browser_sign_in(url: str, username: str, password: str) -> str:
    """What the user's browser does with the authorization URL: the sign-in form, then the callback URL."""
    with new_browser() as browser:
        login = browser.get(url)
        assert login.status_code == 302, login.text
        form = browser.get(login.headers["location"])
        done = browser.post(login.headers["location"],
                            data={"_csrf": csrf_of(form.text), "username": username, "password": password})
        assert done.status_code == 302, done.text
        return str(done.headers["location"])


def validated_id_token(discovery: dict[str, Any], token: dict[str, Any], *, client_id: str, nonce: str) -> Any:
    jwks = JsonWebKey.import_key_set(httpx.get(discovery["jwks_uri"]).json())
    claims = JsonWebToken(["RS256"]).decode(
        token["id_token"], jwks, claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": discovery["issuer"]}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
    )
    claims.validate()  # exp, iat, iss, aud, nonce, at_hash
    return claims


@pytest.mark.parametrize("confidential", [False, True], ids=["public", "confidential"])
def test_authlib_code_flow_with_pkce_then_userinfo_refresh_and_revoke(domain_pool: DomainPool,
                                                                     confidential: bool) -> None:
    dp = domain_pool
    made = dp.client(secret=confidential)
    client_id, secret = made["ClientId"], made.get("ClientSecret")
    username = dp.user(email="cy@example.com", email_verified="true", name="Cy")
    discovery = discover(dp)
    verifier, nonce = generate_token(48), secrets.token_urlsafe(16)
    with OAuth2Client(client_id, secret, scope="openid email profile", redirect_uri=CALLBACK,
                      code_challenge_method="S256",
                      token_endpoint_auth_method="client_secret_basic" if secret else "none") as client:
        url, state = client.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier,
                                                     nonce=nonce)
        callback = browser_sign_in(url, username, "Correct-Horse-7")
        token = client.fetch_token(discovery["token_endpoint"], authorization_response=callback, state=state,
                                   code_verifier=verifier)
        claims = validated_id_token(discovery, token, client_id=client_id, nonce=nonce)
        assert (claims["cognito:username"], claims["email"]) == (username, "cy@example.com")

        info = client.get(discovery["userinfo_endpoint"])
        assert info.status_code == 200
        assert info.json()["sub"] == claims["sub"] and info.json()["email"] == "cy@example.com"

        refreshed = client.refresh_token(discovery["token_endpoint"], refresh_token=token["refresh_token"])
        assert refreshed["access_token"] != token["access_token"]
        assert client.get(discovery["userinfo_endpoint"]).status_code == 200

        revoked = client.revoke_token(discovery["revocation_endpoint"], token=token["refresh_token"],
                                      token_type_hint="refresh_token")
        assert revoked.status_code == 200
        assert client.get(discovery["userinfo_endpoint"]).status_code == 401


def test_authlib_client_credentials_with_a_custom_scope(domain_pool: DomainPool) -> None:
    dp = domain_pool
    dp.cognito.create_resource_server(UserPoolId=dp.pool_id, Identifier="orders", Name="orders",
                                      Scopes=[{"ScopeName": "read", "ScopeDescription": "read orders"}])
    made = dp.client(secret=True, flows=("client_credentials",), scopes=("orders/read",))
    discovery = discover(dp)
    for method in ("client_secret_basic", "client_secret_post"):
        with OAuth2Client(made["ClientId"], made["ClientSecret"], scope="orders/read",
                          token_endpoint_auth_method=method) as client:
            token = client.fetch_token(discovery["token_endpoint"], grant_type="client_credentials")
        assert token["token_type"] == "Bearer" and "refresh_token" not in token and "id_token" not in token
        jwks = JsonWebKey.import_key_set(httpx.get(discovery["jwks_uri"]).json())
        claims = JsonWebToken(["RS256"]).decode(token["access_token"], jwks)
        claims.validate()
        assert (claims["scope"], claims["client_id"], claims["sub"]) == ("orders/read", made["ClientId"],
                                                                        made["ClientId"])

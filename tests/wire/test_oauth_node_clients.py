"""openid-client (Node, panva's certified OIDC relying party library) against a pool's domain, through
discovery from the pool's issuer, on plain http to loopback: authorization code with PKCE S256, state and
nonce; the ID token validated against the pool's JWKS; userinfo; refresh; revocation, after which a refresh
fails. A public and a confidential client (client_secret_basic), on SQLite and PostgreSQL.

The library runs in tests/node/openid-client.mjs. There is no browser, so the test plays the user's part
between the script's two steps: ``start`` prints the authorization URL (with the verifier, state and nonce
the library made), the test signs in on the hosted /login form (CSRF cookie and field, as a browser posts
it), and ``finish`` gets the callback URL with the code.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from clients import run_node
from oauthkit import DomainPool, csrf_of, domain_pool, new_browser

__all__ = ["domain_pool"]  # the fixture, used by name

CALLBACK = "http://localhost/cb"  # http is allowed for localhost callbacks only [C]
SCOPE = "openid email profile"
PASSWORD = "Correct-Horse-7"  # accounts.PASSWORD, what DomainPool.user gives its users


def hosted_sign_in(url: str, username: str, password: str) -> str:
    """What the user's browser does with the authorization URL: /oauth2/authorize → /login → the form
    posted with its CSRF field and cookie → the redirect to the callback, whose URL is returned."""
    with new_browser() as browser:
        started = browser.get(url)
        assert started.status_code == 302, started.text
        login = started.headers["location"]
        form = browser.get(login)
        assert form.status_code == 200, form.text
        done = browser.post(login, data={"_csrf": csrf_of(form.text), "username": username, "password": password})
        assert done.status_code == 302, done.text
        return str(done.headers["location"])


def start(dp: DomainPool, client: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    args = {"issuer": f"{dp.server.url}/{dp.pool_id}", "clientId": client["ClientId"],
            "clientSecret": client.get("ClientSecret"), "redirectUri": CALLBACK, "scope": SCOPE}
    started = run_node("openid-client.mjs", args | {"step": "start"})
    assert started.ok, started.output
    return args, started.output


@pytest.mark.parametrize("confidential", [False, True], ids=["public", "confidential"])
def test_openid_client_code_flow_with_pkce_then_userinfo_refresh_and_revoke(domain_pool: DomainPool,
                                                                           confidential: bool) -> None:
    dp = domain_pool
    made = dp.client(secret=confidential, callbacks=(CALLBACK,))
    username = dp.user(email="dee@example.com", email_verified="true", name="Dee")
    args, started = start(dp, made)

    metadata = started["metadata"]
    base = f"{dp.server.url}/domain/{dp.domain}"
    assert metadata == {
        "issuer": f"{dp.server.url}/{dp.pool_id}",
        "authorization_endpoint": f"{base}/oauth2/authorize",
        "token_endpoint": f"{base}/oauth2/token",
        "userinfo_endpoint": f"{base}/oauth2/userInfo",
        "revocation_endpoint": f"{base}/oauth2/revoke",
        "jwks_uri": f"{dp.server.url}/{dp.pool_id}/.well-known/jwks.json",
    }
    url = urlsplit(started["authorizationUrl"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == metadata["authorization_endpoint"]
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    assert (query["state"], query["nonce"]) == (started["state"], started["nonce"])
    assert (query["client_id"], query["redirect_uri"], query["scope"]) == (made["ClientId"], CALLBACK, SCOPE)

    callback = hosted_sign_in(started["authorizationUrl"], username, PASSWORD)
    assert callback.startswith(CALLBACK + "?")
    finished = run_node("openid-client.mjs", args | {
        "step": "finish", "callbackUrl": callback, "codeVerifier": started["codeVerifier"],
        "state": started["state"], "nonce": started["nonce"],
    })
    assert finished.ok, finished.output
    out = finished.output

    claims = out["idTokenClaims"]  # validated by the library: signature (JWKS), iss, aud, exp, nonce
    assert (claims["iss"], claims["aud"], claims["nonce"]) == (metadata["issuer"], made["ClientId"], started["nonce"])
    assert (claims["cognito:username"], claims["email"], claims["token_use"]) == (username, "dee@example.com", "id")
    assert out["token"]["token_type"].lower() == "bearer" and out["token"]["has_refresh_token"]
    assert set(out["token"]["access_token_claims"]["scope"].split()) == set(SCOPE.split())

    info = out["userinfo"]
    assert (info["sub"], info["email"], info["name"], info["username"]) == (claims["sub"], "dee@example.com", "Dee",
                                                                           username)

    assert out["refreshed"]["new_access_token"] and out["refreshed"]["id_token_sub"] == claims["sub"]
    assert out["revoked"] is True
    after = out["refreshAfterRevocation"]
    assert after["ok"] is False and (after["status"], after["error"]) == (400, "invalid_grant"), after

    # what went over the wire, in order: the JWKS was fetched to check the ID token's signature
    token_path = urlsplit(metadata["token_endpoint"]).path
    calls = [(r["method"], r["path"], r["status"]) for r in out["requests"]]
    assert calls == [
        ("GET", f"/{dp.pool_id}/.well-known/openid-configuration", 200),
        ("POST", token_path, 200),
        ("GET", f"/{dp.pool_id}/.well-known/jwks.json", 200),
        ("GET", urlsplit(metadata["userinfo_endpoint"]).path, 200),
        ("POST", token_path, 200),
        ("POST", urlsplit(metadata["revocation_endpoint"]).path, 200),
        ("POST", token_path, 400),
    ], calls


def test_openid_client_refuses_an_id_token_whose_signature_does_not_match(domain_pool: DomainPool) -> None:
    """The same flow with the ID token's payload changed on its way to the library (signature kept): the
    library checks the signature against the pool's JWKS and refuses it, so the checks above are real."""
    dp = domain_pool
    made = dp.client(callbacks=(CALLBACK,))
    username = dp.user(email="eve@example.com", email_verified="true")
    args, started = start(dp, made)
    callback = hosted_sign_in(started["authorizationUrl"], username, PASSWORD)
    finished = run_node("openid-client.mjs", args | {
        "step": "finish", "callbackUrl": callback, "codeVerifier": started["codeVerifier"],
        "state": started["state"], "nonce": started["nonce"], "tamperIdToken": True,
    })
    assert not finished.ok
    assert finished.error["step"] == "authorizationCodeGrant", finished.output
    cause = finished.output["cause"]  # openid-client's ClientError, around oauth4webapi's finding
    assert cause["cause"]["message"] == "JWT signature verification failed", finished.output
    assert finished.output["requests"][-1]["path"] == f"/{dp.pool_id}/.well-known/jwks.json"
    assert "idTokenClaims" not in finished.output

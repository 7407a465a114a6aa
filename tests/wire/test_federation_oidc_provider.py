"""A real third-party OpenID Provider upstream: oidc-provider (npm, panva's OpenID-certified reference
implementation, run by tests/node/oidc-provider-upstream.mjs on loopback with one client and one account) is
registered as the pool's OIDC identity provider from its issuer alone (discovery), and Debian's chromium
(Playwright) signs in on oidc-provider's own login and consent pages and lands in the app with Cognito's code;
the tokens are decoded with PyJWT against the pool's JWKS. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import secrets
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from browserkit import App, app, chromium, page, shoot
from clients import NODE_DIR, require_node
from oauthkit import DomainPool, domain_pool, query_of, redeem
from server import free_port

__all__ = ["app", "chromium", "domain_pool", "page"]  # the fixtures, used by name

PROVIDER = "Panva"
ACCOUNT = "alice-upstream"
CLAIMS = {"email": "alice@upstream.example", "email_verified": True, "name": "Alice Upstream",
          "given_name": "Alice", "family_name": "Upstream", "locale": "en-GB"}
MAPPING = {"email": "email", "email_verified": "email_verified", "name": "name", "given_name": "given_name",
           "family_name": "family_name", "locale": "locale"}
START_SECONDS = 30.0  # for node to load oidc-provider and listen


@dataclass
class Upstream:
    issuer: str
    client_id: str
    client_secret: str


def start_oidc_provider(redirect_uri: str) -> tuple[subprocess.Popen[str], Upstream]:
    node = require_node()
    if not (NODE_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        pytest.fail("oidc-provider is not installed: run `npm ci --prefix tests/node` (make test does)", pytrace=False)
    client = {"client_id": f"userpools-{secrets.token_hex(4)}", "client_secret": secrets.token_urlsafe(32),
              "redirect_uris": [redirect_uri]}
    config = {"port": free_port(), "client": client, "accounts": {ACCOUNT: CLAIMS}}
    proc = subprocess.Popen([node, str(NODE_DIR / "oidc-provider-upstream.mjs"), json.dumps(config)], cwd=NODE_DIR,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline() if proc.stdout else ""), daemon=True)
    reader.start()
    reader.join(START_SECONDS)  # start-up: the process prints its issuer once it listens
    if not line or not line[0].strip():
        proc.kill()
        proc.wait()
        pytest.fail("oidc-provider did not start", pytrace=False)
    return proc, Upstream(json.loads(line[0])["issuer"], client["client_id"], client["client_secret"])


@pytest.fixture
def oidc_provider(domain_pool: DomainPool) -> Iterator[Upstream]:
    proc, upstream = start_oidc_provider(f"{domain_pool.base}/oauth2/idpresponse")
    yield upstream
    proc.terminate()
    proc.wait(timeout=10)


def broker(dp: DomainPool, app: App, upstream: Upstream) -> str:
    dp.cognito.create_identity_provider(
        UserPoolId=dp.pool_id, ProviderName=PROVIDER, ProviderType="OIDC",
        ProviderDetails={"client_id": upstream.client_id, "client_secret": upstream.client_secret,
                         "authorize_scopes": "openid email profile", "attributes_request_method": "GET",
                         "oidc_issuer": upstream.issuer},
        AttributeMapping=MAPPING,
    )
    return app.client(dp, SupportedIdentityProviders=["COGNITO", PROVIDER])


def authorize_url(dp: DomainPool, app: App, client_id: str, **params: str) -> str:
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": app.callback,
             "scope": "openid email profile", "state": "app-st", "nonce": "app-nonce"} | params
    return f"{dp.base}/oauth2/authorize?{'&'.join(f'{k}={v}' for k, v in query.items())}"


def sign_in_upstream(tab: Any, upstream: Upstream, *, shots: str | None = None) -> None:
    """oidc-provider's own pages: its login form (any password for a known account), then its consent."""
    tab.wait_for_url(f"{upstream.issuer}/interaction/*")
    if shots:
        shoot(tab, f"{shots}-upstream-login")
    tab.fill("input[name=login]", ACCOUNT)
    tab.fill("input[name=password]", "whatever-the-upstream-takes")
    tab.click("button[type=submit]")
    tab.wait_for_selector("input[name=prompt][value=consent]", state="attached")
    if shots:
        shoot(tab, f"{shots}-upstream-consent")
    tab.click("button[type=submit]")


def tokens_at_the_app(tab: Any, dp: DomainPool, app: App, client_id: str) -> dict[str, Any]:
    tab.wait_for_url(f"{app.callback}?*")
    answer = query_of(tab.url)
    assert answer["state"] == "app-st", answer
    redeemed = redeem(dp, client_id, answer["code"], redirect_uri=app.callback)
    assert redeemed.status_code == 200, redeemed.text
    return dict(redeemed.json())


def verified(dp: DomainPool, client_id: str | None, token: str) -> dict[str, Any]:
    keys = jwt.PyJWKClient(f"{dp.server.url}/{dp.pool_id}/.well-known/jwks.json")
    options = {} if client_id else {"verify_aud": False}
    return dict(jwt.decode(token, keys.get_signing_key_from_jwt(token).key, algorithms=["RS256"],
                           audience=client_id, issuer=f"{dp.server.url}/{dp.pool_id}", options=options))


def test_chromium_signs_in_at_oidc_provider_and_lands_in_the_app(domain_pool: DomainPool, oidc_provider: Upstream,
                                                                 app: App, page: Any) -> None:
    dp = domain_pool
    client_id = broker(dp, app, oidc_provider)
    described = dp.cognito.describe_identity_provider(UserPoolId=dp.pool_id, ProviderName=PROVIDER)
    details = described["IdentityProvider"]["ProviderDetails"]
    assert details["authorize_url"] == f"{oidc_provider.issuer}/auth"  # discovered from the issuer
    assert details["jwks_uri"] == f"{oidc_provider.issuer}/jwks"
    page.goto(authorize_url(dp, app, client_id, identity_provider=PROVIDER))
    sign_in_upstream(page, oidc_provider, shots="federation-oidc-provider")
    tokens = tokens_at_the_app(page, dp, app, client_id)
    claims = verified(dp, client_id, tokens["id_token"])
    assert claims["cognito:username"] == f"{PROVIDER.lower()}_{ACCOUNT}"
    assert claims["nonce"] == "app-nonce"
    assert {k: claims[k] for k in MAPPING} == CLAIMS  # read from oidc-provider's userinfo, mapped
    assert claims["cognito:groups"] == [f"{dp.pool_id}_{PROVIDER}"]
    [identity] = claims["identities"]
    assert identity == identity | {"userId": ACCOUNT, "providerName": PROVIDER, "providerType": "OIDC",
                                   "issuer": oidc_provider.issuer, "primary": "true"}
    assert f"{dp.pool_id}_{PROVIDER}" in verified(dp, None, tokens["access_token"])["cognito:groups"]
    user = dp.cognito.admin_get_user(UserPoolId=dp.pool_id, Username=f"{PROVIDER.lower()}_{ACCOUNT}")
    assert user["UserStatus"] == "EXTERNAL_PROVIDER"


def test_the_sign_in_page_button_and_the_upstream_session(domain_pool: DomainPool, oidc_provider: Upstream,
                                                          app: App, page: Any) -> None:
    """The hosted sign-in page's button for the provider; a second sign-in rides oidc-provider's session
    (no login, consent already given) and is the same user."""
    dp = domain_pool
    client_id = broker(dp, app, oidc_provider)
    page.goto(authorize_url(dp, app, client_id))
    page.click(f"[data-provider={PROVIDER}]")
    sign_in_upstream(page, oidc_provider)
    first = verified(dp, client_id, tokens_at_the_app(page, dp, app, client_id)["id_token"])
    page.goto(authorize_url(dp, app, client_id, identity_provider=PROVIDER, nonce="second"))
    second = verified(dp, client_id, tokens_at_the_app(page, dp, app, client_id)["id_token"])
    assert second["sub"] == first["sub"] and second["nonce"] == "second"
    assert len(dp.cognito.list_users(UserPoolId=dp.pool_id)["Users"]) == 1


def test_cancelling_at_oidc_provider_comes_back_to_the_app_as_access_denied(
        domain_pool: DomainPool, oidc_provider: Upstream, app: App, page: Any) -> None:
    dp = domain_pool
    client_id = broker(dp, app, oidc_provider)
    page.goto(authorize_url(dp, app, client_id, identity_provider=PROVIDER))
    page.wait_for_url(f"{oidc_provider.issuer}/interaction/*")
    page.click("text=[ Cancel ]")
    page.wait_for_url(f"{app.callback}?*")
    answer = query_of(page.url)
    assert answer == {"error": "access_denied", "error_description": "End-User aborted interaction", "state": "app-st"}



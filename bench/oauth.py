"""The OAuth 2.0 scenarios: a pool's domain as an OAuth server, over plain HTTP as an app and a browser use it.

- ``client_credentials``: one POST to the token endpoint, the client authenticated with HTTP Basic, a custom
  scope of a resource server; an access token expected. The same request goes to userpools
  (``<server>/domain/<domain>/oauth2/token``) and to oidc-provider (``<server>/token``, the client and
  resource configured by ``bench/oidc_provider_server.mjs``).
- ``authorization_code``: the whole hosted sign-in of a random fixture user, as a browser and the app's
  back end make it: GET /oauth2/authorize (302 to /login), GET /login (the form, with its CSRF cookie and
  field), POST /login (302 to the callback with a code), POST /oauth2/token (the code redeemed, client
  authenticated with Basic); ID, access and refresh tokens expected. Each iteration is a new browser: no
  cookie is carried from one to the next, so every iteration signs in with the password.

Fixtures (userpools, through the API): a prefix domain, a resource server with one scope, a confidential
client allowed client_credentials on that scope, and a confidential client allowed the code flow with
openid/email/profile and one callback URL.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson

from bench.wire import CognitoWire

if TYPE_CHECKING:
    import random

    from bench.scenarios import Fixtures, Run

CALLBACK = "https://app.example.com/callback"
FORM = "application/x-www-form-urlencoded"
_CSRF_FIELD = re.compile(rb'name="_csrf" value="([^"]+)"')


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    secret: str

    @property
    def basic(self) -> str:
        return "Basic " + base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()


@dataclass(frozen=True)
class OAuthFixtures:
    """Where the token endpoint is, and the clients the scenarios use."""

    token_url: str
    machine: OAuthClient
    scope: str
    authorize_url: str | None = None
    web: OAuthClient | None = None


#: oidc-provider as bench/oidc_provider_server.mjs configures it
OIDC_PROVIDER_CLIENT = OAuthClient("bench-client", "bench-client-secret-0123456789abcdef")
OIDC_PROVIDER_SCOPE = "api:read"


def oidc_provider_fixtures(endpoint: str) -> OAuthFixtures:
    return OAuthFixtures(f"{endpoint.rstrip('/')}/token", OIDC_PROVIDER_CLIENT, OIDC_PROVIDER_SCOPE)


async def create_oauth_fixtures(wire: CognitoWire, endpoint: str, fixtures: Fixtures) -> OAuthFixtures:
    from bench.scenarios import _must

    domain = f"bench-{fixtures.run_id}-{secrets.token_hex(3)}"
    identifier = "https://api.bench.example"
    await _must(wire, "CreateUserPoolDomain", {"UserPoolId": fixtures.pool_id, "Domain": domain})
    await _must(
        wire,
        "CreateResourceServer",
        {
            "UserPoolId": fixtures.pool_id,
            "Identifier": identifier,
            "Name": "bench api",
            "Scopes": [{"ScopeName": "read", "ScopeDescription": "read"}],
        },
    )

    async def client(name: str, **settings: Any) -> OAuthClient:
        made = await _must(
            wire,
            "CreateUserPoolClient",
            {
                "UserPoolId": fixtures.pool_id,
                "ClientName": name,
                "GenerateSecret": True,
                "AllowedOAuthFlowsUserPoolClient": True,
                "SupportedIdentityProviders": ["COGNITO"],
                **settings,
            },
        )
        return OAuthClient(made["UserPoolClient"]["ClientId"], made["UserPoolClient"]["ClientSecret"])

    machine = await client(
        "machine", AllowedOAuthFlows=["client_credentials"], AllowedOAuthScopes=[f"{identifier}/read"]
    )
    web = await client(
        "web",
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", "profile"],
        CallbackURLs=[CALLBACK],
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )
    base = f"{endpoint.rstrip('/')}/domain/{domain}"
    return OAuthFixtures(f"{base}/oauth2/token", machine, f"{identifier}/read", f"{base}/oauth2/authorize", web)


# --- scenarios -------------------------------------------------------------------------------------------


def _oauth_error(status: int, body: bytes) -> str:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get("error"):
        return f"oauth:{parsed['error']}"
    return f"http_{status}"


async def _exchange(run: Run, label: str, method: str, url: str, body: bytes | None = None,
                    headers: dict[str, str] | None = None) -> tuple[Any, str | None]:
    exchange, error, latency = await run.wire.send(method, url, body, headers)
    if exchange is not None and exchange.status >= 400:
        error = _oauth_error(exchange.status, exchange.body)
    run.recorder.operation(label, latency, error)
    return exchange, error


async def client_credentials(run: Run, rng: random.Random) -> str | None:
    oauth = run.oauth
    assert oauth is not None
    exchange, error = await _exchange(
        run,
        "token (client_credentials)",
        "POST",
        oauth.token_url,
        urlencode({"grant_type": "client_credentials", "scope": oauth.scope}).encode(),
        {"Authorization": oauth.machine.basic, "Content-Type": FORM},
    )
    if error:
        return error
    if exchange.status != 200 or b'"access_token"' not in exchange.body:
        return f"unexpected:HTTP {exchange.status} without access_token"
    return None


def _cookie(set_cookies: list[str], name: str) -> str | None:
    for header in set_cookies:
        first = header.split(";", 1)[0]
        key, _, value = first.partition("=")
        if key.strip() == name:
            return value.strip()
    return None


async def authorization_code(run: Run, rng: random.Random) -> str | None:
    oauth = run.oauth
    assert oauth is not None and oauth.web is not None and oauth.authorize_url is not None
    state = secrets.token_urlsafe(8)
    query = urlencode(
        {
            "client_id": oauth.web.client_id,
            "response_type": "code",
            "redirect_uri": CALLBACK,
            "scope": "openid email profile",
            "state": state,
        }
    )
    exchange, error = await _exchange(run, "GET /oauth2/authorize", "GET", f"{oauth.authorize_url}?{query}")
    if error:
        return error
    if exchange.status != 302 or "/login?" not in exchange.location:
        return f"unexpected:authorize answered {exchange.status} to {exchange.location[:40]}"
    login_url = exchange.location
    exchange, error = await _exchange(run, "GET /login", "GET", login_url)
    if error:
        return error
    match = _CSRF_FIELD.search(exchange.body)
    cookie = _cookie(exchange.set_cookies, "XSRF-TOKEN")
    if exchange.status != 200 or match is None or cookie is None:
        return "unexpected:login form without its CSRF field and cookie"
    form = urlencode(
        {"_csrf": match.group(1).decode(), "username": run.user(rng), "password": run.fixtures.password}
    ).encode()
    exchange, error = await _exchange(
        run, "POST /login", "POST", login_url, form, {"Content-Type": FORM, "Cookie": f"XSRF-TOKEN={cookie}"}
    )
    if error:
        return error
    if exchange.status != 302 or not exchange.location.startswith(CALLBACK):
        return f"unexpected:sign-in answered {exchange.status}"
    answer = dict(parse_qsl(urlsplit(exchange.location).query))
    if answer.get("state") != state or not answer.get("code"):
        return "unexpected:callback without the code or the state"
    exchange, error = await _exchange(
        run,
        "token (authorization_code)",
        "POST",
        oauth.token_url,
        urlencode({"grant_type": "authorization_code", "code": answer["code"], "redirect_uri": CALLBACK}).encode(),
        {"Authorization": oauth.web.basic, "Content-Type": FORM},
    )
    if error:
        return error
    tokens = orjson.loads(exchange.body)
    if not all(name in tokens for name in ("id_token", "access_token", "refresh_token")):
        return "unexpected:tokens missing"
    return None

"""The hosted sign-in's database work, counted: the second-factor and passkey pages add no statement to the plain
password sign-in (GET /login, POST /login), and the offer of a passkey after a sign-in costs one, only where a
managed login page may make it (the pool allows WEB_AUTHN, the client USER_AUTH); a machine's client_credentials
request seen before opens no transaction. Counted on SQLite's direct path (every statement a request runs),
with a server in this process."""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from userpools.hosted_ui import views
from userpools.oauth import endpoints
from userpools.operations import import_runner, oauth, oauth_tokens
from userpools.pytest_plugin import UserPoolsServer
from userpools.storage import sqlite_direct

CALLBACK = "https://app.example.com/cb"
PASSWORD = "Correct-Horse-9"


@pytest.fixture(scope="module")
def local() -> Iterator[UserPoolsServer]:
    server = UserPoolsServer().start()
    yield server
    server.stop()


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch, local: UserPoolsServer) -> list[int]:
    count = [0]
    execute = sqlite_direct.DirectConnection.execute
    serving = local._thread  # the statements of this server only: others of the session may run in this process

    async def counted(self: Any, statement: Any, parameters: Any = None) -> Any:
        # the import runner's sweep (every 15 s, on the server's loop) is the server's own work, not a request's
        task = asyncio.current_task()
        if threading.current_thread() is serving and (task is None or task.get_name() != import_runner.SWEEPER_NAME):
            count[0] += 1
        return await execute(self, statement, parameters)

    monkeypatch.setattr(sqlite_direct.DirectConnection, "execute", counted)
    # one code issue in 64 also purges expired grants (one statement more, at random): not counted here
    monkeypatch.setattr(oauth, "PURGE_ONE_IN", 1 << 62)
    return count


def statements(local: UserPoolsServer, count: list[int], *, version: int, passkeys: bool = False,
               mfa: bool = False, branding: dict[str, Any] | None = None) -> tuple[int, int]:
    """(GET /login, POST /login) statements of a password sign-in that ends at the client."""
    cognito = local.client()
    policies = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}} if passkeys else {}
    pool = cognito.create_user_pool(PoolName=f"count-{uuid.uuid4().hex[:6]}", Policies=policies)["UserPool"]["Id"]
    if passkeys or mfa:
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool, MfaConfiguration="OPTIONAL" if mfa else "OFF",
            SoftwareTokenMfaConfiguration={"Enabled": mfa},
            **({"WebAuthnConfiguration": {"RelyingPartyId": "localhost"}} if passkeys else {}))
    domain = f"auth-{uuid.uuid4().hex[:10]}"
    cognito.create_user_pool_domain(UserPoolId=pool, Domain=domain, ManagedLoginVersion=version)
    flows = ["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"] if passkeys else ["ALLOW_REFRESH_TOKEN_AUTH"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="web", AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid"], CallbackURLs=[CALLBACK], SupportedIdentityProviders=["COGNITO"],
        ExplicitAuthFlows=flows)["UserPoolClient"]["ClientId"]
    if branding is not None:
        cognito.create_managed_login_branding(UserPoolId=pool, ClientId=client, **branding)
    cognito.admin_create_user(UserPoolId=pool, Username="ada", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool, Username="ada", Password=PASSWORD, Permanent=True)
    url = f"{local.endpoint}/domain/{domain}/login"
    with httpx.Client() as browser:
        form = browser.get(url, params={"client_id": client, "response_type": "code", "redirect_uri": CALLBACK})
        match = re.search(r'name="_csrf" value="([^"]+)"', form.text)
        assert match, form.text
        count[0] = 0
        browser.get(str(form.url))
        shown = count[0]
        count[0] = 0
        done = browser.post(str(form.url), data={"_csrf": match.group(1), "username": "ada", "password": PASSWORD})
        posted = count[0]
    if passkeys and version == 2:
        assert done.status_code == 200 and "Sign in faster with a passkey" in done.text  # the offer
    else:
        assert done.status_code == 302 and done.headers["location"].startswith(CALLBACK + "?code=")
    return shown, posted


def test_second_factors_and_passkeys_add_no_statement_to_the_plain_hosted_sign_in(
        local: UserPoolsServer, counter: list[int]) -> None:
    classic = statements(local, counter, version=1)
    managed = statements(local, counter, version=2)
    assert classic[1] <= 6 and managed[1] <= 5, (classic, managed)  # measured before the MFA pages: 6 and 5
    assert statements(local, counter, version=1, passkeys=True) == classic  # no passkey button on classic pages
    assert statements(local, counter, version=1, mfa=True) == classic  # MFA optional, not set up by the user
    offered = statements(local, counter, version=2, passkeys=True)
    assert offered == (managed[0], managed[1] + 1)  # whether the user has a passkey, to offer one


PNG = b"\x89PNG\r\n\x1a\n" + bytes(16_000)  # larger than pages inline: served by the domain


def test_a_branding_style_costs_the_same_statements_whatever_it_draws(
        local: UserPoolsServer, counter: list[int]) -> None:
    """The style is read in the page's one branding read: header, footer, favicons and images add no statement."""
    colours = statements(local, counter, version=2, branding={"Settings": {"components": {
        "pageBackground": {"lightMode": {"color": "264653ff"}}}}})
    everything = statements(local, counter, version=2, branding={
        "Settings": {"categories": {"global": {"pageHeader": {"enabled": True}, "pageFooter": {"enabled": True}}},
                     "components": {"pageBackground": {"image": {"enabled": True}},
                                    "pageHeader": {"logo": {"enabled": True}, "backgroundImage": {"enabled": True}},
                                    "pageFooter": {"logo": {"enabled": True}}}},
        "Assets": [{"Category": category, "ColorMode": mode, "Extension": "PNG", "Bytes": PNG}
                   for category in ("PAGE_BACKGROUND", "PAGE_HEADER_LOGO", "PAGE_HEADER_BACKGROUND",
                                    "PAGE_FOOTER_LOGO", "FORM_LOGO", "PASSWORD_GRAPHIC")
                   for mode in ("LIGHT", "DARK")]})
    assert everything == colours


def test_a_machines_request_seen_before_opens_no_transaction(local: UserPoolsServer,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The token endpoint remembers a client_credentials grant under its request while the configuration lasts
    (``oauth_tokens.remembered_machine_token``): the same request again is answered without the token's
    transaction and checks (``oauth_tokens.token``, counted here: the server's periodic work may open
    transactions of its own meanwhile); another request (another body) goes through them."""
    opened = [0]
    token = oauth_tokens.token

    async def counted(*args: Any, **kwargs: Any) -> Any:
        opened[0] += 1
        return await token(*args, **kwargs)

    monkeypatch.setattr(oauth_tokens, "token", counted)
    cognito = local.client()
    pool = cognito.create_user_pool(PoolName=f"m2m-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
    domain = f"m2m-{uuid.uuid4().hex[:10]}"
    cognito.create_user_pool_domain(UserPoolId=pool, Domain=domain)
    cognito.create_resource_server(UserPoolId=pool, Identifier="https://api", Name="api",
                                   Scopes=[{"ScopeName": "read", "ScopeDescription": "read"}])
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="machine", GenerateSecret=True, AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"], AllowedOAuthScopes=["https://api/read"],
        SupportedIdentityProviders=["COGNITO"])["UserPoolClient"]
    auth = (client["ClientId"], client["ClientSecret"])
    url = f"{local.endpoint}/domain/{domain}/oauth2/token"
    counts = []
    for data in ({"grant_type": "client_credentials"}, {"grant_type": "client_credentials"},
                 {"grant_type": "client_credentials", "scope": "https://api/read"},
                 {"grant_type": "client_credentials", "scope": "https://api/read"}):
        opened[0] = 0
        response = httpx.post(url, data=data, auth=auth)
        assert response.status_code == 200, response.text
        counts.append(opened[0])
    assert counts == [1, 0, 1, 0]


def test_a_sign_in_page_seen_before_opens_no_transaction(local: UserPoolsServer,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """GET /oauth2/authorize and GET /login of a request like one seen before (the same client, redirect_uri,
    scopes: ``oauth.decisive``), but with its own state, neither look the domain up nor check the request in a
    transaction (``site_of``, ``oauth.authorize``, ``oauth.check_login_request``, counted here: the server's
    periodic work may open transactions of its own meanwhile): their checks and the page are kept in the
    configuration's memo (views.HostedPages._prepared, endpoints.Endpoints.authorize)."""
    opened = [0]

    def counting(module: Any, name: str) -> None:
        original = getattr(module, name)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            opened[0] += 1
            return await original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)

    counting(oauth, "authorize")
    counting(oauth, "check_login_request")
    counting(endpoints, "site_of")
    counting(views, "site_of")
    cognito = local.client()
    pool = cognito.create_user_pool(PoolName=f"pages-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
    domain = f"pages-{uuid.uuid4().hex[:10]}"
    cognito.create_user_pool_domain(UserPoolId=pool, Domain=domain)
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="web", AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid"], CallbackURLs=[CALLBACK], SupportedIdentityProviders=["COGNITO"],
    )["UserPoolClient"]["ClientId"]
    counts = []
    for state in ("first", "second"):
        with httpx.Client() as browser:
            opened[0] = 0
            started = browser.get(f"{local.endpoint}/domain/{domain}/oauth2/authorize",
                                  params={"client_id": client, "response_type": "code", "redirect_uri": CALLBACK,
                                          "scope": "openid", "state": state})
            assert started.status_code == 302, started.text
            page = browser.get(started.headers["location"])
            assert page.status_code == 200 and f"state={state}" in page.text
            counts.append(opened[0])
    assert counts[0] > 0 and counts[1] == 0, counts

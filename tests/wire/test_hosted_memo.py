"""The authorization request's checks and the sign-in page, kept per configuration (``Store.config_memo``): each
page still carries its own request (state, user name, CSRF token, escaped), a change of the client or of the
pages' look shows at the next request, and a request's own code_challenge is checked each time. Over raw HTTP
(httpx as a browser); every test on SQLite and PostgreSQL."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

import httpx
from accounts import PASSWORD
from markupsafe import escape
from oauthkit import CALLBACK, DomainPool, csrf_of, domain_pool, new_browser, query_of

__all__ = ["domain_pool"]  # the fixture, used by name

#: characters the page must escape, and the text that stands for a request's own values in a kept page
AWKWARD = 'a"b<c>&d\'upMark7qCsrf upMark7qAction'


def login_page(browser: httpx.Client, dp: DomainPool, client_id: str, **params: str) -> httpx.Response:
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": CALLBACK} | params
    started = browser.get(f"{dp.base}/oauth2/authorize", params=query)
    assert started.status_code == 302, started.text
    assert started.headers["location"].startswith(f"{dp.base}/login?"), started.headers["location"]
    return browser.get(started.headers["location"])


def test_each_sign_in_page_carries_its_own_request_escaped(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    pages = []
    for state, username in (("first-state", None), ("second&state", AWKWARD), ("third", AWKWARD)):
        with new_browser() as browser:
            params = {"state": state} | ({"username": username} if username else {})
            page = login_page(browser, dp, client_id, **params)
            assert page.status_code == 200, page.text
            token = csrf_of(page.text)
            assert browser.cookies["XSRF-TOKEN"] == token
            pages.append((page.text, token, state, username))
    for text, token, state, username in pages:
        if not username:
            assert "upMark7q" not in text  # every mark was replaced
        for attribute in ("value", "href", "action"):  # and none stands in for a value (the name's text may)
            assert f'{attribute}="upMark7q' not in text
        assert f'state={urlencode({"s": state})[2:]}' in html.unescape(text)  # action and links: this state
        if username:
            assert f'value="{escape(username)}"' in text  # the literal text, escaped as the templates escape
            assert token not in text.replace(f'name="_csrf" value="{token}"', "")  # the token in its field only
        else:
            assert 'name="username"' in text and 'value="a' not in text
    _first, second, third = pages
    # the same request line but for state and the CSRF token: the same page
    assert third[0].replace(third[1], "T").replace("third", "S") == second[0].replace(second[1], "T").replace(
        "second%26state", "S")


def test_a_change_of_the_client_or_of_the_look_shows_at_the_next_request(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    with new_browser() as browser:
        assert ".submitButton-customizable:hover" not in login_page(browser, dp, client_id, state="1").text
    dp.cognito.set_ui_customization(UserPoolId=dp.pool_id, ClientId="ALL",
                                    CSS=".submitButton-customizable:hover { color: #fff; }")
    with new_browser() as browser:
        assert ".submitButton-customizable:hover" in login_page(browser, dp, client_id, state="2").text
    dp.cognito.update_user_pool_client(
        UserPoolId=dp.pool_id, ClientId=client_id, AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid"], CallbackURLs=["https://other.example.com/cb"],
        SupportedIdentityProviders=["COGNITO"])
    with new_browser() as browser:
        query = {"client_id": client_id, "response_type": "code", "redirect_uri": CALLBACK, "state": "3"}
        refused = browser.get(f"{dp.base}/oauth2/authorize", params=query)
        assert refused.status_code == 302 and "/error?" in refused.headers["location"]  # never to the callback
        page = browser.get(f"{dp.base}/login", params=query)
        assert page.status_code == 302 and "/error?" in page.headers["location"]


def test_each_requests_code_challenge_is_checked(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    good = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    with new_browser() as browser:
        assert login_page(browser, dp, client_id, state="1", code_challenge=good,
                          code_challenge_method="S256").status_code == 200
    for page in ("/oauth2/authorize", "/login"):
        with new_browser() as browser:
            query = {"client_id": client_id, "response_type": "code", "redirect_uri": CALLBACK, "state": "2",
                     "code_challenge": "too-short", "code_challenge_method": "S256"}
            refused = browser.get(f"{dp.base}{page}", params=query)
            assert refused.status_code == 302, refused.text
            answer = query_of(refused.headers["location"])
            assert refused.headers["location"].startswith(CALLBACK)
            assert answer["error"] == "invalid_request" and answer["state"] == "2", answer


def test_a_sign_in_through_kept_pages_ends_with_the_requests_own_state(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    username = dp.user()
    for state in ("one", "two"):
        with new_browser() as browser:
            page = login_page(browser, dp, client_id, state=state)
            done: Any = browser.post(str(page.url), data={"_csrf": csrf_of(page.text), "username": username,
                                                          "password": PASSWORD})
            assert done.status_code == 302 and done.headers["location"].startswith(CALLBACK), done.text
            assert query_of(done.headers["location"])["state"] == state


def test_a_form_shown_before_a_change_of_the_client_is_refused_when_posted(domain_pool: DomainPool) -> None:
    """The POST of /login is checked under the configuration of its own request: a form shown before the client
    lost its callback URL does not sign in to it."""
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    username = dp.user()
    with new_browser() as browser:
        page = login_page(browser, dp, client_id, state="s")
        dp.cognito.update_user_pool_client(
            UserPoolId=dp.pool_id, ClientId=client_id, AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"], CallbackURLs=["https://other.example.com/cb"],
            SupportedIdentityProviders=["COGNITO"])
        done = browser.post(str(page.url), data={"_csrf": csrf_of(page.text), "username": username,
                                                 "password": PASSWORD})
        assert done.status_code == 302 and "/error?" in done.headers["location"], done.headers.get("location")

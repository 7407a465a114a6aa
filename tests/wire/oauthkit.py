"""Helpers for the OAuth wire tests: a pool with a domain and OAuth clients made through boto3, the hosted
sign-in form posted by httpx as a browser would (following the CSRF token), PKCE pairs."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from accounts import PASSWORD, make_client, make_user, unique

CALLBACK = "https://app.example.com/callback"
LOGOUT = "https://app.example.com/signed-out"


@dataclass
class DomainPool:
    """A pool with a prefix domain; ``base`` is the domain's URL on the server's own address."""

    server: Any
    cognito: Any
    pool_id: str
    domain: str
    clients: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"{self.server.url}/domain/{self.domain}"

    def client(self, *, flows: tuple[str, ...] = ("code",), scopes: tuple[str, ...] = ("openid", "email", "profile"),
               secret: bool = False, callbacks: tuple[str, ...] = (CALLBACK,), **extra: Any) -> dict[str, Any]:
        made = make_client(
            self.cognito, self.pool_id, GenerateSecret=secret, AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=list(flows), AllowedOAuthScopes=list(scopes), CallbackURLs=list(callbacks),
            LogoutURLs=[LOGOUT], SupportedIdentityProviders=["COGNITO"], **extra,
        )
        self.clients.append(made["ClientId"])
        return made

    def user(self, **attributes: str) -> str:
        return make_user(self.cognito, self.pool_id, attributes=attributes or None)


@pytest.fixture
def domain_pool(server: Any, cognito: Any) -> Iterator[DomainPool]:
    pool_id = cognito.create_user_pool(PoolName=unique("oauth"))["UserPool"]["Id"]
    domain = f"auth-{uuid.uuid4().hex[:12]}"
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    yield DomainPool(server, cognito, pool_id, domain)
    cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    cognito.delete_user_pool(UserPoolId=pool_id)


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


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def fragment_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def authorize(browser: httpx.Client, dp: DomainPool, client_id: str, **params: str) -> httpx.Response:
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": CALLBACK} | params
    return browser.get(f"{dp.base}/oauth2/authorize", params=query)


def sign_in_through_form(browser: httpx.Client, dp: DomainPool, client_id: str, username: str,
                         password: str = PASSWORD, **params: str) -> httpx.Response:
    """authorize → 302 /login → the form (CSRF cookie and field) → POST; the final response (not followed)."""
    started = authorize(browser, dp, client_id, **params)
    assert started.status_code == 302, started.text
    login_url = started.headers["location"]
    assert login_url.startswith(f"{dp.base}/login?"), login_url
    form = browser.get(login_url)
    assert form.status_code == 200, form.text
    return browser.post(login_url, data={"_csrf": csrf_of(form.text), "username": username, "password": password})


def code_from(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(CALLBACK), location
    return query_of(location)["code"]


def redeem(dp: DomainPool, client_id: str, code: str, *, verifier: str | None = None,
           secret: str | None = None, redirect_uri: str = CALLBACK) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "client_id": client_id}
    if verifier is not None:
        data["code_verifier"] = verifier
    auth = (client_id, secret) if secret else None
    return httpx.post(f"{dp.base}/oauth2/token", data=data, auth=auth)


def new_browser() -> httpx.Client:
    return httpx.Client(follow_redirects=False)

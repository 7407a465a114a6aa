"""The hosted account pages over raw HTTP (httpx as a browser): CSRF on every form, the authorization request
carried from page to page, the pool's username kind and required attributes, the sign-up link's absence where
only administrators create users, Accept-Language. Every test on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from accounts import latest_code, outbox, unique
from oauthkit import (
    CALLBACK,
    DomainPool,
    code_from,
    csrf_of,
    domain_pool,
    new_browser,
    query_of,
    redeem,
    sign_in_through_form,
)

__all__ = ["domain_pool"]  # the fixture, used by name

PASSWORD = "Fresh-Horse-9x"


def page_url(dp: DomainPool, path: str, client_id: str, **params: str) -> str:
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": CALLBACK} | params
    return f"{dp.base}{path}?{urlencode(query)}"


@pytest.fixture
def email_pool(server: Any, cognito: Any) -> Iterator[DomainPool]:
    """Email as the username, email verified automatically, a domain."""
    pool_id = cognito.create_user_pool(PoolName=unique("email"), UsernameAttributes=["email"],
                                       AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
    domain = f"auth-{uuid.uuid4().hex[:12]}"
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    yield DomainPool(server, cognito, pool_id, domain)
    cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    cognito.delete_user_pool(UserPoolId=pool_id)


@pytest.mark.parametrize("path", ["/signup", "/confirm", "/forgotPassword", "/confirmForgotPassword",
                                  "/resendcode"])
def test_every_account_form_refuses_a_post_without_the_csrf_token(domain_pool: DomainPool, path: str) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    username = dp.user(email="u@example.com", email_verified="true")
    with new_browser() as browser:
        url = page_url(dp, path, client_id, username=username)
        response = browser.post(url, data={"username": username, "password": PASSWORD, "code": "123456",
                                           "confirmPassword": PASSWORD, "confirmation_code": "123456"})
    if path == "/resendcode":
        assert response.status_code == 302 and "/confirm?" in response.headers["location"]
    else:
        assert response.status_code == 403
        assert "expired" in response.text
    sent = httpx.get(f"{dp.server.url}/_userpools/outbox", params={"userPoolId": dp.pool_id, "username": username})
    assert sent.json()["messages"] == []  # the form did nothing


def test_email_username_sign_up_carries_the_request_to_confirm_and_ends_with_a_code(email_pool: DomainPool) -> None:
    dp = email_pool
    client_id = dp.client()["ClientId"]
    email = f"{unique('new')}@example.com"
    with new_browser() as browser:
        url = page_url(dp, "/signup", client_id, state="keep-me", scope="openid email")
        form = browser.get(url)
        assert form.status_code == 200
        assert re.search(r'<input[^>]*id="username"[^>]*type="email"', form.text)  # the pool's username kind
        assert re.search(r'<label [^>]*for="username">Email<', form.text)
        answer = browser.post(url, data={"_csrf": csrf_of(form.text), "username": email, "password": PASSWORD})
        assert answer.status_code == 302, answer.text
        confirm = answer.headers["location"]
        assert confirm.startswith(f"{dp.base}/confirm?")
        carried = query_of(confirm)
        assert carried["state"] == "keep-me" and carried["scope"] == "openid email" and carried["username"] == email
        assert carried["deliveryMedium"] == "EMAIL"
        page = browser.get(confirm)
        code = next(m["code"] for m in outbox(dp.server, dp.pool_id) if m["destination"] == email)
        confirmed = browser.post(confirm, data={"_csrf": csrf_of(page.text), "confirmation_code": code})
        assert confirmed.status_code == 302
        login = confirmed.headers["location"]
        assert login.startswith(f"{dp.base}/login?") and query_of(login)["state"] == "keep-me"
        login_page = browser.get(login)
        assert "Your account is confirmed" in login_page.text
        signed_in = browser.post(login, data={"_csrf": csrf_of(login_page.text), "username": email,
                                              "password": PASSWORD})
    assert query_of(signed_in.headers["location"])["state"] == "keep-me"
    assert redeem(dp, client_id, code_from(signed_in)).status_code == 200


def test_sign_up_errors_are_next_to_their_fields(email_pool: DomainPool) -> None:
    dp = email_pool
    client_id = dp.client()["ClientId"]
    taken = f"{unique('taken')}@example.com"
    dp.cognito.admin_create_user(UserPoolId=dp.pool_id, Username=taken, MessageAction="SUPPRESS")
    with new_browser() as browser:
        url = page_url(dp, "/signup", client_id)
        form = browser.get(url)
        empty = browser.post(url, data={"_csrf": csrf_of(form.text), "username": "", "password": ""})
        exists = browser.post(url, data={"_csrf": csrf_of(form.text), "username": taken, "password": PASSWORD})
    assert empty.status_code == 400
    assert 'id="username-error"' in empty.text and 'id="password-error"' in empty.text
    assert exists.status_code == 400
    assert re.search(r'id="username-error"[^>]*>An account with the given email already exists\.<', exists.text)


def test_no_sign_up_link_where_only_administrators_create_users(server: Any, cognito: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName=unique("admin-only"),
                                       AdminCreateUserConfig={"AllowAdminCreateUserOnly": True})["UserPool"]["Id"]
    domain = f"auth-{uuid.uuid4().hex[:12]}"
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    dp = DomainPool(server, cognito, pool_id, domain)
    try:
        client_id = dp.client()["ClientId"]
        with new_browser() as browser:
            login = browser.get(page_url(dp, "/login", client_id))
            url = page_url(dp, "/signup", client_id)
            form = browser.get(url)
            refused = browser.post(url, data={"_csrf": csrf_of(form.text), "username": unique(),
                                              "password": PASSWORD})
        assert "/signup?" not in login.text and "/forgotPassword?" in login.text
        assert refused.status_code == 400 and "SignUp is not permitted for this user pool" in refused.text
    finally:
        cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain=domain)
        cognito.delete_user_pool(UserPoolId=pool_id)


def test_an_account_page_with_an_unknown_client_goes_to_the_error_page(domain_pool: DomainPool) -> None:
    with new_browser() as browser:
        response = browser.get(page_url(domain_pool, "/signup", "nosuchclient0000000000000a"))
    assert response.status_code == 302
    assert response.headers["location"].startswith(f"{domain_pool.base}/error?")


def test_accept_language_chooses_the_language_without_lang(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    with new_browser() as browser:
        french = browser.get(page_url(dp, "/forgotPassword", client_id),
                             headers={"Accept-Language": "de;q=0.9, fr-CA;q=0.8, en;q=0.5"})
        english = browser.get(page_url(dp, "/forgotPassword", client_id, lang="en"),
                              headers={"Accept-Language": "fr"})
    assert '<html lang="fr">' in french.text and "Mot de passe oublié" in french.text
    assert '<html lang="en">' in english.text


def test_a_user_whose_password_an_administrator_reset_enters_the_code_and_is_signed_in(
        domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    username = dp.user(email="reset-by-admin@example.com", email_verified="true")
    dp.cognito.admin_reset_user_password(UserPoolId=dp.pool_id, Username=username)
    with new_browser() as browser:
        told = sign_in_through_form(browser, dp, client_id, username, state="s-reset")
        assert told.status_code == 302
        step = told.headers["location"]
        assert step.startswith(f"{dp.base}/confirmForgotPassword?")
        assert query_of(step)["username"] == username and query_of(step)["state"] == "s-reset"
        form = browser.get(step)
        code = latest_code(dp.server, dp.pool_id, username)
        done = browser.post(step, data={"_csrf": csrf_of(form.text), "code": code, "password": PASSWORD,
                                        "confirmPassword": PASSWORD})
    assert query_of(done.headers["location"])["state"] == "s-reset"
    assert redeem(dp, client_id, code_from(done)).status_code == 200


def test_an_unconfirmed_user_is_shown_the_way_to_the_confirmation_page(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    username = unique()
    dp.cognito.sign_up(ClientId=client_id, Username=username, Password=PASSWORD,
                       UserAttributes=[{"Name": "email", "Value": "later@example.com"}])
    with new_browser() as browser:
        told = sign_in_through_form(browser, dp, client_id, username)
    assert told.status_code == 400
    link = re.search(r'href="([^"]*/confirm\?[^"]*)"', told.text)
    assert link and f"username={username}" in link.group(1).replace("&amp;", "&")


def test_the_account_pages_answer_at_the_root_under_cognitos_host_name(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    username = dp.user(email="host@example.com", email_verified="true")
    host = f"{dp.domain}.auth.us-east-1.amazoncognito.com"
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": CALLBACK}
    with httpx.Client(base_url=dp.server.url, headers={"Host": host}, follow_redirects=False) as browser:
        for path in ("/signup", "/forgotPassword", "/confirmForgotPassword", "/confirm"):
            page = browser.get(path, params=query)
            assert page.status_code == 200, (path, page.text)
            assert f'action="http://{host}{path}?' in page.text
        form = browser.get("/forgotPassword", params=query)
        sent = browser.post("/forgotPassword", params=query, data={"_csrf": csrf_of(form.text),
                                                                    "username": username})
    assert sent.headers["location"].startswith(f"http://{host}/confirmForgotPassword?")

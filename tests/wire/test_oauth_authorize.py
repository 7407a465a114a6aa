"""The pool domain's /oauth2/authorize, hosted /login and /logout, driven by httpx as a browser (cookies kept,
redirects looked at one by one); every test on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jwt
from accounts import PASSWORD, unique
from oauthkit import (
    CALLBACK,
    LOGOUT,
    DomainPool,
    authorize,
    code_from,
    csrf_of,
    domain_pool,
    fragment_of,
    frozen_clock,
    new_browser,
    query_of,
    redeem,
    sign_in_through_form,
)

__all__ = ["domain_pool", "frozen_clock"]  # the fixtures, used by name


def goes_to_error_page(dp: DomainPool, response: httpx.Response, error: str) -> None:
    """Never a redirect to the client: the domain's own error page, which answers 400."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(f"{dp.base}/error?"), location
    assert query_of(location)["error"] == error
    page = httpx.get(location)
    assert page.status_code == 400 and error in page.text


def redirected_error(response: httpx.Response, error: str, state: str | None = "s1") -> None:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(CALLBACK), location
    query = query_of(location)
    assert query["error"] == error
    assert query.get("state") == state


# --- errors -----------------------------------------------------------------------------------------------


def test_an_unusable_client_or_redirect_uri_shows_the_error_page(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    with new_browser() as browser:
        goes_to_error_page(dp, authorize(browser, dp, "nosuchclient0000000000000"), "invalid_request")
        goes_to_error_page(dp, browser.get(f"{dp.base}/oauth2/authorize", params={"response_type": "code"}),
                           "invalid_request")
        goes_to_error_page(dp, authorize(browser, dp, client_id, redirect_uri="https://evil.example.com/"),
                           "redirect_mismatch")
        goes_to_error_page(dp, authorize(browser, dp, client_id, redirect_uri=CALLBACK + "/"), "redirect_mismatch")


def test_a_client_without_oauth_cannot_use_its_callback(domain_pool: DomainPool) -> None:
    dp = domain_pool
    plain = dp.cognito.create_user_pool_client(UserPoolId=dp.pool_id, ClientName="plain", CallbackURLs=[CALLBACK],
                                               AllowedOAuthFlowsUserPoolClient=False)["UserPoolClient"]
    with new_browser() as browser:
        goes_to_error_page(dp, authorize(browser, dp, plain["ClientId"]), "redirect_mismatch")


def test_other_request_errors_redirect_to_the_client_with_its_state(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client(scopes=("openid", "email"))["ClientId"]
    with new_browser() as browser:
        redirected_error(authorize(browser, dp, client_id, response_type="", state="s1"), "invalid_request")
        redirected_error(authorize(browser, dp, client_id, response_type="id_token", state="s1"),
                         "unsupported_response_type")
        redirected_error(authorize(browser, dp, client_id, scope="openid profile", state="s1"), "invalid_scope")
        redirected_error(authorize(browser, dp, client_id, scope="email", state="s1"), "invalid_scope")
        redirected_error(authorize(browser, dp, client_id, code_challenge="a" * 43, code_challenge_method="plain",
                                   state="s1"), "invalid_request")
        redirected_error(authorize(browser, dp, client_id, identity_provider="Google", state="s1"),
                         "invalid_request")
        implicit = authorize(browser, dp, client_id, response_type="token", state="s1")
        assert implicit.status_code == 302
        assert fragment_of(implicit.headers["location"]) == {"error": "unauthorized_client", "state": "s1"}


# --- the hosted sign-in -------------------------------------------------------------------------------------


def test_the_login_page_is_a_safe_accessible_form(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    with new_browser() as browser:
        login_url = authorize(browser, dp, client_id, state="s1").headers["location"]
        page = browser.get(login_url)
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert re.search(r'<label [^>]*for="username">', page.text) and re.search(r'<label [^>]*for="password">', page.text)
    assert 'name="username"' in page.text and 'name="password"' in page.text and 'name="_csrf"' in page.text
    cookie = page.headers["set-cookie"]
    assert "XSRF-TOKEN=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_a_post_without_the_csrf_token_is_refused(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    username = dp.user()
    with new_browser() as browser:
        login_url = authorize(browser, dp, client_id).headers["location"]
        browser.get(login_url)
        forged = browser.post(login_url, data={"username": username, "password": PASSWORD, "_csrf": "x" * 43})
    assert forged.status_code == 403
    assert "location" not in forged.headers


def test_sign_in_sets_the_session_cookie_and_redirects_with_code_and_state(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    with new_browser() as browser:
        response = sign_in_through_form(browser, dp, client_id, dp.user(), state="s1")
    assert query_of(response.headers["location"])["state"] == "s1"
    code_from(response)
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("cognito="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=3600" in cookie
    assert f"Path=/domain/{dp.domain}/" in cookie


def test_a_wrong_password_is_shown_next_to_the_field_in_the_requested_language(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    username = dp.user()
    with new_browser() as browser:
        english = sign_in_through_form(browser, dp, client_id, username, password="Wrong-Password-1")
        french = sign_in_through_form(browser, dp, client_id, username, password="Wrong-Password-1", lang="fr")
    assert english.status_code == 400
    assert re.search(r'id="password-error"[^>]*>Incorrect username or password\.<', english.text)
    assert re.search(r'<input[^>]*id="password"[^>]* autofocus aria-invalid="true" aria-describedby="password-error">',
                     english.text)
    assert '<html lang="fr">' in french.text
    assert "Nom d&#39;utilisateur ou mot de passe incorrect." in french.text


def test_unknown_users_are_hidden_when_the_client_prevents_user_existence_errors(domain_pool: DomainPool) -> None:
    dp = domain_pool
    hiding = dp.client(PreventUserExistenceErrors="ENABLED")["ClientId"]
    telling = dp.client(PreventUserExistenceErrors="LEGACY")["ClientId"]
    with new_browser() as browser:
        hidden = sign_in_through_form(browser, dp, hiding, unique("nobody"))
        told = sign_in_through_form(browser, dp, telling, unique("nobody"))
    assert "Incorrect username or password." in hidden.text and "User does not exist." not in hidden.text
    assert re.search(r'id="username-error"[^>]*>User does not exist\.<', told.text)


def test_an_unconfirmed_user_is_told_and_gets_no_code(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    username = unique()
    dp.cognito.sign_up(ClientId=client_id, Username=username, Password=PASSWORD)
    with new_browser() as browser:
        response = sign_in_through_form(browser, dp, client_id, username)
    assert response.status_code == 400 and "User is not confirmed." in response.text


def test_repeated_wrong_passwords_lock_the_user_out_of_the_form_too(domain_pool: DomainPool,
                                                                   frozen_clock: Any) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    username = dp.user()
    with new_browser() as browser:
        for _ in range(5):
            wrong = sign_in_through_form(browser, dp, client_id, username, password="Wrong-Password-1")
            assert "Incorrect username or password." in wrong.text
        locked = sign_in_through_form(browser, dp, client_id, username)
        assert locked.status_code == 400 and "Password attempts exceeded" in locked.text
        frozen_clock(2)  # the fifth failure locks for 2^0 seconds
        code_from(sign_in_through_form(browser, dp, client_id, username))


def test_a_session_of_a_disabled_user_signs_in_nobody(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    username = dp.user()
    with new_browser() as browser:
        code_from(sign_in_through_form(browser, dp, client_id, username))
        dp.cognito.admin_disable_user(UserPoolId=dp.pool_id, Username=username)
        assert authorize(browser, dp, client_id).headers["location"].startswith(f"{dp.base}/login?")


def test_a_temporary_password_leads_to_the_new_password_form_then_a_code(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    username = unique()
    dp.cognito.admin_create_user(UserPoolId=dp.pool_id, Username=username, TemporaryPassword="Temporary-Pass-1",
                                 MessageAction="SUPPRESS")
    with new_browser() as browser:
        form = sign_in_through_form(browser, dp, client_id, username, password="Temporary-Pass-1", state="s9")
        assert form.status_code == 200 and 'name="new_password"' in form.text
        action = re.search(r'<form method="post" action="([^"]+)"', form.text)
        session = re.search(r'name="challenge_session" value="([^"]+)"', form.text)
        assert action and session
        url = action.group(1).replace("&amp;", "&")
        fields = {"_csrf": csrf_of(form.text), "challenge_session": session.group(1), "username": username}
        differ = browser.post(url, data=fields | {"new_password": "New-Password-9", "confirm_new_password": "x"})
        assert differ.status_code == 400 and "Passwords do not match." in differ.text
        done = browser.post(url, data=fields | {"new_password": "New-Password-9",
                                                "confirm_new_password": "New-Password-9"})
    assert query_of(done.headers["location"])["state"] == "s9"
    assert redeem(dp, client_id, code_from(done)).status_code == 200
    status = dp.cognito.admin_get_user(UserPoolId=dp.pool_id, Username=username)["UserStatus"]
    assert status == "CONFIRMED"


def test_the_implicit_grant_puts_the_tokens_in_the_fragment(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client(flows=("code", "implicit"))["ClientId"]
    with new_browser() as browser:
        response = sign_in_through_form(browser, dp, client_id, dp.user(), response_type="token", state="s1",
                                        nonce="n-9")
    assert response.status_code == 302
    fragment = fragment_of(response.headers["location"])
    assert set(fragment) == {"access_token", "id_token", "token_type", "expires_in", "state"}
    assert (fragment["token_type"], fragment["expires_in"], fragment["state"]) == ("Bearer", "3600", "s1")
    assert jwt.decode(fragment["id_token"], options={"verify_signature": False})["nonce"] == "n-9"


# --- single sign-on, prompt, logout --------------------------------------------------------------------------


def test_a_session_signs_in_a_second_client_without_the_form(domain_pool: DomainPool) -> None:
    dp = domain_pool
    first, second = dp.client()["ClientId"], dp.client()["ClientId"]
    username = dp.user()
    with new_browser() as browser:
        code_from(sign_in_through_form(browser, dp, first, username))
        again = authorize(browser, dp, second, state="s2")
        assert query_of(again.headers["location"])["state"] == "s2"
        tokens = redeem(dp, second, code_from(again)).json()
        forced = authorize(browser, dp, second, prompt="login")
        assert forced.headers["location"].startswith(f"{dp.base}/login?")
        silent = authorize(browser, dp, second, prompt="none")
        code_from(silent)
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert (claims["cognito:username"], claims["aud"]) == (username, second)


def test_prompt_none_without_a_session_is_login_required(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    with new_browser() as browser:
        redirected_error(authorize(browser, dp, client_id, prompt="none", state="s1"), "login_required")


def test_logout_ends_the_session_and_goes_to_a_registered_logout_uri(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    with new_browser() as browser:
        code_from(sign_in_through_form(browser, dp, client_id, dp.user()))
        goes_to_error_page(dp, browser.get(f"{dp.base}/logout", params={"client_id": client_id,
                                                                       "logout_uri": "https://evil.example.com/"}),
                           "redirect_mismatch")
        goes_to_error_page(dp, browser.get(f"{dp.base}/logout", params={"logout_uri": LOGOUT}), "invalid_request")
        assert authorize(browser, dp, client_id).headers["location"].startswith(CALLBACK)  # still signed in
        out = browser.get(f"{dp.base}/logout", params={"client_id": client_id, "logout_uri": LOGOUT})
        assert (out.status_code, out.headers["location"]) == (302, LOGOUT)
        assert authorize(browser, dp, client_id).headers["location"].startswith(f"{dp.base}/login?")


def test_logout_with_redirect_uri_goes_back_to_the_sign_in_page(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    with new_browser() as browser:
        code_from(sign_in_through_form(browser, dp, client_id, dp.user()))
        out = browser.get(f"{dp.base}/logout", params={"client_id": client_id, "redirect_uri": CALLBACK,
                                                       "response_type": "code", "state": "s3"})
        location = out.headers["location"]
        assert location.startswith(f"{dp.base}/login?") and query_of(location)["state"] == "s3"
        assert browser.get(location).status_code == 200
        assert authorize(browser, dp, client_id, prompt="none").headers["location"].startswith(CALLBACK + "?error=")


# --- the domain's own names ---------------------------------------------------------------------------------


def test_the_domain_answers_at_the_root_under_cognitos_host_name(domain_pool: DomainPool) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    host = f"{dp.domain}.auth.us-east-1.amazoncognito.com"
    with httpx.Client(base_url=dp.server.url, headers={"Host": host}, follow_redirects=False) as browser:
        started = browser.get("/oauth2/authorize", params={"client_id": client_id, "response_type": "code",
                                                           "redirect_uri": CALLBACK})
        assert started.headers["location"].startswith(f"http://{host}/login?")
        discovery = browser.get("/.well-known/openid-configuration").json()
        assert discovery["token_endpoint"] == f"http://{host}/oauth2/token"
        assert browser.get("/oauth2/authorize", headers={"Host": "nosuch.auth.us-east-1.amazoncognito.com"},
                           params={"client_id": client_id}).status_code == 404


def test_the_pools_discovery_document_lists_the_domains_endpoints(domain_pool: DomainPool, server: Any) -> None:
    dp = domain_pool
    document = httpx.get(f"{server.url}/{dp.pool_id}/.well-known/openid-configuration").json()
    assert document["authorization_endpoint"] == f"{dp.base}/oauth2/authorize"
    assert document["token_endpoint"] == f"{dp.base}/oauth2/token"
    assert document["userinfo_endpoint"] == f"{dp.base}/oauth2/userInfo"
    assert document["end_session_endpoint"] == f"{dp.base}/logout"
    assert document["revocation_endpoint"] == f"{dp.base}/oauth2/revoke"
    assert document["issuer"] == f"{server.url}/{dp.pool_id}"
    assert httpx.get(f"{dp.base}/.well-known/openid-configuration").json() == document

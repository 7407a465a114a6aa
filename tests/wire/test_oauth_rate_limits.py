"""The domain's rate limits (operations.oauth_limits), on SQLite and PostgreSQL, with the server's clock frozen
and moved (no sleeps): failed /oauth2/token requests and failed /login sign-ins per pool and client address
per minute (the server's defaults: 30 and 20). The test client's address is 127.0.0.1 throughout."""

from __future__ import annotations

from typing import Any

import httpx
from accounts import PASSWORD
from oauthkit import CALLBACK, DomainPool, authorize, csrf_of, domain_pool, frozen_clock, new_browser

__all__ = ["domain_pool", "frozen_clock"]  # the fixtures, used by name

TOKEN_FAILURES = 30  # --token-failures-per-minute's default
LOGIN_FAILURES = 20  # --login-failures-per-minute's default


def token_request(dp: DomainPool, client_id: str, secret: str, **form: str) -> httpx.Response:
    return httpx.post(f"{dp.base}/oauth2/token", auth=(client_id, secret),
                      data={"grant_type": "client_credentials", "scope": "orders/read"} | form)


def machine_client(dp: DomainPool) -> dict[str, Any]:
    dp.cognito.create_resource_server(UserPoolId=dp.pool_id, Identifier="orders", Name="orders",
                                      Scopes=[{"ScopeName": "read", "ScopeDescription": "read orders"}])
    return dp.client(secret=True, flows=("client_credentials",), scopes=("orders/read",))


def assert_throttled(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.json() == {"error": "invalid_request", "error_description": "Rate exceeded"}
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    return retry_after


def test_token_failures_past_the_limit_answer_429_until_the_minute_ends(domain_pool: DomainPool,
                                                                       frozen_clock: Any) -> None:
    dp = domain_pool
    made = machine_client(dp)
    client_id, secret = made["ClientId"], made["ClientSecret"]
    public = dp.client()["ClientId"]
    for _ in range(TOKEN_FAILURES - 5):
        wrong = token_request(dp, client_id, "not-the-secret")
        assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    for _ in range(5):  # a code that does not exist: invalid_grant counts too, from the same address
        bad_code = httpx.post(f"{dp.base}/oauth2/token", data={
            "grant_type": "authorization_code", "client_id": public, "code": "no-such-code", "redirect_uri": CALLBACK})
        assert (bad_code.status_code, bad_code.json()["error"]) == (400, "invalid_grant")

    retry_after = assert_throttled(token_request(dp, client_id, "not-the-secret"))
    assert_throttled(httpx.post(f"{dp.base}/oauth2/token", data={
        "grant_type": "authorization_code", "client_id": public, "code": "no-such-code", "redirect_uri": CALLBACK}))

    # the right secret is never refused: only failures are counted and throttled
    good = token_request(dp, client_id, secret)
    assert good.status_code == 200, good.text
    assert good.json()["token_type"] == "Bearer"
    # errors that are not wrong credentials are answered as ever
    unsupported = token_request(dp, client_id, secret, grant_type="password")
    assert (unsupported.status_code, unsupported.json()["error"]) == (400, "unsupported_grant_type")

    frozen_clock(retry_after - 1)
    assert_throttled(token_request(dp, client_id, "not-the-secret"))
    frozen_clock(1)  # Retry-After said when: the next window starts with no failures
    wrong = token_request(dp, client_id, "not-the-secret")
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")


def test_token_failures_are_counted_per_pool(server: Any, cognito: Any, domain_pool: DomainPool,
                                              frozen_clock: Any) -> None:
    dp = domain_pool
    made = machine_client(dp)
    for _ in range(TOKEN_FAILURES):
        assert token_request(dp, made["ClientId"], "not-the-secret").status_code == 401
    assert_throttled(token_request(dp, made["ClientId"], "not-the-secret"))

    other_pool = cognito.create_user_pool(PoolName="rate-other")["UserPool"]["Id"]
    other = DomainPool(server, cognito, other_pool, f"{dp.domain}-b")
    cognito.create_user_pool_domain(UserPoolId=other_pool, Domain=other.domain)
    try:
        elsewhere = token_request(other, machine_client(other)["ClientId"], "not-the-secret")
        assert (elsewhere.status_code, elsewhere.json()["error"]) == (401, "invalid_client")
    finally:
        cognito.delete_user_pool_domain(UserPoolId=other_pool, Domain=other.domain)
        cognito.delete_user_pool(UserPoolId=other_pool)


def test_login_failures_from_one_address_refuse_its_sign_ins_until_the_minute_ends(domain_pool: DomainPool,
                                                                                  frozen_clock: Any) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    victims = [dp.user() for _ in range(4)]
    with new_browser() as browser:
        login_url = authorize(browser, dp, client_id).headers["location"]
        csrf = csrf_of(browser.get(login_url).text)

        def post(username: str, password: str) -> httpx.Response:
            return browser.post(login_url, data={"_csrf": csrf, "username": username, "password": password})

        # credential stuffing: many users, a few guesses each (under each user's own lockout)
        for attempt in range(LOGIN_FAILURES):
            failed = post(victims[attempt % len(victims)] if attempt % 2 else f"nobody-{attempt}", "Guess-1-guess")
            assert failed.status_code == 400, failed.text

        refused = post(victims[0], PASSWORD)  # the right password, from an address past its limit
        assert refused.status_code == 429, refused.text
        assert "Too many failed sign-in attempts" in refused.text
        assert 'name="_csrf"' in refused.text  # the form again, to try later
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 60

        frozen_clock(retry_after)
        signed_in = post(victims[1], PASSWORD)
        assert signed_in.status_code == 302, signed_in.text
        assert signed_in.headers["location"].startswith(CALLBACK + "?code=")


def test_a_throttled_login_page_speaks_the_page_language(domain_pool: DomainPool, frozen_clock: Any) -> None:
    dp = domain_pool
    client_id = dp.client()["ClientId"]
    with new_browser() as browser:
        login_url = authorize(browser, dp, client_id, lang="fr").headers["location"]
        csrf = csrf_of(browser.get(login_url).text)
        for attempt in range(LOGIN_FAILURES):
            assert browser.post(login_url, data={"_csrf": csrf, "username": f"nobody-{attempt}",
                                                 "password": "Guess-1-guess"}).status_code == 400
        refused = browser.post(login_url, data={"_csrf": csrf, "username": "nobody", "password": "Guess-1-guess"})
        assert refused.status_code == 429
        assert "Trop de tentatives de connexion" in refused.text


def test_the_limits_are_per_client_address_behind_a_trusted_proxy_and_configurable(server_factory: Any) -> None:
    """A server behind a trusted proxy (loopback) with limits of 2: the address X-Forwarded-For names is
    the one counted, so one client past its limit leaves another one's requests alone."""
    server = server_factory("sqlite", extra_args=["--trusted-proxies", "127.0.0.1/32",
                                                  "--token-failures-per-minute", "2",
                                                  "--login-failures-per-minute", "2"])
    cognito = server.client()
    pool_id = cognito.create_user_pool(PoolName="rate-proxy")["UserPool"]["Id"]
    dp = DomainPool(server, cognito, pool_id, "auth-rate-proxy")
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=dp.domain)
    made = machine_client(dp)
    mallory, alice = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "198.51.100.9"}
    httpx.post(f"{server.url}/_userpools/clock", json={"freeze": True}).raise_for_status()
    try:
        def wrong_secret(headers: dict[str, str]) -> httpx.Response:
            return httpx.post(f"{dp.base}/oauth2/token", auth=(made["ClientId"], "not-the-secret"), headers=headers,
                              data={"grant_type": "client_credentials"})

        assert [wrong_secret(mallory).status_code for _ in range(2)] == [401, 401]
        assert_throttled(wrong_secret(mallory))
        assert wrong_secret(alice).status_code == 401

        client_id = dp.client()["ClientId"]
        user = dp.user()
        with new_browser() as browser:
            login_url = authorize(browser, dp, client_id).headers["location"]
            csrf = csrf_of(browser.get(login_url).text)

            def sign_in(headers: dict[str, str], password: str) -> httpx.Response:
                return browser.post(login_url, headers=headers,
                                    data={"_csrf": csrf, "username": user, "password": password})

            assert [sign_in(mallory, "Guess-1-guess").status_code for _ in range(2)] == [400, 400]
            assert sign_in(mallory, PASSWORD).status_code == 429
            assert sign_in(alice, PASSWORD).status_code == 302
    finally:
        httpx.post(f"{server.url}/_userpools/clock", json={"reset": True}).raise_for_status()

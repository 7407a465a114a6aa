"""The hosted sign-in's second factors and passkeys in a real browser (Debian's chromium through Playwright), on
SQLite and PostgreSQL: an authenticator app set up from the page's QR code (the secret read from the page, codes
computed with pyotp at the server's frozen time) and a later sign-in with SOFTWARE_TOKEN_MFA; EMAIL_OTP and SMS_MFA
with the code read from the outbox; the choice of factor (SELECT_MFA_TYPE); wrong codes counted as the API counts
them; an expired challenge; and a passkey sign-in with Chromium's virtual authenticator. Both page styles
(ManagedLoginVersion 1 and 2) and both languages appear; every new page is photographed at both sizes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import pytest
from accounts import latest_code, make_user
from browserkit import DESKTOP, App, app, chromium, field_error, page, shoot
from mfa_support import mfa_pool, server_clock
from oauthkit import DomainPool, authorize, csrf_of, redeem
from test_browser_pages import authorize_url, landed_code, sign_in
from test_passkeys import Authenticator, passkey_pool

__all__ = ["app", "chromium", "page"]  # the fixtures, used by name

MakeDomain = Callable[..., DomainPool]
#: What the sign-in form says after a forged challenge form: the Session is refused, or (nothing to check yet)
#: the set-up cannot be shown without its factors.
EXPECTED = ("Your sign-in session has ended. Please sign in again.",
            ("Your account needs a second sign-in step that cannot be set up on this page. Please contact your "
             "administrator."))


@pytest.fixture
def mfa_domain(server: Any, cognito: Any) -> Iterator[MakeDomain]:
    """Makes pools with MFA (``mfa_pool``'s arguments) and a domain of the page style asked for."""
    made: list[DomainPool] = []

    def make(mode: str = "OPTIONAL", *, version: int = 1, pool: dict[str, Any] | None = None,
             **factors: Any) -> DomainPool:
        pool = pool or mfa_pool(cognito, mode, **factors)
        domain = f"auth-{uuid.uuid4().hex[:12]}"
        cognito.create_user_pool_domain(UserPoolId=pool["Id"], Domain=domain, ManagedLoginVersion=version)
        made.append(DomainPool(server, cognito, pool["Id"], domain))
        return made[-1]

    yield make
    for dp in made:
        cognito.delete_user_pool_domain(UserPoolId=dp.pool_id, Domain=dp.domain)
        cognito.delete_user_pool(UserPoolId=dp.pool_id)


def submit_code(tab: Any, code: str) -> None:
    tab.fill("#code", code)
    tab.click("button[name=signInSubmitButton]")


def heading(tab: Any) -> str:
    return str(tab.locator("h1").inner_text())


@pytest.mark.parametrize("version", [1, 2])
def test_totp_set_up_from_the_qr_code_then_a_later_sign_in_asks_for_the_apps_code(
        mfa_domain: MakeDomain, chromium: Any, page: Any, app: App, server: Any, version: int) -> None:
    with server_clock(server) as clock:
        dp = mfa_domain("ON", totp=True, version=version)
        pool_name = dp.cognito.describe_user_pool(UserPoolId=dp.pool_id)["UserPool"]["Name"]
        client_id = app.client(dp)
        username = dp.user()
        page.goto(authorize_url(dp, app, client_id, state="s-totp"))
        sign_in(page, username)
        assert heading(page) == "Set up an authenticator app"
        secret = page.locator("#totp-secret").inner_text()
        assert len(secret) == 52 and secret.isalnum()
        otpauth = page.locator("figure.qr").get_attribute("data-otpauth")
        assert otpauth == (f"otpauth://totp/{quote(pool_name)}:{quote(username)}?secret={secret}"
                           f"&issuer={quote(pool_name)}")
        assert page.locator("figure.qr svg path").count() == 1  # the QR code, inline SVG
        shoot(page, f"mfa-setup-totp-v{version}")
        submit_code(page, clock.code(secret, offset_steps=5))  # not a code of now
        assert field_error(page, "code") == "Code mismatch and fail enable Software Token MFA"
        assert page.locator("#totp-secret").inner_text() == secret  # the same secret, shown again
        shoot(page, f"mfa-setup-totp-wrong-code-v{version}")
        submit_code(page, clock.code(secret))
        code = landed_code(page, app, state="s-totp")
        assert redeem(dp, client_id, code, redirect_uri=app.callback).status_code == 200
        user = dp.cognito.admin_get_user(UserPoolId=dp.pool_id, Username=username)
        assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]

        clock.next_step()  # the step just used cannot sign in again
        later = chromium.new_context(viewport=DESKTOP, locale="en-US")  # no session: the form again
        try:
            tab = later.new_page()
            tab.goto(authorize_url(dp, app, client_id, state="s-later"))
            sign_in(tab, username)
            assert heading(tab) == "Enter your code"
            assert tab.locator("#mfa-lead").inner_text() == "Enter the 6-digit code from your authenticator app."
            assert tab.locator("button[name=passkey]").count() == 0  # no passkeys in this pool
            shoot(tab, f"mfa-software-token-v{version}")
            submit_code(tab, clock.code(secret))
            later_code = landed_code(tab, app, state="s-later")
            tokens = redeem(dp, client_id, later_code, redirect_uri=app.callback).json()
            assert jwt.decode(tokens["id_token"], options={"verify_signature": False})["cognito:username"] == username
        finally:
            later.close()


def test_email_otp_code_from_the_outbox_in_french(mfa_domain: MakeDomain, page: Any, app: App) -> None:
    dp = mfa_domain("OPTIONAL", email=True)
    client_id = app.client(dp)
    username = dp.user(email="ada@example.com", email_verified="true")
    dp.cognito.admin_set_user_mfa_preference(UserPoolId=dp.pool_id, Username=username,
                                             EmailMfaSettings={"Enabled": True, "PreferredMfa": True})
    page.goto(authorize_url(dp, app, client_id, lang="fr", state="s-mail"))
    sign_in(page, username)
    assert page.locator("html").get_attribute("lang") == "fr"
    assert heading(page) == "Saisissez votre code"
    assert page.locator("#mfa-lead").inner_text() == "Nous avons envoyé un code par e-mail à a***@e***."
    shoot(page, "mfa-email-otp-fr")
    submit_code(page, "000000")
    assert field_error(page, "code") == "Code non valide, veuillez réessayer."
    assert "a***@e***" in page.locator("#mfa-lead").inner_text()  # the destination, still shown
    shoot(page, "mfa-email-otp-fr-wrong-code")
    submit_code(page, latest_code(dp.server, dp.pool_id, username))
    landed_code(page, app, state="s-mail")


def test_email_set_up_inside_the_sign_in_then_its_code(mfa_domain: MakeDomain, page: Any, app: App) -> None:
    dp = mfa_domain("ON", email=True, version=2)
    client_id = app.client(dp)
    username = dp.user()  # no email, no factor: MFA_SETUP with EMAIL_OTP
    page.goto(authorize_url(dp, app, client_id, lang="fr", state="s-setup"))
    sign_in(page, username)
    assert heading(page) == "Recevez vos codes de connexion par e-mail"
    shoot(page, "mfa-setup-email-fr-v2")
    page.fill("#email", "not-an-address")
    page.click("button[name=sendCodeButton]")
    assert field_error(page, "email")
    page.fill("#email", "new@example.com")
    page.click("button[name=sendCodeButton]")
    assert page.locator("#mfa-lead").inner_text() == "Nous avons envoyé un code par e-mail à n***@e***."
    submit_code(page, latest_code(dp.server, dp.pool_id, username))
    landed_code(page, app, state="s-setup")
    user = dp.cognito.admin_get_user(UserPoolId=dp.pool_id, Username=username)
    assert user["UserMFASettingList"] == ["EMAIL_OTP"]
    assert {"Name": "email_verified", "Value": "true"} in user["UserAttributes"]


def test_sms_mfa_counts_wrong_codes_then_sends_back_to_sign_in(mfa_domain: MakeDomain, page: Any, app: App) -> None:
    dp = mfa_domain("ON", sms=True)
    client_id = app.client(dp)
    username = dp.user(phone_number="+15555550123", phone_number_verified="true")
    page.goto(authorize_url(dp, app, client_id))
    sign_in(page, username)
    assert page.locator("#mfa-lead").inner_text() == "We sent a code by text message to +*******0123."
    shoot(page, "mfa-sms")
    for _ in range(5):  # the API keeps the Session for five wrong codes
        submit_code(page, "000000")
        assert field_error(page, "code") == "Invalid code or auth state for the user."
    shoot(page, "mfa-sms-wrong-code")
    submit_code(page, latest_code(dp.server, dp.pool_id, username))  # too late: the Session is dead
    page.wait_for_url(f"{dp.base}/login?*")
    assert page.locator(".banner").inner_text() == "Your sign-in session has ended. Please sign in again."
    assert page.locator("#username").input_value() == username
    shoot(page, "mfa-sms-session-ended")
    sign_in(page, username)
    submit_code(page, latest_code(dp.server, dp.pool_id, username))  # the new challenge's code
    landed_code(page, app)


@pytest.mark.parametrize("version", [1, 2])
def test_select_mfa_type_then_the_chosen_factors_code(mfa_domain: MakeDomain, page: Any, app: App,
                                                      version: int) -> None:
    dp = mfa_domain("OPTIONAL", sms=True, email=True, version=version)
    client_id = app.client(dp)
    username = dp.user(email="sel@example.com", email_verified="true", phone_number="+15555550199",
                       phone_number_verified="true")
    dp.cognito.admin_set_user_mfa_preference(UserPoolId=dp.pool_id, Username=username,
                                             SMSMfaSettings={"Enabled": True}, EmailMfaSettings={"Enabled": True})
    page.goto(authorize_url(dp, app, client_id, state="s-sel"))
    sign_in(page, username)
    assert heading(page) == "Choose how to verify it's you"
    assert page.locator("button[name=answer]").all_inner_texts() == ["Text message (SMS)", "Email"]
    shoot(page, f"mfa-select-v{version}")
    page.click("button[name=answer][value=EMAIL_OTP]")
    assert page.locator("#mfa-lead").inner_text() == "We sent a code by email to s***@e***."
    shoot(page, f"mfa-email-otp-v{version}")
    submit_code(page, latest_code(dp.server, dp.pool_id, username))
    landed_code(page, app, state="s-sel")


def test_an_expired_challenge_goes_back_to_sign_in(mfa_domain: MakeDomain, page: Any, app: App, server: Any) -> None:
    with server_clock(server) as clock:
        dp = mfa_domain("ON", sms=True)
        client_id = app.client(dp)
        username = dp.user(phone_number="+15555550124", phone_number_verified="true")
        page.goto(authorize_url(dp, app, client_id))
        sign_in(page, username)
        clock.move(4 * 60)  # AuthSessionValidity: 3 minutes
        submit_code(page, latest_code(dp.server, dp.pool_id, username))
        page.wait_for_url(f"{dp.base}/login?*")
        assert page.locator(".banner").inner_text() == "Your sign-in session has ended. Please sign in again."


@pytest.fixture
def localhost_server(server: Any, server_factory: Any) -> Any:
    """A server of the same backend whose public URL is http://localhost:<port>: the hosted pages' origin must be
    the passkeys' relying party (localhost, a secure context on http; an IP address is no relying party)."""
    return server_factory("postgresql" if server.database_url else "sqlite", host="localhost")


def test_a_passkey_added_after_sign_in_then_used_to_sign_in(chromium: Any, app: App, localhost_server: Any) -> None:
    """Chromium's virtual authenticator creates the passkey on the page managed login offers after a password
    sign-in, then signs in with it."""
    server, cognito = localhost_server, localhost_server.client()
    pool, _api_client = passkey_pool(cognito)
    domain = f"auth-{uuid.uuid4().hex[:12]}"
    cognito.create_user_pool_domain(UserPoolId=pool["Id"], Domain=domain, ManagedLoginVersion=2)
    dp = DomainPool(server, cognito, pool["Id"], domain)
    assert dp.base.startswith("http://localhost:")
    client_id = app.client(dp, ExplicitAuthFlows=["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    username = make_user(cognito, pool["Id"])
    context = chromium.new_context(viewport=DESKTOP, locale="en-US")
    try:
        tab = context.new_page()
        authenticator = Authenticator(tab, server)
        tab.goto(authorize_url(dp, app, client_id, state="s-pk"))
        assert tab.locator("button[name=passkey]").inner_text() == "Sign in with a passkey"
        shoot(tab, "login-with-passkey-v2")
        tab.fill("#username", username)
        tab.click("button[name=passkey]")  # no passkey yet
        assert tab.locator(".banner").inner_text() == ("No passkey is registered for this account. "
                                                       "Please sign in with your password.")
        sign_in(tab, username)  # the password: managed login offers a passkey
        assert heading(tab) == "Sign in faster with a passkey"
        assert tab.locator("#not-now").get_attribute("href").startswith(f"{app.callback}?code=")
        shoot(tab, "passkey-offer-v2")
        tab.click("button[name=passkey_add]")
        assert heading(tab) == "Add a passkey"
        shoot(tab, "passkey-add-v2")
        tab.click("#passkey-button")
        landed_code(tab, app, state="s-pk")  # the domain's session answers /oauth2/authorize again
        [made] = authenticator.credentials()
        listed = cognito.admin_get_user_auth_factors(UserPoolId=pool["Id"], Username=username)
        assert "WEB_AUTHN" in listed["ConfiguredUserAuthFactors"]

        login = authorize_url(dp, app, client_id, state="s-pk2", prompt="login")
        tab.goto(login)
        tab.fill("#username", username)
        tab.click("button[name=passkey]")
        assert heading(tab) == "Sign in with a passkey"
        shoot(tab, "passkey-v2")
        tab.click("#passkey-button")
        code = landed_code(tab, app, state="s-pk2")
        assert redeem(dp, client_id, code, redirect_uri=app.callback).status_code == 200
        [used] = authenticator.credentials()
        assert used["signCount"] > made["signCount"]
        tab.goto(authorize_url(dp, app, client_id, state="s-pk3", prompt="login"))
        sign_in(tab, username)  # a user with a passkey is not offered another
        landed_code(tab, app, state="s-pk3")
    finally:
        context.close()


def test_the_pages_refuse_a_form_without_its_csrf_token(mfa_domain: MakeDomain, page: Any, app: App) -> None:
    dp = mfa_domain("ON", sms=True)
    client_id = app.client(dp)
    username = dp.user(phone_number="+15555550125", phone_number_verified="true")
    page.goto(authorize_url(dp, app, client_id))
    sign_in(page, username)
    page.evaluate("document.querySelector('input[name=_csrf]').value = 'x'.repeat(40)")
    submit_code(page, latest_code(dp.server, dp.pool_id, username))
    assert page.locator(".banner").inner_text() == "Your session on this page expired. Please try again."


def test_a_tampered_challenge_form_goes_back_to_sign_in_never_500(mfa_domain: MakeDomain) -> None:
    dp = mfa_domain("ON", totp=True)
    client_id = dp.client()["ClientId"]
    with httpx.Client() as browser:
        started = authorize(browser, dp, client_id)
        login_url = started.headers["location"]
        token = csrf_of(browser.get(login_url).text)
        for fields in ({"challenge_name": "CUSTOM_CHALLENGE", "code": ""},
                       {"challenge_name": "MFA_SETUP", "code": "", "totp_secret": "short"},
                       {"challenge_name": "SMS_MFA", "code": "123456", "parameters": "{not json"},
                       {"challenge_name": "WEB_AUTHN", "credential": "[]"}):
            answer = browser.post(login_url, data={"_csrf": token, "challenge_session": "forged",
                                                   "username": "nobody", **fields})
            assert answer.status_code == 400, (fields, answer.status_code)
            banner = re.search(r"role=\"alert\">([^<]*)<", answer.text)
            assert banner and banner.group(1) in EXPECTED, (fields, banner)

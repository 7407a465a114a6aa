"""The hosted pages in a real browser (Debian's chromium through Playwright): sign-in with PKCE (the test is the
app: it builds the authorization URL and redeems the code with httpx), sign-up and confirmation, password
recovery ending signed in, wrong password, lockout, logout, single sign-on between two clients, the error page,
the languages and both page styles. Every page is photographed at the phone and desktop sizes (see
``browserkit``). The PKCE sign-in runs on SQLite and PostgreSQL, the rest on SQLite (the storage paths are the
API's, covered on both by the other wire tests)."""

from __future__ import annotations

import re
import struct
import uuid
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
from accounts import PASSWORD, latest_code, unique
from browserkit import App, app, chromium, field_error, page, shoot
from oauthkit import DomainPool, domain_pool, frozen_clock, pkce_pair, query_of, redeem

__all__ = ["app", "chromium", "domain_pool", "frozen_clock", "page"]  # the fixtures, used by name

SQLITE_ONLY = pytest.mark.parametrize("server", ["sqlite"], indirect=True)
NEW_PASSWORD = "Brand-New-Horse-8"


def authorize_url(dp: DomainPool, app: App, client_id: str, **params: str) -> str:
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": app.callback,
             "scope": "openid email profile"} | params
    return f"{dp.base}/oauth2/authorize?{urlencode(query)}"


def sign_in(tab: Any, username: str, password: str = PASSWORD) -> None:
    tab.fill("#username", username)
    tab.fill("#password", password)
    tab.click("button[name=signInSubmitButton]")


def landed_code(tab: Any, app: App, **expected: str) -> str:
    """The browser is at the app's callback; the code (and the expected parameters, e.g. state) in its query."""
    tab.wait_for_url(f"{app.callback}?*")
    assert tab.locator("h1").inner_text() == "Signed in"
    query = query_of(tab.url)
    for name, value in expected.items():
        assert query[name] == value
    return query["code"]


@pytest.fixture
def signup_pool(server: Any, cognito: Any) -> Iterator[DomainPool]:
    """A pool that verifies email, requires email and given_name, and has a domain."""
    pool_id = cognito.create_user_pool(
        PoolName=unique("signup"), AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
                {"Name": "given_name", "AttributeDataType": "String", "Required": True, "Mutable": True}],
        Policies={"PasswordPolicy": {"MinimumLength": 10, "RequireLowercase": True, "RequireUppercase": True,
                                     "RequireNumbers": True, "RequireSymbols": False}},
    )["UserPool"]["Id"]
    domain = f"auth-{uuid.uuid4().hex[:12]}"
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    yield DomainPool(server, cognito, pool_id, domain)
    cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    cognito.delete_user_pool(UserPoolId=pool_id)


def test_sign_in_with_pkce_ends_at_the_app_with_a_code_it_redeems(domain_pool: DomainPool, page: Any, app: App) -> None:
    dp = domain_pool
    client_id = app.client(dp)
    username = dp.user(email="pkce@example.com", email_verified="true")
    verifier, challenge = pkce_pair()
    page.goto(authorize_url(dp, app, client_id, state="st-1", nonce="n-1", code_challenge=challenge,
                            code_challenge_method="S256"))
    assert page.url.startswith(f"{dp.base}/login?")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("label[for=username]").inner_text() == "Username"
    shoot(page, "login")
    sign_in(page, username)
    code = landed_code(page, app, state="st-1")
    tokens = redeem(dp, client_id, code, verifier=verifier, redirect_uri=app.callback)
    assert tokens.status_code == 200, tokens.text
    claims = jwt.decode(tokens.json()["id_token"], options={"verify_signature": False})
    assert claims["cognito:username"] == username and claims["nonce"] == "n-1"
    assert redeem(dp, client_id, code, verifier=verifier, redirect_uri=app.callback).json()["error"] == "invalid_grant"  # single use


@SQLITE_ONLY
def test_a_wrong_password_is_shown_next_to_the_password_field(domain_pool: DomainPool, page: Any, app: App) -> None:
    dp = domain_pool
    client_id = app.client(dp)
    username = dp.user()
    page.goto(authorize_url(dp, app, client_id))
    sign_in(page, username, "Wrong-Password-1")
    assert field_error(page, "password") == "Incorrect username or password."
    assert page.locator("#username").input_value() == username
    assert page.evaluate("document.activeElement.id") == "password"
    shoot(page, "login-wrong-password")


@SQLITE_ONLY
def test_sign_up_then_confirm_with_the_emailed_code_then_sign_in(signup_pool: DomainPool, page: Any, app: App) -> None:
    dp = signup_pool
    client_id = app.client(dp)
    for name in ("terms-of-use", "privacy-policy"):
        dp.cognito.create_terms(UserPoolId=dp.pool_id, ClientId=client_id, TermsName=name,
                                TermsSource="LINK", Enforcement="NONE",
                                Links={"cognito:default": f"https://app.example.com/{name}"})
    login_url = authorize_url(dp, app, client_id, state="s-up")
    page.goto(login_url)
    page.click("text=Sign up")
    assert page.url.startswith(f"{dp.base}/signup?") and "state=s-up" in page.url
    assert page.locator("a[href='https://app.example.com/terms-of-use']").count() == 1
    assert "At least 10 characters" in page.locator("#password-rules").inner_text()
    shoot(page, "signup")
    username = unique("new")
    page.fill("#username", username)
    page.fill("#attr-email", f"{username}@example.com")
    page.fill("#attr-given_name", "Ada")
    page.fill("#password", "short")
    page.click("button[name=signUpButton]")
    assert "Password" in field_error(page, "password")  # the pool's policy, from SignUp's own check
    assert page.evaluate("document.activeElement.id") == "password"
    assert page.locator("#attr-given_name").input_value() == "Ada"
    shoot(page, "signup-invalid-password")
    page.fill("#password", NEW_PASSWORD)
    page.click("button[name=signUpButton]")
    page.wait_for_url(f"{dp.base}/confirm?*")
    assert "email" in page.locator("p.lead").inner_text()
    shoot(page, "confirm")
    page.fill("#code", "000000")
    page.click("button[name=confirm]")
    assert field_error(page, "code") == "Invalid verification code provided, please try again."
    page.click("button[name=resend]")
    page.wait_for_url(re.compile(r".*notice=resent.*"))
    page.fill("#code", latest_code(dp.server, dp.pool_id, username))
    page.click("button[name=confirm]")
    page.wait_for_url(f"{dp.base}/login?*")
    assert "confirmed" in page.locator(".notice").inner_text()
    assert page.locator("#username").input_value() == username
    shoot(page, "login-after-confirm")
    page.fill("#password", NEW_PASSWORD)
    page.click("button[name=signInSubmitButton]")
    landed_code(page, app, state="s-up")
    user = dp.cognito.admin_get_user(UserPoolId=dp.pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "email_verified", "Value": "true"} in user["UserAttributes"]


@SQLITE_ONLY
def test_forgot_password_sends_a_code_and_the_new_password_signs_in(domain_pool: DomainPool, page: Any, app: App) -> None:
    dp = domain_pool
    client_id = app.client(dp)
    username = dp.user(email="reset@example.com", email_verified="true")
    verifier, challenge = pkce_pair()
    page.goto(authorize_url(dp, app, client_id, state="s-fp", code_challenge=challenge, code_challenge_method="S256"))
    page.click("text=Forgot your password?")
    page.wait_for_url(f"{dp.base}/forgotPassword?*")
    shoot(page, "forgot-password")
    page.fill("#username", username)
    page.click("button[name=reset_my_password]")
    page.wait_for_url(f"{dp.base}/confirmForgotPassword?*")
    assert "r***@e***" in page.locator("p.lead").inner_text()
    shoot(page, "confirm-forgot-password")
    page.fill("#code", latest_code(dp.server, dp.pool_id, username))
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm_password", NEW_PASSWORD + "x")
    page.click("button[name=reset_password]")
    assert field_error(page, "confirm_password") == "Passwords do not match."
    assert page.evaluate("document.activeElement.id") == "confirm_password"  # focus on the field to fix
    shoot(page, "confirm-forgot-password-mismatch")
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm_password", NEW_PASSWORD)
    page.click("button[name=reset_password]")
    code = landed_code(page, app, state="s-fp")  # signed in: the app gets its code
    assert redeem(dp, client_id, code, verifier=verifier, redirect_uri=app.callback).status_code == 200
    assert dp.cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
        "USERNAME": username, "PASSWORD": NEW_PASSWORD})["AuthenticationResult"]["AccessToken"]


@SQLITE_ONLY
def test_forgot_password_of_an_unknown_user_hides_it_when_the_client_prevents_existence_errors(
        domain_pool: DomainPool, page: Any, app: App) -> None:
    dp = domain_pool
    client_id = app.client(dp, PreventUserExistenceErrors="ENABLED")
    page.goto(authorize_url(dp, app, client_id).replace("/oauth2/authorize?", "/forgotPassword?"))
    page.fill("#username", "nobody-" + uuid.uuid4().hex[:8])
    page.click("button[name=reset_my_password]")
    page.wait_for_url(f"{dp.base}/confirmForgotPassword?*")  # as for a real user


@SQLITE_ONLY
def test_lockout_refuses_even_the_right_password_until_the_clock_moves(
        domain_pool: DomainPool, page: Any, frozen_clock: Any, app: App) -> None:
    dp = domain_pool
    client_id = app.client(dp)
    username = dp.user()
    page.goto(authorize_url(dp, app, client_id))
    for _ in range(5):
        sign_in(page, username, "Wrong-Password-1")
        assert field_error(page, "password") == "Incorrect username or password."
    sign_in(page, username)
    assert page.locator(".banner").inner_text() == "Password attempts exceeded"
    shoot(page, "login-locked")
    frozen_clock(2)
    sign_in(page, username)
    landed_code(page, app)


@SQLITE_ONLY
def test_single_sign_on_between_two_clients_then_logout_ends_it(domain_pool: DomainPool, page: Any, app: App) -> None:
    dp = domain_pool
    first, second = app.client(dp), app.client(dp)
    username = dp.user()
    page.goto(authorize_url(dp, app, first))
    sign_in(page, username)
    landed_code(page, app)
    page.goto(authorize_url(dp, app, second, state="sso"))
    code = landed_code(page, app, state="sso")  # no form: the domain's session signed the user in
    assert redeem(dp, second, code, redirect_uri=app.callback).status_code == 200
    page.goto(f"{dp.base}/logout?{urlencode({'client_id': second, 'logout_uri': app.signed_out})}")
    assert page.url == app.signed_out and page.locator("h1").inner_text() == "Signed out"
    page.goto(authorize_url(dp, app, first))
    assert page.url.startswith(f"{dp.base}/login?")  # signed out: the form again


@SQLITE_ONLY
def test_an_unknown_client_shows_the_error_page_in_the_browsers_language(
        domain_pool: DomainPool, chromium: Any, app: App) -> None:
    dp = domain_pool
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    try:
        tab = context.new_page()
        tab.goto(authorize_url(dp, app, "nosuchclient0000000000000a"))
        assert tab.url.startswith(f"{dp.base}/error?")
        assert tab.locator("html").get_attribute("lang") == "fr"
        assert "erreur" in tab.locator("h1").inner_text()
        assert "Invalid client_id" in tab.locator("[role=alert]").inner_text()
        shoot(tab, "error")
    finally:
        context.close()


@SQLITE_ONLY
def test_lang_chooses_french_over_the_browsers_language(domain_pool: DomainPool, page: Any, app: App) -> None:
    dp = domain_pool
    client_id = app.client(dp)
    page.goto(authorize_url(dp, app, client_id, lang="fr"))
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Connexion"
    page.click("text=Mot de passe oublié ?")
    assert page.locator("html").get_attribute("lang") == "fr"  # lang travels with the request
    shoot(page, "forgot-password-fr")


def square_png(size: int, rgb: tuple[int, int, int]) -> bytes:
    """A PNG of one colour (a logo to see in the screenshots)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


LOGO = square_png(48, (181, 137, 0))


@SQLITE_ONLY
def test_classic_pages_take_the_ui_customization_css_and_logo(domain_pool: DomainPool, page: Any, app: App) -> None:
    dp = domain_pool
    client_id = app.client(dp)
    css = (".background-customizable { background-color: #fdf6e3; }\n"
           ".submitButton-customizable { background-color: #b58900; }")
    out = dp.cognito.set_ui_customization(UserPoolId=dp.pool_id, ClientId=client_id, CSS=css,
                                          ImageFile=LOGO)["UICustomization"]
    page.goto(authorize_url(dp, app, client_id))
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    button = page.evaluate("getComputedStyle(document.querySelector('button[type=submit]')).backgroundColor")
    assert background == "rgb(253, 246, 227)" and button == "rgb(181, 137, 0)"
    logo = page.locator("img.logo-customizable")
    assert logo.get_attribute("src") == out["ImageUrl"]
    assert page.evaluate("document.querySelector('img.logo-customizable').naturalWidth") == 48  # CSP let it load
    shoot(page, "login-classic-css")


@SQLITE_ONLY
def test_managed_login_pages_take_the_branding_colours_and_logo(server: Any, cognito: Any, page: Any, app: App) -> None:
    pool_id = cognito.create_user_pool(PoolName=unique("v2"))["UserPool"]["Id"]
    domain = f"auth-{uuid.uuid4().hex[:12]}"
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=domain, ManagedLoginVersion=2)
    dp = DomainPool(server, cognito, pool_id, domain)
    client_id = app.client(dp)
    cognito.create_managed_login_branding(UserPoolId=pool_id, ClientId=client_id, Settings={
        "components": {
            "pageBackground": {"lightMode": {"color": "0f3d3eff"}},
            "primaryButton": {"lightMode": {"defaults": {"backgroundColor": "e76f51ff", "textColor": "ffffffff"}}},
        },
    }, Assets=[{"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": LOGO}])
    try:
        page.goto(authorize_url(dp, app, client_id))
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        button = page.evaluate("getComputedStyle(document.querySelector('button[type=submit]')).backgroundColor")
        assert background == "rgb(15, 61, 62)" and button == "rgb(231, 111, 81)"
        assert page.locator(".brand img").get_attribute("src").startswith("data:image/png;base64,")
        shoot(page, "login-managed-login-branding")
        page.set_viewport_size({"width": 390, "height": 844})
        page.click("text=Sign up")
        shoot(page, "signup-managed-login-branding")
    finally:
        cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain=domain)
        cognito.delete_user_pool(UserPoolId=pool_id)


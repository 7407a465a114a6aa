"""Managed login (ManagedLoginVersion 2) pages drawn from a client's branding style in a real browser (Debian's
chromium through Playwright): the page, form, header and footer backgrounds and logos, their places, the form's
place, the favicons, the buttons of external providers, and the dark mode of a ``DYNAMIC`` style. The page's
Content-Security-Policy must let every image load (each is a data: URL); the screenshots (phone and desktop,
see ``browserkit``) are kept. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import struct
import uuid
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from accounts import make_client, unique
from browserkit import DESKTOP, PHONE, App, app, chromium, page, shoot
from oauthkit import DomainPool
from test_browser_pages import square_png

__all__ = ["app", "chromium", "page"]  # the fixtures, used by name

def noise_png(size: int) -> bytes:
    """A PNG of random pixels: it does not compress, so it is larger than what pages inline."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rng = random.Random(7)
    rows = b"".join(b"\x00" + bytes(rng.randrange(40, 100) for _ in range(size * 3)) for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PAGE_BG = noise_png(128)  # served by the domain (larger than hosted.INLINE_LIMIT)
FORM_BG = square_png(32, (250, 240, 220))
HEADER_LOGO = square_png(40, (231, 111, 81))
HEADER_LOGO_DARK = square_png(40, (42, 157, 143))
HEADER_BG = square_png(16, (233, 196, 106))
FOOTER_LOGO = square_png(24, (38, 70, 83))
FORM_LOGO = square_png(56, (231, 111, 81))
PASSWORD_GRAPHIC = square_png(72, (42, 157, 143))
FOOTER_BG = square_png(16, (244, 162, 97))
FAVICON_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
               b'<rect width="16" height="16" fill="#e76f51"/></svg>')


def ico(png: bytes) -> bytes:
    """An ICO file holding one PNG image."""
    return struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 16, 16, 0, 0, 1, 32, len(png), 22) + png


def asset(category: str, data: bytes, mode: str = "LIGHT", extension: str = "PNG") -> dict[str, Any]:
    return {"Category": category, "ColorMode": mode, "Extension": extension, "Bytes": data}


SETTINGS: dict[str, Any] = {
    "categories": {
        "global": {"colorSchemeMode": "DYNAMIC", "pageHeader": {"enabled": True}, "pageFooter": {"enabled": True},
                   "spacingDensity": "COMPACT"},
        "form": {"location": {"horizontal": "START", "vertical": "TOP"}},
    },
    "components": {
        "pageBackground": {"image": {"enabled": True}, "lightMode": {"color": "264653ff"},
                           "darkMode": {"color": "101820ff"}},
        "form": {"backgroundImage": {"enabled": True}, "borderRadius": 4.0,
                 "logo": {"enabled": True, "location": "END"}},
        "pageHeader": {"logo": {"enabled": True, "location": "END"}, "backgroundImage": {"enabled": False},
                       "lightMode": {"background": {"color": "fefae0ff"}, "borderColor": "e76f51ff"},
                       "darkMode": {"background": {"color": "1b263bff"}, "borderColor": "2a9d8fff"}},
        "pageFooter": {"logo": {"enabled": True, "location": "CENTER"}, "backgroundImage": {"enabled": True},
                       "lightMode": {"background": {"color": "f4a261ff"}, "borderColor": "264653ff"}},
        "favicon": {"enabledTypes": ["ICO", "SVG"]},
        "idpButton": {"standard": {"lightMode": {"defaults": {"backgroundColor": "2a9d8fff", "textColor": "ffffffff",
                                                              "borderColor": "264653ff"}}}},
        "primaryButton": {"darkMode": {"defaults": {"backgroundColor": "e9c46aff", "textColor": "000000ff"}}},
    },
}

ASSETS = [
    asset("PAGE_BACKGROUND", PAGE_BG, "DYNAMIC"),
    asset("FORM_BACKGROUND", FORM_BG),
    asset("FORM_LOGO", FORM_LOGO, "LIGHT"),
    asset("PAGE_HEADER_LOGO", HEADER_LOGO, "LIGHT"),
    asset("PAGE_HEADER_LOGO", HEADER_LOGO_DARK, "DARK"),
    asset("PAGE_HEADER_BACKGROUND", HEADER_BG),
    asset("PAGE_FOOTER_LOGO", FOOTER_LOGO, "DYNAMIC"),
    asset("PAGE_FOOTER_BACKGROUND", FOOTER_BG, "DYNAMIC"),
    asset("FAVICON_ICO", ico(square_png(16, (231, 111, 81))), "DYNAMIC", "ICO"),
    asset("FAVICON_SVG", FAVICON_SVG, "DYNAMIC", "SVG"),
    asset("PASSWORD_GRAPHIC", PASSWORD_GRAPHIC, "DYNAMIC"),
]


@pytest.fixture
def branded(server: Any, cognito: Any, app: App) -> Iterator[tuple[DomainPool, str]]:
    """A pool with a version 2 domain, a Google provider, and a client (COGNITO and Google) with the style."""
    pool_id = cognito.create_user_pool(PoolName=unique("brand"))["UserPool"]["Id"]
    domain = f"auth-{uuid.uuid4().hex[:12]}"
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=domain, ManagedLoginVersion=2)
    dp = DomainPool(server, cognito, pool_id, domain)
    cognito.create_identity_provider(UserPoolId=pool_id, ProviderName="Google", ProviderType="Google",
                                     ProviderDetails={"client_id": "app", "client_secret": "secret",
                                                      "authorize_scopes": "openid email"},
                                     AttributeMapping={"email": "email"})
    client_id = str(make_client(
        cognito, pool_id, AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email"], CallbackURLs=[app.callback],
        SupportedIdentityProviders=["COGNITO", "Google"])["ClientId"])
    cognito.create_managed_login_branding(UserPoolId=pool_id, ClientId=client_id, Settings=SETTINGS, Assets=ASSETS)
    try:
        yield dp, client_id
    finally:
        cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain=domain)
        cognito.delete_user_pool(UserPoolId=pool_id)


def login_url(dp: DomainPool, app: App, client_id: str) -> str:
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": app.callback, "scope": "openid email"}
    return f"{dp.base}/oauth2/authorize?{urlencode(query)}"


def css(tab: Any, selector: str, prop: str) -> str:
    return str(tab.evaluate(f"getComputedStyle(document.querySelector({selector!r}))[{prop!r}]"))


def loaded(tab: Any, selector: str) -> int:
    """The natural width of an image on the page (0 when the browser did not load it)."""
    return int(tab.evaluate(f"document.querySelector({selector!r}).naturalWidth"))


def blocked_by_csp(tab: Any) -> list[str]:
    messages: list[str] = []
    tab.on("console", lambda message: messages.append(message.text)
           if "Content Security Policy" in message.text else None)
    return messages


def test_the_style_draws_backgrounds_header_footer_favicons_and_places(
        branded: tuple[DomainPool, str], page: Any, app: App) -> None:
    dp, client_id = branded
    refused = blocked_by_csp(page)
    page.goto(login_url(dp, app, client_id))
    # page and form background images (data: URLs) over the colours
    assert css(page, "body", "backgroundColor") == "rgb(38, 70, 83)"
    background = css(page, "body", "backgroundImage")  # url("<domain>/managed-login/assets/<client>/<digest>.png")
    assert background.startswith(f'url("{dp.base}/managed-login/assets/{client_id}/') and background.endswith('.png")')
    assert page.evaluate("""url => new Promise(done => { const image = new Image();
        image.onload = () => done(image.naturalWidth); image.onerror = () => done(0); image.src = url; })""",
                         background[5:-2]) == 128  # the CSP's img-src lets the domain's own asset load
    assert css(page, "main", "backgroundImage").startswith('url("data:image/png;base64,')
    assert css(page, "main", "borderTopLeftRadius") == "4px"
    # the header: its colour and border, its logo at the end (light mode: the LIGHT logo)
    assert css(page, "header.page-header", "backgroundColor") == "rgb(254, 250, 224)"
    assert css(page, "header.page-header", "borderBottomColor") == "rgb(231, 111, 81)"
    assert css(page, "header.page-header", "backgroundImage") == "none"  # backgroundImage.enabled false
    assert css(page, "header.page-header", "justifyContent") == "flex-end"
    assert loaded(page, "header img") == 40
    header_logo = page.evaluate("document.querySelector('header img').currentSrc")
    # the footer: its background image and its logo in the centre
    assert css(page, "footer.page-footer", "backgroundColor") == "rgb(244, 162, 97)"
    assert css(page, "footer.page-footer", "backgroundImage").startswith('url("data:image/png;base64,')
    assert css(page, "footer.page-footer", "justifyContent") == "center"
    assert loaded(page, "footer img") == 24
    # the form logo at the end of the form; the form at the start (left) and top of the page
    assert css(page, "main .brand", "justifyContent") == "flex-end"
    assert loaded(page, "main .brand img") == 56 and page.locator("main .brand img").is_visible()
    box = page.locator("main").bounding_box()
    header_box = page.locator("header").bounding_box()
    assert box["x"] < 40 and box["y"] - (header_box["y"] + header_box["height"]) < 48
    # favicons: both types, data: URLs
    icons = dict(page.evaluate("[...document.querySelectorAll('link[rel=icon]')].map(l => [l.type, l.href])"))
    assert icons["image/svg+xml"].startswith("data:image/svg+xml;base64,PHN2")  # "<svg"
    assert icons["image/x-icon"].startswith("data:image/x-icon;base64,AAABAA")  # the ICO header
    # the external provider's button takes idpButton.standard's colours
    google = "a.idpButton-customizable[data-provider=Google]"
    assert css(page, google, "backgroundColor") == "rgb(42, 157, 143)"
    assert css(page, google, "color") == "rgb(255, 255, 255)"
    assert css(page, google, "borderTopColor") == "rgb(38, 70, 83)"
    shoot(page, "login-branding-full")
    assert loaded(page, "header img") == 40 and header_logo.startswith("data:image/png")
    assert refused == [], refused


def test_a_dynamic_style_follows_the_browsers_dark_mode(branded: tuple[DomainPool, str], page: Any, app: App) -> None:
    dp, client_id = branded
    refused = blocked_by_csp(page)
    page.goto(login_url(dp, app, client_id))
    light_logo = page.evaluate("document.querySelector('header img').currentSrc")
    page.emulate_media(color_scheme="dark")
    page.reload()
    assert css(page, "body", "backgroundColor") == "rgb(16, 24, 32)"
    assert css(page, "header.page-header", "backgroundColor") == "rgb(27, 38, 59)"
    assert css(page, "button[type=submit]", "backgroundColor") == "rgb(233, 196, 106)"
    dark_logo = page.evaluate("document.querySelector('header img').currentSrc")
    assert dark_logo != light_logo and dark_logo.startswith("data:image/png")  # the DARK asset in dark mode
    assert "/managed-login/assets/" in css(page, "body", "backgroundImage")  # DYNAMIC: every mode
    # a LIGHT asset is for light mode alone: no form background image, no form logo in dark mode
    assert css(page, "main", "backgroundImage") == "none"
    assert css(page, "main", "backgroundColor") == "rgb(30, 41, 59)"  # our dark form colour
    assert not page.locator("main .brand img").is_visible()
    assert page.evaluate("[...document.querySelectorAll('link[rel=icon]')].filter(l => l.media).length") == 0
    shoot(page, "login-branding-dark")
    assert refused == [], refused


def test_phone_size_keeps_header_and_footer_and_fills_the_width(
        branded: tuple[DomainPool, str], page: Any, app: App) -> None:
    dp, client_id = branded
    page.set_viewport_size(PHONE)
    page.goto(login_url(dp, app, client_id))
    assert page.locator("header.page-header").is_visible() and page.locator("footer.page-footer").is_visible()
    box = page.locator("main").bounding_box()
    assert box["x"] == 0 and box["width"] == PHONE["width"]
    page.set_viewport_size(DESKTOP)


def test_the_new_password_page_shows_the_password_graphic(branded: tuple[DomainPool, str], page: Any, app: App) -> None:
    dp, client_id = branded
    name = unique("temp")
    dp.cognito.admin_create_user(UserPoolId=dp.pool_id, Username=name, TemporaryPassword="Temporary-Pass-1",
                                 MessageAction="SUPPRESS")
    page.goto(login_url(dp, app, client_id))
    assert page.locator(".graphic").count() == 0  # the sign-in form has no factor graphic
    page.fill("#username", name)
    page.fill("#password", "Temporary-Pass-1")
    page.click("button[name=signInSubmitButton]")
    page.wait_for_selector("#new_password")
    assert loaded(page, ".graphic img.graphic-password") == 72
    shoot(page, "new-password-branding-graphic")


def test_a_larger_asset_is_served_by_the_domain_named_by_its_content(
        branded: tuple[DomainPool, str], page: Any, app: App) -> None:
    dp, client_id = branded
    page.goto(login_url(dp, app, client_id))
    url = css(page, "body", "backgroundImage")[5:-2]
    answer = httpx.get(url)
    assert answer.status_code == 200 and answer.content == PAGE_BG
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "sandbox" in answer.headers["content-security-policy"]  # an SVG opened alone runs no script
    assert httpx.get(url.rsplit("/", 1)[0] + "/000000000000000000000000.png").status_code == 404
    other = url.replace(f"/{client_id}/", "/someoneelse/")
    assert httpx.get(other).status_code == 404


def test_an_updated_dark_style_with_the_logo_above_the_form_shows_at_once(
        branded: tuple[DomainPool, str], page: Any, app: App) -> None:
    dp, client_id = branded
    branding_id = dp.cognito.describe_managed_login_branding_by_client(
        UserPoolId=dp.pool_id, ClientId=client_id)["ManagedLoginBranding"]["ManagedLoginBrandingId"]
    dp.cognito.update_managed_login_branding(UserPoolId=dp.pool_id, ManagedLoginBrandingId=branding_id, Settings={
        "categories": {"global": {"colorSchemeMode": "DARK", "pageFooter": {"enabled": False}},
                       "form": {"location": {"horizontal": "CENTER", "vertical": "CENTER"}}},
        "components": {"form": {"logo": {"formInclusion": "OUT", "location": "CENTER"}}},
    }, Assets=[asset("FORM_LOGO", FORM_LOGO, "DARK")])
    page.goto(login_url(dp, app, client_id))  # a light browser: the style's DARK scheme still rules
    assert css(page, "body", "backgroundColor") == "rgb(16, 24, 32)"
    assert page.locator("main .brand").count() == 0 and loaded(page, ".stage > .brand img") == 56
    assert loaded(page, "header img") == 40  # the DARK header logo
    assert page.locator("footer").count() == 0
    box, viewport = page.locator("main").bounding_box(), page.viewport_size
    assert abs(box["x"] + box["width"] / 2 - viewport["width"] / 2) < 2  # centred
    shoot(page, "login-branding-dark-logo-outside")

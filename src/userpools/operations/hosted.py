"""The hosted pages' account flows (sign-up, confirmation, password recovery) and what their forms show.

Each flow is the API operation's own logic (``signup``, ``recovery``: validation, triggers,
PreventUserExistenceErrors, rate limits and attempt limits), called with the request the app would have sent:
the server knows the client's secret, so it adds the SecretHash the operation checks, as the hosted sign-in
does (``operations.oauth``). ``form_of`` gathers what a page needs to show: which username the pool takes, the
required attributes the client may write, the password policy, the terms links and the page's style.
"""

from __future__ import annotations

import base64
import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from userpools.domain import branding as branding_domain
from userpools.domain import terms as terms_domain
from userpools.domain import ui_customization as ui_domain
from userpools.domain import users as user_domain
from userpools.domain.domains import DEFAULT_MANAGED_LOGIN_VERSION
from userpools.domain.records import ClientRecord, PoolRecord
from userpools.domain.resources import DOMAIN, domain_key
from userpools.operations import recovery, replica_guard, signup
from userpools.operations.branding import branding_of_client
from userpools.operations.common import answers_held, client_secret, load_client, secret_hash
from userpools.operations.context import Context
from userpools.operations.terms import terms_by_client
from userpools.operations.ui_customization import effective_customization

#: The standard attributes' input types on the sign-up form (anything else is text).
_INPUT_TYPES = {"email": "email", "phone_number": "tel", "birthdate": "date", "website": "url",
                "profile": "url", "picture": "url"}


@dataclass(frozen=True)
class Picture:
    """An image of the style for a page: ``src`` in the page's scheme; with ``colorSchemeMode`` ``DYNAMIC``,
    ``dark`` is the one for a browser in dark mode (a ``<picture>`` source) when it differs, and ``only``
    (``light`` or ``dark``) says the image is shown in that mode alone (the style has none for the other)."""

    src: str
    dark: str | None = None
    only: str | None = None


@dataclass(frozen=True)
class Bar:
    """The page header or footer of a managed login page: its logo and where the logo sits."""

    logo: Picture | None = None
    location: str = "start"  # start, center, end (the logo's place in the bar)


@dataclass(frozen=True)
class Style:
    """A page's look: ManagedLoginVersion 1 → the classic UI's CSS and logo URL (SetUICustomization);
    version 2 → the CSS variables drawn from the managed login branding (``vars`` in light mode, ``dark_vars`` in
    dark mode, ``layout_vars`` in both) and its images (form logo, header, footer, favicons)."""

    version: int
    css: str | None = None
    logo: str | None = None  # a URL (version 1) or a data: URL (version 2)
    vars: dict[str, str] = field(default_factory=dict)
    dark_vars: dict[str, str] = field(default_factory=dict)
    scheme: str = "LIGHT"
    layout_vars: dict[str, str] = field(default_factory=dict)
    logo_dark: str | None = None  # version 2, DYNAMIC: the form logo in dark mode, when it differs
    logo_only: str | None = None  # version 2, DYNAMIC: light or dark when the form logo is for that mode alone
    logo_location: str = "center"  # version 2: start, center, end
    logo_outside: bool = False  # version 2: the form logo above the form instead of in it
    header: Bar | None = None
    footer: Bar | None = None
    favicons: tuple[tuple[str, str, str | None], ...] = ()  # (MIME type, data: URL, media query or None)
    graphics: dict[str, Picture] = field(default_factory=dict)  # EMAIL, SMS, AUTH_APP, PASSWORD, PASSKEY


@dataclass(frozen=True)
class Form:
    """What the sign-up and recovery pages show for a client of the pool."""

    username_kind: str  # "username", "email", "phone_number" or "email_or_phone" (UsernameAttributes)
    required: tuple[tuple[str, str], ...]  # (attribute, input type) the user must give, writable by the client
    policy: dict[str, Any]
    terms: dict[str, str] | None  # {TermsName: URL} when both documents exist


def _username_kind(pool: PoolRecord) -> str:
    names = set(pool.settings.get("UsernameAttributes") or [])
    if names == {"email", "phone_number"}:
        return "email_or_phone"
    return next(iter(names)) if names else "username"


def _required(pool: PoolRecord, client: ClientRecord, kind: str) -> tuple[tuple[str, str], ...]:
    writable = user_domain.writable_attributes(pool.settings, client.settings.get("WriteAttributes"))
    out = []
    for name, entry in user_domain.schema(pool.settings).items():
        if not entry.get("Required") or name not in writable or name == kind:
            continue
        out.append((name, _INPUT_TYPES.get(name, "text")))
    return tuple(out)


def _hex(colour: Any) -> str | None:
    """Cognito's ``RRGGBBAA`` (already checked on input) → CSS ``#RRGGBBAA``."""
    return f"#{colour}" if isinstance(colour, str) and colour.isalnum() and len(colour) in (6, 8) else None


def _get(tree: Any, *path: str) -> Any:
    for name in path:
        tree = tree.get(name) if isinstance(tree, dict) else None
    return tree


_MIME = {"SVG": "image/svg+xml", "PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp",
         "ICO": "image/x-icon"}
#: [C: settings' places START, CENTER, END; TOP, BOTTOM] → CSS flex positions
_PLACES = {"START": "flex-start", "CENTER": "center", "END": "flex-end", "TOP": "flex-start",
           "BOTTOM": "flex-end"}
#: [U] categories.global.spacingDensity → a factor on the form's spacing
_DENSITY = {"COMPACT": "0.75", "REGULAR": "1", "SPACIOUS": "1.3"}


#: An asset up to this size (base64 characters) is inlined as a data: URL; a larger one is served by the domain
#: at ``asset_path`` (cached by the browser: the path names the content) [U: how Cognito serves its assets]
INLINE_LIMIT = 8192
ASSETS_PATH = "/managed-login/assets"


def asset_digest(encoded: str) -> str:
    """The name of an asset's content in its URL."""
    return hashlib.sha256(encoded.encode("ascii")).hexdigest()[:24]


#: Digests of the assets pages have drawn, by (style id, its last change, ResourceId, size, last characters): a
#: page of an unchanged style hashes nothing (2 MB of assets take several milliseconds to hash). Bounded.
_DIGESTS: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_DIGESTS_KEPT = 512


def _known_digest(version: tuple[Any, ...] | None, asset: Mapping[str, Any], encoded: str) -> str:
    if version is None:
        return asset_digest(encoded)
    key = (*version, asset.get("ResourceId"), len(encoded), encoded[-48:])
    found = _DIGESTS.get(key)
    if found is None:
        found = _DIGESTS[key] = asset_digest(encoded)
        if len(_DIGESTS) > _DIGESTS_KEPT:
            _DIGESTS.popitem(last=False)
    return found


def _encoded(asset: Mapping[str, Any]) -> str:
    data = asset["Bytes"]
    return base64.b64encode(data).decode("ascii") if isinstance(data, bytes) else str(data)




class _Assets:
    """The style's images by category, for a colour mode: the style's asset of that mode, else its ``DYNAMIC`` one
    (shown in every mode) [C: "displays a dark-mode image only when the browser or application is in dark mode,
    but displays a browser-adaptive file in all contexts"]; a category the style has no asset of at all takes our
    default (the form logo)."""

    def __init__(self, own: list[dict[str, Any]], base: str = "", client_id: str | None = None,
                 version: tuple[Any, ...] | None = None) -> None:
        self._own = [a for a in own if a.get("Bytes")]
        self._base, self._client_id, self._version = base, client_id, version
        self._urls: dict[tuple[str, str], str | None] = {}
        self._by_asset: dict[int, str] = {}  # an asset's URL (a DYNAMIC one serves both modes: made once)

    def _asset_url(self, asset: Mapping[str, Any]) -> str:
        made = self._by_asset.get(id(asset))
        if made is None:
            encoded, extension = _encoded(asset), str(asset.get("Extension"))
            if len(encoded) <= INLINE_LIMIT or not self._base or not self._client_id:
                made = f"data:{_MIME.get(extension, 'image/png')};base64,{encoded}"
            else:
                made = (f"{self._base}{ASSETS_PATH}/{quote(self._client_id, safe='')}/"
                        f"{_known_digest(self._version, asset, encoded)}"
                        f".{extension.lower()}")
            self._by_asset[id(asset)] = made
        return made

    def url(self, category: str, mode: str) -> str | None:
        key = (category, mode)
        if key not in self._urls:
            own = {a.get("ColorMode"): a for a in self._own if a.get("Category") == category}
            pool = own or {a.get("ColorMode"): a for a in branding_domain.DEFAULT_ASSETS
                           if a.get("Category") == category}
            found = pool.get(mode) or pool.get("DYNAMIC")
            self._urls[key] = self._asset_url(found) if found is not None else None
        return self._urls[key]

    def picture(self, category: str, scheme: str) -> Picture | None:
        if scheme != "DYNAMIC":
            url = self.url(category, scheme)
            return Picture(url) if url is not None else None
        light, dark = self.url(category, "LIGHT"), self.url(category, "DARK")
        if light is not None and dark is not None:
            return Picture(light, dark if dark != light else None)
        if light is not None:
            return Picture(light, only="light")
        return Picture(dark, only="dark") if dark is not None else None


def _branding_vars(settings: dict[str, Any], mode: str, assets: _Assets) -> dict[str, str]:
    comp, cls = settings.get("components") or {}, settings.get("componentClasses") or {}
    wanted = {
        "page-bg": _get(comp, "pageBackground", mode, "color"),
        "card-bg": _get(comp, "form", mode, "backgroundColor"),
        "card-border": _get(comp, "form", mode, "borderColor"),
        "accent": _get(comp, "primaryButton", mode, "defaults", "backgroundColor"),
        "accent-text": _get(comp, "primaryButton", mode, "defaults", "textColor"),
        "accent-hover": _get(comp, "primaryButton", mode, "hover", "backgroundColor"),
        "accent-hover-text": _get(comp, "primaryButton", mode, "hover", "textColor"),
        "accent-active": _get(comp, "primaryButton", mode, "active", "backgroundColor"),
        "secondary-bg": _get(comp, "secondaryButton", mode, "defaults", "backgroundColor"),
        "secondary-text": _get(comp, "secondaryButton", mode, "defaults", "textColor"),
        "secondary-border": _get(comp, "secondaryButton", mode, "defaults", "borderColor"),
        "secondary-hover-bg": _get(comp, "secondaryButton", mode, "hover", "backgroundColor"),
        "secondary-hover-text": _get(comp, "secondaryButton", mode, "hover", "textColor"),
        "idp-bg": _get(comp, "idpButton", "standard", mode, "defaults", "backgroundColor"),
        "idp-text": _get(comp, "idpButton", "standard", mode, "defaults", "textColor"),
        "idp-border": _get(comp, "idpButton", "standard", mode, "defaults", "borderColor"),
        "idp-hover-bg": _get(comp, "idpButton", "standard", mode, "hover", "backgroundColor"),
        "idp-hover-text": _get(comp, "idpButton", "standard", mode, "hover", "textColor"),
        "idp-hover-border": _get(comp, "idpButton", "standard", mode, "hover", "borderColor"),
        "idp-active-bg": _get(comp, "idpButton", "standard", mode, "active", "backgroundColor"),
        "heading": _get(comp, "pageText", mode, "headingColor"),
        "text": _get(comp, "pageText", mode, "bodyColor"),
        "muted": _get(comp, "pageText", mode, "descriptionColor"),
        "input-bg": _get(cls, "input", mode, "defaults", "backgroundColor"),
        "border": _get(cls, "input", mode, "defaults", "borderColor"),
        "placeholder": _get(cls, "input", mode, "placeholderColor"),
        "hint": _get(cls, "inputDescription", mode, "textColor"),
        "label": _get(cls, "inputLabel", mode, "textColor"),
        "focus": _get(cls, "focusState", mode, "borderColor"),
        "link": _get(cls, "link", mode, "defaults", "textColor"),
        "link-hover": _get(cls, "link", mode, "hover", "textColor"),
        "divider": _get(cls, "divider", mode, "borderColor"),
        "error": _get(comp, "alert", mode, "error", "borderColor"),
        "error-bg": _get(comp, "alert", mode, "error", "backgroundColor"),
        "header-bg": _get(comp, "pageHeader", mode, "background", "color"),
        "header-border": _get(comp, "pageHeader", mode, "borderColor"),
        "footer-bg": _get(comp, "pageFooter", mode, "background", "color"),
        "footer-border": _get(comp, "pageFooter", mode, "borderColor"),
    }
    out = {name: css for name, value in wanted.items() if (css := _hex(value)) is not None}
    asset_mode = "DARK" if mode == "darkMode" else "LIGHT"
    for name, enabled, category in (
        ("page-bg-image", ("pageBackground", "image", "enabled"), "PAGE_BACKGROUND"),
        ("card-bg-image", ("form", "backgroundImage", "enabled"), "FORM_BACKGROUND"),
        ("header-bg-image", ("pageHeader", "backgroundImage", "enabled"), "PAGE_HEADER_BACKGROUND"),
        ("footer-bg-image", ("pageFooter", "backgroundImage", "enabled"), "PAGE_FOOTER_BACKGROUND"),
    ):
        # a data: URL in an unquoted url(): base64 has no quote, bracket or space [C: CSS url-token]; "none" in a
        # mode without an image, so dark mode does not keep the light mode's
        url = assets.url(category, asset_mode) if _get(comp, *enabled) is True else None
        out[name] = f"url({url})" if url is not None else "none"
    return out


def _layout_vars(settings: dict[str, Any]) -> dict[str, str]:
    """What does not change with the colour mode: corner radii, the form's place, the spacing."""
    out: dict[str, str] = {}
    for name, path in (("card-radius", ("components", "form", "borderRadius")),
                       ("button-radius", ("componentClasses", "buttons", "borderRadius")),
                       ("input-radius", ("componentClasses", "input", "borderRadius")),
                       ("alert-radius", ("components", "alert", "borderRadius"))):
        radius = _get(settings, *path)
        if isinstance(radius, int | float) and not isinstance(radius, bool) and 0 <= radius <= 64:
            out[name] = f"{radius:g}px"
    location = _get(settings, "categories", "form", "location") or {}
    if (horizontal := _PLACES.get(str(_get(location, "horizontal")))) is not None:
        out["form-x"] = horizontal
    if (vertical := _PLACES.get(str(_get(location, "vertical")))) is not None:
        out["form-y"] = vertical
    if (density := _DENSITY.get(str(_get(settings, "categories", "global", "spacingDensity")))) is not None:
        out["density"] = density
    return out


def _place(value: Any) -> str:
    return str(value).lower() if value in ("START", "CENTER", "END") else "start"


def _bar(settings: dict[str, Any], name: str, category: str, assets: _Assets, scheme: str) -> Bar | None:
    """The page header (``pageHeader``) or footer (``pageFooter``): drawn when
    ``categories.global.<name>.enabled``; its logo when ``components.<name>.logo.enabled``."""
    if _get(settings, "categories", "global", name, "enabled") is not True:
        return None
    logo = _get(settings, "components", name, "logo") or {}
    picture = assets.picture(category, scheme) if logo.get("enabled") is True else None
    return Bar(picture, _place(logo.get("location")))


def _favicons(settings: dict[str, Any], assets: _Assets, scheme: str) -> tuple[tuple[str, str, str | None], ...]:
    """``components.favicon.enabledTypes`` (ICO, SVG) with a FAVICON_ICO/FAVICON_SVG asset: ``<link rel=icon>``s
    with data: URLs (the CSP's img-src allows data:); with ``DYNAMIC``, a dark one for dark browsers."""
    enabled = _get(settings, "components", "favicon", "enabledTypes")
    out: list[tuple[str, str, str | None]] = []
    for kind in ("SVG", "ICO"):  # the SVG first: browsers take the last icon they can use, ICO as the fallback
        if not isinstance(enabled, list) or kind not in enabled:
            continue
        picture = assets.picture(f"FAVICON_{kind}", scheme)
        if picture is None:
            continue
        mime = _MIME[kind]
        if picture.dark:
            out.append((mime, picture.src, "(prefers-color-scheme: light)"))
            out.append((mime, picture.dark, "(prefers-color-scheme: dark)"))
        else:
            out.append((mime, picture.src, f"(prefers-color-scheme: {picture.only})" if picture.only else None))
    return tuple(out)


#: The graphics of the factors' pages [C: the asset categories; U: which page shows which]
_GRAPHICS = ("EMAIL", "SMS", "AUTH_APP", "PASSWORD", "PASSKEY")


def _graphics(settings: dict[str, Any], assets: _Assets, scheme: str) -> dict[str, Picture]:
    """``categories.form.displayGraphics`` with an ``<KIND>_GRAPHIC`` asset: the picture on that factor's page."""
    if _get(settings, "categories", "form", "displayGraphics") is False:
        return {}
    return {kind: picture for kind in _GRAPHICS if (picture := assets.picture(f"{kind}_GRAPHIC", scheme))}


def _branding_style(document: dict[str, Any], base: str = "", client_id: str | None = None,
                    version: tuple[Any, ...] | None = None) -> Style:
    """``base``: the domain's URL, under which the larger assets are served (without it every asset is inline);
    ``version``: what names this state of the style (its id and last change), to reuse the assets' digests."""
    settings = branding_domain.merged(document)["Settings"]
    scheme = str(_get(settings, "categories", "global", "colorSchemeMode") or "LIGHT")
    if scheme not in ("LIGHT", "DARK", "DYNAMIC"):
        scheme = "LIGHT"
    assets = _Assets(list(document.get("Assets") or []), base, client_id, version)
    form_logo = _get(settings, "components", "form", "logo") or {}
    logo = assets.picture("FORM_LOGO", scheme) if form_logo.get("enabled") is not False else None
    return Style(2, logo=logo.src if logo else None, logo_dark=logo.dark if logo else None,
                 logo_only=logo.only if logo else None,
                 logo_location=_place(form_logo.get("location") or "CENTER"),
                 logo_outside=form_logo.get("formInclusion") == "OUT",
                 vars=_branding_vars(settings, "lightMode", assets),
                 dark_vars=_branding_vars(settings, "darkMode", assets), scheme=scheme,
                 layout_vars=_layout_vars(settings),
                 header=_bar(settings, "pageHeader", "PAGE_HEADER_LOGO", assets, scheme),
                 footer=_bar(settings, "pageFooter", "PAGE_FOOTER_LOGO", assets, scheme),
                 favicons=_favicons(settings, assets, scheme), graphics=_graphics(settings, assets, scheme))


async def style_of(ctx: Context, pool: PoolRecord, domain: str, client_id: str | None, base: str = "") -> Style:
    """The look of a domain's pages for a client: by the domain's ManagedLoginVersion. ``base``: the domain's URL
    (the larger branding assets are served under it, see ``branding_asset``)."""
    async with ctx.store.transaction(readonly=True) as tx:
        found = await tx.resources.get(DOMAIN, domain_key(domain))
        version = int((found.document if found else {}).get("ManagedLoginVersion") or DEFAULT_MANAGED_LOGIN_VERSION)
        if version == 2:
            branding = await branding_of_client(tx, pool.id, client_id) if client_id else None
            if branding is None:
                return _branding_style({}, base, client_id)
            return _branding_style(branding.document, base, client_id, (branding.key, branding.updated_at))
        custom = await effective_customization(tx, pool.id, client_id)
    if custom is None:
        return Style(1)
    path = ui_domain.image_path(custom.document)
    return Style(1, css=custom.document.get("CSS"), logo=ctx.settings.public_url + path if path else None)


async def branding_asset(ctx: Context, pool: PoolRecord, client_id: str, digest: str) -> tuple[str, bytes] | None:
    """An image of the client's managed login style by the digest of its content: (MIME type, bytes)."""
    async with ctx.store.transaction(readonly=True) as tx:
        branding = await branding_of_client(tx, pool.id, client_id)
    for asset in (branding.document.get("Assets") or []) if branding else []:
        encoded = _encoded(asset)
        if asset_digest(encoded) == digest:
            return _MIME.get(str(asset.get("Extension")), "application/octet-stream"), base64.b64decode(encoded)
    return None


async def form_of(ctx: Context, pool: PoolRecord, domain: str, client_id: str, lang: str | None) -> Form:
    async with ctx.store.transaction(readonly=True) as tx:
        client, pool = await load_client(tx, client_id)
        documents = await terms_by_client(tx, pool.id, client.id)
    kind = _username_kind(pool)
    policy = dict((pool.settings.get("Policies") or {}).get("PasswordPolicy") or {})
    return Form(kind, _required(pool, client, kind), policy, terms_domain.links_for(documents, lang))


async def _request(ctx: Context, operation: str, client_id: str, username: str, **members: Any) -> dict[str, Any]:
    """The API request the app would send, with the SecretHash of a client that has a secret; refused on a
    pool's secondary Region as the API ``operation`` is (``replica_guard``)."""
    async with ctx.store.transaction(readonly=True) as tx:
        client, pool = await load_client(tx, client_id)
    replica_guard.check_operation(pool, operation, ctx.settings.region)
    req: dict[str, Any] = {"ClientId": client_id, "Username": username, **members}
    secret = client_secret(ctx, client)
    if secret is not None:
        req["SecretHash"] = secret_hash(secret, username, client_id)
    return req


@answers_held
async def sign_up(ctx: Context, client_id: str, username: str, password: str,
                  attributes: dict[str, str]) -> dict[str, Any]:
    """SignUp's logic (PreSignUp, the policy, required attributes, the client's WriteAttributes)."""
    members = [{"Name": name, "Value": value} for name, value in attributes.items()]
    return await signup.sign_up(ctx, await _request(ctx, "SignUp", client_id, username, Password=password,
                                                    UserAttributes=members))


@answers_held
async def confirm_sign_up(ctx: Context, client_id: str, username: str, code: str) -> None:
    await signup.confirm_sign_up(ctx, await _request(ctx, "ConfirmSignUp", client_id, username, ConfirmationCode=code))


@answers_held
async def resend_code(ctx: Context, client_id: str, username: str) -> dict[str, Any]:
    return await signup.resend_confirmation_code(ctx, await _request(ctx, "ResendConfirmationCode", client_id, username))


@answers_held
async def forgot_password(ctx: Context, client_id: str, username: str) -> dict[str, Any]:
    return await recovery.forgot_password(ctx, await _request(ctx, "ForgotPassword", client_id, username))


@answers_held
async def confirm_forgot_password(ctx: Context, client_id: str, username: str, code: str, password: str) -> None:
    await recovery.confirm_forgot_password(
        ctx, await _request(ctx, "ConfirmForgotPassword", client_id, username, ConfirmationCode=code,
                            Password=password))

"""The hosted pages' account flows (sign-up, confirmation, password recovery) and what their forms show.

Each flow is the API operation's own logic (``signup``, ``recovery``: validation, triggers,
PreventUserExistenceErrors, rate limits and attempt limits), called with the request the app would have sent:
the server knows the client's secret, so it adds the SecretHash the operation checks, as the hosted sign-in
does (``operations.oauth``). ``form_of`` gathers what a page needs to show: which username the pool takes, the
required attributes the client may write, the password policy, the terms links and the page's style.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

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
class Style:
    """A page's look: ManagedLoginVersion 1 → the classic UI's CSS and logo URL (SetUICustomization);
    version 2 → the CSS variables drawn from the managed login branding (``vars``) and its form logo."""

    version: int
    css: str | None = None
    logo: str | None = None  # a URL (version 1) or a data: URL (version 2)
    vars: dict[str, str] = field(default_factory=dict)
    dark_vars: dict[str, str] = field(default_factory=dict)
    scheme: str = "LIGHT"


@dataclass(frozen=True)
class Form:
    """What the sign-up and recovery pages show for a client of the pool."""

    username_kind: str  # "username", "email", "phone_number" or "email_or_phone" (UsernameAttributes)
    required: tuple[tuple[str, str], ...]  # (attribute, input type) the user must give, writable by the client
    policy: dict[str, Any]
    terms: dict[str, str] | None  # {TermsName: URL} when both documents exist
    style: Style


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


def _branding_vars(settings: dict[str, Any], mode: str) -> dict[str, str]:
    comp, cls = settings.get("components") or {}, settings.get("componentClasses") or {}
    wanted = {
        "page-bg": _get(comp, "pageBackground", mode, "color"),
        "card-bg": _get(comp, "form", mode, "backgroundColor"),
        "card-border": _get(comp, "form", mode, "borderColor"),
        "accent": _get(comp, "primaryButton", mode, "defaults", "backgroundColor"),
        "accent-text": _get(comp, "primaryButton", mode, "defaults", "textColor"),
        "accent-hover": _get(comp, "primaryButton", mode, "hover", "backgroundColor"),
        "heading": _get(comp, "pageText", mode, "headingColor"),
        "text": _get(comp, "pageText", mode, "bodyColor"),
        "muted": _get(comp, "pageText", mode, "descriptionColor"),
        "input-bg": _get(cls, "input", mode, "defaults", "backgroundColor"),
        "border": _get(cls, "input", mode, "defaults", "borderColor"),
        "label": _get(cls, "inputLabel", mode, "textColor"),
        "focus": _get(cls, "focusState", mode, "borderColor"),
        "link": _get(cls, "link", mode, "defaults", "textColor"),
        "error": _get(comp, "alert", mode, "error", "borderColor"),
        "error-bg": _get(comp, "alert", mode, "error", "backgroundColor"),
    }
    out = {name: css for name, value in wanted.items() if (css := _hex(value)) is not None}
    for name, path in (("card-radius", ("components", "form", "borderRadius")),
                       ("button-radius", ("componentClasses", "buttons", "borderRadius")),
                       ("input-radius", ("componentClasses", "input", "borderRadius"))):
        radius = _get(settings, *path)
        if isinstance(radius, int | float) and 0 <= radius <= 64:
            out[name] = f"{radius:g}px"
    return out


_MIME = {"SVG": "image/svg+xml", "PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp",
         "ICO": "image/x-icon"}


def _branding_style(document: dict[str, Any]) -> Style:
    shown = branding_domain.merged(document)
    settings = shown["Settings"]
    scheme = str(_get(settings, "categories", "global", "colorSchemeMode") or "LIGHT")
    logo = None
    if _get(settings, "components", "form", "logo", "enabled") is not False:
        wanted = ("DARK", "DYNAMIC") if scheme == "DARK" else ("LIGHT", "DYNAMIC")
        logos = [a for a in shown["Assets"] if a.get("Category") == "FORM_LOGO" and a.get("ColorMode") in wanted
                 and a.get("Bytes")]
        logos.sort(key=lambda a: wanted.index(a["ColorMode"]))  # the scheme's own logo before a DYNAMIC one
        if logos:
            data = logos[0]["Bytes"]
            if isinstance(data, bytes):
                data = base64.b64encode(data).decode("ascii")
            logo = f"data:{_MIME.get(str(logos[0].get('Extension')), 'image/png')};base64,{data}"
    return Style(2, logo=logo, vars=_branding_vars(settings, "lightMode"),
                 dark_vars=_branding_vars(settings, "darkMode"), scheme=scheme)


async def style_of(ctx: Context, pool: PoolRecord, domain: str, client_id: str | None) -> Style:
    """The look of a domain's pages for a client: by the domain's ManagedLoginVersion."""
    async with ctx.store.transaction(readonly=True) as tx:
        found = await tx.resources.get(DOMAIN, domain_key(domain))
        version = int((found.document if found else {}).get("ManagedLoginVersion") or DEFAULT_MANAGED_LOGIN_VERSION)
        if version == 2:
            branding = await branding_of_client(tx, pool.id, client_id) if client_id else None
            return _branding_style(branding.document if branding else {})
        custom = await effective_customization(tx, pool.id, client_id)
    if custom is None:
        return Style(1)
    path = ui_domain.image_path(custom.document)
    return Style(1, css=custom.document.get("CSS"), logo=ctx.settings.public_url + path if path else None)


async def form_of(ctx: Context, pool: PoolRecord, domain: str, client_id: str, lang: str | None) -> Form:
    async with ctx.store.transaction(readonly=True) as tx:
        client, pool = await load_client(tx, client_id)
        documents = await terms_by_client(tx, pool.id, client.id)
    kind = _username_kind(pool)
    policy = dict((pool.settings.get("Policies") or {}).get("PasswordPolicy") or {})
    return Form(kind, _required(pool, client, kind), policy, terms_domain.links_for(documents, lang),
                await style_of(ctx, pool, domain, client_id))


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

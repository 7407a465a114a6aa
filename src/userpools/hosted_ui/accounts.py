"""The hosted account pages: /signup, /confirm, /resendcode, /forgotPassword, /confirmForgotPassword.

Every page carries the authorization request in its query string, as /login does (``client_id``,
``redirect_uri``, ``response_type``, ``state``, ``scope``, ``nonce``, ``code_challenge``…), re-checks it, and
hands it on in its form's action and its links, so the flow ends at the client's redirect_uri. The rules are the
API operations' (``operations.hosted`` calls them); this module maps their errors to the field they concern.

The forms use the classic hosted UI's field names [U: read from its pages, not documented]: ``username``,
``password``, ``requiredAttributes[<name>]`` (sign-up), ``confirmation_code`` (/confirm), ``code``,
``password``, ``confirmPassword`` (/confirmForgotPassword). Each form carries the ``_csrf`` token.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from userpools.domain import oauth as rules
from userpools.errors import (
    AliasExistsException,
    CodeMismatchException,
    CognitoError,
    ExpiredCodeException,
    InvalidParameterException,
    InvalidPasswordException,
    PasswordHistoryPolicyViolationException,
    UsernameExistsException,
    UserNotFoundException,
)
from userpools.hosted_ui import csrf
from userpools.hosted_ui.pages import Page, page_for, render
from userpools.oauth.endpoints import GetContext, error_page_redirect, not_found, set_session
from userpools.oauth.responses import redirect
from userpools.oauth.site import Site, site_of
from userpools.operations import hosted
from userpools.operations import oauth as flows

_ATTRIBUTE_FIELD = re.compile(r"requiredAttributes\[([\w:.-]{1,64})\]")
#: The parameters a page adds to the authorization request it carries (never handed to another page twice).
_PAGE_PARAMS = ("username", "deliveryMedium", "destination", "notice")
_AUTOCOMPLETE = {"email": "email", "phone_number": "tel", "given_name": "given-name", "family_name": "family-name",
                 "name": "name", "birthdate": "bday", "address": "street-address", "nickname": "nickname",
                 "locale": "language", "website": "url"}
#: The notices a page shows from its query (``notice=``): only these, by their text key.
NOTICES = frozenset({"confirmed", "resent", "password_changed"})


@dataclass
class Visit:
    """One request to an account page: its domain, the authorization request, the page's language and look."""

    request: Request
    site: Site
    params: dict[str, str]
    page: Page

    @property
    def client_id(self) -> str:
        return self.params["client_id"]

    def query(self, **extra: str | None) -> str:
        kept = {k: v for k, v in self.params.items() if k not in _PAGE_PARAMS}
        kept.update({k: v for k, v in extra.items() if v})
        return urlencode(kept)

    def url(self, path: str, **extra: str | None) -> str:
        return self.site.url(f"{path}?{self.query(**extra)}")

    def links(self) -> dict[str, str]:
        return {"login": self.url("/login"), "signup": self.url("/signup"), "forgot": self.url("/forgotPassword")}


def _form_fields(form: Any) -> dict[str, str]:
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


class AccountPages:
    def __init__(self, context: GetContext) -> None:
        self._context = context

    async def _visit(self, request: Request) -> Visit | Response:
        ctx = self._context()
        site = await site_of(request, ctx)
        if site is None:
            return not_found()
        params = dict(request.query_params)
        page = page_for(params.get("lang"), site.base, request.headers.get("accept-language"))
        try:
            await flows.check_login_request(ctx, site.pool, params)
        except rules.PageError as exc:
            return error_page_redirect(site, exc, params)
        except flows.AuthorizeRedirect as exc:
            return redirect(exc.location)
        style = await hosted.style_of(ctx, site.pool, site.domain, params.get("client_id"))
        return Visit(request, site, params, page.styled(style))

    def _render(self, visit: Visit, template: str, *, status: int = 200, **values: Any) -> Response:
        token, is_new = csrf.token_for(visit.request.cookies.get(csrf.COOKIE))
        values.setdefault("errors", {})
        values.setdefault("values", {})
        values.setdefault("banner", None)
        notice = visit.params.get("notice")
        values.setdefault("notice", visit.page.t[notice] if notice in NOTICES else None)
        response = render(visit.page, template, status=status, csrf=token, links=visit.links(), **values)
        if is_new:
            response.set_cookie(csrf.COOKIE, token, path=visit.site.cookie_path, secure=visit.site.secure,
                                httponly=True, samesite="lax")
        return response

    async def _posted(self, visit: Visit) -> dict[str, str] | None:
        """The form's fields, or None when its CSRF token is not the browser's."""
        form = _form_fields(await visit.request.form())
        return form if csrf.valid(visit.request.cookies.get(csrf.COOKIE), form.get(csrf.FIELD)) else None

    async def _page(self, request: Request,
                    handle: Callable[[Visit, dict[str, str] | None], Awaitable[Response]]) -> Response:
        visit = await self._visit(request)
        if isinstance(visit, Response):
            return visit
        if request.method == "GET":
            return await handle(visit, None)
        form = await self._posted(visit)
        if form is None:
            return await handle(visit, {"__csrf_failed__": visit.page.t["csrf"]})
        return await handle(visit, form)

    # --- /signup ------------------------------------------------------------------------------------------

    async def signup(self, request: Request) -> Response:
        return await self._page(request, self._signup)

    async def _signup(self, visit: Visit, form: dict[str, str] | None) -> Response:
        ctx, t = self._context(), visit.page.t
        shape = await hosted.form_of(ctx, visit.site.pool, visit.site.domain, visit.client_id,
                                     visit.params.get("lang"))

        def show(status: int = 200, **values: Any) -> Response:
            return self._render(visit, "signup.html", status=status, form=shape, action=visit.url("/signup"),
                                autocompletes=_AUTOCOMPLETE, **values)

        if form is None:
            return show()
        if "__csrf_failed__" in form:
            return show(403, banner=form["__csrf_failed__"])
        username, password = form.get("username", "").strip(), form.get("password", "")
        attributes = {m.group(1): v.strip() for k, v in form.items() if (m := _ATTRIBUTE_FIELD.fullmatch(k))}
        kept = {"username": username, **attributes}
        errors = {name: t["required"] for name, _type in shape.required if not attributes.get(name)}
        if not username:
            errors["username"] = t["required"]
        if not password:
            errors["password"] = t["required"]
        if errors:
            return show(400, errors=errors, values=kept)
        if shape.username_kind in ("email", "phone_number"):
            attributes[shape.username_kind] = username  # the username is the attribute [C: UsernameAttributes]
        elif shape.username_kind == "email_or_phone":
            attributes["phone_number" if username.startswith("+") else "email"] = username
        try:
            out = await hosted.sign_up(ctx, visit.client_id, username, password, attributes)
        except CognitoError as exc:
            return show(400, values=kept, **_signup_error(visit.page, exc, shape))
        if out.get("UserConfirmed"):
            return await self._sign_in(visit, username, password, "confirmed")
        details = out.get("CodeDeliveryDetails") or {}
        return redirect(visit.url("/confirm", username=username, deliveryMedium=details.get("DeliveryMedium"),
                                  destination=details.get("Destination")))

    async def _sign_in(self, visit: Visit, username: str, password: str, notice: str) -> Response:
        """The user just proved the password (sign-up confirmed at once, or a password reset): signed in as the
        hosted sign-in does, session and all; a step the pages cannot take here → the sign-in page."""
        try:
            outcome = await flows.sign_in(self._context(), visit.site.pool, visit.params, username, password)
        except flows.AuthorizeRedirect as exc:
            return redirect(exc.location)
        except CognitoError:
            return redirect(visit.url("/login", username=username, notice=notice))
        if not isinstance(outcome, flows.Redirect):
            # a new password or a second factor to give: the sign-in page, where the user signs in again and
            # its challenge pages follow [U: whether managed login goes straight to the MFA page here]
            return redirect(visit.url("/login", username=username, notice=notice))
        response = redirect(outcome.location)
        if outcome.session_secret:
            set_session(response, visit.site, outcome.session_secret)
        return response

    # --- /confirm and /resendcode -------------------------------------------------------------------------

    async def confirm(self, request: Request) -> Response:
        return await self._page(request, self._confirm)

    def _confirm_page(self, visit: Visit, status: int = 200, **values: Any) -> Response:
        username = visit.params.get("username")
        return self._render(visit, "confirm.html", status=status, username=username,
                            medium=visit.params.get("deliveryMedium"), destination=visit.params.get("destination"),
                            action=visit.url("/confirm", username=username),
                            resend_action=visit.url("/resendcode", username=username), **values)

    async def _confirm(self, visit: Visit, form: dict[str, str] | None) -> Response:
        t = visit.page.t
        if form is None:
            return self._confirm_page(visit)
        if "__csrf_failed__" in form:
            return self._confirm_page(visit, 403, banner=form["__csrf_failed__"])
        username = (visit.params.get("username") or form.get("username", "")).strip()
        code = form.get("confirmation_code", "").strip()
        errors = {}
        if not username:
            errors["username"] = t["required"]
        if not code:
            errors["code"] = t["required"]
        if errors:
            return self._confirm_page(visit, 400, errors=errors)
        try:
            await hosted.confirm_sign_up(self._context(), visit.client_id, username, code)
        except (CodeMismatchException, ExpiredCodeException) as exc:
            return self._confirm_page(visit, 400, errors={"code": t[exc.message]}, values={"code": code})
        except UserNotFoundException as exc:
            return self._confirm_page(visit, 400, errors={"username": t[exc.message]})
        except CognitoError as exc:
            return self._confirm_page(visit, 400, banner=t[exc.message])
        return redirect(visit.url("/login", username=username, notice="confirmed"))

    async def resend_code(self, request: Request) -> Response:
        return await self._page(request, self._resend)

    async def _resend(self, visit: Visit, form: dict[str, str] | None) -> Response:
        if form is None or "__csrf_failed__" in form:
            # a new code is sent by the form's POST only (CSRF-checked); a GET shows the confirmation page
            return redirect(visit.url("/confirm", username=visit.params.get("username")))
        username = (visit.params.get("username") or form.get("username", "")).strip()
        try:
            out = await hosted.resend_code(self._context(), visit.client_id, username)
        except CognitoError as exc:
            return self._confirm_page(visit, 400, banner=visit.page.t[exc.message])
        details = out.get("CodeDeliveryDetails") or {}
        return redirect(visit.url("/confirm", username=username, deliveryMedium=details.get("DeliveryMedium"),
                                  destination=details.get("Destination"), notice="resent"))

    # --- /forgotPassword and /confirmForgotPassword ------------------------------------------------------

    async def forgot_password(self, request: Request) -> Response:
        return await self._page(request, self._forgot)

    async def _forgot(self, visit: Visit, form: dict[str, str] | None) -> Response:
        t = visit.page.t

        def show(status: int = 200, **values: Any) -> Response:
            return self._render(visit, "forgot_password.html", status=status, action=visit.url("/forgotPassword"),
                                **values)

        if form is None:
            return show(username=visit.params.get("username"))
        if "__csrf_failed__" in form:
            return show(403, banner=form["__csrf_failed__"])
        username = form.get("username", "").strip()
        if not username:
            return show(400, errors={"username": t["required"]})
        try:
            out = await hosted.forgot_password(self._context(), visit.client_id, username)
        except UserNotFoundException as exc:
            return show(400, username=username, errors={"username": t[exc.message]})
        except CognitoError as exc:
            return show(400, username=username, banner=t[exc.message])
        details = out.get("CodeDeliveryDetails") or {}
        return redirect(visit.url("/confirmForgotPassword", username=username,
                                  deliveryMedium=details.get("DeliveryMedium"), destination=details.get("Destination")))

    async def confirm_forgot_password(self, request: Request) -> Response:
        return await self._page(request, self._confirm_forgot)

    async def _confirm_forgot(self, visit: Visit, form: dict[str, str] | None) -> Response:
        ctx, t = self._context(), visit.page.t
        username = visit.params.get("username")
        policy = (visit.site.pool.settings.get("Policies") or {}).get("PasswordPolicy") or {}

        def show(status: int = 200, **values: Any) -> Response:
            return self._render(visit, "confirm_forgot_password.html", status=status, username=username,
                                policy=policy, medium=visit.params.get("deliveryMedium"),
                                destination=visit.params.get("destination"),
                                action=visit.url("/confirmForgotPassword", username=username), **values)

        if form is None:
            return show()
        if "__csrf_failed__" in form:
            return show(403, banner=form["__csrf_failed__"])
        name = (username or form.get("username", "")).strip()
        code, password, again = form.get("code", "").strip(), form.get("password", ""), form.get("confirmPassword", "")
        errors = {key: t["required"] for key, value in (("username", name), ("code", code), ("password", password))
                  if not value}
        if not errors and password != again:
            errors["confirmPassword"] = t["passwords_differ"]
        if errors:
            return show(400, errors=errors, values={"code": code})
        try:
            await hosted.confirm_forgot_password(ctx, visit.client_id, name, code, password)
        except (CodeMismatchException, ExpiredCodeException) as exc:
            return show(400, errors={"code": t[exc.message]}, values={"code": code})
        except (InvalidPasswordException, PasswordHistoryPolicyViolationException) as exc:
            return show(400, errors={"password": t[exc.message]}, values={"code": code})
        except CognitoError as exc:
            return show(400, banner=t[exc.message], values={"code": code})
        return await self._sign_in(visit, name, password, "password_changed")


def _signup_error(page: Page, exc: CognitoError, shape: hosted.Form) -> dict[str, Any]:
    """SignUp's error → next to the field it concerns (username, password, an attribute named in the message),
    else a banner."""
    message = page.t[exc.message]
    if isinstance(exc, UsernameExistsException | AliasExistsException):
        return {"errors": {"username": message}}
    if isinstance(exc, InvalidPasswordException):
        return {"errors": {"password": message}}
    if isinstance(exc, InvalidParameterException):
        for name, _type in shape.required:
            if name in exc.message:
                return {"errors": {name: message}}
        if shape.username_kind != "username" and ("email" in exc.message or "phone" in exc.message):
            return {"errors": {"username": message}}
    return {"banner": message}

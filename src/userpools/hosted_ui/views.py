"""The hosted pages' handlers: /login (sign-in and new-password forms, and the challenge pages of ``challenges``) and
/error (the account pages are in ``accounts``).

/login carries the authorization request in its query string (``/oauth2/authorize`` redirects there with
it, as Cognito does), re-checks it on every request, and ends a successful sign-in with the domain's session
cookie and a redirect to the client's redirect_uri with the code (or, implicit grant, the tokens).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any

from markupsafe import escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from userpools.domain import oauth as rules
from userpools.domain.cimd import is_metadata_url
from userpools.errors import (
    CognitoError,
    InvalidPasswordException,
    PasswordResetRequiredException,
    UserNotConfirmedException,
    UserNotFoundException,
)
from userpools.hosted_ui import csrf
from userpools.hosted_ui.accounts import NOTICES
from userpools.hosted_ui.challenges import ChallengePages
from userpools.hosted_ui.pages import Page, page_for, render, render_text, state_value
from userpools.oauth.endpoints import (
    GetContext,
    decode_form,
    error_page_redirect,
    not_found,
    query_of,
    raw_query,
    set_session,
)
from userpools.oauth.responses import redirect, set_cookie
from userpools.oauth.site import Site, memo_key, site_of
from userpools.operations import hosted, hosted_mfa, oauth_limits, signin
from userpools.operations import oauth as flows
from userpools.operations.context import Context, Memo
from userpools.operations.hosted import Style
from userpools.operations.passkeys import web_authn_allowed

_ATTRIBUTE_FIELD = re.compile(r"requiredAttributes\[([\w:.-]{1,64})\]")


def _with_csrf(response: Response, site: Site, token: str, is_new: bool) -> Response:
    if is_new:
        set_cookie(response, csrf.COOKIE, token, path=site.cookie_path, secure=site.secure)
    return response


def _login_errors(page: Page, exc: CognitoError) -> tuple[dict[str, str], str | None]:
    """A sign-in failure → (errors by field, banner). Cognito's own messages, in the page's language."""
    message = page.t[exc.message]
    if isinstance(exc, UserNotFoundException):
        return {"username": message}, None
    if exc.message == signin.INCORRECT:
        return {"password": message}, None
    return {}, message


def _carried(params: dict[str, str], **extra: str) -> str:
    """The authorization request's query without the page's own additions, plus ``extra``."""
    return rules.form_encode({**{k: v for k, v in params.items() if k not in ("username", "notice")}, **extra})


@dataclass(frozen=True, slots=True)
class _Prepared:
    """What a /login request line decides before its form: the site, the authorization request, the look."""

    site: Site
    checked: flows.AuthorizeRequest
    style: Style

    def __iter__(self) -> Iterator[Any]:
        return iter((self.site, self.checked, self.style))


_PREPARED = "hosted-login"
_FORM_PAGE = "hosted-login-form"
#: what stands for a request's own values in a kept sign-in page: letters and digits, which escaping leaves as
#: they are and which no text of the page holds
_MARK = "upMark7q"
_MARKS = re.compile(_MARK + r"(?:Csrf|Action|User|Link[a-z]+|Idp[0-9]+x)")


def _mark_values(values: dict[str, Any]) -> list[tuple[str, str]]:
    """(mark, value) for each of a sign-in page's own values (``_login_values``): what ``_marked`` stands in for."""
    out = [(_MARK + "Csrf", values["csrf"]), (_MARK + "Action", values["action"])]
    if values["username"]:
        out.append((_MARK + "User", values["username"]))
    out += [(f"{_MARK}Link{name}", url) for name, url in sorted(values["links"].items())]
    out += [(f"{_MARK}Idp{i}x", url) for i, (_name, url) in enumerate(values["idp_buttons"])]
    return out


def _kept(marked_html: str) -> tuple[tuple[bytes, ...], tuple[str, ...]]:
    """A page rendered with ``_marked(values)``, cut at its marks: (the page's text before, between and after
    them, UTF-8 encoded; the marks). What a kept sign-in page holds: filling it encodes only the values."""
    texts, marks, start = [], [], 0
    for found in _MARKS.finditer(marked_html):
        texts.append(marked_html[start:found.start()].encode())
        marks.append(found.group(0))
        start = found.end()
    texts.append(marked_html[start:].encode())
    return tuple(texts), tuple(marks)


def _filled(kept: tuple[tuple[bytes, ...], tuple[str, ...]], values: dict[str, Any]) -> bytes:
    """A kept page (``_kept``) as rendered with ``values``, UTF-8 encoded: each mark replaced by its value,
    escaped as the template escapes (nothing put in is read again)."""
    own = dict(_mark_values(values))
    texts, marks = kept
    pieces = [texts[0]]
    for mark, text in zip(marks, texts[1:], strict=True):
        pieces += (escape(own[mark]).encode(), text)
    return b"".join(pieces)


def _marked(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with a mark for each of the request's own values (see ``_mark_values``)."""
    return {**values, "csrf": _MARK + "Csrf", "action": _MARK + "Action",
            "username": _MARK + "User" if values["username"] else values["username"],
            "links": {name: f"{_MARK}Link{name}" for name in values["links"]},
            "idp_buttons": [(name, f"{_MARK}Idp{i}x") for i, (name, _url) in enumerate(values["idp_buttons"])]}


async def _posted_form(request: Request) -> dict[str, str]:
    """A posted form's fields: as Starlette parses it, but an url-encoded one (the sign-in form's) decoded
    by the token endpoint's parser (``oauth.endpoints.parse_form``), a tenth of python-multipart's CPU; a
    field sent twice keeps its last value, as ``dict(form.multi_items())`` did."""
    content_type = request.headers.get("content-type")
    if content_type and content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        return decode_form(await request.body())
    return {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str)}


class HostedPages:
    def __init__(self, context: GetContext) -> None:
        self._context = context
        self._challenges = ChallengePages(context)

    async def _prepared(self, ctx: Context, request: Request, params: dict[str, str]
                        ) -> tuple[_Prepared, Memo | None, Hashable] | Response:
        """The domain's site, the authorization request's checks and the pages' look for this /login request (an
        error's response instead), kept in the configuration's memo (``Store.config_memo``) under what they
        depend on: the domain as addressed, the parameters the checks decide by (``flows.decisive``: not state,
        nonce or code_challenge, which each sign-in draws anew) and the configuration (the client, its scopes'
        resource servers, the domain and its look all bump its generation). A client ID metadata document client
        is checked afresh each time (its document expires)."""
        memo = await ctx.store.config_memo()
        key = memo_key(_PREPARED, request, params)
        prepared = None if memo is None else memo.get(key)
        if prepared is not None:
            try:
                return _Prepared(prepared.site, flows.carried(prepared.checked, params), prepared.style), memo, key
            except flows.AuthorizeRedirect as exc:
                return redirect(exc.location)
        site = await site_of(request, ctx)
        if site is None:
            return not_found()
        try:
            checked = await flows.check_login_request(ctx, site.pool, params)
        except rules.PageError as exc:
            return error_page_redirect(site, exc, params)
        except flows.AuthorizeRedirect as exc:
            return redirect(exc.location)
        style = await hosted.style_of(ctx, site.pool, site.domain, params.get("client_id"), site.base)
        prepared = _Prepared(site, checked, style)
        if memo is not None and not is_metadata_url(checked.client_id):
            memo.remember(key, prepared)
        return prepared, memo, key

    async def login(self, request: Request) -> Response:
        ctx = self._context()
        params = query_of(request)
        found = await self._prepared(ctx, request, params)
        if isinstance(found, Response):
            return found
        (site, checked, style), memo, key = found
        page = page_for(params.get("lang"), site.base, request.headers.get("accept-language")).styled(style)
        # a button per provider the client supports, each the same request sent to that provider [C]
        carried = {k: v for k, v in params.items() if k not in ("identity_provider", "idp_identifier", "notice")}
        # request.state's values (``state_value`` reads them), set in the dict behind it
        state = request.scope.setdefault("state", {})
        state["idp_buttons"] = [
            (name, site.url("/oauth2/authorize?" + rules.form_encode(carried | {"identity_provider": name})))
            for name in checked.identity_providers
        ]
        state["password_form"] = checked.cognito_sign_in
        # "Sign in with a passkey" on managed login (version 2) pages only [O: passkeys are managed login's], where
        # the pool allows WEB_AUTHN first and the client USER_AUTH: read from what is loaded already (no query)
        state["passkey"] = page.style.version == 2 and checked.user_auth and web_authn_allowed(site.pool)
        if request.method == "GET":
            return self._first_login_form(request, site, page, params, memo, key)
        form = await _posted_form(request)
        if not csrf.valid(request.cookies.get(csrf.COOKIE), form.get(csrf.FIELD)):
            return self._login_form(request, site, page, banner=page.t["csrf"], status=403,
                                    username=form.get("username"))
        if "challenge_session" in form:
            if form.get("challenge_name", "NEW_PASSWORD_REQUIRED") == "NEW_PASSWORD_REQUIRED":
                return await self._new_password(request, site, page, params, form)
            return await self._challenges.answer(
                request, site, page, params, form, action=self._action(request, site),
                login_url=self._action(request, site), back=self._back(request, site, page),
                outcome=lambda outcome, account: self._outcome(request, site, page, outcome, account))
        if (form.get("passkey_add") or form.get("passkey_register")) and state_value(request, "passkey", False):
            return await self._challenges.add(request, site, page, params, form, action=self._action(request, site),
                                              back=self._back(request, site, page))
        if form.get("passkey") and state_value(request, "passkey", False):
            return await self._passkey(request, site, page, params, form.get("username", "").strip())
        username, password = form.get("username", "").strip(), form.get("password", "")
        if not username or not password:
            errors = {name: page.t["required"] for name, value in (("username", username), ("password", password))
                      if not value}
            return self._login_form(request, site, page, errors=errors, username=username, status=400)
        try:
            outcome = await flows.sign_in(ctx, site.pool, params, username, password,
                                          offer_passkey=state_value(request, "passkey", False),
                                          checked=None if memo is None else flows.Checked(checked, memo))
        except flows.AuthorizeRedirect as exc:
            return redirect(exc.location)
        except oauth_limits.LoginThrottled as exc:
            # [U] Cognito's hosted pages answer throttling with "Rate exceeded" (429); the form says it plainly
            response = self._login_form(request, site, page, banner=page.t["login_throttled"], username=username,
                                        status=429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except PasswordResetRequiredException:
            # the code an administrator's reset sent is entered on /confirmForgotPassword [U: the classic hosted
            # UI's step; the API answers PasswordResetRequiredException before checking the password too]
            return redirect(site.url(f"/confirmForgotPassword?{_carried(params, username=username)}"))
        except CognitoError as exc:
            errors, banner = _login_errors(page, exc)
            confirm = None
            if isinstance(exc, UserNotConfirmedException):  # told (as the API tells), with the way to confirm
                confirm = site.url(f"/confirm?{_carried(params, username=username)}")
            return self._login_form(request, site, page, errors=errors, banner=banner, username=username,
                                    status=400, confirm_link=confirm)
        return await self._outcome(request, site, page, outcome, username)

    async def _passkey(self, request: Request, site: Site, page: Page, params: dict[str, str],
                       username: str) -> Response:
        """"Sign in with a passkey" pressed: the WEB_AUTHN challenge's page for the name given."""
        if not username:
            return self._login_form(request, site, page, errors={"username": page.t["required"]}, status=400)
        try:
            outcome = await hosted_mfa.passkey_sign_in(self._context(), site.pool, params, username)
        except flows.AuthorizeRedirect as exc:
            return redirect(exc.location)
        except oauth_limits.LoginThrottled as exc:
            response = self._login_form(request, site, page, banner=page.t["login_throttled"], username=username,
                                        status=429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except CognitoError as exc:
            errors, banner = _login_errors(page, exc)
            return self._login_form(request, site, page, errors=errors, banner=banner, username=username,
                                    status=400)
        return await self._outcome(request, site, page, outcome, username)

    def _back(self, request: Request, site: Site, page: Page) -> Callable[..., Response]:
        """The sign-in form again, as a challenge page sends the user back to it."""
        def back(*, banner: str | None = None, username: str | None = None,
                 errors: dict[str, str] | None = None, status: int = 400) -> Response:
            return self._login_form(request, site, page, banner=banner, username=username, errors=errors,
                                    status=status)
        return back

    def _action(self, request: Request, site: Site) -> str:
        return site.url("/login?" + raw_query(request))

    @staticmethod
    def _links(request: Request, site: Site) -> dict[str, str]:
        """The sign-up and forgot-password links, with the authorization request (not the page's own additions);
        no sign-up link where only administrators create users [C: AllowAdminCreateUserOnly]."""
        query = _carried(query_of(request))
        links = {"forgot": site.url(f"/forgotPassword?{query}")}
        if not (site.pool.settings.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly"):
            links["signup"] = site.url(f"/signup?{query}")
        return links

    def _first_login_form(self, request: Request, site: Site, page: Page, params: dict[str, str],
                          memo: Memo | None, prepared: Hashable) -> Response:
        """GET /login: the form. Rendered once per ``_prepared`` key, language and kind of prefill while the
        configuration lasts (its memo), with marks where this request's own values go: the form's action, the
        links and buttons that carry the authorization request, the user name and the CSRF token, each put in
        escaped as the template escapes it."""
        username, notice = params.get("username"), params.get("notice")
        notice_text = page.t[notice] if notice in NOTICES else None
        token, is_new = csrf.token_for(request.cookies.get(csrf.COOKIE))
        own = self._login_values(request, site, page, csrf=token, username=username, notice=notice_text)
        key = (_FORM_PAGE, prepared, page.lang, bool(username), notice_text)
        made = None if memo is None else memo.get(key)
        if made is None:
            marked = _marked(own)
            html, headers = render_text(page, "login.html", **marked)
            made = _kept(html), headers
            if memo is not None and not is_metadata_url(params.get("client_id") or ""):
                memo.remember(key, made)
        kept, headers = made
        return _with_csrf(HTMLResponse(_filled(kept, own), headers=headers), site, token, is_new)

    def _login_values(self, request: Request, site: Site, page: Page, *, csrf: str,
                      errors: dict[str, str] | None = None, banner: str | None = None, username: str | None = None,
                      notice: str | None = None, confirm_link: str | None = None) -> dict[str, Any]:
        return {"action": self._action(request, site), "csrf": csrf, "errors": errors or {}, "banner": banner,
                "username": username, "notice": notice, "links": self._links(request, site),
                "confirm_link": confirm_link, "idp_buttons": state_value(request, "idp_buttons", []),
                "password_form": state_value(request, "password_form", True),
                "passkey": state_value(request, "passkey", False)}

    def _login_form(self, request: Request, site: Site, page: Page, *, errors: dict[str, str] | None = None,
                    banner: str | None = None, username: str | None = None, status: int = 200,
                    notice: str | None = None, confirm_link: str | None = None) -> Response:
        token, is_new = csrf.token_for(request.cookies.get(csrf.COOKIE))
        response = render(page, "login.html", status=status, **self._login_values(
            request, site, page, csrf=token, errors=errors, banner=banner, username=username, notice=notice,
            confirm_link=confirm_link))
        return _with_csrf(response, site, token, is_new)

    def _new_password_form(self, request: Request, site: Site, page: Page, challenge: flows.NewPasswordRequired,
                           *, errors: dict[str, str] | None = None, banner: str | None = None,
                           status: int = 200) -> Response:
        token, is_new = csrf.token_for(request.cookies.get(csrf.COOKIE))
        response = render(page, "new_password.html", status=status, action=self._action(request, site),
                          csrf=token, errors=errors or {}, banner=banner, challenge_session=challenge.session,
                          username=challenge.username, required_attributes=challenge.required_attributes)
        return _with_csrf(response, site, token, is_new)

    async def _outcome(self, request: Request, site: Site, page: Page, outcome: flows.Outcome,
                       account: str) -> Response:
        """A sign-in step's outcome: the next page (new password, a challenge), or the redirect to the client
        with the domain's session. ``account``: the name the user signed in with (an authenticator app's label)."""
        if isinstance(outcome, flows.NewPasswordRequired):
            return self._new_password_form(request, site, page, outcome)
        if isinstance(outcome, flows.Challenge):
            action = self._action(request, site)
            return await self._challenges.show(request, site, page, outcome, action=action, login_url=action,
                                               back=self._back(request, site, page), account=account)
        if outcome.offer_passkey and state_value(request, "passkey", False):
            return self._challenges.offer(request, site, page, outcome, action=self._action(request, site))
        response = redirect(outcome.location)
        if outcome.session_secret:
            set_session(response, site, outcome.session_secret)
        return response

    async def _new_password(self, request: Request, site: Site, page: Page, params: dict[str, str],
                            form: dict[str, Any]) -> Response:
        attributes = {m.group(1): str(v) for k, v in form.items() if (m := _ATTRIBUTE_FIELD.fullmatch(k))}
        challenge = flows.NewPasswordRequired(str(form.get("challenge_session", "")), str(form.get("username", "")),
                                              tuple(attributes))
        password, confirm = str(form.get("new_password", "")), str(form.get("confirm_new_password", ""))
        errors: dict[str, str] = {name: page.t["required"] for name, value in attributes.items() if not value}
        if not password:
            errors["new_password"] = page.t["required"]
        elif password != confirm:
            errors["confirm_new_password"] = page.t["passwords_differ"]
        if errors:
            return self._new_password_form(request, site, page, challenge, errors=errors, status=400)
        try:
            outcome = await flows.new_password(self._context(), site.pool, params, challenge.session,
                                               challenge.username, password, attributes,
                                               offer_passkey=state_value(request, "passkey", False))
        except flows.AuthorizeRedirect as exc:
            return redirect(exc.location)
        except InvalidPasswordException as exc:
            return self._new_password_form(request, site, page, challenge,
                                           errors={"new_password": page.t[exc.message]}, status=400)
        except CognitoError as exc:
            if exc.message == signin.SESSION_EXPIRED:
                return self._login_form(request, site, page, banner=page.t[exc.message], status=400)
            return self._new_password_form(request, site, page, challenge, banner=page.t[exc.message], status=400)
        return await self._outcome(request, site, page, outcome, challenge.username)

    async def error(self, request: Request) -> Response:
        site = await site_of(request, self._context())
        if site is None:
            return not_found()
        params = request.query_params
        page = page_for(params.get("lang"), site.base, request.headers.get("accept-language"))
        page = page.styled(await hosted.style_of(self._context(), site.pool, site.domain, params.get("client_id"),
                                                 site.base))
        return render(page, "error.html", status=400, error=params.get("error") or "invalid_request",
                      description=params.get("error_description"))


    async def asset(self, request: Request) -> Response:
        """A larger image of a client's managed login style (``hosted.ASSETS_PATH``), named by its content: the
        browser keeps it. An SVG opened on its own runs no script (the CSP's sandbox)."""
        site = await site_of(request, self._context())
        if site is None:
            return not_found()
        digest = request.path_params["name"].partition(".")[0]
        found = await hosted.branding_asset(self._context(), site.pool, request.path_params["client_id"], digest)
        if found is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        mime, data = found
        return Response(data, media_type=mime, headers={
            "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            "Cross-Origin-Resource-Policy": "same-origin"})

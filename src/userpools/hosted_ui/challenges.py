"""The hosted sign-in's challenge pages, after the password (or instead of it, with a passkey): the code pages
(SMS_MFA, EMAIL_OTP, SOFTWARE_TOKEN_MFA), the choice of factor (SELECT_MFA_TYPE), an authenticator app's set-up
(MFA_SETUP: a QR code of the ``otpauth://`` URI, drawn as inline SVG by segno, and the secret as text) and the
passkey page (WEB_AUTHN: ``navigator.credentials.get`` with the challenge's options, the assertion posted back).

Every form posts to /login, as the new-password form does, carrying the challenge's name, its Session (the
API's own, sealed) and the user's name in hidden fields; the rules are the API's (``operations.hosted_mfa``).
A wrong code is shown next to the field with the same Session (the API counts wrong codes against it, five
at most); a Session that expired or was used up goes back to the sign-in form with a message.

Field names [U: the classic hosted UI's MFA pages were not read]: ``code`` (a code), ``answer`` (the chosen
factor, one button each), ``credential`` (the passkey's AuthenticationResponseJSON).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import orjson
import segno
from starlette.requests import Request
from starlette.responses import Response

from userpools.errors import (
    CodeMismatchException,
    CognitoError,
    EnableSoftwareTokenMFAException,
    ExpiredCodeException,
    InvalidParameterException,
    NotAuthorizedException,
    UserNotFoundException,
)
from userpools.hosted_ui import csrf
from userpools.hosted_ui.pages import Page, inline_script, render, state_value
from userpools.oauth.endpoints import GetContext, set_session
from userpools.oauth.responses import redirect
from userpools.oauth.site import SESSION_COOKIE, Site
from userpools.operations import hosted_mfa, hosted_passkeys, oauth_limits, signin
from userpools.operations import oauth as flows

#: What goes back to the sign-in form: ``back(banner=…, username=…, errors=…, status=…)``.
Back = Callable[..., Response]
_TEMPLATES = {"SMS_MFA": "mfa_code.html", "EMAIL_OTP": "mfa_code.html", "SOFTWARE_TOKEN_MFA": "mfa_code.html",
              "SELECT_MFA_TYPE": "mfa_select.html", "MFA_SETUP": "mfa_setup.html", "WEB_AUTHN": "passkey.html"}
#: The ChallengeParameters a page shows again after a wrong code (carried in its form).
_SHOWN = ("CODE_DELIVERY_DELIVERY_MEDIUM", "CODE_DELIVERY_DESTINATION", "MFAS_CAN_CHOOSE", "MFAS_CAN_SETUP")
_CODE_ERRORS = (CodeMismatchException, ExpiredCodeException, EnableSoftwareTokenMFAException,
                InvalidParameterException)
_STALE = frozenset({signin.SESSION_EXPIRED, signin.SESSION_USED})
_BASE32_SECRET = re.compile(r"[A-Z2-7]{32,128}")


def _qr(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (medium error correction, a quiet zone of two modules)."""
    return str(segno.make(uri, error="m").svg_inline(scale=1, border=2, omitsize=True))


class ChallengePages:
    def __init__(self, context: GetContext) -> None:
        self._context = context

    async def show(self, request: Request, site: Site, page: Page, challenge: flows.Challenge, *, action: str,
                   login_url: str, back: Back, account: str, errors: dict[str, str] | None = None,
                   banner: str | None = None, status: int = 200) -> Response:
        """The page of ``challenge`` (an MFA_SETUP that an authenticator app can answer gets its secret first)."""
        if challenge.name == "SELECT_CHALLENGE":  # a passkey sign-in for a user who has none
            return back(banner=page.t["passkey_none"], username=account, status=400)
        template = _TEMPLATES[challenge.name]
        if challenge.name == "MFA_SETUP" and not hosted_mfa.can_set_up_totp(challenge):
            if not hosted_mfa.can_set_up_email(challenge):
                # SMS cannot be set up inside a sign-in (the phone number comes first) [C: BC]
                return back(banner=page.t["mfa_setup_unavailable"], username=account, status=400)
            template = "mfa_setup_email.html"
        elif challenge.name == "MFA_SETUP":
            if challenge.secret is None:
                challenge = await hosted_mfa.set_up_totp(self._context(), site.pool, challenge, account)
            elif challenge.otpauth is None:  # shown again after a wrong code: the secret the form carried
                challenge = hosted_mfa.with_otpauth(site.pool, challenge, account)
        values: dict[str, Any] = {"choices": hosted_mfa.choices(challenge),
                                  "shown": {k: v for k, v in challenge.parameters.items() if k in _SHOWN}}
        script = None
        if challenge.otpauth:
            values["qr"] = _qr(challenge.otpauth)
        if challenge.name == "WEB_AUTHN":
            values["options"] = orjson.loads(challenge.parameters.get("CREDENTIAL_REQUEST_OPTIONS") or "{}")
            script = inline_script("passkey.js")
        token, is_new = csrf.token_for(request.cookies.get(csrf.COOKIE))
        response = render(page, template, status=status, script=script, action=action,
                          login_url=login_url, csrf=token, challenge=challenge, account=account,
                          errors=errors or {}, banner=banner, **values)
        if is_new:
            response.set_cookie(csrf.COOKIE, token, path=site.cookie_path, secure=site.secure, httponly=True,
                                samesite="lax")
        return response

    async def answer(self, request: Request, site: Site, page: Page, params: dict[str, str], form: dict[str, str],
                     *, action: str, login_url: str, back: Back,
                     outcome: Callable[[flows.Outcome, str], Awaitable[Response]]) -> Response:
        """A challenge page's form posted: the API's answer to it, then the next page (``outcome``: a redirect
        to the client, or the next challenge's page, for the name the user signed in with)."""
        ctx, pool = self._context(), site.pool
        name, username = form.get("challenge_name", ""), form.get("username", "")
        account = form.get("account") or username
        if name not in _TEMPLATES:  # no page of ours posts it
            return back(banner=page.t["session_expired"], username=account, status=400)
        challenge = self._posted(form)

        def again(**values: Any) -> Any:
            return self.show(request, site, page, challenge, action=action, login_url=login_url, back=back,
                             account=account, status=400, **values)

        if name == "MFA_SETUP" and "email" in form:
            return await self._email(request, site, page, params, form, challenge, action=action,
                                     login_url=login_url, back=back, outcome=outcome)
        answer = form.get("code", "").strip()
        if name == "SELECT_MFA_TYPE":
            answer = form.get("answer", "")
        elif name == "WEB_AUTHN":
            answer = form.get("credential", "")
            if not answer:
                return back(banner=page.t["passkey_failed"], username=account, status=400)
        elif not answer:
            return await again(errors={"code": page.t["required"]})
        try:
            offer = state_value(request, "passkey", False)
            if name == "MFA_SETUP":
                result = await hosted_mfa.verify_totp(ctx, pool, params, challenge.session, username, answer,
                                                      offer_passkey=offer)
            else:
                result = await hosted_mfa.respond(ctx, pool, params, name, challenge.session, username, answer,
                                                  offer_passkey=offer)
        except flows.AuthorizeRedirect as exc:
            return redirect(exc.location)
        except oauth_limits.LoginThrottled as exc:
            response = back(banner=page.t["login_throttled"], username=account, status=429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except _CODE_ERRORS as exc:
            if name in ("SELECT_MFA_TYPE", "WEB_AUTHN"):
                return back(banner=page.t[exc.message], username=account, status=400)
            return await again(errors={"code": page.t[exc.message]})
        except NotAuthorizedException as exc:
            banner = page.t["session_expired"] if exc.message in _STALE else page.t[exc.message]
            return back(banner=banner, username=account, status=400)
        except UserNotFoundException as exc:
            return back(errors={"username": page.t[exc.message]}, username=account, status=400)
        except CognitoError as exc:
            return back(banner=page.t[exc.message], username=account, status=400)
        return await outcome(result, account)

    async def _email(self, request: Request, site: Site, page: Page, params: dict[str, str], form: dict[str, str],
                     challenge: flows.Challenge, *, action: str, login_url: str, back: Back,
                     outcome: Callable[[flows.Outcome, str], Awaitable[Response]]) -> Response:
        """The email set-up page's address: MFA_SETUP answered with it; the EMAIL_OTP code page follows."""
        account = form.get("account") or challenge.username
        address = form.get("email", "").strip()

        async def again(error: str) -> Response:
            return await self.show(request, site, page, challenge, action=action, login_url=login_url, back=back,
                                   account=account, status=400, errors={"email": error})

        if not address:
            return await again(page.t["required"])
        try:
            result = await hosted_mfa.set_up_email(self._context(), site.pool, params, challenge.session,
                                                   challenge.username, address)
        except flows.AuthorizeRedirect as exc:
            return redirect(exc.location)
        except InvalidParameterException as exc:
            return await again(page.t[exc.message])
        except NotAuthorizedException as exc:
            banner = page.t["session_expired"] if exc.message in _STALE else page.t[exc.message]
            return back(banner=banner, username=account, status=400)
        except CognitoError as exc:
            return back(banner=page.t[exc.message], username=account, status=400)
        return await outcome(result, account)

    # --- a passkey added after the sign-in (managed login pages) ----------------------------------------------

    def _page(self, request: Request, site: Site, page: Page, template: str, *, status: int = 200,
              script: str | None = None, **values: Any) -> Response:
        token, is_new = csrf.token_for(request.cookies.get(csrf.COOKIE))
        response = render(page, template, status=status, script=script, csrf=token, **values)
        if is_new:
            response.set_cookie(csrf.COOKIE, token, path=site.cookie_path, secure=site.secure, httponly=True,
                                samesite="lax")
        return response

    @staticmethod
    def _onward(site: Site, params: dict[str, str]) -> str:
        """/oauth2/authorize with the request (not prompt=login): the new session answers it with a code."""
        return site.url("/oauth2/authorize?" + urlencode(
            {k: v for k, v in params.items() if k not in ("prompt", "username", "notice")}))

    def offer(self, request: Request, site: Site, page: Page, outcome: flows.Redirect, *, action: str) -> Response:
        """Signed in, with no passkey yet: the offer to add one; "Not now" goes on to the app."""
        response = self._page(request, site, page, "passkey_offer.html", action=action, onward=outcome.location,
                              banner=None)
        if outcome.session_secret:
            set_session(response, site, outcome.session_secret)
        return response

    async def add(self, request: Request, site: Site, page: Page, params: dict[str, str], form: dict[str, str], *,
                  action: str, back: Back) -> Response:
        """"Add a passkey" (the offer's button) and, posted back, the authenticator's new credential."""
        ctx, secret = self._context(), request.cookies.get(SESSION_COOKIE)
        onward = self._onward(site, params)
        try:
            if form.get("passkey_register"):
                await hosted_passkeys.register(ctx, site.pool, params, secret, form.get("credential", ""))
                return redirect(onward)
            options = await hosted_passkeys.registration_options(ctx, site.pool, params, secret)
        except flows.AuthorizeRedirect as exc:
            return redirect(exc.location)
        except NotAuthorizedException as exc:
            banner = page.t["session_expired"] if exc.message in _STALE else page.t[exc.message]
            return back(banner=banner, status=400)
        except CognitoError:
            return self._page(request, site, page, "passkey_offer.html", status=400, action=action, onward=onward,
                              banner=page.t["passkey_add_failed"])
        return self._page(request, site, page, "passkey_add.html", script=inline_script("passkey.js"),
                          action=action, onward=onward, options=options)

    @staticmethod
    def _posted(form: dict[str, str]) -> flows.Challenge:
        """The challenge as its form carried it (what the page shows again; the API checks the Session)."""
        try:
            shown = orjson.loads(form.get("parameters") or "{}")
        except orjson.JSONDecodeError:
            shown = {}
        parameters = {k: str(v) for k, v in shown.items() if k in _SHOWN} if isinstance(shown, dict) else {}
        secret = form.get("totp_secret") or None
        if secret is not None and not _BASE32_SECRET.fullmatch(secret):
            secret = None  # not a secret of ours (the page then sets up a new one)
        return flows.Challenge(form.get("challenge_name", ""), form.get("challenge_session", ""),
                               form.get("username", ""), parameters, secret=secret)

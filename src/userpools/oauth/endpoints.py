"""The OAuth 2.0 / OIDC endpoints of a pool's domain: HTTP in, HTTP out. The rules are in ``operations.oauth``
and ``operations.oauth_tokens``; what Cognito answers on each error is noted there and in ``domain.oauth``."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import unquote, urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from userpools.crypto.keys import jwks_document
from userpools.domain import oauth as rules
from userpools.domain.cimd import is_metadata_url
from userpools.domain.records import PoolRecord
from userpools.domain.tokens import issuer as token_issuer
from userpools.domain.tokens import issuer_updated
from userpools.oauth.responses import SECURITY_HEADERS, redirect, set_cookie
from userpools.oauth.site import SESSION_COOKIE, Site, memo_key, site_of
from userpools.operations import dcr, federation, oauth_tokens, saml
from userpools.operations import oauth as flows
from userpools.operations.context import Context

GetContext = Callable[[], Context]
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 §5.1
#: the configuration's memo: authorization requests that go to the sign-in page
_TO_LOGIN = "authorize-to-login"
_NO_STORE_RAW = ((b"cache-control", b"no-store"), (b"pragma", b"no-cache"))
_JSON_RAW = (b"content-type", b"application/json")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                    headers={**_NO_STORE, **(headers or {})})


def oauth_error(exc: rules.OAuthError, *, bearer: bool = False, basic: bool = False) -> Response:
    """Cognito's JSON error: ``{"error": "..."}`` (and ``error_description`` where it gives one)."""
    body: dict[str, str] = {"error": exc.error}
    if exc.description and exc.description != exc.error:
        body["error_description"] = exc.description
    headers: dict[str, str] = {}
    if bearer:
        challenge = f'Bearer error="{exc.error}"'
        if exc.description and exc.description != exc.error:
            challenge += f', error_description="{exc.description}"'
        headers["WWW-Authenticate"] = challenge
    elif basic and exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="oauth2"'
    if isinstance(exc, rules.Throttled):
        headers["Retry-After"] = str(exc.retry_after)
    return json_response(body, exc.status, headers)


def not_found() -> Response:
    return json_response({"error": "not_found", "error_description": "No such domain"}, 404)


def error_page_redirect(site: Site, exc: rules.PageError, params: dict[str, str]) -> Response:
    """An authorization request that must not go back to the client: the domain's own error page [O]."""
    query = {"error": exc.error}
    if exc.description != exc.error:
        query["error_description"] = exc.description
    if params.get("client_id"):
        query["client_id"] = params["client_id"]
    if params.get("lang"):
        query["lang"] = params["lang"]
    return redirect(site.url("/error?" + urlencode(query)))


def form_post(outcome: saml.FormPost) -> Response:
    """The SAML HTTP-POST binding: a page whose form the browser posts to the IdP (a button without script)."""
    fields = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in outcome.fields.items())
    body = (f'<!DOCTYPE html><html><body><form method="post" action="{html.escape(outcome.url)}">{fields}'
            '<button type="submit">Continue</button></form></body></html>')
    return Response(body, media_type="text/html", headers=SECURITY_HEADERS)


def session_cookie(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def set_session(response: Response, site: Site, secret: str) -> None:
    set_cookie(response, SESSION_COOKIE, secret, max_age=rules.SESSION_LIFETIME_SECONDS, path=site.cookie_path,
               secure=site.secure)


def clear_session(response: Response, site: Site) -> None:
    response.delete_cookie(SESSION_COOKIE, path=site.cookie_path, secure=site.secure, httponly=True,
                           samesite="lax")


def parse_form(content_type: str | None, body: bytes) -> dict[str, str]:
    """An application/x-www-form-urlencoded body; a parameter given twice is a bad request (RFC 6749 §3.1).

    Decoded as ``urllib.parse.parse_qsl`` and Starlette's form parser decode it (latin-1 bytes split at
    ``&``, then ``+`` as a space and percent-decoding as UTF-8, empty values kept), a pair at a time: a tenth
    of the CPU of python-multipart's streaming parser for a token request, which is all of it in one small
    body."""
    if content_type != _FORM and (content_type or "").split(";")[0].strip().lower() != _FORM:
        raise rules.InvalidRequest("Content-Type must be application/x-www-form-urlencoded")
    out: dict[str, str] = {}
    for name, value in _form_pairs(body):
        if name in out:
            raise rules.InvalidRequest(f"Duplicate parameter {name}")
        out[name] = value
    return out


def decode_form(body: bytes) -> dict[str, str]:
    """An application/x-www-form-urlencoded body decoded as ``parse_form`` decodes it, a name given twice
    keeping its last value (as Starlette's form, made a dict, does): the hosted pages' forms."""
    return dict(_form_pairs(body))


def query_of(request: Request) -> dict[str, str]:
    """``dict(request.query_params)`` (a name given twice keeps its last value), decoded by the form parser
    (a query string is decoded as a form body is) and kept on the request for its other readers."""
    kept = request.scope.get(_QUERY_KEY)
    if kept is None:
        kept = request.scope[_QUERY_KEY] = _decoded_query(request.scope["query_string"])
    return dict(kept)


_QUERY_KEY = "userpools.query"
#: query strings decoded lately: a hosted sign-in sends the same one three times (GET /oauth2/authorize, then
#: GET and POST /login), each decoded once. Never changed once made (query_of hands out copies); the oldest
#: goes when it is full. Query strings only: a form body holds a password.
_QUERIES: dict[bytes, dict[str, str]] = {}
_QUERIES_KEPT = 512


def _decoded_query(raw: bytes) -> dict[str, str]:
    found = _QUERIES.get(raw)
    if found is None:
        found = decode_form(raw)
        if len(_QUERIES) >= _QUERIES_KEPT:
            del _QUERIES[next(iter(_QUERIES))]
        _QUERIES[raw] = found
    return found


def raw_query(request: Request) -> str:
    """The request's query string as it came (``request.url.query``, without building the whole URL)."""
    return request.scope["query_string"].decode()


def _form_pairs(body: bytes) -> Iterator[tuple[str, str]]:
    for pair in body.decode("latin-1").split("&"):
        if pair:
            name, _, value = pair.partition("=")
            yield _form_text(name), _form_text(value)


_FORM = "application/x-www-form-urlencoded"


def _form_text(text: str) -> str:
    """One name or value of a form as ``parse_qsl`` decodes it (``+`` a space, %XX as UTF-8 with
    replacement), without its work for the many that need neither. An ASCII text (every token request's,
    and a sign-in form's unless it holds a raw non-ASCII byte) is percent-decoded here in one pass, as
    ``urllib.parse.unquote`` decodes an ASCII run; ``unquote`` itself (a regular-expression split into runs,
    then a function call, an encode and a lazily built table per run) timed 1.95 µs against this loop's
    0.88 µs for a token request's one escaped scope."""
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    if not text.isascii():
        return unquote(text)
    first, *escaped = text.encode("ascii").split(b"%")
    out = [first]
    for item in escaped:
        byte = _HEX_BYTE.get(item[:2])
        if byte is None:  # not two hex digits: the % stays, as unquote leaves it
            out += (b"%", item)
        else:
            out += (byte, item[2:])
    return b"".join(out).decode("utf-8", "replace")


#: two hex digits (either case) → the byte they write: urllib.parse's table, made at import
_HEX_BYTE = {(a + b).encode(): bytes.fromhex(a + b) for a in "0123456789ABCDEFabcdef" for b in "0123456789ABCDEFabcdef"}


async def _form(request: Request) -> dict[str, str]:
    return parse_form(request.headers.get("content-type"), await request.body())


class Endpoints:
    """The handlers, each bound to the server's Context (available once the app has started)."""

    def __init__(self, context: GetContext) -> None:
        self._context = context

    async def _site(self, request: Request) -> Site | None:
        return await site_of(request, self._context())

    async def authorize(self, request: Request) -> Response:
        params = query_of(request)
        session = session_cookie(request)
        memo = key = None
        if not session:
            # A browser without the domain's session is sent to the sign-in page once the request passes the
            # checks: kept in the configuration's memo under what they decide by (``flows.decisive``; see
            # ``HostedPages._prepared``), with this request's state and code_challenge checked each time.
            memo = await self._context().store.config_memo()
            key = memo_key(_TO_LOGIN, request, params)
            kept = None if memo is None else memo.get(key)
            if kept is not None:
                site, checked = kept
                try:
                    flows.carried(checked, params)
                except flows.AuthorizeRedirect as exc:
                    return redirect(exc.location)
                return redirect(site.url("/login?" + raw_query(request)))
        site = await self._site(request)
        if site is None:
            return not_found()
        if federation.is_federated(params):
            return await self._to_upstream(site, params)
        try:
            outcome = await flows.authorize(self._context(), site.pool, params, session)
        except rules.PageError as exc:
            return error_page_redirect(site, exc, params)
        except flows.AuthorizeRedirect as exc:
            return redirect(exc.location)
        if isinstance(outcome, flows.ShowLogin):
            if memo is not None and outcome.checked is not None and not is_metadata_url(outcome.checked.client_id):
                memo.remember(key, (site, outcome.checked))
            return redirect(site.url("/login?" + raw_query(request)))
        return redirect(outcome.location)

    async def _to_upstream(self, site: Site, params: dict[str, str]) -> Response:
        """identity_provider= or idp_identifier=: straight to the upstream provider [C]."""
        try:
            outcome = await federation.start(self._context(), site.pool, params, site.url("/oauth2/idpresponse"),
                                             site.url("/saml2/idpresponse"))
        except rules.PageError as exc:
            return error_page_redirect(site, exc, params)
        except flows.AuthorizeRedirect as exc:
            return redirect(exc.location)
        if isinstance(outcome, saml.FormPost):
            return form_post(outcome)
        return redirect(outcome.location)

    async def saml_response(self, request: Request) -> Response:
        """POST /saml2/idpresponse: a SAML IdP's response (SP- or IdP-initiated) → the app's redirect."""
        site = await self._site(request)
        if site is None:
            return not_found()
        try:
            form = await _form(request)
            outcome = await saml.receive(self._context(), site.pool, form, site.url("/saml2/idpresponse"))
        except rules.PageError as exc:
            return error_page_redirect(site, exc, {})
        except rules.OAuthError as exc:  # a body that is not a form
            return error_page_redirect(site, rules.PageError(exc.error, exc.description), {})
        except flows.AuthorizeRedirect as exc:
            return redirect(exc.location)
        response = redirect(outcome.location)
        if outcome.session_secret:
            set_session(response, site, outcome.session_secret)
        return response

    async def saml_logout(self, request: Request) -> Response:
        """GET /saml2/logout: the IdP's LogoutResponse (the end of /logout's round trip), or its own
        LogoutRequest (IdP-initiated sign-out), by the HTTP-Redirect binding."""
        site = await self._site(request)
        if site is None:
            return not_found()
        try:
            outcome = await saml.logout_message(self._context(), site.pool, dict(request.query_params),
                                                site.url("/saml2/idpresponse"))
        except rules.PageError as exc:
            return error_page_redirect(site, exc, {})
        return redirect(outcome.location)

    async def idpresponse(self, request: Request) -> Response:
        """GET /oauth2/idpresponse: the upstream's answer; the app gets userpools' code and its own state. POST:
        the same answer as a form (Sign in with Apple's response_mode=form_post [C])."""
        site = await self._site(request)
        if site is None:
            return not_found()
        params = dict(request.query_params)
        if request.method == "POST":
            try:
                params = await _form(request)
            except rules.OAuthError as exc:
                return error_page_redirect(site, rules.PageError("invalid_request", exc.description), {})
        try:
            outcome = await federation.finish(self._context(), site.pool, params)
        except rules.PageError as exc:
            return error_page_redirect(site, exc, {})
        except flows.AuthorizeRedirect as exc:
            return redirect(exc.location)
        response = redirect(outcome.location)
        if outcome.session_secret:
            set_session(response, site, outcome.session_secret)
        return response

    async def token(self, request: Request) -> Response:
        headers = request.headers
        return await self.token_response(request.path_params["domain"], headers.get("content-type"),
                                         headers.get("authorization"), await request.body())

    async def token_response(self, domain: str, content_type: str | None, authorization: str | None,
                             body: bytes) -> Response:
        """POST /oauth2/token from its parts, for Starlette's route (``token``)."""
        answer = await self._token_answer(domain, content_type, authorization, body)
        return answer if isinstance(answer, Response) else json_response(answer)

    async def _token_answer(self, domain: str, content_type: str | None, authorization: str | None,
                            body: bytes) -> dict[str, Any] | Response:
        """POST /oauth2/token: the tokens (a 200 answer's JSON), or the error's response."""
        ctx = self._context()
        try:
            form = parse_form(content_type, body)
            request_key = None
            if form.get("grant_type") == "client_credentials":
                # a machine's request seen before, under the configuration still current: answered from memory
                request_key = oauth_tokens.machine_request_key(domain, content_type, authorization, body)
                remembered = await oauth_tokens.remembered_machine_token(ctx, request_key)
                if remembered is not None:
                    return remembered
            # the domain's pool is looked up in the token's transaction
            answer = await oauth_tokens.token(ctx, domain, form, authorization, request_key=request_key)
        except oauth_tokens.NoSuchDomain:
            return not_found()
        except rules.OAuthError as exc:
            if await flows.pool_of_domain(ctx, domain) is None:  # an unknown domain answers 404 first
                return not_found()
            return oauth_error(exc, basic=bool(authorization))
        return answer

    async def token_asgi(self, domain: str, scope: Scope, receive: Receive, send: Send) -> None:
        """The token endpoint without Starlette's middleware and router (app.py calls it for a request from a
        back end: no Origin header, so no CORS headers are due)."""
        content_type = authorization = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == b"authorization":
                authorization = value.decode("latin-1")
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        answer = await self._token_answer(domain, content_type, authorization, b"".join(chunks))
        if isinstance(answer, Response):
            await answer(scope, receive, send)
            return
        body = orjson.dumps(answer)  # the headers json_response gives, in its order, without a Response
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*_NO_STORE_RAW, (b"content-length", str(len(body)).encode()), _JSON_RAW]})
        await send({"type": "http.response.body", "body": body})

    async def userinfo(self, request: Request) -> Response:
        site = await self._site(request)
        if site is None:
            return not_found()
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return oauth_error(rules.InvalidRequest("Missing access token"), bearer=True)  # [C] 400
        try:
            claims = await oauth_tokens.userinfo(self._context(), site.pool, token.strip())
        except rules.OAuthError as exc:
            return oauth_error(exc, bearer=True)
        return json_response(claims)

    async def revoke(self, request: Request) -> Response:
        site = await self._site(request)
        if site is None:
            return not_found()
        authorization = request.headers.get("authorization")
        try:
            form = await _form(request)
            await oauth_tokens.revoke(self._context(), site.pool, form, authorization)
        except rules.OAuthError as exc:
            return oauth_error(exc, basic=bool(authorization))
        return Response(status_code=200, headers=_NO_STORE)

    async def logout(self, request: Request) -> Response:
        site = await self._site(request)
        if site is None:
            return not_found()
        params = dict(request.query_params)
        try:
            outcome = await flows.logout(self._context(), site.pool, params, session_cookie(request),
                                         site.url("/login"))
        except rules.PageError as exc:
            return error_page_redirect(site, exc, params)
        except flows.AuthorizeRedirect as exc:
            return redirect(exc.location)
        session = session_cookie(request)
        if session:
            try:  # a SAML sign-in with IDPSignout: to the IdP first, back through /saml2/logout [C]
                outcome = await saml.sign_out(self._context(), site.pool, session, outcome,
                                              site.url("/saml2/idpresponse"))
            except rules.PageError as exc:
                return error_page_redirect(site, exc, params)
        response = redirect(outcome.location)
        clear_session(response, site)
        return response

    async def register(self, request: Request) -> Response:
        """POST /oauth2/register: dynamic client registration (``operations.dcr``); 201 with the client."""
        site = await self._site(request)
        if site is None:
            return not_found()
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" and token.strip() else None
        try:
            if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
                raise dcr.RegistrationError("invalid_client_metadata", "Content-Type must be application/json")
            try:
                body = orjson.loads(await request.body())
            except orjson.JSONDecodeError:
                raise dcr.RegistrationError("invalid_client_metadata", "The body is not JSON") from None
            client = await dcr.register(self._context(), site.pool, body, bearer)
        except dcr.NotEnabled:
            return json_response({"error": "not_found",
                                  "error_description": "Dynamic client registration is not enabled"}, 404)
        except dcr.RegistrationError as exc:
            headers = {"WWW-Authenticate": f'Bearer error="{exc.error}"'} if exc.status == 401 else None
            return json_response({"error": exc.error, "error_description": exc.description}, exc.status, headers)
        return json_response(client, 201)

    async def openid_configuration(self, request: Request) -> Response:
        site = await self._site(request)
        if site is None:
            return not_found()
        ctx = self._context()
        document = discovery_document(ctx, site.pool.id, site.base, pool=site.pool)
        return json_response(document, headers=dict(SECURITY_HEADERS))

    async def jwks(self, request: Request) -> Response:
        site = await self._site(request)
        if site is None:
            return not_found()
        async with self._context().store.transaction(readonly=True) as tx:
            keys = list(await tx.signing_keys.list(site.pool.id))
        return json_response(jwks_document(keys))


def discovery_document(ctx: Context, pool_id: str, domain_base: str | None, *,
                       pool: PoolRecord | None = None) -> dict[str, Any]:
    """The pool's OpenID configuration [O: a real 2022 document, auth.md §6]; with a domain, its endpoints
    (end_session_endpoint and revocation_endpoint as reported since 2024 [O]; their exact list is [U])."""
    settings = ctx.settings
    issuer = token_issuer(pool_id, public_url=settings.public_url, aws_style=settings.aws_issuer,
                          region=pool_id.split("_", 1)[0],
                          updated=pool is not None and issuer_updated(pool.settings))
    document: dict[str, Any] = {}
    if domain_base is not None:
        document["authorization_endpoint"] = f"{domain_base}/oauth2/authorize"
        document["end_session_endpoint"] = f"{domain_base}/logout"
    document["id_token_signing_alg_values_supported"] = ["RS256"]
    document["issuer"] = issuer
    document["jwks_uri"] = f"{settings.public_url}/{pool_id}/.well-known/jwks.json"
    document["response_types_supported"] = ["code", "token"]
    if domain_base is not None:
        document["revocation_endpoint"] = f"{domain_base}/oauth2/revoke"
    document["scopes_supported"] = ["openid", "email", "phone", "profile"]
    document["subject_types_supported"] = ["public"]
    document["token_endpoint_auth_methods_supported"] = ["client_secret_basic", "client_secret_post"]
    if domain_base is not None:
        document["token_endpoint"] = f"{domain_base}/oauth2/token"
        document["userinfo_endpoint"] = f"{domain_base}/oauth2/userInfo"
        document["code_challenge_methods_supported"] = ["S256"]
        document["grant_types_supported"] = ["authorization_code", "implicit", "refresh_token",
                                             "client_credentials"]
        if pool is not None and dcr.configuration(pool) is not None:
            # [C] "When dynamic client registration is on and your user pool has a domain, the OpenID Connect
            # discovery document of your user pool lists the registration endpoint as registration_endpoint"
            document["registration_endpoint"] = f"{domain_base}/oauth2/register"
    return document


Handler = Callable[[Request], Awaitable[Response]]

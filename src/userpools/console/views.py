"""The console's pages and admin actions. Every value read and every change goes through ``call``, which
``app.py`` gives: the dispatcher's ``invoke``, i.e. the operation's handler with the same input validation,
request-rate limits and errors as the API (an action's error is shown as the API's ``Code: message``). The
outbox, which no operation reads, comes from the store's outbox through ``Context.outbox`` as
``GET /_userpools/outbox`` reads it; the trigger invocations from the invoker's journal.

Who may use it: in development mode (loopback, no admin credentials) anyone who reaches it, like the other
development endpoints; otherwise only a browser that gives an admin key pair through HTTP Basic
authentication (user name: the access key id; password: the secret access key), compared in constant time,
every other request answered 401. The outbox and the trigger invocations (codes, events) exist in
development mode only: with admin credentials those paths are 404s.

Every form that changes something carries a CSRF token (double submit: an HttpOnly, SameSite=Strict cookie
and the same value in the form's ``_csrf`` field, compared in constant time), and a POST whose Origin is not
this server's is refused. No JavaScript; the HTML of an email is shown in a sandboxed frame served from its
own path with a CSP of its own.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from userpools.console.actions import USER_ACTIONS, create_user_request
from userpools.delivery.mime import html_to_text, looks_like_html
from userpools.errors import CognitoError
from userpools.operations.context import Context

PREFIX = "/_userpools/console"
TEMPLATES = Path(__file__).parent / "templates"

#: The console's pages: no framing, no scripts; frames only from this origin (an email's HTML).
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on the console's own form
    # POSTs, which the Origin check must then refuse; other sites still get no Referer.
    "Referrer-Policy": "same-origin",
}
#: An email's HTML as the recipient's mail reader shows it: sandboxed (no scripts, no forms, a unique origin),
#: images from anywhere (as a mail reader that loads images), framed by the console only.
EMAIL_HEADERS = {
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; "
                               "frame-ancestors 'self'; base-uri 'none'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        except ValueError:
            return value
    return "" if value is None else str(value)


# auto_reload off: the templates ship with the package and never change under a running server, and Jinja
# would otherwise stat each template file (and its parents) at every render
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True, auto_reload=False)
_env.filters["when"] = _when
_env.filters["q"] = lambda value: quote(str(value), safe="")


_env.filters["pretty"] = lambda value: json.dumps(value, indent=2, ensure_ascii=False, default=str)

#: The operation the console calls: (operation name, its request as the JSON body holds it) → its output.
Call = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]

CSRF_COOKIE = "userpools-console-csrf"
CSRF_FIELD = "_csrf"
REALM = 'Basic realm="userpools console", charset="UTF-8"'


async def _all(call: Call, operation: str, key: str, token: str, out_token: str | None = None,
               pages: int = 20, **request: Any) -> list[dict[str, Any]]:
    """Every page of a list operation (at most ``pages`` of them: a console, not an export)."""
    items: list[dict[str, Any]] = []
    next_token = None
    for _ in range(pages):
        answer = await call(operation, {**request, **({token: next_token} if next_token else {})})
        items.extend(answer.get(key, []))
        next_token = answer.get(out_token or token)
        if not next_token:
            break
    return items


def _attributes(user: dict[str, Any]) -> dict[str, str]:
    return {a["Name"]: a.get("Value", "") for a in user.get("Attributes") or user.get("UserAttributes") or []}


def _basic(header: str | None) -> tuple[str, str] | None:
    """The (user, password) of an HTTP Basic ``Authorization`` header, or None."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def _same_origin(request: Request) -> bool:
    """A POST without an Origin header (an old browser) is judged by its CSRF token alone; with one, its host
    (and port) must be the Host the request was sent to. The scheme is not compared: behind a TLS-terminating
    proxy the browser's https origin reaches the server as http."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "").lower()
    return bool(host) and urlsplit(origin).netloc.lower() == host


class Console:
    def __init__(self, context: Callable[[], Context], call: Call, *, development: bool,
                 credentials: tuple[tuple[str, str], ...] = ()) -> None:
        self._context = context
        self._call = call
        self._development = development
        self._credentials = credentials

    # --- who may ------------------------------------------------------------------------------------------

    def authorized(self, request: Request) -> bool:
        """Development mode: anyone who reaches the server (loopback only). Else an admin key pair, HTTP Basic."""
        if self._development:
            return True
        given = _basic(request.headers.get("authorization"))
        if given is None:
            return False
        user, password = (part.encode() for part in given)
        found = False
        for key_id, secret in self._credentials:  # every pair compared: the time does not tell which matched
            matched = hmac.compare_digest(user, key_id.encode()) & hmac.compare_digest(password, secret.encode())
            found = found or matched
        return found

    def _development_only(self) -> None:
        if not self._development:
            raise HTTPException(404, "Not Found")

    # --- rendering ----------------------------------------------------------------------------------------

    def _render(self, request: Request, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
        cookie = request.cookies.get(CSRF_COOKIE)
        fresh = not (cookie and 20 <= len(cookie) <= 100)
        token = secrets.token_urlsafe(32) if fresh or cookie is None else cookie
        html = _env.get_template(template).render(prefix=PREFIX, development=self._development, csrf=token,
                                                  csrf_field=CSRF_FIELD, **values)
        response = HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
        if fresh:
            response.set_cookie(CSRF_COOKIE, token, path=PREFIX, httponly=True, samesite="strict",
                                secure=request.url.scheme == "https")
        return response

    async def _form(self, request: Request) -> dict[str, str] | None:
        """The POSTed form when its CSRF token and Origin are right; else None."""
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        cookie = request.cookies.get(CSRF_COOKIE) or ""
        field = fields.get(CSRF_FIELD, "")
        if not cookie or not field or not hmac.compare_digest(cookie.encode(), field.encode()):
            return None
        return fields if _same_origin(request) else None

    def _refused(self, request: Request) -> HTMLResponse:
        return self._render(request, "error.html", status=403, title="Refused",
                            message="The form came from another site or has expired: reload the page and try again.")

    # --- the pages ----------------------------------------------------------------------------------------

    async def pools(self, request: Request) -> Response:
        pools = await _all(self._call, "ListUserPools", "UserPools", "NextToken", MaxResults=60)
        return self._render(request, "pools.html", pools=pools)

    async def pool(self, request: Request, *, notice: str | None = None, action_error: str | None = None,
                   status: int = 200) -> Response:
        pool_id = request.path_params["pool_id"]
        query = request.query_params.get("filter", "").strip()
        try:
            pool = (await self._call("DescribeUserPool", {"UserPoolId": pool_id}))["UserPool"]
        except CognitoError as exc:
            return self._render(request, "error.html", status=404, title="Not found",
                                message=f"{exc.code}: {exc.message}")
        clients = await _all(self._call, "ListUserPoolClients", "UserPoolClients", "NextToken", UserPoolId=pool_id,
                             MaxResults=60)
        groups = await _all(self._call, "ListGroups", "Groups", "NextToken", UserPoolId=pool_id, Limit=60)
        error = None
        users: list[dict[str, Any]] = []
        try:
            answer = await self._call("ListUsers", {"UserPoolId": pool_id, "Limit": 60,
                                                    **({"Filter": query} if query else {})})
            users = answer["Users"]
        except CognitoError as exc:
            error = f"{exc.code}: {exc.message}"
        for user in users:
            user["attributes"] = _attributes(user)
        return self._render(request, "pool.html", status=status, pool=pool, clients=clients, groups=groups,
                            users=users, filter=query, error=error, notice=notice or request.query_params.get("done"),
                            action_error=action_error)

    async def user(self, request: Request, *, action_error: str | None = None, status: int = 200) -> Response:
        pool_id, username = request.path_params["pool_id"], request.path_params["username"]
        try:
            pool = (await self._call("DescribeUserPool", {"UserPoolId": pool_id}))["UserPool"]
            user = await self._call("AdminGetUser", {"UserPoolId": pool_id, "Username": username})
        except CognitoError as exc:
            return self._render(request, "error.html", status=404, title="Not found",
                                message=f"{exc.code}: {exc.message}")
        sections: dict[str, Any] = {}
        for name, operation, key, token, extra in (
            ("groups", "AdminListGroupsForUser", "Groups", "NextToken", {"Limit": 60}),
            ("devices", "AdminListDevices", "Devices", "PaginationToken", {"Limit": 60}),
            ("events", "AdminListUserAuthEvents", "AuthEvents", "NextToken", {"MaxResults": 60}),
        ):
            try:  # one section's error (threat protection off for auth events) does not hide the others
                sections[name] = await _all(self._call, operation, key, token, UserPoolId=pool_id,
                                            Username=user["Username"], pages=5, **extra)
            except CognitoError as exc:
                sections[name] = f"{exc.code}: {exc.message}"
        for device in sections["devices"] if isinstance(sections["devices"], list) else []:
            device["attributes"] = {a["Name"]: a.get("Value", "") for a in device.get("DeviceAttributes", [])}
        pool_groups = await _all(self._call, "ListGroups", "Groups", "NextToken", UserPoolId=pool_id, Limit=60)
        member_of = {g["GroupName"] for g in sections["groups"]} if isinstance(sections["groups"], list) else set()
        return self._render(request, "user.html", status=status, pool=pool, user=user, attributes=_attributes(user),
                            other_groups=[g["GroupName"] for g in pool_groups if g["GroupName"] not in member_of],
                            notice=request.query_params.get("done"), action_error=action_error, **sections)

    # --- the admin actions --------------------------------------------------------------------------------

    async def user_action(self, request: Request) -> Response:
        form = await self._form(request)
        if form is None:
            return self._refused(request)
        pool_id, username = request.path_params["pool_id"], request.path_params["username"]
        action = USER_ACTIONS.get(form.get("action", ""))
        if action is None:
            return await self.user(request, action_error="Unknown action.", status=400)
        try:
            await self._call(action.operation, {"UserPoolId": pool_id, "Username": username,
                                                **action.members(form)})
        except CognitoError as exc:
            return await self.user(request, action_error=f"{exc.code}: {exc.message}", status=400)
        if action.leaves_user:
            return _done(f"/pools/{quote(pool_id, safe='')}", action.done)
        return _done(f"/pools/{quote(pool_id, safe='')}/users/{quote(username, safe='')}", action.done)

    async def pool_action(self, request: Request) -> Response:
        form = await self._form(request)
        if form is None:
            return self._refused(request)
        pool_id = request.path_params["pool_id"]
        if form.get("action") != "create-user":
            return await self.pool(request, action_error="Unknown action.", status=400)
        try:
            created = await self._call("AdminCreateUser", create_user_request(pool_id, form))
        except CognitoError as exc:
            return await self.pool(request, action_error=f"{exc.code}: {exc.message}", status=400)
        username = created["User"]["Username"]
        return _done(f"/pools/{quote(pool_id, safe='')}/users/{quote(username, safe='')}", "User created.")

    # --- development mode only: the outbox and the trigger invocations -----------------------------------

    async def _messages(self, ctx: Context, pool_id: str | None) -> list[dict[str, Any]]:
        async with ctx.store.transaction(readonly=True) as tx:
            records = await tx.outbox.list(pool_id, None, limit=200)
        messages = []
        for record in records:
            message = ctx.outbox.open(record)
            message["id"] = record.id
            body = message["body"] or ""
            message["html"] = looks_like_html(body)
            message["text"] = html_to_text(body) if message["html"] else body
            messages.append(message)
        return messages

    async def outbox(self, request: Request) -> Response:
        self._development_only()
        pool_id = request.query_params.get("pool") or None
        return self._render(request, "outbox.html", messages=await self._messages(self._context(), pool_id),
                            pool_id=pool_id)

    async def email_html(self, request: Request) -> Response:
        self._development_only()
        wanted = request.path_params["message_id"]
        for message in await self._messages(self._context(), request.path_params["pool_id"]):
            if message["id"] == wanted and message["html"]:
                return HTMLResponse(message["body"], headers=EMAIL_HEADERS)
        raise HTTPException(404, "Not Found")

    async def triggers(self, request: Request) -> Response:
        self._development_only()
        pool_id = request.query_params.get("pool") or None
        journal = self._context().triggers.journal
        invocations = journal.recent(pool_id) if journal is not None else []
        return self._render(request, "triggers.html", invocations=invocations, pool_id=pool_id)


def _done(path: str, notice: str) -> RedirectResponse:
    """After a change, the page again (Post/Redirect/Get), saying what was done."""
    return RedirectResponse(f"{PREFIX}{path}?{urlencode({'done': notice})}", status_code=303)


def _guarded(console: Console, page: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    async def guarded(request: Request) -> Response:
        if not console.authorized(request):
            return Response("The userpools console needs the admin credentials (access key id and secret).",
                            status_code=401, headers={**PAGE_HEADERS, "WWW-Authenticate": REALM},
                            media_type="text/plain")
        return await page(request)

    return guarded


def mount(context: Callable[[], Context], call: Call, *, development: bool,
          credentials: tuple[tuple[str, str], ...] = ()) -> Mount:
    console = Console(context, call, development=development, credentials=credentials)
    routes = (
        ("/", console.pools, "GET"),
        ("/outbox", console.outbox, "GET"),
        ("/outbox/{pool_id}/{message_id}", console.email_html, "GET"),
        ("/triggers", console.triggers, "GET"),
        ("/pools/{pool_id}", console.pool, "GET"),
        ("/pools/{pool_id}", console.pool_action, "POST"),
        ("/pools/{pool_id}/users/{username:path}", console.user, "GET"),
        ("/pools/{pool_id}/users/{username:path}", console.user_action, "POST"),
    )
    return Mount(PREFIX, routes=[Route(path, _guarded(console, page), methods=[method])
                                 for path, page, method in routes])

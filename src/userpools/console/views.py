"""The console's pages. Every value comes from an operation handler called with the app's ``Context`` (the
same input checks, the same errors as the API); the outbox, which no operation reads, comes from the store's
outbox through ``Context.outbox`` as ``GET /_userpools/outbox`` reads it. Read-only: no page changes anything.

Served in development mode only (``app.py`` passes ``enabled``): with admin credentials configured every path
here answers 404, as the other development endpoints do. No JavaScript; the HTML of an email is shown in a
sandboxed frame served from its own path with a CSP of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route

from userpools.delivery.mime import html_to_text, looks_like_html
from userpools.errors import CognitoError
from userpools.operations import OPERATIONS
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
    "Referrer-Policy": "no-referrer",
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


_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)
_env.filters["when"] = _when
_env.filters["q"] = lambda value: quote(str(value), safe="")


def _render(template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    html = _env.get_template(template).render(prefix=PREFIX, **values)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


async def _call(ctx: Context, operation: str, **request: Any) -> dict[str, Any]:
    return await OPERATIONS[operation](ctx, request)


async def _all(ctx: Context, operation: str, key: str, token: str, out_token: str | None = None,
               pages: int = 20, **request: Any) -> list[dict[str, Any]]:
    """Every page of a list operation (at most ``pages`` of them: a console, not an export)."""
    items: list[dict[str, Any]] = []
    next_token = None
    for _ in range(pages):
        answer = await _call(ctx, operation, **request, **({token: next_token} if next_token else {}))
        items.extend(answer.get(key, []))
        next_token = answer.get(out_token or token)
        if not next_token:
            break
    return items


def _attributes(user: dict[str, Any]) -> dict[str, str]:
    return {a["Name"]: a.get("Value", "") for a in user.get("Attributes") or user.get("UserAttributes") or []}


class Console:
    def __init__(self, context: Callable[[], Context], *, enabled: bool) -> None:
        self._context = context
        self._enabled = enabled

    def _ctx(self) -> Context:
        if not self._enabled:
            raise HTTPException(404, "Not Found")
        return self._context()

    async def pools(self, request: Request) -> Response:
        ctx = self._ctx()
        pools = await _all(ctx, "ListUserPools", "UserPools", "NextToken", MaxResults=60)
        return _render("pools.html", pools=pools)

    async def pool(self, request: Request) -> Response:
        ctx = self._ctx()
        pool_id = request.path_params["pool_id"]
        query = request.query_params.get("filter", "").strip()
        try:
            pool = (await _call(ctx, "DescribeUserPool", UserPoolId=pool_id))["UserPool"]
        except CognitoError as exc:
            return _render("error.html", status=404, error=exc)
        clients = await _all(ctx, "ListUserPoolClients", "UserPoolClients", "NextToken", UserPoolId=pool_id,
                             MaxResults=60)
        groups = await _all(ctx, "ListGroups", "Groups", "NextToken", UserPoolId=pool_id, Limit=60)
        error = None
        users: list[dict[str, Any]] = []
        try:
            if len(query) > 256:  # ListUsers' Filter: at most 256 characters (the model's constraint)
                raise ValueError("Filter: at most 256 characters")
            answer = await _call(ctx, "ListUsers", UserPoolId=pool_id, Limit=60,
                                 **({"Filter": query} if query else {}))
            users = answer["Users"]
        except CognitoError as exc:
            error = f"{exc.code}: {exc.message}"
        except ValueError as exc:
            error = f"InvalidParameterException: {exc}"
        for user in users:
            user["attributes"] = _attributes(user)
        return _render("pool.html", pool=pool, clients=clients, groups=groups, users=users, filter=query,
                       error=error)

    async def user(self, request: Request) -> Response:
        ctx = self._ctx()
        pool_id, username = request.path_params["pool_id"], request.path_params["username"]
        try:
            pool = (await _call(ctx, "DescribeUserPool", UserPoolId=pool_id))["UserPool"]
            user = await _call(ctx, "AdminGetUser", UserPoolId=pool_id, Username=username)
        except CognitoError as exc:
            return _render("error.html", status=404, error=exc)
        sections: dict[str, Any] = {}
        for name, operation, key, token, extra in (
            ("groups", "AdminListGroupsForUser", "Groups", "NextToken", {"Limit": 60}),
            ("devices", "AdminListDevices", "Devices", "PaginationToken", {"Limit": 60}),
            ("events", "AdminListUserAuthEvents", "AuthEvents", "NextToken", {"MaxResults": 60}),
        ):
            try:  # one section's error (threat protection off for auth events) does not hide the others
                sections[name] = await _all(ctx, operation, key, token, UserPoolId=pool_id,
                                            Username=user["Username"], pages=5, **extra)
            except CognitoError as exc:
                sections[name] = f"{exc.code}: {exc.message}"
        for device in sections["devices"] if isinstance(sections["devices"], list) else []:
            device["attributes"] = {a["Name"]: a.get("Value", "") for a in device.get("DeviceAttributes", [])}
        return _render("user.html", pool=pool, user=user, attributes=_attributes(user), **sections)

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
        ctx = self._ctx()
        pool_id = request.query_params.get("pool") or None
        return _render("outbox.html", messages=await self._messages(ctx, pool_id), pool_id=pool_id)

    async def email_html(self, request: Request) -> Response:
        ctx = self._ctx()
        wanted = request.path_params["message_id"]
        for message in await self._messages(ctx, request.path_params["pool_id"]):
            if message["id"] == wanted and message["html"]:
                return HTMLResponse(message["body"], headers=EMAIL_HEADERS)
        raise HTTPException(404, "Not Found")


def mount(context: Callable[[], Context], *, enabled: bool) -> Mount:
    console = Console(context, enabled=enabled)
    return Mount(PREFIX, routes=[
        Route("/", console.pools, methods=["GET"]),
        Route("/outbox", console.outbox, methods=["GET"]),
        Route("/outbox/{pool_id}/{message_id}", console.email_html, methods=["GET"]),
        Route("/pools/{pool_id}", console.pool, methods=["GET"]),
        Route("/pools/{pool_id}/users/{username:path}", console.user, methods=["GET"]),
    ])

"""The ASGI application: the one place where implementations are chosen and wired together."""

from __future__ import annotations

import base64
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from userpools import __version__
from userpools.clock import AdjustableClock, Clock, SystemClock
from userpools.config import Settings
from userpools.crypto.codes import CodeHasher
from userpools.crypto.datakey import DataKeyCipher
from userpools.crypto.jwt import Signer, collecting
from userpools.crypto.keys import jwks_document
from userpools.delivery.outbox import Outbox
from userpools.delivery.senders import Delivery
from userpools.domain.resources import UI_CUSTOMIZATION, ui_customization_key
from userpools.domain.ui_customization import image_path
from userpools.hosted_ui.routes import domain_mount
from userpools.oauth.endpoints import Endpoints, discovery_document
from userpools.oauth.site import PREFIX as DOMAIN_PREFIX
from userpools.oauth.site import base_url
from userpools.oauth.site import rewrite as rewrite_domain_request
from userpools.operations import OPERATIONS
from userpools.operations.context import Context, OperationSettings
from userpools.operations.keyring import KeyRing
from userpools.operations.pacing import Pacer
from userpools.protocol.dispatch import Around, Dispatcher, Handle
from userpools.storage.engine import open_store
from userpools.storage.ports import Store
from userpools.triggers.config import load_triggers_config
from userpools.triggers.invoker import TriggerInvoker

log = logging.getLogger("userpools")

# Browsers call the API directly (amazon-cognito-identity-js, Amplify): they must be able to read these.
EXPOSED_HEADERS = ["x-amzn-RequestId", "x-amzn-ErrorType", "x-amzn-ErrorMessage", "Date"]


class UserPoolsApp(Starlette):
    """Starlette, with the API's own requests (``POST /`` from a client that is not a browser: no Origin
    header) handed straight to the dispatcher. The dispatcher answers every failure itself, and such a
    request needs no CORS headers, so the middleware stack and the router would only add their calls (about
    a tenth of a ForgotPassword's server CPU); everything else (browsers, preflights, the other routes, the
    lifespan) goes through Starlette as before."""

    api: Callable[[Request], Awaitable[Response]] | None = None
    oauth: Endpoints | None = None
    own_hosts: frozenset[str] = frozenset()
    """The server's own host names: a request with another Host on a domain path is that domain's (oauth.site)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path = scope["path"]
            if path == "/" and self.api is not None and not _has_origin(scope):
                response = await self.api(Request(scope, receive))
                await response(scope, receive, send)
                return
            rewrite_domain_request(scope, self.own_hosts)
            path = scope["path"]
            # The same for a pool domain's token endpoint (client_credentials, a code's redemption, a refresh):
            # its callers are back ends, and the router and middleware were a tenth of a token's CPU.
            if path.endswith(_TOKEN_PATH) and path.startswith(_DOMAIN_PREFIX) and self.oauth is not None:
                domain = path[len(_DOMAIN_PREFIX) : -len(_TOKEN_PATH)]
                if domain and "/" not in domain and not _has_origin(scope):
                    await self.oauth.token_asgi(domain, scope, receive, send)
                    return
        elif scope["type"] == "http":
            rewrite_domain_request(scope, self.own_hosts)
        await super().__call__(scope, receive, send)


_DOMAIN_PREFIX = DOMAIN_PREFIX + "/"
_TOKEN_PATH = "/oauth2/token"


def _has_origin(scope: Scope) -> bool:
    return any(name == b"origin" for name, _ in scope["headers"])


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def load_cipher(settings: Settings) -> DataKeyCipher:
    if settings.data_key:
        return DataKeyCipher.from_text(settings.data_key)
    return DataKeyCipher.from_file(settings.data_dir / "data.key")


def signing_after(signer: Signer) -> Around:
    """--signing-threads: the tokens a request made (DeferredTokens) are signed on the signer's threads once
    its operation, and so its transaction, is done; without it they are signed as the response is
    serialised. Installed around the dispatcher only when the signer has threads."""

    async def sign_after(handle: Handle, request: Request) -> dict[str, Any]:
        with collecting() as tokens:
            output = await handle(request)
        await signer.sign(tokens)  # after the operation's transaction
        return output

    return sign_after


def operation_settings(settings: Settings) -> OperationSettings:
    """What the operations read of the settings (they never see Settings itself)."""
    return OperationSettings(
        region=settings.region, account_id=settings.account_id, public_url=settings.effective_public_url,
        aws_issuer=settings.aws_issuer, workers=settings.workers,
        recovery_attempts_per_hour=settings.recovery_attempts_per_hour,
        recovery_requests_per_second=settings.recovery_requests_per_second,
    )


def create_app(
    settings: Settings, *, clock: Clock | None = None, store: Store | None = None,
    triggers: TriggerInvoker | None = None,
) -> UserPoolsApp:
    """Builds the server. The store is opened (and migrated) at start-up unless one is passed in."""
    if clock is None:
        clock = AdjustableClock() if settings.development_mode else SystemClock()
    cipher = load_cipher(settings)
    state: dict[str, Any] = {}
    delivery = Delivery.from_settings(settings.smtp_url, settings.sms_webhook)
    invoker = triggers or TriggerInvoker(
        load_triggers_config(settings.config_file, lambda_endpoint=settings.lambda_endpoint), region=settings.region
    )
    if triggers is None:
        invoker.preload()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        opened = store or await open_store(settings.effective_database_url)
        context = Context(
            store=opened, clock=clock, settings=operation_settings(settings), cipher=cipher,
            outbox=Outbox(cipher, clock, echo=settings.development_mode), codes=CodeHasher(cipher),
            keyring=KeyRing(cipher), pacer=Pacer(), delivery=delivery, triggers=invoker,
            simulation_key=cipher.derive("simulated-answers"),
        )
        log.info("delivery: %s", delivery.describe())
        state["store"] = opened
        state["context"] = context
        signer = Signer(settings.signing_threads)
        state["dispatch"] = Dispatcher(
            OPERATIONS, context, credentials=settings.admin_credentials, now=clock.now,
            around=signing_after(signer) if signer.active else None,
        )
        log.info("userpools %s serving on %s", __version__, settings.effective_public_url)
        try:
            yield
        finally:
            signer.close()
            if store is None:
                await opened.close()
            if triggers is None:
                await invoker.aclose()

    async def api(request: Request) -> Response:
        return await state["dispatch"](request)

    async def health(request: Request) -> Response:
        try:
            await state["store"].ping()
        except Exception as exc:  # noqa: BLE001 - the store is unreachable, however: say so, with 503
            return _json({"status": "unavailable", "error": type(exc).__name__}, 503)
        return _json({"status": "ok", "version": __version__})

    async def outbox(request: Request) -> Response:
        """Development mode only: the messages a pool sent, newest first (tests read codes here)."""
        if not settings.development_mode:
            return _json({"__type": "ResourceNotFoundException", "message": "Not Found"}, 404)
        try:
            limit = min(int(request.query_params.get("limit", "100")), 1000)
        except ValueError:
            limit = 100
        async with state["store"].transaction(readonly=True) as tx:
            records = await tx.outbox.list(
                request.query_params.get("userPoolId"), request.query_params.get("username"), limit=limit
            )
        return _json({"messages": [state["context"].outbox.open(r) for r in records]})

    async def move_clock(request: Request) -> Response:
        """Development mode only: {"freeze": true}, {"advanceSeconds": N} or {"reset": true}."""
        if not settings.development_mode or not isinstance(clock, AdjustableClock):
            return _json({"__type": "ResourceNotFoundException", "message": "Not Found"}, 404)
        try:
            body = orjson.loads(await request.body() or b"{}")
            if body.get("reset"):
                clock.reset()
            if body.get("freeze"):
                clock.freeze()
            if body.get("advanceSeconds") is not None:
                clock.advance(timedelta(seconds=float(body["advanceSeconds"])))
        except (ValueError, TypeError, AttributeError):
            return _json({"__type": "InvalidParameterException", "message": "Bad clock request"}, 400)
        return _json({"now": clock.now().isoformat()})

    async def jwks(request: Request) -> Response:
        pool_id = request.path_params["pool_id"]
        async with state["store"].transaction(readonly=True) as tx:
            pool = await tx.pools.get(pool_id)
            keys = list(await tx.signing_keys.list(pool_id)) if pool else []
        if pool is None:
            return _not_found_pool(pool_id)
        return _json(jwks_document(keys))

    async def openid_configuration(request: Request) -> Response:
        """The pool's OpenID configuration; with a domain, its endpoints there (the prefix domain's, else the
        custom domain's, on the server's own address: they need no DNS)."""
        pool_id = request.path_params["pool_id"]
        async with state["store"].transaction(readonly=True) as tx:
            pool = await tx.pools.get(pool_id)
        if pool is None:
            return _not_found_pool(pool_id)
        domain = pool.settings.get("Domain") or pool.settings.get("CustomDomain")
        base = base_url(settings.effective_public_url, domain) if domain else None
        return _json(discovery_document(state["context"], pool_id, base))

    async def ui_image(request: Request) -> Response:
        """The classic hosted UI's logo (SetUICustomization's ImageUrl); the version in the path makes each
        upload a new URL, so it may be cached for good."""
        params = request.path_params
        async with state["store"].transaction(readonly=True) as tx:
            found = await tx.resources.get(
                UI_CUSTOMIZATION, ui_customization_key(params["pool_id"], params["client_id"])
            )
        if found is None or image_path(found.document) != request.url.path:
            return _json({"__type": "ResourceNotFoundException", "message": "Not Found"}, 404)
        picture = found.document["Image"]
        return Response(
            base64.b64decode(picture["Data"]),
            media_type=picture["ContentType"],
            headers={"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"},
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = "ResourceNotFoundException" if exc.status_code == 404 else "UnknownOperationException"
        return _json({"__type": code, "message": exc.detail}, exc.status_code)

    oauth_endpoints = Endpoints(lambda: state["context"])
    routes = [
        Route("/", api, methods=["POST"]),
        Route("/_userpools/health", health, methods=["GET"]),
        Route("/_userpools/outbox", outbox, methods=["GET"]),
        Route("/_userpools/clock", move_clock, methods=["POST"]),
        Route("/_userpools/ui/{pool_id}/{client_id}/{version}/assets/images/{file}", ui_image, methods=["GET"]),
        Route("/{pool_id}/.well-known/jwks.json", jwks, methods=["GET"]),
        Route("/{pool_id}/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
        domain_mount(lambda: state["context"], oauth_endpoints),
    ]
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=EXPOSED_HEADERS,
            max_age=86400,
        )
    ]
    app = UserPoolsApp(
        routes=routes, middleware=middleware, lifespan=lifespan, exception_handlers={HTTPException: http_error}
    )
    app.api = api
    app.oauth = oauth_endpoints
    app.own_hosts = frozenset(h for h in (urlsplit(settings.effective_public_url).hostname,) if h)
    return app


def _not_found_pool(pool_id: str) -> Response:
    return _json({"__type": "ResourceNotFoundException", "message": f"User pool {pool_id} does not exist."}, 404)

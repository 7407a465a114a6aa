"""The ASGI application: the one place where implementations are chosen and wired together."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import ipaddress
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from userpools import __version__, ids, logs, metrics
from userpools.clock import AdjustableClock, Clock, SystemClock
from userpools.config import Settings
from userpools.console.views import mount as console_mount
from userpools.crypto.codes import CodeHasher
from userpools.crypto.datakey import DataKeyCipher
from userpools.crypto.jwt import Signer, collecting
from userpools.crypto.keys import jwks_document
from userpools.crypto.signing_process import ProcessSigner
from userpools.delivery.outbox import Outbox
from userpools.delivery.senders import Delivery
from userpools.domain.resources import UI_CUSTOMIZATION, ui_customization_key
from userpools.domain.ui_customization import image_path
from userpools.domain.user_import import UploadRefused, s3_error_xml
from userpools.hosted_ui.routes import Handler, domain_routes
from userpools.http import IndexedHeaders, indexed_request, respond_with
from userpools.oauth.endpoints import Endpoints, discovery_document
from userpools.oauth.site import PREFIX as DOMAIN_PREFIX
from userpools.oauth.site import base_url
from userpools.oauth.site import rewrite as rewrite_domain_request
from userpools.operations import OPERATIONS, user_import
from userpools.operations.breached import BreachedPasswords
from userpools.operations.context import CALLER, Caller, Context, OperationSettings
from userpools.operations.import_runner import ImportRunner
from userpools.operations.keyring import KeyRing
from userpools.operations.limits import RateLimits
from userpools.operations.pacing import Pacer
from userpools.operations.threats import FEEDBACK_PATH, feedback_link
from userpools.protocol.dispatch import Around, Dispatcher, Handle, Observe
from userpools.provisioning import apply_pools, read_pools
from userpools.storage.engine import open_store
from userpools.storage.ports import Store
from userpools.triggers.config import load_triggers_config
from userpools.triggers.invoker import TriggerInvoker
from userpools.triggers.journal import TriggerJournal

log = logging.getLogger("userpools")

#: purge(before) deletes the counters that expire before ``before``: this one is after all of them.
COUNTERS_GONE = datetime(9999, 1, 1, tzinfo=UTC)

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
    domain: ASGIApp | None = None
    """The domain's routes alone (with the exception handlers): what a domain request without an Origin header
    is handed to, past the CORS middleware (which adds nothing to such a request) and the other routes."""
    sign_in_handlers: dict[tuple[str, str], Handler] = {}  # noqa: RUF012 - set once by create_app
    """(method, path under the domain) → handler: the hosted sign-in's own requests (``domain_routes``)."""
    http_error: Callable[[Request, Exception], Awaitable[Response]] | None = None
    own_hosts: frozenset[str] = frozenset()
    """The server's own host names: a request with another Host on a domain path is that domain's (oauth.site)."""
    proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    """--trusted-proxies: whose X-Forwarded-For names the client of a request (``client_ip``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            post = scope["method"] == "POST"
            if post and scope["path"] == "/" and self.api is not None:
                headers = IndexedHeaders(scope["headers"])
                if not headers.has(b"origin"):
                    response = await self.api(indexed_request(scope, receive, headers))
                    await respond_with(response, scope, receive, send)
                    return
            rewrite_domain_request(scope, self.own_hosts)
            path = scope["path"]
            if path.startswith(_DOMAIN_PREFIX):
                # a domain's endpoints and pages: the caller's address for their rate limits and for the
                # hosted sign-in's threat protection and auth events, as the API's requests have it
                headers = IndexedHeaders(scope["headers"])
                origin = headers.has(b"origin")
                peer = scope.get("client")
                ip = (client_ip(indexed_request(scope, receive, headers), self.proxies) if self.proxies
                      else (peer[0] if peer else None))
                CALLER.set(Caller(ip=ip, user_agent=headers.get("user-agent")))
                # Without an Origin header no CORS headers are due. The API's shortcut for a domain's token
                # endpoint (client_credentials, a code's redemption, a refresh): its callers are back ends, and
                # the router and middleware were a tenth of a token's CPU.
                if not origin:
                    if post and path.endswith(_TOKEN_PATH) and self.oauth is not None:
                        domain = path[len(_DOMAIN_PREFIX) : -len(_TOKEN_PATH)]
                        if domain and "/" not in domain:
                            await self.oauth.token_asgi(domain, scope, receive, send)
                            return
                    # A hosted sign-in's own requests (a browser's navigation sends no Origin): straight to
                    # their handler, as the domain's Mount would call it (its Router, route matching and
                    # exception middleware were a fifth of GET /oauth2/authorize's CPU).
                    domain, slash, rest = path[len(_DOMAIN_PREFIX):].partition("/")
                    handler = self.sign_in_handlers.get((scope["method"], slash + rest)) if domain else None
                    if handler is not None:
                        scope["app"] = self
                        scope["path_params"] = {"domain": domain}
                        request = indexed_request(scope, receive, headers)
                        try:
                            response = await handler(request)
                        except HTTPException as exc:  # a malformed form: answered as the Mount's handlers do
                            if self.http_error is None:
                                raise
                            response = await self.http_error(request, exc)
                        await respond_with(response, scope, receive, send)
                        return
                    # The other pages and endpoints: the domain's own routes and the same exception handlers,
                    # without the middleware and the other routes' matching.
                    if self.domain is not None:
                        scope["app"] = self
                        await self.domain(scope, receive, send)
                        return
        await super().__call__(scope, receive, send)


_DOMAIN_PREFIX = DOMAIN_PREFIX + "/"
_TOKEN_PATH = "/oauth2/token"


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def load_cipher(settings: Settings) -> DataKeyCipher:
    if settings.data_key:
        return DataKeyCipher.from_text(settings.data_key)
    return DataKeyCipher.from_file(settings.data_dir / "data.key")


def signing_after(signer: Signer) -> Around:
    """--signing-process, --signing-threads: the tokens a request made (DeferredTokens) are signed by the
    signer's helper process or threads once its operation, and so its transaction, is done; without either
    they are signed as the response is serialised. Installed around the dispatcher only when the signer has
    one."""

    async def sign_after(handle: Handle, request: Request) -> dict[str, Any]:
        with collecting() as tokens:
            output = await handle(request)
        await signer.sign(tokens)  # after the operation's transaction
        return output

    return sign_after


def request_observer(counts: metrics.Metrics, *, request_log: bool) -> Observe:
    """What the dispatcher calls once per request: the metrics, and the request log's line when it is on."""
    observe_request = counts.observe_request
    if not request_log:
        def observe(request_id: str, operation: str, outcome: str, seconds: float) -> None:
            observe_request(operation, outcome, seconds)
        return observe
    line = logs.request_line

    def observe_and_log(request_id: str, operation: str, outcome: str, seconds: float) -> None:
        observe_request(operation, outcome, seconds)
        line(request_id, operation, outcome, seconds)
    return observe_and_log


def operation_settings(settings: Settings) -> OperationSettings:
    """What the operations read of the settings (they never see Settings itself)."""
    return OperationSettings(
        region=settings.region, account_id=settings.account_id, public_url=settings.effective_public_url,
        aws_issuer=settings.aws_issuer, workers=settings.workers,
        recovery_attempts_per_hour=settings.recovery_attempts_per_hour,
        recovery_requests_per_second=settings.recovery_requests_per_second,
        token_failures_per_minute=settings.token_failures_per_minute,
        login_failures_per_minute=settings.login_failures_per_minute,
        rate_limits=settings.effective_rate_limits,
        breached_passwords=str(settings.breached_passwords) if settings.breached_passwords else None,
        breached_passwords_url=settings.breached_passwords_url, log_dir=str(settings.effective_log_dir),
        cimd_allow_loopback=settings.cimd_allow_loopback,
        shared_signing_key=settings.shared_signing_key,
    )


def build_context(settings: Settings, store: Store, clock: Clock, cipher: DataKeyCipher, delivery: Delivery,
                  invoker: TriggerInvoker, breached: BreachedPasswords, imports: ImportRunner,
                  signer: Signer | None = None) -> Context:
    """The Context every operation receives (the server's, and pools as code's at start-up: no signer, the
    tokens signed as they are serialised)."""
    limits = RateLimits(
        store, clock, account_id=settings.account_id, region=settings.region,
        enforce=settings.effective_rate_limits,
        recovery_requests_per_second=settings.recovery_requests_per_second,
    )
    return Context(
        store=store, clock=clock, settings=operation_settings(settings), cipher=cipher,
        outbox=Outbox(cipher, clock, echo=settings.development_mode), codes=CodeHasher(cipher),
        keyring=KeyRing(cipher), pacer=Pacer(), delivery=delivery, triggers=invoker,
        simulation_key=cipher.derive("simulated-answers"),
        breached=breached, imports=imports, limits=limits, signer=signer or Signer(),
    )


def provision_pools(settings: Settings) -> list[str]:
    """Pools as code: applies the ``[[pools]]`` of the configuration file to the store, once, before the
    server (or its workers) starts; returns what changed. Raises provisioning.PoolsConfigError."""
    if settings.config_file is None:
        return []
    specs = read_pools(settings.config_file)
    if not specs:
        return []
    source = str(settings.config_file)
    return with_context(settings, lambda context: apply_pools(context, specs, source=source))


T = TypeVar("T")


def with_context(settings: Settings, work: Callable[[Context], Awaitable[T]]) -> T:
    """Runs ``work`` with a Context on the configured store, outside any server (start-up's pools as code,
    ``userpools clone``): the store opened (and migrated), the data key loaded, no messages sent beyond the
    outbox's (no SMTP or SMS sender)."""

    async def run() -> T:
        store = await open_store(settings.effective_database_url)
        clock = AdjustableClock() if settings.development_mode else SystemClock()
        cipher = load_cipher(settings)
        invoker = TriggerInvoker(
            load_triggers_config(settings.config_file, lambda_endpoint=settings.lambda_endpoint),
            region=settings.region,
        )
        imports = ImportRunner(store, clock, cipher)
        context = build_context(settings, store, clock, cipher, Delivery.from_settings(None, None), invoker,
                                BreachedPasswords(None, None), imports)
        try:
            return await work(context)
        finally:
            await invoker.aclose()
            await store.close()

    return asyncio.run(run())


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
    if settings.development_mode and invoker.journal is None:
        invoker.journal = TriggerJournal()  # the console's trigger invocations (development mode only)
    breached = BreachedPasswords(
        str(settings.breached_passwords) if settings.breached_passwords else None, settings.breached_passwords_url
    )
    proxies = tuple(ipaddress.ip_network(item, strict=False) for item in settings.trusted_proxies)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        opened = store or await open_store(settings.effective_database_url)
        use_clock = getattr(opened, "use_clock", None)
        if use_clock is not None:
            use_clock(clock)  # the users' change journal (point-in-time recovery) runs on the server's clock
        imports = ImportRunner(opened, clock, cipher)
        signer = Signer(settings.signing_threads,
                        process=ProcessSigner() if settings.signing_process else None)
        await signer.start()
        context = build_context(settings, opened, clock, cipher, delivery, invoker, breached, imports, signer)
        limits = context.limits
        log.info("delivery: %s", delivery.describe())
        state["store"] = opened
        state["context"] = context
        state["dispatch"] = Dispatcher(
            limits.wrap(OPERATIONS) if limits.enforce else OPERATIONS,  # off: no work per request
            context, credentials=settings.admin_credentials, now=clock.now,
            around=signing_after(signer) if signer.active else None,
            observe=request_observer(metrics.METRICS, request_log=settings.request_log),
        )
        await imports.resume()  # import jobs this or a stopped server left unfinished
        log.info("userpools %s serving on %s", __version__, settings.effective_public_url)
        try:
            yield
        finally:
            await imports.close()  # before the store closes: the claims are released
            signer.close()
            if store is None:
                await opened.close()
            if triggers is None:
                await invoker.aclose()

    async def api(request: Request) -> Response:
        CALLER.set(Caller(ip=client_ip(request, proxies), user_agent=request.headers.get("user-agent")))
        return await state["dispatch"](request)

    async def auth_event_feedback(request: Request) -> Response:
        """The one-click links of threat protection's notification emails (operations.threats)."""
        text, status = await feedback_link(state["context"], dict(request.query_params))
        return Response(text, status_code=status, media_type="text/plain; charset=utf-8")

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

    async def reset(request: Request) -> Response:
        """Development mode only: deletes every pool, and with them everything in them (clients, users, codes,
        sessions, auth events, the outbox, domains and other resources: the schema cascades), and the rate and
        attempt counters. Tests start again from an empty server. The clock is left alone (POST
        /_userpools/clock {"reset": true} resets it)."""
        if not settings.development_mode:
            return _json({"__type": "ResourceNotFoundException", "message": "Not Found"}, 404)
        deleted = 0
        async with state["store"].transaction() as tx:
            while page := await tx.pools.list(limit=100):
                for pool in page:
                    deleted += await tx.pools.delete(pool.id)
            counters = await tx.counters.purge(COUNTERS_GONE)
        return _json({"deletedPools": deleted, "deletedCounters": counters})

    async def metrics_endpoint(request: Request) -> Response:
        """Prometheus' text format: the process's metrics (every worker's, summed, with --workers)."""
        return Response(metrics.METRICS.exposition(), media_type=metrics.CONTENT_TYPE)

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
        return _json(discovery_document(state["context"], pool_id, base, pool=pool))

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

    async def import_upload(request: Request) -> Response:
        """The PUT to a user import job's pre-signed URL (``curl -T users.csv -H
        "x-amz-server-side-encryption:aws:kms" <PreSignedUrl>``): S3's answers, 200 with an ETag or an XML
        error. The encryption header is accepted and ignored (the file is kept in the store)."""
        params = request.path_params
        declared = request.headers.get("content-length")
        try:
            if declared is not None and int(declared) > MAX_IMPORT_BYTES:
                raise UploadRefused("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400)
            body = await _read_limited(request, MAX_IMPORT_BYTES)
            await user_import.upload(
                state["context"], params["pool_id"], params["job_id"], request.query_params, body
            )
        except UploadRefused as refused:
            return Response(
                s3_error_xml(refused.code, refused.message, ids.new_uuid()), status_code=refused.status,
                media_type="application/xml",
            )
        etag = '"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"'
        return Response(b"", headers={"ETag": etag, "x-amz-server-side-encryption": "aws:kms"})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = "ResourceNotFoundException" if exc.status_code == 404 else "UnknownOperationException"
        return _json({"__type": code, "message": exc.detail}, exc.status_code)

    oauth_endpoints = Endpoints(lambda: state["context"])
    domain_mount, sign_in_handlers = domain_routes(lambda: state["context"], oauth_endpoints)
    routes = [
        Route("/", api, methods=["POST"]),
        Route("/_userpools/health", health, methods=["GET"]),
        Route("/_userpools/outbox", outbox, methods=["GET"]),
        Route("/_userpools/clock", move_clock, methods=["POST"]),
        Route(FEEDBACK_PATH, auth_event_feedback, methods=["GET"]),
        Route("/_userpools/reset", reset, methods=["POST"]),
        Route("/_userpools/metrics", metrics_endpoint, methods=["GET"]),
        Route("/_userpools/ui/{pool_id}/{client_id}/{version}/assets/images/{file}", ui_image, methods=["GET"]),
        Route("/_userpools/import/{pool_id}/{job_id}", import_upload, methods=["PUT"]),
        Route("/{pool_id}/.well-known/jwks.json", jwks, methods=["GET"]),
        Route("/{pool_id}/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
        console_mount(
            lambda: state["context"], lambda name, params: state["dispatch"].invoke(name, params),
            development=settings.development_mode,
            credentials=tuple((c.access_key_id, c.secret_access_key) for c in settings.admin_credentials),
        ),
        domain_mount,
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
    app.domain = ExceptionMiddleware(Router(routes=[domain_mount]), handlers={HTTPException: http_error})
    app.sign_in_handlers = sign_in_handlers
    app.http_error = http_error
    app.proxies = proxies
    app.own_hosts = frozenset(h for h in (urlsplit(settings.effective_public_url).hostname,) if h)
    return app


def client_ip(request: Request, proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> str | None:
    """The client's address: the connection's peer, or, when the peer is a trusted proxy, the last address of
    X-Forwarded-For that is not itself a trusted proxy (the first one a trusted hop saw)."""
    peer = request.client.host if request.client else None
    if not proxies or peer is None:
        return peer

    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in proxies)

    if not trusted(peer):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    for hop in reversed(hops):
        if not trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a malformed header: the proxy's own address, never a made-up one
    return hops[0] if hops else peer


#: The largest CSV a user import job takes (Cognito: 100 MB [C: DG]).
MAX_IMPORT_BYTES = 100 * 1024 * 1024


async def _read_limited(request: Request, limit: int) -> bytes:
    """The request body, refused past ``limit`` bytes however it is sent (chunked bodies declare no length)."""
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise UploadRefused("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400)
        parts.append(chunk)
    return b"".join(parts)


def _not_found_pool(pool_id: str) -> Response:
    return _json({"__type": "ResourceNotFoundException", "message": f"User pool {pool_id} does not exist."}, 404)

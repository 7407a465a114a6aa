"""Cognito's wire protocol as boto3 sends it, over one pooled keep-alive HTTP/1.1 client.

``POST /`` with ``Content-Type: application/x-amz-json-1.1``, ``X-Amz-Target:
AWSCognitoIdentityProviderService.<Op>`` and a JSON body. Whether an operation is signed comes from
botocore's own model (``authtype: none`` → unsigned, as boto3 does); the rest get a SigV4 signature from
botocore's ``SigV4Auth`` with dummy credentials, computed once per request over the exact bytes sent
(about 50 µs; one signer object for the whole run).

Two HTTP clients, both HTTP/1.1 with keep-alive and one pooled connection per worker, because the load
generator shares the machine with the server it measures and its own CPU per request is taken from the
server. Measured on this 2-CPU host against userpools (client CPU per request, uvloop):

- aiohttp ``ClientSession``: 0.22 ms. Used when installed (``--http auto``).
- httpx ``AsyncHTTPTransport``: 0.53 ms: httpx's pooled keep-alive transport, called directly, which skips
  what ``AsyncClient`` adds per request and a benchmark never uses (cookie extraction through
  ``email.message``, auth and redirect handling, event hooks). ``httpx.AsyncClient`` itself: 0.77 ms.

Every run reports the load generator's own CPU next to the server's, so whether the client was a limit is
visible in the numbers.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from dataclasses import dataclass
from typing import Any, Protocol

import botocore.session
import httpx
import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

if importlib.util.find_spec("sniffio") is None:
    # httpcore 1.0.9 runs ``import sniffio`` on every lock and semaphore it sets up (several per request);
    # since anyio 4.11 no longer installs sniffio, each is a failed import that searches sys.path again
    # (encode/httpcore#1103, open). A None entry in sys.modules makes that import fail at once, which is
    # the answer httpcore already handles ("asyncio"). Measured here: 1.1 → 0.5 ms of client CPU per request.
    sys.modules["sniffio"] = None  # type: ignore[assignment]

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
CONTENT_TYPE = "application/x-amz-json-1.1"
DUMMY_CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
USER_AGENT = "userpools-loadgen/0.1 (Botocore-compatible)"


def unsigned_operations() -> frozenset[str]:
    """The operations boto3 sends without a signature (``authtype: none`` in botocore's model)."""
    model = botocore.session.get_session().get_service_model("cognito-idp")
    return frozenset(
        name for name in model.operation_names if model.operation_model(name).auth_type == "none"
    )


@dataclass(frozen=True, slots=True)
class Reply:
    """One response. ``error`` is the Cognito error code (``__type`` after any ``#``), ``http_<status>`` for
    a non-JSON error, or ``transport:<Exception>`` when no response came back."""

    status: int
    body: dict[str, Any]
    error: str | None
    latency_ns: int


def error_code(status: int, error_type_header: str, body: dict[str, Any]) -> str:
    code = body.get("__type") or body.get("code") or error_type_header.split(":")[0]
    return str(code).rsplit("#", 1)[-1] if code else f"http_{status}"


@dataclass(frozen=True, slots=True)
class Exchange:
    """One plain HTTP exchange (the OAuth endpoints and the hosted pages): redirects are never followed and
    cookies never kept by the client, so each scenario iteration is a browser of its own."""

    status: int
    location: str
    set_cookies: list[str]
    body: bytes


class HttpBackend(Protocol):
    name: str

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        """(status, x-amzn-ErrorType header or "", body); raises :class:`TransportError`."""
        ...

    async def send(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Exchange:
        """Any request; raises :class:`TransportError`."""
        ...

    async def aclose(self) -> None: ...


class TransportError(Exception):
    """No HTTP response: connection refused or reset, timeout. ``kind`` names the underlying error."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class HttpxBackend:
    def __init__(self, connections: int, timeout: float) -> None:
        self.name = f"httpx {httpx.__version__} AsyncHTTPTransport"
        self._transport = httpx.AsyncHTTPTransport(
            http1=True,
            http2=False,
            retries=0,
            limits=httpx.Limits(
                max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=60.0
            ),
        )
        self._timeout = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        request = httpx.Request(
            "POST", url, content=body, headers=headers, extensions={"timeout": self._timeout}
        )
        try:
            response = await self._transport.handle_async_request(request)
            try:
                content = await response.aread()
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise TransportError(type(exc).__name__) from exc
        return response.status_code, response.headers.get("x-amzn-errortype", ""), content

    async def send(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Exchange:
        request = httpx.Request(method, url, content=body, headers=headers, extensions={"timeout": self._timeout})
        try:
            response = await self._transport.handle_async_request(request)
            try:
                content = await response.aread()
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise TransportError(type(exc).__name__) from exc
        return Exchange(
            response.status_code,
            response.headers.get("location", ""),
            response.headers.get_list("set-cookie"),
            content,
        )

    async def aclose(self) -> None:
        await self._transport.aclose()


class AiohttpBackend:
    def __init__(self, connections: int, timeout: float) -> None:
        import aiohttp

        self._aiohttp = aiohttp
        self.name = f"aiohttp {aiohttp.__version__}"
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=60.0),
            timeout=aiohttp.ClientTimeout(total=timeout),
            skip_auto_headers=("Accept",),
            cookie_jar=aiohttp.DummyCookieJar(),  # every iteration brings its own cookies (send)
        )

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        try:
            async with self._session.post(url, data=body, headers=headers) as response:
                return response.status, response.headers.get("x-amzn-errortype", ""), await response.read()
        except (TimeoutError, self._aiohttp.ClientError) as exc:
            raise TransportError(type(exc).__name__) from exc

    async def send(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Exchange:
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, allow_redirects=False
            ) as response:
                return Exchange(
                    response.status,
                    response.headers.get("Location", ""),
                    response.headers.getall("Set-Cookie", []),
                    await response.read(),
                )
        except (TimeoutError, self._aiohttp.ClientError) as exc:
            raise TransportError(type(exc).__name__) from exc

    async def aclose(self) -> None:
        await self._session.close()


def make_backend(kind: str, connections: int, timeout: float) -> HttpBackend:
    """``aiohttp``, ``httpx``, or ``auto``: aiohttp when it is installed, else httpx."""
    if kind == "auto":
        kind = "aiohttp" if importlib.util.find_spec("aiohttp") is not None else "httpx"
    if kind == "aiohttp":
        return AiohttpBackend(connections, timeout)
    if kind == "httpx":
        return HttpxBackend(connections, timeout)
    raise ValueError(f"unknown HTTP client {kind!r}")


class CognitoWire:
    """``await wire.call("InitiateAuth", {...})`` → :class:`Reply`; never raises for HTTP or transport
    failures (they are results to count). Latency is the HTTP exchange only: from just before the request
    is handed to the client to the last byte of the body, without JSON encoding or signing."""

    def __init__(
        self,
        endpoint: str,
        *,
        connections: int,
        timeout: float = 30.0,
        http: str = "auto",
        region: str = "us-east-1",
        credentials: Credentials = DUMMY_CREDENTIALS,
    ) -> None:
        self.url = endpoint.rstrip("/") + "/"
        self._signer = SigV4Auth(credentials, "cognito-idp", region)
        self._unsigned = unsigned_operations()
        self._http = make_backend(http, connections, timeout)
        self.client_name = self._http.name

    def signed(self, operation: str) -> bool:
        return operation not in self._unsigned

    def headers(self, operation: str, body: bytes) -> dict[str, str]:
        headers = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET_PREFIX + operation}
        if operation not in self._unsigned:
            request = AWSRequest(method="POST", url=self.url, data=body, headers=headers)
            self._signer.add_auth(request)
            headers = dict(request.headers.items())
        headers["User-Agent"] = USER_AGENT  # added after signing, as botocore leaves it out of the signature
        headers["Accept-Encoding"] = "identity"
        return headers

    async def call(self, operation: str, payload: dict[str, Any]) -> Reply:
        body = orjson.dumps(payload)
        headers = self.headers(operation, body)
        start = time.perf_counter_ns()
        try:
            status, error_type, content = await self._http.post(self.url, body, headers)
        except TransportError as exc:
            return Reply(0, {}, f"transport:{exc.kind}", time.perf_counter_ns() - start)
        latency = time.perf_counter_ns() - start
        try:
            parsed = orjson.loads(content) if content else {}
        except orjson.JSONDecodeError:
            parsed = {}
        if not isinstance(parsed, dict):
            parsed = {}
        if status == 200:
            return Reply(200, parsed, None, latency)
        return Reply(status, parsed, error_code(status, error_type, parsed), latency)

    async def send(
        self, method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[Exchange | None, str | None, int]:
        """A plain HTTP request: (the exchange or None, ``transport:<Exception>`` or None, latency in ns)."""
        start = time.perf_counter_ns()
        try:
            exchange = await self._http.send(method, url, body, {"User-Agent": USER_AGENT, **(headers or {})})
        except TransportError as exc:
            return None, f"transport:{exc.kind}", time.perf_counter_ns() - start
        return exchange, None, time.perf_counter_ns() - start

    async def aclose(self) -> None:
        await self._http.aclose()

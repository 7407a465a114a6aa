"""uvicorn's httptools protocol with a leaner request/response cycle: each response in one write.

uvicorn writes a response's status line and headers when the application sends ``http.response.start``, and
the body in a second write when it sends ``http.response.body``. On a socket each write is a ``send`` system
call, and on loopback the kernel delivers the segment to the reader inside that call: a second ``send`` per
response cost about as much server CPU as the framework's whole routing (py-spy: ~13% of a USER_PASSWORD_AUTH
sign-in, in the two ``transport.write`` lines). So ``Cycle`` holds the head back and sends it with the first
body write.

The rest of the cycle's per-request work is done with fewer Python steps than uvicorn's own (which measured
30 µs a request around a trivial application, a tenth of a hosted sign-in's framework time): the headers are
checked for forbidden bytes with one regular-expression search over all names and one over all values
instead of two searches per header, the cycle is made without keyword arguments, and ``respond`` writes a
whole Starlette ``Response`` without its two ASGI messages (``respond_with``). What is sent is byte for byte
what uvicorn sends; ``tests/unit/test_http.py`` holds the two to the same answers and checks the assumptions
made about uvicorn's protocol class.
"""

from __future__ import annotations

import asyncio
import contextvars
import operator
import re
import socket
import urllib.parse
from typing import Any

import httptools
import uvicorn
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import (
    HEADER_RE,
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

from userpools import collector

#: a byte no header name or value may hold, besides CR and LF (counted separately): uvicorn's HEADER_VALUE_RE
_CONTROL = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: header names already checked against uvicorn's HEADER_RE (a server sends the same few again and again)
_NAMES_SEEN: set[bytes] = set()


def _check_name(name: bytes) -> None:
    if HEADER_RE.search(name):
        raise RuntimeError("Invalid HTTP header name.")
    if len(_NAMES_SEEN) < 1024 and name == name.lower():  # only lowercase ones: see Cycle._plain_block
        _NAMES_SEEN.add(name)


def _check_block(block: bytes, count: int) -> None:
    # each line's own CR LF and no other: no header value (or name) holds a control character
    if _CONTROL.search(block) or block.count(b"\n") != count or block.count(b"\r") != count:
        raise RuntimeError("Invalid HTTP header value.")


_NAME = operator.itemgetter(0)
_LINE = b"%b: %b\r\n".__mod__


_METHODS = {method.encode("ascii"): method for method in
            ("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH")}


class Cycle(RequestResponseCycle):
    """One request and its response on a connection (uvicorn's ``RequestResponseCycle``, whose ``receive``,
    ``run_asgi`` and state the protocol keeps using), with its own ``send`` and ``respond``."""

    def __init__(self, protocol: OneWriteHttpToolsProtocol, scope: Any, keep_alive: bool,
                 expect_100_continue: bool) -> None:
        # The attributes uvicorn's cycle has (its receive, run_asgi and the protocol read them), set directly.
        self.scope = scope
        self.transport = protocol.transport
        self.flow = protocol.flow
        self.logger = protocol.logger
        self.access_logger = protocol.access_logger
        self.access_log = protocol.access_log
        self.default_headers = protocol.server_state.default_headers
        self.message_event = asyncio.Event()
        self.on_response = protocol.on_response_complete
        self.disconnected = False
        self.keep_alive = keep_alive
        self.waiting_for_100_continue = expect_100_continue
        self.body = bytearray()
        self.more_body = True
        self.response_started = False
        self.response_complete = False
        self.chunked_encoding: bool | None = None
        self.expected_content_length = 0
        self._head = b""  # the status line and headers, until the first body write takes them along

    async def send(self, message: Any) -> None:
        if self.flow.write_paused and not self.disconnected:
            await self.flow.drain()
        if self.disconnected:
            return
        kind = message["type"]
        if not self.response_started:
            if kind != "http.response.start":
                raise RuntimeError(f"Expected ASGI message 'http.response.start', but got '{kind}'.")
            self._start(message["status"], message.get("headers", ()))
        elif not self.response_complete:
            if kind != "http.response.body":
                raise RuntimeError(f"Expected ASGI message 'http.response.body', but got '{kind}'.")
            self._body(message.get("body", b""), message.get("more_body", False))
        else:
            raise RuntimeError(f"Unexpected ASGI message '{kind}' sent, after response already completed.")

    def respond(self, status: int, headers: Any, body: bytes) -> None:
        """A whole response: what ``send`` does with its start and its one body message."""
        if self.disconnected:
            return
        if self.response_started:
            raise RuntimeError("Unexpected ASGI message 'http.response.start' sent, after the response started.")
        self._start(status, headers)
        self._body(body, False)

    def _start(self, status: int, headers: Any) -> None:
        self.response_started = True
        self.waiting_for_100_continue = False
        if self.default_headers:
            headers = [*self.default_headers, *headers]
        elif not isinstance(headers, list | tuple):
            headers = list(headers)  # an ASGI iterable, read three times below
        if self.access_log:
            scope = self.scope
            self.access_logger.info('%s - "%s %s HTTP/%s" %d', get_client_addr(scope), scope["method"],
                                    get_path_with_query_string(scope), scope["http_version"], status)
        block = self._plain_block(headers)
        close_sent = False
        if block is None:
            block, close_sent = self._block(headers)
        lines = [STATUS_LINE[status], block]
        if not self.keep_alive and not close_sent:
            lines.append(b"connection: close\r\n")
        if self.chunked_encoding is None and self.scope["method"] != "HEAD" and status not in (204, 304):
            self.chunked_encoding = True  # neither a length nor an encoding: chunks
            lines.append(b"transfer-encoding: chunked\r\n")
        lines.append(b"\r\n")
        self._head = b"".join(lines)

    def _plain_block(self, headers: Any) -> bytes | None:
        """The header block of headers whose names are all ones already checked (lowercase, valid: a
        Starlette response's, uvicorn's defaults), in tuples, with no transfer-encoding or connection header:
        joined and searched by C code (the loop of ``_block`` was a third of a hosted sign-in's protocol
        work). None when ``_block`` must decide."""
        if not _NAMES_SEEN.issuperset(map(_NAME, headers)):
            return None
        try:
            block = b"".join(map(_LINE, headers))
        except TypeError:  # an ASGI header as a list, not a tuple
            return None
        _check_block(block, len(headers))
        probe = b"\n" + block
        # find, not ``in``: bytes' ``in`` first tries its operand as an integer (``65 in b"A"``), making and
        # clearing a TypeError with its message each time
        if probe.find(b"\ntransfer-encoding: ") >= 0 or probe.find(b"\nconnection: ") >= 0:
            return None
        at = probe.find(b"\ncontent-length: ")
        if at >= 0 and self.chunked_encoding is None:  # the first one counts, as in ``_block``
            self.expected_content_length = int(probe[at + 17 : probe.index(b"\r", at)])
            self.chunked_encoding = False
        return block

    def _block(self, headers: Any) -> tuple[bytes, bool]:
        """The header block, any headers (uvicorn's own loop), and whether it holds ``connection: close``."""
        lines: list[bytes] = []
        close_sent = False
        for name, value in headers:
            if name not in _NAMES_SEEN:
                _check_name(name)
            name = name.lower()
            if name == b"content-length":
                if self.chunked_encoding is None:
                    self.expected_content_length = int(value.decode())
                    self.chunked_encoding = False
            elif name == b"transfer-encoding":
                if value.lower() == b"chunked":
                    self.expected_content_length = 0
                    self.chunked_encoding = True
            elif name == b"connection" and b"close" in [token.lower().strip() for token in value.split(b",")]:
                self.keep_alive = False
                close_sent = True
            lines += (name, b": ", value, b"\r\n")
        block = b"".join(lines)
        _check_block(block, len(headers))
        return block, close_sent

    def _body(self, body: bytes, more_body: bool) -> None:
        head, self._head = self._head, b""
        if self.scope["method"] == "HEAD":
            self.expected_content_length = 0
            data = head
        elif self.chunked_encoding:
            data = head + b"%x\r\n%b\r\n" % (len(body), body) if body else head
            if not more_body:
                data += b"0\r\n\r\n"
        else:
            if len(body) > self.expected_content_length:
                raise RuntimeError("Response content longer than Content-Length")
            self.expected_content_length -= len(body)
            data = head + body if head else body
        if data:
            self.transport.write(data)
        if not more_body:
            if self.expected_content_length != 0:
                raise RuntimeError("Response content shorter than Content-Length")
            self.response_complete = True
            self.message_event.set()
            if not self.keep_alive:
                self.transport.close()
            self.on_response()


async def respond_with(response: Response, scope: Scope, receive: Receive, send: Send) -> None:
    """``await response(scope, receive, send)``: for a plain Starlette response on this module's cycle, the
    same bytes written at once (``Cycle.respond``), without its two ASGI messages."""
    cycle = getattr(send, "__self__", None)
    if (type(cycle) is Cycle and response.background is None and type(response).__call__ is Response.__call__
            and not cycle.flow.write_paused):
        cycle.respond(response.status_code, response.raw_headers, response.body)
        return
    await response(scope, receive, send)


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, its requests served by ``Cycle``.

    Its keep-alive timeout with one timer per idle stretch instead of one per request: uvicorn arms a timer
    (``call_later``) after each response and cancels it when the next request's bytes come, 1.9 µs a request
    on uvloop. Here the bytes only mark the connection busy, the response marks the time it fell idle, and
    the timer, when it fires, closes the connection if it has been idle for the whole timeout, else arms
    itself again for the rest of it."""

    #: loop time the connection's last response was completed, None while a request is being served
    _idle_since: float | None = None

    def _unset_keepalive_if_required(self) -> None:
        self._idle_since = None

    def on_response_complete(self) -> None:
        # uvicorn's, with the timer armed only when none is
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._idle_since = None
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._idle_since = self.loop.time()
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self._keep_alive_due)

    def _keep_alive_due(self) -> None:
        self.timeout_keep_alive_task = None
        idle_since = self._idle_since
        if idle_since is None:  # serving a request: its response arms the timer again
            return
        left = idle_since + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            self.timeout_keep_alive_task = self.loop.call_later(left, self._keep_alive_due)
        else:
            self.timeout_keep_alive_handler()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        value = value.rstrip(b" \t")  # the parser keeps a value's trailing whitespace (RFC 9110 §5.5 drops it)
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        parser = self.parser
        scope = self.scope
        method = parser.get_method()
        scope["method"] = _METHODS.get(method) or method.decode("ascii")
        version = parser.get_http_version()
        if version != "1.1":
            scope["http_version"] = version
        if parser.should_upgrade() and self._should_upgrade():
            return  # data_received hands the connection to the WebSocket protocol
        url = httptools.parse_url(self.url)
        raw_path = url.path
        path = raw_path.decode("ascii")
        if "%" in path:
            path = urllib.parse.unquote(path)
        root = self.root_path
        scope["path"] = root + path if root else path
        scope["raw_path"] = root.encode("ascii") + raw_path if root else raw_path
        scope["query_string"] = url.query or b""

        app = self.app
        limit = self.limit_concurrency
        if limit is not None and (len(self.connections) >= limit or len(self.tasks) >= limit):
            app = service_unavailable
            self.logger.warning("Exceeded concurrency limit.")
        previous = self.cycle
        self.cycle = cycle = Cycle(self, scope, version != "1.0" and parser.should_keep_alive(),
                                   self.expect_100_continue)
        if previous is None or previous.response_complete:
            self._start_asgi_task(cycle, app)
        else:  # a pipelined request waits for the one before it
            self.flow.pause_reading()
            self.pipeline.appendleft((cycle, app))

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        if self.config.reset_contextvars:
            task = self.loop.create_task(cycle.run_asgi(app), context=contextvars.Context())
        else:
            task = self.loop.create_task(cycle.run_asgi(app))
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)


class Server(uvicorn.Server):
    """uvicorn's server, which settles the garbage collector (``collector.settle``) once it has started: the
    lifespan's start-up done and the sockets listening, before the first request."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            collector.settle()


def uvicorn_log_config(log_format: str) -> dict[str, object] | None:
    """uvicorn's own loggers: its default configuration for text; for JSON none at all, so that its lines
    reach the root handler of ``logs.configure`` (and are JSON like the rest)."""
    if log_format == "json":
        return None
    from uvicorn.config import LOGGING_CONFIG

    return LOGGING_CONFIG


class IndexedHeaders(Headers):
    """Starlette's ``Headers`` over a request's raw headers, with ``get``, ``[]`` and ``in`` answered from a
    dict of each name's first value (what Starlette's own linear search finds) made once: an API request
    looks up four headers, and each search read every header again (a fifth of the protocol's Python work
    on a ForgotPassword). Everything else (``getlist``, ``items``, ``raw``…) is Starlette's, over the same
    list."""

    __slots__ = ("_first",)

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        super().__init__(raw=raw)
        self._first = dict(reversed(raw))

    def __getitem__(self, key: str) -> str:
        value = self._first.get(key.lower().encode("latin-1"))
        if value is None:
            raise KeyError(key)
        return value.decode("latin-1")

    def __contains__(self, key: Any) -> bool:
        return isinstance(key, str) and key.lower().encode("latin-1") in self._first

    def get(self, key: str, default: Any = None) -> Any:
        value = self._first.get(key.lower().encode("latin-1"))
        return default if value is None else value.decode("latin-1")

    def has(self, name: bytes) -> bool:
        """Whether a header of this (lowercase) name came."""
        return name in self._first


def indexed_request(scope: Scope, receive: Receive, headers: IndexedHeaders) -> Request:
    """A Starlette ``Request`` whose ``headers`` are ``headers`` (set where Starlette's property keeps the ones
    it makes; were that to change, the request would make its own, and only be slower)."""
    request = Request(scope, receive)
    request._headers = headers
    return request

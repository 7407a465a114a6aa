"""A small AWS Lambda Invoke API (and webhook endpoints) for the trigger tests: a real HTTP server on a
loopback port, in a thread, running Python handlers the test registers.

- ``POST /2015-03-31/functions/<name or URL-quoted ARN>/invocations`` checks the SigV4 signature as AWS
  does (userpools' own verifier, for service ``lambda``, against the server's credentials), then runs the
  handler registered under that name: its return value is the 200 answer; an exception becomes Lambda's
  function error (200, ``X-Amz-Function-Error: Unhandled``, ``{"errorMessage", "errorType", "stackTrace"}``);
  an unknown function is 404 ResourceNotFoundException; a bad signature 403 with AWS's error type.
- ``POST /hooks/<name>`` runs the same handlers as a webhook: the return value is the 200 answer, an
  exception a 500 ``{"errorMessage": …}``.

A handler may return :class:`Reply` to send any status, headers and body instead.
"""

from __future__ import annotations

import json
import re
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import unquote, urlsplit

from userpools.errors import CognitoError
from userpools.protocol.sigv4 import AdminCredentials, verify_request

CREDENTIALS = AdminCredentials("AKIDLAMBDATEST", "lambda-test-secret")

_INVOKE = re.compile(r"/2015-03-31/functions/([^/]+)/invocations")
_HOOK = re.compile(r"/hooks/([^/]+)")

Handler = Callable[[dict[str, Any]], Any]


@dataclass
class Reply:
    """A raw answer: ``body`` is sent as is (bytes or str) or as JSON (anything else)."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass
class Received:
    """One request as the server saw it."""

    kind: str  # "invoke" or "hook"
    name: str
    path: str
    query: str
    headers: dict[str, str]
    event: Any


class LambdaApiServer:
    def __init__(self, credentials: AdminCredentials | None = CREDENTIALS) -> None:
        self.credentials = credentials
        self.functions: dict[str, Handler] = {}
        self.received: list[Received] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def register(self, name: str, handler: Handler) -> None:
        """``name`` is what appears, decoded, in the path: a function name or a full ARN."""
        self.functions[name] = handler

    def reset(self) -> None:
        """Forgets the registered functions and the received requests (one server can serve many tests)."""
        self.functions.clear()
        self.received.clear()

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- answering -----------------------------------------------------------------------------------

    def answer(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Reply:
        split = urlsplit(raw_path)
        if method != "POST":
            return Reply(405, {"message": "Method not allowed"})
        invoke, hook = _INVOKE.fullmatch(split.path), _HOOK.fullmatch(split.path)
        if invoke:
            try:
                verify_request(
                    method=method,
                    path=split.path,
                    query=split.query,
                    headers=headers,
                    body=body,
                    credentials=self.credentials,
                    now=datetime.now(UTC),
                    service="lambda",
                )
            except CognitoError as exc:
                return Reply(403, {"message": exc.message}, {"x-amzn-ErrorType": exc.code})
            return self._run("invoke", unquote(invoke.group(1)), split, headers, body)
        if hook:
            return self._run("hook", unquote(hook.group(1)), split, headers, body)
        return Reply(404, {"message": "Not found"})

    def _run(self, kind: str, name: str, split: Any, headers: dict[str, str], body: bytes) -> Reply:
        try:
            event = json.loads(body)
        except ValueError:
            return Reply(
                400,
                {"message": "Could not parse request body into json"},
                {"x-amzn-ErrorType": "InvalidRequestContentException"},
            )
        self.received.append(Received(kind, name, split.path, split.query, headers, event))
        handler = self.functions.get(name)
        if handler is None:
            return Reply(
                404,
                {"Type": "User", "message": f"Function not found: {name}"},
                {"x-amzn-ErrorType": "ResourceNotFoundException"},
            )
        try:
            result = handler(json.loads(body))  # its own copy: the record keeps what was sent
        except Exception as exc:  # noqa: BLE001 - the function raised: report it as Lambda does
            error = {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            if kind == "hook":
                return Reply(500, {"errorMessage": str(exc), "errorType": type(exc).__name__})
            return Reply(200, error, {"X-Amz-Function-Error": "Unhandled"})
        if isinstance(result, Reply):
            return result
        return Reply(200, result)


def _handler_class(server: LambdaApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self._answer()

        def do_GET(self) -> None:
            self._answer()

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            received = dict(self.headers.items())
            reply = server.answer(self.command, self.path, received, body)
            payload = reply.encoded()
            self.send_response(reply.status)
            for name, value in {"Content-Type": "application/json", **reply.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler

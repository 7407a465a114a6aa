"""The AWS JSON 1.1 wire format: request bodies in, success and error responses out.

This is the one place that turns a CognitoError into an HTTP response, in the form botocore and
amazon-cognito-identity-js parse (shared/cognito/recovery.md §6.2)::

    HTTP/1.1 400
    Content-Type: application/x-amz-json-1.1
    x-amzn-ErrorType: NotAuthorizedException:
    x-amzn-ErrorMessage: Incorrect username or password.
    x-amzn-RequestId: 0e0c9b3a-…

    {"__type":"NotAuthorizedException","message":"Incorrect username or password."}

Every answer must be readable by every client: HTTP clients refuse a response header line over 64 KiB
(httpx, Node's fetch, urllib3), so ``x-amzn-ErrorMessage`` is capped at ``MAX_ERROR_HEADER`` bytes (the
body keeps the whole message), and a request body over ``MAX_BODY_BYTES`` is refused before it is read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, Final

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from userpools.errors import CognitoError, RequestEntityTooLargeException, SerializationException

CONTENT_TYPE = "application/x-amz-json-1.1"

# The largest request body the server reads. Cognito documents none; its largest model-valid requests
# are a managed-login asset (a blob of up to 1,000,000 bytes: 1.33 MB of base64) and UI customization
# (131,072 characters of CSS, a 131,072-byte image). 4 MiB holds those with room, and a body past it is
# answered without being read (docs/compatibility.md, "Readable answers").
MAX_BODY_BYTES: Final = 4 * 1024 * 1024
# x-amzn-ErrorMessage is cut to this many bytes (with "..."); botocore reads the body's message anyway.
MAX_ERROR_HEADER: Final = 1024


def read_body(request: Request, operation: str) -> Awaitable[bytes]:
    """The request's body, or RequestEntityTooLargeException as soon as it is known to pass the limit.

    A declared Content-Length is checked before any byte is read (then ``_read_declared`` reads it); a
    chunked body is read with a counter and abandoned once it passes the limit (the server discards the rest
    of it).
    """
    declared = request.headers.get("content-length")
    if declared is None:
        return _read_counted(request, operation)
    if int(declared) > MAX_BODY_BYTES:  # the HTTP parser has already refused a malformed length
        raise _too_large(operation)
    return _read_declared(request)


async def _read_declared(request: Request) -> bytes:
    """What Starlette's ``Request.body()`` reads, without its async generator (an API request's body is one
    ``http.request`` message), and kept on the request as ``body()`` keeps it."""
    chunks: list[bytes] = []
    receive = request.receive
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        elif message["type"] == "http.disconnect":
            request._is_disconnected = True
            raise ClientDisconnect
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    request._body = body
    request._stream_consumed = True
    return body


async def _read_counted(request: Request, operation: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large(operation)
        chunks.append(chunk)
    return b"".join(chunks)


def shorten(text: str, limit: int = 256) -> str:
    """A value the client sent, fit for quoting in a message: its first ``limit`` characters and "..."."""
    return text if len(text) <= limit else f"{text[:limit]}..."


def _too_large(operation: str) -> RequestEntityTooLargeException:
    # Unconfirmed wording: the form of AWS Lambda's answer to an oversized request.
    return RequestEntityTooLargeException(
        f"Request must be smaller than {MAX_BODY_BYTES} bytes for the {operation} operation"
    )


def parse_body(body: bytes) -> Any:
    """The request's JSON value. An empty body counts as ``{}`` (an operation with no input members)."""
    if not body.strip():
        return {}
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        # Unconfirmed wording: AWS's Coral front door answers SerializationException for unparseable
        # JSON; its message names the parser position, which ours gives in the same spirit.
        raise SerializationException(f"Unable to parse request body: {exc.msg}") from None


def _encode_default(value: Any) -> Any:
    if isinstance(value, datetime):
        # AWS JSON 1.1 sends timestamps as epoch seconds with millisecond precision.
        return round(value.timestamp(), 3)
    if getattr(value, "serialises_as_text", False):
        # A value whose text is made late (crypto.jwt's DeferredToken: signed now, after the operation's
        # transaction); the wire only needs to know that its text is what goes out.
        return str(value)
    if isinstance(value, bytes | bytearray):
        import base64

        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_encode_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def success_response(output: dict[str, Any], request_id: str) -> Response:
    """``Response(dumps(output), 200, {"x-amzn-RequestId": request_id}, CONTENT_TYPE)``: the same response,
    its header list made directly (``_Answer``)."""
    body = dumps(output)
    return _Answer(body, [(b"x-amzn-requestid", request_id.encode("latin-1")),
                          (b"content-length", b"%d" % len(body)), _CONTENT_TYPE_HEADER])


class _Answer(Response):
    """A Starlette Response whose attributes are set as its ``__init__`` sets them, the raw headers given as
    ``init_headers`` would make them (its listcomp, searches and encodings were a hundred Python steps of each
    API answer); everything else (``headers``, ``__call__``, a middleware's changes) is Response's."""

    media_type = CONTENT_TYPE

    def __init__(self, body: bytes, raw_headers: list[tuple[bytes, bytes]], status_code: int = 200) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = raw_headers


_CONTENT_TYPE_HEADER: Final = (b"content-type", CONTENT_TYPE.encode("latin-1"))


_CONTROL = {c: "?" for c in (*range(0x20), 0x7F)}
#: a control character ``_CONTROL`` replaces (after ``split``: one that is not whitespace)
_HAS_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _header_safe(text: str) -> str:
    # Header values must be latin-1, single-line and free of control characters (a message may quote what
    # the client sent, "\x08" included), and short enough for every client to read; the body keeps the
    # exact message.
    flat = " ".join(text[: MAX_ERROR_HEADER * 2].split())
    if _HAS_CONTROL.search(flat):  # rare; str.translate raises and clears a KeyError per other character
        flat = flat.translate(_CONTROL)
    if len(flat) > MAX_ERROR_HEADER or len(text) > MAX_ERROR_HEADER * 2:
        flat = flat[: MAX_ERROR_HEADER - 3] + "..."
    return flat.encode("latin-1", "replace").decode("latin-1")


def error_response(error: CognitoError, request_id: str) -> Response:
    body = {"__type": error.code, "message": error.message}
    return Response(
        orjson.dumps(body),
        status_code=error.status,
        media_type=CONTENT_TYPE,
        headers={
            "x-amzn-RequestId": request_id,
            "x-amzn-ErrorType": f"{error.code}:",
            "x-amzn-ErrorMessage": _header_safe(error.message),
        },
    )

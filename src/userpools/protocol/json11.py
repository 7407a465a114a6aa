"""The AWS JSON 1.1 wire format: request bodies in, success and error responses out.

This is the one place that turns a CognitoError into an HTTP response, in the form botocore and
amazon-cognito-identity-js parse (shared/cognito/recovery.md §6.2)::

    HTTP/1.1 400
    Content-Type: application/x-amz-json-1.1
    x-amzn-ErrorType: NotAuthorizedException:
    x-amzn-ErrorMessage: Incorrect username or password.
    x-amzn-RequestId: 0e0c9b3a-…

    {"__type":"NotAuthorizedException","message":"Incorrect username or password."}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from starlette.responses import Response

from userpools.errors import CognitoError, SerializationException

CONTENT_TYPE = "application/x-amz-json-1.1"


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
    return Response(
        dumps(output),
        status_code=200,
        media_type=CONTENT_TYPE,
        headers={"x-amzn-RequestId": request_id},
    )


_CONTROL = {c: "?" for c in (*range(0x20), 0x7F)}


def _header_safe(text: str) -> str:
    # Header values must be latin-1, single-line and free of control characters (a message may quote what
    # the client sent, "\x08" included); the body keeps the exact message.
    flat = " ".join(text.split()).translate(_CONTROL)
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

"""``POST /``: X-Amz-Target → signature check → body → validation → the operation's handler.

Every failure on the way is a CognitoError turned into AWS's error form by json11; an unexpected
exception is logged and answered as InternalErrorException (500), the only 500 there is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from userpools import ids
from userpools.errors import (
    CognitoError,
    InternalErrorException,
    NotImplementedException,
    UnknownOperationException,
    UnrecognizedClientException,
)
from userpools.protocol import json11, model, sigv4
from userpools.protocol.validation import validate_input

log = logging.getLogger("userpools.protocol")

#: An operation's handler: (the context it was given, the validated input) → the output members.
Handler = Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]

#: The dispatcher's handling of one request (X-Amz-Target → … → the handler's output).
Handle = Callable[[Request], Awaitable[dict[str, Any]]]

#: What runs around ``Handle`` for every request when one is installed (app.py's, for --signing-threads):
#: it is given the handling and the request and returns the handling's output. The wire layer knows nothing
#: of what it does; without one, a request pays nothing for the possibility.
Around = Callable[[Handle, Request], Awaitable[dict[str, Any]]]

#: Told of every request once it is answered (app.py's: the metrics and the request log): its request id, the
#: operation (``unknown`` when X-Amz-Target named none), the outcome (``ok`` or the error code) and the
#: seconds it took. Plain values only, so that counting costs the hot path no allocation of its own.
Observe = Callable[[str, str, str, float], None]

# Content types a JSON 1.1 request may carry. botocore and the JS SDKs send x-amz-json-1.1; some
# hand-written clients send application/json, which AWS's front door also takes.
_JSON_TYPES = frozenset({"application/x-amz-json-1.1", "application/x-amz-json-1.0", "application/json"})


class Dispatcher:
    def __init__(
        self,
        operations: Mapping[str, Handler],
        context: Any,
        *,
        credentials: tuple[sigv4.AdminCredentials, ...],
        now: Callable[[], Any],
        around: Around | None = None,
        observe: Observe | None = None,
    ) -> None:
        unknown = set(operations) - model.operation_names()
        if unknown:
            raise ValueError(f"operations not in the cognito-idp model: {sorted(unknown)}")
        self._operations = dict(operations)
        self._context = context
        self._credentials = credentials
        self._now = now
        self._around = around
        self._observe = observe

    async def __call__(self, request: Request) -> Response:
        request_id = ids.new_uuid()
        started = time.perf_counter()
        name = "unknown"
        try:
            name = _operation_name(request.headers.get("x-amz-target"))
            around = self._around
            output = await (self._run(request, name) if around is None else around(self._handle, request))
        except CognitoError as error:
            if self._observe is not None:
                self._observe(request_id, name, error.code, time.perf_counter() - started)
            return json11.error_response(error, request_id)
        except Exception:
            log.exception("internal error (request %s)", request_id)
            if self._observe is not None:
                self._observe(request_id, name, InternalErrorException.code, time.perf_counter() - started)
            return json11.error_response(InternalErrorException("Internal server error"), request_id)
        response = json11.success_response(output, request_id)  # signs deferred tokens: part of the time
        if self._observe is not None:
            self._observe(request_id, name, "ok", time.perf_counter() - started)
        return response

    async def invoke(self, name: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Runs the operation ``name`` for a caller inside the server that has authenticated the administrator
        itself (the console's pages and admin actions): the same handler, the same request-rate limits, the
        same input validation as ``POST /`` (``params`` as the request's JSON body would hold them), counted
        and logged like a request; only the HTTP and the SigV4 signature are not there. Raises CognitoError
        as the API answers it."""
        request_id = ids.new_uuid()
        started = time.perf_counter()
        try:
            handler = self._operations.get(name)
            if handler is None:
                raise NotImplementedException(f"userpools does not implement {name} yet")
            output = await handler(self._context, validate_input(model.operation_model(name), dict(params)))
        except CognitoError as error:
            if self._observe is not None:
                self._observe(request_id, name, error.code, time.perf_counter() - started)
            raise
        if self._observe is not None:
            self._observe(request_id, name, "ok", time.perf_counter() - started)
        return output

    async def _handle(self, request: Request) -> dict[str, Any]:
        return await self._run(request, _operation_name(request.headers.get("x-amz-target")))

    async def _run(self, request: Request, name: str) -> dict[str, Any]:
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type not in _JSON_TYPES:
            # Unconfirmed: AWS's exact answer to a non-JSON content type; an AWS-style client error
            # naming the problem is the useful choice.
            raise UnknownOperationException(
                f"Unsupported content type {json11.shorten(content_type) or '(none)'!r}: send "
                "application/x-amz-json-1.1"
            )
        body = await json11.read_body(request, name)
        if not model.is_unsigned(name) and name not in _CLIENT_AUTHORIZED:
            self._check_signature(request, body)
        handler = self._operations.get(name)
        if handler is None:
            raise NotImplementedException(
                f"userpools does not implement {name} yet; docs/compatibility.md lists the operations it serves."
            )
        params = validate_input(model.operation_model(name), json11.parse_body(body))
        return await handler(self._context, params)

    def _check_signature(self, request: Request, body: bytes) -> None:
        scope_path = request.scope.get("raw_path") or request.url.path.encode()
        path = scope_path.decode("latin-1") if isinstance(scope_path, bytes) else scope_path
        query = request.scope.get("query_string", b"").decode("latin-1")
        if not self._credentials:
            sigv4.verify_request(
                method=request.method, path=path, query=query, headers=request.headers, body=body,
                credentials=None, now=self._now(),
            )
            return
        unrecognized: UnrecognizedClientException | None = None
        for credentials in self._credentials:
            try:
                sigv4.verify_request(
                    method=request.method, path=path, query=query, headers=request.headers, body=body,
                    credentials=credentials, now=self._now(),
                )
                return
            except UnrecognizedClientException as error:  # another key pair's id: try the next one
                unrecognized = error
        assert unrecognized is not None
        raise unrecognized


#: Signed by botocore (the model does not mark them ``authtype: none``) but authorized by the app client's own
#: credentials in the body, not by IAM [C: API reference of each], so the signature is not checked.
_CLIENT_AUTHORIZED = frozenset({"GetClientToken", "GetDerivedToken"})


def _operation_name(target: str | None) -> str:
    if not target:
        raise UnknownOperationException("Missing X-Amz-Target header")
    prefix, _, name = target.partition(".")
    if prefix != model.TARGET_PREFIX or name not in model.operation_names():
        raise UnknownOperationException(f"Unknown operation {json11.shorten(target)}")
    return name

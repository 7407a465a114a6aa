"""Calling a trigger's function, wherever it runs, with Cognito's rules for time and failure.

:class:`TriggerInvoker` resolves the ARN a pool's LambdaConfig holds to the target ``triggers.config`` gives
it, sends the event, and returns the function's answer (checked by ``triggers.answers``). The targets:

- **Lambda Invoke API** (real Lambda, LocalStack, the runtime interface emulator):
  ``POST {endpoint}/2015-03-31/functions/{ARN or name, URL-quoted}/invocations``, SigV4-signed for service
  ``lambda`` (botocore's ``SigV4Auth``), ``X-Amz-Invocation-Type: RequestResponse``. A function that raised
  answers 200 with an ``X-Amz-Function-Error`` header and ``{"errorMessage", "errorType", …}``; the runtime
  interface emulator sends that body without the header, so an object with ``errorMessage`` and no
  ``response`` counts as raised too. 429 and 5xx are the service failing (retried); other 4xx (403
  AccessDeniedException, 404 ResourceNotFoundException, …) fail at once.
- **Webhook**: ``POST {url}`` with the event as JSON (plus ``X-Userpools-Trigger`` and
  ``X-Userpools-Function-Arn`` headers and the configured ones). A 2xx answer is the function's answer. Any
  other status with a JSON ``{"errorMessage": …}`` body, or with a text body, means the function raised
  (the text is the message); 429, 502, 503 and 504 mean it could not be reached (retried). A 500 is a
  raised function, as a web framework reports an exception, and as Lambda does not retry a raised function.
- **Callable** ``module:function``: called with the event, or with the event and a Lambda-like context
  when it takes two arguments; an async function is awaited, a sync one runs in a worker thread (a sync
  function that overruns its time keeps its thread until it returns). An exception means it raised.
  The event goes through JSON both ways, as it would over the wire.

Cognito's rules (Developer Guide, "Customizing user pool workflows with Lambda triggers"; messages observed,
shared/cognito/recovery.md §4.6):

- each try has 5 seconds; a try that times out, cannot connect, or meets a service failure is retried,
  3 tries in all; a raised function is never retried;
- the function raised → UserLambdaValidationException "<Trigger> failed with error <errorMessage>.";
- an unusable answer → InvalidLambdaResponseException (see ``triggers.answers``);
- the function could not be invoked → UnexpectedLambdaException "<Trigger> invocation failed due to error
  <reason>." The reason is "Socket timeout while invoking Lambda function" after timeouts (observed once,
  furaiev/amazon-cognito-identity-dart-2#204), the Lambda service's error code (observed:
  "AccessDeniedException"), or, for what real Cognito never meets (a target that refuses connections, an
  ARN nothing is configured for), userpools' own wording in the same form. Whether Cognito reports the
  timeout after the third try or earlier, and its delay between tries, are unconfirmed; userpools waits
  ``retry_delay × try`` seconds between tries.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import quote

import httpx
import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from userpools import metrics
from userpools.errors import (
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from userpools.triggers.answers import INVALID_JSON, read_answer
from userpools.triggers.config import (
    CallableTarget,
    LambdaTarget,
    Target,
    TriggerConfigError,
    TriggersConfig,
    WebhookTarget,
    parse_lambda_arn,
)
from userpools.triggers.journal import TriggerJournal

log = logging.getLogger("userpools.triggers")

TIMEOUT_SECONDS = 5.0
TRIES = 3
RETRY_DELAY = 0.1

SOCKET_TIMEOUT = "Socket timeout while invoking Lambda function"
CONNECTION_ERROR = "Connection error while invoking Lambda function"
NOT_CONFIGURED = "No function is configured for this ARN"
NOT_LOADED = "The function could not be loaded"

INVOKE_PATH = "/2015-03-31/functions/{name}/invocations"
_WEBHOOK_UNREACHABLE = frozenset({429, 502, 503, 504})
_MAX_TEXT_MESSAGE = 1000

Sleep = Callable[[float], Awaitable[None]]
Loader = Callable[[str], Callable[..., Any]]


class _Retry(Exception):
    """This try failed in a way Cognito retries; ``reason`` names it if it was the last."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Unreachable(_Retry):
    """The function cannot be invoked, and trying again will not help."""


class _Raised(Exception):
    """The function ran and raised; ``message`` is its errorMessage."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_NOT_JSON = object()


def load_callable(reference: str) -> Callable[..., Any]:
    """Imports ``module:function`` (``function`` may be dotted: ``module:Class.method``)."""
    module_name, _, qualname = reference.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(f"{reference} is not callable")
    return target  # type: ignore[no-any-return]


@dataclass
class LambdaContext:
    """What a Python Lambda handler's ``context`` offers, for callables written as Lambda handlers."""

    function_name: str
    invoked_function_arn: str
    deadline: float = field(repr=False)
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"userpools/{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class TriggerInvoker:
    """Invokes trigger functions. One per server: it keeps one HTTP client (close it with :meth:`aclose`).

    ``region`` signs calls for ARNs without one when the endpoint names none; ``transport``, ``sleep`` and
    ``load`` are for tests (an ``httpx.MockTransport``, a recorder instead of waiting, a fake import).
    """

    def __init__(
        self,
        config: TriggersConfig,
        *,
        region: str = "us-east-1",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = TIMEOUT_SECONDS,
        tries: int = TRIES,
        retry_delay: float = RETRY_DELAY,
        sleep: Sleep = asyncio.sleep,
        load: Loader = load_callable,
        journal: TriggerJournal | None = None,
    ) -> None:
        if tries < 1:
            raise ValueError("tries must be at least 1")
        self.config = config
        self._region = region
        self._timeout = timeout
        self._tries = tries
        self._retry_delay = retry_delay
        self._sleep = sleep
        self._load = load
        self._callables: dict[str, Callable[..., Any]] = {}
        self.journal = journal
        self._transport = transport
        self._http: httpx.AsyncClient | None = None  # made at the first call over HTTP (its TLS context costs
        # tens of milliseconds of a server's start-up, and most servers call no trigger over HTTP)

    @property
    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(transport=self._transport, timeout=httpx.Timeout(self._timeout),
                                           follow_redirects=False, trust_env=False)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def preload(self) -> None:
        """Imports every configured callable now, so that a wrong ``module:function`` stops the server at
        start-up rather than failing the first sign-up. Raises TriggerConfigError naming the entry."""
        for arn, target in self.config.functions.items():
            if isinstance(target, CallableTarget):
                try:
                    self._callable(target.reference)
                except Exception as exc:  # noqa: BLE001 - any import failure is a configuration error
                    raise TriggerConfigError(
                        f'functions."{arn}".callable: cannot load {target.reference}: {exc!r}'
                    ) from None

    async def invoke(self, arn: str, event: Mapping[str, Any], *, trigger: str) -> dict[str, Any]:
        """``_invoke``, counted in the metrics by result (ok, raised, invalid, unreachable), and kept in the
        journal (the console's trigger invocations) when there is one."""
        started = time.perf_counter()
        try:
            answer = await self._invoke(arn, event, trigger=trigger)
        except (UserLambdaValidationException, InvalidLambdaResponseException, UnexpectedLambdaException) as exc:
            result = {UserLambdaValidationException: "raised", InvalidLambdaResponseException: "invalid"}.get(
                type(exc), "unreachable")
            metrics.METRICS.trigger_called(trigger, result)
            self._journal_entry(arn, event, trigger, None, f"{exc.code}: {exc.message}", started)
            raise
        metrics.METRICS.trigger_called(trigger, "ok")
        self._journal_entry(arn, event, trigger, answer, None, started)
        return answer

    def _journal_entry(self, arn: str, event: Mapping[str, Any], trigger: str, answer: Mapping[str, Any] | None,
                       error: str | None, started: float) -> None:
        if self.journal is not None:
            self.journal.record(at=datetime.now(UTC), trigger=trigger, function=arn, event=event, answer=answer,
                                error=error, seconds=time.perf_counter() - started)

    async def _invoke(self, arn: str, event: Mapping[str, Any], *, trigger: str) -> dict[str, Any]:
        """Sends ``event`` to the function ``arn`` names and returns its answer (the event, ``response``
        filled in). ``trigger`` names the trigger in error messages ("PreSignUp", "CustomMessage", …).

        Raises UserLambdaValidationException (the function raised), InvalidLambdaResponseException (its
        answer is unusable) or UnexpectedLambdaException (it could not be invoked)."""
        target = self.config.target(arn)
        if target is None:
            log.warning(
                "%s: no target is configured for %s (add it to the config file or set a Lambda endpoint)",
                trigger,
                arn,
            )
            raise UnexpectedLambdaException(_unexpected(trigger, NOT_CONFIGURED))
        payload = orjson.dumps(event)
        reason = SOCKET_TIMEOUT
        for attempt in range(1, self._tries + 1):
            if attempt > 1:
                await self._sleep(self._retry_delay * (attempt - 1))
            try:
                async with asyncio.timeout(self._timeout):
                    answer = await self._call(target, arn, payload, trigger)
            except TimeoutError:
                reason = SOCKET_TIMEOUT
            except _Unreachable as exc:
                log.warning("%s: %s cannot be invoked: %s", trigger, arn, exc.reason)
                raise UnexpectedLambdaException(_unexpected(trigger, exc.reason)) from None
            except _Retry as exc:
                reason = exc.reason
            except _Raised as exc:
                raise UserLambdaValidationException(f"{trigger} failed with error {exc.message}.") from None
            else:
                return read_answer(answer, event)
            log.warning("%s: try %d of %d at %s failed: %s", trigger, attempt, self._tries, arn, reason)
        raise UnexpectedLambdaException(_unexpected(trigger, reason))

    async def _call(self, target: Target, arn: str, payload: bytes, trigger: str) -> Any:
        if isinstance(target, LambdaTarget):
            return await self._call_lambda(target, arn, payload)
        if isinstance(target, WebhookTarget):
            return await self._call_webhook(target, arn, payload, trigger)
        return await self._call_callable(target, arn, payload)

    # --- the Lambda Invoke API -----------------------------------------------------------------------

    async def _call_lambda(self, target: LambdaTarget, arn: str, payload: bytes) -> Any:
        url, region = self._invocation(target, arn)
        request = AWSRequest(
            method="POST",
            url=url,
            data=payload,
            headers={"Content-Type": "application/json", "X-Amz-Invocation-Type": "RequestResponse"},
        )
        api = target.api
        credentials = Credentials(api.access_key_id, api.secret_access_key, api.session_token)
        SigV4Auth(credentials, "lambda", region).add_auth(request)
        response = await self._post(url, payload, dict(request.headers.items()))
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retry(_service_error(response))
        if not 200 <= status < 300:
            raise _Unreachable(_service_error(response))
        answer = _loads(response.content)
        if response.headers.get("X-Amz-Function-Error"):
            raise _Raised(_error_message(answer, response.content))
        if isinstance(answer, dict) and "errorMessage" in answer and "response" not in answer:
            raise _Raised(_error_message(answer, response.content))
        return answer

    def _invocation(self, target: LambdaTarget, arn: str) -> tuple[str, str]:
        """The invocation URL and the SigV4 region for ``arn`` at ``target``."""
        arn_region, name, qualifier = parse_lambda_arn(arn)
        query = ""
        if target.function_name:
            path_name = target.function_name
        elif target.api.invoke_by == "name" and name:
            path_name = name
            query = f"?Qualifier={quote(qualifier, safe='')}" if qualifier else ""
        else:
            path_name = arn
        url = target.api.endpoint + INVOKE_PATH.format(name=quote(path_name, safe="")) + query
        return url, target.api.region or arn_region or self._region

    # --- webhooks ------------------------------------------------------------------------------------

    async def _call_webhook(self, target: WebhookTarget, arn: str, payload: bytes, trigger: str) -> Any:
        headers = {
            "Content-Type": "application/json",
            "X-Userpools-Trigger": trigger,
            "X-Userpools-Function-Arn": arn,
            **target.headers,
        }
        response = await self._post(target.url, payload, headers)
        status = response.status_code
        if 200 <= status < 300:
            return _loads(response.content)
        body = _loads(response.content)
        if isinstance(body, dict) and isinstance(body.get("errorMessage"), str):
            raise _Raised(str(body["errorMessage"]))
        if status in _WEBHOOK_UNREACHABLE:
            raise _Retry(f"HTTP {status} from the webhook")
        text = " ".join(response.content.decode("utf-8", "replace").split())[:_MAX_TEXT_MESSAGE]
        raise _Raised(text or f"HTTP {status}")

    async def _post(self, url: str, payload: bytes, headers: dict[str, str]) -> httpx.Response:
        try:
            return await self._client.post(url, content=payload, headers=headers)
        except httpx.TimeoutException:
            raise _Retry(SOCKET_TIMEOUT) from None
        except httpx.TransportError:
            raise _Retry(CONNECTION_ERROR) from None

    # --- callables -----------------------------------------------------------------------------------

    def _callable(self, reference: str) -> Callable[..., Any]:
        function = self._callables.get(reference)
        if function is None:
            function = self._callables[reference] = self._load(reference)
        return function

    async def _call_callable(self, target: CallableTarget, arn: str, payload: bytes) -> Any:
        try:
            function = self._callable(target.reference)
        except Exception as exc:  # noqa: BLE001 - whatever the import raised, the function cannot run
            log.warning("cannot load %s for %s: %r", target.reference, arn, exc)
            raise _Unreachable(NOT_LOADED) from None
        args: list[Any] = [orjson.loads(payload)]
        if _takes_context(function):
            _, name, _ = parse_lambda_arn(arn)
            args.append(LambdaContext(name or arn, arn, deadline=time.monotonic() + self._timeout))
        try:
            if inspect.iscoroutinefunction(function):
                result = await function(*args)
            else:
                result = await asyncio.to_thread(function, *args)
                if inspect.isawaitable(result):
                    result = await result
        except Exception as exc:  # the function raised: its message is Cognito's errorMessage
            raise _Raised(str(exc)) from exc
        try:
            return orjson.loads(orjson.dumps(result))
        except (TypeError, orjson.JSONDecodeError):
            raise InvalidLambdaResponseException(INVALID_JSON) from None


def _unexpected(trigger: str, reason: str) -> str:
    return f"{trigger} invocation failed due to error {reason}."


def _loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return _NOT_JSON


def _error_message(answer: Any, body: bytes) -> str:
    if isinstance(answer, dict) and isinstance(answer.get("errorMessage"), str):
        return str(answer["errorMessage"])
    return " ".join(body.decode("utf-8", "replace").split())[:_MAX_TEXT_MESSAGE]


def _service_error(response: httpx.Response) -> str:
    """The Lambda service's error code: ``x-amzn-ErrorType`` (``ResourceNotFoundException:http://…``), else
    the body's ``__type`` or ``code`` (proxies and emulators), else the HTTP status."""
    header = response.headers.get("x-amzn-ErrorType")
    if header:
        return str(header).split(":", 1)[0].strip()
    body = _loads(response.content)
    if isinstance(body, dict):
        for key in ("__type", "code", "Code"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key]).rsplit("#", 1)[-1]
    return f"HTTP {response.status_code}"


def _takes_context(function: Callable[..., Any]) -> bool:
    """Whether ``function`` takes a second positional argument (a Lambda handler's ``context``)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = 0
    for parameter in parameters:
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            return True
        if parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            positional += 1
    return positional >= 2

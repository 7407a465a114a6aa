"""Where each Lambda ARN of a pool's LambdaConfig goes: the trigger sections of ``userpools.toml``.

A pool stores its triggers as Cognito does, as Lambda ARNs. The server's configuration file
(``--config userpools.toml``) resolves each ARN to one of three targets; an ARN without an entry of its own
goes to the ``[lambda]`` endpoint (or ``--lambda-endpoint``)::

    [lambda]                                      # the AWS Lambda Invoke API, the fallback for every ARN:
    endpoint = "http://127.0.0.1:9001"            #   real Lambda (https://lambda.<region>.amazonaws.com),
                                                  #   LocalStack, the Lambda runtime interface emulator
    region = "us-east-1"                          # SigV4 signing region (default: the region in the ARN)
    access_key_id = "AKIA..."                     # signing credentials (default "test"/"test", which
    secret_access_key = "..."                     #   LocalStack and the emulator accept)
    session_token = "..."                         # optional
    invoke_by = "arn"                             # what names the function in the invocation path:
                                                  #   "arn" (default) or "name" (the ARN's function name)

    [functions."arn:aws:lambda:us-east-1:123456789012:function:custom-message"]
    webhook = "http://127.0.0.1:8080/hook"        # an HTTP(S) endpoint: POST event, answer the event
    headers = { Authorization = "Bearer ..." }    # optional, sent with every call of this webhook

    [functions."arn:aws:lambda:us-east-1:123456789012:function:pre-sign-up"]
    callable = "mypkg.triggers:pre_sign_up"       # a Python function, sync or async, run in-process

    [functions."arn:aws:lambda:us-east-1:123456789012:function:define-auth"]
    endpoint = "http://127.0.0.1:9002"            # this ARN's own Lambda Invoke API; the runtime interface
    function_name = "function"                    #   emulator serves /2015-03-31/functions/function/…

    [custom_senders]                              # the key that encrypts the code CustomEmailSender and
    key = "<base64 of 32 random bytes>"           #   CustomSMSSender receive (see triggers.sender_codes) …
    [custom_senders.keys]                         # … unless the pool's LambdaConfig.KMSKeyID has its own
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" = "<base64 of 32 bytes>"

Other top-level sections of the file belong to other parts of the server and are not read here; inside these
sections every key is checked, and a mistake raises :class:`TriggerConfigError` naming the key.
"""

from __future__ import annotations

import base64
import binascii
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import httpx

#: The credentials used when none are configured: what LocalStack and the runtime emulator accept.
PLACEHOLDER_CREDENTIALS = ("test", "test")

#: Cognito's ArnType pattern (botocore's cognito-idp model), which LambdaConfig values must match.
_ARN = re.compile(
    r"arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?"
)
_CALLABLE = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*")
_REGION = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")

_LAMBDA_KEYS = {"endpoint", "region", "access_key_id", "secret_access_key", "session_token", "invoke_by"}
_FUNCTION_KEYS = {"webhook", "headers", "callable", "endpoint", "function_name"}
_SENDER_KEYS = {"key", "keys"}


class TriggerConfigError(ValueError):
    """The trigger configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class LambdaApi:
    """An AWS Lambda Invoke API endpoint and how to sign calls to it."""

    endpoint: str
    region: str | None = None
    access_key_id: str = PLACEHOLDER_CREDENTIALS[0]
    secret_access_key: str = field(default=PLACEHOLDER_CREDENTIALS[1], repr=False)
    session_token: str | None = field(default=None, repr=False)
    invoke_by: Literal["arn", "name"] = "arn"


@dataclass(frozen=True)
class LambdaTarget:
    """Invoke the function through the Lambda Invoke API. ``function_name`` replaces what names the function
    in the invocation path (default: the ARN, or its function name when ``api.invoke_by == "name"``)."""

    api: LambdaApi
    function_name: str | None = None


@dataclass(frozen=True)
class WebhookTarget:
    """POST the event as JSON to ``url``; the 2xx answer is the function's answer."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class CallableTarget:
    """Call ``module:function`` in-process (``function(event)`` or ``function(event, context)``)."""

    reference: str


Target = LambdaTarget | WebhookTarget | CallableTarget


@dataclass(frozen=True)
class TriggersConfig:
    """The ARN → target mapping and the custom senders' code keys."""

    lambda_api: LambdaApi | None = None
    functions: Mapping[str, Target] = field(default_factory=dict)
    sender_key: bytes | None = field(default=None, repr=False)
    sender_keys: Mapping[str, bytes] = field(default_factory=dict, repr=False)

    def target(self, arn: str) -> Target | None:
        """The ARN's own entry, else the fallback Lambda endpoint, else None (nothing configured)."""
        own = self.functions.get(arn)
        if own is not None:
            return own
        if self.lambda_api is not None:
            return LambdaTarget(self.lambda_api)
        return None

    def sender_key_for(self, kms_key_id: str | None) -> bytes | None:
        """The key that encrypts custom senders' codes for a pool whose LambdaConfig.KMSKeyID is given."""
        if kms_key_id and kms_key_id in self.sender_keys:
            return self.sender_keys[kms_key_id]
        return self.sender_key


def load_triggers_config(path: Path | None = None, *, lambda_endpoint: str | None = None) -> TriggersConfig:
    """Reads the trigger sections of the configuration file (if any). ``lambda_endpoint`` (the
    ``--lambda-endpoint`` setting) replaces the file's ``[lambda] endpoint``, or stands alone without a
    file."""
    data: dict[str, Any] = {}
    source = "--lambda-endpoint"
    if path is not None:
        source = str(path)
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise TriggerConfigError(f"{source}: no such file") from None
        except OSError as exc:
            raise TriggerConfigError(f"{source}: cannot be read ({exc.strerror})") from None
        except tomllib.TOMLDecodeError as exc:
            raise TriggerConfigError(f"{source}: not valid TOML: {exc}") from None
    return parse_triggers_config(data, source=source, lambda_endpoint=lambda_endpoint)


def parse_triggers_config(
    data: Mapping[str, Any], *, source: str = "userpools.toml", lambda_endpoint: str | None = None
) -> TriggersConfig:
    """Builds the configuration from the already-parsed TOML document (only its trigger sections)."""
    reader = _Reader(source)
    lambda_api = reader.lambda_api(data.get("lambda"), lambda_endpoint)
    functions = reader.functions(data.get("functions"), lambda_api)
    sender_key, sender_keys = reader.custom_senders(data.get("custom_senders"))
    return TriggersConfig(
        lambda_api=lambda_api, functions=functions, sender_key=sender_key, sender_keys=sender_keys
    )


def parse_lambda_arn(arn: str) -> tuple[str | None, str | None, str | None]:
    """(region, function name, qualifier) of
    ``arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]``; Nones for the parts an ARN
    of another shape does not have."""
    parts = arn.split(":")
    if len(parts) >= 7 and parts[0] == "arn" and parts[2] == "lambda" and parts[5] == "function":
        return (parts[3] or None), parts[6], (parts[7] if len(parts) > 7 else None)
    return None, None, None


class _Reader:
    """Checks one key at a time and names it in every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> TriggerConfigError:
        return TriggerConfigError(f"{self.source}: {key}: {problem}")

    def table(self, value: Any, key: str, allowed: set[str] | None) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, "expected a table")
        if allowed is not None:
            for name in value:
                if name not in allowed:
                    raise self.fail(
                        f"{key}.{name}", f"unknown key (expected one of: {', '.join(sorted(allowed))})"
                    )
        return value

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "expected a non-empty string")
        return value.strip()

    def url(self, value: Any, key: str, *, webhook: bool = False) -> str:
        """A webhook URL is kept as given (query included); an endpoint is a base URL without one."""
        text = self.string(value, key)
        problem = _url_problem(text, base=not webhook)
        if problem:
            raise self.fail(key, problem)
        return text if webhook else text.rstrip("/")

    def key_bytes(self, value: Any, key: str) -> bytes:
        text = self.string(value, key)
        try:
            raw = base64.b64decode(
                text, altchars=b"-_" if ("-" in text or "_" in text) else None, validate=True
            )
        except (binascii.Error, ValueError):
            raise self.fail(
                key, "expected base64 of 32 random bytes (e.g. `openssl rand -base64 32`)"
            ) from None
        if len(raw) != 32:
            raise self.fail(key, f"expected 32 bytes once base64-decoded, got {len(raw)}")
        return raw

    def lambda_api(self, value: Any, override: str | None) -> LambdaApi | None:
        section: Mapping[str, Any] = {} if value is None else self.table(value, "lambda", _LAMBDA_KEYS)
        if override is not None:
            problem = _url_problem(override.strip())
            if problem:
                raise TriggerConfigError(f"--lambda-endpoint: {problem}")
            endpoint = override.strip().rstrip("/")
        elif "endpoint" in section:
            endpoint = self.url(section["endpoint"], "lambda.endpoint")
        elif section:
            raise self.fail("lambda.endpoint", "missing (the [lambda] section needs an endpoint)")
        else:
            return None
        return LambdaApi(endpoint=endpoint, **self._api_options(section, "lambda"))

    def _api_options(self, section: Mapping[str, Any], key: str) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if "region" in section:
            region = self.string(section["region"], f"{key}.region")
            if not _REGION.fullmatch(region):
                raise self.fail(f"{key}.region", f"not a region name: {region!r}")
            options["region"] = region
        has_id, has_secret = "access_key_id" in section, "secret_access_key" in section
        if has_id != has_secret:
            missing = "secret_access_key" if has_id else "access_key_id"
            raise self.fail(f"{key}.{missing}", "missing (access_key_id and secret_access_key go together)")
        if has_id:
            options["access_key_id"] = self.string(section["access_key_id"], f"{key}.access_key_id")
            options["secret_access_key"] = self.string(
                section["secret_access_key"], f"{key}.secret_access_key"
            )
        if "session_token" in section:
            options["session_token"] = self.string(section["session_token"], f"{key}.session_token")
        if "invoke_by" in section:
            invoke_by = section["invoke_by"]
            if invoke_by not in ("arn", "name"):
                raise self.fail(f"{key}.invoke_by", f'expected "arn" or "name", got {invoke_by!r}')
            options["invoke_by"] = invoke_by
        return options

    def functions(self, value: Any, lambda_api: LambdaApi | None) -> dict[str, Target]:
        if value is None:
            return {}
        section = self.table(value, "functions", None)
        targets: dict[str, Target] = {}
        for arn, entry in section.items():
            key = f'functions."{arn}"'
            if not _ARN.fullmatch(arn):
                raise self.fail(
                    key, "not an ARN (expected arn:aws:lambda:<region>:<account>:function:<name>)"
                )
            targets[arn] = self.target(self.table(entry, key, _FUNCTION_KEYS), key, lambda_api)
        return targets

    def target(self, entry: Mapping[str, Any], key: str, lambda_api: LambdaApi | None) -> Target:
        kinds = [kind for kind in ("webhook", "callable", "endpoint") if kind in entry]
        if len(kinds) > 1:
            raise self.fail(key, f"give one of webhook, callable or endpoint, not {' and '.join(kinds)}")
        kind = kinds[0] if kinds else None
        if "headers" in entry and kind != "webhook":
            raise self.fail(f"{key}.headers", "only a webhook takes headers")
        if "function_name" in entry and kind in ("webhook", "callable"):
            raise self.fail(f"{key}.function_name", "only a Lambda endpoint takes a function_name")
        if kind == "webhook":
            return WebhookTarget(
                self.url(entry["webhook"], f"{key}.webhook", webhook=True),
                self.headers(entry.get("headers", {}), f"{key}.headers"),
            )
        if kind == "callable":
            reference = self.string(entry["callable"], f"{key}.callable")
            if not _CALLABLE.fullmatch(reference):
                raise self.fail(f"{key}.callable", f"expected module:function, got {reference!r}")
            return CallableTarget(reference)
        function_name = None
        if "function_name" in entry:
            function_name = self.string(entry["function_name"], f"{key}.function_name")
        if kind == "endpoint":
            endpoint = self.url(entry["endpoint"], f"{key}.endpoint")
            api = LambdaApi(endpoint) if lambda_api is None else replace(lambda_api, endpoint=endpoint)
            return LambdaTarget(api, function_name)
        if lambda_api is None:
            raise self.fail(
                key, "give webhook, callable or endpoint (there is no [lambda] endpoint to fall back on)"
            )
        return LambdaTarget(lambda_api, function_name)

    def headers(self, value: Any, key: str) -> dict[str, str]:
        table = self.table(value, key, None)
        headers: dict[str, str] = {}
        for name, text in table.items():
            if not _HEADER_NAME.fullmatch(name):
                raise self.fail(f"{key}.{name}", "not a valid HTTP header name")
            if not isinstance(text, str) or "\n" in text or "\r" in text:
                raise self.fail(f"{key}.{name}", "expected a one-line string")
            headers[name] = text
        return headers

    def custom_senders(self, value: Any) -> tuple[bytes | None, dict[str, bytes]]:
        if value is None:
            return None, {}
        section = self.table(value, "custom_senders", _SENDER_KEYS)
        key = self.key_bytes(section["key"], "custom_senders.key") if "key" in section else None
        keys: dict[str, bytes] = {}
        if "keys" in section:
            for kms_key_id, text in self.table(section["keys"], "custom_senders.keys", None).items():
                keys[kms_key_id] = self.key_bytes(text, f'custom_senders.keys."{kms_key_id}"')
        return key, keys


def _url_problem(text: str, *, base: bool = True) -> str | None:
    try:
        parsed = httpx.URL(text)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        return f"expected an http:// or https:// URL, got {text!r}"
    if parsed.fragment or (base and parsed.query):
        return f"expected a base URL, without query or fragment, got {text!r}"
    return None

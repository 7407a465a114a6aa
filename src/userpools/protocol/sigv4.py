"""AWS Signature Version 4 verification: the front door of the admin operations.

Cognito's IAM-authorised operations (CreateUserPool, AdminCreateUser, …) are signed with SigV4, and AWS
checks the signature before any Cognito code runs. :func:`verify_request` is that check. It rebuilds the
canonical request exactly as botocore's ``SigV4Auth`` builds it, and answers with the error classes, and
the wording, of AWS's own front door. The checks run in AWS's order:

1. neither an ``Authorization`` header nor an ``X-Amz-Algorithm`` query parameter →
   MissingAuthenticationToken; both → InvalidSignature;
2. a parameter (Credential, Signature, SignedHeaders) or the date is missing → IncompleteSignature;
3. ``host`` is not a signed header → InvalidSignature;
4. the date is not ISO-8601 basic format → IncompleteSignature; it is more than 5 minutes from now →
   InvalidSignature;
5. the algorithm is not AWS4-HMAC-SHA256 → IncompleteSignature;
6. the credential has not 5 parts → IncompleteSignature; its scope names another service, an invalid
   region, another day than the date, or another terminator than ``aws4_request`` → InvalidSignature;
7. the access key id is not ours → UnrecognizedClient;
8. the signature does not match → InvalidSignature.

A presigned request (the same parameters as X-Amz-* query parameters) is checked the same way; its
X-Amz-Expires can shorten the 5-minute window, never lengthen it.

Development mode (``credentials=None``, a loopback server with no credentials configured) runs every check
except the clock in step 4 and steps 7-8, so any well-formed signature passes.

Nothing here logs, and no message contains the secret access key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import quote, unquote, unquote_to_bytes

from userpools.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_CLOCK_SKEW = timedelta(minutes=5)

_TIMESTAMP = "%Y%m%dT%H%M%SZ"
_ISO_BASIC = re.compile(r"\d{8}T\d{6}Z")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_REGION = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")  # a host label, as botocore requires
_ACCESS_KEY_ID = re.compile(r"\w+", re.ASCII)
_PARAMETER_SEPARATORS = re.compile(r"[,\s]+")
_QUERY_AUTH_PARAMETERS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "X-Amz-Date",
)

_FOUND_BOTH = "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
_HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."


@dataclass(frozen=True)
class AdminCredentials:
    """The access key pair that may call the admin operations. The secret never appears in its repr."""

    access_key_id: str
    secret_access_key: str = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> AdminCredentials:
        """Read ``"AKID:SECRET"`` (or ``"AKID,SECRET"``) from the configuration.

        Raises ValueError on bad input; the message never quotes the text, which holds the secret.
        """
        separators = [i for i in (text.find(":"), text.find(",")) if i >= 0]
        if not separators:
            raise ValueError("admin credentials must be ACCESS_KEY_ID:SECRET_ACCESS_KEY")
        access_key_id, secret = text[: min(separators)].strip(), text[min(separators) + 1 :].strip()
        if not _ACCESS_KEY_ID.fullmatch(access_key_id):
            raise ValueError("the admin access key id must be ASCII letters, digits and underscores")
        if not secret or any(c.isspace() or not c.isprintable() for c in secret):
            raise ValueError("the admin secret access key must be printable characters without spaces")
        return cls(access_key_id, secret)


@dataclass(frozen=True)
class _Signing:
    """The signing parameters a request carries, from its Authorization header or its query string."""

    algorithm: str
    credential: str
    signed_headers: str
    signature: str
    date: str
    date_is_http_date_header: bool
    presigned: bool
    expires: str | None


def verify_request(
    *,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: AdminCredentials | None,
    now: datetime,
    service: str = "cognito-idp",
) -> str:
    """Returns the access key id that signed the request, or raises one of the errors above.

    ``path`` and ``query`` are raw, as on the request line; ``headers`` may be any mapping (a Starlette
    ``Headers`` keeps repeated headers, which are then joined as SigV4 says).
    """
    lowered = _lower_headers(headers)
    signing = _read_signing(lowered, query)
    names = [name.lower() for name in signing.signed_headers.split(";") if name]
    if "host" not in names and ":authority" not in names:
        raise InvalidSignatureException(_HOST_NOT_SIGNED)
    signed_at = _parse_date(signing.date, http_date_allowed=signing.date_is_http_date_header)
    if credentials is not None:
        _check_clock(signed_at, now, signing.expires)
    if signing.algorithm != ALGORITHM:
        raise IncompleteSignatureException(
            f"Unsupported AWS 'algorithm': '{signing.algorithm}' (only {ALGORITHM} for now). "
        )
    access_key_id, day, region, scope_service = _read_credential(signing.credential, signed_at, service)

    if credentials is None:
        if not access_key_id:
            raise UnrecognizedClientException()
        if not _SIGNATURE.fullmatch(signing.signature):
            raise InvalidSignatureException()
        return access_key_id
    if access_key_id != credentials.access_key_id:
        raise UnrecognizedClientException()
    if not _SIGNATURE.fullmatch(signing.signature):
        raise InvalidSignatureException()

    key = _signing_key(credentials.secret_access_key, day, region, scope_service)
    scope = f"{day}/{region}/{scope_service}/{TERMINATOR}"
    head = f"{method.upper()}\n{_canonical_path(path)}"
    tail = "\n".join(
        [_canonical_headers(lowered, names), signing.signed_headers, _payload_hash(lowered, body)]
    )
    for canonical_query in _canonical_query_candidates(query, presigned=signing.presigned):
        canonical_request = f"{head}\n{canonical_query}\n{tail}"
        string_to_sign = "\n".join(
            [ALGORITHM, signed_at.strftime(_TIMESTAMP), scope, _sha256_hex(canonical_request.encode())]
        )
        expected = hmac.digest(key, string_to_sign.encode(), "sha256").hex()
        if hmac.compare_digest(expected, signing.signature):
            return access_key_id
    raise InvalidSignatureException()


# --- reading the request ---------------------------------------------------------------------------


def _lower_headers(headers: Mapping[str, str]) -> dict[str, list[str]]:
    """Every header value by lower-case name, repeated headers in the order received."""
    lowered: dict[str, list[str]] = {}
    for name, value in headers.items():
        lowered.setdefault(name.lower(), []).append(value)
    return lowered


def _first(lowered: dict[str, list[str]], name: str) -> str | None:
    values = lowered.get(name)
    return values[0] if values else None


def _query_parameters(query: str) -> dict[str, str]:
    """The decoded query parameters; the first value wins when a name repeats."""
    found: dict[str, str] = {}
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            found.setdefault(unquote(name), unquote(value))
    return found


def _read_signing(lowered: dict[str, list[str]], query: str) -> _Signing:
    """Steps 1 and 2: find the signing parameters, or say what is missing in AWS's words."""
    header = _first(lowered, "authorization")
    parameters = _query_parameters(query) if "X-Amz-Algorithm" in query else {}
    if header is not None and "X-Amz-Algorithm" in parameters:
        raise InvalidSignatureException(_FOUND_BOTH)
    if header is None and "X-Amz-Algorithm" not in parameters:
        raise MissingAuthenticationTokenException()
    if header is None:
        return _read_query_signing(parameters)

    algorithm, rest = [*header.split(None, 1), "", ""][:2]
    fields: dict[str, str] = {}
    if algorithm.startswith("AWS4-"):  # AWS reads key=value pairs only after a SigV4 algorithm name
        for token in _PARAMETER_SEPARATORS.split(rest):
            if not token:
                continue
            name, equals, value = token.partition("=")
            if not equals:
                raise IncompleteSignatureException(
                    f"'{token}' not a valid key=value pair (missing equal-sign) in Authorization header: "
                    f"'{header}'."
                )
            fields[name] = value  # the last value wins
    amz_date = _first(lowered, "x-amz-date")
    date = amz_date or _first(lowered, "date") or ""
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not fields.get(name) and not (name == "SignedHeaders" and name in fields)  # may be empty here
    ]
    if not date:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if missing:
        raise IncompleteSignatureException(" ".join(missing) + f" Authorization={header}")
    return _Signing(
        algorithm=algorithm,
        credential=fields["Credential"],
        signed_headers=fields["SignedHeaders"],
        signature=fields["Signature"],
        date=date,
        date_is_http_date_header=not amz_date,
        presigned=False,
        expires=None,
    )


def _read_query_signing(parameters: dict[str, str]) -> _Signing:
    """Step 2 for a presigned request: every X-Amz-* parameter must be there."""
    missing = [
        f"AWS query-string parameters must include '{name}'."
        for name in _QUERY_AUTH_PARAMETERS
        if not parameters.get(name)
    ]
    if missing:
        raise IncompleteSignatureException(" ".join(missing) + " Re-examine the query-string parameters.")
    return _Signing(
        algorithm=parameters["X-Amz-Algorithm"],
        credential=parameters["X-Amz-Credential"],
        signed_headers=parameters["X-Amz-SignedHeaders"],
        signature=parameters["X-Amz-Signature"],
        date=parameters["X-Amz-Date"],
        date_is_http_date_header=False,
        presigned=True,
        expires=parameters.get("X-Amz-Expires"),
    )


def _parse_date(text: str, *, http_date_allowed: bool) -> datetime:
    """X-Amz-Date is ISO-8601 basic (20150830T123600Z); a Date header may also be an HTTP date."""
    if _ISO_BASIC.fullmatch(text):
        try:
            return datetime.strptime(text, _TIMESTAMP).replace(tzinfo=UTC)
        except ValueError:
            pass
    elif http_date_allowed:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None:  # botocore's formatdate() writes "-0000", which parses as naive UTC
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise IncompleteSignatureException(
        f"Date must be in ISO-8601 'basic format'. Got '{text}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _check_clock(signed_at: datetime, now: datetime, expires: str | None) -> None:
    """Step 4: the request was signed within 5 minutes of now (a presigned one: and not after it expired)."""
    now = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)
    stamp, now_text = signed_at.strftime(_TIMESTAMP), now.strftime(_TIMESTAMP)
    if signed_at < now - MAX_CLOCK_SKEW:
        earliest = (now - MAX_CLOCK_SKEW).strftime(_TIMESTAMP)
        raise InvalidSignatureException(
            f"Signature expired: {stamp} is now earlier than {earliest} ({now_text} - 5 min.)"
        )
    if signed_at > now + MAX_CLOCK_SKEW:
        latest = (now + MAX_CLOCK_SKEW).strftime(_TIMESTAMP)
        raise InvalidSignatureException(
            f"Signature not yet current: {stamp} is still later than {latest} ({now_text} + 5 min.)"
        )
    if expires:  # X-Amz-Expires can only shorten the window
        if not expires.isdigit():
            raise IncompleteSignatureException("X-Amz-Expires should be a number")
        if now > signed_at + timedelta(seconds=int(expires)):
            raise InvalidSignatureException("Request has expired")


def _read_credential(credential: str, signed_at: datetime, service: str) -> tuple[str, str, str, str]:
    """Step 6: ``keyid/date/region/service/aws4_request``, scoped to this service and the request's day."""
    parts = credential.rstrip("/").split("/")
    if len(parts) != 5:
        raise IncompleteSignatureException(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            f"got '{credential}'"
        )
    access_key_id, day, region, scope_service, terminator = parts
    stamp = signed_at.strftime(_TIMESTAMP)
    problems: list[str] = []
    if not _REGION.fullmatch(region):
        problems.append(f"Credential should be scoped to a valid region, not '{region}'. ")
    if scope_service != service:
        problems.append(f"Credential should be scoped to correct service: '{service}'. ")
    if terminator != TERMINATOR:
        problems.append(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'. "
        )
    if day != stamp[:8]:
        problems.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{day}' != '{stamp[:8]}', from '{stamp}'."
        )
    if problems:
        raise InvalidSignatureException("".join(problems))
    return access_key_id, day, region, scope_service


# --- the canonical request, as botocore builds it ----------------------------------------------------


def _canonical_path(path: str) -> str:
    """botocore: dot segments and repeated slashes removed, then percent-encoded once more (non-S3)."""
    return quote(_remove_dot_segments(path) if path else "/", safe="/~")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, dropping empty segments too, exactly as ``botocore.utils.remove_dot_segments``."""
    output: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if output:
                output.pop()
        elif segment and segment != ".":
            output.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and output else ""
    return first + "/".join(output) + last


def _canonical_query_candidates(query: str, *, presigned: bool) -> list[str]:
    """The canonical query string per the SigV4 spec (pairs decoded, RFC 3986-encoded, sorted by name then
    value), then, if it differs, the one botocore signs for a query already in a URL (the pairs sorted as
    they are, not re-encoded). A presigned request leaves out its own X-Amz-Signature."""
    if not query:
        return [""]
    parts = query.split("&")
    if presigned:
        parts = [part for part in parts if unquote(part.partition("=")[0]) != "X-Amz-Signature"]
    spec = sorted(
        (_rfc3986(name), _rfc3986(value)) for name, _, value in (p.partition("=") for p in parts if p)
    )
    as_sent = sorted((name, value) for name, _, value in (part.partition("=") for part in parts))
    candidates = ["&".join(f"{name}={value}" for name, value in spec)]
    botocore = "&".join(f"{name}={value}" for name, value in as_sent)
    if botocore != candidates[0]:
        candidates.append(botocore)
    return candidates


def _rfc3986(text: str) -> str:
    return quote(unquote_to_bytes(text), safe="-_.~")


def _canonical_headers(lowered: dict[str, list[str]], names: list[str]) -> str:
    """``name:value`` lines for the signed headers: values trimmed, inner whitespace runs collapsed, repeated
    headers joined with commas; then the blank line that ends the block."""
    lines = [
        f"{name}:{','.join(' '.join(value.split()) for value in lowered.get(name, []))}" for name in names
    ]
    return "\n".join(lines) + "\n"


def _payload_hash(lowered: dict[str, list[str]], body: bytes) -> str:
    """sha256(body), unless X-Amz-Content-SHA256 says UNSIGNED-PAYLOAD or gives that same hash."""
    declared = _first(lowered, "x-amz-content-sha256")
    if declared is None:
        return _sha256_hex(body)
    if declared == UNSIGNED_PAYLOAD:
        return declared
    if _SHA256_HEX.fullmatch(declared) and hmac.compare_digest(declared.lower(), _sha256_hex(body)):
        return declared
    raise InvalidSignatureException()


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=64)
def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    """kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request")."""
    key = ("AWS4" + secret).encode()
    for part in (day, region, service, TERMINATOR):
        key = hmac.digest(key, part.encode(), "sha256")
    return key

"""Client ID metadata document (CIMD) policies: which ``https`` client_id URLs the authorization endpoint
accepts, for which app client, and how long it caches their metadata documents.

Stored formats (see ``domain.resources`` for kinds and keys):

- ``cimd_policy`` (key ``<pool id>/<CIMDPolicyId>``): CIMDPolicyType without its dates::

      {"CIMDPolicyId": "<26 of [a-z0-9]>", "UserPoolId", "ClientId", "PolicyName",
       "CacheDuration": seconds (86,400–31,556,952; 86,400 when not given), "URLPatterns": ["https://…", …]}

  ``ClientId`` is kept when the app client is deleted: the policy outlives it and the operations leave the
  member out while no such client exists [C: CIMDPolicyType "Amazon Cognito omits this value when the app
  client no longer exists"].
- ``cimd_url`` (key ``<pool id>/<CIMDPolicyId>/<URL>``): a metadata URL the authorization endpoint met under
  the policy, written by ``url_record`` (the endpoint calls ``operations.cimd.record_fetch``)::

      {"URL": "https://…", "CachedDate": epoch seconds | absent, "ExpirationDate": epoch seconds | absent,
       "Metadata": {…the fetched JSON document…} | absent}

  A URL with ``Metadata`` has a cached document, used until ``ExpirationDate``; after it (or without one) the
  endpoint fetches the URL again. INVALIDATE drops Metadata and both dates (the URL stays listed, without
  dates: the model makes them optional); REFRESH sets ExpirationDate to now, so the next authorization
  request fetches it again [U: Cognito fetches at once; the fetching belongs to the endpoint].

URL patterns: the model allows ``https://`` then letters, digits and ``!$-;=@-[]_a-z~`` (so ``*``, ``/``,
``:``; no ``?``, ``#`` or space). ``*`` matches one or more characters other than ``/``, ``?`` and ``#``, so
it stays within one host label run or one path segment [U: the documentation only says patterns "can contain
the * wildcard character"]; everything else matches itself. Source marks as in ``domain.pools``.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import regex

from userpools.errors import InvalidParameterException, LimitExceededException

Document = dict[str, Any]

#: [C: CreateCIMDPolicy "If you don't set a value, the default is 86,400 seconds"]
DEFAULT_CACHE_DURATION: Final = 86_400
MIN_CACHE, MAX_CACHE = 86_400, 31_556_952
#: [U] Cognito's quota of policies per pool is not published; LimitExceededException is in the model's list
MAX_POLICIES: Final = 10


def new_policy_id() -> str:
    """[U] Cognito's ids match ``^[a-z0-9]+$`` (1–64); ours are 26 such characters, like client ids."""
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(26))


def check_patterns(patterns: Sequence[str]) -> list[str]:
    """URLPatterns (shape-checked: 1–5, each 12–256 and of the model's characters) with the rules the model
    cannot express: a host, and each pattern once."""
    for pattern in patterns:
        try:
            host = urlsplit(pattern.replace("*", "x")).hostname
        except ValueError:  # an unclosed IPv6 bracket
            host = None
        if not host:
            raise InvalidParameterException(f"URL pattern {pattern} has no host.")  # [U] wording
    if len(set(patterns)) != len(patterns):
        raise InvalidParameterException("URL patterns must be unique.")  # [U] wording
    return list(patterns)


def check_unclaimed(patterns: Iterable[str], others: Iterable[Mapping[str, Any]]) -> None:
    """A pattern may be in one policy of the pool only [U: a URL maps to exactly one app client [C: "A CIMD
    policy maps a set of metadata URL patterns to exactly one existing user pool app client"]; overlapping
    wildcards are not compared, the authorization endpoint takes the first policy in id order]."""
    mine = set(patterns)
    for other in others:
        taken = mine & set(other.get("URLPatterns") or ())
        if taken:
            raise InvalidParameterException(  # [U] wording
                f"URL pattern {min(taken)} is already in CIMD policy {other['CIMDPolicyId']}."
            )


def check_quota(existing: int) -> None:
    if existing >= MAX_POLICIES:
        raise LimitExceededException(
            f"The user pool has reached its limit of {MAX_POLICIES} CIMD policies."
        )  # [U]


def new_document(request: Mapping[str, Any], policy_id: str, pool_id: str) -> Document:
    """CreateCIMDPolicy input (shape-checked) → the stored policy."""
    return {
        "CIMDPolicyId": policy_id,
        "UserPoolId": pool_id,
        "ClientId": request["ClientId"],
        "PolicyName": request["PolicyName"],
        "CacheDuration": request.get("CacheDuration", DEFAULT_CACHE_DURATION),
        "URLPatterns": check_patterns(request["URLPatterns"]),
    }


def updated_document(existing: Mapping[str, Any], request: Mapping[str, Any]) -> Document:
    """UpdateCIMDPolicy: ClientId and URLPatterns (required) replace the stored ones; PolicyName and
    CacheDuration are kept when not given [C: CacheDuration "If you don't set a value, Amazon Cognito keeps the
    current cache duration"; U: PolicyName likewise]."""
    return {
        **existing,
        "ClientId": request["ClientId"],
        "PolicyName": request.get("PolicyName", existing["PolicyName"]),
        "CacheDuration": request.get("CacheDuration", existing.get("CacheDuration", DEFAULT_CACHE_DURATION)),
        "URLPatterns": check_patterns(request["URLPatterns"]),
    }


def described(document: Mapping[str, Any], *, client_exists: bool) -> Document:
    out = dict(document)
    if not client_exists:
        out.pop("ClientId", None)
    return out


def summary(document: Mapping[str, Any], *, client_exists: bool) -> Document:
    """CIMDPolicySummaryType, without its dates."""
    out = {k: document[k] for k in ("CIMDPolicyId", "PolicyName", "CacheDuration") if k in document}
    if client_exists:
        out["ClientId"] = document["ClientId"]
    return out


# --- what the authorization endpoint uses -----------------------------------------------------------------


def pattern_regex(pattern: str) -> regex.Pattern[str]:
    parts = (regex.escape(piece) for piece in pattern.split("*"))
    return regex.compile("[^/?#]+".join(parts))


def matches(pattern: str, url: str) -> bool:
    return pattern_regex(pattern).fullmatch(url) is not None


def policy_for_url(policies: Iterable[Mapping[str, Any]], url: str) -> Mapping[str, Any] | None:
    """The first policy (in the order given: ``operations.cimd`` lists them by id) with a pattern the URL
    matches, or None."""
    for policy in policies:
        if any(matches(p, url) for p in policy.get("URLPatterns") or ()):
            return policy
    return None


def cache_seconds(policy: Mapping[str, Any], max_age: int | None) -> int:
    """How long a fetched document is cached: the response's Cache-Control max-age when it lies between one
    day and one year, else the policy's CacheDuration [C: CIMDPolicyType CacheDuration]."""
    if max_age is not None and MIN_CACHE <= max_age <= MAX_CACHE:
        return max_age
    return int(policy.get("CacheDuration") or DEFAULT_CACHE_DURATION)


def url_record(url: str, metadata: Mapping[str, Any], now: datetime, seconds: int) -> Document:
    """The ``cimd_url`` document for a document fetched now and cached ``seconds``."""
    at = now.timestamp()
    return {"URL": url, "CachedDate": at, "ExpirationDate": at + seconds, "Metadata": dict(metadata)}


def is_cached(record: Mapping[str, Any], now: datetime) -> bool:
    """Whether the record holds a document still fresh at ``now`` (the endpoint may use it without a fetch)."""
    expires = record.get("ExpirationDate")
    return "Metadata" in record and expires is not None and now.timestamp() < expires


def listed(record: Mapping[str, Any]) -> Document:
    """ClientMetadataURLType: dates as datetimes for the protocol layer to encode."""
    out: Document = {"URL": record["URL"]}
    for member in ("CachedDate", "ExpirationDate"):
        if record.get(member) is not None:
            out[member] = datetime.fromtimestamp(record[member], UTC)
    return out


def invalidated(record: Mapping[str, Any]) -> Document:
    return {"URL": record["URL"]}


def refreshed(record: Mapping[str, Any], now: datetime) -> Document:
    return {**record, "ExpirationDate": min(now.timestamp(), record.get("ExpirationDate") or now.timestamp())}


# --- a metadata document as an OAuth client ---------------------------------------------------------------
#
# The rules of draft-ietf-oauth-client-id-metadata-document (CIMD) and Cognito's [C: developer guide, "client
# ID metadata documents"]: the document's client_id equals the URL it was fetched from; the client is public
# (token_endpoint_auth_method "none"; no client_secret); a grant type counts only when both the document and
# the policy's app client allow it (client_credentials never). [U] choices: redirect_uris come from the
# document alone (it is the client's registration); "scope", when given, narrows the app client's
# AllowedOAuthScopes; post_logout_redirect_uris become the LogoutURLs; the implicit grant is not offered (a
# public client fetched by URL gets the code grant with PKCE, which the endpoint requires).

#: [U] documents larger than this are refused (the draft asks servers to cap the size; it suggests 5 KB)
MAX_DOCUMENT_BYTES: Final = 10_240


class MetadataError(ValueError):
    """A metadata document that cannot be used as a client; the message says why."""


def is_metadata_url(client_id: str | None) -> bool:
    return bool(client_id) and str(client_id).startswith("https://")


def check_metadata_url(url: str) -> None:
    """The draft's client_id URL: https, a host, a path, no fragment, no user info, no dot segments."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.username is not None or parts.fragment:
        raise MetadataError("client_id is not an https URL with a host and without a fragment or user info")
    if not parts.path or parts.path == "/" or any(s in (".", "..") for s in parts.path.split("/")):
        raise MetadataError("client_id URL must have a path without dot segments")


def _strings_of(document: Mapping[str, Any], name: str, default: list[str]) -> list[str]:
    value = document.get(name, default)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise MetadataError(f"{name} must be an array of strings")
    return list(value)


def client_settings(document: Mapping[str, Any], url: str, app_settings: Mapping[str, Any]) -> Document:
    """The settings of the client a metadata document describes, on the policy's app client's settings.
    Raises MetadataError."""
    if document.get("client_id") != url:
        raise MetadataError("the document's client_id is not the URL it was fetched from")
    if document.get("token_endpoint_auth_method") != "none":
        raise MetadataError("token_endpoint_auth_method must be none: client ID metadata clients are public")
    if "client_secret" in document or "client_secret_expires_at" in document:
        raise MetadataError("a client ID metadata document can not hold a client secret")
    redirects = _strings_of(document, "redirect_uris", [])
    if not redirects:
        raise MetadataError("redirect_uris is required")
    for uri in redirects:
        parts = urlsplit(uri)
        if not parts.scheme or parts.fragment or (parts.scheme in ("http", "https") and not parts.netloc):
            raise MetadataError(f"redirect_uri {uri} is not an absolute URI without a fragment")
    grants = _strings_of(document, "grant_types", ["authorization_code"])
    responses = _strings_of(document, "response_types", ["code"])
    scope = document.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise MetadataError("scope must be a string")
    app_flows = set(app_settings.get("AllowedOAuthFlows") or ())
    settings: Document = {k: v for k, v in app_settings.items() if k not in ("DefaultRedirectURI",)}
    settings["AllowedOAuthFlows"] = ["code"] if "authorization_code" in grants and "code" in responses \
        and "code" in app_flows else []
    app_scopes = list(app_settings.get("AllowedOAuthScopes") or ())
    settings["AllowedOAuthScopes"] = app_scopes if scope is None else [s for s in app_scopes if s in scope.split()]
    settings["CallbackURLs"] = redirects
    settings["LogoutURLs"] = _strings_of(document, "post_logout_redirect_uris", [])
    flows = [f for f in app_settings.get("ExplicitAuthFlows") or () if f != "ALLOW_REFRESH_TOKEN_AUTH"]
    if "refresh_token" in grants and "ALLOW_REFRESH_TOKEN_AUTH" in (app_settings.get("ExplicitAuthFlows") or ()):
        flows.append("ALLOW_REFRESH_TOKEN_AUTH")
    settings["ExplicitAuthFlows"] = flows or ["ALLOW_USER_SRP_AUTH"]
    return settings


def client_name(document: Mapping[str, Any], url: str) -> str:
    name = document.get("client_name")
    return name if isinstance(name, str) and name else url

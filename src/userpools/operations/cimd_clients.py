"""Client ID metadata document clients: an ``https`` client_id that matches one of the pool's CIMD policies is
fetched, checked and cached, then acts as a public OAuth client of the domain's endpoints (authorize, the
hosted sign-in, token, revoke) with the policy's app client's settings narrowed by the document
(``domain.cimd.client_settings``).

``ensure`` runs before an endpoint's transaction: it fetches the document when the cache holds no fresh copy
and records it (``operations.cimd.record_fetch``), so ``client_for`` can build the client inside the
transaction from the store alone.

The fetch is guarded against server-side request forgery: the host is resolved first and every address must
be public (no loopback, private, link-local, multicast, reserved or unspecified address; loopback only with
``--cimd-allow-loopback``); the connection then goes to the checked address itself (the TLS name check and SNI
use the host name), so a second DNS answer cannot send it elsewhere. No redirects are followed, the answer
is capped at ``domain.cimd.MAX_DOCUMENT_BYTES`` and the whole fetch at a few seconds [U: Cognito's limits are
unpublished].
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson

from userpools.domain import cimd as domain
from userpools.domain.records import ClientRecord, PoolRecord
from userpools.domain.resources import CIMD_URL, cimd_url_key
from userpools.operations.cimd import policies_of, record_fetch
from userpools.operations.context import Context
from userpools.operations.guarded_fetch import FetchError, public_addresses
from userpools.storage.ports import Transaction

FETCH_TIMEOUT_SECONDS = 5.0
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?", re.IGNORECASE)


async def _policy(tx: Transaction, pool: PoolRecord, url: str) -> Mapping[str, Any] | None:
    policies = [p.document for p in await policies_of(tx, pool.id)]
    return domain.policy_for_url(policies, url)


async def client_for(tx: Transaction, pool: PoolRecord, url: str) -> ClientRecord | None:
    """The client a cached metadata document describes, or None (no policy matches, nothing cached, the
    policy's app client is gone, the document does not make a client)."""
    policy = await _policy(tx, pool, url)
    if policy is None:
        return None
    record = await tx.resources.get(CIMD_URL, cimd_url_key(pool.id, policy["CIMDPolicyId"], url))
    app = await tx.clients.get(str(policy.get("ClientId")))
    if record is None or "Metadata" not in record.document or app is None or app.pool_id != pool.id:
        return None
    metadata = record.document["Metadata"]
    try:
        settings = domain.client_settings(metadata, url, app.settings)
    except domain.MetadataError:
        return None
    return dataclasses.replace(app, id=url, name=domain.client_name(metadata, url), secret_ciphertext=None,
                               settings=settings)


async def ensure(ctx: Context, pool: PoolRecord, client_id: str | None) -> None:
    """Before an endpoint's transaction: a metadata URL matching a policy has a fresh cached document after
    this (fetched now if needed). Raises FetchError; does nothing for other client ids."""
    if not domain.is_metadata_url(client_id):
        return
    url = str(client_id)
    now = ctx.clock.now()
    async with ctx.store.transaction(readonly=True) as tx:
        policy = await _policy(tx, pool, url)
        if policy is None:
            return  # no policy: the client lookup finds nothing and the endpoint says so
        record = await tx.resources.get(CIMD_URL, cimd_url_key(pool.id, policy["CIMDPolicyId"], url))
    if record is not None and domain.is_cached(record.document, now):
        return
    try:
        domain.check_metadata_url(url)
    except domain.MetadataError as exc:
        raise FetchError(str(exc)) from None
    metadata, max_age = await fetch(url, allow_loopback=ctx.settings.cimd_allow_loopback)
    if metadata.get("client_id") != url:
        raise FetchError("the document's client_id is not the URL it was fetched from")
    async with ctx.store.transaction() as tx:
        await record_fetch(tx, pool.id, policy, url, metadata, ctx.clock.now(), max_age)


def max_age_of(cache_control: str | None) -> int | None:
    match = _MAX_AGE.search(cache_control or "")
    return int(match.group(1)) if match else None


async def fetch(url: str, *, allow_loopback: bool) -> tuple[dict[str, Any], int | None]:
    """GET the document (JSON object) and its Cache-Control max-age, through the SSRF guard."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or 443
    last: Exception | None = None
    for address in await public_addresses(host, port, allow_loopback):
        literal = f"[{address}]" if ":" in address else address
        target = urlunsplit(("https", f"{literal}:{port}", parts.path, parts.query, ""))
        try:
            async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False) as client:
                request = client.build_request("GET", target, headers={
                    "Host": parts.netloc, "Accept": "application/json"}, extensions={"sni_hostname": host})
                response = await client.send(request, stream=True)
                try:
                    body = await _capped(response)
                finally:
                    await response.aclose()
        except (httpx.TransportError, OSError) as exc:
            last = exc
            continue
        if response.status_code != 200:
            raise FetchError(f"the metadata document answered HTTP {response.status_code}")
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise FetchError("the metadata document is not JSON") from None
        if not isinstance(document, dict):
            raise FetchError("the metadata document is not a JSON object")
        return document, max_age_of(response.headers.get("cache-control"))
    raise FetchError(f"the metadata document could not be fetched ({type(last).__name__})")


async def _capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > domain.MAX_DOCUMENT_BYTES:
            raise FetchError(f"the metadata document is larger than {domain.MAX_DOCUMENT_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)

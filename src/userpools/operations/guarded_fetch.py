"""GET a document from a URL someone else chose, guarded against server-side request forgery: the host is
resolved first and every address must be public (no loopback, private, link-local, multicast, reserved or
unspecified address; loopback only when the operator allows it: ``--cimd-allow-loopback``, development and
tests); the connection then goes to the checked address itself (the TLS name check and SNI use the host
name), so a second DNS answer cannot send it elsewhere. No redirects are followed and the answer is capped.

Used for client ID metadata documents (``operations.cimd_clients``) and SAML providers' MetadataURL
(``operations.identity_providers``)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

import httpx


class FetchError(Exception):
    """The document could not be fetched; the message says why."""


def address_allowed(address: str, *, allow_loopback: bool) -> bool:
    """The SSRF guard's rule for one resolved address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global and not ip.is_multicast and not ip.is_reserved and not ip.is_unspecified


async def public_addresses(host: str, port: int, allow_loopback: bool) -> list[str]:
    """The host's addresses, all of them allowed by the guard, or FetchError."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise FetchError(f"the host {host} does not resolve") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses or not all(address_allowed(a, allow_loopback=allow_loopback) for a in addresses):
        raise FetchError(f"the host {host} resolves to an address that is not public")
    return addresses


async def get(url: str, *, allow_loopback: bool, max_bytes: int, timeout: float, accept: str,
              http_on_loopback: bool = False) -> tuple[httpx.Response, bytes]:
    """The answer (any status) and its body, read through the guard. ``https`` only; ``http`` too for a
    loopback host when ``http_on_loopback`` and loopback is allowed (a test's own server)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and http_on_loopback and allow_loopback):
        raise FetchError("the URL must use https")
    port = parts.port or (443 if scheme == "https" else 80)
    addresses = await public_addresses(host, port, allow_loopback)
    if scheme == "http" and not all(ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses):
        raise FetchError("the URL must use https")
    last: Exception | None = None
    for address in addresses:
        literal = f"[{address}]" if ":" in address else address
        target = urlunsplit((scheme, f"{literal}:{port}", parts.path, parts.query, ""))
        try:
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
                request = client.build_request("GET", target, headers={
                    "Host": parts.netloc, "Accept": accept, "User-Agent": "Amazon/Cognito"},
                    extensions={"sni_hostname": host} if scheme == "https" else {})
                response = await client.send(request, stream=True)
                try:
                    body = await _capped(response, max_bytes)
                finally:
                    await response.aclose()
        except (httpx.TransportError, OSError) as exc:
            last = exc
            continue
        return response, body
    raise FetchError(f"the document could not be fetched ({type(last).__name__})")


async def _capped(response: httpx.Response, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"the document is larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)

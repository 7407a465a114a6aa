"""Threat protection's compromised-credentials list: the breached passwords the operator supplies.

Two sources, either or both (``serve --breached-passwords FILE``, ``--breached-passwords-url URL``):

- a file of SHA-1 hashes, one upper-case hex per line, optionally ``HASH:count`` (the format of the Have I Been
  Pwned download). A file up to ``IN_MEMORY_LIMIT`` bytes is read once into a set; a larger one is searched in
  place by binary search over its bytes, which needs the lines sorted (the HIBP download is);
- a k-anonymity range service: ``GET <url>/<first 5 hex>`` (or the URL with ``{prefix}`` replaced) answers the
  suffixes of every hash with that prefix, one ``SUFFIX:count`` per line (HIBP's ``/range/`` API). Only the
  first five hex digits of the hash leave the server. It is asked with a short timeout; when it cannot be
  reached the password counts as not found (a sign-in is never refused because the service is down).

Cognito compiles its own list (and also rejects "commonly guessed" passwords); userpools knows only these.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import os
from pathlib import Path

import httpx

log = logging.getLogger("userpools.breached")

IN_MEMORY_LIMIT = 64 * 1024 * 1024
RANGE_TIMEOUT = 2.0


def sha1_hex(password: str) -> str:
    return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()


def _hash_of(line: bytes) -> bytes:
    return line.split(b":", 1)[0].strip().upper()


class _SortedFile:
    """Binary search over a sorted file of ``HASH[:count]`` lines, without reading it into memory."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def __contains__(self, digest: str) -> bool:
        target = digest.encode()
        with open(self._path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            low, high = 0, len(data)
            while low < high:  # invariant: every line starting before ``low`` sorts below the target
                middle = (low + high) // 2
                start = data.rfind(b"\n", 0, middle) + 1  # the line that holds ``middle``
                end = data.find(b"\n", middle)
                end = len(data) if end < 0 else end
                found = _hash_of(data[start:end])
                if found == target:
                    return True
                if found < target:
                    low = end + 1
                else:
                    high = start
            return False


class BreachedPasswords:
    """Answers whether a password is in the operator's breached-password list (nothing, without one)."""

    def __init__(self, path: str | None = None, url: str | None = None, *,
                 in_memory_limit: int = IN_MEMORY_LIMIT, timeout: float = RANGE_TIMEOUT) -> None:
        self._url = url
        self._timeout = timeout
        self._hashes: set[str] | _SortedFile | None = None
        if path:
            file = Path(path)
            if os.path.getsize(file) <= in_memory_limit:
                with open(file, "rb") as handle:
                    self._hashes = {_hash_of(line).decode("ascii", "replace") for line in handle if line.strip()}
            else:
                self._hashes = _SortedFile(file)

    @property
    def configured(self) -> bool:
        return self._hashes is not None or self._url is not None

    async def contains(self, password: str) -> bool:
        if not self.configured:
            return False
        digest = sha1_hex(password)
        if self._hashes is not None and digest in self._hashes:
            return True
        if self._url is not None:
            return await self._ask_range(digest)
        return False

    async def _ask_range(self, digest: str) -> bool:
        assert self._url is not None
        prefix, suffix = digest[:5], digest[5:]
        url = self._url.replace("{prefix}", prefix) if "{prefix}" in self._url else f"{self._url.rstrip('/')}/{prefix}"
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.get(url, headers={"Add-Padding": "true"})
        except httpx.HTTPError as exc:
            log.warning("breached-password range service %s unreachable: %s", url, type(exc).__name__)
            return False
        if not response.is_success:
            log.warning("breached-password range service %s answered %s", url, response.status_code)
            return False
        for line in response.text.splitlines():
            found, _, count = line.partition(":")
            # HIBP pads answers with fake suffixes of count 0 (Add-Padding): those are not breaches.
            if found.strip().upper() == suffix and count.strip() != "0":
                return True
        return False

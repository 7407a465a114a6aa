"""Identifiers in Cognito's own formats, and random bytes, from the operating system's CSPRNG.

- pool id: ``<region>_<9 alphanumerics>`` (e.g. ``us-west-2_F54j6m3T2``)
- client id: 26 lowercase alphanumerics (e.g. ``5hu48rd3mbfvr3t6d6r2rchapm``)
- client secret: 51 lowercase alphanumerics (within the model's ``[\\w+]+``, 24–64)
"""

from __future__ import annotations

import binascii
import io
import operator
import os
import secrets
import string
import time

_ALNUM = string.ascii_letters + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits


# --- random bytes --------------------------------------------------------------------------------------------
#
# os.urandom is one getrandom system call, and on the VMs this runs on a call cost ~6 µs whatever its size:
# a hosted sign-in draws random bytes nine times (a CSRF token, a session secret, a code, a refresh family,
# token ids, encryption nonces), 3% of its server CPU (py-spy). So the bytes are read from the kernel 4 KiB
# at a time and handed out in order, each byte once, and thrown away in a forked child (``--workers``), which
# must never hand out what its parent did. The token signing threads draw too: a draw is one ``read`` of a
# BytesIO, a C call that holds the GIL from start to end, so no two threads ever get the same bytes (a lock
# around a slice of a buffer cost twice the draw). A short read (the chunk is spent) is thrown away: a new
# chunk is made and read from before it is shared, so a thread that raced past the same end makes its own.

_CHUNK = 4096
_source = io.BytesIO()


def _forget() -> None:
    global _source
    _source = io.BytesIO()


os.register_at_fork(after_in_child=_forget)


def random_bytes(n: int) -> bytes:
    """``n`` bytes from the operating system's CSPRNG (``os.urandom``), read ahead in chunks."""
    out = _source.read(n)
    if len(out) == n:
        return out
    return _fresh_chunk(n)


def _fresh_chunk(n: int) -> bytes:
    global _source
    fresh = io.BytesIO(os.urandom(max(_CHUNK, n)))
    out = fresh.read(n)
    _source = fresh
    return out


def token_urlsafe(n: int = 32) -> str:
    """``secrets.token_urlsafe(n)`` from ``random_bytes``: n random bytes, base64url without padding."""
    return b64url(random_bytes(n)).decode("ascii")


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def b64url(data: bytes) -> bytes:
    """``base64.urlsafe_b64encode(data).rstrip(b"=")`` (base64url without padding, RFC 7515 §2) in one C call
    and a translation: the JWTs, refresh tokens and secrets of every sign-in are made of it."""
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=")


def randbelow(n: int) -> int:
    """A uniform integer in [0, n), ``secrets.randbelow(n)`` from ``random_bytes``."""
    if n <= 0:
        raise ValueError("upper bound must be positive")
    bits = (n - 1).bit_length()
    while True:
        value = int.from_bytes(random_bytes((bits + 7) // 8), "big") >> (-bits % 8)
        if value < n:
            return value


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_pool_id(region: str) -> str:
    return f"{region}_{_random(_ALNUM, 9)}"


def new_client_id() -> str:
    return _random(_LOWER_ALNUM, 26)


def new_import_job_id() -> str:
    """A user import job's id: ``import-`` and 10 letters and digits, the form of Cognito's (``import-qQ0DCt2fRh``)."""
    return f"import-{_random(_ALNUM, 10)}"


def new_client_secret() -> str:
    return _random(_LOWER_ALNUM, 51)


#: a UUID's hex digits but its version (12) and the top of its variant (16), in the five groups of its text
_UUID_GROUPS = operator.itemgetter(slice(0, 8), slice(8, 12), slice(13, 16), 16, slice(17, 20), slice(20, 32))
#: a hex digit with its top two bits made the RFC 9562 variant (10)
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def _uuid_text(hex_digits: str, version: str) -> str:
    """32 random hex digits as a UUID of ``version`` (RFC 9562 variant), in the usual text, without a
    uuid.UUID object or the formatting of a 128-bit integer (a third of the cost)."""
    a, b, c, d, e, f = _UUID_GROUPS(hex_digits)
    return f"{a}-{b}-{version}{c}-{_VARIANT[d]}{e}-{f}"


def new_uuid() -> str:
    """A random (version 4) UUID, as ``str(uuid.uuid4())`` writes it."""
    return _uuid_text(random_bytes(16).hex(), "4")


def new_ordered_uuid() -> str:
    """A version 7 UUID (RFC 9562): the Unix time in milliseconds, then 74 random bits. For the ids of rows
    that are only ever appended (auth events, outbox messages): their primary-key index then grows at its
    end, on pages a group commit shares, instead of at a random page per row."""
    return _uuid_text((time.time_ns() // 1_000_000).to_bytes(6, "big").hex() + random_bytes(10).hex(), "7")

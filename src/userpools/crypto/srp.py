"""Cognito's SRP-6a, server side (``USER_SRP_AUTH``, ``PASSWORD_SRP`` and, with other names, device SRP).

Exactly what the clients compute (amazon-cognito-identity-js ``AuthenticationHelper.js`` / ``CognitoUser.js`` /
``DateHelper.js``; pycognito ``aws_srp.py``):

- the group is RFC 3526's 3072-bit MODP prime ``N`` with ``g = 2``; ``H`` is SHA-256;
- ``padHex(i)`` is the hex of Java's ``BigInteger.toByteArray()``: even length, ``00`` in front when the high
  bit is set; every hash is over the *bytes* of padHex strings;
- ``k = H(padHex(N) ‖ padHex(g))``, ``u = H(padHex(A) ‖ padHex(B))``;
- ``x = H(padHex(salt) ‖ H(poolName ‖ USER_ID_FOR_SRP ‖ ":" ‖ password))``, ``v = g^x``; poolName is the pool
  id after the ``_``;
- the server sends ``B = k·v + g^b`` and computes ``S = (A·v^u)^b``;
- ``K = HKDF-SHA256(ikm = padHex(S), salt = padHex(u), info = "Caldera Derived Key")[:16]``;
- ``PASSWORD_CLAIM_SIGNATURE = base64(HMAC-SHA256(K, poolName ‖ USER_ID_FOR_SRP ‖ SECRET_BLOCK bytes ‖
  TIMESTAMP))`` with TIMESTAMP like ``Tue Jan 7 08:00:05 UTC 2026`` (day of month not zero-padded).

The salt is carried as an integer: it is hashed as padHex(int(salt)) and sent on the wire as that same
padHex text (:func:`salt_hex`), the one form on which clients that parse SALT as a number (ACIJ) and clients
that pad the hex text (pycognito) agree.

No Session comes back with Cognito's PASSWORD_VERIFIER challenge, so the server's state between
InitiateAuth and RespondToAuthChallenge (the user, ``A``, ``b``, ``B``, when) travels in SECRET_BLOCK,
encrypted and authenticated under the data key (:func:`seal_state` / :func:`open_state`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from gmpy2 import mpz, powmod

from userpools import ids
from userpools.crypto.datakey import DataKeyCipher

N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
"""RFC 3526 group 15 (3072-bit MODP), the prime of RFC 5054's 3072-bit group."""
G = 2
N_BYTES = 384
"""Bytes in a number modulo N (a verifier, B, S)."""
MAX_HEX_DIGITS = 2 * N_BYTES + 64
"""Longest SRP_A accepted from the wire: a number mod N with room for a client that pads it."""

_INFO = b"Caldera Derived Key\x01"  # HKDF info ‖ block counter 1: one block, truncated to 16 bytes
_N = mpz(N)
_G = mpz(G)
SECRET_BLOCK_CONTEXT = b"srp-secret-block"


# --- padHex and the wire's hex ------------------------------------------------------------------------------


def to_pad_hex(n: int) -> str:
    """Cognito's padHex: the lowercase hex of Java's ``BigInteger.toByteArray()`` (two's complement, fewest
    bytes, at least one sign bit). ``0x80 → "0080"``, ``0x14 → "14"``, ``0 → "00"``, ``-20 → "ec"``."""
    n = int(n)
    if n >= 0:
        text = format(n, "x")
        if len(text) % 2:
            text = "0" + text
        return "00" + text if text[0] in "89abcdef" else text
    length = ((-n - 1).bit_length() // 8) + 1  # fewest bytes whose sign bit can hold n
    return format(n + (1 << (8 * length)), "x")  # exactly 2·length digits, the first one 8 or more


def _pad_bytes(n: int) -> bytes:
    return bytes.fromhex(to_pad_hex(n))


def _h(data: bytes) -> int:
    return int.from_bytes(hashlib.sha256(data).digest(), "big")


def salt_hex(salt: bytes) -> str:
    """SALT as sent in ChallengeParameters: padHex of the salt read as a big-endian number."""
    return to_pad_hex(int.from_bytes(salt, "big"))


def parse_hex(text: str) -> int:
    """A non-negative integer from wire hex (SRP_A): hex digits only, 1 to MAX_HEX_DIGITS of them.
    Raises ValueError otherwise."""
    if not 0 < len(text) <= MAX_HEX_DIGITS or not all(c in "0123456789abcdefABCDEF" for c in text):
        raise ValueError("not a hex number")
    return int(text, 16)


K = _h(_pad_bytes(N) + _pad_bytes(G))
"""SRP-6a's multiplier k = H(padHex(N) ‖ padHex(g))."""
_K = mpz(K)


# --- the maths ----------------------------------------------------------------------------------------------


def pool_name(pool_id: str) -> str:
    """``us-east-1_AbC`` → ``AbC`` (the clients' ``pool_id.split("_")[1]``)."""
    return pool_id.split("_")[1]


def _x(pool_id: str, username: str, password: str, salt: bytes) -> int:
    inner = hashlib.sha256(f"{pool_name(pool_id)}{username}:{password}".encode()).digest()
    return _h(_pad_bytes(int.from_bytes(salt, "big")) + inner)


# --- g^e with a fixed base ----------------------------------------------------------------------------------
#
# Every g^e the server computes (the verifier g^x at sign-up, password change and USER_PASSWORD_AUTH; g^b for
# SRP's B) has the same base and an exponent of at most 256 bits (x is a SHA-256 output, b 256 random bits).
# So the powers can be tabulated once: with the exponent written in base 2^10, e = Σ d_i·2^(10i), g^e is the
# product of T[i][d_i] = g^(d_i·2^(10i)): 25 modular multiplications and no squaring, instead of GMP's ~256
# squarings and ~50 multiplications. Measured with gmpy2 on one core (AMD EPYC): 76 µs against powmod's
# 540 µs; windows of 8 bits took 89 µs (3 MiB of tables), of 11 bits 74 µs (19 MiB).
# The tables hold 26 × 1,023 numbers of 384 bytes (10 MiB), built on first use (about 80 ms).
# Like GMP's mpz_powm, which this replaces, the time and the table reads depend on the exponent's digits:
# neither is a constant-time implementation.

_WINDOW_BITS = 10
_DIGIT = (1 << _WINDOW_BITS) - 1
_FIXED_EXPONENT_BITS = 256


@cache
def _g_tables() -> tuple[tuple[mpz, ...], ...]:
    tables, base = [], _G
    for _ in range(-(-_FIXED_EXPONENT_BITS // _WINDOW_BITS)):
        row = [mpz(1), base]
        for _ in range(2, 1 << _WINDOW_BITS):
            row.append(row[-1] * base % _N)
        tables.append(tuple(row))
        base = row[-1] * base % _N  # g^(2^10·2^(10i)): the next digit's unit
    return tuple(tables)


def g_pow(e: int) -> mpz:
    """``g^e mod N`` for ``0 ≤ e``; tabulated when ``e`` has at most 256 bits, GMP's powmod otherwise."""
    if e.bit_length() > _FIXED_EXPONENT_BITS:
        return powmod(_G, e, _N)
    acc = None
    for row in _g_tables():
        digit = e & _DIGIT
        if digit:
            acc = row[digit] if acc is None else acc * row[digit] % _N
        e >>= _WINDOW_BITS
    return mpz(1) if acc is None else acc


def compute_verifier(pool_id: str, username: str, password: str, salt: bytes) -> int:
    """``v = g^x mod N``: what the server stores for a password. ``username`` is the USER_ID_FOR_SRP that
    InitiateAuth will send (the user's internal username), not an alias."""
    return int(g_pow(_x(pool_id, username, password, salt)))


def new_salt() -> bytes:
    """16 random bytes, the length of Cognito's SALT (32 hex digits)."""
    return ids.random_bytes(16)


def server_public(verifier: int, b: int) -> int:
    """``B = (k·v + g^b) mod N``."""
    return int((_K * verifier + g_pow(b)) % _N)


def server_ephemeral(verifier: int) -> tuple[int, int]:
    """A fresh ``(b, B)``: ``b`` 256 random bits, ``B = (k·v + g^b) mod N`` and never ``0 mod N``."""
    while True:
        b = int.from_bytes(ids.random_bytes(32), "big")
        if b == 0:
            continue
        big_b = server_public(verifier, b)
        if big_b % N != 0:
            return b, big_b


def _u(big_a: int, big_b: int) -> int:
    return _h(_pad_bytes(big_a) + _pad_bytes(big_b))


def session_key(A: int, B: int, b: int, verifier: int) -> bytes:
    """The 16-byte key both sides derive. Raises ValueError when ``A ≤ 0``, ``A mod N = 0`` or ``u = 0``
    (RFC 5054 §2.5.4: the client's A must be refused, not used)."""
    if A <= 0 or A % N == 0:
        raise ValueError("SRP_A is zero modulo N")
    u = _u(A, B)
    if u == 0:
        raise ValueError("u is zero")
    s = powmod(mpz(A) * powmod(mpz(verifier), u, _N) % _N, b, _N)
    prk = hmac.digest(_pad_bytes(u), _pad_bytes(int(s)), "sha256")
    return hmac.digest(prk, _INFO, "sha256")[:16]


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def expected_signature(
    key: bytes, pool_id: str, user_id_for_srp: str, secret_block_b64: str, timestamp: str
) -> bytes:
    """The raw HMAC that PASSWORD_CLAIM_SIGNATURE must carry (base64 on the wire). Raises ValueError when
    SECRET_BLOCK is not base64."""
    return _signature(key, pool_name(pool_id), user_id_for_srp, secret_block_b64, timestamp)


def _signature(key: bytes, realm: str, user_id_for_srp: str, secret_block_b64: str, timestamp: str) -> bytes:
    message = (
        realm.encode()
        + user_id_for_srp.encode()
        + _b64decode(secret_block_b64)
        + timestamp.encode()
    )
    return hmac.digest(key, message, "sha256")


def check_signature(
    key: bytes,
    pool_id: str,
    user_id_for_srp: str,
    secret_block_b64: str,
    timestamp: str,
    signature_b64: str,
) -> bool:
    """Whether PASSWORD_CLAIM_SIGNATURE is right, in constant time; False on any malformed input."""
    try:
        expected = expected_signature(key, pool_id, user_id_for_srp, secret_block_b64, timestamp)
        given = _b64decode(signature_b64)
    except (ValueError, TypeError, IndexError):  # bad base64 or text; IndexError: a pool id without '_'
        return False
    return hmac.compare_digest(expected, given)


def check_device_signature(
    key: bytes, group_key: str, device_key: str, secret_block_b64: str, timestamp: str, signature_b64: str
) -> bool:
    """DEVICE_PASSWORD_VERIFIER's PASSWORD_CLAIM_SIGNATURE: the same HMAC with the DeviceGroupKey where the
    pool's name goes and the DeviceKey as the user [C: ACIJ CognitoUser.getDeviceResponse]."""
    try:
        expected = _signature(key, group_key, device_key, secret_block_b64, timestamp)
        given = _b64decode(signature_b64)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(expected, given)


# --- TIMESTAMP ----------------------------------------------------------------------------------------------

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # datetime.weekday() order
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TIMESTAMP = re.compile(
    rf"({'|'.join(_DAYS)}) ({'|'.join(_MONTHS)}) (\d{{1,2}}) (\d{{1,2}}):(\d{{2}}):(\d{{2}}) UTC (\d{{4}})",
    re.ASCII,  # \d is 0-9 only, not every script's digits
)


def format_timestamp(moment: datetime) -> str:
    """``Tue Jan 7 08:00:05 UTC 2026``: what DateHelper.getNowString() sends (UTC, English names, day of
    month not zero-padded). ``moment`` must be timezone-aware."""
    if moment.tzinfo is None:
        raise ValueError("format_timestamp needs a timezone-aware datetime")
    t = moment.astimezone(UTC)
    return (
        f"{_DAYS[t.weekday()]} {_MONTHS[t.month - 1]} {t.day} "
        f"{t.hour:02d}:{t.minute:02d}:{t.second:02d} UTC {t.year}"
    )


def parse_timestamp(text: str) -> datetime | None:
    """Reads TIMESTAMP the way Cognito's ``EEE MMM d HH:mm:ss z yyyy`` parser does: a zero-padded day and a
    wrong weekday still parse. None when it does not parse (Cognito: InvalidParameterException).

    Sign-in must check the signature over ``format_timestamp(parse_timestamp(text))``, not over ``text``:
    that is how ``Sep 05`` or a wrong weekday end in NotAuthorizedException, as on AWS."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    _, month, day, hour, minute, second, year = match.groups()
    try:
        return datetime(
            int(year), _MONTHS.index(month) + 1, int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
    except ValueError:
        return None


# --- SECRET_BLOCK -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SrpState:
    """What the server needs at RespondToAuthChallenge. ``username`` is USER_ID_FOR_SRP."""

    pool_id: str
    client_id: str
    username: str
    A: int
    b: int
    B: int
    issued_at: datetime


_STATE_VERSION = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _put(parts: list[bytes], value: bytes) -> None:
    parts.append(struct.pack(">H", len(value)) + value)


def seal_state(state: SrpState, cipher: DataKeyCipher) -> str:
    """SECRET_BLOCK: the state encrypted and authenticated under the data key, as standard base64."""
    micros = (state.issued_at - _EPOCH) // timedelta(microseconds=1)
    parts = [struct.pack(">Bq", _STATE_VERSION, micros)]
    for text in (state.pool_id, state.client_id, state.username):
        _put(parts, text.encode())
    for number in (state.A, state.b, state.B):
        _put(parts, number.to_bytes((number.bit_length() + 7) // 8, "big"))
    sealed = cipher.encrypt(b"".join(parts), context=SECRET_BLOCK_CONTEXT)
    return base64.b64encode(sealed).decode("ascii")


def _unpack(plain: bytes) -> SrpState:
    version, micros = struct.unpack_from(">Bq", plain)
    if version != _STATE_VERSION:
        raise ValueError("unknown secret block version")
    offset, fields = 9, []
    for _ in range(6):
        (length,) = struct.unpack_from(">H", plain, offset)
        offset += 2
        if offset + length > len(plain):
            raise ValueError("truncated secret block")
        fields.append(plain[offset : offset + length])
        offset += length
    if offset != len(plain):
        raise ValueError("trailing bytes in secret block")
    pool_id, client_id, username = (f.decode() for f in fields[:3])
    big_a, b, big_b = (int.from_bytes(f, "big") for f in fields[3:])
    return SrpState(pool_id, client_id, username, big_a, b, big_b, _EPOCH + timedelta(microseconds=micros))


def open_state(
    secret_block_b64: str, cipher: DataKeyCipher, *, now: datetime, max_age: timedelta
) -> SrpState | None:
    """The state inside SECRET_BLOCK, or None when it is malformed, tampered with, sealed under another key
    or context, or issued more than ``max_age`` before (or after, for a node whose clock runs ahead) ``now``.
    Never raises."""
    try:
        state = _unpack(cipher.decrypt(_b64decode(secret_block_b64), context=SECRET_BLOCK_CONTEXT))
        if abs(now - state.issued_at) > max_age:
            return None
    except (ValueError, TypeError, AttributeError, OverflowError, struct.error):
        # base64, AEAD, UTF-8 and layout errors are ValueErrors; a non-str block, a naive ``now`` or an
        # out-of-range time end here too: whatever a client sends ends in "no", never in a 500
        return None
    return state

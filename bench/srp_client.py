"""The client half of Cognito's SRP-6a (``USER_SRP_AUTH`` → ``PASSWORD_VERIFIER``), written from the maths
that amazon-cognito-identity-js (``AuthenticationHelper.js``, ``CognitoUser.js``, ``DateHelper.js``) and
pycognito (``aws_srp.py``) implement; see /work/shared/cognito/auth.md §2. Independent of the server's own
``userpools.crypto.srp`` on purpose: a load generator that shared the server's code would agree with any
mistake in it.

- N: RFC 3526's 3072-bit MODP prime, g = 2, H = SHA-256 over the *bytes* of padHex strings;
- padHex(i): lowercase hex made even-length, ``00`` in front when the first nibble is ≥ 8;
- k = H(padHex(N) ‖ padHex(g)); A = g^a; u = H(padHex(A) ‖ padHex(B));
- x = H(padHex(salt) ‖ H(poolName ‖ USER_ID_FOR_SRP ‖ ":" ‖ password)), poolName = pool id after ``_``;
- S = (B − k·g^x)^(a + u·x) mod N;
- K = HMAC(HMAC(padHex(u), padHex(S)), "Caldera Derived Key" ‖ 0x01)[:16] (one-block HKDF-SHA256);
- PASSWORD_CLAIM_SIGNATURE = base64(HMAC-SHA256(K, poolName ‖ USER_ID_FOR_SRP ‖ b64decode(SECRET_BLOCK) ‖
  TIMESTAMP)), TIMESTAMP like ``Tue Jan 7 08:00:05 UTC 2026`` (day of month not zero-padded).

Cost per sign-in (gmpy2): g^a, g^x and one exponentiation by a + u·x. The real clients draw ``a`` from 128
random bytes; a load generator shares the machine with the server it measures, so ``a_bytes`` defaults to
32 (256 bits, the strength of the 3072-bit group) and g^x is cached per (pool, user, salt, password). Neither
choice changes anything the server computes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gmpy2 import mpz, powmod

N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = mpz(N_HEX, 16)
G = mpz(2)
_INFO = b"Caldera Derived Key\x01"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def pad_hex(n: int | mpz) -> str:
    """padHex: even-length lowercase hex, with ``00`` in front when the high bit would read as a sign."""
    text = format(int(n), "x")
    if len(text) % 2:
        text = "0" + text
    return "00" + text if text[0] in "89abcdef" else text


def _pad_bytes(n: int | mpz) -> bytes:
    return bytes.fromhex(pad_hex(n))


def _h(data: bytes) -> mpz:
    return mpz(hashlib.sha256(data).hexdigest(), 16)


K = _h(_pad_bytes(N) + _pad_bytes(G))
"""k = H(padHex(N) ‖ padHex(g)) = 0x538282c4…b66d9ee6."""


def pool_name(pool_id: str) -> str:
    return pool_id.split("_", 1)[1]


def timestamp(moment: datetime | None = None) -> str:
    """TIMESTAMP as DateHelper.getNowString() writes it: ``Tue Jan 7 08:00:05 UTC 2026``."""
    t = (moment or datetime.now(UTC)).astimezone(UTC)
    return f"{_DAYS[t.weekday()]} {_MONTHS[t.month - 1]} {t.day} {t:%H:%M:%S} UTC {t.year}"


def compute_x(pool_id: str, user_id_for_srp: str, password: str, salt_hex: str) -> mpz:
    """x = H(padHex(salt) ‖ H(poolName ‖ user ‖ ":" ‖ password)); SALT is read as a hex integer (ACIJ)."""
    inner = hashlib.sha256(f"{pool_name(pool_id)}{user_id_for_srp}:{password}".encode()).digest()
    return _h(_pad_bytes(int(salt_hex, 16)) + inner)


def verifier(pool_id: str, user_id_for_srp: str, password: str, salt_hex: str) -> mpz:
    """v = g^x mod N, what a server stores (used only to check this module)."""
    return powmod(G, compute_x(pool_id, user_id_for_srp, password, salt_hex), N)


@dataclass
class Ephemeral:
    """The client's secret ``a`` and public ``A = g^a`` for one sign-in."""

    a: mpz
    A: mpz

    @property
    def srp_a(self) -> str:
        """SRP_A as ACIJ sends it: ``A.toString(16)``, no padding."""
        return format(int(self.A), "x")


@dataclass
class SrpClient:
    """Answers PASSWORD_VERIFIER challenges for users of one pool."""

    pool_id: str
    a_bytes: int = 32
    _gx_cache: dict[tuple[str, str, str], tuple[mpz, mpz]] = field(default_factory=dict, repr=False)

    def ephemeral(self, a: int | None = None) -> Ephemeral:
        """A fresh (a, A); A mod N is never 0 for 0 < a < N − 1, but check as the clients do."""
        while True:
            small_a = (
                mpz(a) if a is not None else mpz(int.from_bytes(secrets.token_bytes(self.a_bytes), "big"))
            )
            big_a = powmod(G, small_a, N)
            if big_a != 0:
                return Ephemeral(small_a, big_a)
            if a is not None:
                raise ValueError("A is zero modulo N")

    def _x_and_gx(self, user: str, password: str, salt_hex: str) -> tuple[mpz, mpz]:
        key = (user, password, salt_hex)
        cached = self._gx_cache.get(key)
        if cached is None:
            x = compute_x(self.pool_id, user, password, salt_hex)
            cached = self._gx_cache[key] = (x, powmod(G, x, N))
        return cached

    def session_key(self, eph: Ephemeral, user: str, password: str, salt_hex: str, srp_b: str) -> bytes:
        """K, the 16-byte key the password claim is signed with. Raises ValueError when B mod N = 0 or
        u = 0, as the clients do."""
        big_b = mpz(srp_b, 16)
        if big_b % N == 0:
            raise ValueError("SRP_B is zero modulo N")
        u = _h(_pad_bytes(eph.A) + _pad_bytes(big_b))
        if u == 0:
            raise ValueError("u is zero")
        x, gx = self._x_and_gx(user, password, salt_hex)
        s = powmod((big_b - K * gx) % N, eph.a + u * x, N)
        prk = hmac.new(_pad_bytes(u), _pad_bytes(s), hashlib.sha256).digest()
        return hmac.new(prk, _INFO, hashlib.sha256).digest()[:16]

    def respond(
        self, eph: Ephemeral, challenge: dict[str, str], password: str, now: datetime | None = None
    ) -> dict[str, str]:
        """ChallengeResponses for PASSWORD_VERIFIER from its ChallengeParameters (SALT, SRP_B,
        SECRET_BLOCK, USER_ID_FOR_SRP)."""
        user = challenge["USER_ID_FOR_SRP"]
        key = self.session_key(eph, user, password, challenge["SALT"], challenge["SRP_B"])
        secret_block = challenge["SECRET_BLOCK"]
        ts = timestamp(now)
        message = (
            pool_name(self.pool_id).encode() + user.encode() + base64.b64decode(secret_block) + ts.encode()
        )
        signature = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")
        return {
            "USERNAME": user,
            "PASSWORD_CLAIM_SECRET_BLOCK": secret_block,
            "TIMESTAMP": ts,
            "PASSWORD_CLAIM_SIGNATURE": signature,
        }

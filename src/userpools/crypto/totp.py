"""TOTP (RFC 6238) for software-token MFA, on pyotp: SHA-1, 6 digits, 30-second steps, one step of skew
either way [C: DG23 mfa-totp; O: amplify-js#3873], and a step once used refused (the caller keeps the last
used step). The secret is base32, as Cognito's SecretCode (Amplify builds its otpauth:// URI from it
verbatim), 32 random bytes (52 characters: the reported length [U]); at rest it is encrypted under the data
key."""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from datetime import datetime

import pyotp

from userpools.crypto.datakey import DataKeyCipher

STEP_SECONDS = 30
SKEW_STEPS = 1
_CONTEXT = b"software-token"


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(32)).decode().rstrip("=")


def seal(secret: str, cipher: DataKeyCipher, *, owner: str) -> str:
    """The secret encrypted under the data key, bound to its owner (pool and user), as text for a document."""
    return base64.b64encode(cipher.encrypt(secret.encode(), context=_CONTEXT + owner.encode())).decode()


def unseal(sealed: str, cipher: DataKeyCipher, *, owner: str) -> str:
    return cipher.decrypt(base64.b64decode(sealed), context=_CONTEXT + owner.encode()).decode()


class _DecodedOnce(pyotp.TOTP):
    """pyotp's TOTP with the secret's base32 decoded once, not again for each of the three steps compared, and
    by C code where it can be (pyotp's base64.b32decode is a Python loop: a twentieth of a TOTP sign-in's
    interpreted work); pyotp computes the codes."""

    _decoded: bytes | None = None

    def __init__(self, secret: str) -> None:
        super().__init__(secret, digits=6, interval=STEP_SECONDS)

    def byte_secret(self) -> bytes:
        if self._decoded is None:
            decoded = _b32decode(self.secret)
            if decoded is None or len(decoded) * 8 < self.min_secret_length_bits:
                decoded = super().byte_secret()  # pyotp's own decoding, and its errors
            self._decoded = decoded
        return self._decoded

    @staticmethod
    def int_to_bytestring(i: int, *, padding: int = 8) -> bytes:
        """pyotp's (the counter as 8 big-endian bytes, RFC 4226), in one call."""
        return i.to_bytes(padding, "big")


_BASE32 = re.compile("[A-Z2-7]+")
_BASE32_AS_DIGITS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghijklmnopqrstuv")
#: base32 text lengths, modulo 8, that pad to a whole quantum (what b32decode accepts)
_WHOLE_QUANTUM = frozenset({0, 2, 4, 5, 7})


def _b32decode(secret: str) -> bytes | None:
    """``base64.b32decode`` of the secret padded as pyotp pads it (case folded), as one ``int(…, 32)``: the
    RFC 4648 alphabet mapped onto int's base-32 digits, the bits past the last whole byte dropped as
    b32decode drops them. None for text it does not take as it is (pyotp then decodes, and refuses)."""
    text = secret.upper()
    if len(text) % 8 not in _WHOLE_QUANTUM or _BASE32.fullmatch(text) is None:
        return None
    bits = len(text) * 5
    size = bits // 8
    return (int(text.translate(_BASE32_AS_DIGITS), 32) >> (bits - size * 8)).to_bytes(size, "big")


#: the steps tried, as offsets from the current one: the current first, as an authenticator app sends its code
#: (a code of the step before or after is the clock skew or the step that ended on the way)
_OFFSETS = (0, *(-k for k in range(1, SKEW_STEPS + 1)), *range(1, SKEW_STEPS + 1))


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (±1 around now) whose code is ``code``, compared in constant time; None when none is.

    The current step is tried first and the others only when it does not match: a sign-in with the current
    code computes one HMAC instead of three. What the early answer tells by its timing is which step matched,
    which the caller records anyway; the code is still compared in constant time. (Two steps whose codes are
    equal, a one in a million chance, answer the current step.)"""
    totp = _DecodedOnce(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for offset in _OFFSETS:
        if hmac.compare_digest(totp.generate_otp(current + offset), code):
            return current + offset
    return None


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://totp/<issuer>:<account>?secret=…&issuer=<issuer>`` URI an authenticator app scans, as
    Amplify builds it from SecretCode [C: AMP6 getTOTPSetupDetails]; pyotp writes it (the label and issuer
    percent-encoded, SHA-1 / 6 digits / 30 s left to the apps' defaults)."""
    return pyotp.TOTP(secret, digits=6, interval=STEP_SECONDS).provisioning_uri(name=account, issuer_name=issuer)

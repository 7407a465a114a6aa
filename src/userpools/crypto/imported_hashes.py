"""Password hashes brought in by a user import job (CreateUserImportJob's PasswordHashingAlgorithm).

Each is checked once, at the user's first password sign-in, by a well-kept library (bcrypt, argon2-cffi,
hashlib's scrypt and PBKDF2); the operations then replace it by the SRP verifier (``crypto.passwords``) and
forget it. Until then it is kept encrypted under the data key, its associated data naming pool and user.

Cognito documents the algorithms but not the CSV column or the hash format [U]: the column is
``cognito:password_hash`` and the values are the usual self-describing strings:

- BCRYPT: modular crypt, ``$2a$``/``$2b$``/``$2y$`` + cost + 53 characters (what bcrypt libraries write);
- ARGON2ID: PHC, ``$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>`` (argon2-cffi, libsodium, the reference);
- SCRYPT: ``$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>`` (passlib's form; base64, padding optional);
- PBKDF2_SHA256: ``$pbkdf2-sha256$<iterations>$<salt>$<hash>`` (passlib's form, ``.`` for ``+``) or the PHC
  ``$pbkdf2-sha256$i=<iterations>,l=<length>$<salt>$<hash>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from userpools.crypto.datakey import DataKeyCipher

ALGORITHMS = ("BCRYPT", "SCRYPT", "ARGON2ID", "PBKDF2_SHA256")

_BCRYPT = re.compile(r"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}")
_ARGON2ID = re.compile(
    r"\$argon2id\$v=19\$m=\d{1,7},t=\d{1,4},p=\d{1,3}\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}"
)
_SCRYPT = re.compile(
    r"\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/.]+=*)\$([A-Za-z0-9+/.]+=*)"
)
_PBKDF2 = re.compile(
    r"\$pbkdf2-sha256\$(?:i=)?(\d{1,8})(?:,l=\d{1,3})?\$([A-Za-z0-9+/.]+=*)\$([A-Za-z0-9+/.]+=*)"
)
_ARGON2 = PasswordHasher()
#: Bounds on the work a stored hash may ask for (a hostile CSV must not make sign-in take minutes).
_MAX_SCRYPT_LN = 20
_MAX_PBKDF2_ITERATIONS = 10_000_000


def _b64(text: str) -> bytes:
    text = text.replace(".", "+")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def well_formed(algorithm: str, value: str) -> bool:
    """Whether ``value`` is a hash of ``algorithm`` in the form above (checked at import, so a bad line
    fails then, not at the user's sign-in)."""
    try:
        if algorithm == "BCRYPT":
            return _BCRYPT.fullmatch(value) is not None
        if algorithm == "ARGON2ID":
            return _ARGON2ID.fullmatch(value) is not None
        if algorithm == "SCRYPT":
            match = _SCRYPT.fullmatch(value)
            return bool(match and 1 <= int(match[1]) <= _MAX_SCRYPT_LN and _b64(match[4]) and _b64(match[5]))
        if algorithm == "PBKDF2_SHA256":
            match = _PBKDF2.fullmatch(value)
            return bool(
                match and 1 <= int(match[1]) <= _MAX_PBKDF2_ITERATIONS and _b64(match[2]) and _b64(match[3])
            )
    except (binascii.Error, ValueError):
        return False
    return False


def verify(algorithm: str, value: str, password: str) -> bool:
    """Whether ``password`` is the one ``value`` was made from (constant-time comparisons inside)."""
    secret = password.encode()
    if algorithm == "BCRYPT":
        stored = value.encode()
        if stored.startswith(b"$2y$"):  # PHP's name for the same algorithm
            stored = b"$2b$" + stored[4:]
        return bcrypt.checkpw(secret, stored)
    if algorithm == "ARGON2ID":
        try:
            return _ARGON2.verify(value, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    if algorithm == "SCRYPT":
        match = _SCRYPT.fullmatch(value)
        if match is None:
            return False
        n, r, p = 2 ** int(match[1]), int(match[2]), int(match[3])
        expected = _b64(match[5])
        got = hashlib.scrypt(
            secret, salt=_b64(match[4]), n=n, r=r, p=p, dklen=len(expected), maxmem=256 * 1024 * 1024
        )
        return hmac.compare_digest(got, expected)
    if algorithm == "PBKDF2_SHA256":
        match = _PBKDF2.fullmatch(value)
        if match is None:
            return False
        expected = _b64(match[3])
        got = hashlib.pbkdf2_hmac("sha256", secret, _b64(match[2]), int(match[1]), dklen=len(expected))
        return hmac.compare_digest(got, expected)
    return False


def _context(pool_id: str, username: str) -> bytes:
    pool = pool_id.encode()
    return b"imported-password-hash:" + len(pool).to_bytes(2, "big") + pool + username.encode()


def seal(algorithm: str, value: str, pool_id: str, username: str, cipher: DataKeyCipher) -> str:
    """The hash encrypted for this pool and user, as text (it is kept in the user's ``extra`` document)."""
    plain = f"{algorithm}\n{value}".encode()
    return base64.b64encode(cipher.encrypt(plain, context=_context(pool_id, username))).decode("ascii")


def unseal(sealed: str, pool_id: str, username: str, cipher: DataKeyCipher) -> tuple[str, str]:
    """(algorithm, hash). Raises DataKeyError when the value is not this user's."""
    plain = cipher.decrypt(base64.b64decode(sealed), context=_context(pool_id, username)).decode()
    algorithm, _, value = plain.partition("\n")
    return algorithm, value

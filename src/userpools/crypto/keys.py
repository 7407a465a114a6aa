"""Per-pool RSA signing keys and the JWKS document that publishes them.

Cognito signs ID and access tokens with different keys (different ``kid``), so every pool gets one key per
purpose at creation. Keys live in the store, their private halves encrypted under the data key, so every
server process signs with the same keys and they survive restarts. Retired keys stay in JWKS so tokens
they signed still verify.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from userpools.crypto.datakey import DataKeyCipher
from userpools.domain.records import SigningKeyRecord

PURPOSES = ("id", "access")


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def private_key_context(kid: str) -> bytes:
    return f"signing-key:{kid}".encode()


@functools.cache
def shared_private_key(purpose: str) -> rsa.RSAPrivateKey:
    """Development (``serve --shared-signing-key``): one RSA-2048 key per purpose for the whole process, made
    on first use, that every new pool signs with, so a pool is made in milliseconds instead of the tenths of
    a second two new keys take (what a test suite making a pool per test wants; moto uses one fixed key)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def new_signing_key(pool_id: str, purpose: str, cipher: DataKeyCipher, now: datetime, *,
                    shared: bool = False) -> SigningKeyRecord:
    """A fresh RSA-2048 key (``shared``: the process's ``shared_private_key``). The kid is the base64 (with
    padding, as Cognito's kids are) of the SHA-256 of the public key, so it is unique and stable; a shared
    key's kid also hashes the pool id, so that each pool's kid is its own."""
    private = shared_private_key(purpose) if shared else rsa.generate_private_key(public_exponent=65537,
                                                                                  key_size=2048)
    public_numbers = private.public_key().public_numbers()
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    kid = base64.b64encode(hashlib.sha256(der + (pool_id.encode() if shared else b"")).digest()).decode("ascii")
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    jwk = {
        "alg": "RS256",
        "e": _b64url_uint(public_numbers.e),
        "kid": kid,
        "kty": "RSA",
        "n": _b64url_uint(public_numbers.n),
        "use": "sig",
    }
    return SigningKeyRecord(
        kid=kid,
        pool_id=pool_id,
        purpose=purpose,
        private_key_ciphertext=cipher.encrypt(pem, context=private_key_context(kid)),
        public_jwk=jwk,
        created_at=now,
    )


def jwks_document(keys: Iterable[SigningKeyRecord]) -> dict[str, Any]:
    return {"keys": [key.public_jwk for key in keys]}

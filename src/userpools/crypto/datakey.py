"""The deployment's data key: AES-256-GCM over everything that must never be readable from a copy of the
database (private signing keys, client secrets, later SRP verifiers and refresh-token secrets).

Each ciphertext is ``version(1) ‖ nonce(12) ‖ AES-GCM(ciphertext ‖ tag)``, with associated data naming what
the value is (``b"signing-key:<kid>"``), so a ciphertext copied into another row does not decrypt.

The key comes from ``USERPOOLS_DATA_KEY`` (32 bytes, base64) or, in development, from a key file that is
generated once under the data directory with mode 0600.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from userpools import ids

_VERSION = b"\x01"


class DataKeyError(ValueError):
    """The data key is missing, malformed, or does not open a ciphertext."""


class DataKeyCipher:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise DataKeyError("the data key must be 32 bytes (base64 of 32 random bytes)")
        self._aead = AESGCM(key)
        self._key = key

    def derive(self, label: str) -> bytes:
        """A 32-byte subkey for one purpose (HKDF-SHA256), e.g. the key of the one-time-code hashes."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"userpools:{label}".encode()).derive(
            self._key
        )

    @classmethod
    def from_text(cls, text: str) -> DataKeyCipher:
        try:
            key = base64.b64decode(text.strip(), altchars=b"-_" if ("-" in text or "_" in text) else None,
                                   validate=True)
        except (binascii.Error, ValueError):
            raise DataKeyError("the data key is not valid base64") from None
        return cls(key)

    @classmethod
    def from_file(cls, path: Path) -> DataKeyCipher:
        """Loads the key file, creating it (0600) with a fresh random key if it does not exist."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            text = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(text + "\n")
        return cls.from_text(path.read_text())

    def encrypt(self, plaintext: bytes, *, context: bytes) -> bytes:
        nonce = ids.random_bytes(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, context)

    def decrypt(self, ciphertext: bytes, *, context: bytes) -> bytes:
        if len(ciphertext) < 29 or ciphertext[:1] != _VERSION:
            raise DataKeyError("not a userpools ciphertext")
        try:
            return self._aead.decrypt(ciphertext[1:13], ciphertext[13:], context)
        except Exception:  # noqa: BLE001 - cryptography raises InvalidTag; never say more than "does not open"
            raise DataKeyError("the data key does not open this value (wrong key or tampered data)") from None

"""The code a custom sender receives, encrypted so that only the operator's function can read it.

Cognito gives CustomEmailSender and CustomSMSSender the verification code (or temporary password)
encrypted with the pool's KMS key (LambdaConfig.KMSKeyID) through the AWS Encryption SDK, so the code never
appears in logs on its way; the function decrypts it with KMS. A self-hosted server has no KMS, so userpools
encrypts the code under a symmetric key the operator configures and shares with the function::

    # userpools.toml
    [custom_senders]
    key = "<base64 of 32 random bytes>"      # openssl rand -base64 32
    [custom_senders.keys]                    # optional: a key per pool, chosen by its LambdaConfig.KMSKeyID
    "arn:aws:kms:us-east-1:123456789012:key/…" = "<base64 of 32 random bytes>"

``request.code`` is then ``base64( 0x01 ‖ nonce (12 bytes) ‖ AES-256-GCM ciphertext of the UTF-8 code ‖
tag (16 bytes) )``, standard base64 with padding, no associated data; a new random nonce for every message.
The leading byte is the format's version. A function decrypts it in a few lines.

Python (``cryptography``; or ``from userpools.triggers.sender_codes import decrypt_code``)::

    import base64, os
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    def decrypt_code(ciphertext: str) -> str:
        raw = base64.b64decode(ciphertext)
        if raw[0] != 1:
            raise ValueError("unknown format")
        key = base64.b64decode(os.environ["USERPOOLS_SENDER_KEY"])
        return AESGCM(key).decrypt(raw[1:13], raw[13:], None).decode()

Node.js (no dependencies)::

    const crypto = require("crypto");
    function decryptCode(ciphertext) {
      const raw = Buffer.from(ciphertext, "base64");
      if (raw[0] !== 1) throw new Error("unknown format");
      const key = Buffer.from(process.env.USERPOOLS_SENDER_KEY, "base64");
      const decipher = crypto.createDecipheriv("aes-256-gcm", key, raw.subarray(1, 13));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const text = decipher.update(raw.subarray(13, raw.length - 16));
      return Buffer.concat([text, decipher.final()]).toString("utf8");
    }

Functions written for Cognito call the Encryption SDK's KMS keyring instead: that one call is what an
operator changes to move such a function here (this format is not the Encryption SDK's message format).
"""

from __future__ import annotations

import base64
import binascii
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
_NONCE = 12
_TAG = 16


class SenderCodeError(ValueError):
    """The ciphertext is malformed, of an unknown format, or does not open under this key."""


class SenderCodeCipher:
    """Encrypts (and, for tests and Python functions, decrypts) custom senders' codes under one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("a custom sender key is 32 bytes")
        self._aead = AESGCM(key)

    def encrypt(self, code: str) -> str:
        nonce = secrets.token_bytes(_NONCE)
        raw = bytes([VERSION]) + nonce + self._aead.encrypt(nonce, code.encode("utf-8"), None)
        return base64.b64encode(raw).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            raw = base64.b64decode(ciphertext, validate=True)
        except (binascii.Error, ValueError):
            raise SenderCodeError("not base64") from None
        if len(raw) < 1 + _NONCE + _TAG or raw[0] != VERSION:
            raise SenderCodeError("not a userpools custom sender code")
        try:
            return self._aead.decrypt(raw[1 : 1 + _NONCE], raw[1 + _NONCE :], None).decode("utf-8")
        except InvalidTag:
            raise SenderCodeError("the key does not open this code (wrong key or tampered data)") from None


def decrypt_code(ciphertext: str, key: str | bytes) -> str:
    """For a Python custom sender: the code in ``event["request"]["code"]``, with the key as configured
    (base64 text) or as bytes."""
    raw_key = base64.b64decode(key) if isinstance(key, str) else key
    return SenderCodeCipher(raw_key).decrypt(ciphertext)

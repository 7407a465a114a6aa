"""One-time codes: 6 digits from the CSPRNG, kept only as keyed hashes, compared in constant time.

The hash binds the code to its pool, user and purpose, under a key derived from the data key, so a copy of
the database neither reveals codes nor lets one be tried offline.
"""

from __future__ import annotations

import hmac

from userpools import ids
from userpools.crypto.datakey import DataKeyCipher


def new_code(digits: int = 6) -> str:
    return f"{ids.randbelow(10**digits):0{digits}d}"  # the read-ahead CSPRNG: no system call per code


class CodeHasher:
    def __init__(self, cipher: DataKeyCipher) -> None:
        self._key = cipher.derive("one-time-codes")

    def hash(self, pool_id: str, username_key: str, purpose: str, code: str) -> bytes:
        message = f"{pool_id}\x1f{username_key}\x1f{purpose}\x1f{code}".encode()
        return hmac.digest(self._key, message, "sha256")

    def matches(self, stored: bytes, pool_id: str, username_key: str, purpose: str, code: str) -> bool:
        return hmac.compare_digest(stored, self.hash(pool_id, username_key, purpose, code))

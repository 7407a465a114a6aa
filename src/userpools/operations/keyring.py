"""Each pool's signing keys, kept in memory by the process (``Context.keyring``; app.py builds it)."""

from __future__ import annotations

from userpools.crypto.datakey import DataKeyCipher
from userpools.crypto.jwt import SigningKeys
from userpools.storage.ports import Transaction


class KeyRing:
    """Each pool's signing keys, loaded from the store once per process. A pool's keys never change
    (rotation will add keys, and will clear the entry), and pool ids are never reused."""

    def __init__(self, cipher: DataKeyCipher) -> None:
        self._cipher = cipher
        self._keys: dict[str, SigningKeys] = {}

    async def for_pool(self, tx: Transaction, pool_id: str) -> SigningKeys | None:
        keys = self._keys.get(pool_id)
        if keys is None:
            records = list(await tx.signing_keys.list(pool_id))
            if not records:
                return None
            keys = SigningKeys(records, self._cipher)
            self._keys[pool_id] = keys
        return keys

    def forget(self, pool_id: str) -> None:
        self._keys.pop(pool_id, None)

"""What every operation handler receives besides its input: the store, the clock, the settings and the
data-key cipher. Built once by app.py."""

from __future__ import annotations

from dataclasses import dataclass

from userpools.clock import Clock
from userpools.config import Settings
from userpools.crypto.datakey import DataKeyCipher
from userpools.storage.ports import Store


@dataclass(frozen=True)
class Context:
    store: Store
    clock: Clock
    settings: Settings
    cipher: DataKeyCipher

"""What every operation handler receives besides its input: the store, the clock, the settings, the
data-key cipher and the services built on it. Built once by app.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from userpools.clock import Clock
from userpools.config import Settings
from userpools.crypto.codes import CodeHasher
from userpools.crypto.datakey import DataKeyCipher
from userpools.delivery.outbox import Outbox
from userpools.storage.ports import Store


@dataclass(frozen=True)
class Context:
    store: Store
    clock: Clock
    settings: Settings
    cipher: DataKeyCipher
    outbox: Outbox = field(default=None)  # type: ignore[assignment]
    codes: CodeHasher = field(default=None)  # type: ignore[assignment]
    keyring: Any = field(default=None)

    def __post_init__(self) -> None:
        if self.outbox is None:
            object.__setattr__(
                self, "outbox", Outbox(self.cipher, self.clock, echo=self.settings.development_mode)
            )
        if self.codes is None:
            object.__setattr__(self, "codes", CodeHasher(self.cipher))
        if self.keyring is None:
            from userpools.operations.tokens import KeyRing

            object.__setattr__(self, "keyring", KeyRing())

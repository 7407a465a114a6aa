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
    pacer: Any = field(default=None)
    delivery: Any = field(default=None)
    triggers: Any = field(default=None)
    simulation_key: bytes = b""

    def __post_init__(self) -> None:
        if self.outbox is None:
            object.__setattr__(
                self, "outbox", Outbox(self.cipher, self.clock, echo=self.settings.development_mode)
            )
        if self.codes is None:
            object.__setattr__(self, "codes", CodeHasher(self.cipher))
        if self.delivery is None:
            from userpools.delivery.senders import Delivery

            object.__setattr__(self, "delivery", Delivery())
        if self.triggers is None:
            from userpools.triggers.config import TriggersConfig
            from userpools.triggers.invoker import TriggerInvoker

            object.__setattr__(self, "triggers", TriggerInvoker(TriggersConfig()))
        if self.pacer is None:
            from userpools.operations.pacing import Pacer

            object.__setattr__(self, "pacer", Pacer())
        if not self.simulation_key:
            object.__setattr__(self, "simulation_key", self.cipher.derive("simulated-answers"))
        if self.keyring is None:
            from userpools.operations.tokens import KeyRing

            object.__setattr__(self, "keyring", KeyRing())

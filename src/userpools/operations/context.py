"""What every operation handler receives besides its input: the store, the clock, the settings operations
read, the data-key cipher and the services built on it. Built once by app.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from userpools.clock import Clock
from userpools.crypto.codes import CodeHasher
from userpools.crypto.datakey import DataKeyCipher
from userpools.delivery.outbox import Outbox
from userpools.storage.ports import Store


@dataclass(frozen=True)
class OperationSettings:
    """The part of the deployment's configuration (``config.Settings``, which app.py reads it from) that
    operations act on; each member means what the Settings member of the same name means (no defaults here:
    Settings' are the only ones)."""

    region: str
    account_id: str
    public_url: str
    """The base URL clients reach this server at, without a trailing slash (Settings.effective_public_url)."""
    aws_issuer: bool
    workers: int
    recovery_attempts_per_hour: int
    recovery_requests_per_second: int


@dataclass(frozen=True)
class Context:
    store: Store
    clock: Clock
    settings: OperationSettings
    cipher: DataKeyCipher
    outbox: Outbox
    codes: CodeHasher = field(default=None)  # type: ignore[assignment]
    keyring: Any = field(default=None)
    pacer: Any = field(default=None)
    delivery: Any = field(default=None)
    triggers: Any = field(default=None)
    simulation_key: bytes = b""

    def __post_init__(self) -> None:
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

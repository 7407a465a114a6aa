"""What every operation handler receives besides its input: the store, the clock, the settings operations
read, the data-key cipher and the services built on it. Built once by app.py, which chooses and builds each
service: this module only names them, so it imports nothing of the operations that use it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from userpools.clock import Clock
from userpools.crypto.codes import CodeHasher
from userpools.crypto.datakey import DataKeyCipher
from userpools.delivery.outbox import Outbox
from userpools.delivery.senders import Delivery
from userpools.operations.keyring import KeyRing
from userpools.operations.pacing import Pacer
from userpools.storage.ports import Store
from userpools.triggers.invoker import TriggerInvoker


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
    shared_signing_key: bool


@dataclass(frozen=True)
class Context:
    store: Store
    clock: Clock
    settings: OperationSettings
    cipher: DataKeyCipher
    outbox: Outbox
    codes: CodeHasher
    keyring: KeyRing
    pacer: Pacer
    delivery: Delivery
    triggers: TriggerInvoker
    simulation_key: bytes
    """Keys the simulated answers of PreventUserExistenceErrors (``cipher.derive("simulated-answers")``)."""


#: An operation's handler, as the OPERATIONS table holds it.
Handler = Callable[[Context, dict[str, Any]], Awaitable[dict[str, Any]]]

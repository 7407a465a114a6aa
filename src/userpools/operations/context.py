"""What every operation handler receives besides its input: the store, the clock, the settings operations
read, the data-key cipher and the services built on it. Built once by app.py, which chooses and builds each
service: this module only names them, so it imports nothing of the operations that use it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from userpools.clock import Clock
from userpools.crypto.codes import CodeHasher
from userpools.crypto.datakey import DataKeyCipher
from userpools.crypto.jwt import Signer
from userpools.delivery.outbox import Outbox
from userpools.delivery.senders import Delivery
from userpools.operations.breached import BreachedPasswords
from userpools.operations.import_runner import ImportRunner
from userpools.operations.keyring import KeyRing
from userpools.operations.limits import RateLimits
from userpools.operations.pacing import Pacer
from userpools.operations.verifiers import StoredVerifiers
from userpools.storage.ports import ConfigMemo, Store
from userpools.triggers.invoker import TriggerInvoker

#: The store's memo of the configuration (``Store.config_memo``), as the web faces hold it.
Memo = ConfigMemo


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
    token_failures_per_minute: int
    login_failures_per_minute: int
    rate_limits: bool
    """Settings.effective_rate_limits (enforced around the operations by app.py: ``operations.limits``)."""
    breached_passwords: str | None
    breached_passwords_url: str | None
    log_dir: str
    """Settings.effective_log_dir."""
    cimd_allow_loopback: bool
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
    imports: ImportRunner
    """The process's runner of user import jobs (StartUserImportJob hands it the job)."""
    limits: RateLimits
    """The provisioned request rates (Get/UpdateProvisionedLimit); app.py wraps the operations in their
    enforcement when --rate-limits is on."""
    breached: BreachedPasswords = field(default_factory=BreachedPasswords)
    """Threat protection's compromised-credentials list (settings breached_passwords[_url]); none by default."""
    verifiers: StoredVerifiers = field(default_factory=StoredVerifiers)
    """The stored verifiers password sign-ins last found, for checking a password before the transaction
    (``userstate.StoredVerifiers``)."""
    signer: Signer = field(default_factory=Signer)
    """Signs the tokens a response carries beside the event loop when the server has a helper process or
    threads for it (``--signing-process``, ``--signing-threads``); by default (none) they are signed as the
    response is serialised."""


@dataclass(frozen=True)
class Caller:
    """What the web face knows of the request an operation serves: the client's address (the connection's
    peer, or what a trusted proxy's X-Forwarded-For says) and its User-Agent."""

    ip: str | None = None
    user_agent: str | None = None


#: Set by app.py for each API request before the dispatcher runs the operation (threat protection reads it).
CALLER: ContextVar[Caller] = ContextVar("userpools_caller", default=Caller())  # noqa: B039 - immutable default


#: An operation's handler, as the OPERATIONS table holds it.
Handler = Callable[[Context, dict[str, Any]], Awaitable[dict[str, Any]]]

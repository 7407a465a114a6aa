"""The store's narrow async ports, one per domain, and the records they carry.

A handler opens exactly one transaction per operation::

    async with store.transaction() as tx:
        pool = await tx.pools.get(pool_id, for_update=True)
        ...
        await tx.pools.update(pool)

Leaving the block commits; an exception rolls everything back, so a failed operation leaves no partial
state. The store never raises Cognito errors: it returns None/False for "not there" and raises
``Conflict`` for a duplicate key; the operations decide what Cognito answers.

Datetimes are timezone-aware UTC on the way in and on the way out, whatever the backend stores.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class Conflict(Exception):
    """A row with the same unique key already exists."""


@dataclass(frozen=True)
class PoolRecord:
    """A user pool.

    ``settings`` is the pool's configuration document in Cognito's own member names (Policies,
    LambdaConfig, SchemaAttributes, AutoVerifiedAttributes, …: every member of UserPoolType except Id,
    Name, Arn, the dates and the counters), exactly as DescribeUserPool will show it. It is one document
    because Cognito treats it as one (UpdateUserPool replaces it as a whole); domains that need typed
    views of a part parse that part.
    """

    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClientRecord:
    """An app client. ``id`` is unique across all pools (public operations find the pool from it).

    ``secret_ciphertext`` is the client secret encrypted under the deployment's data key (None when the
    client has no secret). ``settings`` holds every other member of UserPoolClientType in Cognito's names.
    """

    id: str
    pool_id: str
    name: str
    created_at: datetime
    updated_at: datetime
    secret_ciphertext: bytes | None = None
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SigningKeyRecord:
    """One RSA signing key of a pool. ``purpose`` is "id" or "access" (Cognito signs each token type with
    its own kid). The private key is PEM encrypted under the data key; ``public_jwk`` is what JWKS serves."""

    kid: str
    pool_id: str
    purpose: str
    private_key_ciphertext: bytes
    public_jwk: dict[str, Any]
    created_at: datetime
    active: bool = True


class PoolPort(Protocol):
    async def insert(self, pool: PoolRecord) -> None:
        """Raises Conflict if the id exists."""

    async def get(self, pool_id: str, *, for_update: bool = False) -> PoolRecord | None: ...

    async def update(self, pool: PoolRecord) -> None:
        """Replaces name, updated_at and settings of an existing pool."""

    async def delete(self, pool_id: str) -> bool:
        """Deletes the pool and everything in it (clients, keys, and later users, groups, …)."""

    async def list(self, *, limit: int, after_id: str | None = None) -> Sequence[PoolRecord]:
        """Pools ordered by id, those with id > after_id, at most ``limit``."""


class ClientPort(Protocol):
    async def insert(self, client: ClientRecord) -> None:
        """Raises Conflict if the id exists (in any pool)."""

    async def get(self, client_id: str, *, for_update: bool = False) -> ClientRecord | None: ...

    async def update(self, client: ClientRecord) -> None:
        """Replaces name, updated_at, secret_ciphertext and settings."""

    async def delete(self, client_id: str) -> bool: ...

    async def list(self, pool_id: str, *, limit: int, after_id: str | None = None) -> Sequence[ClientRecord]:
        """The pool's clients ordered by id, those with id > after_id, at most ``limit``."""


class SigningKeyPort(Protocol):
    async def insert(self, key: SigningKeyRecord) -> None: ...

    async def list(self, pool_id: str) -> Sequence[SigningKeyRecord]:
        """All keys of the pool, active and retired, oldest first."""


class Transaction(Protocol):
    pools: PoolPort
    clients: ClientPort
    signing_keys: SigningKeyPort


class Store(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    async def ping(self) -> None:
        """Raises if the database cannot be reached."""

    async def close(self) -> None: ...

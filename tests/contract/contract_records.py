"""Records and helpers the user contract tests share (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from userpools.domain.records import (
    AuthSessionRecord,
    CodeRecord,
    OutboxRecord,
    PoolRecord,
    UserFilter,
    UserRecord,
)
from userpools.storage.ports import Store

T0 = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
POOL = "us-east-1_Pool00001"
OTHER_POOL = "us-east-1_Pool00002"


def a_user(key: str, pool_id: str = POOL, **changes: Any) -> UserRecord:
    """A confirmed, enabled user with username = username_key = ``key`` and an email attribute."""
    sub = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{pool_id}/{key}"))
    user = UserRecord(pool_id, key, key, sub, "CONFIRMED", True, T0, T0, {"email": f"{key}@example.com"})
    return replace(user, **changes)


def a_code(key: str = "alice", purpose: str = "signup", **changes: Any) -> CodeRecord:
    return replace(CodeRecord(POOL, key, purpose, b"\x00hash\xff", T0, T0 + timedelta(hours=1)), **changes)


def a_session(jti: str, key: str = "alice", **changes: Any) -> AuthSessionRecord:
    session = AuthSessionRecord(jti, POOL, "client1", key, T0, T0, T0 + timedelta(days=30))
    return replace(session, **changes)


def a_message(message_id: str, username: str = "alice", **changes: Any) -> OutboxRecord:
    message = OutboxRecord(message_id, POOL, username, "a@example.com", "EMAIL", "SignUp", T0, b"\x01sealed")
    return replace(message, **changes)


async def setup(store: Store, *users: UserRecord) -> None:
    """Creates POOL and OTHER_POOL, then ``users``."""
    async with store.transaction() as tx:
        for pool_id in (POOL, OTHER_POOL):
            await tx.pools.insert(PoolRecord(pool_id, "pool", T0, T0, {}))
        for user in users:
            await tx.users.insert(user)


async def keys(store: Store, pool_id: str = POOL, *, limit: int = 1000, **kwargs: Any) -> list[str]:
    """The username_keys ``users.list`` answers."""
    async with store.transaction() as tx:
        return [u.username_key for u in await tx.users.list(pool_id, limit=limit, **kwargs)]


async def matching(store: Store, name: str, value: str, *, prefix: bool = False) -> list[str]:
    """The username_keys of POOL matching one filter."""
    return await keys(store, where=UserFilter(name, value, prefix))

"""The OAuth grants port (authorization codes, hosted-UI sessions): every test runs on SQLite and PostgreSQL
(see conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from userpools.domain.records import OAuthGrantRecord, PoolRecord
from userpools.storage.ports import Conflict, Store

T0 = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
POOL = "us-east-1_Pool00001"


def a_code(key: str = "ab" * 32, **document: Any) -> OAuthGrantRecord:
    return OAuthGrantRecord("code", key, POOL, T0, T0 + timedelta(minutes=5), None,
                            {"client_id": "c1", "scopes": ["openid"], **document})


async def with_pool(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.pools.insert(PoolRecord(POOL, "pool", T0, T0, {}))


def test_a_grant_reads_back_as_written_and_a_second_insert_conflicts(store: Store, run: Any) -> None:
    async def scenario() -> OAuthGrantRecord | None:
        await with_pool(store)
        async with store.transaction() as tx:
            await tx.oauth_grants.insert(a_code())
        with pytest.raises(Conflict):
            async with store.transaction() as tx:
                await tx.oauth_grants.insert(a_code())
        async with store.transaction(readonly=True) as tx:
            return await tx.oauth_grants.get("code", "ab" * 32)

    assert run(scenario()) == a_code()


def test_use_succeeds_once_and_keeps_the_new_document(store: Store, run: Any) -> None:
    async def scenario() -> tuple[bool, bool, OAuthGrantRecord | None]:
        await with_pool(store)
        async with store.transaction() as tx:
            await tx.oauth_grants.insert(a_code())
        async with store.transaction() as tx:
            first = await tx.oauth_grants.use("code", "ab" * 32, T0, {"origin_jti": "f1"})
        async with store.transaction() as tx:
            second = await tx.oauth_grants.use("code", "ab" * 32, T0, {"origin_jti": "f2"})
            return first, second, await tx.oauth_grants.get("code", "ab" * 32)

    first, second, grant = run(scenario())
    assert (first, second) == (True, False)
    assert grant is not None and grant.used_at == T0 and grant.document == {"origin_jti": "f1"}


def test_purge_deletes_only_expired_grants_and_deleting_the_pool_deletes_the_rest(store: Store, run: Any) -> None:
    async def scenario() -> tuple[int, bool, bool]:
        await with_pool(store)
        async with store.transaction() as tx:
            await tx.oauth_grants.insert(a_code("01" * 32))
            await tx.oauth_grants.insert(
                OAuthGrantRecord("session", "02" * 32, POOL, T0, T0 + timedelta(hours=1), None, {"u": "x"})
            )
        async with store.transaction() as tx:
            purged = await tx.oauth_grants.purge(T0 + timedelta(minutes=10))
        async with store.transaction() as tx:
            session_left = await tx.oauth_grants.get("session", "02" * 32) is not None
            await tx.pools.delete(POOL)
        async with store.transaction(readonly=True) as tx:
            return purged, session_left, await tx.oauth_grants.get("session", "02" * 32) is None

    assert run(scenario()) == (1, True, True)


def test_live_lists_a_pools_unexpired_grants_of_one_kind_oldest_first(store: Store, run: Any) -> None:
    newer = OAuthGrantRecord("session", "cd" * 32, POOL, T0 + timedelta(seconds=1), T0 + timedelta(hours=1), None,
                             {"username_key": "alice"})
    older = OAuthGrantRecord("session", "ef" * 32, POOL, T0, T0 + timedelta(hours=1), None, {"username_key": "bob"})
    expired = OAuthGrantRecord("session", "01" * 32, POOL, T0, T0 + timedelta(minutes=1), None, {})

    async def scenario() -> tuple[list[OAuthGrantRecord], list[OAuthGrantRecord]]:
        await with_pool(store)
        async with store.transaction() as tx:
            for grant in (newer, older, expired, a_code()):
                await tx.oauth_grants.insert(grant)
        async with store.transaction(readonly=True) as tx:
            return (await tx.oauth_grants.live("session", POOL, T0 + timedelta(minutes=2)),
                    await tx.oauth_grants.live("session", "us-east-1_Other0001", T0))

    assert run(scenario()) == ([older, newer], [])

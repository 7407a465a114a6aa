"""The contract of the one-time codes, auth sessions and the outbox ports: SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from contract_records import OTHER_POOL, POOL, T0, a_code, a_message, a_session, a_user, setup

from userpools.storage.ports import Conflict, Store

# --- codes -------------------------------------------------------------------------------------------


def test_a_code_reads_back_equal_and_is_one_per_user_and_purpose(store: Store, run: Any) -> None:
    async def body() -> None:
        await setup(store, a_user("alice"), a_user("bob"))
        signup, reset = a_code(), a_code(purpose="forgot_password", code_hash=b"other", attempts=2)
        async with store.transaction() as tx:
            await tx.codes.put(signup)
            await tx.codes.put(reset)
            await tx.codes.put(a_code("bob"))
        async with store.transaction() as tx:
            assert await tx.codes.get(POOL, "alice", "signup") == signup
            assert await tx.codes.get(POOL, "alice", "forgot_password", for_update=True) == reset
            assert await tx.codes.get(POOL, "alice", "verify_email") is None
            assert await tx.codes.get(POOL, "carol", "signup") is None
            assert await tx.codes.get(OTHER_POOL, "alice", "signup") is None

    run(body())


def test_putting_a_code_again_replaces_the_old_one(store: Store, run: Any) -> None:
    async def body() -> None:
        await setup(store, a_user("alice"))
        newer = a_code(
            code_hash=b"new", created_at=T0 + timedelta(minutes=1), expires_at=T0 + timedelta(days=1)
        )
        async with store.transaction() as tx:
            await tx.codes.put(a_code(attempts=4))
            await tx.codes.put(newer)
            assert await tx.codes.get(POOL, "alice", "signup") == newer  # attempts start again at 0
            code = await tx.codes.get(POOL, "alice", "signup", for_update=True)
            assert code is not None
            await tx.codes.put(replace(code, attempts=code.attempts + 1))
        async with store.transaction() as tx:
            assert await tx.codes.get(POOL, "alice", "signup") == replace(newer, attempts=1)

    run(body())


def test_delete_code_says_whether_it_existed(store: Store, run: Any) -> None:
    async def body() -> None:
        await setup(store, a_user("alice"))
        async with store.transaction() as tx:
            await tx.codes.put(a_code())
            await tx.codes.put(a_code(purpose="other"))
            assert await tx.codes.delete(POOL, "alice", "signup") is True
            assert await tx.codes.delete(POOL, "alice", "signup") is False
            assert await tx.codes.get(POOL, "alice", "signup") is None
            assert await tx.codes.get(POOL, "alice", "other") is not None

    run(body())


# --- auth sessions -----------------------------------------------------------------------------------


def test_a_session_reads_back_equal_and_a_taken_origin_jti_raises_conflict(store: Store, run: Any) -> None:
    revoked = a_session("j2", revoked_at=T0 + timedelta(seconds=1), auth_time=T0 - timedelta(hours=1))

    async def body() -> None:
        await setup(store, a_user("alice"))
        async with store.transaction() as tx:
            await tx.auth_sessions.insert(a_session("j1"))
            await tx.auth_sessions.insert(revoked)
            with pytest.raises(Conflict):
                await tx.auth_sessions.insert(a_session("j1", client_id="other"))
            assert await tx.auth_sessions.get("j1") == a_session("j1")
        async with store.transaction() as tx:
            assert await tx.auth_sessions.get("j1") == a_session("j1")
            assert await tx.auth_sessions.get("j2") == revoked
            assert await tx.auth_sessions.get("missing") is None

    run(body())


def test_revoke_marks_a_family_once(store: Store, run: Any) -> None:
    first, later = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)

    async def body() -> None:
        await setup(store, a_user("alice"))
        async with store.transaction() as tx:
            await tx.auth_sessions.insert(a_session("j1"))
            await tx.auth_sessions.insert(a_session("j2"))
        async with store.transaction() as tx:
            assert await tx.auth_sessions.revoke("j1", first) is True
            assert await tx.auth_sessions.revoke("j1", later) is False
            assert await tx.auth_sessions.revoke("missing", later) is False
        async with store.transaction() as tx:
            assert (await tx.auth_sessions.get("j1")).revoked_at == first  # type: ignore[union-attr]
            assert (await tx.auth_sessions.get("j2")).revoked_at is None  # type: ignore[union-attr]

    run(body())


def test_revoke_user_marks_every_unrevoked_family_of_that_user_only(store: Store, run: Any) -> None:
    at = T0 + timedelta(hours=1)

    async def body() -> None:
        await setup(store, a_user("alice"), a_user("bob"))
        async with store.transaction() as tx:
            for jti in ("a1", "a2", "a3"):
                await tx.auth_sessions.insert(a_session(jti))
            await tx.auth_sessions.insert(a_session("a0", revoked_at=T0))
            await tx.auth_sessions.insert(a_session("b1", "bob"))
        async with store.transaction() as tx:
            assert await tx.auth_sessions.revoke_user(POOL, "alice", at) == 3
            assert await tx.auth_sessions.revoke_user(POOL, "alice", at + timedelta(1)) == 0
            assert await tx.auth_sessions.revoke_user(OTHER_POOL, "bob", at) == 0
            assert await tx.auth_sessions.revoke_user(POOL, "nobody", at) == 0
        async with store.transaction() as tx:
            for jti in ("a1", "a2", "a3"):
                assert (await tx.auth_sessions.get(jti)).revoked_at == at  # type: ignore[union-attr]
            assert (await tx.auth_sessions.get("a0")).revoked_at == T0  # type: ignore[union-attr]
            assert (await tx.auth_sessions.get("b1")).revoked_at is None  # type: ignore[union-attr]

    run(body())


# --- outbox ------------------------------------------------------------------------------------------


def test_the_outbox_lists_newest_first_by_pool_and_username(store: Store, run: Any) -> None:
    messages = [
        a_message("m1", created_at=T0),
        a_message("m3", created_at=T0 + timedelta(microseconds=1), username="bob"),
        a_message("m2", created_at=T0 + timedelta(microseconds=1)),  # same time: the greater id first
        a_message("m4", created_at=T0 + timedelta(seconds=1), pool_id=OTHER_POOL),
        a_message("m0", created_at=T0 - timedelta(days=1), username="Alice", payload_ciphertext=b"\x00\xff"),
    ]

    async def ids(pool_id: str | None = None, username: str | None = None, limit: int = 100) -> list[str]:
        async with store.transaction() as tx:
            return [m.id for m in await tx.outbox.list(pool_id, username, limit=limit)]

    async def body() -> None:
        await setup(store)
        async with store.transaction() as tx:
            for message in messages:
                await tx.outbox.add(message)
            with pytest.raises(Conflict):
                await tx.outbox.add(a_message("m1", username="mallory"))
            listed = await tx.outbox.list()
        assert sorted(listed, key=lambda m: m.id) == sorted(messages, key=lambda m: m.id)
        assert await ids() == ["m4", "m3", "m2", "m1", "m0"]
        assert await ids(limit=2) == ["m4", "m3"]
        assert await ids(POOL) == ["m3", "m2", "m1", "m0"]
        assert await ids(POOL, "alice") == ["m2", "m1"]  # usernames as given, case kept
        assert await ids(POOL, "Alice") == ["m0"]
        assert await ids(None, "bob") == ["m3"]
        assert await ids(OTHER_POOL, "bob") == []
        assert await ids("us-east-1_missing") == []

    run(body())


def test_rotate_moves_the_generation_atomically_and_not_for_a_revoked_family(store: Store, run: Any) -> None:
    from datetime import timedelta

    async def body() -> None:
        await setup(store, a_user("alice"))
        session = a_session("fam-rot", "alice")
        async with store.transaction() as tx:
            await tx.auth_sessions.insert(session)
        async with store.transaction() as tx:
            assert (await tx.auth_sessions.get("fam-rot")).generation == 0
            assert await tx.auth_sessions.rotate("fam-rot", T0 + timedelta(seconds=1)) == 1
            assert await tx.auth_sessions.rotate("fam-rot", T0 + timedelta(seconds=2)) == 2
        async with store.transaction() as tx:
            got = await tx.auth_sessions.get("fam-rot")
            assert got.generation == 2 and got.rotated_at == T0 + timedelta(seconds=2)
            assert await tx.auth_sessions.rotate("unknown", T0) is None
            await tx.auth_sessions.revoke("fam-rot", T0)
            assert await tx.auth_sessions.rotate("fam-rot", T0) is None

    run(body())


def test_live_lists_the_users_unrevoked_unexpired_families_oldest_first_and_touch_records_a_refresh(
        store: Store, run: Any) -> None:
    later = T0 + timedelta(minutes=5)
    full = a_session("a2", created_at=later, last_ip="192.0.2.7", user_agent="Firefox/128.0", origin_sso="ab" * 32)

    async def body() -> None:
        await setup(store, a_user("alice"), a_user("bob"))
        async with store.transaction() as tx:
            await tx.auth_sessions.insert(full)
            await tx.auth_sessions.insert(a_session("a1"))
            await tx.auth_sessions.insert(a_session("a0", revoked_at=T0))
            await tx.auth_sessions.insert(a_session("ax", expires_at=T0 + timedelta(minutes=1)))
            await tx.auth_sessions.insert(a_session("b1", "bob"))
        async with store.transaction() as tx:
            assert await tx.auth_sessions.live(POOL, "alice", T0 + timedelta(minutes=2)) == [a_session("a1"), full]
            assert await tx.auth_sessions.live(OTHER_POOL, "alice", T0) == []
            await tx.auth_sessions.touch("a1", later, "2001:db8::1", None)
        async with store.transaction() as tx:
            assert await tx.auth_sessions.get("a1") == a_session("a1", last_used_at=later, last_ip="2001:db8::1")
            assert await tx.auth_sessions.get("a2") == full

    run(body())

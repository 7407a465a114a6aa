"""The contract of the users port (with aliases and cascades): every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from contract_records import OTHER_POOL, POOL, T0, a_code, a_message, a_session, a_user, keys, matching, setup

from userpools.domain.records import UserRecord
from userpools.storage.ports import Conflict, Store

# --- users -------------------------------------------------------------------------------------------


def test_inserted_user_reads_back_equal_by_key_and_by_sub(store: Store, run: Any) -> None:
    full = a_user(
        "alice",
        username="Alice",
        status="FORCE_CHANGE_PASSWORD",
        enabled=False,
        updated_at=T0 + timedelta(microseconds=1),
        attributes={
            "email": "alice@example.com",
            "email_verified": "true",
            "name": "Алиса 🔐",
            "custom:x": "",
        },
        password_ciphertext=b"\x00verifier\xff",
        password_changed_at=T0 - timedelta(days=3),
        password_history_ciphertext=b"\x00history",
        failed_attempts=3,
        locked_until=T0 + timedelta(minutes=5),
        extra={"mfa": {"preferred": "SOFTWARE_TOKEN_MFA", "enabled": ["SMS_MFA"]}, "n": 2**53 + 1},
    )
    bare = a_user("bob", attributes={})

    async def body() -> None:
        await setup(store, full, bare)
        async with store.transaction() as tx:
            for for_update in (False, True):
                assert await tx.users.get(POOL, "alice", for_update=for_update) == full
                assert await tx.users.get_by_sub(POOL, full.sub, for_update=for_update) == full
                assert await tx.users.get(POOL, "bob", for_update=for_update) == bare
            assert await tx.users.get(POOL, "carol") is None
            assert await tx.users.get(OTHER_POOL, "alice") is None
            assert await tx.users.get_by_sub(POOL, str(uuid.uuid4())) is None
            assert await tx.users.get_by_sub(OTHER_POOL, full.sub) is None

    run(body())


def test_a_taken_username_key_or_sub_raises_conflict_and_the_transaction_goes_on(
    store: Store, run: Any
) -> None:
    async def body() -> None:
        await setup(store, a_user("alice"))
        async with store.transaction() as tx:
            with pytest.raises(Conflict):
                await tx.users.insert(a_user("alice", username="ALICE", sub=str(uuid.uuid4())))
            with pytest.raises(Conflict):
                await tx.users.insert(a_user("bob", sub=a_user("alice").sub))
            await tx.users.insert(a_user("bob"))
            await tx.users.insert(a_user("alice", pool_id=OTHER_POOL, sub=a_user("alice").sub))
        assert await keys(store) == ["alice", "bob"]
        assert await matching(store, "email", "alice@example.com") == ["alice"]
        assert await keys(store, OTHER_POOL) == ["alice"]

    run(body())


def test_username_keys_differing_only_in_case_are_different_users_in_byte_order(
    store: Store, run: Any
) -> None:
    names = ["alice", "Alice", "ALICE", "aLice", "álice", "ålice", "z", "Zoë", "0", "_", "日本", "😀"]

    async def body() -> None:
        await setup(store, *(a_user(n, attributes={"email": "same@example.com"}) for n in names))
        assert await keys(store) == sorted(names)  # code point order = UTF-8 byte order
        assert await matching(store, "email", "same@example.com") == sorted(names)
        async with store.transaction() as tx:
            assert (await tx.users.get(POOL, "Alice")).username_key == "Alice"  # type: ignore[union-attr]
            assert await tx.users.get(POOL, "alicE") is None

    run(body())


def test_update_replaces_every_mutable_column_and_keeps_the_identity(store: Store, run: Any) -> None:
    original = a_user("alice", password_ciphertext=b"old", locked_until=T0, extra={"a": 1})
    changed = replace(
        original,
        status="RESET_REQUIRED",
        enabled=False,
        updated_at=T0 + timedelta(days=1),
        attributes={"email": "new@example.com", "phone_number": "+15550100"},
        password_ciphertext=None,
        password_changed_at=T0 + timedelta(days=1),
        password_history_ciphertext=b"\x00h",
        failed_attempts=7,
        locked_until=None,
        extra={},
    )

    async def body() -> None:
        await setup(store, original)
        async with store.transaction() as tx:
            # pool_id, username, username_key, sub and created_at are not the update's to change
            await tx.users.update(replace(changed, username="Mallory", sub="x", created_at=T0 + timedelta(1)))
            await tx.users.update(a_user("nobody"))  # no such user: nothing happens
        async with store.transaction() as tx:
            assert await tx.users.get(POOL, "alice") == changed
            assert await tx.users.get(POOL, "nobody") is None
        assert await matching(store, "username", "alice") == ["alice"]  # indexed from the stored identity
        assert await matching(store, "sub", original.sub) == ["alice"]
        assert await matching(store, "username", "Mallory") == await matching(store, "sub", "x") == []

    run(body())


def test_delete_user_says_whether_it_existed_and_takes_everything_of_the_user(store: Store, run: Any) -> None:
    async def body() -> None:
        await setup(store, a_user("alice"), a_user("bob"))
        async with store.transaction() as tx:
            await tx.users.set_aliases(POOL, "alice", {"email": "alice@example.com"})
            await tx.users.set_aliases(POOL, "bob", {"email": "bob@example.com"})
            await tx.codes.put(a_code("alice"))
            await tx.codes.put(a_code("bob"))
            await tx.auth_sessions.insert(a_session("j1", "alice"))
            await tx.auth_sessions.insert(a_session("j2", "bob"))
            await tx.outbox.add(a_message("m1", "alice"))
        async with store.transaction() as tx:
            assert await tx.users.delete(POOL, "alice") is True
            assert await tx.users.delete(POOL, "alice") is False
            assert await tx.users.delete(OTHER_POOL, "bob") is False
        async with store.transaction() as tx:
            assert await tx.users.get(POOL, "alice") is None
            assert await tx.users.find_alias(POOL, "email", "alice@example.com") is None
            assert await tx.codes.get(POOL, "alice", "signup") is None
            assert await tx.auth_sessions.get("j1") is None
            assert await tx.users.find_alias(POOL, "email", "bob@example.com") == "bob"
            assert await tx.codes.get(POOL, "bob", "signup") is not None
            assert await tx.auth_sessions.get("j2") is not None
            assert [m.id for m in await tx.outbox.list(POOL)] == ["m1"]  # messages outlive the user
            assert await tx.users.count(POOL) == 1
        for name in ("email", "sub", "cognito:user_status", "status", "username"):
            assert "alice" not in await matching(store, name, "", prefix=True)
        # the key is free again, and the new user starts clean
        await setup_user(store, a_user("alice", sub=str(uuid.uuid4())))
        assert await matching(store, "email", "alice@example.com") == ["alice"]

    run(body())


async def setup_user(store: Store, user: UserRecord) -> None:
    async with store.transaction() as tx:
        await tx.users.insert(user)


def test_deleting_a_pool_takes_its_users_and_all_that_is_theirs(store: Store, run: Any) -> None:
    async def body() -> None:
        await setup(store, a_user("alice"), a_user("alice", pool_id=OTHER_POOL))
        async with store.transaction() as tx:
            await tx.users.set_aliases(POOL, "alice", {"email": "alice@example.com"})
            await tx.codes.put(a_code("alice"))
            await tx.auth_sessions.insert(a_session("j1"))
            await tx.outbox.add(a_message("m1"))
            await tx.outbox.add(a_message("m2", pool_id=OTHER_POOL))
            assert await tx.pools.delete(POOL) is True
        async with store.transaction() as tx:
            assert await tx.users.get(POOL, "alice") is None
            assert await tx.users.count(POOL) == 0
            assert await tx.users.find_alias(POOL, "email", "alice@example.com") is None
            assert await tx.codes.get(POOL, "alice", "signup") is None
            assert await tx.auth_sessions.get("j1") is None
            assert [m.id for m in await tx.outbox.list()] == ["m2"]
            assert await tx.users.get(OTHER_POOL, "alice") == a_user("alice", pool_id=OTHER_POOL)
        assert await matching(store, "email", "alice@example.com") == []

    run(body())


def test_count_counts_the_pools_users(store: Store, run: Any) -> None:
    async def body() -> None:
        await setup(store, *(a_user(f"u{n}") for n in range(5)), a_user("x", pool_id=OTHER_POOL))
        async with store.transaction() as tx:
            assert await tx.users.count(POOL) == 5
            assert await tx.users.count(OTHER_POOL) == 1
            assert await tx.users.count("us-east-1_missing") == 0

    run(body())


@pytest.mark.parametrize(
    "moment",
    [None, T0, datetime(2026, 3, 29, 1, 30, 0, 1, tzinfo=timezone(timedelta(hours=5, minutes=30)))],
    ids=["none", "utc", "+05:30"],
)
def test_user_and_session_datetimes_round_trip_as_utc(
    store: Store, run: Any, moment: datetime | None
) -> None:
    user = a_user("alice", password_changed_at=moment, locked_until=moment)
    session = a_session("j1", revoked_at=moment)

    async def body() -> None:
        await setup(store, user)
        async with store.transaction() as tx:
            await tx.auth_sessions.insert(session)
            got, got_session = await tx.users.get(POOL, "alice"), await tx.auth_sessions.get("j1")
        assert got == user and got_session == session
        for value in (got.password_changed_at, got.locked_until, got_session.revoked_at):  # type: ignore[union-attr]
            assert value == moment and (value is None or value.tzinfo == UTC)

    run(body())


# --- aliases -----------------------------------------------------------------------------------------


def test_set_aliases_makes_exactly_the_given_set_the_users_aliases(store: Store, run: Any) -> None:
    async def body() -> None:
        await setup(store, a_user("alice"), a_user("bob"))
        async with store.transaction() as tx:
            assert await tx.users.find_alias(POOL, "email", "a@example.com") is None
            await tx.users.set_aliases(POOL, "alice", {"email": "a@example.com", "phone_number": "+1555"})
            await tx.users.set_aliases(POOL, "alice", {"email": "a@example.com", "phone_number": "+1555"})
            assert await tx.users.find_alias(POOL, "email", "a@example.com") == "alice"
            assert await tx.users.find_alias(POOL, "phone_number", "+1555") == "alice"
            assert await tx.users.find_alias(POOL, "email", "A@example.com") is None  # value_keys are exact
            assert await tx.users.find_alias(POOL, "preferred_username", "a@example.com") is None
            assert await tx.users.find_alias(OTHER_POOL, "email", "a@example.com") is None
            await tx.users.set_aliases(
                POOL, "alice", {"email": "new@example.com", "preferred_username": "al"}
            )
        async with store.transaction() as tx:
            assert await tx.users.find_alias(POOL, "email", "a@example.com") is None
            assert await tx.users.find_alias(POOL, "phone_number", "+1555") is None
            assert await tx.users.find_alias(POOL, "email", "new@example.com") == "alice"
            assert await tx.users.find_alias(POOL, "preferred_username", "al") == "alice"
            await tx.users.set_aliases(POOL, "bob", {"email": "a@example.com"})  # freed above
            await tx.users.set_aliases(POOL, "alice", {})
            assert await tx.users.find_alias(POOL, "email", "new@example.com") is None
            assert await tx.users.find_alias(POOL, "email", "a@example.com") == "bob"

    run(body())


def test_an_alias_of_another_user_raises_conflict_changes_nothing_and_the_transaction_goes_on(
    store: Store, run: Any
) -> None:
    async def body() -> None:
        await setup(store, a_user("alice"), a_user("bob"))
        async with store.transaction() as tx:
            await tx.users.set_aliases(POOL, "alice", {"email": "a@example.com"})
            await tx.users.set_aliases(POOL, "bob", {"phone_number": "+1555", "preferred_username": "bobby"})
        async with store.transaction() as tx:
            with pytest.raises(Conflict):
                await tx.users.set_aliases(POOL, "bob", {"email": "a@example.com", "phone_number": "+1666"})
            assert await tx.users.find_alias(POOL, "phone_number", "+1555") == "bob"
            assert await tx.users.find_alias(POOL, "preferred_username", "bobby") == "bob"
            assert await tx.users.find_alias(POOL, "phone_number", "+1666") is None
            # the caller moves it by releasing it first
            await tx.users.release_alias(POOL, "email", "a@example.com")
            await tx.users.set_aliases(POOL, "bob", {"email": "a@example.com"})
            await tx.users.release_alias(POOL, "email", "nobody@example.com")  # not there: no-op
        async with store.transaction() as tx:
            assert await tx.users.find_alias(POOL, "email", "a@example.com") == "bob"
            assert await tx.users.find_alias(POOL, "phone_number", "+1555") is None

    run(body())


def test_two_users_claiming_one_alias_at_once_one_wins_the_other_gets_conflict(
    store: Store, run: Any
) -> None:
    async def claim(key: str) -> str:
        try:
            async with store.transaction() as tx:
                await tx.users.set_aliases(POOL, key, {"email": "shared@example.com"})
                await asyncio.sleep(0.01)
            return "won"
        except Conflict:
            return "conflict"

    async def body() -> None:
        await setup(store, a_user("alice"), a_user("bob"))
        outcomes = await asyncio.gather(claim("alice"), claim("bob"))
        assert sorted(outcomes) == ["conflict", "won"]
        async with store.transaction() as tx:
            owner = await tx.users.find_alias(POOL, "email", "shared@example.com")
        assert owner == ["alice", "bob"][outcomes.index("won")]

    run(body())

"""Point-in-time recovery's change journal through the store's ports (``RecoveryPort.history`` and ``purge``)
on SQLite and PostgreSQL: a passkey's registration and deletion are journaled beside the user's rows and its
memberships', a recovery's hold refuses them with the port's ``WritesHeld``, and purging keeps each
passkey's newest row before the cutoff."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from contract_records import POOL, T0, a_user, setup
from test_webauthn_contract import a_passkey

from userpools.clock import FrozenClock
from userpools.domain.records import JournalEntry
from userpools.storage.ports import Store, WritesHeld


def _micros(clock: FrozenClock) -> int:
    return (clock.now() - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


async def hold_the_pool(store: Store, clock: FrozenClock, status: str = "PREVIEW_GENERATED") -> None:
    """A recovery of POOL in ``status`` that holds its user writes from now on."""
    async with store.transaction() as tx:
        await tx.recoveries.insert({
            "pool_id": POOL, "restore_id": "r1", "status": status, "restore_at": 0,
            "trigger_at": 0, "created_at": 0, "held_until": _micros(clock) + 10**9, "preview": None,
        })


def test_passkeys_are_journaled_held_and_purged(store: Store, run: Any) -> None:
    clock = FrozenClock(T0)
    store.use_clock(clock)  # type: ignore[attr-defined]
    first, second = a_passkey("first"), a_passkey("second")

    async def scenario() -> tuple[Any, ...]:
        await setup(store, a_user("alice"))
        async with store.transaction() as tx:
            await tx.webauthn_credentials.insert(first)
        clock.advance(timedelta(seconds=1))
        async with store.transaction() as tx:
            await tx.webauthn_credentials.insert(second)
            await tx.webauthn_credentials.set_sign_count(POOL, "alice", "first", 9)  # not journaled
        clock.advance(timedelta(seconds=1))
        async with store.transaction() as tx:
            assert await tx.webauthn_credentials.delete(POOL, "alice", "first")
            assert not await tx.webauthn_credentials.delete(POOL, "alice", "first")  # nothing: no row
        async with store.transaction(readonly=True) as tx:
            history = await tx.recoveries.history(POOL, "alice")
        # A recovery holds the pool: a passkey write is refused, its transaction rolled back.
        await hold_the_pool(store, clock)
        held = []
        for write in (lambda tx: tx.webauthn_credentials.insert(a_passkey("third")),
                      lambda tx: tx.webauthn_credentials.delete(POOL, "alice", "second")):
            try:
                async with store.transaction() as tx:
                    await write(tx)
            except WritesHeld as exc:
                held.append(exc.pool_id)
        async with store.transaction() as tx:
            listed = [c.credential_id for c in await tx.webauthn_credentials.list(POOL, "alice")]
            await tx.recoveries.update(POOL, "r1", status="PREVIEW_CANCELLED", held_until=0)
            purged = await tx.recoveries.purge(POOL, _micros(clock) + 1)
            after = await tx.recoveries.history(POOL, "alice")
        return history, held, listed, purged, after

    history, held, listed, purged, after = run(scenario())
    passkey_rows = [row for row in history if row.kind == "passkey"]
    start = passkey_rows[0].at
    assert passkey_rows == [
        JournalEntry("passkey", "first", start, first),
        JournalEntry("passkey", "second", start + 1_000_000, second),
        JournalEntry("passkey", "first", start + 2_000_000, None),
    ]
    assert [row.kind for row in history if row.kind != "passkey"] == ["user"]
    assert held == [POOL, POOL]
    assert listed == ["second"]
    assert purged == 1  # the registration of "first", superseded by its deletion
    assert [(row.kind, row.key, row.state is None) for row in after] == [
        ("user", "", False), ("passkey", "second", False), ("passkey", "first", True),
    ]


def test_a_bulk_insert_journals_each_user_as_one_insert_would_and_a_hold_refuses_it(
    store: Store, run: Any
) -> None:
    """``users.insert_many`` (an import's batch: one statement on PostgreSQL) writes each user's row to the
    journal, the state ``users.insert`` would write, and a recovery's hold refuses the whole batch."""
    clock = FrozenClock(T0)
    store.use_clock(clock)  # type: ignore[attr-defined]
    bulk = [a_user(f"bulk{i}") for i in range(3)]

    async def scenario() -> tuple[Any, ...]:
        await setup(store, a_user("single"))
        async with store.transaction() as tx:
            await tx.users.insert_many(bulk)
        async with store.transaction(readonly=True) as tx:
            single = await tx.recoveries.history(POOL, "single")
            histories = [await tx.recoveries.history(POOL, user.username_key) for user in bulk]
        await hold_the_pool(store, clock)
        held = None
        try:
            async with store.transaction() as tx:
                await tx.users.insert_many([a_user("late0"), a_user("late1")])
        except WritesHeld as exc:
            held = exc.pool_id
        async with store.transaction(readonly=True) as tx:
            late = [await tx.users.get(POOL, key) for key in ("late0", "late1")]
            late_history = await tx.recoveries.history(POOL, "late0")
        return single, histories, held, late, late_history

    single, histories, held, late, late_history = run(scenario())
    at = _micros(clock)
    assert single == [JournalEntry("user", "", at, a_user("single"))]
    assert histories == [[JournalEntry("user", "", at, user)] for user in bulk]
    assert held == POOL and late == [None, None] and late_history == []


def test_set_extra_writes_extra_alone_unjournaled_and_a_hold_refuses_it(store: Store, run: Any) -> None:
    """``UserPort.set_extra`` (the TOTP step a sign-in used): only ``extra`` changes, no journal row is added,
    and while a recovery holds the pool's users it is refused as every user write is."""
    clock = FrozenClock(T0)
    store.use_clock(clock)  # type: ignore[attr-defined]
    alice = a_user("alice")

    async def scenario() -> tuple[Any, ...]:
        await setup(store, alice)
        async with store.transaction(readonly=True) as tx:
            before = await tx.recoveries.history(POOL, "alice")
        changed = replace(alice, extra={**alice.extra, "marker": 1}, status="CHANGED_ELSEWHERE")
        async with store.transaction() as tx:
            await tx.users.set_extra(changed)
            await tx.users.set_extra(replace(changed, username_key="nobody"))  # gone: nothing, no error
        async with store.transaction(readonly=True) as tx:
            stored = await tx.users.get(POOL, "alice")
            after = await tx.recoveries.history(POOL, "alice")
        await hold_the_pool(store, clock, "RESTORING")
        refused = None
        try:
            async with store.transaction() as tx:
                await tx.users.set_extra(replace(changed, extra={"marker": 2}))
        except WritesHeld as exc:
            refused = exc.pool_id
        async with store.transaction(readonly=True) as tx:
            held = await tx.users.get(POOL, "alice")
        return before, stored, after, refused, held

    before, stored, after, refused, held = run(scenario())
    assert stored.extra == {**alice.extra, "marker": 1}
    assert stored.status == alice.status  # the other columns as they were
    assert after == before  # not journaled
    assert refused == POOL and held.extra == stored.extra

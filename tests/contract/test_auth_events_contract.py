"""The contract of the auth-event history port (AdminListUserAuthEvents): SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from contract_records import OTHER_POOL, POOL, T0, a_user, setup

from statements import captured_statements
from userpools.domain.records import AuthEventRecord
from userpools.storage.ports import Conflict, Store

CONTEXT: dict[str, Any] = {
    "IpAddress": "192.0.2.1",
    "DeviceName": "Firefox 🦊, Zürich",
    "Timezone": "+01:00",
    "EncodedData": "eyJ…",
    "Nested": {"list": [1, 2.5, None, True], "empty": {}},
}


def an_event(event_id: str, key: str = "alice", **changes: Any) -> AuthEventRecord:
    event = AuthEventRecord(
        event_id,
        POOL,
        key,
        "SignIn",
        T0,
        "Pass",
        [{"ChallengeName": "Password", "ChallengeResponse": "Success"}],
        CONTEXT,
    )
    return replace(event, **changes)


async def add(store: Store, *events: AuthEventRecord) -> None:
    async with store.transaction() as tx:
        for one in events:
            await tx.auth_events.add(one)


async def listed(
    store: Store,
    key: str = "alice",
    pool_id: str = POOL,
    *,
    limit: int = 1000,
    before: tuple[datetime, str] | None = None,
) -> list[AuthEventRecord]:
    async with store.transaction() as tx:
        return list(await tx.auth_events.list(pool_id, key, limit=limit, before=before))


def newest_first(events: list[AuthEventRecord]) -> list[AuthEventRecord]:
    """The order the port promises: created_at, then id (byte order = Python's code point order), descending."""
    return sorted(events, key=lambda e: (e.created_at, e.id), reverse=True)


def test_an_event_reads_back_equal_and_a_taken_id_raises_conflict(store: Store, run: Any) -> None:
    plain = an_event("e1")
    rich = an_event(
        "e2",
        event_type="ForgotPassword",
        created_at=T0 + timedelta(microseconds=1),
        response="InProgress",
        challenge_responses=[],
        context={},
        feedback={"FeedbackValue": "Invalid", "Provider": "Admin", "FeedbackDate": 1767268800.5},
    )

    async def body() -> None:
        await setup(store, a_user("alice"), a_user("bob"))
        async with store.transaction() as tx:
            await tx.auth_events.add(plain)
            await tx.auth_events.add(rich)
            with pytest.raises(Conflict):
                await tx.auth_events.add(an_event("e1", "bob", response="Fail"))  # ids are global
            await tx.auth_events.add(an_event("e3", "bob"))  # the transaction goes on
        assert await listed(store) == [rich, plain]
        assert await listed(store, "bob") == [an_event("e3", "bob")]

    run(body())


def test_events_list_newest_first_with_ties_on_created_at_broken_by_id(store: Store, run: Any) -> None:
    tie = T0 + timedelta(microseconds=1)
    mine = [
        an_event("m", created_at=T0),
        an_event("b", created_at=tie),
        an_event("B", created_at=tie),  # byte order: "B" < "a1" < "b" < "é"
        an_event("a1", created_at=tie),
        an_event("é", created_at=tie),
        an_event("z", created_at=T0 - timedelta(days=20_000)),  # before 1970
        an_event("a", created_at=T0 + timedelta(seconds=1)),
    ]
    others = [
        an_event("bob1", "bob", created_at=T0 + timedelta(days=1)),
        an_event("other1", pool_id=OTHER_POOL, created_at=T0 + timedelta(days=1)),
    ]

    async def body() -> None:
        await setup(store, a_user("alice"), a_user("bob"), a_user("alice", pool_id=OTHER_POOL))
        await add(store, *mine, *others)
        expected = ["a", "é", "b", "a1", "B", "m", "z"]
        assert [e.id for e in await listed(store)] == expected
        assert await listed(store) == newest_first(mine)
        assert [e.id for e in await listed(store, limit=2)] == expected[:2]
        # strictly before (created_at, id): the tie's smaller ids, then everything older
        assert [e.id for e in await listed(store, before=(tie, "a1"))] == ["B", "m", "z"]
        assert [e.id for e in await listed(store, before=(tie, "\U0010ffff"))] == expected[1:]
        assert [e.id for e in await listed(store, before=(tie, "zzz"))] == expected[2:]  # "é" > "zzz"
        assert [e.id for e in await listed(store, before=(tie, "B"))] == ["m", "z"]
        assert [e.id for e in await listed(store, before=(tie, ""))] == ["m", "z"]
        assert [e.id for e in await listed(store, before=(T0 + timedelta(days=9), ""))] == expected
        assert await listed(store, before=(T0 - timedelta(days=20_000), "z")) == []
        assert [e.id for e in await listed(store, "bob")] == ["bob1"]
        assert [e.id for e in await listed(store, pool_id=OTHER_POOL)] == ["other1"]
        assert await listed(store, "carol") == []
        assert await listed(store, "ALICE") == []

    run(body())


@pytest.mark.parametrize("page_size", [1, 3, 7, 100])
def test_keyset_pages_list_every_event_once_in_order(store: Store, run: Any, page_size: int) -> None:
    # 40 events on 6 distinct times: most pages start and end inside a tie
    events = [
        an_event(f"ev{(n * 7919) % 40:02d}", created_at=T0 + timedelta(microseconds=n % 6)) for n in range(40)
    ]

    async def body() -> None:
        await setup(store, a_user("alice"), a_user("bob"))
        await add(store, *events, an_event("bob", "bob"))
        seen: list[AuthEventRecord] = []
        before: tuple[datetime, str] | None = None
        while page := await listed(store, limit=page_size, before=before):
            assert len(page) <= page_size
            seen += page
            before = (page[-1].created_at, page[-1].id)
        assert seen == newest_first(events)

    run(body())


def test_set_feedback_changes_only_that_users_event(store: Store, run: Any) -> None:
    first = {"FeedbackValue": "Valid", "Provider": "Admin"}
    second = {"FeedbackValue": "Invalid", "Provider": "User", "Note": "not me — 不是我"}

    async def body() -> None:
        await setup(store, a_user("alice"), a_user("bob"), a_user("alice", pool_id=OTHER_POOL))
        await add(store, an_event("e1"), an_event("e2"), an_event("b1", "bob"))
        async with store.transaction() as tx:
            assert await tx.auth_events.set_feedback(POOL, "alice", "e1", first) is True
        assert {e.id: e.feedback for e in await listed(store)} == {"e1": first, "e2": None}
        async with store.transaction() as tx:
            assert await tx.auth_events.set_feedback(POOL, "alice", "e1", second) is True  # replaces
            assert await tx.auth_events.set_feedback(POOL, "alice", "missing", first) is False
            assert await tx.auth_events.set_feedback(POOL, "alice", "b1", first) is False  # bob's
            assert await tx.auth_events.set_feedback(POOL, "bob", "e2", first) is False
            assert await tx.auth_events.set_feedback(OTHER_POOL, "alice", "e2", first) is False
        assert {e.id: e.feedback for e in await listed(store)} == {"e1": second, "e2": None}
        assert [e.feedback for e in await listed(store, "bob")] == [None]

    run(body())


def test_set_outcome_replaces_the_response_and_challenges_of_that_users_event(store: Store, run: Any) -> None:
    challenges = [{"ChallengeName": "Password", "ChallengeResponse": "Success"},
                  {"ChallengeName": "Mfa", "ChallengeResponse": "Failure"}]

    async def body() -> None:
        await setup(store, a_user("alice"), a_user("bob"))
        await add(store, an_event("e1", response="InProgress"), an_event("e2"), an_event("b1", "bob"))
        async with store.transaction() as tx:
            assert await tx.auth_events.set_outcome(POOL, "alice", "e1", "Fail", challenges) is True
            assert await tx.auth_events.set_outcome(POOL, "alice", "b1", "Fail", challenges) is False  # bob's
            assert await tx.auth_events.set_outcome(POOL, "alice", "missing", "Fail", challenges) is False
        events = {e.id: (e.response, e.challenge_responses) for e in await listed(store)}
        assert events["e1"] == ("Fail", challenges)
        assert events["e2"] == ("Pass", [{"ChallengeName": "Password", "ChallengeResponse": "Success"}])
        assert [e.response for e in await listed(store, "bob")] == ["Pass"]

    run(body())


def test_absent_feedback_is_sql_null(store: Store, run: Any) -> None:
    """None is stored as SQL NULL, not as the JSON document ``null``."""

    async def body() -> None:
        await setup(store, a_user("alice"))
        await add(store, an_event("e1"), an_event("e2", feedback={"FeedbackValue": "Valid"}))
        async with store.engine.connect() as conn:  # type: ignore[attr-defined]
            result = await conn.exec_driver_sql("SELECT id FROM auth_events WHERE feedback IS NULL")
            assert [row[0] for row in result] == ["e1"]

    run(body())


def test_deleting_a_user_or_a_pool_takes_their_events(store: Store, run: Any) -> None:
    async def body() -> None:
        await setup(store, a_user("alice"), a_user("bob"), a_user("alice", pool_id=OTHER_POOL))
        await add(store, an_event("a1"), an_event("a2"), an_event("b1", "bob"))
        await add(store, an_event("o1", pool_id=OTHER_POOL))
        async with store.transaction() as tx:
            assert await tx.users.delete(POOL, "alice") is True
        assert await listed(store) == []
        assert [e.id for e in await listed(store, "bob")] == ["b1"]
        async with store.transaction() as tx:
            await tx.users.insert(a_user("alice"))  # a new alice starts with no history
            await tx.auth_events.add(an_event("a1"))  # and the old ids are free again
        assert [e.id for e in await listed(store)] == ["a1"]
        async with store.transaction() as tx:
            assert await tx.pools.delete(POOL) is True
        assert await listed(store) == [] and await listed(store, "bob") == []
        assert [e.id for e in await listed(store, pool_id=OTHER_POOL)] == ["o1"]

    run(body())


def test_a_page_of_a_long_history_reads_the_index_backwards(store: Store, backend: str, run: Any) -> None:
    users, per_user = 20, 100
    keys = [f"user{n:02d}" for n in range(users)]

    async def body() -> None:
        await setup(store, *(a_user(k) for k in keys))
        async with store.transaction() as tx:
            for n in range(users * per_user):
                key = keys[n % users]
                await tx.auth_events.add(
                    an_event(f"e{n:05d}", key, created_at=T0 + timedelta(seconds=n // users))
                )
        engine = store.engine  # type: ignore[attr-defined]
        if backend == "postgresql":
            async with engine.begin() as conn:
                await conn.exec_driver_sql("ANALYZE")
        with captured_statements(store) as statements:
            first = await listed(store, "user07", limit=10)
            second = await listed(store, "user07", limit=10, before=(first[-1].created_at, first[-1].id))
        assert [e.id for e in first + second] == [f"e{n:05d}" for n in range(1987, 1587, -20)]
        selects = [(s, p) for s, p in statements if "FROM auth_events" in s]
        assert len(selects) == 2
        async with engine.connect() as conn:
            plans = [await explain(conn, backend, s, p) for s, p in selects]
            # the keyset bound starts the read inside the index: no walk from the newest event down
            bound = "ROW(created_at, id) < ROW(" if backend == "postgresql" else "(created_at,id)<(?,?)"
            assert bound in plans[1], plans[1]
            for plan in plans:
                assert "ix_auth_events_pool_id_username_key_created_at_id" in plan, plan
                # read in index order: no sort, no scan of other users' events
                assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
                assert "Seq Scan" not in plan and "SCAN " not in plan, plan

    run(body())


async def explain(conn: Any, backend: str, statement: str, parameters: Any) -> str:
    if backend == "sqlite":
        rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in rows)
    rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
    return "\n".join(str(row[0]) for row in rows)

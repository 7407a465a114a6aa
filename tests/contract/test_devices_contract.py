"""The devices port: every test runs on SQLite and PostgreSQL (see conftest.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from contract_records import POOL, T0, a_user, setup

from userpools.domain.records import DeviceRecord
from userpools.storage.ports import Conflict, Store


def a_device(key: str, user: str = "alice", **changes: Any) -> DeviceRecord:
    device = DeviceRecord(POOL, user, f"us-east-1_{key}", "-Group0001", "not_remembered", T0, T0)
    return replace(device, **changes)


def test_a_device_reads_back_as_written_and_updates_what_changes(store: Store, run: Any) -> None:
    bare = a_device("0001")
    confirmed = replace(bare, verifier_ciphertext=b"\x00sealed\xff", status="remembered", name="Ünïcode phone",
                        attributes={"last_ip_used": "192.0.2.1"}, updated_at=T0 + timedelta(seconds=1),
                        last_authenticated_at=T0 + timedelta(seconds=2))

    async def scenario() -> tuple[DeviceRecord | None, DeviceRecord | None]:
        await setup(store, a_user("alice"))
        async with store.transaction() as tx:
            await tx.devices.insert(bare)
            first = await tx.devices.get(POOL, "alice", bare.device_key)
            await tx.devices.update(confirmed)
        async with store.transaction(readonly=True) as tx:
            return first, await tx.devices.get(POOL, "alice", bare.device_key, for_update=False)

    assert run(scenario()) == (bare, confirmed)


def test_devices_list_in_key_order_per_user_and_go_with_their_user(store: Store, run: Any) -> None:
    async def scenario() -> tuple[list[str], list[str], bool, bool, int]:
        await setup(store, a_user("alice"), a_user("bob"))
        async with store.transaction() as tx:
            for key in ("0003", "0001", "0002"):
                await tx.devices.insert(a_device(key))
            await tx.devices.insert(a_device("0009", user="bob"))
            try:
                await tx.devices.insert(a_device("0001"))
                conflicted = False
            except Conflict:
                conflicted = True
        async with store.transaction() as tx:
            page = [d.device_key for d in await tx.devices.list(POOL, "alice", limit=2)]
            rest = [d.device_key for d in await tx.devices.list(POOL, "alice", limit=5, after_key=page[-1])]
            deleted = await tx.devices.delete(POOL, "alice", "us-east-1_0002")
            await tx.users.delete(POOL, "bob")
        async with store.transaction() as tx:
            left = len(await tx.devices.list(POOL, "bob", limit=5))
        return page, rest, conflicted, deleted, left

    page, rest, conflicted, deleted, left = run(scenario())
    assert page == ["us-east-1_0001", "us-east-1_0002"] and rest == ["us-east-1_0003"]
    assert conflicted and deleted and left == 0

"""The passkeys port: every test runs on SQLite and PostgreSQL (see conftest.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from contract_records import POOL, T0, a_user, setup

from userpools.domain.records import WebAuthnCredentialRecord
from userpools.storage.ports import Conflict, Store


def a_passkey(credential_id: str, key: str = "alice", **changes: Any) -> WebAuthnCredentialRecord:
    passkey = WebAuthnCredentialRecord(POOL, key, credential_id, b"\xa5\x01\x02\x00\xff", 0, "localhost", "Passkey",
                                       ("internal", "hybrid"), T0, "platform")
    return replace(passkey, **changes)


def test_passkeys_read_back_oldest_first_with_their_counter_and_go_with_the_user(store: Store, run: Any) -> None:
    first = a_passkey("b-first")
    second = a_passkey("a-second", created_at=T0 + timedelta(seconds=1), attachment=None, transports=())
    bob = a_passkey("bobs", key="bob")

    async def scenario() -> tuple[list[Any], ...]:
        await setup(store, a_user("alice"), a_user("bob"))
        async with store.transaction() as tx:
            for passkey in (second, first, bob):
                await tx.webauthn_credentials.insert(passkey)
        async with store.transaction() as tx:
            listed = list(await tx.webauthn_credentials.list(POOL, "alice"))
            try:
                await tx.webauthn_credentials.insert(a_passkey("b-first"))
                conflicted = [False]
            except Conflict:
                conflicted = [True]
            await tx.webauthn_credentials.set_sign_count(POOL, "alice", "b-first", 7)
            deleted = [await tx.webauthn_credentials.delete(POOL, "alice", "a-second"),
                       await tx.webauthn_credentials.delete(POOL, "alice", "a-second")]
        async with store.transaction() as tx:
            after = list(await tx.webauthn_credentials.list(POOL, "alice"))
            await tx.users.delete(POOL, "bob")
        async with store.transaction(readonly=True) as tx:
            bobs = list(await tx.webauthn_credentials.list(POOL, "bob"))
        return listed, conflicted, deleted, after, bobs

    listed, conflicted, deleted, after, bobs = run(scenario())
    assert listed == [first, second]
    assert conflicted == [True]
    assert deleted == [True, False]
    assert after == [replace(first, sign_count=7)]
    assert bobs == []

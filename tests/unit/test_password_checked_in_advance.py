"""operations.userstate.checked_in_advance: a password checked before the transaction is not checked again in
it, while the stored verifier is the same; anything else is checked as before."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from userpools.crypto import passwords
from userpools.crypto.datakey import DataKeyCipher
from userpools.domain.records import UserRecord
from userpools.operations import userstate
from userpools.operations.userstate import checked_in_advance, password_matches

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def ctx() -> Any:
    return SimpleNamespace(cipher=DataKeyCipher(os.urandom(32)))


def a_user(ctx: Any, password: str) -> UserRecord:
    stored = passwords.create("us-east-1_P", "alice", password, ctx.cipher)
    return UserRecord("us-east-1_P", "alice", "alice", "sub", "CONFIRMED", True, T0, T0, {}, stored)


def test_the_answer_given_in_advance_is_reused_and_nothing_else(ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    user = a_user(ctx, "Passw0rd!")
    calls: list[str] = []
    real = passwords.matches

    def counting(*args: Any) -> bool:
        calls.append(args[3])
        return real(*args)

    monkeypatch.setattr(userstate.passwords, "matches", counting)
    with checked_in_advance(user, "Passw0rd!", ctx):
        assert calls == ["Passw0rd!"]  # checked once, before
        assert password_matches(ctx, user, "Passw0rd!") is True
        assert calls == ["Passw0rd!"]  # and not again
        assert password_matches(ctx, user, "other") is False  # another password: checked now
        changed = replace(user, password_ciphertext=a_user(ctx, "Passw0rd!").password_ciphertext)
        assert password_matches(ctx, changed, "Passw0rd!") is True  # another stored verifier: checked now
        assert calls == ["Passw0rd!", "other", "Passw0rd!"]
    assert password_matches(ctx, user, "Passw0rd!") is True  # outside: checked every time
    assert len(calls) == 4


def test_a_wrong_password_given_in_advance_stays_wrong_and_no_user_is_fine(ctx: Any) -> None:
    user = a_user(ctx, "Passw0rd!")
    with checked_in_advance(user, "wrong", ctx):
        assert password_matches(ctx, user, "wrong") is False
    with checked_in_advance(None, "Passw0rd!", ctx):
        assert password_matches(ctx, user, "Passw0rd!") is True

"""operations.verifiers: the guesses a process keeps for checking a password before its transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from userpools.domain.records import UserRecord
from userpools.operations import verifiers
from userpools.operations.verifiers import StoredVerifiers

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def user(name: str, stored: bytes = b"v1") -> UserRecord:
    return UserRecord(pool_id="us-east-1_P", username=name, username_key=name, sub=f"sub-{name}",
                      status="CONFIRMED", enabled=True, created_at=T0, updated_at=T0, attributes={"email": "a@example.com"},
                      password_ciphertext=stored)


def test_the_last_user_found_for_a_client_and_name_is_the_guess() -> None:
    kept = StoredVerifiers()
    assert kept.guess("client:c", "alice") is None
    first, changed = user("alice"), user("alice", b"v2")
    kept.found("client:c", "alice", first)
    kept.found("client:c", "alice", changed)
    guess = kept.guess("client:c", "alice")
    assert guess is not None and guess.password_ciphertext == b"v2" and guess.username == "alice"
    assert guess.attributes == {} and guess.extra == {}  # only what the check needs is kept
    assert kept.guess("client:other", "alice") is None  # per client (or pool, for the admin flows)


def test_the_oldest_guesses_go_first(monkeypatch: object) -> None:
    monkeypatch.setattr(verifiers, "MAX_KEPT", 3)  # type: ignore[attr-defined]
    kept = StoredVerifiers()
    for name in ("a", "b", "c"):
        kept.found("client:c", name, user(name))
    kept.found("client:c", "a", user("a", b"v2"))  # found again: now the newest
    kept.found("client:c", "d", user("d"))
    assert [kept.guess("client:c", name) is not None for name in "abcd"] == [True, False, True, True]

"""Passwords at rest: an encrypted SRP salt + verifier per password, bound to its pool and user."""

from __future__ import annotations

import pycognito.aws_srp as pyc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from userpools.crypto import passwords, srp
from userpools.crypto.datakey import DataKeyCipher, DataKeyError
from userpools.crypto.passwords import PasswordVerifier

POOL_ID = "us-east-1_F54j6m3T2"
OTHER_POOL_ID = "us-east-1_Zz9Yy8Xx7"
CIPHER = DataKeyCipher(b"k" * 32)


def create(password: str, username: str = "alice", pool_id: str = POOL_ID) -> bytes:
    return passwords.create(pool_id, username, password, CIPHER)


def test_created_password_matches_itself_and_nothing_else() -> None:
    stored = create("Correct horse 1!")
    assert passwords.matches(stored, POOL_ID, "alice", "Correct horse 1!", CIPHER)
    for wrong in ("Correct horse 2!", "correct horse 1!", "Correct horse 1! ", "", "Correct horse 1"):
        assert not passwords.matches(stored, POOL_ID, "alice", wrong, CIPHER)


def test_opened_verifier_is_the_srp_verifier_of_a_16_byte_salt() -> None:
    opened = passwords.open(create("Correct horse 1!"), POOL_ID, "alice", CIPHER)
    assert isinstance(opened, PasswordVerifier)
    assert len(opened.salt) == 16
    assert opened.verifier == srp.compute_verifier(POOL_ID, "alice", "Correct horse 1!", opened.salt)
    assert 1 < opened.verifier < srp.N


def test_stored_verifier_signs_pycognito_in() -> None:
    """What create() stores is what USER_SRP_AUTH needs: pycognito's key equals the server's."""
    opened = passwords.open(create("Correct horse 1!"), POOL_ID, "alice", CIPHER)
    for typed, agree in (("Correct horse 1!", True), ("Correct horse 2!", False)):
        client = pyc.AWSSRP("alice", typed, POOL_ID, "client", client=object())
        b, big_b = srp.server_ephemeral(opened.verifier)
        client_key = client.get_password_authentication_key("alice", typed, big_b, srp.salt_hex(opened.salt))
        server_key = srp.session_key(client.large_a_value, big_b, b, opened.verifier)
        assert (client_key == server_key) is agree


def test_matches_costs_one_exponentiation_of_g(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = create("Correct horse 1!")
    calls = []
    real = srp.g_pow

    def counting(*args: object) -> object:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(srp, "g_pow", counting)
    monkeypatch.setattr(srp, "powmod", None)  # no general exponentiation at all
    assert passwords.matches(stored, POOL_ID, "alice", "Correct horse 1!", CIPHER)
    assert len(calls) == 1


def test_each_password_gets_its_own_salt() -> None:
    first, second = create("same"), create("same")
    assert first != second
    assert (
        passwords.open(first, POOL_ID, "alice", CIPHER).salt
        != passwords.open(second, POOL_ID, "alice", CIPHER).salt
    )


def test_ciphertext_reveals_neither_password_nor_salt_nor_verifier() -> None:
    password = "Correct horse 1! ünïcödé"
    stored = create(password)
    opened = passwords.open(stored, POOL_ID, "alice", CIPHER)
    for secret in (
        password.encode(),
        password.encode("utf-16-le"),
        b"alice",
        opened.salt,
        opened.salt.hex().encode(),
        opened.verifier.to_bytes(srp.N_BYTES, "big")[:16],
        srp.to_pad_hex(opened.verifier).encode()[:32],
    ):
        assert secret not in stored


@pytest.mark.parametrize(
    ("pool_id", "username"),
    [
        (OTHER_POOL_ID, "bob"),
        (POOL_ID, "a\x00lice"),
        (OTHER_POOL_ID, "A\x00lice"),
        (OTHER_POOL_ID + "\x00a", "lice"),  # the same bytes if pool and user were only joined by a NUL
    ],
)
def test_ciphertext_of_one_user_does_not_open_for_another(pool_id: str, username: str) -> None:
    stored = create("Correct horse 1!", username="a\x00lice", pool_id=OTHER_POOL_ID)
    assert passwords.matches(stored, OTHER_POOL_ID, "a\x00lice", "Correct horse 1!", CIPHER)
    with pytest.raises(DataKeyError):
        passwords.open(stored, pool_id, username, CIPHER)
    with pytest.raises(DataKeyError):
        passwords.matches(stored, pool_id, username, "Correct horse 1!", CIPHER)


def test_ciphertext_does_not_open_under_another_key_or_when_damaged() -> None:
    stored = create("Correct horse 1!")
    with pytest.raises(DataKeyError):
        passwords.open(stored, POOL_ID, "alice", DataKeyCipher(b"x" * 32))
    with pytest.raises(DataKeyError):
        passwords.open(stored[:-1] + bytes([stored[-1] ^ 1]), POOL_ID, "alice", CIPHER)
    with pytest.raises(DataKeyError):
        passwords.open(b"", POOL_ID, "alice", CIPHER)


def test_history_ciphertext_is_not_a_password_ciphertext() -> None:
    history = passwords.history_push(None, create("one"), 3, POOL_ID, "alice", CIPHER)
    assert history is not None
    with pytest.raises(DataKeyError):
        passwords.open(history, POOL_ID, "alice", CIPHER)
    with pytest.raises(DataKeyError):
        passwords.in_history(create("one"), POOL_ID, "alice", "one", CIPHER)


@settings(max_examples=10, deadline=None)
@given(username=st.text(min_size=1, max_size=32), password=st.text(max_size=64))
def test_any_unicode_password_matches_itself_only(username: str, password: str) -> None:
    stored = passwords.create(POOL_ID, username, password, CIPHER)
    assert passwords.matches(stored, POOL_ID, username, password, CIPHER)
    assert not passwords.matches(stored, POOL_ID, username, password + "x", CIPHER)
    if len(password.encode()) >= 4:  # shorter byte strings turn up in random bytes by chance
        assert password.encode() not in stored


# --- password history ------------------------------------------------------------------------------------


def push(history: bytes | None, password: str, size: int) -> bytes | None:
    return passwords.history_push(history, create(password), size, POOL_ID, "alice", CIPHER)


def in_history(history: bytes | None, password: str) -> bool:
    return passwords.in_history(history, POOL_ID, "alice", password, CIPHER)


def test_empty_history_holds_nothing() -> None:
    assert not in_history(None, "anything")


def test_history_of_size_zero_is_not_kept() -> None:
    assert push(None, "one", 0) is None
    assert push(push(None, "one", 3), "two", 0) is None


def test_history_keeps_the_newest_size_passwords() -> None:
    history = None
    for password in ("one", "two", "three", "four"):
        history = push(history, password, 3)
    assert not in_history(history, "one")
    assert all(in_history(history, p) for p in ("two", "three", "four"))
    assert not in_history(history, "five")


def test_history_shrinks_when_the_pool_lowers_its_size() -> None:
    history = None
    for password in ("one", "two", "three"):
        history = push(history, password, 24)
    history = push(history, "four", 1)
    assert in_history(history, "four")
    assert not any(in_history(history, p) for p in ("one", "two", "three"))


def test_history_is_bound_to_its_user_and_reveals_no_password() -> None:
    history = push(push(None, "first secret", 5), "second secret", 5)
    assert history is not None
    assert b"first secret" not in history and b"second secret" not in history
    with pytest.raises(DataKeyError):
        passwords.in_history(history, POOL_ID, "bob", "first secret", CIPHER)
    with pytest.raises(DataKeyError):
        passwords.in_history(history, OTHER_POOL_ID, "alice", "first secret", CIPHER)


def test_history_push_refuses_another_users_password() -> None:
    with pytest.raises(DataKeyError):
        passwords.history_push(None, create("one", username="bob"), 3, POOL_ID, "alice", CIPHER)

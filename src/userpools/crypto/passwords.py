"""Passwords at rest: only an SRP salt and verifier, encrypted under the data key (DESIGN.md, "passwords").

The verifier is the one USER_SRP_AUTH needs (``v = g^x``, see :mod:`userpools.crypto.srp`); every other check
of a password (USER_PASSWORD_AUTH, ChangePassword's old password, the password history) recomputes ``g^x``
with the stored salt and compares. A second, slower hash would add nothing: an attacker holding the verifier
attacks the SHA-256 inside ``x``. What protects a copy of the database is the encryption: without the data key
a ciphertext is just random bytes.

A ciphertext's associated data names the pool and the user, so a verifier copied onto another user's row does
not open. ``username`` everywhere here is the USER_ID_FOR_SRP that InitiateAuth sends: the user's internal
username, never an alias (email, phone, preferred_username) — it is part of ``x``.

Layouts (inside the encryption):

- password: ``version(1) ‖ salt(16) ‖ verifier(384, big-endian)``
- history: ``version(1) ‖ entry*`` with ``entry = salt(16) ‖ verifier(384)``, oldest first
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from userpools.crypto import srp
from userpools.crypto.datakey import DataKeyCipher, DataKeyError

_VERSION = b"\x01"
_SALT_BYTES = 16
_ENTRY_BYTES = _SALT_BYTES + srp.N_BYTES


@dataclass(frozen=True)
class PasswordVerifier:
    salt: bytes
    verifier: int

    def to_bytes(self) -> bytes:
        return self.salt + self.verifier.to_bytes(srp.N_BYTES, "big")

    @classmethod
    def from_bytes(cls, entry: bytes) -> PasswordVerifier:
        return cls(entry[:_SALT_BYTES], int.from_bytes(entry[_SALT_BYTES:], "big"))


def _context(kind: bytes, pool_id: str, username: str) -> bytes:
    # The pool id's length in front: no two (pool, user) pairs give the same bytes, whatever they contain.
    pool = pool_id.encode()
    return kind + b":" + len(pool).to_bytes(2, "big") + pool + username.encode()


def _password_context(pool_id: str, username: str) -> bytes:
    return _context(b"password-verifier", pool_id, username)


def _history_context(pool_id: str, username: str) -> bytes:
    return _context(b"password-history", pool_id, username)


def _same_verifier(a: int, b: int) -> bool:
    return hmac.compare_digest(a.to_bytes(srp.N_BYTES, "big"), b.to_bytes(srp.N_BYTES, "big"))


def create(pool_id: str, username: str, password: str, cipher: DataKeyCipher) -> bytes:
    """A fresh salt and the password's verifier, encrypted for this pool and user."""
    salt = srp.new_salt()
    entry = PasswordVerifier(salt, srp.compute_verifier(pool_id, username, password, salt))
    return cipher.encrypt(_VERSION + entry.to_bytes(), context=_password_context(pool_id, username))


def open(ciphertext: bytes, pool_id: str, username: str, cipher: DataKeyCipher) -> PasswordVerifier:
    """The salt and verifier. Raises DataKeyError when the ciphertext is not this user's or is damaged."""
    plain = cipher.decrypt(ciphertext, context=_password_context(pool_id, username))
    if len(plain) != 1 + _ENTRY_BYTES or plain[:1] != _VERSION:
        raise DataKeyError("not a password verifier")
    return PasswordVerifier.from_bytes(plain[1:])


def matches(ciphertext: bytes, pool_id: str, username: str, password: str, cipher: DataKeyCipher) -> bool:
    """Whether ``password`` is the stored one: one modular exponentiation, compared in constant time.
    Raises DataKeyError (never answers False) when the stored value does not open."""
    stored = open(ciphertext, pool_id, username, cipher)
    candidate = srp.compute_verifier(pool_id, username, password, stored.salt)
    return _same_verifier(candidate, stored.verifier)


def _history_entries(
    history_ciphertext: bytes | None, pool_id: str, username: str, cipher: DataKeyCipher
) -> list[PasswordVerifier]:
    if history_ciphertext is None:
        return []
    plain = cipher.decrypt(history_ciphertext, context=_history_context(pool_id, username))
    body = plain[1:]
    if plain[:1] != _VERSION or len(body) % _ENTRY_BYTES:
        raise DataKeyError("not a password history")
    return [
        PasswordVerifier.from_bytes(body[i : i + _ENTRY_BYTES]) for i in range(0, len(body), _ENTRY_BYTES)
    ]


def history_push(
    history_ciphertext: bytes | None,
    current_ciphertext: bytes,
    size: int,
    pool_id: str,
    username: str,
    cipher: DataKeyCipher,
) -> bytes | None:
    """The history with the verifier in ``current_ciphertext`` appended, cut to the newest ``size`` entries
    (None when ``size`` is 0: no history kept). Whether the password in use counts toward the pool's
    PasswordHistorySize is the caller's choice: push the outgoing password when a new one is set (then check
    the new one with :func:`matches` too), or push every password as it is set."""
    if size <= 0:
        return None
    entries = _history_entries(history_ciphertext, pool_id, username, cipher)
    entries.append(open(current_ciphertext, pool_id, username, cipher))
    plain = _VERSION + b"".join(entry.to_bytes() for entry in entries[-size:])
    return cipher.encrypt(plain, context=_history_context(pool_id, username))


def in_history(
    history_ciphertext: bytes | None, pool_id: str, username: str, password: str, cipher: DataKeyCipher
) -> bool:
    """Whether ``password`` is any password in the history: one exponentiation per entry, every entry checked
    (at most 24, about 15 ms)."""
    found = False
    for entry in _history_entries(history_ciphertext, pool_id, username, cipher):
        candidate = srp.compute_verifier(pool_id, username, password, entry.salt)
        found |= _same_verifier(candidate, entry.verifier)
    return found

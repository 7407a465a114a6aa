"""The stored verifiers that password sign-ins last found, per process: what lets ``serve --workers`` on
SQLite check a password before the sign-in's write transaction without reading the user first.

On SQLite every write transaction holds the one write lock all worker processes share, so a password flow
checks the password (a modular exponentiation) before its transaction (``userstate.checked_in_advance``)
rather than inside it. That check needs the user's stored verifier, which took a read-only transaction of its
own: about a twentieth of a TOTP sign-in's server CPU with two workers. The verifier a flow found last time
for the same client and name is as good a guess: the check is kept only for the exact stored bytes it was
made against, so inside the transaction a verifier that changed meanwhile (a new password, another user
behind an alias) is checked afresh, as without any guess. Bounded: the oldest guesses go first."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace

from userpools.domain.records import UserRecord

#: How many (client, name) guesses a process keeps.
MAX_KEPT = 10_000


class StoredVerifiers:
    __slots__ = ("_kept",)

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[str, str], UserRecord] = OrderedDict()

    def guess(self, client_or_pool: str, name: str) -> UserRecord | None:
        return self._kept.get((client_or_pool, name))

    def found(self, client_or_pool: str, name: str, user: UserRecord) -> None:
        """What a password flow's transaction found for the name (the user with its stored verifier); kept
        without what the check does not need (attributes, MFA settings, password history)."""
        key = (client_or_pool, name)
        kept = self._kept
        known = kept.get(key)
        if known is not None and known.password_ciphertext == user.password_ciphertext \
                and known.username == user.username and known.pool_id == user.pool_id:
            return
        kept[key] = replace(user, attributes={}, extra={}, password_history_ciphertext=None)
        kept.move_to_end(key)
        if len(kept) > MAX_KEPT:
            kept.popitem(last=False)

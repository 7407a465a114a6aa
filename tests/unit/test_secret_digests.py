"""matches_a_secret keeps the stored secrets' SHA-256 digests per client and ciphertexts: a rotation (a second
secret, then the first deleted) is seen at once, and another data key decrypts again."""

from __future__ import annotations

import base64
import os
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from userpools.crypto.datakey import DataKeyCipher
from userpools.domain import client_secrets
from userpools.domain.records import ClientRecord
from userpools.operations.clients import secret_context
from userpools.operations.common import matches_a_secret

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def _cipher() -> DataKeyCipher:
    return DataKeyCipher.from_text(base64.b64encode(os.urandom(32)).decode())


def _entry(cipher: DataKeyCipher, client_id: str, secret: str, n: int) -> dict[str, Any]:
    sealed = cipher.encrypt(secret.encode(), context=secret_context(client_id))
    return {"Id": f"{client_id}--{n}", "Created": n, "Ciphertext": base64.b64encode(sealed).decode()}


def test_the_secret_matches_and_nothing_else_does() -> None:
    cipher = _cipher()
    ctx: Any = SimpleNamespace(cipher=cipher)
    client = ClientRecord("c1", "p", "n", NOW, NOW, cipher.encrypt(b"first", context=secret_context("c1")))
    for _ in range(2):  # the second time from the digests kept
        assert matches_a_secret(ctx, client, "first")
        assert not matches_a_secret(ctx, client, "firsT")
        assert not matches_a_secret(ctx, client, "")


def test_a_rotation_is_seen_at_once() -> None:
    cipher = _cipher()
    ctx: Any = SimpleNamespace(cipher=cipher)
    column = cipher.encrypt(b"old", context=secret_context("c2"))
    client = ClientRecord("c2", "p", "n", NOW, NOW, column)
    assert matches_a_secret(ctx, client, "old")
    old = {"Id": "c2--1", "Created": 1, "Ciphertext": base64.b64encode(column).decode()}
    both = replace(client, settings={client_secrets.SECRETS_KEY: [old, _entry(cipher, "c2", "new", 2)]})
    assert matches_a_secret(ctx, both, "old") and matches_a_secret(ctx, both, "new")
    new_only = replace(client, settings={client_secrets.SECRETS_KEY: [both.settings[client_secrets.SECRETS_KEY][1]]})
    assert matches_a_secret(ctx, new_only, "new")
    assert not matches_a_secret(ctx, new_only, "old")


def test_another_data_key_is_another_cipher() -> None:
    first, second = _cipher(), _cipher()
    client = ClientRecord("c3", "p", "n", NOW, NOW, first.encrypt(b"s3", context=secret_context("c3")))
    assert matches_a_secret(SimpleNamespace(cipher=first), client, "s3")  # type: ignore[arg-type]
    try:
        matches_a_secret(SimpleNamespace(cipher=second), client, "s3")  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - the other key cannot open it: decrypted again, not taken from the first
        return
    raise AssertionError("a ciphertext of another key was taken as matching")

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from userpools.crypto.datakey import DataKeyCipher, DataKeyError
from userpools.crypto.keys import jwks_document, new_signing_key, private_key_context

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def cipher() -> DataKeyCipher:
    return DataKeyCipher(b"k" * 32)


def test_data_key_round_trips_and_binds_the_context() -> None:
    box = cipher()
    sealed = box.encrypt(b"secret", context=b"a")
    assert b"secret" not in sealed
    assert box.decrypt(sealed, context=b"a") == b"secret"
    with pytest.raises(DataKeyError):
        box.decrypt(sealed, context=b"b")
    with pytest.raises(DataKeyError):
        DataKeyCipher(b"x" * 32).decrypt(sealed, context=b"a")
    with pytest.raises(DataKeyError):
        box.decrypt(sealed[:-1] + bytes([sealed[-1] ^ 1]), context=b"a")


def test_data_key_must_be_32_bytes_of_base64() -> None:
    with pytest.raises(DataKeyError):
        DataKeyCipher.from_text(base64.b64encode(b"short").decode())
    with pytest.raises(DataKeyError):
        DataKeyCipher.from_text("not base64 at all!!")
    assert DataKeyCipher.from_text(base64.urlsafe_b64encode(b"\xfb" * 32).decode())


def test_data_key_file_is_created_once_with_owner_only_permissions(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "data.key"
    first = DataKeyCipher.from_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    sealed = first.encrypt(b"v", context=b"c")
    assert DataKeyCipher.from_file(path).decrypt(sealed, context=b"c") == b"v"


def test_signing_key_has_a_padded_base64_kid_an_rsa_jwk_and_an_encrypted_private_half() -> None:
    box = cipher()
    key = new_signing_key("us-east-1_abcdefghi", "id", box, NOW)
    assert len(base64.b64decode(key.kid)) == 32 and key.kid.endswith("=")
    assert key.public_jwk["kid"] == key.kid and key.public_jwk["kty"] == "RSA"
    assert set(key.public_jwk) == {"alg", "e", "kid", "kty", "n", "use"}
    pem = box.decrypt(key.private_key_ciphertext, context=private_key_context(key.kid))
    private = serialization.load_pem_private_key(pem, password=None)
    n = int.from_bytes(base64.urlsafe_b64decode(key.public_jwk["n"] + "=="), "big")
    assert private.public_key().public_numbers().n == n  # type: ignore[union-attr]
    assert jwks_document([key]) == {"keys": [key.public_jwk]}

"""Imported password hashes: each algorithm's form is recognised and verified by its library, hostile
parameters are refused, and the sealed value opens only for its own pool and user."""

from __future__ import annotations

import base64
import hashlib
import secrets

import bcrypt
import pytest
from argon2 import PasswordHasher

from userpools.crypto import imported_hashes
from userpools.crypto.datakey import DataKeyCipher, DataKeyError

PASSWORD = "Corr3ct horse ✓"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _scrypt(password: str, ln: int = 10) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**ln, r=8, p=1, dklen=32)
    return f"$scrypt$ln={ln},r=8,p=1${_b64(salt)}${_b64(digest)}"


def _pbkdf2(password: str, iterations: int = 1000, phc: bool = False) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    if phc:
        return f"$pbkdf2-sha256$i={iterations},l=32${_b64(salt)}${_b64(digest)}"
    return f"$pbkdf2-sha256${iterations}${_b64(salt).replace('+', '.')}${_b64(digest).replace('+', '.')}"


HASHES = {
    "BCRYPT": lambda p: bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=4)).decode(),
    "ARGON2ID": lambda p: PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(p),
    "SCRYPT": _scrypt,
    "PBKDF2_SHA256": _pbkdf2,
}


@pytest.mark.parametrize("algorithm", imported_hashes.ALGORITHMS)
def test_each_algorithm_verifies_the_right_password_only(algorithm: str) -> None:
    value = HASHES[algorithm](PASSWORD)
    assert imported_hashes.well_formed(algorithm, value)
    assert imported_hashes.verify(algorithm, value, PASSWORD)
    assert not imported_hashes.verify(algorithm, value, PASSWORD + "x")


def test_phc_pbkdf2_and_php_bcrypt_forms_are_accepted() -> None:
    assert imported_hashes.verify("PBKDF2_SHA256", _pbkdf2(PASSWORD, phc=True), PASSWORD)
    php = "$2y$" + HASHES["BCRYPT"](PASSWORD)[4:]
    assert imported_hashes.well_formed("BCRYPT", php) and imported_hashes.verify("BCRYPT", php, PASSWORD)


@pytest.mark.parametrize(
    ("algorithm", "value"),
    [
        ("BCRYPT", "$2b$nothash"),
        ("BCRYPT", _pbkdf2(PASSWORD)),  # another algorithm's hash
        ("ARGON2ID", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"),
        ("SCRYPT", "$scrypt$ln=30,r=8,p=1$c2FsdA$aGFzaA"),  # 2^30 memory-hard rounds: refused
        ("PBKDF2_SHA256", "$pbkdf2-sha256$99999999$c2FsdA$aGFzaA"),
        ("PBKDF2_SHA256", "plain text"),
    ],
)
def test_malformed_or_hostile_hashes_are_refused(algorithm: str, value: str) -> None:
    assert not imported_hashes.well_formed(algorithm, value)


def test_a_sealed_hash_opens_only_for_its_pool_and_user() -> None:
    cipher = DataKeyCipher(secrets.token_bytes(32))
    value = HASHES["BCRYPT"](PASSWORD)
    sealed = imported_hashes.seal("BCRYPT", value, "us-east-1_Pool", "alice", cipher)
    assert value not in sealed
    assert imported_hashes.unseal(sealed, "us-east-1_Pool", "alice", cipher) == ("BCRYPT", value)
    with pytest.raises(DataKeyError):
        imported_hashes.unseal(sealed, "us-east-1_Pool", "bob", cipher)

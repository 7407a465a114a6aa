"""crypto.totp against RFC 6238's published SHA-1 vectors (their last six digits), the skew window, and the
sealed secret."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pyotp
import pytest

from userpools.crypto import totp
from userpools.crypto.datakey import DataKeyCipher, DataKeyError

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
# RFC 6238 Appendix B, SHA-1: time → 8-digit TOTP; a 6-digit code is its last six digits.
VECTORS = [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"), (1234567890, "89005924"),
           (2000000000, "69279037"), (20000000000, "65353130")]


@pytest.mark.parametrize("seconds, code", VECTORS)
def test_rfc_6238_vectors_match_at_their_own_step(seconds: int, code: str) -> None:
    now = datetime.fromtimestamp(seconds, UTC)
    assert totp.matching_step(RFC_SECRET, code[-6:], now) == seconds // 30


def test_one_step_either_way_matches_and_two_do_not() -> None:
    seconds = 1111111111
    code = VECTORS[2][1][-6:]
    for delta, expected in ((-30, seconds // 30), (30, seconds // 30), (60, None), (-60, None)):
        assert totp.matching_step(RFC_SECRET, code, datetime.fromtimestamp(seconds + delta, UTC)) == expected


def test_new_secrets_are_base32_of_32_bytes_and_differ() -> None:
    first, second = totp.new_secret(), totp.new_secret()
    assert first != second and len(first) == 52
    assert len(base64.b32decode(first + "=" * (-len(first) % 8))) == 32


def test_a_sealed_secret_opens_only_for_its_owner() -> None:
    cipher = DataKeyCipher(b"k" * 32)
    sealed = totp.seal("ABCDEFGH", cipher, owner="pool/sub-1")
    assert "ABCDEFGH" not in sealed
    assert totp.unseal(sealed, cipher, owner="pool/sub-1") == "ABCDEFGH"
    with pytest.raises(DataKeyError):
        totp.unseal(sealed, cipher, owner="pool/sub-2")


def test_provisioning_uri_is_amplifys_otpauth_form_with_label_and_issuer_encoded() -> None:
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", account="ada lovelace@example.com", issuer="My Pool")
    assert uri == ("otpauth://totp/My%20Pool:ada%20lovelace%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
                   "&issuer=My%20Pool")


def test_the_secret_decodes_as_base64_b32decode_decodes_it_padded() -> None:
    import base64
    import random

    rng = random.Random(7)
    for size in range(1, 41):
        raw = bytes(rng.randrange(256) for _ in range(size))
        text = base64.b32encode(raw).decode().rstrip("=")
        for variant in (text, text.lower()):
            padded = variant + "=" * (-len(variant) % 8)
            assert totp._b32decode(variant) == base64.b32decode(padded, casefold=True) == raw
    for bad in ("", "A", "ABC", "ABCDEF", "ABCDEFG1", "ABCD EFG", "ABCDEFG="):
        assert totp._b32decode(bad) is None  # left to pyotp: lengths b32decode refuses, foreign characters
    assert totp._DecodedOnce.int_to_bytestring(59 // 30) == pyotp.OTP.int_to_bytestring(1)
    assert totp._DecodedOnce.int_to_bytestring(2**40 + 5) == pyotp.OTP.int_to_bytestring(2**40 + 5)


def test_a_secret_pyotp_refuses_is_still_refused() -> None:
    with pytest.raises(ValueError):
        totp.matching_step("ABCD", "123456", datetime(2026, 1, 1, tzinfo=UTC))  # 16 bits: under pyotp's minimum

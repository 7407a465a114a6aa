"""Cognito's SRP, server side, against the clients' own maths.

The client here is pycognito's ``AWSSRP`` (the same maths as amazon-cognito-identity-js's
AuthenticationHelper.js, read side by side): it computes A, the key and PASSWORD_CLAIM_SIGNATURE; this
module's functions play Cognito. The fixed vectors were computed once with pycognito's helpers (``pad_hex``,
``hex_hash``, ``get_password_authentication_key``, ``process_challenge`` with a frozen clock) and Python's
``pow``; none of them came from the code under test.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pycognito.aws_srp as pyc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from userpools.crypto import srp
from userpools.crypto.datakey import DataKeyCipher
from userpools.crypto.srp import (
    SECRET_BLOCK_CONTEXT,
    SrpState,
    check_signature,
    compute_verifier,
    expected_signature,
    format_timestamp,
    open_state,
    parse_hex,
    parse_timestamp,
    pool_name,
    salt_hex,
    seal_state,
    server_ephemeral,
    server_public,
    session_key,
    to_pad_hex,
)

POOL_ID = "us-east-1_F54j6m3T2"
CLIENT_ID = "5hu48rd3mbfvr3t6d6r2rchapm"
NOW = datetime(2026, 1, 7, 8, 0, 5, tzinfo=UTC)
MAX_AGE = timedelta(minutes=5)
CIPHER = DataKeyCipher(b"k" * 32)


@dataclass(frozen=True)
class Vector:
    pool_id: str
    username: str
    password: str
    salt: str  # SALT as the server sends it
    a: int
    b: int
    A: int
    verifier: int
    B: int
    key: str
    secret_block: str
    timestamp: str
    signature: str


PYCOGNITO_VECTORS = [
    Vector(
        pool_id="us-east-1_AbCdEfGh1",
        username="user-one",
        password="Passw0rd!",
        salt="e1f2a3b4c5d6e7f8091a2b3c4d5e6f70",
        a=int(
            "77777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777"
            "77777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777"
            "777777777777777777777777777777777777777777777777777777777777777777777777",
            16,
        ),
        b=0x1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF,
        A=int(
            "a54ce99cffda557747d5f7f26bc46c2c2686d0bf0602c5677581e5e97cd407db6c6a5e1565bc59b01f9aef57bf92"
            "23d9645fa36f40b0784df0763948533ab1988ee0a4d77c406cdff52f2b2a49a610422c708a00ab226e70e3a5f163"
            "0a84cd8459910f233895d35d3d7f828f04e62bb73239e2d3094f7358b293d607ba94742440e5ecea536f1546879d"
            "42d36a93a47593e60557419f78b3b6165b70b0fdb16605a10c564ccccf7f0ab7d4b09a07cea8ec755e4275e253c0"
            "8443e0e7252341fd7ec41638053b979e1709873a478dac942db5620cb0f162acc090632525f181c1dc54ee3925e4"
            "9feb86aa5dd7f77c780ccd592df5eb0ed77f1f1d584ced521fb68c9e39a3bf7f9874adf2b103b299e2816eeda266"
            "3a45106de279ccbf4f2ee70709a23d06b0083461e32422aecc4664eb92a3538fc6582479662b1363aa795353fc33"
            "eabfdbf6d7657e18eca751ddc38699e10e3438e72da04b2ad50d6cc0f436ef99a0567343a78563883baccc884b68"
            "c31d1bda32e6a0879a8bbdb522e7885c",
            16,
        ),
        verifier=int(
            "e95ba411535dd0110e8c14740ac1b20250609ef021fbbfd7a4fc332eb4d8dde81764040e4b6f540dd84871243e57"
            "55960fbea2dce10fe95cae3885dc293526c2bc52fff0af791ac5e06abcd9325486d8ee008a7ccbc88b3210b8d1a8"
            "e3793036c1808be7d9d3e1c6e63673285deb1c5a00b43972b3bcf66ac22c341ec7a666bea796d59f997aab792b0e"
            "c51797a0e2b526e2b734798f83cbf221d58c9d9089ca6231500fe2291e502b218e4a3eb7b1a82deef4a37a11ad0a"
            "dadff6d160c4f1b3adf48b601e7ec550ad670d15d684408e2e8fdb2c18261e14a13f80f0a68b34f5a6aed2c4507e"
            "969365d0d51f19c05dff517c90846794d7c5551d4b52c3556013e57841192e674d0917e03376f8b550f5b8e06b29"
            "307a398eafabf979a20757f5bd7eab87daf9e22c8653fdb10e30941da7e6d19830bca9b6af1f9ebe87bdd3633b49"
            "61abb31eb6ccff7acbb1981e6387d1e5fbffab0179ebf57e24a8748d52a1323459a346c4a54fe14ad47f3b34c068"
            "8727e09f28073ef18229fece93aa46d1",
            16,
        ),
        B=int(
            "6669ef42cfad3d0c95cffe7ca642e364cbab87302de67ac6b7979d6276d693e0e305c1012cdd426d12ee66c82c09"
            "9be9937a91b51cbdd0db765c338fead0f4ca715d5b622f27ad35e283b4c8d159b8872565b255019d842b51a8dd98"
            "21fe85c28d29f74901802bf8ff0b1089fc71666d7a11c0d2d18d027843cd1ec0389bbc4e34f38d1968ec2d9ecb93"
            "9426a62526d133d1a3b5d5ed180f408e3749fe7470f4b77c4666d7e2d19da2ef2f20fb57682a1a8826d5ed951527"
            "63a509d0b6ac02b2e281b98421868e44179587343fb8bf10dfb4e951894ea489dfd63f664768f4526f4758ba6c7b"
            "80ce891d16513803f16a19eb35f996eb693c4ee2e0b7528d9df93136de50f50a20ce29b523ddb741f75ae25e463a"
            "23a5fb5c234e1d97b1cab9b94af988768dfdbbeb790672417fc0ca4c2271c9147aa38a46b5973db717f7d25f79d2"
            "ba66e3f47de32f6a12126a5077982e8b7f63c7c2a46e7d898e5304d9b04b2716e54580714b8093e04d0aabeba821"
            "83ee5e029de66e4071d537da301fb5af",
            16,
        ),
        key="5d3ffa36537b64f2153d57e48c071af0",
        secret_block="c2VjcmV0IGJsb2NrIG9uZXNlY3JldCBibG9jayBvbmVzZWNyZXQgYmxvY2sgb25l",
        timestamp="Wed Jan 7 08:00:05 UTC 2026",
        signature="31ZGZ6/6MrsgLbDhO+dDu9OOPK913U6+NwbiX1eqjZs=",
    ),
    Vector(
        pool_id="eu-west-2_Z9y8X7w6V",
        username="d7f1c3a8-9b0e-4c2d-8e6f-5a4b3c2d1e0f",
        password="pässwörd — 密码 🔑",
        salt="00ab4c7d9e1f203142536475869708a9",
        a=int(
            "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c"
            "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c"
            "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c",
            16,
        ),
        b=0xFEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210,
        A=int(
            "78ef53cb02722b201f1e7ea8245f5d43c90b3ee9a6d06e15c2d9007384b0acba725d38da82a7f4651c3d43713cfe"
            "ce424d48b5cbd7c618692b602dba81bbd0147eec05c3008d5408cd2b2ac7c7d6fd16fc1abbf7eb8680acbf012ebc"
            "4a1b029faee7fc6a657b2cd170143aaa5cc0d1ebac06a10faa2ff16c6daff4c05aad05a081a4d5e8ff6848d934b7"
            "72dcb7e89212337ee3331eba06cff26f0b64c7cbeb981feb7763773137ed1e89224c48b9cf5826505e75dc563d7c"
            "03cf6fbc7241a836ea57c9c08c01be62a3f8c3632b93c8d78545f17babc838b7f6747c542a56280ae0b6a48343a1"
            "3d5f19067c6b9d72f74a148c13fa77a36ba551c415cdaf2f2fc15c02be8a907d6344a6505734f5f28ad97f915b9b"
            "705fdd89441a63a3170c6fabd5e33634b65d5c763d3b253774d05fe07cda0c5a0ea1d05f1e1c2ecd21822b083794"
            "eddae2e12a31e1f8d86d04c07c1963fd5682db5fdbdf19baec121e134e074740fa9c6e664bbaf860b8e67dcd4b34"
            "e8662d8479bdea9bf29f782ba01024f7",
            16,
        ),
        verifier=int(
            "964ef4b3dd38bf830698f324e023c7ce442673bccff99d704d3996541dd6c7129b4b290dc0b168ff5de32598b463"
            "2681b973c7cf820cb19db442f4309bba27f8cab267ec864a65f9665bbeb689eb7d08b6c6ca46b4cc4f27d56d4bf5"
            "5b88af6fee7065f36b08f834df6d4a7b682b2fa43e00ee1ad1ad3b52fc578c1eee8fc7644d193493e7ba3c4384b1"
            "916f9e3b0d4f71759397be4b29445b3b55b1ecad5ea23347c5fd89ff1093d2ba135c8cfb6c495b8978d38dad2068"
            "78ce778f666abf0f8f42131287c97b67eb61871d4bf916ec76fd84f23dffc938394d6f5d7bbe77998824225c9174"
            "f85a14001e09bafc56b507c482860baf97a1eef2f4ddf538105625c6681fd6c102a94c86cb3e308c1a195ea82eca"
            "fb6e7c7f9d850b888142cf03059ec6feef33869746dfdbebc488426245a53281688f1b503254fd0eb3a5b110c956"
            "2d6df98314dbdb08913053f6d996dfa5c5356c476240744e4a5e7568f30a6a3e8bdbe66db000e76b49935747f287"
            "311bf98d8be326ff883ba400ad4c8463",
            16,
        ),
        B=int(
            "4cd6176ac300276ac50db87dbcba42644442673e99982baecf0b5af94d8eaa1c2b30be8961b7736d06d7b35ca7ec"
            "ffe2ff9a2d72f96b7cf1e56e3e00ffbed3134d42c21101320abafdb3743601581d30cf82dc587ff3cdcb6bfa9732"
            "6e74a611df1352f92d3ca9f44def08ad46adee63a1b96d4c8a7ea9a03e6e85dbf47a7e287436d813500cd68f423a"
            "140d9e636456ebf59feded0453979c0950eb8fe100ef57895808193d16568519a857e319f7709244ab7ab66a6aed"
            "ec40d89c6b0b3736d7c9489306e9ae2d891cda160fe6d92174be469c583e1d9d5aece4e305f5b65337a5a7c3ad54"
            "c9ee84aa050c50022be9e6341da92f9dc09bc36c2dda7beab90037f0badd13436e2da582782b55b5c3dda4c410fc"
            "ae1c16dcffcb604728a88236ef8e5c942e1c8e8c835633aa9ad7d3f42cd9994ab13f42708b7c9f3f3656d9fb3026"
            "a550009baaedf8294f61fcd81c183943574c039868decb8ebd381120370da43acee7e729493803023a67ea1bef6a"
            "49f521f5f4fb1bf99111ef0a610e83e9",
            16,
        ),
        key="2040dfbbbe05e98816fd7c09f01253b8",
        secret_block="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsc=",
        timestamp="Thu Sep 5 07:03:09 UTC 2024",
        signature="zSX7tfwY0Tg+dJfUjnhILfIgvGcHaS4ss+QDz7yJdcg=",
    ),
]


# --- the group -------------------------------------------------------------------------------------------


def test_group_is_rfc3526_3072_bit_prime_with_generator_2_like_the_clients() -> None:
    assert srp.N == int(pyc.N_HEX, 16)
    assert srp.N.bit_length() == 3072
    assert format(srp.N, "X").startswith("FFFFFFFFFFFFFFFFC90FDAA2")
    assert format(srp.N, "X").endswith("A93AD2CAFFFFFFFFFFFFFFFF")
    assert srp.G == 2


def test_multiplier_k_is_hash_of_padded_n_and_g() -> None:
    assert srp.K == 0x538282C4354742D7CBBDE2359FCF67F9F5B3A6B08791E5011B43B8A5B66D9EE6
    assert srp.K == pyc.AWSSRP("u", "p", POOL_ID, CLIENT_ID, client=object()).val_k


def test_pool_name_is_the_pool_id_after_the_underscore() -> None:
    assert pool_name("us-east-1_AbC") == "AbC"
    assert pool_name(POOL_ID) == "F54j6m3T2"


# --- padHex ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "00"),
        (1, "01"),
        (0x7F, "7f"),
        (0x80, "0080"),
        (0xFF, "00ff"),
        (0xABC, "0abc"),
        (0x8ABC, "008abc"),
        (0x1234, "1234"),
        (0xFF00, "00ff00"),
        # the examples in AuthenticationHelper.js's padHex comment (two's complement for negatives)
        (-236, "ff14"),
        (20, "14"),
        (-200, "ff38"),
        (56, "38"),
        (-20, "ec"),
        (236, "00ec"),
        (-56, "c8"),
        (200, "00c8"),
        (-1, "ff"),
        (-128, "80"),
        (-129, "ff7f"),
        (-256, "ff00"),
        (-32768, "8000"),
    ],
)
def test_pad_hex_is_java_to_byte_array_in_hex(n: int, text: str) -> None:
    assert to_pad_hex(n) == text


def test_pad_hex_of_n_has_a_leading_zero_byte() -> None:
    assert to_pad_hex(srp.N) == "00" + pyc.N_HEX.lower()


@given(st.integers(min_value=0, max_value=1 << 3100))
def test_pad_hex_agrees_with_pycognito_for_numbers_and_for_its_own_hex(n: int) -> None:
    text = to_pad_hex(n)
    assert text == pyc.pad_hex(n) == pyc.pad_hex(text)


@given(st.integers(min_value=-(1 << 3100), max_value=1 << 3100))
def test_pad_hex_is_the_shortest_signed_big_endian_encoding(n: int) -> None:
    raw = bytes.fromhex(to_pad_hex(n))
    assert int.from_bytes(raw, "big", signed=True) == n
    assert len(raw) == (n if n >= 0 else -n - 1).bit_length() // 8 + 1


@pytest.mark.parametrize(
    ("salt", "text"),
    [
        (b"", "00"),  # zero-length salt: the number 0
        (b"\x00", "00"),
        (b"\x00\x00\x12\x34", "1234"),  # leading zero bytes are not part of the number
        (b"\x80" + b"\x00" * 15, "0080" + "00" * 15),  # high bit set: one 00 in front
        (bytes.fromhex("0f" * 16), "0f" * 16),
    ],
)
def test_salt_is_sent_as_the_pad_hex_of_its_number(salt: bytes, text: str) -> None:
    assert salt_hex(salt) == text
    assert pyc.pad_hex(text) == text  # a client that pads the SALT text hashes the same bytes


def test_parse_hex_reads_the_wire_and_refuses_anything_else() -> None:
    assert parse_hex("abc") == 0xABC
    assert parse_hex("00FF") == 0xFF
    assert parse_hex("f" * srp.MAX_HEX_DIGITS) == (1 << (4 * srp.MAX_HEX_DIGITS)) - 1
    for bad in ("", "0x12", "12g", " 12", "12 ", "-12", "１２", "f" * (srp.MAX_HEX_DIGITS + 1)):
        with pytest.raises(ValueError):
            parse_hex(bad)


# --- fixed vectors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("v", PYCOGNITO_VECTORS, ids=lambda v: v.username)
def test_fixed_vector_from_pycognito(v: Vector) -> None:
    salt = bytes.fromhex(v.salt)
    assert salt_hex(salt) == pyc.pad_hex(v.salt)
    assert pow(2, v.a, srp.N) == v.A
    assert compute_verifier(v.pool_id, v.username, v.password, salt) == v.verifier
    assert server_public(v.verifier, v.b) == v.B
    key = session_key(v.A, v.B, v.b, v.verifier)
    assert key.hex() == v.key
    assert parse_timestamp(v.timestamp) is not None
    signature = expected_signature(key, v.pool_id, v.username, v.secret_block, v.timestamp)
    assert base64.b64encode(signature).decode() == v.signature
    assert check_signature(key, v.pool_id, v.username, v.secret_block, v.timestamp, v.signature)
    assert not check_signature(key, v.pool_id, v.username + "x", v.secret_block, v.timestamp, v.signature)
    wrong = compute_verifier(v.pool_id, v.username, v.password + "!", salt)
    assert session_key(v.A, server_public(wrong, v.b), v.b, wrong).hex() != v.key


# --- end to end against pycognito's client ---------------------------------------------------------------


def pycognito_sign_in(
    *, pool_id: str, username: str, typed_password: str, salt: bytes, verifier: int
) -> tuple[bool, bytes, bytes]:
    """One USER_SRP_AUTH round: pycognito as the client, this module as Cognito. Returns whether the
    server accepts the signature, and the client's and the server's keys."""
    client = pyc.AWSSRP(username, typed_password, pool_id, CLIENT_ID, client=object())
    auth_parameters = client.get_auth_params()

    # InitiateAuth
    big_a = parse_hex(auth_parameters["SRP_A"])
    b, big_b = server_ephemeral(verifier)
    issued = datetime.now(UTC)
    block = seal_state(SrpState(pool_id, CLIENT_ID, username, big_a, b, big_b, issued), CIPHER)
    challenge = {
        "SALT": salt_hex(salt),
        "SRP_B": to_pad_hex(big_b),
        "SECRET_BLOCK": block,
        "USERNAME": username,
        "USER_ID_FOR_SRP": username,
    }

    # the client
    responses = client.process_challenge(challenge, auth_parameters)
    client_key = client.get_password_authentication_key(
        username, typed_password, parse_hex(challenge["SRP_B"]), challenge["SALT"]
    )

    # RespondToAuthChallenge
    state = open_state(responses["PASSWORD_CLAIM_SECRET_BLOCK"], CIPHER, now=issued, max_age=MAX_AGE)
    assert state is not None and state.username == responses["USERNAME"] == username
    when = parse_timestamp(responses["TIMESTAMP"])
    assert when is not None and abs(when - datetime.now(UTC)) < timedelta(minutes=1)
    server_key = session_key(state.A, state.B, state.b, verifier)
    accepted = check_signature(
        server_key,
        state.pool_id,
        state.username,
        responses["PASSWORD_CLAIM_SECRET_BLOCK"],
        format_timestamp(when),
        responses["PASSWORD_CLAIM_SIGNATURE"],
    )
    return accepted, client_key, server_key


@pytest.mark.parametrize(
    "salt",
    [
        bytes.fromhex("e1f2a3b4c5d6e7f8091a2b3c4d5e6f70"),  # high bit set
        bytes.fromhex("0012a3b4c5d6e7f8091a2b3c4d5e6f70"),  # leading zero byte: SALT is 30 hex digits
        bytes.fromhex("7f12a3b4c5d6e7f8091a2b3c4d5e6f70"),
    ],
)
def test_pycognito_signs_in_with_the_right_password(salt: bytes) -> None:
    verifier = compute_verifier(POOL_ID, "alice", "Correct horse 1!", salt)
    accepted, client_key, server_key = pycognito_sign_in(
        pool_id=POOL_ID, username="alice", typed_password="Correct horse 1!", salt=salt, verifier=verifier
    )
    assert accepted and client_key == server_key


def test_pycognito_is_refused_with_a_wrong_password() -> None:
    salt = srp.new_salt()
    verifier = compute_verifier(POOL_ID, "alice", "Correct horse 1!", salt)
    accepted, client_key, server_key = pycognito_sign_in(
        pool_id=POOL_ID, username="alice", typed_password="Correct horse 2!", salt=salt, verifier=verifier
    )
    assert not accepted and client_key != server_key


def test_pycognito_is_refused_when_the_verifier_belongs_to_another_pool() -> None:
    salt = srp.new_salt()
    verifier = compute_verifier("us-east-1_Other1234", "alice", "Correct horse 1!", salt)
    accepted, _, _ = pycognito_sign_in(
        pool_id=POOL_ID, username="alice", typed_password="Correct horse 1!", salt=salt, verifier=verifier
    )
    assert not accepted


@settings(max_examples=15, deadline=None)
@given(
    username=st.text(min_size=1, max_size=24),
    password=st.text(min_size=1, max_size=40),
    salt=st.binary(min_size=16, max_size=16),
)
def test_pycognito_and_server_agree_for_any_unicode_username_and_password(
    username: str, password: str, salt: bytes
) -> None:
    verifier = compute_verifier(POOL_ID, username, password, salt)
    accepted, client_key, server_key = pycognito_sign_in(
        pool_id=POOL_ID, username=username, typed_password=password, salt=salt, verifier=verifier
    )
    assert accepted and client_key == server_key


# --- g^e from the tables ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "e", [0, 1, 2, 255, 256, 1023, 1024, 2**250, 2**250 + 1023, 2**255, 2**256 - 1, 2**256, 2**300 + 12345, int("ab" * 32, 16), int("01" * 32, 16)]
)
def test_g_pow_is_python_pow_at_the_edges(e: int) -> None:
    assert srp.g_pow(e) == pow(2, e, srp.N)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2**256 + 2**20))
def test_g_pow_is_python_pow_for_any_exponent(e: int) -> None:
    assert srp.g_pow(e) == pow(2, e, srp.N)


# --- the server's ephemeral and the key ------------------------------------------------------------------


def test_server_ephemeral_is_fresh_256_bit_b_and_matching_b() -> None:
    verifier = compute_verifier(POOL_ID, "alice", "pw", b"\x01" * 16)
    b1, big_b1 = server_ephemeral(verifier)
    b2, big_b2 = server_ephemeral(verifier)
    assert b1 != b2 and big_b1 != big_b2
    for b, big_b in ((b1, big_b1), (b2, big_b2)):
        assert 0 < b < 1 << 256
        assert 0 < big_b < srp.N
        assert big_b == (srp.K * verifier + pow(2, b, srp.N)) % srp.N


@pytest.mark.parametrize("big_a", [0, srp.N, 2 * srp.N, -5])
def test_session_key_refuses_an_a_that_is_zero_modulo_n(big_a: int) -> None:
    verifier = compute_verifier(POOL_ID, "alice", "pw", b"\x01" * 16)
    b, big_b = server_ephemeral(verifier)
    with pytest.raises(ValueError):
        session_key(big_a, big_b, b, verifier)


def test_session_key_refuses_u_equal_to_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(srp, "_u", lambda big_a, big_b: 0)
    with pytest.raises(ValueError, match="u is zero"):
        session_key(2, 3, 5, 7)


# --- PASSWORD_CLAIM_SIGNATURE ----------------------------------------------------------------------------

KEY = bytes(range(16))
BLOCK = base64.b64encode(b"block").decode()
GOOD = base64.b64encode(
    expected_signature(KEY, POOL_ID, "alice", BLOCK, "Wed Jan 7 08:00:05 UTC 2026")
).decode()


@pytest.mark.parametrize(
    "change",
    [
        {"key": bytes(16)},
        {"pool_id": "us-east-1_F54j6m3T3"},
        {"user": "alicE"},
        {"block": base64.b64encode(b"blocK").decode()},
        {"timestamp": "Wed Jan 7 08:00:06 UTC 2026"},
        {"signature": GOOD[:-4] + "AAA="},
        {"signature": ""},
        {"signature": "not base64!"},
        {"signature": GOOD.replace("=", "")},
        {"signature": "é"},
        {"block": "%%%"},
        {"block": "é"},
        {"pool_id": "no-underscore"},
        {"user": "\ud800"},
    ],
)
def test_check_signature_is_false_for_anything_but_the_exact_signature(change: dict[str, Any]) -> None:
    args: dict[str, Any] = {
        "key": KEY,
        "pool_id": POOL_ID,
        "user": "alice",
        "block": BLOCK,
        "timestamp": "Wed Jan 7 08:00:05 UTC 2026",
        "signature": GOOD,
    }
    assert check_signature(*args.values())
    args.update(change)
    assert check_signature(*args.values()) is False


# --- TIMESTAMP -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 1, 7, 8, 0, 5, tzinfo=UTC), "Wed Jan 7 08:00:05 UTC 2026"),
        (datetime(2024, 9, 5, 7, 3, 9, tzinfo=UTC), "Thu Sep 5 07:03:09 UTC 2024"),
        (datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC), "Wed Dec 31 23:59:59 UTC 2025"),
        (datetime(2026, 3, 1, 0, 0, 0, tzinfo=UTC), "Sun Mar 1 00:00:00 UTC 2026"),
        (datetime(2026, 2, 10, 9, 5, 1, tzinfo=UTC), "Tue Feb 10 09:05:01 UTC 2026"),
    ],
)
def test_timestamp_is_date_helper_format_both_ways(moment: datetime, text: str) -> None:
    assert format_timestamp(moment) == text
    assert parse_timestamp(text) == moment


def test_timestamp_is_written_in_utc_whatever_the_zone() -> None:
    tokyo = dt.timezone(timedelta(hours=9))
    assert format_timestamp(datetime(2026, 1, 8, 1, 0, 5, tzinfo=tokyo)) == "Wed Jan 7 16:00:05 UTC 2026"
    with pytest.raises(ValueError):
        format_timestamp(datetime(2026, 1, 7, 8, 0, 5))


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31)))
def test_timestamp_matches_pycognito_and_round_trips(naive: datetime) -> None:
    moment = naive.replace(tzinfo=UTC)
    text = format_timestamp(moment)
    assert text == pyc.AWSSRP.get_cognito_formatted_timestamp(naive)
    assert parse_timestamp(text) == moment.replace(microsecond=0)


def test_zero_padded_day_or_wrong_weekday_parses_but_does_not_reformat_to_what_was_signed() -> None:
    # Cognito answers NotAuthorizedException for these, not InvalidParameterException
    for text in ("Thu Sep 05 07:03:09 UTC 2024", "Mon Sep 5 07:03:09 UTC 2024"):
        when = parse_timestamp(text)
        assert when == datetime(2024, 9, 5, 7, 3, 9, tzinfo=UTC)
        assert format_timestamp(when) != text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Thu Sep 5 07:03:09 GMT 2024",
        "Thursday Sep 5 07:03:09 UTC 2024",
        "Thu September 5 07:03:09 UTC 2024",
        "thu sep 5 07:03:09 UTC 2024",
        "Thu Sep 31 07:03:09 UTC 2024",
        "Thu Sep 5 24:03:09 UTC 2024",
        "Thu Sep 5 07:60:09 UTC 2024",
        "Thu Sep 5 07:03 UTC 2024",
        "Thu Sep 5 07:03:09 UTC 24",
        " Thu Sep 5 07:03:09 UTC 2024",
        "Thu Sep 5 07:03:09 UTC 2024\n",
        "Thu  Sep 5 07:03:09 UTC 2024",
        "2024-09-05T07:03:09Z",
        "Thu Sep ５ 07:03:09 UTC 2024",
    ],
)
def test_unparseable_timestamp_is_none(text: str) -> None:
    assert parse_timestamp(text) is None


# --- SECRET_BLOCK ----------------------------------------------------------------------------------------

STATE = SrpState(
    POOL_ID, CLIENT_ID, "alice", A=pow(2, 12345, srp.N), b=(1 << 255) + 7, B=srp.N - 2, issued_at=NOW
)


def test_secret_block_round_trips_as_standard_base64() -> None:
    block = seal_state(STATE, CIPHER)
    raw = base64.b64decode(block, validate=True)
    assert base64.b64encode(raw).decode() == block
    assert open_state(block, CIPHER, now=NOW, max_age=MAX_AGE) == STATE
    unicode_state = replace(STATE, username="ユーザー😀", issued_at=NOW + timedelta(microseconds=123))
    assert open_state(seal_state(unicode_state, CIPHER), CIPHER, now=NOW, max_age=MAX_AGE) == unicode_state


def test_secret_block_hides_b_and_differs_every_time() -> None:
    block = seal_state(STATE, CIPHER)
    raw = base64.b64decode(block)
    assert STATE.b.to_bytes(32, "big") not in raw and b"alice" not in raw
    assert seal_state(STATE, CIPHER) != block


def test_secret_block_expires_after_max_age() -> None:
    block = seal_state(STATE, CIPHER)
    assert open_state(block, CIPHER, now=NOW + MAX_AGE, max_age=MAX_AGE) == STATE
    assert open_state(block, CIPHER, now=NOW + MAX_AGE + timedelta(microseconds=1), max_age=MAX_AGE) is None
    assert open_state(block, CIPHER, now=NOW - MAX_AGE - timedelta(seconds=1), max_age=MAX_AGE) is None


def test_tampered_secret_block_is_none() -> None:
    raw = bytearray(base64.b64decode(seal_state(STATE, CIPHER)))
    for position in (0, 5, 20, len(raw) // 2, len(raw) - 1):
        changed = bytearray(raw)
        changed[position] ^= 0x01
        assert open_state(base64.b64encode(bytes(changed)).decode(), CIPHER, now=NOW, max_age=MAX_AGE) is None
    truncated = base64.b64encode(bytes(raw[:-1])).decode()
    assert open_state(truncated, CIPHER, now=NOW, max_age=MAX_AGE) is None


def test_secret_block_from_another_key_or_context_is_none() -> None:
    block = seal_state(STATE, CIPHER)
    assert open_state(block, DataKeyCipher(b"x" * 32), now=NOW, max_age=MAX_AGE) is None
    plain = CIPHER.decrypt(base64.b64decode(block), context=SECRET_BLOCK_CONTEXT)
    elsewhere = base64.b64encode(CIPHER.encrypt(plain, context=b"password-verifier")).decode()
    assert open_state(elsewhere, CIPHER, now=NOW, max_age=MAX_AGE) is None


@pytest.mark.parametrize(
    "block",
    [
        "",
        "!!!",
        "AAAA",
        "é",
        "\ud800",
        base64.urlsafe_b64encode(b"\xfb\xff" * 60).decode(),
        base64.b64encode(b"\x01" + b"\x00" * 40).decode(),
        "A" * 100_000,
    ],
)
def test_garbage_secret_block_is_none(block: str) -> None:
    assert open_state(block, CIPHER, now=NOW, max_age=MAX_AGE) is None


def test_well_sealed_but_malformed_state_is_none() -> None:
    for plain in (b"", b"\x02" + b"\x00" * 8, b"\x01" + b"\x00" * 8, b"\x01" + b"\x00" * 8 + b"\x00\x05ab"):
        block = base64.b64encode(CIPHER.encrypt(plain, context=SECRET_BLOCK_CONTEXT)).decode()
        assert open_state(block, CIPHER, now=NOW, max_age=MAX_AGE) is None


def test_secret_block_with_a_time_out_of_range_or_a_naive_now_is_none() -> None:
    plain = b"\x01" + (2**63 - 1).to_bytes(8, "big") + b"\x00\x00" * 6
    block = base64.b64encode(CIPHER.encrypt(plain, context=SECRET_BLOCK_CONTEXT)).decode()
    assert open_state(block, CIPHER, now=NOW, max_age=MAX_AGE) is None
    good = seal_state(STATE, CIPHER)
    assert open_state(good, CIPHER, now=NOW.replace(tzinfo=None), max_age=MAX_AGE) is None
    assert open_state(None, CIPHER, now=NOW, max_age=MAX_AGE) is None  # type: ignore[arg-type]


@given(st.text(max_size=200))
def test_open_state_never_raises_on_any_text(block: str) -> None:
    assert open_state(block, CIPHER, now=NOW, max_age=MAX_AGE) is None


@given(st.binary(max_size=300))
def test_open_state_never_raises_on_any_sealed_bytes(plain: bytes) -> None:
    block = base64.b64encode(CIPHER.encrypt(plain, context=SECRET_BLOCK_CONTEXT)).decode()
    open_state(block, CIPHER, now=NOW, max_age=timedelta.max)

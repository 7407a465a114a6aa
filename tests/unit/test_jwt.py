import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import jwt as pyjwt
import pytest

from userpools.crypto.datakey import DataKeyCipher, DataKeyError
from userpools.crypto.jwt import (
    BadSignature,
    ExpiredToken,
    MalformedToken,
    SigningKeys,
    UnknownKid,
    peek,
    sign,
    verify,
)
from userpools.crypto.keys import jwks_document, new_signing_key
from userpools.domain.records import SigningKeyRecord

NOW = datetime(2026, 1, 1, tzinfo=UTC)
POOL = "us-east-1_abcdefghi"


class CountingCipher(DataKeyCipher):
    def __init__(self, key: bytes) -> None:
        super().__init__(key)
        self.decrypts = 0

    def decrypt(self, ciphertext: bytes, *, context: bytes) -> bytes:
        self.decrypts += 1
        return super().decrypt(ciphertext, context=context)


@pytest.fixture(scope="module")
def cipher() -> CountingCipher:
    return CountingCipher(b"k" * 32)


@pytest.fixture(scope="module")
def records(cipher: DataKeyCipher) -> list[SigningKeyRecord]:
    return [new_signing_key(POOL, purpose, cipher, NOW) for purpose in ("id", "access")]


@pytest.fixture(scope="module")
def keys(records: list[SigningKeyRecord], cipher: DataKeyCipher) -> SigningKeys:
    return SigningKeys(records, cipher)


def segment(token: str, index: int) -> bytes:
    part = token.split(".")[index]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def signed(keys: SigningKeys, claims: dict, purpose: str = "access") -> str:
    kid, private = keys.for_purpose(purpose)
    return sign(claims, kid, private)


def test_header_is_kid_then_alg_exactly_as_cognito_writes_it(keys: SigningKeys) -> None:
    kid, _ = keys.for_purpose("id")
    token = signed(keys, {"sub": "x", "exp": 1}, "id")
    assert segment(token, 0) == b'{"kid":"' + kid.encode() + b'","alg":"RS256"}'


def test_payload_keeps_the_key_order_and_escapes_slashes_like_cognito(keys: SigningKeys) -> None:
    claims = {"sub": "s", "iss": "https://cognito-idp.us-east-1.amazonaws.com/p", "name": "Zoë", "exp": 5}
    raw = segment(signed(keys, claims), 1)
    assert raw.startswith(b'{"sub":"s","iss":"https:\\/\\/cognito-idp.us-east-1.amazonaws.com\\/p"')
    assert "Zoë".encode() in raw  # UTF-8, not \u escapes
    assert json.loads(raw) == claims and list(json.loads(raw)) == list(claims)


def test_tokens_verify_with_pyjwt_against_the_published_jwks(
    keys: SigningKeys, records: list[SigningKeyRecord]
) -> None:
    jwks = {k["kid"]: pyjwt.PyJWK(k) for k in jwks_document(records)["keys"]}
    exp = int(NOW.timestamp()) + 60
    for purpose in ("id", "access"):
        token = signed(keys, {"sub": "s", "exp": exp}, purpose)
        header = pyjwt.get_unverified_header(token)
        claims = pyjwt.decode(token, jwks[header["kid"]], algorithms=["RS256"], options={"verify_exp": False})
        assert claims == {"sub": "s", "exp": exp}


def test_each_purpose_signs_with_its_own_kid_and_public_keys_are_found_by_kid(keys: SigningKeys) -> None:
    id_kid, id_key = keys.for_purpose("id")
    access_kid, access_key = keys.for_purpose("access")
    assert id_kid != access_kid
    assert keys.public_by_kid(id_kid).public_numbers() == id_key.public_key().public_numbers()
    assert keys.public_by_kid(access_kid).public_numbers() == access_key.public_key().public_numbers()
    assert keys.public_by_kid("nope") is None
    assert keys.purpose_of(id_kid) == "id" and keys.purpose_of(access_kid) == "access"


def test_the_newest_active_key_signs_and_retired_keys_still_verify(cipher: DataKeyCipher) -> None:
    old = new_signing_key(POOL, "access", cipher, NOW)
    new = new_signing_key(POOL, "access", cipher, NOW + timedelta(days=1))
    retired = replace(new_signing_key(POOL, "access", cipher, NOW + timedelta(days=2)), active=False)
    keys = SigningKeys([retired, new, old], cipher)
    assert keys.for_purpose("access")[0] == new.kid
    old_token = sign(
        {"exp": int(NOW.timestamp()) + 60}, old.kid, SigningKeys([old], cipher).for_purpose("access")[1]
    )
    assert verify(old_token, keys, now=NOW)["exp"] > 0
    assert keys.public_by_kid(retired.kid) is not None
    with pytest.raises(LookupError):
        keys.for_purpose("id")


def test_private_keys_are_decrypted_once_per_key(records: list[SigningKeyRecord]) -> None:
    counting = CountingCipher(b"c" * 32)
    fresh = [new_signing_key(POOL, "id", counting, NOW)]
    for _ in range(5):
        SigningKeys(fresh, counting).for_purpose("id")
    assert counting.decrypts == 1


def test_another_deployments_data_key_cannot_load_the_private_key(records: list[SigningKeyRecord]) -> None:
    with pytest.raises(DataKeyError):
        SigningKeys(records, DataKeyCipher(b"x" * 32)).for_purpose("id")


def test_verify_returns_the_claims_and_honours_expiry_and_leeway(keys: SigningKeys) -> None:
    exp = int(NOW.timestamp()) + 60
    token = signed(keys, {"sub": "s", "exp": exp})
    assert verify(token, keys, now=NOW) == {"sub": "s", "exp": exp}
    with pytest.raises(ExpiredToken):
        verify(token, keys, now=NOW + timedelta(seconds=60))
    assert verify(token, keys, now=NOW + timedelta(seconds=60), leeway=1)["sub"] == "s"


def test_verify_refuses_unknown_kids_and_foreign_keys(keys: SigningKeys, cipher: DataKeyCipher) -> None:
    exp = int(NOW.timestamp()) + 60
    foreign = SigningKeys([new_signing_key(POOL, "access", cipher, NOW)], cipher)
    with pytest.raises(UnknownKid):
        verify(signed(foreign, {"exp": exp}), keys, now=NOW)
    # a foreign key presenting one of our kids
    kid, _ = keys.for_purpose("access")
    with pytest.raises(BadSignature):
        verify(sign({"exp": exp}, kid, foreign.for_purpose("access")[1]), keys, now=NOW)


def test_verify_refuses_tampered_tokens(keys: SigningKeys) -> None:
    token = signed(keys, {"sub": "alice", "exp": int(NOW.timestamp()) + 60})
    header, payload, signature = token.split(".")
    forged = base64.urlsafe_b64encode(segment(token, 1).replace(b"alice", b"admin")).rstrip(b"=").decode()
    with pytest.raises(BadSignature):
        verify(f"{header}.{forged}.{signature}", keys, now=NOW)
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    with pytest.raises(BadSignature):
        verify(f"{header}.{payload}.{flipped}", keys, now=NOW)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!.??.**",
        "eyJ.eyJ.sig",
        base64.urlsafe_b64encode(b"[1]").decode() + ".e30.x",
    ],
)
def test_verify_refuses_malformed_tokens(keys: SigningKeys, token: str) -> None:
    with pytest.raises(MalformedToken):
        verify(token, keys, now=NOW)


def test_verify_refuses_other_algorithms_and_missing_exp(keys: SigningKeys) -> None:
    kid, _ = keys.for_purpose("access")
    unsigned = pyjwt.encode({"exp": 9999999999}, None, algorithm="none", headers={"kid": kid})
    with pytest.raises(MalformedToken):
        verify(unsigned, keys, now=NOW)
    hs256 = pyjwt.encode({"exp": 9999999999}, "k" * 32, algorithm="HS256", headers={"kid": kid})
    with pytest.raises(MalformedToken):
        verify(hs256, keys, now=NOW)
    with pytest.raises(MalformedToken):
        verify(signed(keys, {"sub": "no exp"}), keys, now=NOW)
    with pytest.raises(MalformedToken):
        verify(signed(keys, {"exp": "soon"}), keys, now=NOW)


def test_peek_reads_header_and_claims_without_verifying(keys: SigningKeys) -> None:
    header, claims = peek(signed(keys, {"iss": "x/y", "exp": 1}))
    assert header["alg"] == "RS256" and claims == {"iss": "x/y", "exp": 1}
    with pytest.raises(MalformedToken):
        peek("not-a-token")


def test_a_deferred_token_is_signed_once_when_first_turned_into_text(keys: SigningKeys) -> None:
    from userpools.crypto.jwt import DeferredToken
    from userpools.protocol.json11 import dumps

    kid, key = keys.for_purpose("access")
    claims = {"sub": "s", "exp": 4_000_000_000}
    deferred = DeferredToken(claims, kid, key)
    assert "signed=False" in repr(deferred)
    text = str(deferred)
    assert text == sign(claims, kid, key)  # RS256 PKCS#1 v1.5 is deterministic
    assert str(deferred) is text and "signed=True" in repr(deferred)
    assert json.loads(dumps({"AccessToken": DeferredToken(claims, kid, key)})) == {"AccessToken": text}
    assert verify(text, keys, now=datetime(2026, 1, 1, tzinfo=UTC))["sub"] == "s"


def test_a_signer_signs_the_tokens_made_in_its_block_on_its_own_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    import threading

    from cryptography.hazmat.primitives.asymmetric import rsa

    from userpools.crypto import jwt as ours

    threads: list[str] = []
    original = ours.rsa_signatures

    def recording(work: tuple) -> list[bytes]:  # type: ignore[type-arg]
        threads.append(threading.current_thread().name)
        return original(work)

    monkeypatch.setattr(ours, "rsa_signatures", recording)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    async def body() -> tuple[list[ours.DeferredToken], ours.DeferredToken]:
        signer = ours.Signer(1)
        try:
            with ours.collecting() as made:
                tokens = [ours.DeferredToken({"n": n, "sub": "a/b"}, "kid-1", key) for n in range(3)]
            outside = ours.DeferredToken({"n": 9}, "kid-1", key)  # made outside a collecting block
            assert made == tokens
            await signer.sign(made)
            return tokens, outside
        finally:
            signer.close()

    tokens, outside = asyncio.run(body())
    assert threads and all(name.startswith("userpools-rs256") for name in threads)
    for n, token in enumerate(tokens):
        assert "signed=True" in repr(token)  # before anything turned it into text
        text = str(token)
        assert text == ours.sign({"n": n, "sub": "a/b"}, "kid-1", key)  # RSA PKCS#1 v1.5 is deterministic
        assert pyjwt.decode(text, key.public_key(), algorithms=["RS256"]) == {"n": n, "sub": "a/b"}
    assert "signed=False" in repr(outside) and pyjwt.decode(str(outside), key.public_key(), algorithms=["RS256"])
    assert len(threads) == 1  # one hop for the whole block


def test_a_token_completed_from_another_is_signed_after_it_and_carries_its_claim() -> None:
    """DeferredToken's ``after``: an ID token's at_hash is made from the access token's text, which is signed
    first, on the loop (``str``) and on the Signer's threads alike."""
    import asyncio
    import hashlib

    from cryptography.hazmat.primitives.asymmetric import rsa

    from userpools.crypto.jwt import DeferredToken, Signer, collecting, peek
    from userpools.ids import b64url

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def fill(claims: dict[str, object], text: str) -> None:
        claims["at_hash"] = b64url(hashlib.sha256(text.encode()).digest()[:16]).decode()

    def pair() -> tuple[DeferredToken, DeferredToken]:
        access = DeferredToken({"token_use": "access"}, "k1", key)
        return access, DeferredToken({"at_hash": "", "token_use": "id"}, "k2", key, after=(access, fill))

    access, id_token = pair()
    id_text = str(id_token)  # signs the access token first
    assert list(peek(id_text)[1]) == ["at_hash", "token_use"]
    assert peek(id_text)[1]["at_hash"] == b64url(hashlib.sha256(str(access).encode()).digest()[:16]).decode()

    async def on_threads() -> tuple[str, str]:
        signer = Signer(2)
        try:
            with collecting() as made:
                access, id_token = pair()
            await signer.sign(made)
            assert access._text is not None and id_token._text is not None  # both signed by the Signer
            return str(access), str(id_token)
        finally:
            signer.close()

    access_text, id_text = asyncio.run(on_threads())
    assert peek(id_text)[1]["at_hash"] == b64url(hashlib.sha256(access_text.encode()).digest()[:16]).decode()

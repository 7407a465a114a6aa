import base64
import json
import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt as pyjwt
import pytest

from userpools.crypto.datakey import DataKeyCipher
from userpools.crypto.jwt import SigningKeys, sign
from userpools.crypto.keys import jwks_document, new_signing_key
from userpools.domain import tokens
from userpools.domain.records import ClientRecord, SigningKeyRecord, UserRecord
from userpools.domain.tokens import (
    ACCESS_TOKEN_EXPIRED,
    ACCESS_TOKEN_REVOKED,
    ACCESS_TOKEN_SCOPES,
    INVALID_ACCESS_TOKEN,
    Issued,
    cognito_order,
    issue_tokens,
    issuer,
    open_refresh_token,
    open_session,
    seal_refresh_token,
    seal_session,
    verify_access_token,
)
from userpools.errors import NotAuthorizedException

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
SIGNED_IN = NOW - timedelta(hours=2)
POOL = "eu-west-1_abcdefghi"
CLIENT_ID = "5hu48rd3mbfvr3t6d6r2rchapm"
ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/" + POOL
SUB = "893a75fc-60f1-7096-5bbb-f43e009f2b3b"
JWE_HEADER = (
    "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ"  # Cognito's refresh-token header
)
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9-_=.]+")  # TokenModelType


@pytest.fixture(scope="module")
def cipher() -> DataKeyCipher:
    return DataKeyCipher(b"k" * 32)


@pytest.fixture(scope="module")
def records(cipher: DataKeyCipher) -> list[SigningKeyRecord]:
    return [new_signing_key(POOL, purpose, cipher, NOW) for purpose in ("id", "access")]


@pytest.fixture(scope="module")
def keys(records: list[SigningKeyRecord], cipher: DataKeyCipher) -> SigningKeys:
    return SigningKeys(records, cipher)


def a_client(**settings: Any) -> ClientRecord:
    return ClientRecord(
        id=CLIENT_ID, pool_id=POOL, name="app", created_at=NOW, updated_at=NOW, settings=settings
    )


def a_user(**attributes: str) -> UserRecord:
    return UserRecord(
        pool_id=POOL,
        username=SUB,
        username_key=SUB,
        sub=SUB,
        status="CONFIRMED",
        enabled=True,
        created_at=NOW,
        updated_at=NOW,
        attributes=attributes,
    )


USER = a_user(
    email="jane@example.com",
    email_verified="true",
    phone_number="+14325551212",
    phone_number_verified="false",
    name="Jane Doe",
)


def issue(
    keys: SigningKeys,
    cipher: DataKeyCipher,
    *,
    client: ClientRecord | None = None,
    user: UserRecord = USER,
    groups: list[str] | None = None,
    readable: set[str] | None = None,
    with_refresh: bool = True,
    refresh_expires_at: datetime | None = None,
) -> Issued:
    return issue_tokens(
        pool_id=POOL,
        client=client or a_client(),
        user=user,
        groups=groups or [],
        keys=keys,
        now=NOW,
        auth_time=SIGNED_IN,
        origin_jti="5cf9ab1e-47cd-436e-969f-fe9d17a818ca",
        issuer=ISSUER,
        readable_attributes=readable,
        with_refresh=with_refresh,
        refresh_expires_at=refresh_expires_at,
        cipher=cipher,
    )


def decode(token: str, records: list[SigningKeyRecord]) -> dict[str, Any]:
    """What any JWT library does with our JWKS: find the key by kid, check RS256, read the claims."""
    jwks = {k["kid"]: pyjwt.PyJWK(k) for k in jwks_document(records)["keys"]}
    kid = pyjwt.get_unverified_header(token)["kid"]
    return pyjwt.decode(
        token, jwks[kid], algorithms=["RS256"], options={"verify_exp": False, "verify_aud": False}
    )


def keys_in_order(token: str) -> list[str]:
    part = token.split(".")[1]
    return list(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


# --- issuer -------------------------------------------------------------------------------------------


def test_issuer_is_the_servers_url_or_aws_form_with_the_pools_own_region() -> None:
    assert issuer(POOL, public_url="http://localhost:9229/", aws_style=False, region="us-east-1") == (
        "http://localhost:9229/" + POOL
    )
    # aws-jwt-verify derives the region from the pool id, so the pool id's prefix wins
    assert issuer(POOL, public_url="x", aws_style=True, region="us-east-1") == ISSUER
    assert issuer("us-gov-west-1_abc", public_url="x", aws_style=True, region="x") == (
        "https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_abc"
    )
    assert issuer("local_abc", public_url="x", aws_style=True, region="ap-south-1") == (
        "https://cognito-idp.ap-south-1.amazonaws.com/local_abc"
    )


# --- issued tokens ------------------------------------------------------------------------------------


def test_tokens_verify_with_the_jwks_and_each_type_has_its_own_kid(
    keys: SigningKeys, cipher: DataKeyCipher, records: list[SigningKeyRecord]
) -> None:
    out = issue(keys, cipher)
    id_kid = pyjwt.get_unverified_header(out.id_token)["kid"]
    access_kid = pyjwt.get_unverified_header(out.access_token)["kid"]
    assert id_kid != access_kid
    assert (id_kid, access_kid) == (keys.for_purpose("id")[0], keys.for_purpose("access")[0])
    assert decode(out.id_token, records)["token_use"] == "id"
    assert decode(out.access_token, records)["token_use"] == "access"
    assert out.expires_in == 3600
    for token in (out.id_token, out.access_token, out.refresh_token):
        assert TOKEN_PATTERN.fullmatch(token)


def test_id_token_claims_and_types(
    keys: SigningKeys, cipher: DataKeyCipher, records: list[SigningKeyRecord]
) -> None:
    claims = decode(issue(keys, cipher).id_token, records)
    iat = int(NOW.timestamp())
    assert claims == {
        "sub": SUB,
        "email_verified": True,
        "iss": ISSUER,
        "phone_number_verified": False,
        "cognito:username": SUB,
        "origin_jti": "5cf9ab1e-47cd-436e-969f-fe9d17a818ca",
        "aud": CLIENT_ID,
        "event_id": claims["event_id"],
        "token_use": "id",
        "auth_time": int(SIGNED_IN.timestamp()),
        "name": "Jane Doe",
        "phone_number": "+14325551212",
        "exp": iat + 3600,
        "iat": iat,
        "jti": claims["jti"],
        "email": "jane@example.com",
    }
    assert uuid.UUID(claims["event_id"]) and uuid.UUID(claims["jti"])
    assert "cognito:groups" not in claims and "client_id" not in claims and "scope" not in claims


def test_id_token_claims_come_in_cognitos_order(keys: SigningKeys, cipher: DataKeyCipher) -> None:
    # the key order of a real 2025 Cognito ID token for a user with exactly these attributes
    assert keys_in_order(issue(keys, cipher).id_token) == [
        "sub", "email_verified", "iss", "phone_number_verified", "cognito:username", "origin_jti", "aud",
        "event_id", "token_use", "auth_time", "name", "phone_number", "exp", "iat", "jti", "email",
    ]  # fmt: skip


def test_access_token_claims_types_and_order(
    keys: SigningKeys, cipher: DataKeyCipher, records: list[SigningKeyRecord]
) -> None:
    out = issue(keys, cipher)
    claims = decode(out.access_token, records)
    id_claims = decode(out.id_token, records)
    iat = int(NOW.timestamp())
    assert keys_in_order(out.access_token) == [
        "sub", "iss", "client_id", "origin_jti", "event_id", "token_use", "scope", "auth_time", "exp", "iat",
        "jti", "username",
    ]  # fmt: skip
    assert claims["client_id"] == CLIENT_ID and "aud" not in claims
    assert claims["scope"] == "aws.cognito.signin.user.admin"
    assert claims["username"] == SUB and claims["sub"] == SUB and claims["iss"] == ISSUER
    assert (claims["iat"], claims["exp"], claims["auth_time"]) == (
        iat,
        iat + 3600,
        int(SIGNED_IN.timestamp()),
    )
    # one sign-in event: shared event_id and origin_jti, distinct jti
    assert claims["event_id"] == id_claims["event_id"] and claims["origin_jti"] == id_claims["origin_jti"]
    assert claims["jti"] != id_claims["jti"]
    assert "email" not in claims


def test_groups_appear_in_both_tokens_only_when_the_user_has_some(
    keys: SigningKeys, cipher: DataKeyCipher, records: list[SigningKeyRecord]
) -> None:
    out = issue(keys, cipher, groups=["admins", "Developer"])
    assert decode(out.id_token, records)["cognito:groups"] == ["admins", "Developer"]
    assert decode(out.access_token, records)["cognito:groups"] == ["admins", "Developer"]
    assert keys_in_order(out.access_token)[:4] == ["sub", "cognito:groups", "iss", "client_id"]  # real order
    assert keys_in_order(out.id_token)[:3] == ["sub", "cognito:groups", "email_verified"]
    plain = issue(keys, cipher, groups=[])
    assert "cognito:groups" not in decode(plain.id_token, records)
    assert "cognito:groups" not in decode(plain.access_token, records)


def test_attribute_claims_keep_cognitos_json_types(
    keys: SigningKeys, cipher: DataKeyCipher, records: list[SigningKeyRecord]
) -> None:
    user = a_user(
        address="1 Main St",
        updated_at="1700000000",
        **{"custom:tier": "3", "custom:admin": "true", "email_verified": "True"},
    )
    claims = decode(issue(keys, cipher, user=user).id_token, records)
    assert claims["address"] == {"formatted": "1 Main St"}
    assert claims["updated_at"] == 1700000000
    assert claims["custom:tier"] == "3" and claims["custom:admin"] == "true"  # custom attributes: strings
    assert claims["email_verified"] is True
    assert "phone_number_verified" not in claims  # only the flags the user has


def test_read_attributes_filter_the_id_token_and_sub_is_never_doubled(
    keys: SigningKeys, cipher: DataKeyCipher, records: list[SigningKeyRecord]
) -> None:
    user = replace(USER, attributes={**USER.attributes, "sub": "spoofed", "custom:role": "x", "iss": "evil"})
    everything = decode(issue(keys, cipher, user=user).id_token, records)
    assert everything["sub"] == SUB and everything["iss"] == ISSUER and everything["custom:role"] == "x"
    assert keys_in_order(issue(keys, cipher, user=user).id_token).count("sub") == 1
    some = decode(issue(keys, cipher, user=user, readable={"email", "custom:role", "sub"}).id_token, records)
    attributes = set(some) - set(decode(issue(keys, cipher, user=a_user(), readable=set()).id_token, records))
    assert attributes == {"email", "custom:role"}
    assert "email_verified" not in some and "name" not in some


@pytest.mark.parametrize(
    ("settings", "access", "id_", "refresh"),
    [
        ({}, 3600, 3600, 30 * 86400),
        (
            {"AccessTokenValidity": 5, "IdTokenValidity": 10, "RefreshTokenValidity": 60,
             "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "minutes"}},
            300, 600, 3600,
        ),
        (
            {"AccessTokenValidity": 900, "IdTokenValidity": 3600, "RefreshTokenValidity": 7200,
             "TokenValidityUnits": {"AccessToken": "seconds", "IdToken": "seconds", "RefreshToken": "seconds"}},
            900, 3600, 7200,
        ),
        ({"AccessTokenValidity": 2, "IdTokenValidity": 24, "RefreshTokenValidity": 2}, 7200, 86400, 2 * 86400),
        (
            {"AccessTokenValidity": 1, "IdTokenValidity": 1, "RefreshTokenValidity": 3650,
             "TokenValidityUnits": {"AccessToken": "days", "IdToken": "days", "RefreshToken": "days"}},
            86400, 86400, 3650 * 86400,
        ),
    ],
)  # fmt: skip
def test_lifetimes_follow_the_clients_validities_in_every_unit(
    keys: SigningKeys,
    cipher: DataKeyCipher,
    records: list[SigningKeyRecord],
    settings: dict[str, Any],
    access: int,
    id_: int,
    refresh: int,
) -> None:
    out = issue(keys, cipher, client=a_client(**settings))
    iat = int(NOW.timestamp())
    assert out.expires_in == access
    assert decode(out.access_token, records)["exp"] == iat + access
    assert decode(out.id_token, records)["exp"] == iat + id_
    opened = open_refresh_token(out.refresh_token, cipher, NOW)
    assert opened is not None and opened.expires_at == NOW + timedelta(seconds=refresh)


def test_refresh_token_is_optional_and_can_share_the_sessions_expiry(
    keys: SigningKeys, cipher: DataKeyCipher
) -> None:
    assert issue(keys, cipher, with_refresh=False).refresh_token is None
    until = NOW + timedelta(days=3)
    out = issue(keys, cipher, refresh_expires_at=until)
    opened = open_refresh_token(out.refresh_token, cipher, NOW)
    assert opened is not None and opened.expires_at == until


def test_claim_order_reproduces_real_cognito_tokens() -> None:
    """Key orders of real tokens (2019–2025): ID and access, with groups, revocation, OAuth and custom claims.
    Keys are inserted in the order the tokens module builds them; only the hash order may rearrange them."""
    insertion = [
        "sub", "cognito:groups", "email_verified", "phone_number_verified", "iss", "cognito:username",
        "version", "client_id", "origin_jti", "aud", "event_id", "token_use", "scope", "auth_time", "exp", "iat",
        "jti", "username", "given_name", "birthdate", "name", "phone_number", "family_name", "custom:user_id", "email",
    ]  # fmt: skip
    id_tokens = [
        ["sub", "email_verified", "iss", "cognito:username", "origin_jti", "aud", "event_id", "token_use",
         "auth_time", "exp", "iat", "jti", "email"],
        ["sub", "email_verified", "birthdate", "iss", "cognito:username", "origin_jti", "aud", "event_id",
         "token_use", "auth_time", "exp", "iat", "jti", "email"],
        ["sub", "email_verified", "iss", "cognito:username", "given_name", "aud", "event_id", "token_use",
         "auth_time", "exp", "iat", "family_name", "email"],
        ["sub", "email_verified", "iss", "phone_number_verified", "cognito:username", "aud", "event_id",
         "token_use", "auth_time", "name", "phone_number", "exp", "iat", "email"],
        # twelve claims or fewer: Java's default table of 16 buckets
        ["sub", "aud", "email_verified", "event_id", "token_use", "auth_time", "iss", "custom:user_id",
         "cognito:username", "exp", "iat", "email"],
    ]  # fmt: skip
    access_tokens = [
        ["sub", "iss", "client_id", "origin_jti", "event_id", "token_use", "scope", "auth_time", "exp", "iat",
         "jti", "username"],
        ["sub", "cognito:groups", "iss", "client_id", "origin_jti", "event_id", "token_use", "scope",
         "auth_time", "exp", "iat", "jti", "username"],
        ["sub", "cognito:groups", "iss", "version", "client_id", "origin_jti", "event_id", "token_use",
         "scope", "auth_time", "exp", "iat", "jti", "username"],
    ]  # fmt: skip
    for observed, buckets in [(o, 16) for o in id_tokens] + [(o, 32) for o in access_tokens]:
        built = {name: 0 for name in insertion if name in observed}
        assert list(cognito_order(built, buckets=buckets)) == observed


def test_a_small_id_token_uses_the_default_table(
    keys: SigningKeys, cipher: DataKeyCipher, records: list[SigningKeyRecord]
) -> None:
    # a real 2022 ID token with twelve claims starts the same way: origin_jti, (custom:tenantId,) sub, aud, …
    token = issue(keys, cipher, user=a_user(email="a@example.com")).id_token
    assert keys_in_order(token) == [
        "origin_jti", "sub", "aud", "event_id", "token_use", "auth_time", "iss", "cognito:username", "exp",
        "iat", "jti", "email",
    ]  # fmt: skip


# --- the access-token check ---------------------------------------------------------------------------


def check(token: str, keys: SigningKeys, **kwargs: Any) -> dict[str, Any]:
    return verify_access_token(token, keys_for_pool={POOL: keys}.get, now=kwargs.pop("now", NOW), **kwargs)


def refused(token: str, keys: SigningKeys, **kwargs: Any) -> str:
    with pytest.raises(NotAuthorizedException) as caught:
        check(token, keys, **kwargs)
    return caught.value.message


def test_a_valid_access_token_gives_its_claims(keys: SigningKeys, cipher: DataKeyCipher) -> None:
    claims = check(issue(keys, cipher).access_token, keys)
    assert claims["username"] == SUB and claims["origin_jti"] == "5cf9ab1e-47cd-436e-969f-fe9d17a818ca"
    # the issuer may be the server's own URL: the pool id is its last segment
    own = issue_tokens(
        pool_id=POOL, client=a_client(), user=USER, groups=[], keys=keys, now=NOW, auth_time=NOW,
        origin_jti="o", issuer="http://localhost:9229/" + POOL, readable_attributes=None, with_refresh=False,
        refresh_expires_at=None, cipher=cipher,
    )  # fmt: skip
    assert check(own.access_token, keys)["iss"] == "http://localhost:9229/" + POOL


def test_an_expired_access_token_is_refused_with_cognitos_message(
    keys: SigningKeys, cipher: DataKeyCipher
) -> None:
    token = issue(keys, cipher).access_token
    assert check(token, keys, now=NOW + timedelta(seconds=3599))
    assert refused(token, keys, now=NOW + timedelta(seconds=3600)) == "Access Token has expired"
    assert ACCESS_TOKEN_EXPIRED == "Access Token has expired"


def test_tampered_foreign_and_wrong_type_tokens_are_invalid(keys: SigningKeys, cipher: DataKeyCipher) -> None:
    out = issue(keys, cipher)
    header, payload, signature = out.access_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = (
        base64.urlsafe_b64encode(json.dumps({**claims, "username": "admin"}).encode()).rstrip(b"=").decode()
    )
    foreign = SigningKeys([new_signing_key(POOL, "access", cipher, NOW)], cipher)
    kid, key = foreign.for_purpose("access")
    for token in (
        f"{header}.{forged}.{signature}",  # tampered claims
        sign(claims, kid, key),  # another pool's key, our issuer
        sign(claims, keys.for_purpose("access")[0], key),  # another key under our kid
        out.id_token,  # an ID token is not an access token
        "garbage",
        "a.b.c",
        "",
    ):
        assert refused(token, keys) == INVALID_ACCESS_TOKEN == "Invalid Access Token"


def test_an_unknown_pool_makes_the_token_invalid(keys: SigningKeys, cipher: DataKeyCipher) -> None:
    token = issue(keys, cipher).access_token
    with pytest.raises(NotAuthorizedException, match="^Invalid Access Token$"):
        verify_access_token(token, keys_for_pool=lambda pool_id: None, now=NOW)


def test_scope_is_required_unless_the_caller_asks_for_another(keys: SigningKeys) -> None:
    kid, key = keys.for_purpose("access")
    exp = int(NOW.timestamp()) + 60
    oauth = sign(
        {"sub": SUB, "iss": ISSUER, "client_id": CLIENT_ID, "token_use": "access", "scope": "openid email",
         "exp": exp, "iat": exp - 60, "username": SUB},
        kid, key,
    )  # fmt: skip
    assert refused(oauth, keys) == ACCESS_TOKEN_SCOPES == "Access Token does not have required scopes"
    assert check(oauth, keys, required_scope="openid")["scope"] == "openid email"
    assert check(oauth, keys, required_scope=None)["username"] == SUB


def test_the_revoked_message_is_cognitos() -> None:
    assert ACCESS_TOKEN_REVOKED == "Access Token has been revoked"


# --- refresh tokens -----------------------------------------------------------------------------------


def sealed_refresh(cipher: DataKeyCipher, expires_at: datetime = NOW + timedelta(days=30)) -> str:
    return seal_refresh_token(
        pool_id=POOL,
        client_id=CLIENT_ID,
        username_key="jane",
        origin_jti="oj",
        auth_time=SIGNED_IN,
        issued_at=NOW,
        expires_at=expires_at,
        cipher=cipher,
    )


def test_refresh_token_is_jwe_shaped_and_round_trips(cipher: DataKeyCipher) -> None:
    token = sealed_refresh(cipher)
    parts = token.split(".")
    assert len(parts) == 5 and parts[0] == JWE_HEADER and all(parts)
    assert TOKEN_PATTERN.fullmatch(token)
    assert "jane" not in token and b"jane" not in base64.urlsafe_b64decode(parts[3] + "==")
    opened = open_refresh_token(token, cipher, NOW)
    assert opened == tokens.RefreshClaims(
        pool_id=POOL,
        client_id=CLIENT_ID,
        username_key="jane",
        origin_jti="oj",
        auth_time=SIGNED_IN,
        issued_at=NOW,
        expires_at=NOW + timedelta(days=30),
    )
    assert sealed_refresh(cipher) != token  # a fresh nonce each time


def test_refresh_token_expires(cipher: DataKeyCipher) -> None:
    token = sealed_refresh(cipher, NOW + timedelta(hours=1))
    assert open_refresh_token(token, cipher, NOW + timedelta(minutes=59)) is not None
    assert open_refresh_token(token, cipher, NOW + timedelta(hours=1)) is None


def test_tampered_or_foreign_refresh_tokens_do_not_open(cipher: DataKeyCipher) -> None:
    token = sealed_refresh(cipher)
    parts = token.split(".")
    for index in range(1, 5):
        changed = list(parts)
        raw = bytearray(base64.urlsafe_b64decode(parts[index] + "=" * (-len(parts[index]) % 4)))
        raw[0] ^= 1
        changed[index] = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
        assert open_refresh_token(".".join(changed), cipher, NOW) is None
    other_header = base64.urlsafe_b64encode(b'{"alg":"dir","enc":"A256GCM"}').rstrip(b"=").decode()
    assert open_refresh_token(".".join([other_header, *parts[1:]]), cipher, NOW) is None
    assert open_refresh_token(token, DataKeyCipher(b"x" * 32), NOW) is None  # another deployment
    assert open_refresh_token(".".join(parts[:4]), cipher, NOW) is None
    for garbage in ("", "a.b.c.d.e", JWE_HEADER + ".!.!.!.!", a_session(cipher)):
        assert open_refresh_token(garbage, cipher, NOW) is None


# --- challenge sessions -------------------------------------------------------------------------------


def a_session(cipher: DataKeyCipher, **overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "pool_id": POOL,
        "client_id": CLIENT_ID,
        "username": "jane",
        "challenge_name": "NEW_PASSWORD_REQUIRED",
        "now": NOW,
        "validity_minutes": 3,
        "cipher": cipher,
    }
    return seal_session(**{**arguments, **overrides})


def test_session_round_trips_within_sessiontype_bounds(cipher: DataKeyCipher) -> None:
    session = a_session(cipher, data={"attempt": 1})
    assert 20 <= len(session) <= 4096
    opened = open_session(session, cipher=cipher, now=NOW)
    assert opened is not None
    assert (opened.pool_id, opened.client_id, opened.username, opened.challenge_name) == (
        POOL,
        CLIENT_ID,
        "jane",
        "NEW_PASSWORD_REQUIRED",
    )
    assert (opened.issued_at, opened.expires_at, opened.data) == (
        NOW,
        NOW + timedelta(minutes=3),
        {"attempt": 1},
    )
    again = open_session(a_session(cipher), cipher=cipher, now=NOW)
    assert again is not None and again.nonce != opened.nonce and again.data == {}


def test_session_expires_after_the_clients_auth_session_validity(cipher: DataKeyCipher) -> None:
    session = a_session(cipher, validity_minutes=15)
    assert open_session(session, cipher=cipher, now=NOW + timedelta(minutes=14, seconds=59)) is not None
    assert open_session(session, cipher=cipher, now=NOW + timedelta(minutes=15)) is None


def test_tampered_foreign_or_malformed_sessions_do_not_open(cipher: DataKeyCipher) -> None:
    session = a_session(cipher)
    middle = len(session) // 2
    flipped = session[:middle] + ("A" if session[middle] != "A" else "B") + session[middle + 1 :]
    assert open_session(flipped, cipher=cipher, now=NOW) is None
    assert open_session(session, cipher=DataKeyCipher(b"x" * 32), now=NOW) is None
    for garbage in ("", "short", "x" * 5000, "!" * 100, "A" * 100, sealed_refresh(cipher)):
        assert open_session(garbage, cipher=cipher, now=NOW) is None


def test_a_session_too_large_for_sessiontype_is_refused_when_sealed(cipher: DataKeyCipher) -> None:
    with pytest.raises(ValueError, match="4096"):
        a_session(cipher, data={"history": "x" * 4000})

"""The social types' pure parts of the broker: Apple's client secret JWT, Apple's ``user`` field, and the
upstream's reason carried in an error_description."""

from __future__ import annotations

import re

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from userpools.domain.identity_providers import APPLE_KEY_REFUSED
from userpools.operations.federation import UpstreamFailure, _said, apple_client_secret, apple_user_claims


def _pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def test_apple_client_secret_is_the_es256_jwt_apple_documents() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    details = {"client_id": "com.example.web", "team_id": "TEAM123456", "key_id": "KEY1234567",
               "private_key": _pem(key)}
    secret = apple_client_secret(details, 1_700_000_000.5)
    assert jwt.get_unverified_header(secret) == {"alg": "ES256", "kid": "KEY1234567", "typ": "JWT"}
    claims = jwt.decode(secret, key.public_key(), algorithms=["ES256"], audience="https://appleid.apple.com",
                        options={"verify_exp": False, "verify_iat": False})
    assert claims == {"iss": "TEAM123456", "iat": 1_700_000_000, "exp": 1_700_000_300,
                      "aud": "https://appleid.apple.com", "sub": "com.example.web"}
    # pointed at a stand-in, the audience is the stand-in's issuer
    pointed = apple_client_secret(details | {"oidc_issuer": "http://127.0.0.1:1234"}, 1_700_000_000)
    assert jwt.decode(pointed, options={"verify_signature": False})["aud"] == "http://127.0.0.1:1234"


@pytest.mark.parametrize("private_key", [
    "not a key",
    _pem(ec.generate_private_key(ec.SECP384R1())),
    _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
])
def test_an_apple_private_key_that_cannot_sign_es256_is_an_upstream_failure(private_key: str) -> None:
    """Refused at Create/UpdateIdentityProvider with Cognito's words; a provider kept from before the check
    fails its sign-in with the same words."""
    details = {"client_id": "c", "team_id": "t", "key_id": "k", "private_key": private_key}
    with pytest.raises(UpstreamFailure, match=r"^" + re.escape(APPLE_KEY_REFUSED) + "$"):
        apple_client_secret(details, 0)


@pytest.mark.parametrize(("field", "claims"), [
    ('{"name": {"firstName": "Ada", "lastName": "Pell"}, "email": "x@example.com"}',
     {"firstName": "Ada", "lastName": "Pell", "name": "Ada Pell"}),
    ('{"name": {"firstName": "Ada"}}', {"firstName": "Ada", "name": "Ada"}),
    ('{"name": {"firstName": "", "lastName": 7}}', {}),
    ('{"email": "only@example.com"}', {}),  # the unsigned email is never a claim
    ('["not", "an", "object"]', {}),
    ("{not json", {}),
    ("", {}),
    (None, {}),
])
def test_apple_user_field(field: str | None, claims: dict[str, str]) -> None:
    assert apple_user_claims(field) == claims


@pytest.mark.parametrize(("body", "said"), [
    ({"error": "invalid_client", "error_description": "x"}, " (invalid_client)"),
    ({"error": {"message": "Error validating client secret.", "type": "OAuthException", "code": 1}},
     " (OAuthException: Error validating client secret.)"),
    ({"error": "x" * 500}, " (" + "x" * 200 + ")"),
    ({"error": 42}, ""),
    ({"message": "no error member"}, ""),
    ([1, 2], ""),
    (None, ""),
])
def test_the_upstream_reason_in_an_error_description(body: object, said: str) -> None:
    assert _said(body) == said

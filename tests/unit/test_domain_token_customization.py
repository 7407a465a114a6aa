"""PreTokenGeneration answers applied to the tokens (domain.token_customization)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt as pyjwt
import pytest

from userpools.crypto.datakey import DataKeyCipher
from userpools.crypto.jwt import SigningKeys
from userpools.crypto.keys import new_signing_key
from userpools.domain.records import ClientRecord, UserRecord
from userpools.domain.token_customization import (
    NO_OVERRIDES,
    customize_access_claims,
    customize_id_claims,
    issue_customized_tokens,
    read_overrides,
    scopes_after,
)
from userpools.domain.tokens import ADMIN_SCOPE, issue_tokens

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
POOL = "us-east-1_abcdefghi"
CLIENT = ClientRecord(id="5hu48rd3mbfvr3t6d6r2rchapm", pool_id=POOL, name="app", created_at=NOW, updated_at=NOW)
USER = UserRecord(pool_id=POOL, username="jane", username_key="jane", sub="893a75fc-60f1-7096-5bbb-f43e009f2b3b",
                  status="CONFIRMED", enabled=True, created_at=NOW, updated_at=NOW,
                  attributes={"email": "jane@example.com", "email_verified": "true", "name": "Jane"})
ID_CLAIMS = {"sub": USER.sub, "iss": "https://issuer/x", "cognito:username": "jane", "aud": CLIENT.id,
             "token_use": "id", "auth_time": 1, "exp": 3, "iat": 2, "jti": "j", "origin_jti": "o", "event_id": "e",
             "email": "jane@example.com", "email_verified": True, "name": "Jane"}
ACCESS_CLAIMS = {"sub": USER.sub, "iss": "https://issuer/x", "client_id": CLIENT.id, "origin_jti": "o",
                 "event_id": "e", "token_use": "access", "scope": ADMIN_SCOPE, "auth_time": 1, "exp": 3, "iat": 2,
                 "jti": "j", "username": "jane"}


def test_v1_changes_the_id_token_and_only_the_groups_of_the_access_token() -> None:
    overrides = read_overrides({"claimsOverrideDetails": {
        "claimsToAddOrOverride": {"tenant": "acme", "name": "J.", "sub": "x", "cognito:username": "x",
                                  "event_id": "x", "cognito:groups": ["sneaky"], "cognito:other": "x"},
        "claimsToSuppress": ["email", "name", "iss", "auth_time"],
        "groupOverrideDetails": {"groupsToOverride": ["g1"], "iamRolesToOverride": [], "preferredRole": None},
    }}, "V1_0")
    id_claims = customize_id_claims(ID_CLAIMS, overrides)
    assert id_claims["tenant"] == "acme" and "email" not in id_claims and "name" not in id_claims
    assert {k: id_claims[k] for k in ("sub", "cognito:username", "event_id", "iss", "auth_time")} == {
        "sub": USER.sub, "cognito:username": "jane", "event_id": "e", "iss": "https://issuer/x", "auth_time": 1}
    assert id_claims["cognito:groups"] == ["g1"] and "cognito:other" not in id_claims
    assert "cognito:roles" not in id_claims and "cognito:preferred_role" not in id_claims
    access = customize_access_claims(ACCESS_CLAIMS, overrides, client_id=CLIENT.id)
    assert access == {**ACCESS_CLAIMS, "cognito:groups": ["g1"]}


def test_v2_changes_both_tokens_and_the_scopes() -> None:
    overrides = read_overrides({"claimsAndScopeOverrideDetails": {
        "idTokenGeneration": {"claimsToAddOrOverride": {"roles": ["a", "b"]}},
        "accessTokenGeneration": {"claimsToAddOrOverride": {"tenant": {"id": 7}, "scope": "x", "aud": "other"},
                                  "claimsToSuppress": ["username", "tenant"],
                                  "scopesToAdd": ["api/read", "api/read", "has space", "api/write"],
                                  "scopesToSuppress": ["api/write"]},
        "groupOverrideDetails": None,
    }}, "V2_0")
    assert customize_id_claims(ID_CLAIMS, overrides)["roles"] == ["a", "b"]
    access = customize_access_claims(ACCESS_CLAIMS, overrides, client_id=CLIENT.id)
    assert "tenant" not in access  # suppressed beats added
    assert access["username"] == "jane" and "aud" not in access
    assert access["scope"] == f"{ADMIN_SCOPE} api/read"
    with_aud = read_overrides({"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {
        "claimsToAddOrOverride": {"aud": CLIENT.id}, "scopesToSuppress": [ADMIN_SCOPE]}}}, "V3_0")
    access = customize_access_claims(ACCESS_CLAIMS, with_aud, client_id=CLIENT.id)
    assert access["aud"] == CLIENT.id and "scope" not in access


def test_an_empty_or_absent_answer_changes_nothing() -> None:
    for answer, version in (({}, "V1_0"), ({"claimsOverrideDetails": None}, "V1_0"),
                            ({"claimsAndScopeOverrideDetails": None}, "V2_0"),
                            ({"claimsOverrideDetails": {"claimsToAddOrOverride": {"a": "b"}}}, "V2_0")):
        overrides = read_overrides(answer, version)
        assert overrides == NO_OVERRIDES
        assert customize_id_claims(ID_CLAIMS, overrides) == customize_id_claims(ID_CLAIMS, NO_OVERRIDES)
    assert scopes_after(["a", "b"], NO_OVERRIDES) == ["a", "b"]


def test_roles_and_preferred_role_go_to_the_id_token_only() -> None:
    overrides = read_overrides({"claimsOverrideDetails": {"groupOverrideDetails": {
        "groupsToOverride": [], "iamRolesToOverride": ["r1"], "preferredRole": "r1"}}}, "V1_0")
    id_claims = customize_id_claims({**ID_CLAIMS, "cognito:groups": ["old"]}, overrides)
    assert "cognito:groups" not in id_claims  # an empty group list removes the claim
    assert id_claims["cognito:roles"] == ["r1"] and id_claims["cognito:preferred_role"] == "r1"
    access = customize_access_claims({**ACCESS_CLAIMS, "cognito:groups": ["old"]}, overrides, client_id=CLIENT.id)
    assert "cognito:groups" not in access and "cognito:roles" not in access


@pytest.fixture(scope="module")
def keys() -> SigningKeys:
    cipher = DataKeyCipher(b"k" * 32)
    return SigningKeys([new_signing_key(POOL, p, cipher, NOW) for p in ("id", "access")], cipher)


def _claims(token: str) -> dict[str, Any]:
    return dict(pyjwt.decode(token, options={"verify_signature": False}))


def test_without_overrides_the_tokens_are_issue_tokens_own(keys: SigningKeys) -> None:
    cipher = DataKeyCipher(b"k" * 32)
    common: dict[str, Any] = {
        "pool_id": POOL, "client": CLIENT, "user": USER, "groups": ["g"], "keys": keys, "now": NOW,
        "auth_time": NOW - timedelta(minutes=5), "origin_jti": "o-1", "issuer": "https://issuer/x",
        "readable_attributes": None, "with_refresh": True, "refresh_expires_at": None, "cipher": cipher,
    }
    plain = issue_tokens(**common)
    custom = issue_customized_tokens(**common, overrides=NO_OVERRIDES)
    random = {"jti", "event_id"}
    for mine, theirs in ((custom.id_token, plain.id_token), (custom.access_token, plain.access_token)):
        a, b = _claims(mine), _claims(theirs)
        assert list(a) == list(b)  # the same claims, in Cognito's order
        assert {k: v for k, v in a.items() if k not in random} == {k: v for k, v in b.items() if k not in random}
    assert custom.expires_in == plain.expires_in and custom.refresh_token is not None

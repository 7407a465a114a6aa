"""Group claims by Cognito's precedence rules, tag ARNs and client secret ids: the pure parts of groups, tags and
client secrets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from userpools.domain.client_secrets import StoredSecret, secret_id, stored_secrets, with_secrets
from userpools.domain.groups import (
    NO_GROUPS,
    GroupRecord,
    describe_group,
    group_claims,
    group_key,
    updated_group,
)
from userpools.domain.tags import pool_id_of

A, B, C = (f"arn:aws:iam::123456789012:role/{n}" for n in "abc")
T0 = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)


def test_no_groups_no_claims() -> None:
    assert group_claims([]) == NO_GROUPS


def test_groups_come_by_precedence_then_name_without_precedence_last() -> None:
    claims = group_claims([("z", None, None), ("b", B, 2), ("a", C, None), ("c", A, 1), ("d", None, 2)])
    assert claims.groups == ("c", "b", "d", "a", "z")
    assert claims.roles == (A, B, C)
    assert claims.preferred_role == A


@pytest.mark.parametrize(
    ("groups", "preferred"),
    [
        ([("x", 3, A), ("y", 3, B)], None),  # a tie between different roles: none
        ([("x", 3, A), ("y", 3, A), ("z", 1, None)], A),  # the same role ties with itself; no role: no part
        ([("x", None, A), ("y", 100, B)], B),  # no precedence loses to any
        ([("x", None, A), ("y", None, B)], None),  # two without precedence tie
        ([("x", 0, A)], A),
    ],
)
def test_the_preferred_role(groups: list[tuple[str, int | None, str | None]], preferred: str | None) -> None:
    assert group_claims([(n, r, p) for n, p, r in groups]).preferred_role == preferred


def test_a_role_shared_by_two_groups_is_claimed_once() -> None:
    assert group_claims([("x", A, 1), ("y", A, 2)]).roles == (A,)


def test_group_names_are_found_regardless_of_case_and_shown_as_created() -> None:
    group = GroupRecord("us-east-1_X", "Admins", group_key("Admins"), T0, T0)
    assert group_key("ADMINS") == group.name_key
    assert describe_group(group) == {"GroupName": "Admins", "UserPoolId": "us-east-1_X",
                                     "LastModifiedDate": T0, "CreationDate": T0}
    later = updated_group(group, {"Precedence": 0}, T0.replace(hour=13))
    assert (later.precedence, later.description, later.created_at, later.updated_at.hour) == (0, None, T0, 13)


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Abc123", "us-east-1_Abc123"),
        ("arn:aws:cognito-idp:us-east-1:999999999999:userpool/us-east-1_Abc123", None),
        ("arn:aws:cognito-idp:eu-west-1:123456789012:userpool/us-east-1_Abc123", None),
        ("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Abc123/x", None),
        ("arn:aws:cognito-identity:us-east-1:123456789012:identitypool/us-east-1:abc", None),
    ],
)
def test_only_this_accounts_pool_arns_name_a_pool(arn: str, expected: str | None) -> None:
    assert pool_id_of(arn, account_id="123456789012") == expected


def test_a_client_without_the_secrets_member_has_its_column_secret_created_with_it() -> None:
    (only,) = stored_secrets({}, client_id="c1", created_at=T0, column=b"\x01sealed")
    assert only == StoredSecret(f"c1--{int(T0.timestamp() * 1000)}", T0, b"\x01sealed")
    assert stored_secrets({}, client_id="c1", created_at=T0, column=None) == []


def test_secrets_round_trip_through_the_settings_to_the_millisecond() -> None:
    later = T0.replace(microsecond=999000)
    secrets = [StoredSecret(secret_id("c1", T0), T0.replace(microsecond=123000), b"a"),
               StoredSecret(secret_id("c1", later), later, b"\x00b")]
    settings = with_secrets({"AllowedOAuthFlows": ["code"]}, secrets)
    assert settings["AllowedOAuthFlows"] == ["code"]
    assert stored_secrets(settings, client_id="c1", created_at=T0, column=b"ignored") == secrets

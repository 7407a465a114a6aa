"""Groups through boto3: CreateGroup, GetGroup, UpdateGroup, DeleteGroup, ListGroups, ListUsersInGroup,
AdminAddUserToGroup, AdminRemoveUserFromGroup, AdminListGroupsForUser — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from accounts import make_user, unique
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/admins"


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_create_group_returns_group_type_and_get_group_reads_it_back(cognito: Any, pool: dict[str, Any]) -> None:
    created = cognito.create_group(
        UserPoolId=pool["Id"], GroupName="Admins", Description="The admins", RoleArn=ROLE, Precedence=0
    )["Group"]
    assert {k: v for k, v in created.items() if not k.endswith("Date")} == {
        "GroupName": "Admins", "UserPoolId": pool["Id"], "Description": "The admins", "RoleArn": ROLE,
        "Precedence": 0,
    }
    assert isinstance(created["CreationDate"], datetime)
    assert created["LastModifiedDate"] == created["CreationDate"]
    assert cognito.get_group(UserPoolId=pool["Id"], GroupName="Admins")["Group"] == created


def test_a_group_with_only_a_name_has_no_optional_members(cognito: Any, pool: dict[str, Any]) -> None:
    created = cognito.create_group(UserPoolId=pool["Id"], GroupName="plain")["Group"]
    assert set(created) == {"GroupName", "UserPoolId", "CreationDate", "LastModifiedDate"}


def test_a_second_group_of_the_same_name_in_any_case_raises_group_exists(cognito: Any, pool: dict[str, Any]) -> None:
    cognito.create_group(UserPoolId=pool["Id"], GroupName="Admins")
    for name in ("Admins", "ADMINS"):
        with pytest.raises(ClientError) as exc:
            cognito.create_group(UserPoolId=pool["Id"], GroupName=name)
        assert error(exc) == ("GroupExistsException", "A group with the name already exists.")
    # looked up regardless of case too, and shown as created
    assert cognito.get_group(UserPoolId=pool["Id"], GroupName="admins")["Group"]["GroupName"] == "Admins"


def test_unknown_group_raises_resource_not_found_group_not_found(cognito: Any, pool: dict[str, Any]) -> None:
    user = make_user(cognito, pool["Id"])
    calls = [
        lambda: cognito.get_group(UserPoolId=pool["Id"], GroupName="nope"),
        lambda: cognito.update_group(UserPoolId=pool["Id"], GroupName="nope", Precedence=1),
        lambda: cognito.delete_group(UserPoolId=pool["Id"], GroupName="nope"),
        lambda: cognito.list_users_in_group(UserPoolId=pool["Id"], GroupName="nope"),
        lambda: cognito.admin_add_user_to_group(UserPoolId=pool["Id"], Username=user, GroupName="nope"),
        lambda: cognito.admin_remove_user_from_group(UserPoolId=pool["Id"], Username=user, GroupName="nope"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc) == ("ResourceNotFoundException", "Group not found.")


def test_unknown_pool_raises_resource_not_found(cognito: Any) -> None:
    with pytest.raises(cognito.exceptions.ResourceNotFoundException):
        cognito.create_group(UserPoolId="us-east-1_Nowhere00", GroupName="g")
    with pytest.raises(cognito.exceptions.ResourceNotFoundException):
        cognito.list_groups(UserPoolId="us-east-1_Nowhere00")


def test_unknown_user_raises_user_not_found(cognito: Any, pool: dict[str, Any]) -> None:
    cognito.create_group(UserPoolId=pool["Id"], GroupName="g")
    for call in (
        lambda: cognito.admin_add_user_to_group(UserPoolId=pool["Id"], Username="ghost", GroupName="g"),
        lambda: cognito.admin_remove_user_from_group(UserPoolId=pool["Id"], Username="ghost", GroupName="g"),
        lambda: cognito.admin_list_groups_for_user(UserPoolId=pool["Id"], Username="ghost"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc) == ("UserNotFoundException", "User does not exist.")


def test_bad_input_gets_cognitos_validation_errors(raw_cognito: Any, pool: dict[str, Any]) -> None:
    cases = [
        {"GroupName": "has space"},
        {"GroupName": "x" * 129},
        {"GroupName": "g", "Precedence": -1},
        {"GroupName": "g", "RoleArn": "not-an-arn-at-all-really"},
        {"GroupName": "g", "Description": "d" * 2049},
    ]
    for extra in cases:
        with pytest.raises(ClientError) as exc:
            raw_cognito.create_group(UserPoolId=pool["Id"], **extra)
        assert exc.value.response["Error"]["Code"] == "InvalidParameterException", extra
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_update_group_changes_the_members_given_and_keeps_the_others(cognito: Any, pool: dict[str, Any],
                                                                     server: Any) -> None:
    created = cognito.create_group(UserPoolId=pool["Id"], GroupName="g", Description="old", Precedence=5)["Group"]
    httpx.post(f"{server.url}/_userpools/clock", json={"advanceSeconds": 60}).raise_for_status()
    try:
        updated = cognito.update_group(UserPoolId=pool["Id"], GroupName="g", RoleArn=ROLE)["Group"]
    finally:
        httpx.post(f"{server.url}/_userpools/clock", json={"reset": True}).raise_for_status()
    assert updated["Description"] == "old" and updated["Precedence"] == 5 and updated["RoleArn"] == ROLE
    assert updated["CreationDate"] == created["CreationDate"]
    assert (updated["LastModifiedDate"] - created["LastModifiedDate"]).total_seconds() >= 60
    assert cognito.get_group(UserPoolId=pool["Id"], GroupName="g")["Group"] == updated


def test_list_groups_pages_with_the_boto3_paginator(cognito: Any, pool: dict[str, Any]) -> None:
    names = sorted(f"group-{i:02d}" for i in range(7))
    for name in reversed(names):
        cognito.create_group(UserPoolId=pool["Id"], GroupName=name)
    first = cognito.list_groups(UserPoolId=pool["Id"], Limit=3)
    assert [g["GroupName"] for g in first["Groups"]] == names[:3] and first["NextToken"]
    pages = list(cognito.get_paginator("list_groups").paginate(
        UserPoolId=pool["Id"], PaginationConfig={"PageSize": 3}
    ))
    assert [len(p["Groups"]) for p in pages] == [3, 3, 1]
    assert [g["GroupName"] for p in pages for g in p["Groups"]] == names
    assert "NextToken" not in cognito.list_groups(UserPoolId=pool["Id"])


def test_a_foreign_next_token_is_refused(cognito: Any, pool: dict[str, Any]) -> None:
    cognito.create_group(UserPoolId=pool["Id"], GroupName="a")
    cognito.create_group(UserPoolId=pool["Id"], GroupName="b")
    token = cognito.list_groups(UserPoolId=pool["Id"], Limit=1)["NextToken"]
    with pytest.raises(cognito.exceptions.InvalidParameterException):
        cognito.admin_list_groups_for_user(UserPoolId=pool["Id"], Username="x", NextToken=token)


def test_members_are_added_listed_both_ways_and_removed(cognito: Any, pool: dict[str, Any]) -> None:
    pool_id = pool["Id"]
    users = sorted(make_user(cognito, pool_id, attributes={"email": f"{unique()}@example.com"}) for _ in range(5))
    for group in ("readers", "writers"):
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
    for user in users:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=user, GroupName="readers")
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=users[0], GroupName="writers")
    # adding again is harmless
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=users[0], GroupName="writers")

    pages = list(cognito.get_paginator("list_users_in_group").paginate(
        UserPoolId=pool_id, GroupName="readers", PaginationConfig={"PageSize": 2}
    ))
    assert [len(p["Users"]) for p in pages] == [2, 2, 1]
    listed = [u for p in pages for u in p["Users"]]
    assert [u["Username"] for u in listed] == users
    # whole UserType entries, as ListUsers shows them
    every = {u["Username"]: u for u in cognito.list_users(UserPoolId=pool_id)["Users"]}
    assert listed == [every[name] for name in users]

    groups = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username=users[0])["Groups"]
    assert [g["GroupName"] for g in groups] == ["readers", "writers"]
    pages = list(cognito.get_paginator("admin_list_groups_for_user").paginate(
        UserPoolId=pool_id, Username=users[0], PaginationConfig={"PageSize": 1}
    ))
    assert [g["GroupName"] for p in pages for g in p["Groups"]] == ["readers", "writers"]

    cognito.admin_remove_user_from_group(UserPoolId=pool_id, Username=users[0], GroupName="readers")
    cognito.admin_remove_user_from_group(UserPoolId=pool_id, Username=users[0], GroupName="readers")
    assert [g["GroupName"] for g in cognito.admin_list_groups_for_user(
        UserPoolId=pool_id, Username=users[0])["Groups"]] == ["writers"]
    assert users[0] not in [u["Username"] for u in cognito.list_users_in_group(
        UserPoolId=pool_id, GroupName="readers")["Users"]]


def test_a_user_named_by_alias_or_sub_is_found(cognito: Any, pool: dict[str, Any]) -> None:
    user = make_user(cognito, pool["Id"])
    sub = next(a["Value"] for a in cognito.admin_get_user(UserPoolId=pool["Id"], Username=user)["UserAttributes"]
               if a["Name"] == "sub")
    cognito.create_group(UserPoolId=pool["Id"], GroupName="g")
    cognito.admin_add_user_to_group(UserPoolId=pool["Id"], Username=sub, GroupName="G")
    assert [u["Username"] for u in cognito.list_users_in_group(UserPoolId=pool["Id"], GroupName="g")["Users"]] \
        == [user]


def test_deleting_a_group_or_a_user_removes_memberships(cognito: Any, pool: dict[str, Any]) -> None:
    pool_id = pool["Id"]
    alice, bob = make_user(cognito, pool_id), make_user(cognito, pool_id)
    for group in ("one", "two"):
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
        for user in (alice, bob):
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=user, GroupName=group)
    cognito.delete_group(UserPoolId=pool_id, GroupName="one")
    assert [g["GroupName"] for g in cognito.list_groups(UserPoolId=pool_id)["Groups"]] == ["two"]
    assert [g["GroupName"] for g in cognito.admin_list_groups_for_user(
        UserPoolId=pool_id, Username=alice)["Groups"]] == ["two"]
    cognito.admin_delete_user(UserPoolId=pool_id, Username=bob)
    assert [u["Username"] for u in cognito.list_users_in_group(UserPoolId=pool_id, GroupName="two")["Users"]] \
        == [alice]
    # a new group of a deleted one's name starts empty
    cognito.create_group(UserPoolId=pool_id, GroupName="one")
    assert cognito.list_users_in_group(UserPoolId=pool_id, GroupName="one")["Users"] == []


def test_a_user_can_be_in_at_most_100_groups(cognito: Any, pool: dict[str, Any]) -> None:
    pool_id = pool["Id"]
    user = make_user(cognito, pool_id)
    for i in range(101):
        cognito.create_group(UserPoolId=pool_id, GroupName=f"g{i:03d}")
    for i in range(100):
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=user, GroupName=f"g{i:03d}")
    with pytest.raises(cognito.exceptions.LimitExceededException):
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=user, GroupName="g100")
    # already a member: still fine at the limit
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=user, GroupName="g000")
    total = sum(len(p["Groups"]) for p in cognito.get_paginator("admin_list_groups_for_user").paginate(
        UserPoolId=pool_id, Username=user))
    assert total == 100

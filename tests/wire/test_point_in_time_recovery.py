"""Point-in-time recovery through boto3, on both backends: the five operations, their states and errors; a
pool's users, attributes, passwords and group memberships changed after a point and recovered to it; the
write hold while a recovery is pending. Time moves on the server's development clock, never by sleeping."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from botocore.exceptions import ClientError
from oauthkit import CALLBACK, DomainPool, csrf_of, new_browser

PASSWORD = "Correct-Horse-1"


@pytest.fixture
def clock(server: Any) -> Iterator[Any]:
    def move(seconds: float) -> None:
        httpx.post(f"{server.url}/_userpools/clock", json={"advanceSeconds": seconds}).raise_for_status()

    httpx.post(f"{server.url}/_userpools/clock", json={"freeze": True}).raise_for_status()
    try:
        yield move
    finally:
        httpx.post(f"{server.url}/_userpools/clock", json={"reset": True}).raise_for_status()


@pytest.fixture
def plus_pool(cognito: Any, clock: Any) -> Iterator[dict[str, Any]]:
    created = cognito.create_user_pool(PoolName=f"pitr-{uuid.uuid4().hex[:8]}", UserPoolTier="PLUS")["UserPool"]
    yield created
    cognito.delete_user_pool(UserPoolId=created["Id"])


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


def _user(cognito: Any, pool_id: str, name: str, email: str) -> None:
    cognito.admin_create_user(
        UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True)


def _snapshot(cognito: Any, pool_id: str) -> dict[str, Any]:
    users = sorted(cognito.list_users(UserPoolId=pool_id)["Users"], key=lambda user: user["Username"])
    out: dict[str, Any] = {"list": users}
    for user in users:
        name = user["Username"]
        got = cognito.admin_get_user(UserPoolId=pool_id, Username=name)
        got.pop("ResponseMetadata")
        groups = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username=name)["Groups"]
        out[name] = (got, sorted(group["GroupName"] for group in groups))
    return out


def _sign_in(cognito: Any, pool_id: str, client_id: str, name: str, password: str) -> bool:
    try:
        cognito.admin_initiate_auth(
            UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": password},
        )
    except cognito.exceptions.NotAuthorizedException:
        return False
    return True


def test_recovery_restores_users_attributes_and_memberships(cognito: Any, clock: Any, plus_pool: Any) -> None:
    pool_id = plus_pool["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH",
                                                                 "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    for group in ("admins", "staff"):
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
    _user(cognito, pool_id, "alice", "alice@example.com")
    _user(cognito, pool_id, "bob", "bob@example.com")
    _user(cognito, pool_id, "carol", "carol@example.com")
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="alice", GroupName="admins")
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="bob", GroupName="staff")
    clock(600)
    point = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["CreationDate"] + timedelta(seconds=630)
    before = _snapshot(cognito, pool_id)
    clock(60)

    # After the point: a user created, one updated, one deleted, a password changed, memberships changed.
    _user(cognito, pool_id, "dave", "dave@example.com")
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="dave", GroupName="staff")
    cognito.admin_update_user_attributes(
        UserPoolId=pool_id, Username="alice", UserAttributes=[{"Name": "email", "Value": "alice@example.org"}]
    )
    cognito.admin_remove_user_from_group(UserPoolId=pool_id, Username="alice", GroupName="admins")
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="bob", GroupName="admins")
    cognito.admin_disable_user(UserPoolId=pool_id, Username="bob")
    cognito.admin_delete_user(UserPoolId=pool_id, Username="carol")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="alice", Password="Changed-Later-2",
                                    Permanent=True)
    clock(20 * 60)
    assert _snapshot(cognito, pool_id) != before

    restoration = cognito.initiate_point_in_time_recovery(UserPoolId=pool_id, RestoreTimestamp=point)["Restoration"]
    assert restoration["RestoreStatus"] == "PREVIEW_GENERATED"
    assert restoration["RestoreTimestamp"] == point
    assert restoration["RestorePreview"] == [  # alice's later password is kept: her email is the update
        {"Entity": "Users", "CreateCount": 1, "UpdateCount": 2, "DeleteCount": 1},
        # alice back in admins; bob out of admins, dave (and his staff membership) gone
        {"Entity": "Groups", "CreateCount": 1, "UpdateCount": 0, "DeleteCount": 2},
        {"Entity": "User MFAs", "CreateCount": 0, "UpdateCount": 0, "DeleteCount": 0},
        {"Entity": "Passkeys", "CreateCount": 0, "UpdateCount": 0, "DeleteCount": 0},
    ]
    restore_id = restoration["RestoreId"]
    described = cognito.describe_point_in_time_recovery(UserPoolId=pool_id, RestoreId=restore_id)["Restoration"]
    assert described == restoration

    # The pending recovery holds the pool's user writes; reads still work.
    with pytest.raises(ClientError) as held:
        _user(cognito, pool_id, "erin", "erin@example.com")
    assert _error(held) == "ConcurrentModificationException"
    with pytest.raises(ClientError) as held:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="dave", GroupName="admins")
    assert _error(held) == "ConcurrentModificationException"
    assert len(cognito.list_users(UserPoolId=pool_id)["Users"]) == 3
    assert _sign_in(cognito, pool_id, client_id, "dave", PASSWORD)
    assert not _sign_in(cognito, pool_id, client_id, "dave", "Wrong-Password-9")  # NotAuthorized, not the hold

    done = cognito.start_point_in_time_recovery(UserPoolId=pool_id, RestoreId=restore_id)["Restoration"]
    assert done["RestoreStatus"] == "RESTORE_COMPLETED"
    assert _snapshot(cognito, pool_id) == before
    # alice changed her password after the point: she keeps it; carol's comes back with her.
    assert _sign_in(cognito, pool_id, client_id, "alice", "Changed-Later-2")
    assert not _sign_in(cognito, pool_id, client_id, "alice", PASSWORD)
    assert _sign_in(cognito, pool_id, client_id, "carol", PASSWORD)

    # Writes resume; a started recovery can be neither started again nor cancelled.
    _user(cognito, pool_id, "erin", "erin@example.com")
    for call in (cognito.start_point_in_time_recovery, cognito.cancel_point_in_time_recovery):
        with pytest.raises(ClientError) as wrong:
            call(UserPoolId=pool_id, RestoreId=restore_id)
        assert _error(wrong) == "InvalidParameterException"
    listed = cognito.list_point_in_time_recoveries(UserPoolId=pool_id)["Restorations"]
    assert listed == [{"RestoreId": restore_id, "RestoreStatus": "RESTORE_COMPLETED", "RestoreTimestamp": point}]
    # one completed recovery per pool per 24 hours
    with pytest.raises(ClientError) as limit:
        cognito.initiate_point_in_time_recovery(UserPoolId=pool_id, RestoreTimestamp=point)
    assert _error(limit) == "LimitExceededException"


def test_cancel_expiry_limits_and_errors(cognito: Any, clock: Any, plus_pool: Any, raw_cognito: Any) -> None:
    pool_id = plus_pool["Id"]
    created = plus_pool["CreationDate"]
    _user(cognito, pool_id, "alice", "alice@example.com")
    clock(3600)
    point = created + timedelta(seconds=60)

    with pytest.raises(ClientError) as recent:  # less than 15 minutes ago
        cognito.initiate_point_in_time_recovery(UserPoolId=pool_id, RestoreTimestamp=created + timedelta(seconds=3000))
    assert _error(recent) == "InvalidParameterException"
    with pytest.raises(ClientError) as early:  # before the pool
        cognito.initiate_point_in_time_recovery(UserPoolId=pool_id, RestoreTimestamp=created - timedelta(seconds=5))
    assert _error(early) == "InvalidParameterException"
    with pytest.raises(ClientError) as missing:
        cognito.initiate_point_in_time_recovery(UserPoolId="us-east-1_nothere1", RestoreTimestamp=point)
    assert _error(missing) == "ResourceNotFoundException"

    first = cognito.initiate_point_in_time_recovery(UserPoolId=pool_id, RestoreTimestamp=point)["Restoration"]
    assert first["RestorePreview"] == [
        {"Entity": entity, "CreateCount": 0, "UpdateCount": 0, "DeleteCount": 0}
        for entity in ("Users", "Groups", "User MFAs", "Passkeys")
    ]
    with pytest.raises(ClientError) as busy:  # one active recovery per pool
        cognito.initiate_point_in_time_recovery(UserPoolId=pool_id, RestoreTimestamp=point)
    assert _error(busy) == "LimitExceededException"
    cancelled = cognito.cancel_point_in_time_recovery(UserPoolId=pool_id, RestoreId=first["RestoreId"])
    assert cancelled["Restoration"]["RestoreStatus"] == "PREVIEW_CANCELLED"
    cognito.admin_update_user_attributes(  # writes resume after Cancel
        UserPoolId=pool_id, Username="alice", UserAttributes=[{"Name": "name", "Value": "Alice"}]
    )
    with pytest.raises(ClientError) as again:
        cognito.start_point_in_time_recovery(UserPoolId=pool_id, RestoreId=first["RestoreId"])
    assert _error(again) == "InvalidParameterException"

    clock(1)
    second = cognito.initiate_point_in_time_recovery(UserPoolId=pool_id, RestoreTimestamp=point)["Restoration"]
    assert second["RestorePreview"][0]["UpdateCount"] == 1
    clock(24 * 3600 + 1)  # an initiated recovery expires after 24 hours, and frees the pool
    described = cognito.describe_point_in_time_recovery(UserPoolId=pool_id, RestoreId=second["RestoreId"])
    assert described["Restoration"]["RestoreStatus"] == "PREVIEW_EXPIRED"
    cognito.admin_update_user_attributes(
        UserPoolId=pool_id, Username="alice", UserAttributes=[{"Name": "name", "Value": "Alice B"}]
    )
    with pytest.raises(ClientError) as expired:
        cognito.start_point_in_time_recovery(UserPoolId=pool_id, RestoreId=second["RestoreId"])
    assert _error(expired) == "InvalidParameterException"

    # Past the Plus tier's 14 days
    clock(15 * 24 * 3600)
    with pytest.raises(ClientError) as old:
        cognito.initiate_point_in_time_recovery(UserPoolId=pool_id, RestoreTimestamp=point)
    assert _error(old) == "InvalidParameterException"

    page = cognito.list_point_in_time_recoveries(UserPoolId=pool_id, MaxResults=1)
    assert [item["RestoreId"] for item in page["Restorations"]] == [second["RestoreId"]]
    rest = cognito.list_point_in_time_recoveries(UserPoolId=pool_id, NextToken=page["NextToken"])
    assert [item["RestoreId"] for item in rest["Restorations"]] == [first["RestoreId"]]
    assert "NextToken" not in rest
    with pytest.raises(ClientError) as unknown:
        cognito.describe_point_in_time_recovery(UserPoolId=pool_id, RestoreId=str(uuid.uuid4()))
    assert _error(unknown) == "ResourceNotFoundException"


def test_lite_pools_have_no_recovery(cognito: Any, clock: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName="lite", UserPoolTier="LITE")["UserPool"]["Id"]
    try:
        with pytest.raises(ClientError) as lite:
            cognito.list_point_in_time_recoveries(UserPoolId=pool_id)
        assert _error(lite) == "FeatureUnavailableInTierException"
    finally:
        cognito.delete_user_pool(UserPoolId=pool_id)


def test_a_hosted_sign_up_during_a_recovery_shows_cognitos_error(cognito: Any, clock: Any, plus_pool: Any,
                                                                 server: Any) -> None:
    """The store's WritesHeld reaches the hosted pages as ConcurrentModificationException (a banner), not a 500."""
    pool_id = plus_pool["Id"]
    domain = f"pitr-{uuid.uuid4().hex[:12]}"
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    dp = DomainPool(server, cognito, pool_id, domain)
    client_id = dp.client()["ClientId"]
    clock(20 * 60)
    point = plus_pool["CreationDate"] + timedelta(seconds=60)
    restore_id = cognito.initiate_point_in_time_recovery(UserPoolId=pool_id,
                                                         RestoreTimestamp=point)["Restoration"]["RestoreId"]
    query = urlencode({"client_id": client_id, "response_type": "code", "redirect_uri": CALLBACK})
    with new_browser() as browser:
        url = f"{dp.base}/signup?{query}"
        form = browser.get(url)
        refused = browser.post(url, data={"_csrf": csrf_of(form.text), "username": "erin", "password": PASSWORD,
                                          "email": "erin@example.com"})
    assert refused.status_code == 400, refused.text
    assert "is being recovered to a point in time" in refused.text
    cognito.cancel_point_in_time_recovery(UserPoolId=pool_id, RestoreId=restore_id)
    cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain=domain)

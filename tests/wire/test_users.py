"""Administering users through boto3: AdminCreateUser and the other Admin* user operations, ListUsers."""

from __future__ import annotations

from typing import Any

import pytest
from accounts import PASSWORD, attrs, make_client, make_user, outbox, sign_in, unique
from botocore.exceptions import ClientError
from test_pools import error_of


def test_admin_create_user_sends_an_invitation_with_a_temporary_password(cognito: Any, server: Any,
                                                                        pool: dict[str, Any]) -> None:
    name = unique()
    user = cognito.admin_create_user(
        UserPoolId=pool["Id"], Username=name, DesiredDeliveryMediums=["EMAIL"],
        UserAttributes=[{"Name": "email", "Value": "frank@example.com"}, {"Name": "name", "Value": "Frank"}],
    )["User"]
    assert user["Username"] == name and user["UserStatus"] == "FORCE_CHANGE_PASSWORD" and user["Enabled"] is True
    assert attrs(user["Attributes"])["email"] == "frank@example.com"
    assert len(attrs(user["Attributes"])["sub"]) == 36
    message = outbox(server, pool["Id"], name)[0]
    assert message["triggerSource"] == "CustomMessage_AdminCreateUser"
    assert message["subject"] == "Your temporary password"
    assert message["body"] == f"Your username is {name} and temporary password is {message['code']}."
    client = make_client(cognito, pool["Id"])
    challenge = sign_in(cognito, client["ClientId"], name, message["code"])
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_admin_create_user_suppress_sends_nothing_and_resend_sends_again(cognito: Any, server: Any,
                                                                        pool: dict[str, Any]) -> None:
    name = unique()
    cognito.admin_create_user(UserPoolId=pool["Id"], Username=name, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "phone_number", "Value": "+14325551212"}])
    assert outbox(server, pool["Id"], name) == []
    cognito.admin_create_user(UserPoolId=pool["Id"], Username=name, MessageAction="RESEND")
    sms = outbox(server, pool["Id"], name)
    assert len(sms) == 1 and sms[0]["deliveryMedium"] == "SMS" and sms[0]["destination"] == "+14325551212"


EMAIL = {"Name": "email", "Value": "una@example.com"}
PHONE = {"Name": "phone_number", "Value": "+14325550100"}


def test_admin_create_user_default_medium_is_sms_when_there_is_a_phone_number(cognito: Any, server: Any,
                                                                              pool: dict[str, Any]) -> None:
    name = unique()
    cognito.admin_create_user(UserPoolId=pool["Id"], Username=name, UserAttributes=[EMAIL, PHONE])
    [sms] = outbox(server, pool["Id"], name)
    assert sms["deliveryMedium"] == "SMS" and sms["destination"] == "+14325550100"


@pytest.mark.parametrize(
    ("mediums", "attributes", "message"),
    [
        (["EMAIL"], [], "No email provided but desired delivery medium was Email"),
        (["EMAIL"], [PHONE], "No email provided but desired delivery medium was Email"),
        (["EMAIL", "SMS"], [PHONE], "No email provided but desired delivery medium was Email"),
        (["SMS"], [EMAIL], "No phone_number provided but desired delivery medium was SMS"),
        (["SMS"], [], "No phone_number provided but desired delivery medium was SMS"),
    ],
)
def test_admin_create_user_with_a_requested_medium_the_user_cannot_receive_is_refused(
    cognito: Any, server: Any, pool: dict[str, Any], mediums: list[str], attributes: list[dict[str, str]],
    message: str,
) -> None:
    name = unique()
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_create_user(UserPoolId=pool["Id"], Username=name, DesiredDeliveryMediums=mediums,
                                  UserAttributes=attributes)
    assert error_of(excinfo) == ("InvalidParameterException", message)
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)
    assert error_of(excinfo)[0] == "UserNotFoundException"
    assert outbox(server, pool["Id"], name) == []


def test_admin_create_user_with_both_mediums_requested_sends_both(cognito: Any, server: Any,
                                                                  pool: dict[str, Any]) -> None:
    name = unique()
    cognito.admin_create_user(UserPoolId=pool["Id"], Username=name, DesiredDeliveryMediums=["EMAIL", "SMS"],
                              UserAttributes=[EMAIL, PHONE])
    sent = {m["deliveryMedium"]: m for m in outbox(server, pool["Id"], name)}
    assert set(sent) == {"EMAIL", "SMS"} and sent["EMAIL"]["code"] == sent["SMS"]["code"]


def test_admin_create_user_suppress_ignores_a_medium_the_user_cannot_receive(cognito: Any, server: Any,
                                                                            pool: dict[str, Any]) -> None:
    name = unique()
    user = cognito.admin_create_user(UserPoolId=pool["Id"], Username=name, MessageAction="SUPPRESS",
                                     DesiredDeliveryMediums=["EMAIL"])["User"]
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert outbox(server, pool["Id"], name) == []


def test_admin_create_user_resend_follows_the_same_medium_rules(cognito: Any, server: Any,
                                                               pool: dict[str, Any]) -> None:
    client_id = make_client(cognito, pool["Id"])["ClientId"]
    emailed, bare = unique(), unique()
    cognito.admin_create_user(UserPoolId=pool["Id"], Username=emailed, MessageAction="SUPPRESS",
                              UserAttributes=[EMAIL])
    cognito.admin_create_user(UserPoolId=pool["Id"], Username=emailed, MessageAction="RESEND")
    [invitation] = outbox(server, pool["Id"], emailed)
    assert invitation["deliveryMedium"] == "EMAIL" and invitation["destination"] == "una@example.com"
    # a requested medium the user cannot receive is refused and the temporary password stays as it was
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_create_user(UserPoolId=pool["Id"], Username=emailed, MessageAction="RESEND",
                                  DesiredDeliveryMediums=["SMS"])
    assert error_of(excinfo) == ("InvalidParameterException",
                                 "No phone_number provided but desired delivery medium was SMS")
    assert sign_in(cognito, client_id, emailed, invitation["code"])["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    # with neither email nor phone_number, RESEND sets the new temporary password and sends nothing
    cognito.admin_create_user(UserPoolId=pool["Id"], Username=bare, MessageAction="SUPPRESS")
    cognito.admin_create_user(UserPoolId=pool["Id"], Username=bare, MessageAction="RESEND",
                              TemporaryPassword="Fresh-Temp-42")
    assert outbox(server, pool["Id"], bare) == []
    assert sign_in(cognito, client_id, bare, "Fresh-Temp-42")["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_admin_create_user_twice_raises_username_exists(cognito: Any, pool: dict[str, Any]) -> None:
    name = unique()
    cognito.admin_create_user(UserPoolId=pool["Id"], Username=name, MessageAction="SUPPRESS")
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_create_user(UserPoolId=pool["Id"], Username=name, MessageAction="SUPPRESS")
    assert error_of(excinfo) == ("UsernameExistsException", "User account already exists")


def test_admin_create_user_with_a_weak_temporary_password_is_refused(cognito: Any, pool: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_create_user(UserPoolId=pool["Id"], Username=unique(), TemporaryPassword="weakweak",
                                  MessageAction="SUPPRESS")
    code, message = error_of(excinfo)
    assert code == "InvalidPasswordException"
    assert message.startswith("Password did not conform with password policy: ")  # AdminCreateUser's own prefix


def test_admin_get_user_and_unknown_user(cognito: Any, pool: dict[str, Any]) -> None:
    name = make_user(cognito, pool["Id"], attributes={"given_name": "Grace"})
    user = cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)
    assert user["Username"] == name and user["UserStatus"] == "CONFIRMED" and user["Enabled"] is True
    assert attrs(user["UserAttributes"])["given_name"] == "Grace"
    by_sub = cognito.admin_get_user(UserPoolId=pool["Id"], Username=attrs(user["UserAttributes"])["sub"])
    assert by_sub["Username"] == name
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId=pool["Id"], Username="nobody")
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")


def test_admin_delete_user_removes_it(cognito: Any, pool: dict[str, Any]) -> None:
    name = make_user(cognito, pool["Id"])
    cognito.admin_delete_user(UserPoolId=pool["Id"], Username=name)
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)
    assert error_of(excinfo)[0] == "UserNotFoundException"


def test_admin_set_user_password_permanent_and_temporary(cognito: Any, pool: dict[str, Any]) -> None:
    client = make_client(cognito, pool["Id"])
    name = make_user(cognito, pool["Id"])
    cognito.admin_set_user_password(UserPoolId=pool["Id"], Username=name, Password="Second-Pass-2", Permanent=False)
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert sign_in(cognito, client["ClientId"], name, "Second-Pass-2")["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    cognito.admin_set_user_password(UserPoolId=pool["Id"], Username=name, Password="Third-Pass-3", Permanent=True)
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)["UserStatus"] == "CONFIRMED"
    assert "AccessToken" in sign_in(cognito, client["ClientId"], name, "Third-Pass-3")["AuthenticationResult"]
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_set_user_password(UserPoolId=pool["Id"], Username=name, Password="short", Permanent=True)
    assert error_of(excinfo)[0] == "InvalidPasswordException"


def test_admin_update_and_delete_user_attributes(cognito: Any, server: Any) -> None:
    pool = cognito.create_user_pool(PoolName=unique("attrs"), AutoVerifiedAttributes=["email"],
                                    Schema=[{"Name": "tier", "AttributeDataType": "String", "Mutable": True}])["UserPool"]
    name = make_user(cognito, pool["Id"], attributes={"email": "old@example.com", "email_verified": "true"})
    cognito.admin_update_user_attributes(
        UserPoolId=pool["Id"], Username=name,
        UserAttributes=[{"Name": "email", "Value": "new@example.com"}, {"Name": "custom:tier", "Value": "gold"}],
    )
    values = attrs(cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)["UserAttributes"])
    assert values["email"] == "new@example.com" and values["custom:tier"] == "gold"
    assert values["email_verified"] == "false"
    assert outbox(server, pool["Id"], name)[0]["triggerSource"] == "CustomMessage_UpdateUserAttribute"
    cognito.admin_delete_user_attributes(UserPoolId=pool["Id"], Username=name, UserAttributeNames=["custom:tier"])
    values = attrs(cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)["UserAttributes"])
    assert "custom:tier" not in values
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_update_user_attributes(UserPoolId=pool["Id"], Username=name,
                                             UserAttributes=[{"Name": "custom:nope", "Value": "x"}])
    assert error_of(excinfo)[0] == "InvalidParameterException"
    cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_admin_confirm_sign_up(cognito: Any, pool: dict[str, Any]) -> None:
    client = make_client(cognito, pool["Id"])
    name = unique()
    cognito.sign_up(ClientId=client["ClientId"], Username=name, Password=PASSWORD)
    cognito.admin_confirm_sign_up(UserPoolId=pool["Id"], Username=name)
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)["UserStatus"] == "CONFIRMED"
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_confirm_sign_up(UserPoolId=pool["Id"], Username=name)
    assert error_of(excinfo) == ("NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")


def test_alias_sign_in_and_alias_conflicts(cognito: Any) -> None:
    pool = cognito.create_user_pool(PoolName=unique("alias"), AliasAttributes=["email"])["UserPool"]
    client = make_client(cognito, pool["Id"])
    first = make_user(cognito, pool["Id"], attributes={"email": "shared@example.com", "email_verified": "true"})
    assert sign_in(cognito, client["ClientId"], "shared@example.com")["AuthenticationResult"]
    with pytest.raises(ClientError) as excinfo:
        make_user(cognito, pool["Id"], attributes={"email": "shared@example.com", "email_verified": "true"})
    assert error_of(excinfo)[0] == "AliasExistsException"
    second = unique()
    cognito.admin_create_user(UserPoolId=pool["Id"], Username=second, MessageAction="SUPPRESS", ForceAliasCreation=True,
                              UserAttributes=[{"Name": "email", "Value": "shared@example.com"},
                                              {"Name": "email_verified", "Value": "true"}])
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username="shared@example.com")["Username"] == second
    moved = attrs(cognito.admin_get_user(UserPoolId=pool["Id"], Username=first)["UserAttributes"])
    assert moved["email_verified"] == "false"
    cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_case_insensitive_usernames(cognito: Any) -> None:
    pool = cognito.create_user_pool(PoolName=unique("case"), UsernameConfiguration={"CaseSensitive": False})["UserPool"]
    client = make_client(cognito, pool["Id"])
    make_user(cognito, pool["Id"], username="MixedCase")
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username="mixedcase")["Username"] == "MixedCase"
    assert sign_in(cognito, client["ClientId"], "MIXEDCASE")["AuthenticationResult"]
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_create_user(UserPoolId=pool["Id"], Username="mixedCASE", MessageAction="SUPPRESS")
    assert error_of(excinfo)[0] == "UsernameExistsException"
    cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_list_users_filters_pages_and_projects(cognito: Any) -> None:
    pool = cognito.create_user_pool(PoolName=unique("list"))["UserPool"]
    names = []
    for i in range(7):
        names.append(make_user(cognito, pool["Id"], username=f"member-{i}",
                               attributes={"email": f"m{i}@{'corp' if i % 2 else 'home'}.example.com",
                                           "given_name": f"Given{i}"}))
    seen: list[str] = []
    kwargs: dict[str, Any] = {"UserPoolId": pool["Id"], "Limit": 3}
    while True:
        page = cognito.list_users(**kwargs)
        assert len(page["Users"]) <= 3
        seen += [u["Username"] for u in page["Users"]]
        if "PaginationToken" not in page:
            break
        kwargs["PaginationToken"] = page["PaginationToken"]
    assert sorted(seen) == sorted(names)
    exact = cognito.list_users(UserPoolId=pool["Id"], Filter='email = "m3@corp.example.com"')["Users"]
    assert [u["Username"] for u in exact] == ["member-3"]
    prefix = cognito.list_users(UserPoolId=pool["Id"], Filter='username ^= "member-"')["Users"]
    assert len(prefix) == 7
    status = cognito.list_users(UserPoolId=pool["Id"], Filter='cognito:user_status = "CONFIRMED"')["Users"]
    assert len(status) == 7
    cognito.admin_disable_user(UserPoolId=pool["Id"], Username="member-0")
    disabled = cognito.list_users(UserPoolId=pool["Id"], Filter='status = "Disabled"')["Users"]
    assert [u["Username"] for u in disabled] == ["member-0"]
    projected = cognito.list_users(UserPoolId=pool["Id"], AttributesToGet=["given_name"], Limit=1)["Users"][0]
    assert [a["Name"] for a in projected["Attributes"]] == ["given_name"]
    with pytest.raises(ClientError) as excinfo:
        cognito.list_users(UserPoolId=pool["Id"], Filter='nickname = "x"')
    assert error_of(excinfo)[0] == "InvalidParameterException"
    cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_a_prefix_filtered_listing_pages_through_every_match_once(cognito: Any) -> None:
    """A prefix filter lists in the order of the filtered value (then the username), so each page reads only its
    own index entries however many users match; boto3's paginator goes through every match once."""
    pool = cognito.create_user_pool(PoolName=unique("prefix-pages"))["UserPool"]
    for i in range(8):  # emails in the opposite order of the usernames
        make_user(cognito, pool["Id"], username=f"user-{i}", attributes={"email": f"{9 - i}-x@example.com"})
    make_user(cognito, pool["Id"], username="other", attributes={"email": "other@example.com"})
    paginator = cognito.get_paginator("list_users")
    pages = list(paginator.paginate(UserPoolId=pool["Id"], Filter='email ^= ""', PaginationConfig={"PageSize": 3}))
    seen = [u["Username"] for page in pages for u in page["Users"]]
    assert seen == [f"user-{i}" for i in range(7, -1, -1)] + ["other"]
    assert all(len(page["Users"]) <= 3 for page in pages)
    cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_estimated_number_of_users(cognito: Any, pool: dict[str, Any]) -> None:
    for _ in range(3):
        make_user(cognito, pool["Id"])
    assert cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["EstimatedNumberOfUsers"] == 3

"""A signed-in user's own operations through boto3, authorised by its access token."""

from __future__ import annotations

from typing import Any

import pytest
from accounts import PASSWORD, attrs, latest_code, make_client, make_user, outbox, sign_in, unique
from botocore.exceptions import ClientError
from test_pools import error_of


@pytest.fixture
def verified_pool(cognito: Any) -> Any:
    pool = cognito.create_user_pool(PoolName=unique("self"), AutoVerifiedAttributes=["email"])["UserPool"]
    yield pool
    cognito.delete_user_pool(UserPoolId=pool["Id"])


def signed_in(cognito: Any, pool_id: str, **attributes: str) -> tuple[str, dict[str, Any], str]:
    client = make_client(cognito, pool_id)
    name = make_user(cognito, pool_id, attributes=attributes or None)
    tokens = sign_in(cognito, client["ClientId"], name)["AuthenticationResult"]
    return name, tokens, client["ClientId"]


def test_get_user_returns_the_callers_attributes(cognito: Any, verified_pool: Any) -> None:
    name, tokens, _ = signed_in(cognito, verified_pool["Id"], email="h@example.com", email_verified="true")
    me = cognito.get_user(AccessToken=tokens["AccessToken"])
    assert me["Username"] == name
    values = attrs(me["UserAttributes"])
    assert values["email"] == "h@example.com" and len(values["sub"]) == 36


def test_update_user_attributes_sends_a_code_and_verify_user_attribute_verifies(
    cognito: Any, server: Any, verified_pool: Any
) -> None:
    name, tokens, _ = signed_in(cognito, verified_pool["Id"], email="i@example.com", email_verified="true")
    out = cognito.update_user_attributes(AccessToken=tokens["AccessToken"],
                                         UserAttributes=[{"Name": "email", "Value": "i2@example.com"}])
    assert out["CodeDeliveryDetailsList"][0]["AttributeName"] == "email"
    values = attrs(cognito.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"])
    assert values["email"] == "i2@example.com" and values["email_verified"] == "false"
    with pytest.raises(ClientError) as excinfo:
        cognito.verify_user_attribute(AccessToken=tokens["AccessToken"], AttributeName="email", Code="000000"
                                      if latest_code(server, verified_pool["Id"], name) != "000000" else "111111")
    assert error_of(excinfo)[0] == "CodeMismatchException"
    cognito.verify_user_attribute(AccessToken=tokens["AccessToken"], AttributeName="email",
                                  Code=latest_code(server, verified_pool["Id"], name))
    values = attrs(cognito.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"])
    assert values["email_verified"] == "true"


def test_get_user_attribute_verification_code(cognito: Any, server: Any, verified_pool: Any) -> None:
    name, tokens, _ = signed_in(cognito, verified_pool["Id"], email="j@example.com")
    out = cognito.get_user_attribute_verification_code(AccessToken=tokens["AccessToken"], AttributeName="email")
    assert out["CodeDeliveryDetails"] == {"Destination": "j***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    message = outbox(server, verified_pool["Id"], name)[0]
    assert message["triggerSource"] == "CustomMessage_VerifyUserAttribute"
    cognito.verify_user_attribute(AccessToken=tokens["AccessToken"], AttributeName="email", Code=message["code"])


def test_delete_user_attributes(cognito: Any, verified_pool: Any) -> None:
    _, tokens, _ = signed_in(cognito, verified_pool["Id"], given_name="Kim")
    cognito.delete_user_attributes(AccessToken=tokens["AccessToken"], UserAttributeNames=["given_name"])
    assert "given_name" not in attrs(cognito.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"])


def test_change_password_checks_the_previous_password(cognito: Any, verified_pool: Any) -> None:
    name, tokens, client_id = signed_in(cognito, verified_pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        cognito.change_password(AccessToken=tokens["AccessToken"], PreviousPassword="Wrong-Pass-1",
                                ProposedPassword="Next-Pass-22")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")
    with pytest.raises(ClientError) as excinfo:
        cognito.change_password(AccessToken=tokens["AccessToken"], PreviousPassword=PASSWORD, ProposedPassword="short")
    assert error_of(excinfo)[0] == "InvalidPasswordException"
    cognito.change_password(AccessToken=tokens["AccessToken"], PreviousPassword=PASSWORD,
                            ProposedPassword="Next-Pass-22")
    assert sign_in(cognito, client_id, name, "Next-Pass-22")["AuthenticationResult"]
    with pytest.raises(ClientError):
        sign_in(cognito, client_id, name, PASSWORD)


def test_password_history_refuses_a_recent_password(cognito: Any) -> None:
    pool = cognito.create_user_pool(
        PoolName=unique("history"), Policies={"PasswordPolicy": {"MinimumLength": 8, "PasswordHistorySize": 2}}
    )["UserPool"]
    _, tokens, _ = signed_in(cognito, pool["Id"])
    cognito.change_password(AccessToken=tokens["AccessToken"], PreviousPassword=PASSWORD,
                            ProposedPassword="Second-Pass-2")
    with pytest.raises(ClientError) as excinfo:
        cognito.change_password(AccessToken=tokens["AccessToken"], PreviousPassword="Second-Pass-2",
                                ProposedPassword=PASSWORD)
    assert error_of(excinfo)[0] == "PasswordHistoryPolicyViolationException"
    cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_delete_user_deletes_the_caller(cognito: Any, verified_pool: Any) -> None:
    name, tokens, _ = signed_in(cognito, verified_pool["Id"])
    cognito.delete_user(AccessToken=tokens["AccessToken"])
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId=verified_pool["Id"], Username=name)
    assert error_of(excinfo)[0] == "UserNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.get_user(AccessToken=tokens["AccessToken"])
    assert error_of(excinfo)[0] in ("NotAuthorizedException", "UserNotFoundException")


def test_a_deleted_pool_makes_its_tokens_invalid(cognito: Any) -> None:
    pool = cognito.create_user_pool(PoolName=unique("gone"))["UserPool"]
    _, tokens, _ = signed_in(cognito, pool["Id"])
    cognito.delete_user_pool(UserPoolId=pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        cognito.get_user(AccessToken=tokens["AccessToken"])
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid Access Token")

"""SignUp, ConfirmSignUp and ResendConfirmationCode through boto3, codes read from the outbox."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest
from accounts import PASSWORD, attrs, latest_code, make_client, outbox, sign_in, unique
from botocore.exceptions import ClientError
from test_pools import error_of


@pytest.fixture
def email_pool(cognito: Any) -> Any:
    pool = cognito.create_user_pool(PoolName=unique("signup"), AutoVerifiedAttributes=["email"])["UserPool"]
    yield pool
    cognito.delete_user_pool(UserPoolId=pool["Id"])


def secret_hash(secret: str, username: str, client_id: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()).decode()


def test_sign_up_creates_an_unconfirmed_user_and_sends_a_code(cognito: Any, server: Any, email_pool: Any) -> None:
    client = make_client(cognito, email_pool["Id"])
    name = unique()
    out = cognito.sign_up(ClientId=client["ClientId"], Username=name, Password=PASSWORD,
                          UserAttributes=[{"Name": "email", "Value": "alice@example.com"}])
    assert out["UserConfirmed"] is False
    assert len(out["UserSub"]) == 36
    assert out["CodeDeliveryDetails"] == {
        "Destination": "a***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"
    }
    user = cognito.admin_get_user(UserPoolId=email_pool["Id"], Username=name)
    assert user["UserStatus"] == "UNCONFIRMED"
    assert attrs(user["UserAttributes"])["sub"] == out["UserSub"]
    message = outbox(server, email_pool["Id"], name)[0]
    assert message["deliveryMedium"] == "EMAIL" and message["destination"] == "alice@example.com"
    assert message["subject"] == "Your verification code"
    assert message["body"] == f"Your verification code is {message['code']}. "
    assert message["triggerSource"] == "CustomMessage_SignUp"
    assert len(message["code"]) == 6 and message["code"].isdigit()


def test_confirm_sign_up_with_the_code_confirms_and_verifies_the_email(cognito: Any, server: Any,
                                                                       email_pool: Any) -> None:
    client = make_client(cognito, email_pool["Id"])
    name = unique()
    cognito.sign_up(ClientId=client["ClientId"], Username=name, Password=PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": "bob@example.com"}])
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client["ClientId"], name)
    assert error_of(excinfo) == ("UserNotConfirmedException", "User is not confirmed.")
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_sign_up(ClientId=client["ClientId"], Username=name, ConfirmationCode="000000"
                                if latest_code(server, email_pool["Id"], name) != "000000" else "111111")
    assert error_of(excinfo) == ("CodeMismatchException", "Invalid verification code provided, please try again.")
    cognito.confirm_sign_up(ClientId=client["ClientId"], Username=name,
                            ConfirmationCode=latest_code(server, email_pool["Id"], name))
    user = cognito.admin_get_user(UserPoolId=email_pool["Id"], Username=name)
    assert user["UserStatus"] == "CONFIRMED"
    assert attrs(user["UserAttributes"])["email_verified"] == "true"
    assert "AccessToken" in sign_in(cognito, client["ClientId"], name)["AuthenticationResult"]
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_sign_up(ClientId=client["ClientId"], Username=name, ConfirmationCode="123456")
    assert error_of(excinfo) == ("NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")


def test_resend_confirmation_code_replaces_the_previous_code(cognito: Any, server: Any, email_pool: Any) -> None:
    client = make_client(cognito, email_pool["Id"])
    name = unique()
    cognito.sign_up(ClientId=client["ClientId"], Username=name, Password=PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": "carol@example.com"}])
    first = latest_code(server, email_pool["Id"], name)
    out = cognito.resend_confirmation_code(ClientId=client["ClientId"], Username=name)
    assert out["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    second = latest_code(server, email_pool["Id"], name)
    assert outbox(server, email_pool["Id"], name)[0]["triggerSource"] == "CustomMessage_ResendCode"
    if first != second:
        with pytest.raises(ClientError) as excinfo:
            cognito.confirm_sign_up(ClientId=client["ClientId"], Username=name, ConfirmationCode=first)
        assert error_of(excinfo)[0] == "CodeMismatchException"
    cognito.confirm_sign_up(ClientId=client["ClientId"], Username=name, ConfirmationCode=second)


def test_sign_up_twice_with_one_username_raises_username_exists(cognito: Any, email_pool: Any) -> None:
    client = make_client(cognito, email_pool["Id"])
    name = unique()
    cognito.sign_up(ClientId=client["ClientId"], Username=name, Password=PASSWORD)
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client["ClientId"], Username=name, Password=PASSWORD)
    assert error_of(excinfo) == ("UsernameExistsException", "User already exists")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Sh0rt!", "Password not long enough"),
        ("alllowercase1!", "Password must have uppercase characters"),
        ("ALLUPPERCASE1!", "Password must have lowercase characters"),
        ("NoNumbersHere!", "Password must have numeric characters"),
        ("NoSymbols1234", "Password must have symbol characters"),
    ],
)
def test_sign_up_with_a_weak_password_gives_cognitos_policy_message(cognito: Any, email_pool: Any, password: str,
                                                                    reason: str) -> None:
    client = make_client(cognito, email_pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client["ClientId"], Username=unique(), Password=password)
    assert error_of(excinfo) == ("InvalidPasswordException", f"Password did not conform with policy: {reason}")


def test_sign_up_with_a_client_secret_needs_the_secret_hash(cognito: Any, email_pool: Any) -> None:
    client = make_client(cognito, email_pool["Id"], GenerateSecret=True)
    name = unique()
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client["ClientId"], Username=name, Password=PASSWORD)
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        f"Client {client['ClientId']} is configured with secret but SECRET_HASH was not received",
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client["ClientId"], Username=name, Password=PASSWORD, SecretHash="d3Jvbmc=")
    assert error_of(excinfo) == ("NotAuthorizedException", f"Unable to verify secret hash for client {client['ClientId']}")
    out = cognito.sign_up(ClientId=client["ClientId"], Username=name, Password=PASSWORD,
                          SecretHash=secret_hash(client["ClientSecret"], name, client["ClientId"]))
    assert out["UserConfirmed"] is False


def test_sign_up_with_an_unknown_client_raises_resource_not_found(cognito: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId="abcdefghijklmnopqrstuvwxyz", Username="x", Password=PASSWORD)
    assert error_of(excinfo) == ("ResourceNotFoundException", "User pool client abcdefghijklmnopqrstuvwxyz does not exist.")


def test_email_as_username_gives_a_uuid_username(cognito: Any, server: Any) -> None:
    pool = cognito.create_user_pool(PoolName=unique("emailuser"), UsernameAttributes=["email"],
                                    AutoVerifiedAttributes=["email"])["UserPool"]
    client = make_client(cognito, pool["Id"])
    out = cognito.sign_up(ClientId=client["ClientId"], Username="dana@example.com", Password=PASSWORD)
    user = cognito.admin_get_user(UserPoolId=pool["Id"], Username="dana@example.com")
    assert user["Username"] == out["UserSub"]
    assert attrs(user["UserAttributes"])["email"] == "dana@example.com"
    cognito.confirm_sign_up(ClientId=client["ClientId"], Username="dana@example.com",
                            ConfirmationCode=latest_code(server, pool["Id"], out["UserSub"]))
    tokens = sign_in(cognito, client["ClientId"], "dana@example.com")["AuthenticationResult"]
    assert cognito.get_user(AccessToken=tokens["AccessToken"])["Username"] == out["UserSub"]
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client["ClientId"], Username="not-an-email", Password=PASSWORD)
    assert error_of(excinfo)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client["ClientId"], Username="dana@example.com", Password=PASSWORD)
    assert error_of(excinfo)[0] == "UsernameExistsException"
    cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_required_attribute_missing_is_refused(cognito: Any) -> None:
    pool = cognito.create_user_pool(
        PoolName=unique("required"),
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
    )["UserPool"]
    client = make_client(cognito, pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client["ClientId"], Username=unique(), Password=PASSWORD)
    code, message = error_of(excinfo)
    assert code == "InvalidParameterException" and "email" in message
    cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_confirm_and_resend_for_an_unknown_user(cognito: Any, email_pool: Any) -> None:
    legacy = make_client(cognito, email_pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_sign_up(ClientId=legacy["ClientId"], Username="nobody", ConfirmationCode="123456")
    assert error_of(excinfo) == ("UserNotFoundException", "Username/client id combination not found.")
    hidden = make_client(cognito, email_pool["Id"], PreventUserExistenceErrors="ENABLED")
    out = cognito.resend_confirmation_code(ClientId=hidden["ClientId"], Username="nobody")
    assert out["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"


def test_an_alias_taken_at_confirmation_raises_alias_exists_unless_forced(cognito: Any, server: Any) -> None:
    pool = cognito.create_user_pool(PoolName=unique("aliasconfirm"), AliasAttributes=["email"],
                                    AutoVerifiedAttributes=["email"])["UserPool"]
    client = make_client(cognito, pool["Id"])
    first, second = unique("first"), unique("second")
    for name in (first, second):
        cognito.sign_up(ClientId=client["ClientId"], Username=name, Password=PASSWORD,
                        UserAttributes=[{"Name": "email", "Value": "same@example.com"}])
    cognito.confirm_sign_up(ClientId=client["ClientId"], Username=first,
                            ConfirmationCode=latest_code(server, pool["Id"], first))
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_sign_up(ClientId=client["ClientId"], Username=second,
                                ConfirmationCode=latest_code(server, pool["Id"], second))
    assert error_of(excinfo) == ("AliasExistsException", "An account with the given email already exists.")
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username=second)["UserStatus"] == "UNCONFIRMED"
    cognito.resend_confirmation_code(ClientId=client["ClientId"], Username=second)
    cognito.confirm_sign_up(ClientId=client["ClientId"], Username=second, ForceAliasCreation=True,
                            ConfirmationCode=latest_code(server, pool["Id"], second))
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username="same@example.com")["Username"] == second
    cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_concurrent_sign_ups_each_stand_or_fail_alone(server: Any, cognito: Any, email_pool: Any) -> None:
    """Many SignUps at once (on SQLite they share one group commit): each answered sign-up exists, with its
    code in the outbox; the one that repeats a username gets UsernameExistsException and leaves nothing."""
    from concurrent.futures import ThreadPoolExecutor

    client_id = make_client(cognito, email_pool["Id"])["ClientId"]
    names = [unique("many") for _ in range(23)]
    attempts = [*names, names[0]]  # the last one repeats the first name

    def sign_up(name: str) -> str:
        try:
            server.client().sign_up(ClientId=client_id, Username=name, Password=PASSWORD,
                                    UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"}])
        except ClientError as exc:
            return exc.response["Error"]["Code"]
        return "ok"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(sign_up, attempts))
    assert sorted(outcomes) == ["UsernameExistsException"] + ["ok"] * len(names)
    listed = cognito.list_users(UserPoolId=email_pool["Id"], Limit=60)["Users"]
    assert sorted(u["Username"] for u in listed) == sorted(names)
    for name in names:
        assert latest_code(server, email_pool["Id"], name)
    assert len(outbox(server, email_pool["Id"], names[0])) == 1  # the refused repeat sent no code

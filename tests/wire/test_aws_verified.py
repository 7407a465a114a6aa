"""Journeys that third-party tests run against real AWS (moto's `@pytest.mark.aws_verified` tests, which pass
against Cognito itself), replayed through boto3 on both backends: what AWS accepts, userpools must accept.

Sources: getmoto/moto tests/test_cognitoidp/test_cognitoidp.py — test_authorize_user_with_force_password_change_status
(AdminCreateUser with no attributes and no DesiredDeliveryMediums, then NEW_PASSWORD_REQUIRED),
test_forgot_password_with_email_delivery_details (only a verified email, then ForgotPassword by email), and the
cognitoidp_aws_verified(with_mfa=…) fixture (CreateUserPool with MFA and an SmsConfiguration, nothing auto-verified).
"""

from __future__ import annotations

from typing import Any

import pytest
from accounts import attrs, make_client, outbox, sign_in, unique
from test_pools import SMS_ROLE

TEMPORARY = "Tempor@ryPassword123"
NEW_PASSWORD = "NewP@ssword456"
RESET_PASSWORD = "Reset-P@ssword789"


def answer_new_password(cognito: Any, client_id: str, username: str, challenge: dict[str, Any]) -> dict[str, Any]:
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED" and challenge["Session"]
    return cognito.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": NEW_PASSWORD},
    )["AuthenticationResult"]


def test_a_user_created_with_no_attributes_and_default_medium_gets_no_invitation_and_signs_in(
    cognito: Any, server: Any, pool: dict[str, Any]
) -> None:
    client = make_client(cognito, pool["Id"])
    name = unique()
    user = cognito.admin_create_user(UserPoolId=pool["Id"], Username=name, TemporaryPassword=TEMPORARY)["User"]
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD" and set(attrs(user["Attributes"])) == {"sub"}
    assert outbox(server, pool["Id"], name) == []  # SMS by default, no phone_number, no email: nothing to send
    challenge = cognito.admin_initiate_auth(
        UserPoolId=pool["Id"], ClientId=client["ClientId"], AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": TEMPORARY},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED" and challenge["Session"]
    tokens = cognito.admin_respond_to_auth_challenge(
        UserPoolId=pool["Id"], ClientId=client["ClientId"], ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"], ChallengeResponses={"USERNAME": name, "NEW_PASSWORD": NEW_PASSWORD},
    )["AuthenticationResult"]
    assert tokens["TokenType"] == "Bearer" and tokens["AccessToken"] and tokens["RefreshToken"]
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)["UserStatus"] == "CONFIRMED"
    assert sign_in(cognito, client["ClientId"], name, NEW_PASSWORD)["AuthenticationResult"]["AccessToken"]


def test_a_user_created_with_only_a_verified_email_is_invited_by_email_and_resets_its_password_by_email(
    cognito: Any, server: Any, pool: dict[str, Any]
) -> None:
    client_id = make_client(cognito, pool["Id"])["ClientId"]
    name = unique()
    cognito.admin_create_user(
        UserPoolId=pool["Id"], Username=name,
        UserAttributes=[{"Name": "email", "Value": "tess@example.com"}, {"Name": "email_verified", "Value": "True"}],
    )
    # The default medium is SMS; with no phone_number the invitation goes to the email address.
    [invitation] = outbox(server, pool["Id"], name)
    assert invitation["deliveryMedium"] == "EMAIL" and invitation["destination"] == "tess@example.com"
    assert invitation["triggerSource"] == "CustomMessage_AdminCreateUser"
    temporary = invitation["code"]
    assert invitation["body"] == f"Your username is {name} and temporary password is {temporary}."

    tokens = answer_new_password(cognito, client_id, name, sign_in(cognito, client_id, name, temporary))
    assert cognito.get_user(AccessToken=tokens["AccessToken"])["Username"] == name

    out = cognito.forgot_password(ClientId=client_id, Username=name)
    assert out["CodeDeliveryDetails"] == {"Destination": "t***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    reset = outbox(server, pool["Id"], name)[0]
    assert reset["triggerSource"] == "CustomMessage_ForgotPassword" and reset["destination"] == "tess@example.com"
    cognito.confirm_forgot_password(ClientId=client_id, Username=name, ConfirmationCode=reset["code"],
                                    Password=RESET_PASSWORD)
    assert sign_in(cognito, client_id, name, RESET_PASSWORD)["AuthenticationResult"]["AccessToken"]


@pytest.mark.parametrize("mfa", ["ON", "OPTIONAL"])
def test_a_pool_with_mfa_and_sms_configuration_but_nothing_auto_verified_serves_sign_up(
    cognito: Any, mfa: str
) -> None:
    created = cognito.create_user_pool(PoolName=unique("pool"), MfaConfiguration=mfa,
                                       SmsConfiguration=SMS_ROLE)["UserPool"]
    try:
        assert created["MfaConfiguration"] == mfa and "AutoVerifiedAttributes" not in created
        client_id = make_client(cognito, created["Id"])["ClientId"]
        name = unique()
        signed_up = cognito.sign_up(ClientId=client_id, Username=name, Password=NEW_PASSWORD)
        assert signed_up["UserConfirmed"] is False and "CodeDeliveryDetails" not in signed_up
        cognito.admin_confirm_sign_up(UserPoolId=created["Id"], Username=name)
        assert cognito.admin_get_user(UserPoolId=created["Id"], Username=name)["UserStatus"] == "CONFIRMED"
    finally:
        cognito.delete_user_pool(UserPoolId=created["Id"])

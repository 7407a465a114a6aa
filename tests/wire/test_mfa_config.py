"""The MFA configuration through boto3 against a live server: SetUserPoolMfaConfig / GetUserPoolMfaConfig
(and DescribeUserPool in step), the user's preferences (Set/AdminSetUserMFAPreference, the legacy
Set/AdminSetUserSettings), AdminDeleteSoftwareToken, and how GetUser / AdminGetUser show them."""

from __future__ import annotations

from typing import Any

import pytest
from accounts import make_user, outbox, sign_in, unique
from botocore.exceptions import ClientError
from mfa_support import (
    EMAIL_CONFIGURATION,
    SMS_CONFIGURATION,
    client_of,
    mfa_pool,
    register_totp,
    server_clock,
)
from test_pools import error_of

MFA_MEMBERS = ("MFAOptions", "PreferredMfaSetting", "UserMFASettingList")


def test_a_new_pool_has_mfa_off_and_no_factor(cognito: Any, pool: dict[str, Any]) -> None:
    assert cognito.get_user_pool_mfa_config(UserPoolId=pool["Id"])["MfaConfiguration"] == "OFF"
    config = cognito.get_user_pool_mfa_config(UserPoolId=pool["Id"])
    assert not {"SmsMfaConfiguration", "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration"} & set(config)


def test_set_user_pool_mfa_config_answers_and_keeps_the_configuration(cognito: Any) -> None:
    pool = cognito.create_user_pool(PoolName=unique("mfa"), EmailConfiguration=EMAIL_CONFIGURATION)["UserPool"]
    given = {
        "SmsMfaConfiguration": {"SmsAuthenticationMessage": "Code {####}", "SmsConfiguration": SMS_CONFIGURATION},
        "SoftwareTokenMfaConfiguration": {"Enabled": True},
        "EmailMfaConfiguration": {"Message": "Your code is {####}", "Subject": "Sign-in"},
        "MfaConfiguration": "ON",
    }
    answer = cognito.set_user_pool_mfa_config(UserPoolId=pool["Id"], **given)
    answer.pop("ResponseMetadata")
    assert answer == given
    stored = cognito.get_user_pool_mfa_config(UserPoolId=pool["Id"])
    stored.pop("ResponseMetadata")
    assert stored == given
    described = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described["MfaConfiguration"] == "ON"
    assert described["SmsAuthenticationMessage"] == "Code {####}"
    assert described["SmsConfiguration"] == SMS_CONFIGURATION


def test_a_factor_left_out_is_turned_off(cognito: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True, totp=True)
    cognito.set_user_pool_mfa_config(UserPoolId=pool["Id"], MfaConfiguration="OPTIONAL",
                                     SoftwareTokenMfaConfiguration={"Enabled": True})
    config = cognito.get_user_pool_mfa_config(UserPoolId=pool["Id"])
    assert "SmsMfaConfiguration" not in config and config["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    cognito.set_user_pool_mfa_config(UserPoolId=pool["Id"], MfaConfiguration="OFF")
    assert cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["MfaConfiguration"] == "OFF"


@pytest.mark.parametrize("request_members, error", [
    ({"MfaConfiguration": "ON"}, "InvalidParameterException"),
    ({"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": {"Enabled": False}},
     "InvalidParameterException"),
    ({"MfaConfiguration": "OPTIONAL", "SmsMfaConfiguration": {"SmsAuthenticationMessage": "Code {####}"}},
     "InvalidParameterException"),
    ({"MfaConfiguration": "OPTIONAL", "EmailMfaConfiguration": {"Message": "Code {####}"}},
     "InvalidParameterException"),
])
def test_set_user_pool_mfa_config_refuses_what_cannot_work(cognito: Any, pool: dict[str, Any],
                                                           request_members: dict[str, Any], error: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        cognito.set_user_pool_mfa_config(UserPoolId=pool["Id"], **request_members)
    assert error_of(excinfo)[0] == error
    assert cognito.get_user_pool_mfa_config(UserPoolId=pool["Id"])["MfaConfiguration"] == "OFF"


def test_email_mfa_needs_a_tier_above_lite(cognito: Any) -> None:
    pool = cognito.create_user_pool(PoolName=unique("lite"), UserPoolTier="LITE",
                                    EmailConfiguration=EMAIL_CONFIGURATION)["UserPool"]
    with pytest.raises(ClientError) as excinfo:
        cognito.set_user_pool_mfa_config(UserPoolId=pool["Id"], MfaConfiguration="OPTIONAL",
                                         EmailMfaConfiguration={"Message": "Code {####}"})
    assert error_of(excinfo)[0] == "FeatureUnavailableInTierException"


def test_mfa_config_of_an_unknown_pool_is_resource_not_found(cognito: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        cognito.get_user_pool_mfa_config(UserPoolId="us-east-1_Nope12345")
    assert error_of(excinfo) == ("ResourceNotFoundException", "User pool us-east-1_Nope12345 does not exist.")


def test_get_user_shows_no_mfa_members_until_a_factor_is_enabled(cognito: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"], attributes={"phone_number": "+15555550123"})
    token = sign_in(cognito, client, name)["AuthenticationResult"]["AccessToken"]
    assert not set(MFA_MEMBERS) & set(cognito.get_user(AccessToken=token))
    assert not set(MFA_MEMBERS) & set(cognito.admin_get_user(UserPoolId=pool["Id"], Username=name))
    cognito.set_user_mfa_preference(AccessToken=token, SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    for shown in (cognito.get_user(AccessToken=token), cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)):
        assert shown["UserMFASettingList"] == ["SMS_MFA"]
        assert shown["PreferredMfaSetting"] == "SMS_MFA"
        assert shown["MFAOptions"] == [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    cognito.admin_set_user_mfa_preference(UserPoolId=pool["Id"], Username=name, SMSMfaSettings={"Enabled": False})
    assert not set(MFA_MEMBERS) & set(cognito.get_user(AccessToken=token))


def test_preferences_refuse_factors_the_user_cannot_use(cognito: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True, totp=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])
    token = sign_in(cognito, client, name)["AuthenticationResult"]["AccessToken"]
    cases = [
        (lambda: cognito.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True}),
         "User has not set up software token mfa"),
        (lambda: cognito.admin_set_user_mfa_preference(UserPoolId=pool["Id"], Username=name,
                                                       SoftwareTokenMfaSettings={"Enabled": True}),
         "User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA"),
        (lambda: cognito.set_user_mfa_preference(AccessToken=token, SMSMfaSettings={"Enabled": True}),
         "User does not have a phone_number set to turn on SMS MFA"),
    ]
    for call, message in cases:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("InvalidParameterException", message)
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_set_user_mfa_preference(UserPoolId=pool["Id"], Username="nobody-here",
                                              SMSMfaSettings={"Enabled": True})
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")


def test_two_preferred_factors_are_refused(server: Any, cognito: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True, totp=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"], attributes={"phone_number": "+15555550123"})
    token = sign_in(cognito, client, name)["AuthenticationResult"]["AccessToken"]
    with server_clock(server) as clock:
        register_totp(cognito, clock, token)
    with pytest.raises(ClientError) as excinfo:
        cognito.set_user_mfa_preference(AccessToken=token, SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
                                        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert error_of(excinfo)[0] == "InvalidParameterException"
    cognito.set_user_mfa_preference(AccessToken=token, SMSMfaSettings={"Enabled": True},
                                    SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    user = cognito.get_user(AccessToken=token)
    assert user["UserMFASettingList"] == ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]
    assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"


def test_legacy_user_settings_turn_sms_mfa_on_and_off(cognito: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"], attributes={"phone_number": "+15555550199"})
    token = sign_in(cognito, client, name)["AuthenticationResult"]["AccessToken"]
    option = [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    cognito.set_user_settings(AccessToken=token, MFAOptions=option)
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)["MFAOptions"] == option
    assert cognito.get_user(AccessToken=token)["UserMFASettingList"] == ["SMS_MFA"]
    cognito.admin_set_user_settings(UserPoolId=pool["Id"], Username=name, MFAOptions=[])
    assert not set(MFA_MEMBERS) & set(cognito.admin_get_user(UserPoolId=pool["Id"], Username=name))
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_set_user_settings(UserPoolId=pool["Id"], Username=name,
                                        MFAOptions=[{"DeliveryMedium": "EMAIL", "AttributeName": "email"}])
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_admin_delete_software_token_removes_the_factor(server: Any, cognito: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", totp=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])
    token = sign_in(cognito, client, name)["AuthenticationResult"]["AccessToken"]
    with server_clock(server) as clock:
        register_totp(cognito, clock, token)
        cognito.set_user_mfa_preference(AccessToken=token,
                                        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
        assert sign_in(cognito, client, name)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        cognito.admin_delete_software_token(UserPoolId=pool["Id"], Username=name)
        assert not set(MFA_MEMBERS) & set(cognito.admin_get_user(UserPoolId=pool["Id"], Username=name))
        assert "AuthenticationResult" in sign_in(cognito, client, name)
        with pytest.raises(ClientError) as excinfo:
            cognito.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True})
        assert error_of(excinfo) == ("InvalidParameterException", "User has not set up software token mfa")


def test_the_mfa_channel_is_not_a_recovery_channel(server: Any, cognito: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"], attributes={"phone_number": "+15555550177", "phone_number_verified": "true"})
    assert cognito.forgot_password(ClientId=client, Username=name)["CodeDeliveryDetails"]["DeliveryMedium"] == "SMS"
    cognito.admin_set_user_mfa_preference(UserPoolId=pool["Id"], Username=name, SMSMfaSettings={"Enabled": True})
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=client, Username=name)
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_a_pool_created_with_sms_mfa_reports_it_and_asks_for_it(cognito: Any, server: Any) -> None:
    pool = cognito.create_user_pool(PoolName=unique("sms"), MfaConfiguration="OPTIONAL",
                                    SmsConfiguration=SMS_CONFIGURATION,
                                    SmsAuthenticationMessage="Login code {####}")["UserPool"]
    config = cognito.get_user_pool_mfa_config(UserPoolId=pool["Id"])
    assert config["MfaConfiguration"] == "OPTIONAL"
    assert config["SmsMfaConfiguration"] == {"SmsAuthenticationMessage": "Login code {####}",
                                             "SmsConfiguration": SMS_CONFIGURATION}
    assert "SoftwareTokenMfaConfiguration" not in config
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"], attributes={"phone_number": "+15555550166"})
    cognito.admin_set_user_mfa_preference(UserPoolId=pool["Id"], Username=name, SMSMfaSettings={"Enabled": True})
    assert sign_in(cognito, client, name)["ChallengeName"] == "SMS_MFA"
    assert outbox(server, pool["Id"], name)[0]["body"].startswith("Login code ")

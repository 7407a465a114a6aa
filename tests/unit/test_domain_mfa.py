"""domain.mfa: the pool's factors, the user's preferences, and which challenge follows the first factor."""

from __future__ import annotations

from typing import Any

import pytest

from userpools.domain import mfa
from userpools.errors import FeatureUnavailableInTierException, InvalidParameterException

SMS_CONFIG = {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"}
DEVELOPER = {"EmailSendingAccount": "DEVELOPER"}
PHONE = {"phone_number": "+15555550100"}
EMAIL = {"email": "a@example.com"}
TOKEN = {mfa.TOKEN: {"Secret": "sealed"}}


def pool(mode: str = "OPTIONAL", *factors: str) -> dict[str, Any]:
    request: dict[str, Any] = {"MfaConfiguration": mode}
    if "sms" in factors:
        request["SmsMfaConfiguration"] = {"SmsConfiguration": SMS_CONFIG}
    if "totp" in factors:
        request["SoftwareTokenMfaConfiguration"] = {"Enabled": True}
    if "email" in factors:
        request["EmailMfaConfiguration"] = {"Message": "{####}"}
    return mfa.with_mfa_config({"EmailConfiguration": DEVELOPER}, request)


def user(*enabled: str, preferred: str | None = None, token: bool = False) -> dict[str, Any]:
    return mfa.with_factors(TOKEN if token else {}, list(enabled), preferred)


def test_a_pool_created_with_mfa_and_sms_configuration_offers_sms() -> None:
    assert mfa.pool_factors({"MfaConfiguration": "ON", "SmsConfiguration": SMS_CONFIG}) == ["SMS_MFA"]
    assert mfa.pool_factors({"MfaConfiguration": "OFF", "SmsConfiguration": SMS_CONFIG}) == []


def test_set_mfa_config_replaces_the_factors_and_reports_them() -> None:
    settings = pool("ON", "sms", "totp", "email")
    assert mfa.pool_factors(settings) == ["SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]
    settings = mfa.with_mfa_config(settings, {"MfaConfiguration": "OPTIONAL",
                                              "SoftwareTokenMfaConfiguration": {"Enabled": True}})
    assert mfa.pool_factors(settings) == ["SOFTWARE_TOKEN_MFA"]
    assert mfa.mfa_config(settings) == {"SoftwareTokenMfaConfiguration": {"Enabled": True},
                                        "MfaConfiguration": "OPTIONAL"}


@pytest.mark.parametrize("current, request_members, error", [
    ({}, {"MfaConfiguration": "ON"}, InvalidParameterException),
    ({}, {"MfaConfiguration": "OPTIONAL", "SmsMfaConfiguration": {}}, InvalidParameterException),
    ({}, {"MfaConfiguration": "OPTIONAL", "EmailMfaConfiguration": {}}, InvalidParameterException),
    ({"UserPoolTier": "LITE", "EmailConfiguration": DEVELOPER},
     {"MfaConfiguration": "OPTIONAL", "EmailMfaConfiguration": {}}, FeatureUnavailableInTierException),
])
def test_set_mfa_config_refusals(current: dict[str, Any], request_members: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        mfa.with_mfa_config(current, request_members)


@pytest.mark.parametrize("settings, extra, attributes, expected", [
    (pool("OFF", "totp"), user("SOFTWARE_TOKEN_MFA", token=True), {}, mfa.NextStep("tokens")),
    (pool("OPTIONAL", "sms", "totp"), user(), PHONE, mfa.NextStep("tokens")),
    (pool("ON", "sms", "totp"), user(), {}, mfa.NextStep("setup", ("SMS_MFA", "SOFTWARE_TOKEN_MFA"))),
    (pool("ON", "sms", "totp"), user(), PHONE, mfa.NextStep("challenge", ("SMS_MFA",))),
    (pool("ON", "sms", "email"), user(), {**PHONE, **EMAIL}, mfa.NextStep("select", ("SMS_MFA", "EMAIL_OTP"))),
    (pool("OPTIONAL", "sms", "totp"), user("SMS_MFA", "SOFTWARE_TOKEN_MFA", token=True), PHONE,
     mfa.NextStep("select", ("SMS_MFA", "SOFTWARE_TOKEN_MFA"))),
    (pool("OPTIONAL", "sms", "totp"), user("SMS_MFA", "SOFTWARE_TOKEN_MFA", preferred="SMS_MFA", token=True),
     PHONE, mfa.NextStep("challenge", ("SMS_MFA",))),
    # SMS enabled but the phone deleted: the token is the only usable factor
    (pool("OPTIONAL", "sms", "totp"), user("SMS_MFA", "SOFTWARE_TOKEN_MFA", token=True), {},
     mfa.NextStep("challenge", ("SOFTWARE_TOKEN_MFA",))),
    # the pool stopped offering tokens: one verified before keeps working [C: DG23]
    (pool("OPTIONAL", "sms"), user("SOFTWARE_TOKEN_MFA", token=True), {},
     mfa.NextStep("challenge", ("SOFTWARE_TOKEN_MFA",))),
    (pool("OPTIONAL", "email"), user("EMAIL_OTP"), EMAIL, mfa.NextStep("challenge", ("EMAIL_OTP",))),
])
def test_next_step(settings: dict[str, Any], extra: dict[str, Any], attributes: dict[str, str],
                   expected: mfa.NextStep) -> None:
    assert mfa.next_step(settings, extra, attributes) == expected


@pytest.mark.parametrize("settings, extra, attributes, expected", [
    # MFA OFF, nothing enabled: a verified token is still a factor threat protection can ask for
    (pool("OFF", "totp"), TOKEN, {}, mfa.NextStep("challenge", ("SOFTWARE_TOKEN_MFA",))),
    # a phone the pool can send to, nothing set up
    (pool("OFF", "sms"), user(), PHONE, mfa.NextStep("challenge", ("SMS_MFA",))),
    (pool("OPTIONAL", "sms", "email"), user(), {**PHONE, **EMAIL},
     mfa.NextStep("select", ("SMS_MFA", "EMAIL_OTP"))),
    # an enabled, preferred factor wins over the others the user could receive
    (pool("OPTIONAL", "sms", "totp"), user("SOFTWARE_TOKEN_MFA", preferred="SOFTWARE_TOKEN_MFA", token=True),
     PHONE, mfa.NextStep("challenge", ("SOFTWARE_TOKEN_MFA",))),
    # SMS offered but no phone, email not offered: no factor (MFA_IF_CONFIGURED allows, MFA_REQUIRED blocks)
    (pool("OPTIONAL", "sms"), user(), EMAIL, None),
    (pool("OFF"), user(), {**PHONE, **EMAIL}, None),
])
def test_risk_step(settings: dict[str, Any], extra: dict[str, Any], attributes: dict[str, str],
                   expected: mfa.NextStep | None) -> None:
    assert mfa.risk_step(settings, extra, attributes) == expected


def test_preferences_enable_prefer_and_clear() -> None:
    extra = mfa.with_preferences(TOKEN, PHONE, {"SMSMfaSettings": {"Enabled": True, "PreferredMfa": True},
                                                "SoftwareTokenMfaSettings": {"Enabled": True}}, admin=False)
    assert extra["UserMFASettingList"] == ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]
    assert extra["PreferredMfaSetting"] == "SMS_MFA"
    assert extra["MFAOptions"] == [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    extra = mfa.with_preferences(extra, PHONE, {"SMSMfaSettings": {"Enabled": False}}, admin=False)
    assert extra["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert "PreferredMfaSetting" not in extra and "MFAOptions" not in extra
    extra = mfa.with_preferences(extra, PHONE, {"SoftwareTokenMfaSettings": {"Enabled": False}}, admin=False)
    assert not {"UserMFASettingList", "PreferredMfaSetting", "MFAOptions"} & set(extra)
    assert extra[mfa.TOKEN] == {"Secret": "sealed"}  # disabled, still registered


def test_without_token_removes_the_factor_and_its_preference() -> None:
    extra = mfa.with_factors(TOKEN, ["SOFTWARE_TOKEN_MFA", "SMS_MFA"], "SOFTWARE_TOKEN_MFA")
    left = mfa.without_token(extra)
    assert left["UserMFASettingList"] == ["SMS_MFA"] and "PreferredMfaSetting" not in left
    assert mfa.TOKEN not in left

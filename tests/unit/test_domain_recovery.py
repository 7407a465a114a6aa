"""Which channel a reset code goes to, and the simulated answers of PreventUserExistenceErrors."""

from __future__ import annotations

import pytest

from userpools.domain import recovery as rules

VERIFIED_BOTH = {"email": "a@example.com", "email_verified": "true", "phone_number": "+14325550000",
                 "phone_number_verified": "true"}


def setting(*names: str) -> dict[str, object]:
    return {"AccountRecoverySetting": {"RecoveryMechanisms": [
        {"Priority": i + 1, "Name": name} for i, name in enumerate(names)]}}


def test_without_a_setting_a_verified_phone_comes_first() -> None:
    assert rules.recovery_channel({}, VERIFIED_BOTH, {}) == "phone_number"
    assert rules.recovery_channel({}, {**VERIFIED_BOTH, "phone_number_verified": "false"}, {}) == "email"


def test_the_setting_decides_by_priority_and_falls_back() -> None:
    assert rules.recovery_channel(setting("verified_email", "verified_phone_number"), VERIFIED_BOTH, {}) == "email"
    only_phone = {"phone_number": "+1", "phone_number_verified": "true"}
    assert rules.recovery_channel(setting("verified_email", "verified_phone_number"), only_phone, {}) == "phone_number"
    assert rules.recovery_channel(setting("verified_email"), only_phone, {}) is None


def test_priorities_are_read_not_the_list_order() -> None:
    reversed_setting = {"AccountRecoverySetting": {"RecoveryMechanisms": [
        {"Priority": 2, "Name": "verified_phone_number"}, {"Priority": 1, "Name": "verified_email"}]}}
    assert rules.recovery_channel(reversed_setting, VERIFIED_BOTH, {}) == "email"


def test_an_unverified_attribute_does_not_count() -> None:
    assert rules.recovery_channel({}, {"email": "a@example.com"}, {}) is None
    assert rules.recovery_channel({}, {"email": "a@example.com", "email_verified": "false"}, {}) is None


def test_admin_only_stands_alone() -> None:
    assert rules.recovery_channel(setting("admin_only"), VERIFIED_BOTH, {}) == rules.ADMIN_ONLY
    assert rules.admin_reset_channel(setting("admin_only"), VERIFIED_BOTH, {}) == "phone_number"


@pytest.mark.parametrize(("extra", "expected"), [
    ({"UserMFASettingList": ["SMS_MFA"]}, "email"),
    ({"PreferredMfaSetting": "SMS_MFA"}, "email"),
    ({"UserMFASettingList": ["EMAIL_OTP"]}, "phone_number"),
    ({"UserMFASettingList": ["SMS_MFA", "EMAIL_OTP"]}, None),
    ({"UserMFASettingList": ["SOFTWARE_TOKEN_MFA"]}, "phone_number"),
])
def test_the_users_mfa_channel_is_never_a_recovery_channel(extra: dict[str, object], expected: str | None) -> None:
    assert rules.recovery_channel({}, VERIFIED_BOTH, extra) == expected


def test_simulated_answers_are_stable_per_name_and_shaped_like_real_ones() -> None:
    key = b"k" * 32
    first = rules.simulated_delivery({}, "nobody", key)
    assert first == rules.simulated_delivery({}, "nobody", key)
    assert first["DeliveryMedium"] == "EMAIL" and first["AttributeName"] == "email"
    local, domain = first["Destination"].split("@")
    assert local.endswith("***") and domain.endswith("***") and len(local) == len(domain) == 4
    phone = rules.simulated_delivery(setting("verified_phone_number"), "nobody", key)
    assert phone["DeliveryMedium"] == "SMS" and phone["Destination"].startswith("+*******")
    assert rules.simulated_delivery({}, "+14325550000", key)["DeliveryMedium"] == "SMS"
    assert rules.simulated_delivery(setting("verified_phone_number"), "x@example.com", key)["DeliveryMedium"] == "EMAIL"

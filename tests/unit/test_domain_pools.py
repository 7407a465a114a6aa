"""The pool domain: CreateUserPool defaults, the rules Cognito enforces, UpdateUserPool's reset semantics,
AddCustomAttributes, and the DescribeUserPool / ListUserPools views."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime

import pytest

from userpools.domain import pools
from userpools.domain.pools import new_pool_settings, updated_pool_settings, with_custom_attributes
from userpools.domain.records import PoolRecord
from userpools.errors import FeatureUnavailableInTierException, InvalidParameterException

CREATED = datetime(2025, 5, 19, 10, 1, 16, 981000, tzinfo=UTC)
UPDATED = datetime(2025, 5, 20, 8, 0, 0, tzinfo=UTC)
STANDARD_NAMES = [
    "sub",
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
]
SMS = {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms", "ExternalId": "x"}


def attribute(settings: dict, name: str) -> dict:
    return next(a for a in settings["SchemaAttributes"] if a["Name"] == name)


def custom_names(settings: dict) -> list[str]:
    return [a["Name"] for a in settings["SchemaAttributes"] if a["Name"] not in STANDARD_NAMES]


def record(settings: dict) -> PoolRecord:
    return PoolRecord(
        id="us-east-1_AbCdEfGhI", name="MyPool", created_at=CREATED, updated_at=UPDATED, settings=settings
    )


def refused(message: str, exc: type[Exception] = InvalidParameterException):
    return pytest.raises(exc, match=f"^{re.escape(message)}$")


# --- a pool created with only PoolName ---------------------------------------------------------------------


def test_default_pool_has_the_default_password_policy():
    assert new_pool_settings({})["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 8,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "TemporaryPasswordValidityDays": 7,
    }


def test_default_pool_shows_no_password_history_size():
    assert "PasswordHistorySize" not in new_pool_settings({})["Policies"]["PasswordPolicy"]


def test_default_pool_allows_password_as_the_only_first_factor():
    assert new_pool_settings({})["Policies"]["SignInPolicy"] == {"AllowedFirstAuthFactors": ["PASSWORD"]}


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("DeletionProtection", "INACTIVE"),
        ("LambdaConfig", {}),
        ("VerificationMessageTemplate", {"DefaultEmailOption": "CONFIRM_WITH_CODE"}),
        ("MfaConfiguration", "OFF"),
        ("EmailConfiguration", {"EmailSendingAccount": "COGNITO_DEFAULT"}),
        ("AdminCreateUserConfig", {"AllowAdminCreateUserOnly": False, "UnusedAccountValidityDays": 7}),
        ("UserPoolTags", {}),
        ("UserPoolTier", "ESSENTIALS"),
    ],
)
def test_default_pool_fills_in(member, value):
    assert new_pool_settings({})[member] == value


@pytest.mark.parametrize(
    "member",
    [
        "AutoVerifiedAttributes",
        "AliasAttributes",
        "UsernameAttributes",
        "SmsVerificationMessage",
        "EmailVerificationMessage",
        "EmailVerificationSubject",
        "SmsAuthenticationMessage",
        "UserAttributeUpdateSettings",
        "DeviceConfiguration",
        "SmsConfiguration",
        "UserPoolAddOns",
        "UsernameConfiguration",
        "AccountRecoverySetting",
        "DcrConfiguration",
        "KeyConfiguration",
        "IssuerConfiguration",
        "AcrConfiguration",
        "Status",
        "Domain",
    ],
)
def test_default_pool_leaves_out(member):
    assert member not in new_pool_settings({})


def test_default_pool_schema_is_the_twenty_standard_attributes_in_cognitos_order():
    assert [a["Name"] for a in new_pool_settings({})["SchemaAttributes"]] == STANDARD_NAMES


def test_default_schema_sub_is_a_required_immutable_string_of_1_to_2048():
    assert attribute(new_pool_settings({}), "sub") == {
        "Name": "sub",
        "AttributeDataType": "String",
        "DeveloperOnlyAttribute": False,
        "Mutable": False,
        "Required": True,
        "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "2048"},
    }


def test_default_schema_plain_strings_are_optional_mutable_and_0_to_2048():
    settings = new_pool_settings({})
    for name in ("name", "email", "phone_number", "address", "website", "zoneinfo", "locale"):
        assert attribute(settings, name) == {
            "Name": name,
            "AttributeDataType": "String",
            "DeveloperOnlyAttribute": False,
            "Mutable": True,
            "Required": False,
            "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"},
        }


def test_default_schema_birthdate_is_exactly_10_characters():
    assert attribute(new_pool_settings({}), "birthdate")["StringAttributeConstraints"] == {
        "MinLength": "10",
        "MaxLength": "10",
    }


@pytest.mark.parametrize("name", ["email_verified", "phone_number_verified"])
def test_default_schema_verified_flags_are_booleans_without_constraints(name):
    assert attribute(new_pool_settings({}), name) == {
        "Name": name,
        "AttributeDataType": "Boolean",
        "DeveloperOnlyAttribute": False,
        "Mutable": True,
        "Required": False,
    }


def test_default_schema_updated_at_is_a_number_from_zero():
    assert attribute(new_pool_settings({}), "updated_at") == {
        "Name": "updated_at",
        "AttributeDataType": "Number",
        "DeveloperOnlyAttribute": False,
        "Mutable": True,
        "Required": False,
        "NumberAttributeConstraints": {"MinValue": "0"},
    }


def test_new_pool_settings_ignores_pool_name():
    assert new_pool_settings({"PoolName": "x"}) == new_pool_settings({})


def test_new_pool_settings_does_not_change_the_request():
    request = {
        "Policies": {"PasswordPolicy": {"MinimumLength": 10}},
        "Schema": [{"Name": "a", "AttributeDataType": "String"}],
        "VerificationMessageTemplate": {"SmsMessage": "code {####}"},
    }
    before = copy.deepcopy(request)
    new_pool_settings(request)
    assert request == before


# --- given members --------------------------------------------------------------------------------------------


def test_given_password_policy_turns_omitted_flags_off_and_fills_length_and_validity():
    policy = new_pool_settings({"Policies": {"PasswordPolicy": {"RequireNumbers": True}}})["Policies"]
    assert policy["PasswordPolicy"] == {
        "MinimumLength": 8,
        "RequireUppercase": False,
        "RequireLowercase": False,
        "RequireNumbers": True,
        "RequireSymbols": False,
        "TemporaryPasswordValidityDays": 7,
    }
    assert policy["SignInPolicy"] == {"AllowedFirstAuthFactors": ["PASSWORD"]}


def test_given_password_history_size_is_shown_in_model_order():
    policy = new_pool_settings(
        {
            "Policies": {
                "PasswordPolicy": {
                    "MinimumLength": 12,
                    "PasswordHistorySize": 5,
                    "TemporaryPasswordValidityDays": 3,
                }
            }
        }
    )
    assert list(policy["Policies"]["PasswordPolicy"]) == [
        "MinimumLength",
        "RequireUppercase",
        "RequireLowercase",
        "RequireNumbers",
        "RequireSymbols",
        "PasswordHistorySize",
        "TemporaryPasswordValidityDays",
    ]
    assert policy["Policies"]["PasswordPolicy"]["PasswordHistorySize"] == 5


def test_temporary_password_validity_of_zero_means_seven_days():
    settings = new_pool_settings({"Policies": {"PasswordPolicy": {"TemporaryPasswordValidityDays": 0}}})
    assert settings["Policies"]["PasswordPolicy"]["TemporaryPasswordValidityDays"] == 7


def test_sign_in_policy_alone_keeps_the_default_password_policy():
    settings = new_pool_settings(
        {"Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}}
    )
    assert settings["Policies"]["PasswordPolicy"] == pools.DEFAULT_PASSWORD_POLICY
    assert settings["Policies"]["SignInPolicy"]["AllowedFirstAuthFactors"] == ["PASSWORD", "EMAIL_OTP"]


def test_unused_account_validity_mirrors_the_temporary_password_validity():
    settings = new_pool_settings({"Policies": {"PasswordPolicy": {"TemporaryPasswordValidityDays": 1}}})
    assert settings["AdminCreateUserConfig"] == {
        "AllowAdminCreateUserOnly": False,
        "UnusedAccountValidityDays": 1,
    }


def test_legacy_unused_account_validity_alone_sets_the_temporary_password_validity():
    settings = new_pool_settings({"AdminCreateUserConfig": {"UnusedAccountValidityDays": 3}})
    assert settings["Policies"]["PasswordPolicy"]["TemporaryPasswordValidityDays"] == 3
    assert settings["AdminCreateUserConfig"]["UnusedAccountValidityDays"] == 3


def test_unused_account_validity_with_temporary_password_validity_is_refused():
    with refused(
        "Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays"
    ):
        new_pool_settings(
            {
                "Policies": {"PasswordPolicy": {"TemporaryPasswordValidityDays": 7}},
                "AdminCreateUserConfig": {"UnusedAccountValidityDays": 7},
            }
        )


def test_admin_create_user_config_keeps_the_given_flag_and_invite_template():
    invite = {"EmailSubject": "Welcome", "EmailMessage": "Hi {username}, {####}"}
    settings = new_pool_settings(
        {"AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True, "InviteMessageTemplate": invite}}
    )
    assert settings["AdminCreateUserConfig"] == {
        "AllowAdminCreateUserOnly": True,
        "UnusedAccountValidityDays": 7,
        "InviteMessageTemplate": invite,
    }


def test_verification_template_is_echoed_in_the_legacy_members():
    settings = new_pool_settings(
        {
            "VerificationMessageTemplate": {
                "SmsMessage": "sms {####}",
                "EmailMessage": "mail {####}",
                "EmailSubject": "subject",
            }
        }
    )
    assert settings["SmsVerificationMessage"] == "sms {####}"
    assert settings["EmailVerificationMessage"] == "mail {####}"
    assert settings["EmailVerificationSubject"] == "subject"
    assert settings["VerificationMessageTemplate"]["DefaultEmailOption"] == "CONFIRM_WITH_CODE"


def test_legacy_messages_are_echoed_in_the_verification_template():
    settings = new_pool_settings(
        {
            "EmailVerificationMessage": "mail {####}",
            "EmailVerificationSubject": "s",
            "SmsVerificationMessage": "sms {####}",
        }
    )
    assert settings["VerificationMessageTemplate"] == {
        "SmsMessage": "sms {####}",
        "EmailMessage": "mail {####}",
        "EmailSubject": "s",
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
    }
    assert settings["EmailVerificationMessage"] == "mail {####}"


def test_template_wins_over_a_different_legacy_message():
    settings = new_pool_settings(
        {
            "EmailVerificationMessage": "old {####}",
            "VerificationMessageTemplate": {"EmailMessage": "new {####}"},
        }
    )
    assert settings["EmailVerificationMessage"] == "new {####}"


def test_link_message_without_link_text_is_invalid():
    with refused("The message is invalid."):
        new_pool_settings(
            {
                "VerificationMessageTemplate": {
                    "DefaultEmailOption": "CONFIRM_WITH_LINK",
                    "EmailMessageByLink": "EMAIL CODE {####}",
                }
            }
        )


def test_link_message_with_link_text_is_accepted():
    template = {
        "DefaultEmailOption": "CONFIRM_WITH_LINK",
        "EmailMessageByLink": "Click {##Verify Email##}",
        "EmailSubjectByLink": "Your verification link",
    }
    assert (
        new_pool_settings({"VerificationMessageTemplate": template})["VerificationMessageTemplate"]
        == template
    )


def test_email_configuration_gets_the_default_sending_account():
    settings = new_pool_settings({"EmailConfiguration": {"ReplyToEmailAddress": "a@example.com"}})
    assert settings["EmailConfiguration"] == {
        "ReplyToEmailAddress": "a@example.com",
        "EmailSendingAccount": "COGNITO_DEFAULT",
    }


def test_developer_email_sending_account_is_kept():
    config = {
        "SourceArn": "arn:aws:ses:us-east-1:123456789012:identity/a@example.com",
        "EmailSendingAccount": "DEVELOPER",
    }
    assert new_pool_settings({"EmailConfiguration": config})["EmailConfiguration"] == config


def test_pre_token_generation_config_is_copied_to_the_legacy_member():
    arn = "arn:aws:lambda:us-east-1:123456789012:function:pre"
    config = new_pool_settings(
        {"LambdaConfig": {"PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": arn}}}
    )["LambdaConfig"]
    assert config["PreTokenGeneration"] == arn


def test_pre_token_generation_arns_that_differ_are_refused():
    with pytest.raises(InvalidParameterException):
        new_pool_settings(
            {
                "LambdaConfig": {
                    "PreTokenGeneration": "arn:aws:lambda:us-east-1:123456789012:function:a",
                    "PreTokenGenerationConfig": {
                        "LambdaVersion": "V1_0",
                        "LambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:b",
                    },
                }
            }
        )


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("AutoVerifiedAttributes", ["email"]),
        ("AliasAttributes", ["email", "preferred_username"]),
        ("UsernameAttributes", ["email"]),
        ("UsernameConfiguration", {"CaseSensitive": False}),
        ("DeletionProtection", "ACTIVE"),
        ("AccountRecoverySetting", {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]}),
        ("UserAttributeUpdateSettings", {"AttributesRequireVerificationBeforeUpdate": ["email"]}),
        ("DeviceConfiguration", {"ChallengeRequiredOnNewDevice": True}),
        ("UserPoolTags", {"team": "a"}),
        ("SmsAuthenticationMessage", "Your code is {####}"),
        ("UserPoolTier", "PLUS"),
        ("IssuerConfiguration", {"Type": "UPDATED"}),
    ],
)
def test_given_members_are_stored_as_given(member, value):
    assert new_pool_settings({member: value})[member] == value


def test_acr_configuration_is_shown_with_the_default_names_merged_in():
    settings = new_pool_settings({"AcrConfiguration": {"Level2": {"AcrValue": "urn:example:mfa"}}})
    assert settings["AcrConfiguration"] == {
        "Level1": {"AcrValue": "urn:cognito:loa:1"},
        "Level2": {"AcrValue": "urn:example:mfa"},
        "Level3": {"AcrValue": "urn:cognito:loa:3"},
        "Level4": {"AcrValue": "urn:cognito:loa:4"},
    }


def test_acr_names_must_be_unique_including_defaults():
    with pytest.raises(InvalidParameterException):
        new_pool_settings({"AcrConfiguration": {"Level2": {"AcrValue": "urn:cognito:loa:1"}}})


# --- the schema -------------------------------------------------------------------------------------------------


def test_custom_attribute_gets_the_custom_prefix_and_defaults():
    settings = new_pool_settings({"Schema": [{"Name": "tenant", "AttributeDataType": "String"}]})
    assert custom_names(settings) == ["custom:tenant"]
    assert attribute(settings, "custom:tenant") == {
        "Name": "custom:tenant",
        "AttributeDataType": "String",
        "DeveloperOnlyAttribute": False,
        "Mutable": True,
        "Required": False,
        "StringAttributeConstraints": {},
    }


def test_developer_only_attribute_gets_the_dev_custom_prefix():
    settings = new_pool_settings(
        {"Schema": [{"Name": "x", "AttributeDataType": "String", "DeveloperOnlyAttribute": True}]}
    )
    assert attribute(settings, "dev:custom:x")["DeveloperOnlyAttribute"] is True


def test_custom_attributes_follow_the_standard_ones_in_request_order():
    settings = new_pool_settings(
        {
            "Schema": [
                {"Name": "b", "AttributeDataType": "Number"},
                {"Name": "email", "Required": True},
                {"Name": "a", "AttributeDataType": "Boolean"},
            ]
        }
    )
    assert [a["Name"] for a in settings["SchemaAttributes"]] == [*STANDARD_NAMES, "custom:b", "custom:a"]


def test_custom_number_shows_constraints_only_when_given():
    settings = new_pool_settings(
        {
            "Schema": [
                {"Name": "n", "AttributeDataType": "Number"},
                {
                    "Name": "m",
                    "AttributeDataType": "Number",
                    "NumberAttributeConstraints": {"MinValue": "-5", "MaxValue": "20"},
                },
            ]
        }
    )
    assert "NumberAttributeConstraints" not in attribute(settings, "custom:n")
    assert attribute(settings, "custom:m")["NumberAttributeConstraints"] == {
        "MinValue": "-5",
        "MaxValue": "20",
    }


@pytest.mark.parametrize("data_type", ["Boolean", "DateTime"])
def test_custom_boolean_and_datetime_have_no_constraints(data_type):
    both = {"NumberAttributeConstraints": {"MinValue": "1"}, "StringAttributeConstraints": {"MinLength": "1"}}
    settings = new_pool_settings({"Schema": [{"Name": "v", "AttributeDataType": data_type, **both}]})
    assert set(attribute(settings, "custom:v")) == {
        "Name",
        "AttributeDataType",
        "DeveloperOnlyAttribute",
        "Mutable",
        "Required",
    }


def test_constraints_of_the_other_type_are_dropped_and_partial_ones_kept():
    settings = new_pool_settings(
        {
            "Schema": [
                {
                    "Name": "s",
                    "AttributeDataType": "String",
                    "StringAttributeConstraints": {"MaxLength": "2048"},
                    "NumberAttributeConstraints": {"MinValue": "1"},
                }
            ]
        }
    )
    assert attribute(settings, "custom:s")["StringAttributeConstraints"] == {"MaxLength": "2048"}
    assert "NumberAttributeConstraints" not in attribute(settings, "custom:s")


def test_immutable_custom_attribute_is_kept_immutable():
    settings = new_pool_settings(
        {"Schema": [{"Name": "id", "AttributeDataType": "String", "Mutable": False}]}
    )
    assert attribute(settings, "custom:id")["Mutable"] is False


def test_standard_attribute_can_be_made_required_and_immutable():
    settings = new_pool_settings({"Schema": [{"Name": "email", "Required": True, "Mutable": False}]})
    assert attribute(settings, "email")["Required"] is True
    assert attribute(settings, "email")["Mutable"] is False
    assert custom_names(settings) == []


def test_standard_attribute_constraints_change_when_the_data_type_is_named():
    settings = new_pool_settings(
        {
            "Schema": [
                {
                    "Name": "given_name",
                    "AttributeDataType": "String",
                    "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "255"},
                }
            ]
        }
    )
    assert attribute(settings, "given_name")["StringAttributeConstraints"] == {
        "MinLength": "0",
        "MaxLength": "255",
    }


def test_standard_attribute_constraints_without_the_data_type_are_ignored():
    settings = new_pool_settings(
        {"Schema": [{"Name": "given_name", "StringAttributeConstraints": {"MaxLength": "255"}}]}
    )
    assert attribute(settings, "given_name")["StringAttributeConstraints"] == {
        "MinLength": "0",
        "MaxLength": "2048",
    }


def test_replayed_describe_output_is_accepted_unchanged():
    schema = new_pool_settings({})["SchemaAttributes"] + [copy.deepcopy(pools.IDENTITIES_ATTRIBUTE)]
    settings = new_pool_settings({"Schema": schema})
    assert settings["SchemaAttributes"] == schema


def test_identities_given_in_the_schema_is_shown_after_the_standard_attributes():
    settings = new_pool_settings({"Schema": [{"Name": "identities", "AttributeDataType": "String"}]})
    assert [a["Name"] for a in settings["SchemaAttributes"]] == [*STANDARD_NAMES, "identities"]
    assert attribute(settings, "identities")["StringAttributeConstraints"] == {}


@pytest.mark.parametrize(
    "entry",
    [
        {"Name": "email", "AttributeDataType": "Number"},
        {"Name": "email", "DeveloperOnlyAttribute": True},
    ],
)
def test_standard_attribute_data_type_and_developer_only_cannot_change(entry):
    with refused(
        "You can not change AttributeDataType or set developerOnlyAttribute for standard schema "
        "attribute email"
    ):
        new_pool_settings({"Schema": [entry]})


@pytest.mark.parametrize(
    "entry",
    [
        {"Name": "sub", "Mutable": True},
        {"Name": "sub", "Required": False},
        {"Name": "sub", "AttributeDataType": "String", "StringAttributeConstraints": {"MinLength": "5"}},
    ],
)
def test_sub_cannot_change(entry):
    with refused("You can not change the schema of standard attribute sub"):
        new_pool_settings({"Schema": [entry]})


def test_required_custom_attribute_is_refused():
    with refused("Required custom attributes are not supported currently."):
        new_pool_settings({"Schema": [{"Name": "x", "AttributeDataType": "String", "Required": True}]})


def test_custom_attribute_without_data_type_is_refused():
    with refused("Invalid AttributeDataType input, consider using the provided AttributeDataType enum."):
        new_pool_settings({"Schema": [{"Name": "x"}]})


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {
                "Name": "email",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MinLength": "a"},
            },
            "Invalid StringAttributeConstraints for schema attribute email",
        ),
        (
            {"Name": "x", "AttributeDataType": "String", "StringAttributeConstraints": {"MaxLength": "-1"}},
            "Invalid StringAttributeConstraints for schema attribute custom:x",
        ),
        (
            {
                "Name": "updated_at",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MaxValue": "ten"},
            },
            "Invalid NumberAttributeConstraints for schema attribute updated_at",
        ),
        (
            {
                "Name": "email",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MaxLength": "2049"},
            },
            "user.email: String attributes cannot have a length of more than 2048",
        ),
        (
            {
                "Name": "email",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MinLength": "2", "MaxLength": "1"},
            },
            "user.email: Max length cannot be less than min length.",
        ),
        (
            {
                "Name": "updated_at",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "2", "MaxValue": "1"},
            },
            "user.updated_at: Max value cannot be less than min value.",
        ),
        (
            {
                "Name": "n",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "5", "MaxValue": "1"},
            },
            "user.custom:n: Max value cannot be less than min value.",
        ),
    ],
)
def test_invalid_constraints_are_refused(entry, message):
    with refused(message):
        new_pool_settings({"Schema": [entry]})


def test_duplicate_custom_attribute_in_one_schema_is_refused():
    with refused("custom:x: Existing attribute already has name custom:x."):
        new_pool_settings(
            {
                "Schema": [
                    {"Name": "x", "AttributeDataType": "String"},
                    {"Name": "x", "AttributeDataType": "Number"},
                ]
            }
        )


def test_more_than_fifty_custom_attributes_are_refused():
    fifty = [{"Name": f"a{i}", "AttributeDataType": "String"} for i in range(50)]
    assert len(custom_names(new_pool_settings({"Schema": fifty}))) == 50
    with pytest.raises(InvalidParameterException):
        with_custom_attributes(
            new_pool_settings({"Schema": fifty}), [{"Name": "b", "AttributeDataType": "String"}]
        )


# --- rules across members --------------------------------------------------------------------------------------


def test_alias_and_username_attributes_together_are_refused():
    with refused("Only one of the aliasAttributes or usernameAttributes can be set in a User Pool."):
        new_pool_settings({"AliasAttributes": ["email"], "UsernameAttributes": ["phone_number"]})


@pytest.mark.parametrize(
    "request_",
    [
        {"MfaConfiguration": "ON"},
        {"MfaConfiguration": "OPTIONAL"},
        {"MfaConfiguration": "ON", "AutoVerifiedAttributes": ["phone_number"]},
    ],
)
def test_mfa_at_creation_without_sms_configuration_is_refused(request_):
    with refused(
        "SMS configuration and Auto verification for phone_number are required when MFA is required/optional"
    ):
        new_pool_settings(request_)


@pytest.mark.parametrize("mfa", ["ON", "OPTIONAL"])
@pytest.mark.parametrize("verified", [None, ["email"], ["phone_number", "email"]])
def test_mfa_at_creation_with_sms_configuration_is_accepted_whatever_is_auto_verified(mfa, verified):
    request_ = {"MfaConfiguration": mfa, "SmsConfiguration": SMS}
    if verified is not None:
        request_["AutoVerifiedAttributes"] = verified
    settings = new_pool_settings(request_)
    assert settings["MfaConfiguration"] == mfa
    assert settings["SmsConfiguration"] == SMS
    assert settings.get("AutoVerifiedAttributes") == verified


def test_phone_verification_without_sms_configuration_is_accepted():
    assert new_pool_settings({"AutoVerifiedAttributes": ["phone_number"]})["AutoVerifiedAttributes"] == [
        "phone_number"
    ]


def test_phone_recovery_with_sms_mfa_is_refused():
    with refused(
        "Invalid account recovery setting parameter. Account Recovery Setting cannot use "
        "verified_phone_number as a recovery mechanism when SMS MFA is configured."
    ):
        new_pool_settings(
            {
                "MfaConfiguration": "ON",
                "SmsConfiguration": SMS,
                "AutoVerifiedAttributes": ["phone_number"],
                "AccountRecoverySetting": {
                    "RecoveryMechanisms": [
                        {"Priority": 1, "Name": "verified_email"},
                        {"Priority": 2, "Name": "verified_phone_number"},
                    ]
                },
            }
        )


@pytest.mark.parametrize(
    "mechanisms",
    [
        [{"Priority": 1, "Name": "admin_only"}, {"Priority": 2, "Name": "verified_email"}],
        [{"Priority": 1, "Name": "verified_email"}, {"Priority": 1, "Name": "verified_phone_number"}],
        [{"Priority": 1, "Name": "verified_email"}, {"Priority": 2, "Name": "verified_email"}],
    ],
)
def test_inconsistent_recovery_mechanisms_are_refused(mechanisms):
    with pytest.raises(InvalidParameterException, match="^Invalid account recovery setting parameter."):
        new_pool_settings({"AccountRecoverySetting": {"RecoveryMechanisms": mechanisms}})


def test_admin_only_recovery_alone_is_accepted():
    setting = {"RecoveryMechanisms": [{"Priority": 1, "Name": "admin_only"}]}
    assert new_pool_settings({"AccountRecoverySetting": setting})["AccountRecoverySetting"] == setting


@pytest.mark.parametrize("mode", ["AUDIT", "ENFORCED"])
def test_threat_protection_needs_the_plus_plan(mode):
    with pytest.raises(FeatureUnavailableInTierException):
        new_pool_settings({"UserPoolAddOns": {"AdvancedSecurityMode": mode}})
    settings = new_pool_settings({"UserPoolAddOns": {"AdvancedSecurityMode": mode}, "UserPoolTier": "PLUS"})
    assert settings["UserPoolAddOns"]["AdvancedSecurityMode"] == mode


def test_passwordless_first_factors_need_more_than_the_lite_plan():
    policies = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}
    with pytest.raises(FeatureUnavailableInTierException):
        new_pool_settings({"Policies": policies, "UserPoolTier": "LITE"})
    assert new_pool_settings({"UserPoolTier": "LITE"})["UserPoolTier"] == "LITE"


@pytest.mark.parametrize("factors", [["PASSWORD", "SOFTWARE_TOKEN"], ["WEB_AUTHN"]])
def test_unusable_first_factor_lists_are_refused(factors):
    with pytest.raises(InvalidParameterException):
        new_pool_settings({"Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": factors}}})


# --- AddCustomAttributes -----------------------------------------------------------------------------------------


def test_add_custom_attributes_appends_after_the_existing_ones():
    current = new_pool_settings({"Schema": [{"Name": "a", "AttributeDataType": "String"}]})
    settings = with_custom_attributes(
        current, [{"Name": "b", "AttributeDataType": "Number", "Mutable": False}]
    )
    assert custom_names(settings) == ["custom:a", "custom:b"]
    assert attribute(settings, "custom:b") == {
        "Name": "custom:b",
        "AttributeDataType": "Number",
        "DeveloperOnlyAttribute": False,
        "Mutable": False,
        "Required": False,
    }


def test_add_custom_attributes_keeps_every_other_setting_and_the_input_unchanged():
    current = new_pool_settings({"MfaConfiguration": "OFF", "AutoVerifiedAttributes": ["email"]})
    before = copy.deepcopy(current)
    settings = with_custom_attributes(current, [{"Name": "b", "AttributeDataType": "String"}])
    assert current == before
    assert {k: v for k, v in settings.items() if k != "SchemaAttributes"} == {
        k: v for k, v in current.items() if k != "SchemaAttributes"
    }


def test_add_custom_attribute_with_an_existing_name_is_refused():
    current = new_pool_settings(
        {"Schema": [{"Name": "banana", "AttributeDataType": "String", "DeveloperOnlyAttribute": True}]}
    )
    with refused("custom:banana: Existing attribute already has name dev:custom:banana."):
        with_custom_attributes(
            current, [{"Name": "banana", "AttributeDataType": "String", "DeveloperOnlyAttribute": True}]
        )
    with refused("custom:banana: Existing attribute already has name dev:custom:banana."):
        with_custom_attributes(current, [{"Name": "banana", "AttributeDataType": "String"}])


def test_add_custom_attribute_named_like_a_standard_one_is_a_custom_attribute():
    settings = with_custom_attributes(
        new_pool_settings({}), [{"Name": "email", "AttributeDataType": "String"}]
    )
    assert custom_names(settings) == ["custom:email"]


def test_add_required_custom_attribute_is_refused():
    with refused("Required custom attributes are not supported currently."):
        with_custom_attributes(
            new_pool_settings({}), [{"Name": "x", "AttributeDataType": "String", "Required": True}]
        )


# --- UpdateUserPool ---------------------------------------------------------------------------------------------


def configured_pool() -> dict:
    settings = new_pool_settings(
        {
            "Policies": {
                "PasswordPolicy": {"MinimumLength": 12, "RequireSymbols": True},
                "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]},
            },
            "DeletionProtection": "ACTIVE",
            "LambdaConfig": {"PreSignUp": "arn:aws:lambda:us-east-1:123456789012:function:pre"},
            "AutoVerifiedAttributes": ["email"],
            "AliasAttributes": ["email"],
            "UsernameConfiguration": {"CaseSensitive": False},
            "VerificationMessageTemplate": {"EmailMessage": "code {####}"},
            "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
            "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
            "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": True},
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "UserPoolTags": {"team": "a"},
            "UserPoolTier": "PLUS",
            "UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"},
            "DcrConfiguration": {"EnableStatus": "Enabled"},
            "Schema": [{"Name": "tenant", "AttributeDataType": "String"}],
        }
    )
    settings["Domain"] = "my-prefix"  # set by CreateUserPoolDomain, not an UpdateUserPool member
    return settings


def test_update_with_nothing_returns_omitted_members_to_their_defaults():
    settings = updated_pool_settings(configured_pool(), {})
    defaults = new_pool_settings({})
    for member in (
        "Policies",
        "DeletionProtection",
        "LambdaConfig",
        "VerificationMessageTemplate",
        "MfaConfiguration",
        "EmailConfiguration",
        "AdminCreateUserConfig",
    ):
        assert settings[member] == defaults[member], member
    for member in (
        "AutoVerifiedAttributes",
        "AccountRecoverySetting",
        "UserAttributeUpdateSettings",
        "DeviceConfiguration",
        "UserPoolAddOns",
        "EmailVerificationMessage",
    ):
        assert member not in settings, member


def test_update_keeps_what_update_user_pool_cannot_change():
    current = configured_pool()
    settings = updated_pool_settings(
        current,
        {
            "Schema": [],
            "AliasAttributes": ["phone_number"],
            "UsernameAttributes": ["email"],
            "UsernameConfiguration": {},
        },
    )
    for member in ("SchemaAttributes", "AliasAttributes", "UsernameConfiguration", "Domain"):
        assert settings[member] == current[member], member
    assert "UsernameAttributes" not in settings


def test_update_keeps_plan_tags_and_client_registration_when_omitted():
    current = configured_pool()
    settings = updated_pool_settings(current, {})
    for member in ("UserPoolTier", "UserPoolTags", "DcrConfiguration"):
        assert settings[member] == current[member], member


def test_update_replaces_the_given_members():
    settings = updated_pool_settings(
        configured_pool(),
        {
            "Policies": {
                "PasswordPolicy": {
                    "MinimumLength": 16,
                    "RequireUppercase": True,
                    "RequireLowercase": True,
                    "RequireNumbers": True,
                    "RequireSymbols": True,
                }
            },
            "MfaConfiguration": "ON",
            "UserPoolTags": {"team": "b"},
            "UserPoolTier": "ESSENTIALS",
        },
    )
    assert settings["Policies"]["PasswordPolicy"]["MinimumLength"] == 16
    assert settings["Policies"]["SignInPolicy"] == {"AllowedFirstAuthFactors": ["PASSWORD"]}
    assert settings["MfaConfiguration"] == "ON"  # MFA factors are SetUserPoolMfaConfig's business
    assert settings["UserPoolTags"] == {"team": "b"}
    assert settings["UserPoolTier"] == "ESSENTIALS"


def test_update_ignores_pool_name_and_pool_id():
    current = configured_pool()
    assert updated_pool_settings(current, {"PoolName": "n", "UserPoolId": "x"}) == updated_pool_settings(
        current, {}
    )


def test_update_does_not_change_the_stored_settings():
    current = configured_pool()
    before = copy.deepcopy(current)
    updated_pool_settings(current, {"LambdaConfig": {}})
    assert current == before


def test_update_applies_the_same_rules():
    with refused(
        "Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays"
    ):
        updated_pool_settings(
            configured_pool(),
            {
                "Policies": {"PasswordPolicy": {"TemporaryPasswordValidityDays": 7}},
                "AdminCreateUserConfig": {"UnusedAccountValidityDays": 7},
            },
        )
    with pytest.raises(FeatureUnavailableInTierException):
        updated_pool_settings(new_pool_settings({}), {"UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"}})


def test_update_user_pool_input_has_no_immutable_member_but_pool_name():
    members = set(pools.input_members("UpdateUserPool"))
    assert {"Schema", "AliasAttributes", "UsernameAttributes", "UsernameConfiguration"}.isdisjoint(members)
    assert "PoolName" in members


def test_every_create_user_pool_member_is_a_user_pool_type_member():
    shown = set(pools.service_model().shape_for("UserPoolType").members)
    assert set(pools.input_members("CreateUserPool")) - {"PoolName", "Schema"} <= shown


# --- what Describe and List show ---------------------------------------------------------------------------------


def test_describe_pool_adds_ids_dates_arn_and_count_in_cognitos_member_order():
    described = pools.describe_pool(
        record(new_pool_settings({})), region="us-east-1", account_id="123456789012", estimated_users=3
    )
    assert list(described) == [
        "Id",
        "Name",
        "Policies",
        "DeletionProtection",
        "LambdaConfig",
        "LastModifiedDate",
        "CreationDate",
        "SchemaAttributes",
        "VerificationMessageTemplate",
        "MfaConfiguration",
        "EstimatedNumberOfUsers",
        "EmailConfiguration",
        "UserPoolTags",
        "AdminCreateUserConfig",
        "Arn",
        "UserPoolTier",
    ]
    assert described["Id"] == "us-east-1_AbCdEfGhI"
    assert described["Name"] == "MyPool"
    assert described["Arn"] == "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEfGhI"
    assert described["CreationDate"] == CREATED
    assert described["LastModifiedDate"] == UPDATED
    assert described["EstimatedNumberOfUsers"] == 3


def test_describe_pool_counts_zero_users_by_default_and_sends_no_status():
    described = pools.describe_pool(record(new_pool_settings({})), region="eu-west-1", account_id="1")
    assert described["EstimatedNumberOfUsers"] == 0
    assert "Status" not in described


def test_describe_pool_orders_nested_members_and_drops_unknown_keys():
    settings = new_pool_settings({})
    settings["internal"] = 1
    settings["SchemaAttributes"][0] = dict(reversed(list(settings["SchemaAttributes"][0].items())))
    described = pools.describe_pool(record(settings), region="us-east-1", account_id="1")
    assert "internal" not in described
    assert list(described["SchemaAttributes"][0]) == [
        "Name",
        "AttributeDataType",
        "DeveloperOnlyAttribute",
        "Mutable",
        "Required",
        "StringAttributeConstraints",
    ]


def test_describe_pool_returns_a_copy():
    settings = new_pool_settings({})
    described = pools.describe_pool(record(settings), region="us-east-1", account_id="1")
    described["Policies"]["PasswordPolicy"]["MinimumLength"] = 99
    assert settings["Policies"]["PasswordPolicy"]["MinimumLength"] == 8


def test_pool_summary_lists_id_name_lambda_config_and_dates():
    settings = new_pool_settings({"LambdaConfig": {"PreSignUp": "arn:aws:lambda:us-east-1:1:function:f"}})
    assert pools.pool_summary(record(settings)) == {
        "Id": "us-east-1_AbCdEfGhI",
        "Name": "MyPool",
        "LambdaConfig": {"PreSignUp": "arn:aws:lambda:us-east-1:1:function:f"},
        "LastModifiedDate": UPDATED,
        "CreationDate": CREATED,
    }

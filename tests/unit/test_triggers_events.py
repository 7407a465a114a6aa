"""The trigger events, shape for shape as Cognito sends them (shared/cognito/recovery.md §4, captured events
quoted in userpools.triggers.events)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from userpools.domain.records import UserRecord
from userpools.triggers import events

CALLER = events.Caller("us-east-1_TEST", "us-east-1", "8c4f1e2a-user", "client123")
ADMIN = events.Caller("us-east-1_TEST", "us-east-1", "8c4f1e2a-user")
ATTRS = {"sub": "8c4f1e2a-user", "cognito:user_status": "CONFIRMED", "email": "a@example.com"}
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def head(trigger_source: str, *, caller: events.Caller = CALLER, version: str = "1") -> dict[str, Any]:
    return {
        "version": version,
        "triggerSource": trigger_source,
        "region": "us-east-1",
        "userPoolId": "us-east-1_TEST",
        "userName": "8c4f1e2a-user",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": caller.client_id},
    }


def user(**attributes: str) -> UserRecord:
    return UserRecord(
        pool_id="us-east-1_TEST",
        username="8c4f1e2a-user",
        username_key="8c4f1e2a-user",
        sub="8c4f1e2a-user",
        status="CONFIRMED",
        enabled=True,
        created_at=NOW,
        updated_at=NOW,
        attributes=dict(attributes),
    )


def test_envelope_has_cognitos_common_fields():
    event = events.envelope(
        "PostConfirmation_ConfirmSignUp",
        "us-east-1_TEST",
        "us-east-1",
        "8c4f1e2a-user",
        "client123",
        {"userAttributes": {}},
        {},
    )

    assert event == {
        **head("PostConfirmation_ConfirmSignUp"),
        "request": {"userAttributes": {}},
        "response": {},
    }
    assert list(event) == [
        "version",
        "triggerSource",
        "region",
        "userPoolId",
        "userName",
        "callerContext",
        "request",
        "response",
    ]


def test_admin_operations_have_no_client_and_a_known_sdk_can_be_named():
    caller = events.Caller("us-east-1_TEST", "us-east-1", "u", sdk_version="aws-sdk-js-2.1639.0")
    event = events.post_confirmation(caller, "PostConfirmation_ConfirmSignUp", user_attributes={})

    assert event["callerContext"] == {
        "awsSdkVersion": "aws-sdk-js-2.1639.0",
        "clientId": "CLIENT_ID_NOT_APPLICABLE",
    }


def test_user_attributes_are_strings_with_sub_and_status_first():
    record = user(email="a@example.com", email_verified="true", phone_number="+15555550100")

    assert events.user_attributes(record) == {
        "sub": "8c4f1e2a-user",
        "cognito:user_status": "CONFIRMED",
        "email": "a@example.com",
        "email_verified": "true",
        "phone_number": "+15555550100",
    }


def test_user_attributes_carry_the_aliases_the_pool_uses():
    record = user(email="a@example.com", phone_number="+15555550100")

    attributes = events.user_attributes(record, email_alias=True, phone_alias=True)

    assert list(attributes) == [
        "sub",
        "cognito:email_alias",
        "cognito:phone_number_alias",
        "cognito:user_status",
        "email",
        "phone_number",
    ]
    assert attributes["cognito:email_alias"] == "a@example.com"
    assert attributes["cognito:phone_number_alias"] == "+15555550100"


def test_user_attributes_have_no_alias_for_an_attribute_the_user_lacks():
    assert "cognito:phone_number_alias" not in events.user_attributes(user(email="a@x.com"), phone_alias=True)


def test_custom_message_forgot_password():
    event = events.custom_message(CALLER, "CustomMessage_ForgotPassword", user_attributes=ATTRS)

    assert event == {
        **head("CustomMessage_ForgotPassword"),
        "request": {
            "userAttributes": ATTRS,
            "codeParameter": "{####}",
            "linkParameter": "{##Click Here##}",
            "usernameParameter": None,
        },
        "response": {"smsMessage": None, "emailMessage": None, "emailSubject": None},
    }


def test_custom_message_admin_create_user_names_the_username_placeholder_and_passes_metadata():
    event = events.custom_message(
        ADMIN, "CustomMessage_AdminCreateUser", user_attributes=ATTRS, client_metadata={"lang": "fr"}
    )

    assert event["request"] == {
        "userAttributes": ATTRS,
        "codeParameter": "{####}",
        "linkParameter": "{##Click Here##}",
        "usernameParameter": "{username}",
        "clientMetadata": {"lang": "fr"},
    }
    assert event["callerContext"]["clientId"] == "CLIENT_ID_NOT_APPLICABLE"


def test_pre_sign_up():
    event = events.pre_sign_up(
        CALLER,
        "PreSignUp_SignUp",
        user_attributes={"email": "a@example.com"},
        validation_data={"captcha": "x"},
        client_metadata={"k": "v"},
    )

    assert event == {
        **head("PreSignUp_SignUp"),
        "request": {
            "userAttributes": {"email": "a@example.com"},
            "validationData": {"captcha": "x"},
            "clientMetadata": {"k": "v"},
        },
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }


@pytest.mark.parametrize("source", ["PreSignUp_AdminCreateUser", "PreSignUp_ExternalProvider"])
def test_pre_sign_up_other_sources_without_validation_data_send_null(source):
    event = events.pre_sign_up(ADMIN, source, user_attributes={"email": "a@example.com"})

    assert event["triggerSource"] == source
    assert event["request"] == {"userAttributes": {"email": "a@example.com"}, "validationData": None}


@pytest.mark.parametrize(
    "source", ["PostConfirmation_ConfirmSignUp", "PostConfirmation_ConfirmForgotPassword"]
)
def test_post_confirmation(source):
    event = events.post_confirmation(CALLER, source, user_attributes=ATTRS, client_metadata={"k": "v"})

    assert event == {
        **head(source),
        "request": {"userAttributes": ATTRS, "clientMetadata": {"k": "v"}},
        "response": {},
    }


def test_user_migration_authentication_carries_the_password():
    event = events.user_migration(
        CALLER, "UserMigration_Authentication", password="Passw0rd!", validation_data={"k": "v"}
    )

    assert event == {
        **head("UserMigration_Authentication"),
        "request": {"password": "Passw0rd!", "validationData": {"k": "v"}},
        "response": {
            "userAttributes": None,
            "finalUserStatus": None,
            "messageAction": None,
            "desiredDeliveryMediums": None,
            "forceAliasCreation": None,
            "enableSMSMFA": None,
        },
    }


def test_user_migration_forgot_password_has_no_password():
    event = events.user_migration(CALLER, "UserMigration_ForgotPassword", client_metadata={"k": "v"})

    assert event["request"] == {"validationData": None, "clientMetadata": {"k": "v"}}


def test_user_migration_checks_where_a_password_belongs():
    with pytest.raises(ValueError, match="carries the submitted password"):
        events.user_migration(CALLER, "UserMigration_Authentication")
    with pytest.raises(ValueError, match="carries no password"):
        events.user_migration(CALLER, "UserMigration_ForgotPassword", password="x")


def test_pre_authentication():
    event = events.pre_authentication(CALLER, user_attributes=ATTRS, validation_data={"k": "v"})

    assert event == {
        **head("PreAuthentication_Authentication"),
        "request": {"userAttributes": ATTRS, "validationData": {"k": "v"}},
        "response": {},
    }


def test_pre_authentication_says_user_not_found_when_asked():
    event = events.pre_authentication(CALLER, user_attributes={}, user_not_found=True)

    assert event["request"] == {"userAttributes": {}, "validationData": None, "userNotFound": True}


def test_post_authentication():
    event = events.post_authentication(CALLER, user_attributes=ATTRS, new_device_used=True)

    assert event == {
        **head("PostAuthentication_Authentication"),
        "request": {"userAttributes": ATTRS, "newDeviceUsed": True},
        "response": {},
    }


def test_pre_token_generation_v1():
    event = events.pre_token_generation(
        CALLER,
        "TokenGeneration_Authentication",
        user_attributes=ATTRS,
        groups=["admins"],
        iam_roles=["arn:aws:iam::123456789012:role/a"],
        preferred_role="arn:aws:iam::123456789012:role/a",
    )

    assert event == {
        **head("TokenGeneration_Authentication"),
        "request": {
            "userAttributes": ATTRS,
            "groupConfiguration": {
                "groupsToOverride": ["admins"],
                "iamRolesToOverride": ["arn:aws:iam::123456789012:role/a"],
                "preferredRole": "arn:aws:iam::123456789012:role/a",
            },
        },
        "response": {"claimsOverrideDetails": None},
    }


@pytest.mark.parametrize(("lambda_version", "event_version"), [("V2_0", "2"), ("V3_0", "3")])
def test_pre_token_generation_v2_and_v3_carry_scopes_and_answer_both_tokens(lambda_version, event_version):
    event = events.pre_token_generation(
        CALLER,
        "TokenGeneration_RefreshTokens",
        user_attributes=ATTRS,
        version=lambda_version,
        scopes=["openid", "email"],
        client_metadata={"k": "v"},
    )

    assert event == {
        **head("TokenGeneration_RefreshTokens", version=event_version),
        "request": {
            "userAttributes": ATTRS,
            "groupConfiguration": {"groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": None},
            "scopes": ["openid", "email"],
            "clientMetadata": {"k": "v"},
        },
        "response": {"claimsAndScopeOverrideDetails": None},
    }


def test_pre_token_generation_rejects_an_unknown_version():
    with pytest.raises(ValueError, match="LambdaVersion"):
        events.pre_token_generation(
            CALLER, "TokenGeneration_Authentication", user_attributes={}, version="V9_0"
        )  # type: ignore[arg-type]


def test_define_auth_challenge():
    session = [events.challenge_result("SRP_A", True), events.challenge_result("PASSWORD_VERIFIER", True)]

    event = events.define_auth_challenge(CALLER, user_attributes=ATTRS, session=session)

    assert event == {
        **head("DefineAuthChallenge_Authentication"),
        "request": {
            "userAttributes": ATTRS,
            "session": [
                {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None},
                {"challengeName": "PASSWORD_VERIFIER", "challengeResult": True, "challengeMetadata": None},
            ],
        },
        "response": {"challengeName": None, "issueTokens": None, "failAuthentication": None},
    }


def test_create_auth_challenge():
    session = [events.challenge_result("CUSTOM_CHALLENGE", False, "CAPTCHA")]

    event = events.create_auth_challenge(
        CALLER,
        user_attributes=ATTRS,
        challenge_name="CUSTOM_CHALLENGE",
        session=session,
        client_metadata={"k": "v"},
        user_not_found=False,
    )

    assert event == {
        **head("CreateAuthChallenge_Authentication"),
        "request": {
            "userAttributes": ATTRS,
            "challengeName": "CUSTOM_CHALLENGE",
            "session": [
                {
                    "challengeName": "CUSTOM_CHALLENGE",
                    "challengeResult": False,
                    "challengeMetadata": "CAPTCHA",
                }
            ],
            "clientMetadata": {"k": "v"},
            "userNotFound": False,
        },
        "response": {
            "publicChallengeParameters": None,
            "privateChallengeParameters": None,
            "challengeMetadata": None,
        },
    }


def test_verify_auth_challenge_response():
    event = events.verify_auth_challenge_response(
        CALLER,
        user_attributes=ATTRS,
        private_challenge_parameters={"answer": "42"},
        challenge_answer="41",
        client_metadata={"k": "v"},
    )

    assert event == {
        **head("VerifyAuthChallengeResponse_Authentication"),
        "request": {
            "userAttributes": ATTRS,
            "privateChallengeParameters": {"answer": "42"},
            "challengeAnswer": "41",
            "clientMetadata": {"k": "v"},
        },
        "response": {"answerCorrect": None},
    }


def test_custom_email_sender():
    event = events.custom_email_sender(
        CALLER,
        "CustomEmailSender_ForgotPassword",
        user_attributes=ATTRS,
        encrypted_code="AbCd==",
        client_metadata={"k": "v"},
    )

    assert event == {
        **head("CustomEmailSender_ForgotPassword"),
        "request": {
            "type": "customEmailSenderRequestV1",
            "code": "AbCd==",
            "clientMetadata": {"k": "v"},
            "userAttributes": ATTRS,
        },
        "response": {},
    }


def test_custom_sms_sender():
    event = events.custom_sms_sender(
        CALLER, "CustomSMSSender_Authentication", user_attributes=ATTRS, encrypted_code="AbCd=="
    )

    assert event == {
        **head("CustomSMSSender_Authentication"),
        "request": {"type": "customSMSSenderRequestV1", "code": "AbCd==", "userAttributes": ATTRS},
        "response": {},
    }


def test_a_builder_refuses_a_source_of_another_trigger():
    with pytest.raises(ValueError, match="is not a CustomMessage trigger source"):
        events.custom_message(CALLER, "PreSignUp_SignUp", user_attributes={})


@pytest.mark.parametrize(
    ("source", "trigger"),
    [
        ("PreSignUp_ExternalProvider", "PreSignUp"),
        ("TokenGeneration_RefreshTokens", "PreTokenGeneration"),
        ("CustomMessage_Authentication", "CustomMessage"),
        ("VerifyAuthChallengeResponse_Authentication", "VerifyAuthChallengeResponse"),
        ("CustomSMSSender_AdminCreateUser", "CustomSMSSender"),
    ],
)
def test_trigger_name_is_the_lambda_config_member(source, trigger):
    assert events.trigger_name(source) == trigger


def test_trigger_name_of_an_unknown_source_raises():
    with pytest.raises(ValueError, match="unknown trigger source"):
        events.trigger_name("Nope_Nope")


def test_every_lambda_config_trigger_has_sources():
    lambda_config_members = {
        "PreSignUp",
        "CustomMessage",
        "PostConfirmation",
        "PreAuthentication",
        "PostAuthentication",
        "DefineAuthChallenge",
        "CreateAuthChallenge",
        "VerifyAuthChallengeResponse",
        "PreTokenGeneration",
        "UserMigration",
        "CustomSMSSender",
        "CustomEmailSender",
    }

    assert set(events.SOURCES) == lambda_config_members

"""Reading functions' answers as Cognito reads them: each trigger's response fields and their types."""

from __future__ import annotations

from typing import Any

import pytest

from userpools.errors import InvalidLambdaResponseException
from userpools.triggers import events
from userpools.triggers.answers import INVALID_JSON, UNRECOGNIZABLE, read_answer

CALLER = events.Caller("us-east-1_TEST", "us-east-1", "u", "c")
ATTRS = {"sub": "u", "cognito:user_status": "CONFIRMED"}

EVENTS: dict[str, dict[str, Any]] = {
    "PreSignUp": events.pre_sign_up(CALLER, "PreSignUp_SignUp", user_attributes={}),
    "PostConfirmation": events.post_confirmation(
        CALLER, "PostConfirmation_ConfirmSignUp", user_attributes=ATTRS
    ),
    "PreAuthentication": events.pre_authentication(CALLER, user_attributes=ATTRS),
    "PostAuthentication": events.post_authentication(CALLER, user_attributes=ATTRS),
    "CustomMessage": events.custom_message(CALLER, "CustomMessage_SignUp", user_attributes=ATTRS),
    "UserMigration": events.user_migration(CALLER, "UserMigration_Authentication", password="p"),
    "DefineAuthChallenge": events.define_auth_challenge(CALLER, user_attributes=ATTRS, session=[]),
    "CreateAuthChallenge": events.create_auth_challenge(
        CALLER, user_attributes=ATTRS, challenge_name="CUSTOM_CHALLENGE", session=[]
    ),
    "VerifyAuthChallengeResponse": events.verify_auth_challenge_response(
        CALLER, user_attributes=ATTRS, private_challenge_parameters={}, challenge_answer="a"
    ),
    "PreTokenGeneration:V1_0": events.pre_token_generation(
        CALLER, "TokenGeneration_Authentication", user_attributes=ATTRS
    ),
    "PreTokenGeneration:V2_0": events.pre_token_generation(
        CALLER, "TokenGeneration_Authentication", user_attributes=ATTRS, version="V2_0"
    ),
    "PreTokenGeneration:V3_0": events.pre_token_generation(
        CALLER, "TokenGeneration_Authentication", user_attributes=ATTRS, version="V3_0"
    ),
}

GOOD: list[tuple[str, dict[str, Any]]] = [
    ("PreSignUp", {"autoConfirmUser": True, "autoVerifyEmail": True, "autoVerifyPhone": False}),
    ("PreSignUp", {}),
    ("PostConfirmation", {}),
    ("PreAuthentication", {}),
    ("PostAuthentication", {}),
    ("CustomMessage", {"smsMessage": "Code {####}", "emailMessage": "<p>{####}</p>", "emailSubject": "Hi"}),
    ("CustomMessage", {"smsMessage": None, "emailMessage": None, "emailSubject": None}),
    (
        "UserMigration",
        {
            "userAttributes": {"email": "a@example.com", "email_verified": "true"},
            "finalUserStatus": "CONFIRMED",
            "messageAction": "SUPPRESS",
            "desiredDeliveryMediums": ["EMAIL"],
            "forceAliasCreation": False,
            "enableSMSMFA": False,
        },
    ),
    ("UserMigration", {}),
    (
        "DefineAuthChallenge",
        {"challengeName": "CUSTOM_CHALLENGE", "issueTokens": False, "failAuthentication": False},
    ),
    (
        "CreateAuthChallenge",
        {
            "publicChallengeParameters": {"q": "2+2?"},
            "privateChallengeParameters": {"a": "4"},
            "challengeMetadata": "MATH",
        },
    ),
    ("VerifyAuthChallengeResponse", {"answerCorrect": True}),
    (
        "PreTokenGeneration:V1_0",
        {
            "claimsOverrideDetails": {
                "claimsToAddOrOverride": {"tenant": "acme", "level": 3},
                "claimsToSuppress": ["email"],
                "groupOverrideDetails": {
                    "groupsToOverride": ["a"],
                    "iamRolesToOverride": [],
                    "preferredRole": None,
                },
            }
        },
    ),
    ("PreTokenGeneration:V1_0", {"claimsOverrideDetails": None}),
    (
        "PreTokenGeneration:V2_0",
        {
            "claimsAndScopeOverrideDetails": {
                "idTokenGeneration": {
                    "claimsToAddOrOverride": {"roles": ["a", "b"], "meta": {"x": 1}},
                    "claimsToSuppress": ["email"],
                },
                "accessTokenGeneration": {
                    "claimsToAddOrOverride": {"tier": "gold"},
                    "claimsToSuppress": [],
                    "scopesToAdd": ["api/read"],
                    "scopesToSuppress": ["phone"],
                },
                "groupOverrideDetails": {"groupsToOverride": []},
            }
        },
    ),
    (
        "PreTokenGeneration:V3_0",
        {"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {"scopesToAdd": ["x"]}}},
    ),
]

BAD: list[tuple[str, dict[str, Any]]] = [
    ("PreSignUp", {"autoConfirmUser": "true"}),
    ("PreSignUp", {"autoVerifyEmail": 1}),
    ("CustomMessage", {"emailMessage": ["not", "a", "string"]}),
    ("CustomMessage", {"emailSubject": 7}),
    ("UserMigration", {"userAttributes": ["email"]}),
    ("UserMigration", {"userAttributes": {"email_verified": True}}),
    ("UserMigration", {"desiredDeliveryMediums": "EMAIL"}),
    ("UserMigration", {"forceAliasCreation": "yes"}),
    ("DefineAuthChallenge", {"issueTokens": "true"}),
    ("DefineAuthChallenge", {"challengeName": 1}),
    ("CreateAuthChallenge", {"publicChallengeParameters": {"n": 1}}),
    ("CreateAuthChallenge", {"challengeMetadata": {"x": "y"}}),
    ("VerifyAuthChallengeResponse", {"answerCorrect": "true"}),
    ("PreTokenGeneration:V1_0", {"claimsOverrideDetails": "none"}),
    ("PreTokenGeneration:V1_0", {"claimsOverrideDetails": {"claimsToAddOrOverride": {"roles": ["a"]}}}),
    ("PreTokenGeneration:V1_0", {"claimsOverrideDetails": {"claimsToSuppress": "email"}}),
    (
        "PreTokenGeneration:V1_0",
        {"claimsOverrideDetails": {"groupOverrideDetails": {"groupsToOverride": "a"}}},
    ),
    (
        "PreTokenGeneration:V2_0",
        {"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {"scopesToAdd": "x"}}},
    ),
    ("PreTokenGeneration:V2_0", {"claimsAndScopeOverrideDetails": {"idTokenGeneration": []}}),
    (
        "PreTokenGeneration:V3_0",
        {"claimsAndScopeOverrideDetails": {"groupOverrideDetails": {"preferredRole": 1}}},
    ),
]


def answered(key: str, response: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    event = EVENTS[key]
    return event, {**event, "response": response}


@pytest.mark.parametrize(("key", "response"), GOOD)
def test_usable_answers_are_returned_as_they_came(key, response):
    event, answer = answered(key, response)

    assert read_answer(answer, event) == answer


@pytest.mark.parametrize(("key", "response"), BAD)
def test_a_mistyped_field_is_unrecognizable_lambda_output(key, response):
    event, answer = answered(key, response)

    with pytest.raises(InvalidLambdaResponseException) as raised:
        read_answer(answer, event)
    assert raised.value.message == UNRECOGNIZABLE


@pytest.mark.parametrize("answer", [None, "event", 42, [], True])
def test_an_answer_that_is_not_an_object_is_invalid_json(answer):
    with pytest.raises(InvalidLambdaResponseException) as raised:
        read_answer(answer, EVENTS["PreSignUp"])
    assert raised.value.message == INVALID_JSON == "Invalid lambda function output : Invalid JSON"


@pytest.mark.parametrize("answer", [{}, {"response": None}, {"response": "ok"}, {"response": []}])
def test_an_answer_without_a_response_object_is_unrecognizable(answer):
    with pytest.raises(InvalidLambdaResponseException) as raised:
        read_answer(answer, EVENTS["PostConfirmation"])
    assert raised.value.message == UNRECOGNIZABLE == "Unrecognizable lambda output"


def test_v1_rules_apply_to_v1_events_and_v2_rules_to_v2_events():
    v2_response = {
        "claimsAndScopeOverrideDetails": {"idTokenGeneration": {"claimsToAddOrOverride": {"r": ["a"]}}}
    }
    v1_event, v1_answer = answered(
        "PreTokenGeneration:V1_0", {"claimsOverrideDetails": {"claimsToAddOrOverride": {"r": ["a"]}}}
    )
    v2_event, v2_answer = answered("PreTokenGeneration:V2_0", v2_response)

    with pytest.raises(InvalidLambdaResponseException):
        read_answer(v1_answer, v1_event)
    assert read_answer(v2_answer, v2_event) == v2_answer


def test_unknown_response_fields_are_ignored():
    event, answer = answered("PreSignUp", {"autoConfirmUser": True, "somethingElse": [1, 2]})

    assert read_answer(answer, event) == answer


@pytest.mark.parametrize("answer", [None, "ok", {"response": "whatever"}])
def test_custom_senders_answers_are_ignored(answer):
    event = events.custom_sms_sender(
        CALLER, "CustomSMSSender_SignUp", user_attributes=ATTRS, encrypted_code="x"
    )

    result = read_answer(answer, event)

    assert result == (answer if isinstance(answer, dict) else {})

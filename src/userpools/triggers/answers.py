"""Reading a function's answer as Cognito reads it.

A function answers with the event it was given, ``response`` filled in. Cognito reads only ``response``,
and only the fields of its trigger; an answer it cannot use fails the operation with
InvalidLambdaResponseException (shared/cognito/recovery.md §4.6):

- not a JSON object at all (nothing returned, ``null``, a string, broken JSON):
  "Invalid lambda function output : Invalid JSON" (observed: aws-amplify/amplify-cli#2735, #4341,
  aws-amplify/amplify-js#13352, for functions returning nothing);
- an object without a ``response`` object, or with a field of the wrong type:
  "Unrecognizable lambda output" (observed: awslabs/aws-sdk-android-samples#165,
  amazon-archives/amazon-cognito-identity-js#167).

Which of the two wordings Cognito uses for which case is inferred from those reports, not documented.
Field types follow the Developer Guide's event syntax for each trigger; null (or absent) is always
allowed and means "not set". Unknown fields are ignored. The answers of CustomEmailSender and
CustomSMSSender are ignored entirely, as Cognito ignores them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from userpools.errors import InvalidLambdaResponseException
from userpools.triggers.events import TRIGGER_OF

log = logging.getLogger("userpools.triggers")

INVALID_JSON = "Invalid lambda function output : Invalid JSON"
UNRECOGNIZABLE = "Unrecognizable lambda output"

#: Checks a value; returns what is wrong with it, or None.
Check = Callable[[Any], str | None]


def _type(name: str, *types: type) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, types) and not (bool not in types and isinstance(value, bool))
        return None if ok else f"expected {name}"

    return check


_bool = _type("a boolean", bool)
_str = _type("a string", str)
_scalar = _type("a string, number or boolean", str, int, float, bool)


def _list_of(item: Check, name: str) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, list) or any(item(x) for x in value):
            return f"expected a list of {name}"
        return None

    return check


def _map_of(item: Check, name: str) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, dict) or any(item(x) for x in value.values()):
            return f"expected an object of {name}"
        return None

    return check


def _any_json(value: Any) -> str | None:
    return None


def _fields(**checks: Check) -> Check:
    """An object whose listed fields, where present and not null, pass their checks."""

    def check(value: Any) -> str | None:
        if not isinstance(value, dict):
            return "expected an object"
        for name, field_check in checks.items():
            item = value.get(name)
            if item is not None:
                problem = field_check(item)
                if problem:
                    return f"{name}: {problem}"
        return None

    return check


_strings = _list_of(_str, "strings")
_string_map = _map_of(_str, "strings")
_group_override = _fields(groupsToOverride=_strings, iamRolesToOverride=_strings, preferredRole=_str)

#: The ``response`` of each trigger, by trigger (and, for PreTokenGeneration, by event version).
RESPONSES: dict[str, Check] = {
    "PreSignUp": _fields(autoConfirmUser=_bool, autoVerifyEmail=_bool, autoVerifyPhone=_bool),
    "PostConfirmation": _fields(),
    "PreAuthentication": _fields(),
    "PostAuthentication": _fields(),
    "CustomMessage": _fields(smsMessage=_str, emailMessage=_str, emailSubject=_str),
    "UserMigration": _fields(
        userAttributes=_string_map,
        finalUserStatus=_str,
        messageAction=_str,
        desiredDeliveryMediums=_strings,
        forceAliasCreation=_bool,
        enableSMSMFA=_bool,
    ),
    "DefineAuthChallenge": _fields(challengeName=_str, issueTokens=_bool, failAuthentication=_bool),
    "CreateAuthChallenge": _fields(
        publicChallengeParameters=_string_map, privateChallengeParameters=_string_map, challengeMetadata=_str
    ),
    "VerifyAuthChallengeResponse": _fields(answerCorrect=_bool),
    # V1_0: claim values are documented as strings; numbers and booleans are let through (unconfirmed).
    "PreTokenGeneration:1": _fields(
        claimsOverrideDetails=_fields(
            claimsToAddOrOverride=_map_of(_scalar, "strings"),
            claimsToSuppress=_strings,
            groupOverrideDetails=_group_override,
        )
    ),
    # V2_0 / V3_0: claim values may be any JSON (strings, numbers, booleans, arrays, objects).
    "PreTokenGeneration:2": _fields(
        claimsAndScopeOverrideDetails=_fields(
            idTokenGeneration=_fields(
                claimsToAddOrOverride=_map_of(_any_json, "values"), claimsToSuppress=_strings
            ),
            accessTokenGeneration=_fields(
                claimsToAddOrOverride=_map_of(_any_json, "values"),
                claimsToSuppress=_strings,
                scopesToAdd=_strings,
                scopesToSuppress=_strings,
            ),
            groupOverrideDetails=_group_override,
        )
    ),
}
RESPONSES["PreTokenGeneration:3"] = RESPONSES["PreTokenGeneration:2"]

_IGNORED = ("CustomEmailSender", "CustomSMSSender")


def read_answer(answer: Any, event: Mapping[str, Any]) -> dict[str, Any]:
    """The function's answer to ``event``, checked as Cognito checks it. Raises
    InvalidLambdaResponseException for an answer Cognito could not use."""
    trigger = TRIGGER_OF.get(str(event.get("triggerSource")), "")
    if trigger in _IGNORED:
        return answer if isinstance(answer, dict) else {}
    if not isinstance(answer, dict):
        log.info("%s answered %s, not a JSON object", trigger or "a trigger", type(answer).__name__)
        raise InvalidLambdaResponseException(INVALID_JSON)
    response = answer.get("response")
    if not isinstance(response, dict):
        log.info("%s answered without a response object", trigger or "a trigger")
        raise InvalidLambdaResponseException(UNRECOGNIZABLE)
    key = f"{trigger}:{event.get('version')}" if trigger == "PreTokenGeneration" else trigger
    check = RESPONSES.get(key)
    problem = check(response) if check else None
    if problem:
        log.info("%s answered an unusable response: %s", trigger, problem)
        raise InvalidLambdaResponseException(UNRECOGNIZABLE)
    return answer

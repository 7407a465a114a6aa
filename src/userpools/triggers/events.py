"""Cognito's Lambda trigger events, built exactly as Cognito sends them (shared/cognito/recovery.md §4).

Every event is one envelope (Amazon Cognito Developer Guide, "Customizing user pool workflows with Lambda
triggers"; values as observed in captured events)::

    {"version": "1", "triggerSource": "CustomMessage_ForgotPassword", "region": "us-east-1",
     "userPoolId": "us-east-1_XXXX", "userName": "<internal username>",
     "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "<app client id>"},
     "request": {...}, "response": {<the fields the function may set, null>}}

The function answers with the whole event, ``response`` filled in (``triggers.answers`` checks it).

Conventions kept from captured events (observed, not documented):

- ``clientMetadata`` appears in ``request`` only when the caller sent ClientMetadata; ``validationData`` is
  always there, ``null`` when there is none.
- Admin operations (AdminCreateUser, …) have no app client: ``clientId`` is ``"CLIENT_ID_NOT_APPLICABLE"``.
- ``awsSdkVersion`` is the calling SDK's (``aws-sdk-js-2.1639.0``) when Cognito can tell, else
  ``"aws-sdk-unknown-unknown"``.
- InitiateAuth's ClientMetadata reaches PreAuthentication and UserMigration_Authentication as
  ``validationData`` (Developer Guide, InitiateAuth "ClientMetadata"): callers pass it there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from userpools.domain.records import UserRecord

SDK_VERSION_UNKNOWN = "aws-sdk-unknown-unknown"
CLIENT_ID_NOT_APPLICABLE = "CLIENT_ID_NOT_APPLICABLE"
CODE_PARAMETER = "{####}"
LINK_PARAMETER = "{##Click Here##}"
USERNAME_PARAMETER = "{username}"

#: Every trigger (LambdaConfig member) and the trigger sources Cognito invokes it with.
SOURCES: dict[str, tuple[str, ...]] = {
    "PreSignUp": ("PreSignUp_SignUp", "PreSignUp_AdminCreateUser", "PreSignUp_ExternalProvider"),
    "PostConfirmation": ("PostConfirmation_ConfirmSignUp", "PostConfirmation_ConfirmForgotPassword"),
    "PreAuthentication": ("PreAuthentication_Authentication",),
    "PostAuthentication": ("PostAuthentication_Authentication",),
    "PreTokenGeneration": (
        "TokenGeneration_HostedAuth",
        "TokenGeneration_Authentication",
        "TokenGeneration_NewPasswordChallenge",
        "TokenGeneration_AuthenticateDevice",
        "TokenGeneration_RefreshTokens",
        "TokenGeneration_ClientCredentials",
    ),
    "CustomMessage": (
        "CustomMessage_SignUp",
        "CustomMessage_AdminCreateUser",
        "CustomMessage_ResendCode",
        "CustomMessage_ForgotPassword",
        "CustomMessage_UpdateUserAttribute",
        "CustomMessage_VerifyUserAttribute",
        "CustomMessage_Authentication",
    ),
    "UserMigration": ("UserMigration_Authentication", "UserMigration_ForgotPassword"),
    "DefineAuthChallenge": ("DefineAuthChallenge_Authentication",),
    "CreateAuthChallenge": ("CreateAuthChallenge_Authentication",),
    "VerifyAuthChallengeResponse": ("VerifyAuthChallengeResponse_Authentication",),
    "CustomEmailSender": (
        "CustomEmailSender_SignUp",
        "CustomEmailSender_ResendCode",
        "CustomEmailSender_ForgotPassword",
        "CustomEmailSender_UpdateUserAttribute",
        "CustomEmailSender_VerifyUserAttribute",
        "CustomEmailSender_AdminCreateUser",
        "CustomEmailSender_AccountTakeOverNotification",
        "CustomEmailSender_Authentication",
    ),
    "CustomSMSSender": (
        "CustomSMSSender_SignUp",
        "CustomSMSSender_ResendCode",
        "CustomSMSSender_ForgotPassword",
        "CustomSMSSender_UpdateUserAttribute",
        "CustomSMSSender_VerifyUserAttribute",
        "CustomSMSSender_AdminCreateUser",
        "CustomSMSSender_Authentication",
    ),
}
TRIGGER_OF: dict[str, str] = {source: trigger for trigger, sources in SOURCES.items() for source in sources}

#: PreTokenGenerationConfig.LambdaVersion → the event's ``version`` (observed: V2_0 events say "2", V3_0 "3").
TOKEN_EVENT_VERSIONS = {"V1_0": "1", "V2_0": "2", "V3_0": "3"}

TokenVersion = Literal["V1_0", "V2_0", "V3_0"]


def trigger_name(trigger_source: str) -> str:
    """The trigger (LambdaConfig member) a trigger source belongs to, as error messages name it:
    ``"TokenGeneration_RefreshTokens"`` → ``"PreTokenGeneration"``."""
    try:
        return TRIGGER_OF[trigger_source]
    except KeyError:
        raise ValueError(f"unknown trigger source {trigger_source!r}") from None


@dataclass(frozen=True)
class Caller:
    """The envelope's fields that every event of one operation shares."""

    pool_id: str
    region: str
    username: str
    client_id: str = CLIENT_ID_NOT_APPLICABLE
    sdk_version: str = SDK_VERSION_UNKNOWN


def envelope(
    trigger_source: str,
    pool_id: str,
    region: str,
    username: str,
    client_id: str,
    request: Mapping[str, Any],
    response: Mapping[str, Any],
    *,
    version: str = "1",
    sdk_version: str = SDK_VERSION_UNKNOWN,
) -> dict[str, Any]:
    """The common envelope around a request and a response."""
    return {
        "version": version,
        "triggerSource": trigger_source,
        "region": region,
        "userPoolId": pool_id,
        "userName": username,
        "callerContext": {"awsSdkVersion": sdk_version, "clientId": client_id},
        "request": dict(request),
        "response": dict(response),
    }


def user_attributes(
    user: UserRecord, *, email_alias: bool = False, phone_alias: bool = False
) -> dict[str, str]:
    """``request.userAttributes``: ``sub``, the aliases the pool uses (``cognito:email_alias`` /
    ``cognito:phone_number_alias`` when the pool's AliasAttributes or UsernameAttributes include email /
    phone_number and the user has one), ``cognito:user_status``, then every attribute, all strings."""
    attributes: dict[str, str] = {"sub": user.sub}
    if email_alias and user.attributes.get("email"):
        attributes["cognito:email_alias"] = str(user.attributes["email"])
    if phone_alias and user.attributes.get("phone_number"):
        attributes["cognito:phone_number_alias"] = str(user.attributes["phone_number"])
    attributes["cognito:user_status"] = user.status
    for name, value in user.attributes.items():
        if name != "sub":
            attributes[name] = str(value)
    return attributes


def _event(
    caller: Caller,
    trigger: str,
    trigger_source: str,
    request: Mapping[str, Any],
    response: Mapping[str, Any],
    *,
    version: str = "1",
) -> dict[str, Any]:
    if trigger_source not in SOURCES[trigger]:
        raise ValueError(f"{trigger_source!r} is not a {trigger} trigger source")
    return envelope(
        trigger_source,
        caller.pool_id,
        caller.region,
        caller.username,
        caller.client_id,
        request,
        response,
        version=version,
        sdk_version=caller.sdk_version,
    )


def _with_metadata(request: dict[str, Any], client_metadata: Mapping[str, str] | None) -> dict[str, Any]:
    if client_metadata is not None:
        request["clientMetadata"] = dict(client_metadata)
    return request


# --- sign-up and confirmation -----------------------------------------------------------------------


def pre_sign_up(
    caller: Caller,
    trigger_source: str,
    *,
    user_attributes: Mapping[str, str],
    validation_data: Mapping[str, str] | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """PreSignUp_SignUp / _AdminCreateUser / _ExternalProvider. The user does not exist yet, so
    ``userAttributes`` are the submitted ones (no ``sub``, no status)."""
    request = {
        "userAttributes": dict(user_attributes),
        "validationData": None if validation_data is None else dict(validation_data),
    }
    response = {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False}
    return _event(caller, "PreSignUp", trigger_source, _with_metadata(request, client_metadata), response)


def post_confirmation(
    caller: Caller,
    trigger_source: str,
    *,
    user_attributes: Mapping[str, str],
    client_metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """PostConfirmation_ConfirmSignUp / _ConfirmForgotPassword; the response is empty."""
    request = {"userAttributes": dict(user_attributes)}
    return _event(caller, "PostConfirmation", trigger_source, _with_metadata(request, client_metadata), {})


# --- messages ---------------------------------------------------------------------------------------

_DEFAULT = object()


def custom_message(
    caller: Caller,
    trigger_source: str,
    *,
    user_attributes: Mapping[str, str],
    client_metadata: Mapping[str, str] | None = None,
    username_parameter: str | None | object = _DEFAULT,
) -> dict[str, Any]:
    """CustomMessage_*: the function writes the message around the placeholders, which Cognito then fills
    in. ``usernameParameter`` is ``"{username}"`` for AdminCreateUser (the invitation names the user) and
    null otherwise, as observed."""
    if username_parameter is _DEFAULT:
        username_parameter = USERNAME_PARAMETER if trigger_source == "CustomMessage_AdminCreateUser" else None
    request = {
        "userAttributes": dict(user_attributes),
        "codeParameter": CODE_PARAMETER,
        "linkParameter": LINK_PARAMETER,
        "usernameParameter": username_parameter,
    }
    response = {"smsMessage": None, "emailMessage": None, "emailSubject": None}
    return _event(caller, "CustomMessage", trigger_source, _with_metadata(request, client_metadata), response)


def custom_email_sender(
    caller: Caller,
    trigger_source: str,
    *,
    user_attributes: Mapping[str, str],
    encrypted_code: str | None,
    client_metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """CustomEmailSender_*: ``code`` is the code (or temporary password) encrypted by
    ``triggers.sender_codes``; null for messages without a code. The answer is ignored."""
    return _sender(
        caller,
        "CustomEmailSender",
        "customEmailSenderRequestV1",
        trigger_source,
        user_attributes,
        encrypted_code,
        client_metadata,
    )


def custom_sms_sender(
    caller: Caller,
    trigger_source: str,
    *,
    user_attributes: Mapping[str, str],
    encrypted_code: str | None,
    client_metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """CustomSMSSender_*: as :func:`custom_email_sender`, for text messages."""
    return _sender(
        caller,
        "CustomSMSSender",
        "customSMSSenderRequestV1",
        trigger_source,
        user_attributes,
        encrypted_code,
        client_metadata,
    )


def _sender(
    caller: Caller,
    trigger: str,
    kind: str,
    trigger_source: str,
    user_attributes: Mapping[str, str],
    encrypted_code: str | None,
    client_metadata: Mapping[str, str] | None,
) -> dict[str, Any]:
    request: dict[str, Any] = {"type": kind, "code": encrypted_code}
    _with_metadata(request, client_metadata)
    request["userAttributes"] = dict(user_attributes)
    return _event(caller, trigger, trigger_source, request, {})


# --- migration --------------------------------------------------------------------------------------


def user_migration(
    caller: Caller,
    trigger_source: str,
    *,
    password: str | None = None,
    validation_data: Mapping[str, str] | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """UserMigration_Authentication (with the submitted ``password``) / _ForgotPassword (without one).
    ``userName`` is the name the caller submitted: the user does not exist yet."""
    request: dict[str, Any] = {}
    if trigger_source == "UserMigration_Authentication":
        if password is None:
            raise ValueError("UserMigration_Authentication carries the submitted password")
        request["password"] = password
    elif password is not None:
        raise ValueError(f"{trigger_source} carries no password")
    request["validationData"] = None if validation_data is None else dict(validation_data)
    response = {
        "userAttributes": None,
        "finalUserStatus": None,
        "messageAction": None,
        "desiredDeliveryMediums": None,
        "forceAliasCreation": None,
        "enableSMSMFA": None,
    }
    return _event(caller, "UserMigration", trigger_source, _with_metadata(request, client_metadata), response)


# --- sign-in ----------------------------------------------------------------------------------------


def pre_authentication(
    caller: Caller,
    *,
    user_attributes: Mapping[str, str],
    validation_data: Mapping[str, str] | None = None,
    user_not_found: bool | None = None,
) -> dict[str, Any]:
    """PreAuthentication_Authentication. ``userNotFound`` is sent only when the app client's
    PreventUserExistenceErrors is ENABLED (then it says whether the user is missing)."""
    request: dict[str, Any] = {
        "userAttributes": dict(user_attributes),
        "validationData": None if validation_data is None else dict(validation_data),
    }
    if user_not_found is not None:
        request["userNotFound"] = user_not_found
    return _event(caller, "PreAuthentication", "PreAuthentication_Authentication", request, {})


def post_authentication(
    caller: Caller,
    *,
    user_attributes: Mapping[str, str],
    new_device_used: bool = False,
    client_metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """PostAuthentication_Authentication; the response is empty."""
    request: dict[str, Any] = {"userAttributes": dict(user_attributes), "newDeviceUsed": new_device_used}
    return _event(
        caller,
        "PostAuthentication",
        "PostAuthentication_Authentication",
        _with_metadata(request, client_metadata),
        {},
    )


def pre_token_generation(
    caller: Caller,
    trigger_source: str,
    *,
    user_attributes: Mapping[str, str],
    groups: Sequence[str] = (),
    iam_roles: Sequence[str] = (),
    preferred_role: str | None = None,
    version: TokenVersion = "V1_0",
    scopes: Iterable[str] | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """TokenGeneration_*, in the pool's PreTokenGenerationConfig.LambdaVersion. V1_0 answers
    ``claimsOverrideDetails`` (ID token only); V2_0 and V3_0 carry the access token's ``scopes`` and answer
    ``claimsAndScopeOverrideDetails`` (ID and access tokens); their envelopes say version "2" / "3"."""
    if version not in TOKEN_EVENT_VERSIONS:
        raise ValueError(f"unknown PreTokenGeneration LambdaVersion {version!r}")
    request: dict[str, Any] = {
        "userAttributes": dict(user_attributes),
        "groupConfiguration": {
            "groupsToOverride": list(groups),
            "iamRolesToOverride": list(iam_roles),
            "preferredRole": preferred_role,
        },
    }
    if version == "V1_0":
        response: dict[str, Any] = {"claimsOverrideDetails": None}
    else:
        request["scopes"] = list(scopes or ())
        response = {"claimsAndScopeOverrideDetails": None}
    return _event(
        caller,
        "PreTokenGeneration",
        trigger_source,
        _with_metadata(request, client_metadata),
        response,
        version=TOKEN_EVENT_VERSIONS[version],
    )


def pre_token_generation_m2m(
    caller: Caller, *, scopes: Iterable[str], client_metadata: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """TokenGeneration_ClientCredentials: a machine-to-machine access token (client_credentials grant,
    GetClientToken), sent only to V3_0 functions [C: "Version three event responses apply to access tokens
    from … machine authentication"]. There is no user: [U] no ``userName`` in the envelope (the AWS Lambda
    Powertools schema marks it optional), ``userAttributes`` empty and the group configuration empty, so that
    functions written for V2/V3 user events read the same shape; ``callerContext.clientId`` names the client
    and ``scopes`` the token's scopes [O: handlers read both]."""
    request: dict[str, Any] = {
        "userAttributes": {},
        "groupConfiguration": {"groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": None},
        "scopes": list(scopes),
    }
    event = _event(caller, "PreTokenGeneration", "TokenGeneration_ClientCredentials",
                   _with_metadata(request, client_metadata), {"claimsAndScopeOverrideDetails": None},
                   version=TOKEN_EVENT_VERSIONS["V3_0"])
    del event["userName"]
    return event


# --- custom authentication --------------------------------------------------------------------------


def challenge_result(challenge_name: str, result: bool, metadata: str | None = None) -> dict[str, Any]:
    """One element of ``request.session``: a challenge already answered in this sign-in (SRP_A,
    PASSWORD_VERIFIER, SMS_MFA, CUSTOM_CHALLENGE, …), whether it was answered right, and the
    ``challengeMetadata`` CreateAuthChallenge gave it."""
    return {"challengeName": challenge_name, "challengeResult": result, "challengeMetadata": metadata}


def _custom_auth_request(
    user_attributes: Mapping[str, str],
    client_metadata: Mapping[str, str] | None,
    user_not_found: bool | None,
    **fields: Any,
) -> dict[str, Any]:
    request: dict[str, Any] = {"userAttributes": dict(user_attributes), **fields}
    _with_metadata(request, client_metadata)
    if user_not_found is not None:
        request["userNotFound"] = user_not_found
    return request


def define_auth_challenge(
    caller: Caller,
    *,
    user_attributes: Mapping[str, str],
    session: Sequence[Mapping[str, Any]],
    client_metadata: Mapping[str, str] | None = None,
    user_not_found: bool | None = None,
) -> dict[str, Any]:
    """DefineAuthChallenge_Authentication: decides the next challenge, or issues tokens, or fails."""
    request = _custom_auth_request(
        user_attributes, client_metadata, user_not_found, session=[dict(item) for item in session]
    )
    response = {"challengeName": None, "issueTokens": None, "failAuthentication": None}
    return _event(caller, "DefineAuthChallenge", "DefineAuthChallenge_Authentication", request, response)


def create_auth_challenge(
    caller: Caller,
    *,
    user_attributes: Mapping[str, str],
    challenge_name: str,
    session: Sequence[Mapping[str, Any]],
    client_metadata: Mapping[str, str] | None = None,
    user_not_found: bool | None = None,
) -> dict[str, Any]:
    """CreateAuthChallenge_Authentication: makes the challenge DefineAuthChallenge chose."""
    request = _custom_auth_request(
        user_attributes,
        client_metadata,
        user_not_found,
        challengeName=challenge_name,
        session=[dict(item) for item in session],
    )
    response = {
        "publicChallengeParameters": None,
        "privateChallengeParameters": None,
        "challengeMetadata": None,
    }
    return _event(caller, "CreateAuthChallenge", "CreateAuthChallenge_Authentication", request, response)


def verify_auth_challenge_response(
    caller: Caller,
    *,
    user_attributes: Mapping[str, str],
    private_challenge_parameters: Mapping[str, str],
    challenge_answer: str,
    client_metadata: Mapping[str, str] | None = None,
    user_not_found: bool | None = None,
) -> dict[str, Any]:
    """VerifyAuthChallengeResponse_Authentication: checks the user's ANSWER against the private
    parameters CreateAuthChallenge kept."""
    request = _custom_auth_request(
        user_attributes,
        client_metadata,
        user_not_found,
        privateChallengeParameters=dict(private_challenge_parameters),
        challengeAnswer=challenge_answer,
    )
    return _event(
        caller,
        "VerifyAuthChallengeResponse",
        "VerifyAuthChallengeResponse_Authentication",
        request,
        {"answerCorrect": None},
    )

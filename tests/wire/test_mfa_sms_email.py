"""SMS and email MFA through boto3 against a live server: SMS_MFA and EMAIL_OTP after the password, the code
read from the development outbox (the pool's SmsAuthenticationMessage / EmailMfaConfiguration texts),
single use, the Session's validity moved past with the server's clock, a wrong code retried, the channel
verified by the code, and the CustomMessage_Authentication and CustomSMSSender_Authentication triggers."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from accounts import PASSWORD, make_user, outbox, sign_in
from botocore.exceptions import ClientError
from lambda_api import CREDENTIALS
from mfa_support import client_of, mfa_pool, server_clock
from test_pools import error_of
from test_triggers_recovery import ACCOUNT, SENDER_KEY, arn, recorder

from userpools.triggers.sender_codes import decrypt_code

PHONE = "+15555550142"
EMAIL = "mfa.user@example.com"
MISMATCH = ("CodeMismatchException", "Invalid code or auth state for the user.")
EXPIRED = ("NotAuthorizedException", "Invalid session for the user, session is expired.")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def triggered(server_factory: Any, lambdas: Any, tmp_path_factory: pytest.TempPathFactory,
              request: pytest.FixtureRequest) -> Any:
    """A server whose pools' triggers go to the test's Lambda Invoke API, with a custom-sender key."""
    config = Path(tmp_path_factory.mktemp("mfa-triggers")) / "userpools.toml"
    config.write_text(
        f'[lambda]\nendpoint = "{lambdas.url}"\nregion = "us-east-1"\n'
        f'access_key_id = "{CREDENTIALS.access_key_id}"\nsecret_access_key = "{CREDENTIALS.secret_access_key}"\n'
        f'invoke_by = "name"\n\n[custom_senders]\nkey = "{SENDER_KEY}"\n'
    )
    return server_factory(request.param, extra_args=["--config", str(config)])


def sms_user(cognito: Any, pool: dict[str, Any], **attributes: str) -> str:
    name = make_user(cognito, pool["Id"], attributes={"phone_number": PHONE, **attributes})
    cognito.admin_set_user_mfa_preference(UserPoolId=pool["Id"], Username=name,
                                          SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    return name


def email_user(cognito: Any, pool: dict[str, Any], **attributes: str) -> str:
    name = make_user(cognito, pool["Id"], attributes={"email": EMAIL, **attributes})
    cognito.admin_set_user_mfa_preference(UserPoolId=pool["Id"], Username=name,
                                          EmailMfaSettings={"Enabled": True, "PreferredMfa": True})
    return name


def respond(cognito: Any, client: str, challenge: str, name: str, session: str, code: str) -> dict[str, Any]:
    member = {"SMS_MFA": "SMS_MFA_CODE", "EMAIL_OTP": "EMAIL_OTP_CODE"}[challenge]
    return cognito.respond_to_auth_challenge(ClientId=client, ChallengeName=challenge, Session=session,
                                             ChallengeResponses={"USERNAME": name, member: code})


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_sms_mfa_sends_a_code_and_the_code_signs_in(cognito: Any, server: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True)
    client = client_of(cognito, pool)
    name = sms_user(cognito, pool)
    challenge = sign_in(cognito, client, name)
    assert challenge["ChallengeName"] == "SMS_MFA"
    assert challenge["ChallengeParameters"] == {"CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
                                                "CODE_DELIVERY_DESTINATION": "+*******0142", "USER_ID_FOR_SRP": name}
    message = outbox(server, pool["Id"], name)[0]
    assert message["deliveryMedium"] == "SMS" and message["destination"] == PHONE
    assert message["triggerSource"] == "CustomMessage_Authentication"
    assert message["body"] == f"Your code is {message['code']}" and len(message["code"]) == 6
    tokens = respond(cognito, client, "SMS_MFA", name, challenge["Session"], message["code"])["AuthenticationResult"]
    assert "AccessToken" in tokens and "RefreshToken" in tokens
    user = cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["phone_number_verified"] == "true"


def test_email_otp_sends_the_pools_email_and_the_code_signs_in(cognito: Any, server: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", email=True)
    client = client_of(cognito, pool)
    name = email_user(cognito, pool)
    challenge = sign_in(cognito, client, name)
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    assert challenge["ChallengeParameters"] == {"CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
                                                "CODE_DELIVERY_DESTINATION": "m***@e***", "USER_ID_FOR_SRP": name}
    message = outbox(server, pool["Id"], name)[0]
    assert message["deliveryMedium"] == "EMAIL" and message["subject"] == "Your sign-in code"
    assert message["body"] == f"Sign-in code: {message['code']}"
    assert "AuthenticationResult" in respond(cognito, client, "EMAIL_OTP", name, challenge["Session"],
                                             message["code"])


def test_a_wrong_code_can_be_retried_then_the_right_one_signs_in_once(cognito: Any, server: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True)
    client = client_of(cognito, pool)
    name = sms_user(cognito, pool)
    challenge = sign_in(cognito, client, name)
    code = outbox(server, pool["Id"], name)[0]["code"]
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, client, "SMS_MFA", name, challenge["Session"], other_code(code))
    assert error_of(excinfo) == MISMATCH
    assert "AuthenticationResult" in respond(cognito, client, "SMS_MFA", name, challenge["Session"], code)
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, client, "SMS_MFA", name, challenge["Session"], code)
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid session for the user.")


def test_five_wrong_codes_end_the_session(cognito: Any, server: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True)
    client = client_of(cognito, pool)
    name = sms_user(cognito, pool)
    challenge = sign_in(cognito, client, name)
    code = outbox(server, pool["Id"], name)[0]["code"]
    for _ in range(5):
        with pytest.raises(ClientError) as excinfo:
            respond(cognito, client, "SMS_MFA", name, challenge["Session"], other_code(code))
        assert error_of(excinfo) == MISMATCH
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, client, "SMS_MFA", name, challenge["Session"], code)
    assert error_of(excinfo) == EXPIRED


def test_the_code_dies_with_the_session_after_its_validity(cognito: Any, server: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True)
    client = client_of(cognito, pool, AuthSessionValidity=5)
    name = sms_user(cognito, pool)
    with server_clock(server) as clock:
        challenge = sign_in(cognito, client, name)
        code = outbox(server, pool["Id"], name)[0]["code"]
        clock.move(4 * 60)
        late = sign_in(cognito, client, name)  # a second sign-in replaces the code
        with pytest.raises(ClientError) as excinfo:
            respond(cognito, client, "SMS_MFA", name, challenge["Session"], code)
        assert error_of(excinfo) == MISMATCH
        newer = outbox(server, pool["Id"], name)[0]["code"]
        clock.move(61)
        with pytest.raises(ClientError) as excinfo:
            respond(cognito, client, "SMS_MFA", name, challenge["Session"], code)
        assert error_of(excinfo) == EXPIRED
        assert "AuthenticationResult" in respond(cognito, client, "SMS_MFA", name, late["Session"], newer)


def test_the_answer_is_checked_against_the_session_challenge(cognito: Any, server: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True)
    client = client_of(cognito, pool)
    name = sms_user(cognito, pool)
    challenge = sign_in(cognito, client, name)
    with pytest.raises(ClientError) as excinfo:
        cognito.respond_to_auth_challenge(ClientId=client, ChallengeName="SOFTWARE_TOKEN_MFA",
                                          Session=challenge["Session"],
                                          ChallengeResponses={"USERNAME": name, "SOFTWARE_TOKEN_MFA_CODE": "123456"})
    assert error_of(excinfo) == EXPIRED
    with pytest.raises(ClientError) as excinfo:
        cognito.respond_to_auth_challenge(ClientId=client, ChallengeName="SMS_MFA", Session=challenge["Session"],
                                          ChallengeResponses={"USERNAME": name})
    assert error_of(excinfo) == ("InvalidParameterException", "Missing required parameter SMS_MFA_CODE")
    other = client_of(cognito, pool)
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, other, "SMS_MFA", name, challenge["Session"], outbox(server, pool["Id"], name)[0]["code"])
    assert error_of(excinfo) == EXPIRED


def test_a_user_disabled_or_given_a_new_password_meanwhile_cannot_answer(cognito: Any, server: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True)
    client = client_of(cognito, pool)
    name = sms_user(cognito, pool)
    challenge = sign_in(cognito, client, name)
    code = outbox(server, pool["Id"], name)[0]["code"]
    cognito.admin_disable_user(UserPoolId=pool["Id"], Username=name)
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, client, "SMS_MFA", name, challenge["Session"], code)
    assert error_of(excinfo) == ("NotAuthorizedException", "User is disabled.")
    cognito.admin_enable_user(UserPoolId=pool["Id"], Username=name)
    challenge = sign_in(cognito, client, name)
    code = outbox(server, pool["Id"], name)[0]["code"]
    cognito.admin_set_user_password(UserPoolId=pool["Id"], Username=name, Password="Another-Horse-8", Permanent=True)
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, client, "SMS_MFA", name, challenge["Session"], code)
    assert error_of(excinfo) == EXPIRED


def test_on_pool_sends_sms_to_a_user_with_a_phone_and_no_factor(cognito: Any, server: Any) -> None:
    pool = mfa_pool(cognito, "ON", sms=True, totp=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"], attributes={"phone_number": PHONE})
    challenge = sign_in(cognito, client, name)
    assert challenge["ChallengeName"] == "SMS_MFA"
    assert "AuthenticationResult" in respond(cognito, client, "SMS_MFA", name, challenge["Session"],
                                             outbox(server, pool["Id"], name)[0]["code"])


def test_custom_message_authentication_writes_the_sms(triggered: Any, calls: Any) -> None:
    cognito = triggered.client()
    events: list[dict[str, Any]] = []
    calls.register("mfa-message", recorder(events, {"smsMessage": "Hello {username}, use {####}"}))
    pool = mfa_pool(cognito, "OPTIONAL", sms=True, LambdaConfig={"CustomMessage": arn("mfa-message")})
    client = client_of(cognito, pool)
    name = sms_user(cognito, pool)
    challenge = sign_in(cognito, client, name)
    assert events[-1]["triggerSource"] == "CustomMessage_Authentication"
    message = outbox(triggered, pool["Id"], name)[0]
    assert message["body"] == f"Hello {name}, use {message['code']}"
    assert "AuthenticationResult" in respond(cognito, client, "SMS_MFA", name, challenge["Session"], message["code"])


def test_custom_sms_sender_gets_the_mfa_code_encrypted(triggered: Any, calls: Any) -> None:
    cognito = triggered.client()
    events: list[dict[str, Any]] = []
    calls.register("sms-sender", recorder(events))
    pool = mfa_pool(cognito, "OPTIONAL", sms=True, LambdaConfig={
        "CustomSMSSender": {"LambdaVersion": "V1_0", "LambdaArn": arn("sms-sender")},
        "KMSKeyID": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/any"})
    client = client_of(cognito, pool)
    name = sms_user(cognito, pool)
    challenge = sign_in(cognito, client, name)
    assert events[-1]["triggerSource"] == "CustomSMSSender_Authentication"
    code = decrypt_code(events[-1]["request"]["code"], base64.b64decode(SENDER_KEY))
    assert len(code) == 6
    tokens = respond(cognito, client, "SMS_MFA", name, challenge["Session"], code)["AuthenticationResult"]
    assert "AccessToken" in tokens


def test_admin_flow_gets_sms_mfa_too(cognito: Any, server: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True)
    client = client_of(cognito, pool)
    name = sms_user(cognito, pool)
    challenge = cognito.admin_initiate_auth(UserPoolId=pool["Id"], ClientId=client, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                            AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD})
    assert challenge["ChallengeName"] == "SMS_MFA"
    done = cognito.admin_respond_to_auth_challenge(
        UserPoolId=pool["Id"], ClientId=client, ChallengeName="SMS_MFA", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": name, "SMS_MFA_CODE": outbox(server, pool["Id"], name)[0]["code"]})
    assert "IdToken" in done["AuthenticationResult"]


def test_a_user_locked_out_meanwhile_cannot_answer(cognito: Any, server: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True)
    client = client_of(cognito, pool, PreventUserExistenceErrors="ENABLED")
    name = sms_user(cognito, pool)
    challenge = sign_in(cognito, client, name)
    code = outbox(server, pool["Id"], name)[0]["code"]
    for _ in range(5):
        with pytest.raises(ClientError):
            sign_in(cognito, client, name, "Wrong-Horse-1")
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, client, "SMS_MFA", name, challenge["Session"], code)
    assert error_of(excinfo) == ("NotAuthorizedException", "Password attempts exceeded")

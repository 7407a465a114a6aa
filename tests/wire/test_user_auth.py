"""USER_AUTH (choice-based sign-in) through boto3: SELECT_CHALLENGE and AvailableChallenges, PREFERRED_CHALLENGE,
the PASSWORD, PASSWORD_SRP, EMAIL_OTP and SMS_OTP first factors (codes read from the outbox), MFA after a
password but not after a code, the pool's SignInPolicy and tier, the client's ALLOW_USER_AUTH,
PreventUserExistenceErrors, and GetUserAuthFactors / AdminGetUserAuthFactors. Passkeys: test_passkeys.py."""

from __future__ import annotations

from typing import Any

import pytest
from accounts import PASSWORD, make_client, make_user, outbox, unique
from botocore.exceptions import ClientError
from mfa_support import EMAIL_CONFIGURATION, SMS_CONFIGURATION
from pycognito.aws_srp import AWSSRP
from test_pools import error_of

FLOWS = ["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
ALL_FACTORS = ["PASSWORD", "EMAIL_OTP", "SMS_OTP"]


def passwordless_pool(cognito: Any, factors: list[str] | None = None, **settings: Any) -> dict[str, Any]:
    settings.setdefault("Policies", {"SignInPolicy": {"AllowedFirstAuthFactors": factors or ALL_FACTORS}})
    return cognito.create_user_pool(
        PoolName=unique("pwless"), EmailConfiguration=EMAIL_CONFIGURATION,
        SmsConfiguration=SMS_CONFIGURATION, **settings,
    )["UserPool"]


def user_auth(cognito: Any, client: str, name: str, **params: str) -> dict[str, Any]:
    return cognito.initiate_auth(ClientId=client, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": name, **params})


def respond(cognito: Any, client: str, challenge: str, session: str, **responses: str) -> dict[str, Any]:
    return cognito.respond_to_auth_challenge(ClientId=client, ChallengeName=challenge, Session=session,
                                             ChallengeResponses=responses)


@pytest.fixture
def setup(cognito: Any) -> tuple[dict[str, Any], str, str]:
    pool = passwordless_pool(cognito)
    client = make_client(cognito, pool["Id"], ExplicitAuthFlows=FLOWS)["ClientId"]
    name = make_user(cognito, pool["Id"], attributes={"email": f"{unique()}@example.com",
                                                      "phone_number": "+15555550123"})
    return pool, client, name


def test_the_pool_stores_its_sign_in_policy(cognito: Any) -> None:
    pool = passwordless_pool(cognito, ["PASSWORD", "EMAIL_OTP"])
    described = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described["Policies"]["SignInPolicy"]["AllowedFirstAuthFactors"] == ["PASSWORD", "EMAIL_OTP"]
    cognito.update_user_pool(UserPoolId=pool["Id"],
                             Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "SMS_OTP"]}})
    described = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described["Policies"]["SignInPolicy"]["AllowedFirstAuthFactors"] == ["PASSWORD", "SMS_OTP"]


def test_select_challenge_lists_the_users_factors(cognito: Any, setup: Any) -> None:
    pool, client, name = setup
    answer = user_auth(cognito, client, name)
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    assert answer["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"]
    assert answer["ChallengeParameters"]["USERNAME"] == name
    # A user without a phone is not offered SMS_OTP.
    other = make_user(cognito, pool["Id"], attributes={"email": "only.mail@example.com"})
    assert user_auth(cognito, client, other)["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]


def test_select_password_then_tokens_and_the_session_is_single_use(cognito: Any, setup: Any) -> None:
    _pool, client, name = setup
    session = user_auth(cognito, client, name)["Session"]
    done = respond(cognito, client, "SELECT_CHALLENGE", session, USERNAME=name, ANSWER="PASSWORD", PASSWORD=PASSWORD)
    assert done["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, client, "SELECT_CHALLENGE", session, USERNAME=name, ANSWER="PASSWORD", PASSWORD=PASSWORD)
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid session for the user.")


def test_select_a_factor_not_offered_is_refused(cognito: Any, setup: Any) -> None:
    _pool, client, name = setup
    session = user_auth(cognito, client, name)["Session"]
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, client, "SELECT_CHALLENGE", session, USERNAME=name, ANSWER="WEB_AUTHN")
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_preferred_password_with_a_wrong_password(cognito: Any, setup: Any) -> None:
    _pool, client, name = setup
    with pytest.raises(ClientError) as excinfo:
        user_auth(cognito, client, name, PREFERRED_CHALLENGE="PASSWORD", PASSWORD="Wrong-Password-1")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")
    tokens = user_auth(cognito, client, name, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert tokens["AuthenticationResult"]["IdToken"]


def test_preferred_password_srp(cognito: Any, setup: Any) -> None:
    pool, client, name = setup
    srp = AWSSRP(username=name, password=PASSWORD, pool_id=pool["Id"], client_id=client, client=cognito)
    verifier = user_auth(cognito, client, name, PREFERRED_CHALLENGE="PASSWORD_SRP",
                         SRP_A=format(srp.large_a_value, "x"))
    assert verifier["ChallengeName"] == "PASSWORD_VERIFIER"
    answer = srp.process_challenge(verifier["ChallengeParameters"], {"USERNAME": name})
    done = respond(cognito, client, "PASSWORD_VERIFIER", verifier.get("Session", ""), **answer) \
        if verifier.get("Session") else cognito.respond_to_auth_challenge(
            ClientId=client, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer)
    assert done["AuthenticationResult"]["AccessToken"]


def test_email_otp_first_factor_through_the_outbox(cognito: Any, server: Any, setup: Any) -> None:
    pool, client, name = setup
    challenge = user_auth(cognito, client, name, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    message = outbox(server, pool["Id"], name)[0]
    assert message["deliveryMedium"] == "EMAIL" and len(message["code"]) == 8 and message["code"].isdigit()
    wrong = "0" * 8 if message["code"] != "0" * 8 else "1" * 8
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, client, "EMAIL_OTP", challenge["Session"], USERNAME=name, EMAIL_OTP_CODE=wrong)
    assert error_of(excinfo)[0] == "CodeMismatchException"
    done = respond(cognito, client, "EMAIL_OTP", challenge["Session"], USERNAME=name,
                   EMAIL_OTP_CODE=message["code"])
    assert done["AuthenticationResult"]["AccessToken"]


def test_sms_otp_chosen_from_select_challenge(cognito: Any, server: Any, setup: Any) -> None:
    pool, client, name = setup
    session = user_auth(cognito, client, name)["Session"]
    challenge = respond(cognito, client, "SELECT_CHALLENGE", session, USERNAME=name, ANSWER="SMS_OTP")
    assert challenge["ChallengeName"] == "SMS_OTP"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"].endswith("0123")
    message = outbox(server, pool["Id"], name)[0]
    assert message["deliveryMedium"] == "SMS" and len(message["code"]) == 8
    done = respond(cognito, client, "SMS_OTP", challenge["Session"], USERNAME=name, SMS_OTP_CODE=message["code"])
    assert done["AuthenticationResult"]["RefreshToken"]


def test_mfa_follows_a_password_but_not_a_passwordless_code(cognito: Any, server: Any, setup: Any) -> None:
    pool, client, name = setup
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool["Id"], MfaConfiguration="ON",
        SmsMfaConfiguration={"SmsAuthenticationMessage": "MFA {####}", "SmsConfiguration": SMS_CONFIGURATION},
    )
    after_password = user_auth(cognito, client, name, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert after_password["ChallengeName"] == "SMS_MFA"
    mfa_code = outbox(server, pool["Id"], name)[0]["code"]
    assert len(mfa_code) == 6
    assert "AuthenticationResult" in respond(cognito, client, "SMS_MFA", after_password["Session"], USERNAME=name,
                                             SMS_MFA_CODE=mfa_code)
    otp = user_auth(cognito, client, name, PREFERRED_CHALLENGE="EMAIL_OTP")
    code = outbox(server, pool["Id"], name)[0]["code"]
    assert "AuthenticationResult" in respond(cognito, client, "EMAIL_OTP", otp["Session"], USERNAME=name,
                                             EMAIL_OTP_CODE=code)


def test_a_factor_outside_the_sign_in_policy_is_not_offered(cognito: Any) -> None:
    pool = passwordless_pool(cognito, ["PASSWORD"])
    client = make_client(cognito, pool["Id"], ExplicitAuthFlows=FLOWS)["ClientId"]
    name = make_user(cognito, pool["Id"], attributes={"email": "x@example.com"})
    answer = user_auth(cognito, client, name, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    assert answer["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]


def test_the_client_must_allow_user_auth(cognito: Any, setup: Any) -> None:
    pool, _client, name = setup
    other = make_client(cognito, pool["Id"], ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["ClientId"]
    with pytest.raises(ClientError) as excinfo:
        user_auth(cognito, other, name)
    assert error_of(excinfo) == ("InvalidParameterException", "USER_AUTH is not enabled for the client.")


def test_admin_initiate_auth_with_user_auth(cognito: Any, setup: Any) -> None:
    pool, client, name = setup
    answer = cognito.admin_initiate_auth(UserPoolId=pool["Id"], ClientId=client, AuthFlow="USER_AUTH",
                                         AuthParameters={"USERNAME": name})
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    done = cognito.admin_respond_to_auth_challenge(
        UserPoolId=pool["Id"], ClientId=client, ChallengeName="SELECT_CHALLENGE", Session=answer["Session"],
        ChallengeResponses={"USERNAME": name, "ANSWER": "PASSWORD", "PASSWORD": PASSWORD},
    )
    assert done["AuthenticationResult"]["AccessToken"]


def test_unknown_user_with_and_without_prevent_user_existence_errors(cognito: Any, setup: Any) -> None:
    pool, client, _name = setup
    with pytest.raises(ClientError) as excinfo:
        user_auth(cognito, client, "nobody-here")
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    hiding = make_client(cognito, pool["Id"], ExplicitAuthFlows=FLOWS,
                         PreventUserExistenceErrors="ENABLED")["ClientId"]
    answer = user_auth(cognito, hiding, "nobody-here")
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    assert answer["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"]
    otp = respond(cognito, hiding, "SELECT_CHALLENGE", answer["Session"], USERNAME="nobody-here", ANSWER="EMAIL_OTP")
    assert otp["ChallengeName"] == "EMAIL_OTP"
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, hiding, "EMAIL_OTP", otp["Session"], USERNAME="nobody-here", EMAIL_OTP_CODE="12345678")
    assert error_of(excinfo) == ("CodeMismatchException", "Invalid code or auth state for the user.")
    with pytest.raises(ClientError) as excinfo:
        user_auth(cognito, hiding, "nobody-here", PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")


def test_lite_pools_refuse_passwordless_factors_and_user_auth(cognito: Any, setup: Any) -> None:
    pool, client, name = setup
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool(UserPoolId=pool["Id"], UserPoolTier="LITE",
                                 Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ALL_FACTORS}})
    assert error_of(excinfo)[0] == "FeatureUnavailableInTierException"
    cognito.update_user_pool(UserPoolId=pool["Id"], UserPoolTier="LITE",
                             Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD"]}})
    with pytest.raises(ClientError) as excinfo:
        user_auth(cognito, client, name)
    assert error_of(excinfo)[0] == "FeatureUnavailableInTierException"


def test_get_user_auth_factors(cognito: Any, setup: Any) -> None:
    pool, client, name = setup
    tokens = user_auth(cognito, client, name, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    mine = cognito.get_user_auth_factors(AccessToken=tokens["AuthenticationResult"]["AccessToken"])
    assert mine["Username"] == name
    assert mine["ConfiguredUserAuthFactors"] == ["PASSWORD", "EMAIL_OTP", "SMS_OTP"]
    assert "PreferredMfaSetting" not in mine and "UserMFASettingList" not in mine
    admin = cognito.admin_get_user_auth_factors(UserPoolId=pool["Id"], Username=name)
    assert admin["ConfiguredUserAuthFactors"] == mine["ConfiguredUserAuthFactors"]
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user_auth_factors(UserPoolId=pool["Id"], Username="nobody-here")
    assert error_of(excinfo)[0] == "UserNotFoundException"

"""The MFA challenges after the first factor through real clients against a live server: MFA_SETUP with
AssociateSoftwareToken(Session) → VerifySoftwareToken(Session) → RespondToAuthChallenge, SELECT_MFA_TYPE,
NEW_PASSWORD_REQUIRED before MFA, SRP (pycognito's maths) and CUSTOM_AUTH before MFA, single-use Sessions,
and two answers racing with one code or one Session (exactly one wins)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import trigger_functions
from accounts import PASSWORD, make_user, outbox, sign_in, unique
from botocore.exceptions import ClientError
from lambda_api import LambdaApiServer
from mfa_support import ServerClock, client_of, mfa_pool, register_totp, server_clock
from pycognito.aws_srp import AWSSRP
from test_custom_auth import CUSTOM_FLOWS, MAGIC, keep_codes
from test_custom_auth import answer as custom_answer
from test_pools import error_of
from test_triggers_signin import answering, arn, triggered_server

USED = ("NotAuthorizedException", "Invalid session for the user.")
EXPIRED = ("NotAuthorizedException", "Invalid session for the user, session is expired.")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def triggered(server_factory: Any, lambdas: LambdaApiServer, tmp_path_factory: pytest.TempPathFactory,
              request: pytest.FixtureRequest) -> Any:
    return triggered_server(server_factory, lambdas, tmp_path_factory.mktemp("mfa-custom"), request.param)


@pytest.fixture
def magic(calls: LambdaApiServer) -> LambdaApiServer:
    """The magic-code trio of CUSTOM_AUTH (trigger_functions)."""
    calls.register("define", trigger_functions.define_magic)
    calls.register("create", trigger_functions.create_magic)
    calls.register("verify", trigger_functions.verify_magic)
    return calls


@pytest.fixture
def clock(server: Any) -> Any:
    with server_clock(server) as frozen:
        yield frozen


def respond(cognito: Any, client: str, challenge: str, session: str, **responses: str) -> dict[str, Any]:
    return dict(cognito.respond_to_auth_challenge(ClientId=client, ChallengeName=challenge, Session=session,
                                                  ChallengeResponses=responses))


def race(server: Any, calls: list[Any]) -> list[Any]:
    """Runs the calls at once on their own clients; each result or the ClientError it raised."""
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int) -> None:
        client = server.client()
        start.wait()
        try:
            results[i] = calls[i](client)
        except ClientError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# --- MFA_SETUP ---------------------------------------------------------------------------------------


def test_mfa_on_and_no_factor_sets_up_a_software_token_inside_the_sign_in(cognito: Any, clock: ServerClock) -> None:
    pool = mfa_pool(cognito, "ON", sms=True, totp=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])  # no phone: SMS cannot be used as it is
    setup = sign_in(cognito, client, name)
    assert setup["ChallengeName"] == "MFA_SETUP"
    assert setup["ChallengeParameters"] == {"MFAS_CAN_SETUP": '["SMS_MFA","SOFTWARE_TOKEN_MFA"]',
                                            "USER_ID_FOR_SRP": name}
    associated = cognito.associate_software_token(Session=setup["Session"])
    secret, session = associated["SecretCode"], associated["Session"]
    with pytest.raises(ClientError) as excinfo:  # each step's Session is good once
        cognito.associate_software_token(Session=setup["Session"])
    assert error_of(excinfo) == USED
    with pytest.raises(ClientError) as excinfo:  # answering before the token is verified
        respond(cognito, client, "MFA_SETUP", session, USERNAME=name)
    assert error_of(excinfo)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        cognito.verify_software_token(Session=session, UserCode=clock.code(secret, offset_steps=3))
    assert error_of(excinfo)[0] == "EnableSoftwareTokenMFAException"
    verified = cognito.verify_software_token(Session=session, UserCode=clock.code(secret), FriendlyDeviceName="app")
    assert verified["Status"] == "SUCCESS" and verified["Session"] != session
    tokens = respond(cognito, client, "MFA_SETUP", verified["Session"], USERNAME=name)["AuthenticationResult"]
    assert "AccessToken" in tokens
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, client, "MFA_SETUP", verified["Session"], USERNAME=name)
    assert error_of(excinfo) == USED
    # No preference was set: the next sign-in asks for the token all the same [O: moto aws_verified _mfa_on].
    clock.next_step()
    challenge = sign_in(cognito, client, name)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert "AuthenticationResult" in respond(cognito, client, "SOFTWARE_TOKEN_MFA", challenge["Session"],
                                             USERNAME=name, SOFTWARE_TOKEN_MFA_CODE=clock.code(secret))
    user = cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"] and "PreferredMfaSetting" not in user


def test_mfa_setup_with_an_email_address_then_email_otp(cognito: Any, server: Any) -> None:
    pool = mfa_pool(cognito, "ON", totp=True, email=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])  # no email yet
    setup = sign_in(cognito, client, name)
    assert setup["ChallengeParameters"]["MFAS_CAN_SETUP"] == '["SOFTWARE_TOKEN_MFA","EMAIL_OTP"]'
    otp = respond(cognito, client, "MFA_SETUP", setup["Session"], USERNAME=name, EMAIL="set.up@example.com")
    assert otp["ChallengeName"] == "EMAIL_OTP"
    assert otp["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "s***@e***"
    code = outbox(server, pool["Id"], name)[0]["code"]
    assert "AuthenticationResult" in respond(cognito, client, "EMAIL_OTP", otp["Session"], USERNAME=name,
                                             EMAIL_OTP_CODE=code)
    user = cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)
    assert user["UserMFASettingList"] == ["EMAIL_OTP"]
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["email_verified"] == "true"
    assert sign_in(cognito, client, name)["ChallengeName"] == "EMAIL_OTP"


def test_mfa_setup_session_expires(cognito: Any, clock: ServerClock) -> None:
    pool = mfa_pool(cognito, "ON", totp=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])
    setup = sign_in(cognito, client, name)
    assert json.loads(setup["ChallengeParameters"]["MFAS_CAN_SETUP"]) == ["SOFTWARE_TOKEN_MFA"]
    clock.move(3 * 60 + 1)
    with pytest.raises(ClientError) as excinfo:
        cognito.associate_software_token(Session=setup["Session"])
    assert error_of(excinfo) == EXPIRED


def test_optional_pool_without_factor_gives_tokens(cognito: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True, totp=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"], attributes={"phone_number": "+15555550100"})
    assert "AuthenticationResult" in sign_in(cognito, client, name)


# --- SELECT_MFA_TYPE ---------------------------------------------------------------------------------


def two_factor_user(cognito: Any, clock: ServerClock, pool: dict[str, Any], client: str) -> tuple[str, str]:
    name = make_user(cognito, pool["Id"], attributes={"phone_number": "+15555550123"})
    token = sign_in(cognito, client, name)["AuthenticationResult"]["AccessToken"]
    secret = register_totp(cognito, clock, token)
    cognito.set_user_mfa_preference(AccessToken=token, SMSMfaSettings={"Enabled": True},
                                    SoftwareTokenMfaSettings={"Enabled": True})
    return name, secret


def test_select_mfa_type_when_several_and_none_preferred(cognito: Any, server: Any, clock: ServerClock) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True, totp=True)
    client = client_of(cognito, pool)
    name, secret = two_factor_user(cognito, clock, pool, client)
    select = sign_in(cognito, client, name)
    assert select["ChallengeName"] == "SELECT_MFA_TYPE"
    assert select["ChallengeParameters"] == {"MFAS_CAN_CHOOSE": '["SMS_MFA","SOFTWARE_TOKEN_MFA"]',
                                             "USER_ID_FOR_SRP": name}
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, client, "SELECT_MFA_TYPE", select["Session"], USERNAME=name, ANSWER="EMAIL_OTP")
    assert error_of(excinfo)[0] == "MFAMethodNotFoundException"
    sms = respond(cognito, client, "SELECT_MFA_TYPE", select["Session"], USERNAME=name, ANSWER="SMS_MFA")
    assert sms["ChallengeName"] == "SMS_MFA" and sms["Session"] != select["Session"]
    assert sms["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "+*******0123"
    with pytest.raises(ClientError) as excinfo:
        respond(cognito, client, "SELECT_MFA_TYPE", select["Session"], USERNAME=name, ANSWER="SOFTWARE_TOKEN_MFA")
    assert error_of(excinfo) == USED
    code = outbox(server, pool["Id"], name)[0]["code"]
    assert "AuthenticationResult" in respond(cognito, client, "SMS_MFA", sms["Session"], USERNAME=name,
                                             SMS_MFA_CODE=code)
    select = sign_in(cognito, client, name)
    totp = respond(cognito, client, "SELECT_MFA_TYPE", select["Session"], USERNAME=name, ANSWER="SOFTWARE_TOKEN_MFA")
    assert totp["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert "AuthenticationResult" in respond(cognito, client, "SOFTWARE_TOKEN_MFA", totp["Session"], USERNAME=name,
                                             SOFTWARE_TOKEN_MFA_CODE=clock.code(secret))


def test_the_preferred_factor_skips_the_selection(cognito: Any, clock: ServerClock) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True, totp=True)
    client = client_of(cognito, pool)
    name, _secret = two_factor_user(cognito, clock, pool, client)
    cognito.admin_set_user_mfa_preference(UserPoolId=pool["Id"], Username=name,
                                          SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert sign_in(cognito, client, name)["ChallengeName"] == "SMS_MFA"


# --- what comes before: new password, SRP, custom auth -------------------------------------------------


def test_new_password_required_comes_before_mfa_setup(cognito: Any, clock: ServerClock) -> None:
    pool = mfa_pool(cognito, "ON", totp=True)
    client = client_of(cognito, pool)
    name = unique()
    cognito.admin_create_user(UserPoolId=pool["Id"], Username=name, TemporaryPassword="Temp-Horse-9",
                              MessageAction="SUPPRESS")
    first = sign_in(cognito, client, name, "Temp-Horse-9")
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    setup = respond(cognito, client, "NEW_PASSWORD_REQUIRED", first["Session"], USERNAME=name, NEW_PASSWORD=PASSWORD)
    assert setup["ChallengeName"] == "MFA_SETUP"
    secret = cognito.associate_software_token(Session=setup["Session"])
    verified = cognito.verify_software_token(Session=secret["Session"], UserCode=clock.code(secret["SecretCode"]))
    assert "AuthenticationResult" in respond(cognito, client, "MFA_SETUP", verified["Session"], USERNAME=name)
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)["UserStatus"] == "CONFIRMED"


def test_srp_sign_in_then_sms_mfa(cognito: Any, server: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"], attributes={"phone_number": "+15555550123"})
    cognito.admin_set_user_mfa_preference(UserPoolId=pool["Id"], Username=name, SMSMfaSettings={"Enabled": True})
    srp = AWSSRP(username=name, password=PASSWORD, pool_id=pool["Id"], client_id=client, client=cognito)
    auth_params = srp.get_auth_params()
    verifier = cognito.initiate_auth(ClientId=client, AuthFlow="USER_SRP_AUTH", AuthParameters=auth_params)
    claim = srp.process_challenge(verifier["ChallengeParameters"], auth_params)
    challenge = cognito.respond_to_auth_challenge(ClientId=client, ChallengeName="PASSWORD_VERIFIER",
                                                  ChallengeResponses=claim)
    assert challenge["ChallengeName"] == "SMS_MFA"
    assert challenge["ChallengeParameters"]["USER_ID_FOR_SRP"] == name
    code = outbox(server, pool["Id"], name)[0]["code"]
    assert "AuthenticationResult" in respond(cognito, client, "SMS_MFA", challenge["Session"], USERNAME=name,
                                             SMS_MFA_CODE=code)


def test_custom_auth_then_software_token_mfa(triggered: Any, magic: Any) -> None:
    cognito = triggered.client()
    codes = keep_codes(magic)
    pool = mfa_pool(cognito, "OPTIONAL", totp=True, LambdaConfig=MAGIC)
    client = client_of(cognito, pool, ExplicitAuthFlows=[*CUSTOM_FLOWS, "ALLOW_USER_PASSWORD_AUTH"])
    name = make_user(cognito, pool["Id"], attributes={"email": "magic@example.com", "email_verified": "true"})
    with server_clock(triggered) as clock:
        token = sign_in(cognito, client, name)["AuthenticationResult"]["AccessToken"]
        secret = register_totp(cognito, clock, token)
        started = cognito.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": name})
        mfa = custom_answer(cognito, client, name, started["Session"], codes[-1])
        assert mfa["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        done = respond(cognito, client, "SOFTWARE_TOKEN_MFA", mfa["Session"], USERNAME=name,
                       SOFTWARE_TOKEN_MFA_CODE=clock.code(secret))
        assert "AccessToken" in done["AuthenticationResult"]


def test_a_user_migrated_with_enable_sms_mfa_is_asked_for_an_sms_code(triggered: Any, calls: Any) -> None:
    cognito = triggered.client()
    calls.register("migrate", answering(userAttributes={"phone_number": "+15555550111"}, finalUserStatus="CONFIRMED",
                                        messageAction="SUPPRESS", enableSMSMFA=True))
    pool = mfa_pool(cognito, "OPTIONAL", sms=True, LambdaConfig={"UserMigration": arn("migrate")})
    client = client_of(cognito, pool)
    challenge = sign_in(cognito, client, "legacy-sam", "legacy pw 1")
    assert challenge["ChallengeName"] == "SMS_MFA"
    code = outbox(triggered, pool["Id"], "legacy-sam")[0]["code"]
    assert "AuthenticationResult" in respond(cognito, client, "SMS_MFA", challenge["Session"], USERNAME="legacy-sam",
                                             SMS_MFA_CODE=code)
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username="legacy-sam")["UserMFASettingList"] == ["SMS_MFA"]


# --- races -------------------------------------------------------------------------------------------


def test_two_answers_with_one_sms_code_and_session_exactly_one_wins(cognito: Any, server: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"], attributes={"phone_number": "+15555550123"})
    cognito.admin_set_user_mfa_preference(UserPoolId=pool["Id"], Username=name, SMSMfaSettings={"Enabled": True})
    challenge = sign_in(cognito, client, name)
    code = outbox(server, pool["Id"], name)[0]["code"]

    def answer(c: Any) -> Any:
        return respond(c, client, "SMS_MFA", challenge["Session"], USERNAME=name, SMS_MFA_CODE=code)

    results = race(server, [answer, answer, answer])
    winners = [r for r in results if isinstance(r, dict)]
    losers = [r for r in results if isinstance(r, ClientError)]
    assert len(winners) == 1 and "AccessToken" in winners[0]["AuthenticationResult"]
    assert len(losers) == 2
    assert all(r.response["Error"]["Code"] in ("NotAuthorizedException", "ExpiredCodeException") for r in losers)


def test_one_totp_code_in_two_sign_ins_at_once_exactly_one_wins(cognito: Any, server: Any,
                                                                 clock: ServerClock) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", totp=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])
    token = sign_in(cognito, client, name)["AuthenticationResult"]["AccessToken"]
    secret = register_totp(cognito, clock, token)
    sessions = [sign_in(cognito, client, name)["Session"] for _ in range(2)]
    code = clock.code(secret)

    def answer(session: str) -> Any:
        return lambda c: respond(c, client, "SOFTWARE_TOKEN_MFA", session, USERNAME=name, SOFTWARE_TOKEN_MFA_CODE=code)

    results = race(server, [answer(s) for s in sessions])
    assert sum(isinstance(r, dict) for r in results) == 1
    loser = next(r for r in results if isinstance(r, ClientError))
    assert error_of_exc(loser) == ("ExpiredCodeException", "Your software token has already been used once.")


def error_of_exc(exc: ClientError) -> tuple[str, str]:
    return exc.response["Error"]["Code"], exc.response["Error"]["Message"]


def test_two_verifications_racing_on_one_setup_session_exactly_one_wins(cognito: Any, server: Any,
                                                                       clock: ServerClock) -> None:
    pool = mfa_pool(cognito, "ON", totp=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])
    setup = sign_in(cognito, client, name)
    associated = cognito.associate_software_token(Session=setup["Session"])
    code = clock.code(associated["SecretCode"])

    def verify(c: Any) -> Any:
        return c.verify_software_token(Session=associated["Session"], UserCode=code)

    results = race(server, [verify, verify])
    assert sum(isinstance(r, dict) for r in results) == 1
    assert [error_of_exc(r) for r in results if isinstance(r, ClientError)] in ([USED], [
        ("ExpiredCodeException", "Your software token has already been used once.")])

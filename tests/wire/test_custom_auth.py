"""CUSTOM_AUTH through boto3 against a live server: DefineAuthChallenge, CreateAuthChallenge and
VerifyAuthChallengeResponse driving a one-time "magic code" sign-in, SRP before the custom challenge (with
pycognito's maths and bench/srp_client's), single-use Sessions (also across two server processes on one
database), hidden user existence, and the failures of each trigger.

The functions are ``trigger_functions``' magic-code trio, served by the test's Lambda Invoke API server or
loaded as callables inside the server process."""

from __future__ import annotations

import base64
import secrets
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import trigger_functions
from accounts import PASSWORD, make_client, make_user, unique
from botocore.exceptions import ClientError
from lambda_api import LambdaApiServer
from test_auth import decode
from test_pools import error_of
from test_triggers_signin import answering, arn, raising, received, recorded, triggered_server

CUSTOM_FLOWS = ["ALLOW_CUSTOM_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
MAGIC = {"DefineAuthChallenge": arn("define"), "CreateAuthChallenge": arn("create"),
         "VerifyAuthChallengeResponse": arn("verify")}
INCORRECT = ("NotAuthorizedException", "Incorrect username or password.")
USED = ("NotAuthorizedException", "Invalid session for the user.")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def triggered(server_factory: Any, lambdas: LambdaApiServer, tmp_path_factory: pytest.TempPathFactory,
              request: pytest.FixtureRequest) -> Any:
    return triggered_server(server_factory, lambdas, tmp_path_factory.mktemp("custom-auth"), request.param)


@pytest.fixture
def cognito(triggered: Any) -> Any:
    return triggered.client()


@pytest.fixture
def magic(calls: LambdaApiServer) -> LambdaApiServer:
    calls.register("define", trigger_functions.define_magic)
    calls.register("create", trigger_functions.create_magic)
    calls.register("verify", trigger_functions.verify_magic)
    return calls


def magic_pool(cognito: Any, lambda_config: dict[str, str] | None = None,
               **client_settings: Any) -> tuple[str, str]:
    pool = cognito.create_user_pool(PoolName=unique("custom"), LambdaConfig=lambda_config or MAGIC)["UserPool"]
    client_settings.setdefault("ExplicitAuthFlows", CUSTOM_FLOWS)
    return pool["Id"], make_client(cognito, pool["Id"], **client_settings)["ClientId"]


def keep_codes(calls: LambdaApiServer) -> list[str]:
    """Serves create_magic so that the test learns each code it makes (latest last), as the user would from
    the e-mail the real function sends."""
    codes: list[str] = []

    def create(event: dict[str, Any]) -> dict[str, Any]:
        answer = trigger_functions.create_magic(event)
        codes.append(trigger_functions.code_of(answer))
        return answer

    calls.register("create", create)
    return codes


def answer(cognito: Any, client: str, name: str, session: str, value: str, **kwargs: Any) -> dict[str, Any]:
    return dict(cognito.respond_to_auth_challenge(
        ClientId=client, ChallengeName="CUSTOM_CHALLENGE", Session=session,
        ChallengeResponses={"USERNAME": name, "ANSWER": value}, **kwargs))


# --- the flow ------------------------------------------------------------------------------------------


def test_without_define_auth_challenge_custom_auth_is_not_configured(cognito: Any, calls: Any) -> None:
    pool_id, client = magic_pool(cognito, {"PreAuthentication": arn("pre-auth")})
    name = make_user(cognito, pool_id)
    with pytest.raises(ClientError) as excinfo:
        cognito.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": name})
    assert error_of(excinfo) == ("InvalidParameterException",
                                 "Custom auth lambda trigger is not configured for the user pool.")


def test_the_client_must_allow_custom_auth(cognito: Any, magic: Any) -> None:
    pool_id, client = magic_pool(cognito, ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    name = make_user(cognito, pool_id)
    with pytest.raises(ClientError) as excinfo:
        cognito.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": name})
    assert error_of(excinfo) == ("InvalidParameterException", "CUSTOM_AUTH is not enabled for the client.")
    default = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="defaults")["UserPoolClient"]
    started = cognito.initiate_auth(ClientId=default["ClientId"], AuthFlow="CUSTOM_AUTH",
                                    AuthParameters={"USERNAME": name})  # the default flows include it [C]
    assert started["ChallengeName"] == "CUSTOM_CHALLENGE"


def test_magic_code_sign_in_end_to_end(triggered: Any, cognito: Any, magic: Any) -> None:
    codes = keep_codes(magic)
    magic.register("post-auth", answering())
    magic.register("pre-token", answering())
    pool_id, client = magic_pool(cognito, {**MAGIC, "PostAuthentication": arn("post-auth"),
                                           "PreTokenGeneration": arn("pre-token")})
    name = make_user(cognito, pool_id, attributes={"email": "magic@example.com", "email_verified": "true"})
    started = cognito.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": name},
                                    ClientMetadata={"from": "initiate"})
    assert started["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert started["ChallengeParameters"] == {"delivery": "EMAIL", "attempt": "0", "USERNAME": name}
    assert 20 <= len(started["Session"]) <= 4096 and "AuthenticationResult" not in started
    assert codes[-1] not in started["Session"]
    define = received(magic, "define")[0]
    assert define["triggerSource"] == "DefineAuthChallenge_Authentication" and define["userName"] == name
    assert define["callerContext"]["clientId"] == client
    assert define["request"]["session"] == [] and "clientMetadata" not in define["request"]  # InitiateAuth [C]
    assert define["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"
    assert define["request"]["userAttributes"]["email"] == "magic@example.com"
    assert "userNotFound" not in define["request"]
    assert define["response"] == {"challengeName": None, "issueTokens": None, "failAuthentication": None}
    create = received(magic, "create")[0]
    assert create["triggerSource"] == "CreateAuthChallenge_Authentication"
    assert create["request"]["challengeName"] == "CUSTOM_CHALLENGE" and create["request"]["session"] == []
    assert create["response"] == {"publicChallengeParameters": None, "privateChallengeParameters": None,
                                  "challengeMetadata": None}
    # A wrong code: a new challenge (new code) with a new Session.
    retry = answer(cognito, client, name, started["Session"], "000000x", ClientMetadata={"from": "respond"})
    assert retry["ChallengeName"] == "CUSTOM_CHALLENGE" and retry["Session"] != started["Session"]
    assert retry["ChallengeParameters"]["attempt"] == "1"
    verify = received(magic, "verify")[0]
    assert verify["triggerSource"] == "VerifyAuthChallengeResponse_Authentication"
    assert verify["request"]["challengeAnswer"] == "000000x"
    assert verify["request"]["clientMetadata"] == {"from": "respond"}
    assert set(verify["request"]["privateChallengeParameters"]) == {"code"}
    assert verify["response"] == {"answerCorrect": None}
    assert received(magic, "define")[1]["request"]["session"] == [
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": False, "challengeMetadata": "MAGIC_CODE"}]
    assert received(magic, "define")[1]["request"]["clientMetadata"] == {"from": "respond"}
    assert received(magic, "create")[1]["request"]["session"] == received(magic, "define")[1]["request"]["session"]
    # The right code: tokens, after PostAuthentication and PreTokenGeneration.
    done = answer(cognito, client, name, retry["Session"], codes[-1], ClientMetadata={"from": "respond"})
    assert done["ChallengeParameters"] == {} and "Session" not in done
    tokens = done["AuthenticationResult"]
    claims = decode(triggered, pool_id, tokens["IdToken"])
    assert claims["cognito:username"] == name and claims["aud"] == client
    assert cognito.get_user(AccessToken=tokens["AccessToken"])["Username"] == name
    assert received(magic, "define")[-1]["request"]["session"][-1] == {
        "challengeName": "CUSTOM_CHALLENGE", "challengeResult": True, "challengeMetadata": "MAGIC_CODE"}
    assert received(magic, "post-auth")[0]["request"]["clientMetadata"] == {"from": "respond"}
    token_event = received(magic, "pre-token")[0]
    assert token_event["triggerSource"] == "TokenGeneration_Authentication"
    assert token_event["request"]["clientMetadata"] == {"from": "respond"}
    refreshed = cognito.initiate_auth(ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH",
                                      AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})
    assert "AccessToken" in refreshed["AuthenticationResult"]


def test_three_wrong_codes_fail_the_sign_in_and_every_session_is_single_use(cognito: Any, magic: Any) -> None:
    codes = keep_codes(magic)
    pool_id, client = magic_pool(cognito)
    name = make_user(cognito, pool_id)
    first = cognito.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": name})
    second = answer(cognito, client, name, first["Session"], "nope")
    with pytest.raises(ClientError) as excinfo:
        answer(cognito, client, name, first["Session"], codes[-1])  # an answered Session
    assert error_of(excinfo) == USED
    third = answer(cognito, client, name, second["Session"], "nope")
    with pytest.raises(ClientError) as excinfo:
        answer(cognito, client, name, third["Session"], "nope")
    assert error_of(excinfo) == INCORRECT  # Define: failAuthentication
    with pytest.raises(ClientError) as excinfo:
        answer(cognito, client, name, third["Session"], codes[-1])  # spent by the refusal too
    assert error_of(excinfo) == USED
    # A new sign-in works, and its last Session cannot be used for a second set of tokens.
    fresh = cognito.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": name})
    assert "AuthenticationResult" in answer(cognito, client, name, fresh["Session"], codes[-1])
    with pytest.raises(ClientError) as excinfo:
        answer(cognito, client, name, fresh["Session"], codes[-1])
    assert error_of(excinfo) == USED
    with pytest.raises(ClientError) as excinfo:
        answer(cognito, client, name, "x" * 40, "nope")
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid session for the user, session is expired.")


def test_a_failing_trigger_fails_the_request_without_spending_its_session(cognito: Any, magic: Any) -> None:
    codes = keep_codes(magic)
    pool_id, client = magic_pool(cognito)
    name = make_user(cognito, pool_id)
    started = cognito.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": name})
    magic.register("verify", raising("OTP service timeout"))
    with pytest.raises(ClientError) as excinfo:
        answer(cognito, client, name, started["Session"], codes[-1])
    assert error_of(excinfo) == ("UserLambdaValidationException",
                                 "VerifyAuthChallengeResponse failed with error OTP service timeout.")
    magic.register("verify", trigger_functions.verify_magic)
    assert "AuthenticationResult" in answer(cognito, client, name, started["Session"], codes[-1])


def test_define_and_create_failures_are_cognitos_errors(cognito: Any, magic: Any) -> None:
    pool_id, client = magic_pool(cognito)
    name = make_user(cognito, pool_id)

    def start() -> Any:
        return cognito.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": name})

    magic.register("define", raising("state machine broken"))
    with pytest.raises(ClientError) as excinfo:
        start()
    assert error_of(excinfo) == ("UserLambdaValidationException",
                                 "DefineAuthChallenge failed with error state machine broken.")
    magic.register("define", answering())  # neither tokens, nor failure, nor a challenge
    with pytest.raises(ClientError) as excinfo:
        start()
    assert error_of(excinfo) == ("InvalidLambdaResponseException", "Unrecognizable lambda output")
    magic.register("define", answering(challengeName="SMS_MFA"))
    with pytest.raises(ClientError) as excinfo:
        start()
    assert error_of(excinfo)[0] == "InvalidLambdaResponseException"
    magic.register("define", answering(failAuthentication=True, issueTokens=True))
    with pytest.raises(ClientError) as excinfo:
        start()
    assert error_of(excinfo) == INCORRECT
    magic.register("define", answering(issueTokens=True))  # no challenge at all: tokens at once
    assert "IdToken" in start()["AuthenticationResult"]
    magic.register("define", trigger_functions.define_magic)
    magic.register("create", answering(publicChallengeParameters={"n": 1}))  # not a string map
    with pytest.raises(ClientError) as excinfo:
        start()
    assert error_of(excinfo) == ("InvalidLambdaResponseException", "Unrecognizable lambda output")
    magic.register("create", answering(privateChallengeParameters={"blob": "x" * 5000}))
    with pytest.raises(ClientError) as excinfo:
        start()
    assert error_of(excinfo)[0] == "InvalidLambdaResponseException"


def test_admin_custom_auth(cognito: Any, magic: Any) -> None:
    codes = keep_codes(magic)
    pool_id, client = magic_pool(cognito)
    name = make_user(cognito, pool_id, attributes={"email": "adm@example.com", "email_verified": "true"})
    started = cognito.admin_initiate_auth(UserPoolId=pool_id, ClientId=client, AuthFlow="CUSTOM_AUTH",
                                          AuthParameters={"USERNAME": name})
    done = cognito.admin_respond_to_auth_challenge(
        UserPoolId=pool_id, ClientId=client, ChallengeName="CUSTOM_CHALLENGE", Session=started["Session"],
        ChallengeResponses={"USERNAME": name, "ANSWER": codes[-1]})
    assert "AccessToken" in done["AuthenticationResult"]


def test_custom_auth_for_unknown_names_and_unusable_users(cognito: Any, magic: Any) -> None:
    codes = keep_codes(magic)
    pool_id, client = magic_pool(cognito)
    hiding = make_client(cognito, pool_id, ExplicitAuthFlows=CUSTOM_FLOWS,
                         PreventUserExistenceErrors="ENABLED")["ClientId"]
    with pytest.raises(ClientError) as excinfo:
        cognito.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "no-one"})
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    # Hidden existence: the triggers run with userNotFound, and even a right answer gets no tokens.
    started = cognito.initiate_auth(ClientId=hiding, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "no-one"})
    assert started["ChallengeParameters"]["USERNAME"] == "no-one"
    define = received(magic, "define")[-1]
    assert define["userName"] == "no-one" and define["request"]["userNotFound"] is True
    assert define["request"]["userAttributes"] == {}
    assert received(magic, "create")[-1]["request"]["userNotFound"] is True
    with pytest.raises(ClientError) as excinfo:
        answer(cognito, hiding, "no-one", started["Session"], codes[-1])
    assert error_of(excinfo) == INCORRECT
    assert received(magic, "verify")[-1]["request"]["userNotFound"] is True
    name = make_user(cognito, pool_id)
    cognito.initiate_auth(ClientId=hiding, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": name})
    assert received(magic, "define")[-1]["request"]["userNotFound"] is False
    cognito.admin_disable_user(UserPoolId=pool_id, Username=name)
    with pytest.raises(ClientError) as excinfo:
        cognito.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": name})
    assert error_of(excinfo) == ("NotAuthorizedException", "User is disabled.")
    unconfirmed = unique()
    cognito.sign_up(ClientId=client, Username=unconfirmed, Password=PASSWORD)
    with pytest.raises(ClientError) as excinfo:
        cognito.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": unconfirmed})
    assert error_of(excinfo) == ("UserNotConfirmedException", "User is not confirmed.")


# --- SRP first -----------------------------------------------------------------------------------------


def srp_first(cognito: Any, pool_id: str, client: str, name: str, password: str = PASSWORD) -> tuple[Any, dict]:
    """InitiateAuth CUSTOM_AUTH with CHALLENGE_NAME=SRP_A (pycognito's A), then the PASSWORD_VERIFIER answer
    computed by pycognito, sent with the Session."""
    from pycognito.aws_srp import AWSSRP

    srp = AWSSRP(username=name, password=password, pool_id=pool_id, client_id=client, client=cognito)
    params = {**srp.get_auth_params(), "CHALLENGE_NAME": "SRP_A"}
    started = cognito.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters=params)
    return srp, started


def test_srp_before_the_custom_challenge(triggered: Any, cognito: Any, magic: Any) -> None:
    codes = keep_codes(magic)
    pool_id, client = magic_pool(cognito)
    name = make_user(cognito, pool_id)
    srp, started = srp_first(cognito, pool_id, client, name)
    assert started["ChallengeName"] == "PASSWORD_VERIFIER" and started["Session"]
    assert set(started["ChallengeParameters"]) == {"SALT", "SECRET_BLOCK", "SRP_B", "USERNAME", "USER_ID_FOR_SRP"}
    assert received(magic, "define")[0]["request"]["session"] == [
        {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None}]
    assert received(magic, "create") == []  # PASSWORD_VERIFIER is Cognito's own challenge
    verified = cognito.respond_to_auth_challenge(
        ClientId=client, ChallengeName="PASSWORD_VERIFIER", Session=started["Session"],
        ChallengeResponses=srp.process_challenge(started["ChallengeParameters"], srp.get_auth_params()))
    assert verified["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert received(magic, "define")[1]["request"]["session"] == [
        {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None},
        {"challengeName": "PASSWORD_VERIFIER", "challengeResult": True, "challengeMetadata": None}]
    assert received(magic, "create")[0]["request"]["session"] == received(magic, "define")[1]["request"]["session"]
    done = answer(cognito, client, name, verified["Session"], codes[-1])
    assert decode(triggered, pool_id, done["AuthenticationResult"]["IdToken"])["cognito:username"] == name
    with pytest.raises(ClientError) as excinfo:  # the password step's Session was used
        cognito.respond_to_auth_challenge(
            ClientId=client, ChallengeName="PASSWORD_VERIFIER", Session=started["Session"],
            ChallengeResponses=srp.process_challenge(started["ChallengeParameters"], srp.get_auth_params()))
    assert error_of(excinfo) == USED


def test_srp_first_with_a_wrong_password_and_with_bench_srp_client(cognito: Any, magic: Any) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench.srp_client import SrpClient

    codes = keep_codes(magic)
    pool_id, client = magic_pool(cognito)
    name = make_user(cognito, pool_id)
    srp = SrpClient(pool_id)
    for password, works in (("Wrong-Password-1", False), (PASSWORD, True)):
        eph = srp.ephemeral()
        started = cognito.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={
            "USERNAME": name, "CHALLENGE_NAME": "SRP_A", "SRP_A": eph.srp_a})
        reply = srp.respond(eph, started["ChallengeParameters"], password)
        if not works:
            with pytest.raises(ClientError) as excinfo:
                cognito.respond_to_auth_challenge(ClientId=client, ChallengeName="PASSWORD_VERIFIER",
                                                  Session=started["Session"], ChallengeResponses=reply)
            assert error_of(excinfo) == INCORRECT
            continue
        verified = cognito.respond_to_auth_challenge(ClientId=client, ChallengeName="PASSWORD_VERIFIER",
                                                     Session=started["Session"], ChallengeResponses=reply)
        assert "AuthenticationResult" in answer(cognito, client, name, verified["Session"], codes[-1])
    # The wrong password never reached Define again [U]: only the lists of the successful sign-in follow it.
    assert [len(e["request"]["session"]) for e in received(magic, "define")] == [1, 1, 2, 3]


def test_a_custom_only_client_cannot_skip_its_challenges_with_the_plain_srp_answer(cognito: Any, magic: Any) -> None:
    pool_id, client = magic_pool(cognito, ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH"])
    name = make_user(cognito, pool_id)
    srp, started = srp_first(cognito, pool_id, client, name)
    reply = srp.process_challenge(started["ChallengeParameters"], srp.get_auth_params())
    with pytest.raises(ClientError) as excinfo:  # without the Session: the plain USER_SRP_AUTH second step
        cognito.respond_to_auth_challenge(ClientId=client, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=reply)
    assert error_of(excinfo) == ("InvalidParameterException", "USER_SRP_AUTH is not enabled for the client.")
    _, other = srp_first(cognito, pool_id, client, name)
    with pytest.raises(ClientError) as excinfo:  # another sign-in's SECRET_BLOCK with this Session
        cognito.respond_to_auth_challenge(ClientId=client, ChallengeName="PASSWORD_VERIFIER",
                                          Session=other["Session"], ChallengeResponses=reply)
    assert error_of(excinfo) == INCORRECT


def test_srp_first_for_a_user_with_a_temporary_password_asks_for_a_new_one(cognito: Any, magic: Any) -> None:
    codes = keep_codes(magic)
    pool_id, client = magic_pool(cognito)
    name = unique()
    cognito.admin_create_user(UserPoolId=pool_id, Username=name, TemporaryPassword="Temp-Pass-123",
                              MessageAction="SUPPRESS")
    srp, started = srp_first(cognito, pool_id, client, name, "Temp-Pass-123")
    new_password = cognito.respond_to_auth_challenge(
        ClientId=client, ChallengeName="PASSWORD_VERIFIER", Session=started["Session"],
        ChallengeResponses=srp.process_challenge(started["ChallengeParameters"], srp.get_auth_params()))
    assert new_password["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    custom = cognito.respond_to_auth_challenge(
        ClientId=client, ChallengeName="NEW_PASSWORD_REQUIRED", Session=new_password["Session"],
        ChallengeResponses={"USERNAME": name, "NEW_PASSWORD": "Brand-New-Pass-9"})
    assert custom["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert [item["challengeName"] for item in received(magic, "define")[-1]["request"]["session"]] == [
        "SRP_A", "PASSWORD_VERIFIER", "NEW_PASSWORD_REQUIRED"]
    assert "AuthenticationResult" in answer(cognito, client, name, custom["Session"], codes[-1])
    assert cognito.admin_get_user(UserPoolId=pool_id, Username=name)["UserStatus"] == "CONFIRMED"


# --- callables, and Sessions across processes ----------------------------------------------------------


def test_magic_code_with_callables_in_the_server_process(triggered: Any, cognito: Any) -> None:
    pool_id, client = magic_pool(cognito, {"DefineAuthChallenge": arn("callable-define"),
                                           "CreateAuthChallenge": arn("callable-create"),
                                           "VerifyAuthChallengeResponse": arn("callable-verify")})
    name = make_user(cognito, pool_id)
    started = cognito.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": name})
    created = [e for e in recorded(triggered, "CreateAuthChallenge_Authentication") if e["userPoolId"] == pool_id]
    done = answer(cognito, client, name, started["Session"], trigger_functions.code_of(created[-1]))
    assert "AccessToken" in done["AuthenticationResult"]
    verified = [e for e in recorded(triggered, "VerifyAuthChallengeResponse_Authentication")
                if e["userPoolId"] == pool_id]
    assert verified[-1]["response"]["answerCorrect"] is True


def test_a_session_is_single_use_across_server_processes(
    server_factory: Any, lambdas: LambdaApiServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = {"USERPOOLS_DATA_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
    first = triggered_server(server_factory, lambdas, tmp_path_factory.mktemp("node-a"), "postgresql", env=env)
    second = triggered_server(server_factory, lambdas, tmp_path_factory.mktemp("node-b"), "postgresql", env=env,
                              database=first.database_url)
    lambdas.reset()
    lambdas.register("define", trigger_functions.define_magic)
    lambdas.register("verify", trigger_functions.verify_magic)
    codes = keep_codes(lambdas)
    a, b = first.client(), second.client()
    pool_id, client = magic_pool(a)
    name = make_user(a, pool_id)
    started = a.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": name})
    retry = answer(b, client, name, started["Session"], "wrong")  # answered on the other node
    with pytest.raises(ClientError) as excinfo:
        answer(a, client, name, started["Session"], codes[-1])
    assert error_of(excinfo) == USED
    # The same Session sent to both nodes at once: exactly one of them takes it.
    results: list[Any] = []

    def use(node: Any) -> None:
        try:
            results.append(answer(node, client, name, retry["Session"], codes[-1]))
        except ClientError as exc:
            results.append(exc.response["Error"]["Code"] + ": " + exc.response["Error"]["Message"])

    threads = [threading.Thread(target=use, args=(node,)) for node in (first.client(), second.client())]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(r).__name__ for r in results) == ["dict", "str"]
    assert "NotAuthorizedException: Invalid session for the user." in results

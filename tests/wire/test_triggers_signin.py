"""The sign-in triggers through boto3 against a live server: PreAuthentication, PostAuthentication,
PreTokenGeneration (V1 and V2) and UserMigration_Authentication — the events as the functions receive them,
their answers honoured, their failures mapped to Cognito's errors.

The functions run behind a real loopback AWS Lambda Invoke API (``lambda_api``, handlers registered by each
test), as webhooks on the same server, or as ``module:function`` callables inside the server process
(``trigger_functions``, which record their events in a file)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from accounts import PASSWORD, make_client, make_user, sign_in, unique
from botocore.exceptions import ClientError
from lambda_api import CREDENTIALS, LambdaApiServer, Reply
from server import free_port
from test_auth import decode
from test_pools import error_of

ACCOUNT = "123456789012"
WIRE_DIR = Path(__file__).resolve().parent
ADMIN_SCOPE = "aws.cognito.signin.user.admin"
CALLABLES = {
    "callable-record": "trigger_functions:record",
    "callable-refuse": "trigger_functions:refuse",
    "callable-define": "trigger_functions:define_magic",
    "callable-create": "trigger_functions:create_magic",
    "callable-verify": "trigger_functions:verify_magic",
}


def arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"


def trigger_config(path: Path, lambdas: LambdaApiServer) -> Path:
    """userpools.toml: every ARN to the Lambda Invoke API by function name, except the callables above and
    one webhook."""
    lines = [
        "[lambda]", f'endpoint = "{lambdas.url}"', 'region = "us-east-1"',
        f'access_key_id = "{CREDENTIALS.access_key_id}"', f'secret_access_key = "{CREDENTIALS.secret_access_key}"',
        'invoke_by = "name"', "",
        f'[functions."{arn("hook-record")}"]', f'webhook = "{lambdas.url}/hooks/hook-record"', "",
    ]
    for name, reference in CALLABLES.items():
        lines += [f'[functions."{arn(name)}"]', f'callable = "{reference}"', ""]
    path.write_text("\n".join(lines))
    return path


def triggered_server(server_factory: Any, lambdas: LambdaApiServer, directory: Path, backend: str = "sqlite",
                     **kwargs: Any) -> Any:
    config = trigger_config(directory / "userpools.toml", lambdas)
    env = {"PYTHONPATH": str(WIRE_DIR), "TRIGGER_EVENTS_FILE": str(directory / "events.jsonl"),
           **kwargs.pop("env", {})}
    srv = server_factory(backend, extra_args=["--config", str(config)], env=env, **kwargs)
    srv.events_file = directory / "events.jsonl"
    return srv


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def triggered(server_factory: Any, lambdas: LambdaApiServer, tmp_path_factory: pytest.TempPathFactory,
              request: pytest.FixtureRequest) -> Any:
    return triggered_server(server_factory, lambdas, tmp_path_factory.mktemp("signin-triggers"), request.param)


@pytest.fixture
def cognito(triggered: Any) -> Any:
    return triggered.client()


def answering(**response: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A function that answers its event with these response fields."""

    def handler(event: dict[str, Any]) -> dict[str, Any]:
        return {**event, "response": {**event["response"], **response}}

    return handler


def raising(message: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def handler(event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError(message)

    return handler


def received(calls: LambdaApiServer, name: str) -> list[dict[str, Any]]:
    """The events function ``name`` got, in order."""
    return [item.event for item in calls.received if item.name == name]


def recorded(srv: Any, source: str) -> list[dict[str, Any]]:
    """The events the in-process callables got with this trigger source."""
    if not srv.events_file.exists():
        return []
    lines = srv.events_file.read_text().splitlines()
    return [event for event in map(json.loads, lines) if event["triggerSource"] == source]


def pool_with(cognito: Any, lambda_config: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return cognito.create_user_pool(PoolName=unique("signin"), LambdaConfig=lambda_config, **settings)["UserPool"]


def envelope(event: dict[str, Any], source: str, pool_id: str, username: str, client_id: str) -> None:
    assert event["version"] == "1" and event["triggerSource"] == source
    assert event["region"] == "us-east-1" and event["userPoolId"] == pool_id and event["userName"] == username
    assert event["callerContext"] == {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id}


def srp_sign_in(cognito: Any, pool_id: str, client_id: str, name: str, password: str = PASSWORD,
                client_metadata: dict[str, str] | None = None) -> dict[str, Any]:
    """USER_SRP_AUTH with pycognito's maths; ClientMetadata on both steps."""
    from pycognito.aws_srp import AWSSRP

    srp = AWSSRP(username=name, password=password, pool_id=pool_id, client_id=client_id, client=cognito)
    metadata = {"ClientMetadata": client_metadata} if client_metadata else {}
    challenge = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_SRP_AUTH",
                                      AuthParameters=srp.get_auth_params(), **metadata)
    answer = srp.process_challenge(challenge["ChallengeParameters"], srp.get_auth_params())
    return dict(cognito.respond_to_auth_challenge(ClientId=client_id, ChallengeName="PASSWORD_VERIFIER",
                                                  ChallengeResponses=answer, **metadata))


# --- PreAuthentication ---------------------------------------------------------------------------------


def test_pre_authentication_gets_the_user_and_initiate_auths_client_metadata_as_validation_data(
    cognito: Any, calls: Any
) -> None:
    calls.register("pre-auth", answering())
    pool = pool_with(cognito, {"PreAuthentication": arn("pre-auth")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = make_user(cognito, pool["Id"], attributes={"email": "ana@example.com", "email_verified": "true"})
    cognito.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH", ClientMetadata={"device": "kiosk-7"},
                          AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD})
    (event,) = received(calls, "pre-auth")
    envelope(event, "PreAuthentication_Authentication", pool["Id"], name, client)
    attributes = event["request"]["userAttributes"]
    assert attributes["email"] == "ana@example.com" and attributes["email_verified"] == "true"
    assert attributes["cognito:user_status"] == "CONFIRMED" and "sub" in attributes
    assert event["request"]["validationData"] == {"device": "kiosk-7"}
    assert "userNotFound" not in event["request"] and "clientMetadata" not in event["request"]
    assert event["response"] == {}
    sign_in(cognito, client, name)
    assert received(calls, "pre-auth")[-1]["request"]["validationData"] is None


def test_pre_authentication_runs_at_the_first_srp_step_and_its_refusal_stops_the_sign_in(
    cognito: Any, calls: Any
) -> None:
    calls.register("pre-auth", raising("Sign-in from this network is not allowed"))
    pool = pool_with(cognito, {"PreAuthentication": arn("pre-auth")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = make_user(cognito, pool["Id"])
    for attempt in (lambda: sign_in(cognito, client, name),
                    lambda: srp_sign_in(cognito, pool["Id"], client, name),
                    lambda: cognito.admin_initiate_auth(
                        UserPoolId=pool["Id"], ClientId=client, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                        AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD})):
        with pytest.raises(ClientError) as excinfo:
            attempt()
        assert error_of(excinfo) == ("UserLambdaValidationException",
                                     "PreAuthentication failed with error Sign-in from this network is not allowed.")
    for _ in range(2):
        with pytest.raises(ClientError):
            sign_in(cognito, client, name)
    assert len(received(calls, "pre-auth")) == 5
    # A refusal is not a wrong password: five of them do not lock the user out.
    calls.register("pre-auth", answering())
    assert "AccessToken" in sign_in(cognito, client, name)["AuthenticationResult"]


def test_pre_authentication_hears_of_unknown_names_only_when_the_client_hides_user_existence(
    cognito: Any, calls: Any
) -> None:
    calls.register("pre-auth", answering())
    pool = pool_with(cognito, {"PreAuthentication": arn("pre-auth")})
    plain = make_client(cognito, pool["Id"])["ClientId"]
    hiding = make_client(cognito, pool["Id"], PreventUserExistenceErrors="ENABLED")["ClientId"]
    name = make_user(cognito, pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, plain, "nobody-here")
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    assert received(calls, "pre-auth") == []
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, hiding, "nobody-here")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")
    (unknown,) = received(calls, "pre-auth")
    assert unknown["userName"] == "nobody-here" and unknown["request"]["userNotFound"] is True
    assert unknown["request"]["userAttributes"] == {}
    sign_in(cognito, hiding, name)
    assert received(calls, "pre-auth")[-1]["request"]["userNotFound"] is False


def test_a_trigger_reached_three_ways_gets_the_same_event(triggered: Any, cognito: Any, calls: Any) -> None:
    # The Lambda Invoke API, a webhook, a callable inside the server process.
    calls.register("api-record", answering())
    calls.register("hook-record", answering())
    seen = []
    for function in ("api-record", "hook-record", "callable-record"):
        pool = pool_with(cognito, {"PreAuthentication": arn(function)})
        client = make_client(cognito, pool["Id"])["ClientId"]
        name = make_user(cognito, pool["Id"], attributes={"email": "same@example.com"})
        cognito.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH", ClientMetadata={"k": "v"},
                              AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD})
        if function == "callable-record":
            event = recorded(triggered, "PreAuthentication_Authentication")[-1]
        else:
            event = received(calls, function)[-1]
        envelope(event, "PreAuthentication_Authentication", pool["Id"], name, client)
        seen.append({**event["request"], "userAttributes": {
            k: v for k, v in event["request"]["userAttributes"].items() if k != "sub"}})
    assert seen[0] == seen[1] == seen[2]
    hook = [item for item in calls.received if item.name == "hook-record"][-1]
    assert hook.kind == "hook" and hook.headers["X-Userpools-Trigger"] == "PreAuthentication"


# --- PostAuthentication -------------------------------------------------------------------------------


def test_post_authentication_runs_before_the_tokens_with_respond_to_auth_challenges_client_metadata(
    cognito: Any, calls: Any
) -> None:
    calls.register("post-auth", answering())
    pool = pool_with(cognito, {"PostAuthentication": arn("post-auth")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = make_user(cognito, pool["Id"], attributes={"name": "Bea"})
    with pytest.raises(ClientError):
        sign_in(cognito, client, name, "Wrong-Password-1")
    assert received(calls, "post-auth") == []  # only after a success
    cognito.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH", ClientMetadata={"ignored": "yes"},
                          AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD})
    (event,) = received(calls, "post-auth")
    envelope(event, "PostAuthentication_Authentication", pool["Id"], name, client)
    assert event["request"]["newDeviceUsed"] is False and event["request"]["userAttributes"]["name"] == "Bea"
    assert "clientMetadata" not in event["request"]  # InitiateAuth does not pass it [C]
    assert event["response"] == {}
    tokens = srp_sign_in(cognito, pool["Id"], client, name, client_metadata={"screen": "login"})
    assert "AccessToken" in tokens["AuthenticationResult"]
    assert received(calls, "post-auth")[-1]["request"]["clientMetadata"] == {"screen": "login"}
    refreshed = cognito.initiate_auth(ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={
        "REFRESH_TOKEN": tokens["AuthenticationResult"]["RefreshToken"]})
    assert "AccessToken" in refreshed["AuthenticationResult"]
    assert len(received(calls, "post-auth")) == 2  # not on refresh


def test_a_failing_post_authentication_fails_the_sign_in(cognito: Any, calls: Any) -> None:
    calls.register("post-auth", raising("Audit log unavailable"))
    pool = pool_with(cognito, {"PostAuthentication": arn("post-auth")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = make_user(cognito, pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client, name)
    assert error_of(excinfo) == ("UserLambdaValidationException",
                                 "PostAuthentication failed with error Audit log unavailable.")
    calls.register("post-auth", lambda event: Reply(200, "not json"))
    with pytest.raises(ClientError) as excinfo:
        srp_sign_in(cognito, pool["Id"], client, name)
    assert error_of(excinfo) == ("InvalidLambdaResponseException", "Invalid lambda function output : Invalid JSON")


# --- PreTokenGeneration ---------------------------------------------------------------------------------


def test_pre_token_generation_v1_event_and_claims_override_in_the_id_token(
    triggered: Any, cognito: Any, calls: Any
) -> None:
    calls.register("pre-token", answering(claimsOverrideDetails={
        "claimsToAddOrOverride": {"tenant": "acme", "email": "shown@example.com", "sub": "forged",
                                  "iss": "https://evil.example", "token_use": "access",
                                  "cognito:username": "admin", "auth_time": "0", "given_name": "dropped"},
        "claimsToSuppress": ["email_verified", "given_name", "aud", "exp"],
        "groupOverrideDetails": {"groupsToOverride": ["admins", "staff"],
                                 "iamRolesToOverride": ["arn:aws:iam::123456789012:role/a"],
                                 "preferredRole": "arn:aws:iam::123456789012:role/a"},
    }))
    pool = pool_with(cognito, {"PreTokenGeneration": arn("pre-token")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = make_user(cognito, pool["Id"], attributes={
        "email": "real@example.com", "email_verified": "true", "given_name": "Cy"})
    tokens = sign_in(cognito, client, name)["AuthenticationResult"]
    (event,) = received(calls, "pre-token")
    envelope(event, "TokenGeneration_Authentication", pool["Id"], name, client)
    assert event["request"]["groupConfiguration"] == {
        "groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": None}
    assert event["request"]["userAttributes"]["email"] == "real@example.com"
    assert "scopes" not in event["request"] and "clientMetadata" not in event["request"]
    assert event["response"] == {"claimsOverrideDetails": None}
    id_claims = decode(triggered, pool["Id"], tokens["IdToken"])
    access = decode(triggered, pool["Id"], tokens["AccessToken"])
    assert id_claims["tenant"] == "acme" and id_claims["email"] == "shown@example.com"
    assert "email_verified" not in id_claims and "given_name" not in id_claims  # suppression wins
    # Claims Cognito owns stay as they are.
    assert id_claims["sub"] == access["sub"] != "forged" and id_claims["token_use"] == "id"
    assert id_claims["iss"] == f"{triggered.url}/{pool['Id']}" and id_claims["cognito:username"] == name
    assert id_claims["aud"] == client and id_claims["auth_time"] == access["auth_time"] and "exp" in id_claims
    assert id_claims["cognito:groups"] == ["admins", "staff"]
    assert id_claims["cognito:roles"] == ["arn:aws:iam::123456789012:role/a"]
    assert id_claims["cognito:preferred_role"] == "arn:aws:iam::123456789012:role/a"
    # V1 changes only the groups of the access token.
    assert access["cognito:groups"] == ["admins", "staff"] and "tenant" not in access
    assert access["scope"] == ADMIN_SCOPE and access["username"] == name
    assert cognito.get_user(AccessToken=tokens["AccessToken"])["Username"] == name


def test_pre_token_generation_v2_customizes_both_tokens_and_the_scopes(
    triggered: Any, cognito: Any, calls: Any
) -> None:
    def v2(event: dict[str, Any]) -> dict[str, Any]:
        event["response"]["claimsAndScopeOverrideDetails"] = {
            "idTokenGeneration": {"claimsToAddOrOverride": {"plan": {"tier": "gold", "seats": 5}, "flags": [1, True]},
                                  "claimsToSuppress": ["email"]},
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"tenant": "acme", "client_id": "other", "username": "root",
                                          "scope": "admin", "aud": event["callerContext"]["clientId"]},
                "claimsToSuppress": ["origin_jti", "jti"],
                "scopesToAdd": ["orders/read", "bad scope"], "scopesToSuppress": [ADMIN_SCOPE]},
        }
        return event

    calls.register("pre-token-v2", v2)
    pool = pool_with(cognito, {"PreTokenGeneration": arn("pre-token-v2"), "PreTokenGenerationConfig": {
        "LambdaVersion": "V2_0", "LambdaArn": arn("pre-token-v2")}})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = make_user(cognito, pool["Id"], attributes={"email": "v2@example.com"})
    tokens = sign_in(cognito, client, name)["AuthenticationResult"]
    (event,) = received(calls, "pre-token-v2")
    assert event["version"] == "2" and event["triggerSource"] == "TokenGeneration_Authentication"
    assert event["request"]["scopes"] == [ADMIN_SCOPE]
    assert event["response"] == {"claimsAndScopeOverrideDetails": None}
    id_claims = decode(triggered, pool["Id"], tokens["IdToken"])
    access = decode(triggered, pool["Id"], tokens["AccessToken"])
    assert id_claims["plan"] == {"tier": "gold", "seats": 5} and id_claims["flags"] == [1, True]
    assert "email" not in id_claims and "tenant" not in id_claims
    assert access["tenant"] == "acme" and access["aud"] == client  # aud equal to the client id may be added
    assert access["client_id"] == client and access["username"] == name
    assert "origin_jti" in access and "jti" in access
    assert access["scope"] == "orders/read"
    with pytest.raises(ClientError) as excinfo:
        cognito.get_user(AccessToken=tokens["AccessToken"])
    assert error_of(excinfo) == ("NotAuthorizedException", "Access Token does not have required scopes")


def test_pre_token_generation_names_each_way_tokens_are_issued(triggered: Any, cognito: Any, calls: Any) -> None:
    calls.register("pre-token", answering(claimsOverrideDetails={"claimsToAddOrOverride": {"stamp": "yes"}}))
    pool = pool_with(cognito, {"PreTokenGeneration": arn("pre-token")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = unique()
    cognito.admin_create_user(UserPoolId=pool["Id"], Username=name, TemporaryPassword="Temp-Pass-123",
                              MessageAction="SUPPRESS")
    challenge = sign_in(cognito, client, name, "Temp-Pass-123")
    assert received(calls, "pre-token") == []
    done = cognito.respond_to_auth_challenge(
        ClientId=client, ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": name, "NEW_PASSWORD": "Brand-New-Pass-9"}, ClientMetadata={"step": "2"},
    )["AuthenticationResult"]
    event = received(calls, "pre-token")[-1]
    assert event["triggerSource"] == "TokenGeneration_NewPasswordChallenge"
    assert event["request"]["clientMetadata"] == {"step": "2"}
    cognito.initiate_auth(ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH",
                          AuthParameters={"REFRESH_TOKEN": done["RefreshToken"]})
    event = received(calls, "pre-token")[-1]
    assert event["triggerSource"] == "TokenGeneration_RefreshTokens" and "clientMetadata" not in event["request"]
    again = cognito.get_tokens_from_refresh_token(ClientId=client, RefreshToken=done["RefreshToken"],
                                                  ClientMetadata={"app": "ios"})["AuthenticationResult"]
    event = received(calls, "pre-token")[-1]
    assert event["triggerSource"] == "TokenGeneration_RefreshTokens"
    assert event["request"]["clientMetadata"] == {"app": "ios"}
    assert decode(triggered, pool["Id"], again["IdToken"])["stamp"] == "yes"
    assert [e["triggerSource"] for e in received(calls, "pre-token")] == [
        "TokenGeneration_NewPasswordChallenge", "TokenGeneration_RefreshTokens", "TokenGeneration_RefreshTokens"]


def test_pre_token_generation_failures_are_cognitos_errors(cognito: Any, calls: Any) -> None:
    pool = pool_with(cognito, {"PreTokenGeneration": arn("pre-token")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = make_user(cognito, pool["Id"])
    for handler, expected in (
        (raising("claims service down"),
         ("UserLambdaValidationException", "PreTokenGeneration failed with error claims service down.")),
        (lambda event: Reply(200, json.dumps("just a string")),
         ("InvalidLambdaResponseException", "Invalid lambda function output : Invalid JSON")),
        (answering(claimsOverrideDetails={"claimsToSuppress": "email"}),
         ("InvalidLambdaResponseException", "Unrecognizable lambda output")),
        (lambda event: Reply(404, {"message": "Function not found"},
                             {"x-amzn-ErrorType": "ResourceNotFoundException"}),
         ("UnexpectedLambdaException",
          "PreTokenGeneration invocation failed due to error ResourceNotFoundException.")),
    ):
        calls.register("pre-token", handler)
        with pytest.raises(ClientError) as excinfo:
            sign_in(cognito, client, name)
        assert error_of(excinfo) == expected


def test_an_unreachable_lambda_endpoint_is_an_unexpected_lambda_exception(server_factory: Any) -> None:
    srv = server_factory("sqlite", extra_args=["--lambda-endpoint", f"http://127.0.0.1:{free_port()}"])
    cognito = srv.client()
    pool = pool_with(cognito, {"PreAuthentication": arn("pre-auth"), "UserMigration": arn("migrate")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = make_user(cognito, pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client, name)
    assert error_of(excinfo) == ("UnexpectedLambdaException", (
        "PreAuthentication invocation failed due to error Connection error while invoking Lambda function."))
    # The migration function that cannot be invoked: what Cognito says then [O: re:Post KC].
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client, "legacy-user")
    assert error_of(excinfo) == ("UserNotFoundException", f"Exception migrating user in app client {client}")


# --- UserMigration_Authentication ----------------------------------------------------------------------


def test_user_migration_gets_the_password_and_creates_the_user_it_describes(
    triggered: Any, cognito: Any, calls: Any
) -> None:
    calls.register("migrate", answering(userAttributes={"email": "old@example.com", "email_verified": "true",
                                                        "name": "Old Timer"},
                                        finalUserStatus="CONFIRMED", messageAction="SUPPRESS"))
    calls.register("pre-auth", answering())
    pool = pool_with(cognito, {"UserMigration": arn("migrate"), "PreAuthentication": arn("pre-auth")},
                     AliasAttributes=["email"])
    client = make_client(cognito, pool["Id"])["ClientId"]
    result = cognito.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                   ClientMetadata={"source": "legacy-app"},
                                   AuthParameters={"USERNAME": "legacy-ann", "PASSWORD": "legacy pw 1"})
    (event,) = received(calls, "migrate")
    envelope(event, "UserMigration_Authentication", pool["Id"], "legacy-ann", client)
    assert event["request"] == {"password": "legacy pw 1", "validationData": {"source": "legacy-app"}}
    assert event["response"] == {"userAttributes": None, "finalUserStatus": None, "messageAction": None,
                                 "desiredDeliveryMediums": None, "forceAliasCreation": None, "enableSMSMFA": None}
    claims = decode(triggered, pool["Id"], result["AuthenticationResult"]["IdToken"])
    assert claims["cognito:username"] == "legacy-ann" and claims["email"] == "old@example.com"
    user = cognito.admin_get_user(UserPoolId=pool["Id"], Username="legacy-ann")
    assert user["UserStatus"] == "CONFIRMED"
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["name"] == "Old Timer"
    assert received(calls, "pre-auth")[0]["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"
    # The password is now the user's own: SRP works, by the email alias too, and the function is not asked again.
    assert "AccessToken" in srp_sign_in(cognito, pool["Id"], client, "old@example.com", "legacy pw 1")[
        "AuthenticationResult"]
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client, "legacy-ann", "another password")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")
    assert len(received(calls, "migrate")) == 1
    assert cognito.list_users(UserPoolId=pool["Id"])["Users"][0]["Username"] == "legacy-ann"


def test_user_migration_statuses_and_admin_flow(triggered: Any, cognito: Any, calls: Any) -> None:
    pool = pool_with(cognito, {"UserMigration": arn("migrate")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    # No finalUserStatus: confirmed at sign-in [C: "can be set to CONFIRMED, or not set, to auto-confirm"].
    calls.register("migrate", answering(userAttributes={"email": "d@example.com"}))
    result = cognito.admin_initiate_auth(UserPoolId=pool["Id"], ClientId=client, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                         AuthParameters={"USERNAME": "dflt", "PASSWORD": "whatever-1"})
    assert "IdToken" in result["AuthenticationResult"]
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username="dflt")["UserStatus"] == "CONFIRMED"
    calls.register("migrate", answering(userAttributes={"email": "r@example.com"}, finalUserStatus="RESET_REQUIRED"))
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client, "resetme", "old-password")
    assert error_of(excinfo) == ("PasswordResetRequiredException", "Password reset required for the user")
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username="resetme")["UserStatus"] == "RESET_REQUIRED"
    calls.register("migrate", answering(userAttributes={"email": "x@example.com"}, finalUserStatus="FORCE_CHANGE_PASSWORD"))
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client, "weird")
    assert error_of(excinfo)[0] == "UserNotFoundException"
    with pytest.raises(ClientError):
        cognito.admin_get_user(UserPoolId=pool["Id"], Username="weird")


def test_user_migration_in_an_email_as_username_pool_makes_a_uuid_username(
    triggered: Any, cognito: Any, calls: Any
) -> None:
    calls.register("migrate", answering(userAttributes={"email_verified": "true"}, finalUserStatus="CONFIRMED"))
    pool = pool_with(cognito, {"UserMigration": arn("migrate")}, UsernameAttributes=["email"])
    client = make_client(cognito, pool["Id"])["ClientId"]
    tokens = sign_in(cognito, client, "moved@example.com", "pass-from-before")["AuthenticationResult"]
    claims = decode(triggered, pool["Id"], tokens["IdToken"])
    assert claims["cognito:username"] == claims["sub"] != "moved@example.com"
    assert claims["email"] == "moved@example.com" and claims["email_verified"] is True
    assert received(calls, "migrate")[0]["userName"] == "moved@example.com"
    assert "AccessToken" in sign_in(cognito, client, "moved@example.com", "pass-from-before")["AuthenticationResult"]


def test_user_migration_that_knows_nobody_or_fails(triggered: Any, cognito: Any, calls: Any) -> None:
    pool = pool_with(cognito, {"UserMigration": arn("migrate")}, AliasAttributes=["email"])
    client = make_client(cognito, pool["Id"])["ClientId"]
    hiding = make_client(cognito, pool["Id"], PreventUserExistenceErrors="ENABLED")["ClientId"]
    calls.register("migrate", answering())  # an empty answer: no such user
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client, "ghost")
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, hiding, "ghost")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")
    calls.register("migrate", raising("Bad password"))
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client, "ghost")
    assert error_of(excinfo) == ("UserLambdaValidationException", "UserMigration failed with error Bad password.")
    calls.register("migrate", answering(userAttributes={"shoe_size": "44"}))
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client, "ghost")
    assert error_of(excinfo)[0] == "UserNotFoundException"
    assert error_of(excinfo)[1].startswith("Attributes did not conform to the schema")
    assert cognito.list_users(UserPoolId=pool["Id"])["Users"] == []
    # An existing user never reaches the function.
    calls.reset()
    name = make_user(cognito, pool["Id"])
    with pytest.raises(ClientError):
        sign_in(cognito, client, name, "Wrong-Password-1")
    assert received(calls, "migrate") == []


def test_user_migration_alias_conflicts_and_force_alias_creation(triggered: Any, cognito: Any, calls: Any) -> None:
    pool = pool_with(cognito, {"UserMigration": arn("migrate")}, AliasAttributes=["email"])
    client = make_client(cognito, pool["Id"])["ClientId"]
    owner = make_user(cognito, pool["Id"], attributes={"email": "taken@example.com", "email_verified": "true"})
    calls.register("migrate", answering(userAttributes={"email": "taken@example.com", "email_verified": "true"}))
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client, "newcomer", "pw-newcomer-1")
    assert error_of(excinfo) == ("UserNotFoundException", "An account with the given email already exists.")
    calls.register("migrate", answering(userAttributes={"email": "taken@example.com", "email_verified": "true"},
                                        forceAliasCreation=True))
    assert "AccessToken" in sign_in(cognito, client, "newcomer", "pw-newcomer-1")["AuthenticationResult"]
    assert decode(triggered, pool["Id"], sign_in(cognito, client, "taken@example.com", "pw-newcomer-1")[
        "AuthenticationResult"]["IdToken"])["cognito:username"] == "newcomer"
    moved = cognito.admin_get_user(UserPoolId=pool["Id"], Username=owner)
    assert {a["Name"]: a["Value"] for a in moved["UserAttributes"]}["email_verified"] == "false"


def test_callables_in_the_server_process_record_their_events(triggered: Any, cognito: Any) -> None:
    pool = pool_with(cognito, {"PostAuthentication": arn("callable-record"),
                               "PreTokenGeneration": arn("callable-record")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = make_user(cognito, pool["Id"])
    sign_in(cognito, client, name)
    post = recorded(triggered, "PostAuthentication_Authentication")[-1]
    token = recorded(triggered, "TokenGeneration_Authentication")[-1]
    envelope(post, "PostAuthentication_Authentication", pool["Id"], name, client)
    envelope(token, "TokenGeneration_Authentication", pool["Id"], name, client)
    refusing = pool_with(cognito, {"PreAuthentication": arn("callable-refuse")})
    refusing_client = make_client(cognito, refusing["Id"])["ClientId"]
    other = make_user(cognito, refusing["Id"])
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, refusing_client, other)
    assert error_of(excinfo) == ("UserLambdaValidationException",
                                 "PreAuthentication failed with error Sign-in is closed for maintenance.")
    assert os.environ.get("TRIGGER_EVENTS_FILE") is None  # the callables ran in the server, not here

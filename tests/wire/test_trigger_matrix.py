"""Every trigger source the flows raise, through each of the three target kinds (the AWS Lambda Invoke API, a
webhook, a Python callable in the server process), on SQLite and PostgreSQL: the function receives the event
with the right triggerSource, and the operation goes on with its answer."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from accounts import PASSWORD, latest_code, make_client, make_user, sign_in, unique
from botocore.exceptions import ClientError
from lambda_api import CREDENTIALS

WIRE_DIR = Path(__file__).resolve().parent
ACCOUNT = "123456789012"
KINDS = ("lambda", "webhook", "callable")


def arn(kind: str) -> str:
    return f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:matrix-{kind}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def matrix_server(server_factory: Any, lambdas: Any, tmp_path_factory: pytest.TempPathFactory,
                  request: pytest.FixtureRequest) -> Any:
    directory = tmp_path_factory.mktemp("matrix")
    config = directory / "userpools.toml"
    config.write_text("\n".join([
        "[lambda]", f'endpoint = "{lambdas.url}"', 'region = "us-east-1"',
        f'access_key_id = "{CREDENTIALS.access_key_id}"', f'secret_access_key = "{CREDENTIALS.secret_access_key}"',
        'invoke_by = "name"', "",
        f'[functions."{arn("webhook")}"]', f'webhook = "{lambdas.url}/hooks/matrix-webhook"', "",
        f'[functions."{arn("callable")}"]', 'callable = "trigger_functions:record"', "",
        "[custom_senders]", f'key = "{base64.b64encode(secrets.token_bytes(32)).decode()}"', "",
    ]))
    srv = server_factory(request.param, extra_args=["--config", str(config)],
                         env={"PYTHONPATH": str(WIRE_DIR), "TRIGGER_EVENTS_FILE": str(directory / "events.jsonl")})
    srv.events_file = directory / "events.jsonl"
    return srv


def received(srv: Any, lambdas: Any, kind: str) -> list[dict[str, Any]]:
    if kind == "callable":
        if not srv.events_file.exists():
            return []
        return [json.loads(line) for line in srv.events_file.read_text().splitlines() if line]
    return list(lambdas.seen)


def ignore_errors(call: Callable[[], Any]) -> None:
    try:
        call()
    except ClientError:
        pass  # the trigger was called; what the flow answers without a user is tested elsewhere


def lambda_config(trigger: str, target: str) -> dict[str, Any]:
    if trigger in ("CustomEmailSender", "CustomSMSSender"):
        return {trigger: {"LambdaVersion": "V1_0", "LambdaArn": target},
                "KMSKeyID": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/matrix"}
    return {trigger: target}


def verified(cognito: Any, pool_id: str, **more: str) -> str:
    return make_user(cognito, pool_id, attributes={"email": "m@example.com", "email_verified": "true", **more})


def new_password_challenge(cognito: Any, srv: Any, pool_id: str, client: str) -> None:
    name = unique()
    cognito.admin_create_user(UserPoolId=pool_id, Username=name, TemporaryPassword="Temp-Pass-123",
                              MessageAction="SUPPRESS")
    challenge = sign_in(cognito, client, name, "Temp-Pass-123")
    cognito.respond_to_auth_challenge(ClientId=client, ChallengeName="NEW_PASSWORD_REQUIRED",
                                      Session=challenge["Session"],
                                      ChallengeResponses={"USERNAME": name, "NEW_PASSWORD": "Brand-New-Pass-9"})


def confirm_forgot_password(cognito: Any, srv: Any, pool_id: str, client: str) -> None:
    name = verified(cognito, pool_id)
    cognito.forgot_password(ClientId=client, Username=name)
    cognito.confirm_forgot_password(ClientId=client, Username=name, Password="Matrix-Pass-7",
                                    ConfirmationCode=latest_code(srv, pool_id, name))


def refresh(cognito: Any, srv: Any, pool_id: str, client: str) -> None:
    token = sign_in(cognito, client, verified(cognito, pool_id))["AuthenticationResult"]["RefreshToken"]
    cognito.initiate_auth(ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": token})


def verify_attribute(cognito: Any, srv: Any, pool_id: str, client: str) -> None:
    tokens = sign_in(cognito, client, make_user(cognito, pool_id, attributes={"email": "v@example.com"}))
    cognito.get_user_attribute_verification_code(AccessToken=tokens["AuthenticationResult"]["AccessToken"],
                                                 AttributeName="email")


def resend_code(cognito: Any, srv: Any, pool_id: str, client: str) -> None:
    name = unique()
    cognito.sign_up(ClientId=client, Username=name, Password=PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": "r@example.com"}])
    cognito.resend_confirmation_code(ClientId=client, Username=name)


def sign_up_then_confirm(cognito: Any, srv: Any, pool_id: str, client: str) -> None:
    name = unique()
    cognito.sign_up(ClientId=client, Username=name, Password=PASSWORD)
    cognito.admin_confirm_sign_up(UserPoolId=pool_id, Username=name)


Scenario = Callable[[Any, Any, str, str], None]
SCENARIOS: dict[str, tuple[str, Scenario]] = {
    "PreSignUp_SignUp": ("PreSignUp", lambda c, s, p, k: c.sign_up(ClientId=k, Username=unique(), Password=PASSWORD)),
    "PreSignUp_AdminCreateUser": ("PreSignUp", lambda c, s, p, k: c.admin_create_user(
        UserPoolId=p, Username=unique(), MessageAction="SUPPRESS")),
    "CustomMessage_SignUp": ("CustomMessage", lambda c, s, p, k: c.sign_up(
        ClientId=k, Username=unique(), Password=PASSWORD, UserAttributes=[{"Name": "email", "Value": "s@example.com"}])),
    "CustomMessage_ResendCode": ("CustomMessage", resend_code),
    "CustomMessage_ForgotPassword": ("CustomMessage", lambda c, s, p, k: c.forgot_password(
        ClientId=k, Username=verified(c, p))),
    "CustomMessage_AdminCreateUser": ("CustomMessage", lambda c, s, p, k: c.admin_create_user(
        UserPoolId=p, Username=unique(), DesiredDeliveryMediums=["EMAIL"],
        UserAttributes=[{"Name": "email", "Value": "a@example.com"}])),
    "CustomMessage_UpdateUserAttribute": ("CustomMessage", lambda c, s, p, k: c.admin_update_user_attributes(
        UserPoolId=p, Username=verified(c, p), UserAttributes=[{"Name": "email", "Value": "new@example.com"}])),
    "CustomMessage_VerifyUserAttribute": ("CustomMessage", verify_attribute),
    "PostConfirmation_ConfirmSignUp": ("PostConfirmation", sign_up_then_confirm),
    "PostConfirmation_ConfirmForgotPassword": ("PostConfirmation", confirm_forgot_password),
    "UserMigration_Authentication": ("UserMigration", lambda c, s, p, k: ignore_errors(
        lambda: sign_in(c, k, unique("legacy")))),
    "UserMigration_ForgotPassword": ("UserMigration", lambda c, s, p, k: ignore_errors(
        lambda: c.forgot_password(ClientId=k, Username=unique("legacy")))),
    "PreAuthentication_Authentication": ("PreAuthentication", lambda c, s, p, k: sign_in(c, k, verified(c, p))),
    "PostAuthentication_Authentication": ("PostAuthentication", lambda c, s, p, k: sign_in(c, k, verified(c, p))),
    "TokenGeneration_Authentication": ("PreTokenGeneration", lambda c, s, p, k: sign_in(c, k, verified(c, p))),
    "TokenGeneration_RefreshTokens": ("PreTokenGeneration", refresh),
    "TokenGeneration_NewPasswordChallenge": ("PreTokenGeneration", new_password_challenge),
    "CustomEmailSender_ForgotPassword": ("CustomEmailSender", lambda c, s, p, k: c.forgot_password(
        ClientId=k, Username=verified(c, p))),
    "CustomSMSSender_ForgotPassword": ("CustomSMSSender", lambda c, s, p, k: c.forgot_password(
        ClientId=k, Username=make_user(c, p, attributes={"phone_number": "+14325550123",
                                                         "phone_number_verified": "true"}))),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("source", sorted(SCENARIOS))
def test_each_trigger_source_reaches_each_kind_of_target(matrix_server: Any, lambdas: Any, source: str,
                                                        kind: str) -> None:
    trigger, scenario = SCENARIOS[source]
    lambdas.reset()
    lambdas.seen = []  # type: ignore[attr-defined]

    def handler(event: dict[str, Any]) -> dict[str, Any]:
        lambdas.seen.append(event)
        return event

    lambdas.register("matrix-lambda", handler)
    lambdas.register("matrix-webhook", handler)
    if matrix_server.events_file.exists():
        matrix_server.events_file.unlink()
    cognito = matrix_server.client()
    pool = cognito.create_user_pool(PoolName=unique("matrix"), AutoVerifiedAttributes=["email"],
                                    LambdaConfig=lambda_config(trigger, arn(kind)))["UserPool"]
    client = make_client(cognito, pool["Id"])["ClientId"]
    scenario(cognito, matrix_server, pool["Id"], client)
    sources = [event["triggerSource"] for event in received(matrix_server, lambdas, kind)]
    assert source in sources, sources
    event = next(e for e in received(matrix_server, lambdas, kind) if e["triggerSource"] == source)
    assert event["userPoolId"] == pool["Id"] and event["region"] == "us-east-1"
    assert event["version"] in ("1", "2", "3") and "request" in event and "response" in event
    cognito.delete_user_pool(UserPoolId=pool["Id"])

"""The triggers of messages, sign-up and account recovery, called through the AWS Lambda Invoke API (a real
loopback server that checks SigV4 and runs handlers registered by each test): the events as the functions
receive them, their answers honoured, their failures mapped to Cognito's errors."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from typing import Any

import pytest
from accounts import PASSWORD, latest_code, make_client, make_user, outbox, sign_in, unique
from botocore.exceptions import ClientError
from lambda_api import CREDENTIALS
from test_pools import error_of

from userpools.triggers.sender_codes import decrypt_code

ACCOUNT = "123456789012"
SENDER_KEY = base64.b64encode(secrets.token_bytes(32)).decode()


def arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def triggered(server_factory: Any, lambdas: Any, tmp_path_factory: pytest.TempPathFactory,
              request: pytest.FixtureRequest) -> Any:
    config = Path(tmp_path_factory.mktemp("triggers")) / "userpools.toml"
    config.write_text(
        f'[lambda]\nendpoint = "{lambdas.url}"\nregion = "us-east-1"\n'
        f'access_key_id = "{CREDENTIALS.access_key_id}"\nsecret_access_key = "{CREDENTIALS.secret_access_key}"\n'
        f'invoke_by = "name"\n\n[custom_senders]\nkey = "{SENDER_KEY}"\n'
    )
    return server_factory(request.param, extra_args=["--config", str(config)])


def recorder(events: list[dict[str, Any]], response: dict[str, Any] | None = None) -> Any:
    def handler(event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        return {**event, "response": {**event["response"], **(response or {})}}

    return handler


def pool_with(cognito: Any, lambda_config: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return cognito.create_user_pool(PoolName=unique("trig"), LambdaConfig=lambda_config, **settings)["UserPool"]


def verified(cognito: Any, pool_id: str, email: str = "quinn@example.com") -> str:
    return make_user(cognito, pool_id, attributes={"email": email, "email_verified": "true"})


def test_custom_message_forgot_password_gets_cognitos_event_and_writes_the_message(triggered: Any, calls: Any) -> None:
    cognito = triggered.client()
    events: list[dict[str, Any]] = []
    calls.register("custom-message", recorder(events, {
        "emailSubject": "Reset for {username}", "emailMessage": "<p>Your reset code: {####}</p>"}))
    pool = pool_with(cognito, {"CustomMessage": arn("custom-message")},
                     EmailConfiguration={"EmailSendingAccount": "DEVELOPER", "From": "id@example.com",
                                         "SourceArn": f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/id@example.com"})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = verified(cognito, pool["Id"])
    cognito.forgot_password(ClientId=client, Username=name, ClientMetadata={"app": "web", "locale": "fr"})
    event = events[-1]
    assert event["version"] == "1" and event["triggerSource"] == "CustomMessage_ForgotPassword"
    assert event["userPoolId"] == pool["Id"] and event["userName"] == name and event["region"] == "us-east-1"
    assert event["callerContext"] == {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client}
    request = event["request"]
    assert request["codeParameter"] == "{####}" and request["linkParameter"] == "{##Click Here##}"
    assert request["usernameParameter"] is None
    assert request["clientMetadata"] == {"app": "web", "locale": "fr"}
    assert request["userAttributes"]["email"] == "quinn@example.com"
    assert request["userAttributes"]["email_verified"] == "true"
    assert request["userAttributes"]["cognito:user_status"] == "CONFIRMED" and "sub" in request["userAttributes"]
    assert event["response"] == {"smsMessage": None, "emailMessage": None, "emailSubject": None}
    message = outbox(triggered, pool["Id"], name)[0]
    assert message["subject"] == f"Reset for {name}"
    assert message["body"] == f"<p>Your reset code: {message['code']}</p>"


def test_custom_message_email_text_needs_the_developer_sending_account(triggered: Any, calls: Any) -> None:
    cognito = triggered.client()
    calls.register("custom-message", recorder([], {"emailMessage": "code {####}"}))
    pool = pool_with(cognito, {"CustomMessage": arn("custom-message")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = verified(cognito, pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=client, Username=name)
    assert error_of(excinfo)[0] == "InvalidLambdaResponseException"
    assert outbox(triggered, pool["Id"], name) == []


def test_a_trigger_that_raises_answers_user_lambda_validation(triggered: Any, calls: Any) -> None:
    cognito = triggered.client()

    def boom(event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("callback is not a function")

    calls.register("custom-message", boom)
    pool = pool_with(cognito, {"CustomMessage": arn("custom-message")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = verified(cognito, pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=client, Username=name)
    assert error_of(excinfo) == ("UserLambdaValidationException",
                                 "CustomMessage failed with error callback is not a function.")


def test_user_migration_on_forgot_password_creates_the_user_and_sends_the_code(triggered: Any, calls: Any) -> None:
    cognito = triggered.client()
    events: list[dict[str, Any]] = []

    def migrate(event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        if event["userName"] != "legacy-ann":
            return {**event, "response": {}}
        return {**event, "response": {"userAttributes": {"email": "ann@example.com", "email_verified": "true"},
                                      "finalUserStatus": "RESET_REQUIRED", "messageAction": "SUPPRESS"}}

    calls.register("migrate", migrate)
    pool = pool_with(cognito, {"UserMigration": arn("migrate")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    hidden = make_client(cognito, pool["Id"], PreventUserExistenceErrors="ENABLED")["ClientId"]
    out = cognito.forgot_password(ClientId=client, Username="legacy-ann", ClientMetadata={"source": "old-db"})
    assert out["CodeDeliveryDetails"] == {"Destination": "a***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    event = events[-1]
    assert event["triggerSource"] == "UserMigration_ForgotPassword" and event["userName"] == "legacy-ann"
    assert "password" not in event["request"] and event["request"]["clientMetadata"] == {"source": "old-db"}
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username="legacy-ann")["UserStatus"] == "RESET_REQUIRED"
    cognito.confirm_forgot_password(ClientId=client, Username="legacy-ann", Password="Migrated-Pass-1",
                                    ConfirmationCode=latest_code(triggered, pool["Id"], "legacy-ann"))
    assert sign_in(cognito, client, "legacy-ann", "Migrated-Pass-1")["AuthenticationResult"]
    # the function knows nobody else: LEGACY says so, ENABLED simulates
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=client, Username="stranger")
    assert error_of(excinfo)[0] == "UserNotFoundException"
    assert cognito.forgot_password(ClientId=hidden, Username="stranger")["CodeDeliveryDetails"]


def test_post_confirmation_runs_after_confirm_forgot_password_and_a_failure_is_answered(triggered: Any,
                                                                                       calls: Any) -> None:
    cognito = triggered.client()
    events: list[dict[str, Any]] = []
    fail = {"now": True}

    def post(event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        if fail["now"]:
            raise ValueError("audit log unavailable")
        return event

    calls.register("post-confirmation", post)
    pool = pool_with(cognito, {"PostConfirmation": arn("post-confirmation")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = verified(cognito, pool["Id"])
    cognito.forgot_password(ClientId=client, Username=name)
    code = latest_code(triggered, pool["Id"], name)
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_forgot_password(ClientId=client, Username=name, ConfirmationCode=code,
                                        Password="Next-Pass-33", ClientMetadata={"step": "confirm"})
    assert error_of(excinfo) == ("UserLambdaValidationException",
                                 "PostConfirmation failed with error audit log unavailable.")
    # The confirmation was done before the post-confirmation function ran (as Cognito confirms users whose
    # PostConfirmation fails): the new password stands, the code is spent.
    assert sign_in(cognito, client, name, "Next-Pass-33")["AuthenticationResult"]
    fail["now"] = False
    cognito.forgot_password(ClientId=client, Username=name)
    cognito.confirm_forgot_password(ClientId=client, Username=name, Password="Next-Pass-44",
                                    ConfirmationCode=latest_code(triggered, pool["Id"], name),
                                    ClientMetadata={"step": "confirm"})
    event = events[-1]
    assert event["triggerSource"] == "PostConfirmation_ConfirmForgotPassword"
    assert event["request"]["clientMetadata"] == {"step": "confirm"}
    assert event["request"]["userAttributes"]["email"] == "quinn@example.com"
    assert event["response"] == {}
    assert sign_in(cognito, client, name, "Next-Pass-44")["AuthenticationResult"]


def test_custom_email_sender_gets_the_code_encrypted_and_userpools_sends_nothing(triggered: Any, calls: Any) -> None:
    cognito = triggered.client()
    events: list[dict[str, Any]] = []
    calls.register("email-sender", recorder(events))
    pool = pool_with(cognito, {"CustomEmailSender": {"LambdaVersion": "V1_0", "LambdaArn": arn("email-sender")},
                               "KMSKeyID": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/any"})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = verified(cognito, pool["Id"])
    cognito.forgot_password(ClientId=client, Username=name, ClientMetadata={"k": "v"})
    event = events[-1]
    assert event["triggerSource"] == "CustomEmailSender_ForgotPassword"
    assert event["request"]["type"] == "customEmailSenderRequestV1"
    assert event["request"]["clientMetadata"] == {"k": "v"}
    code = decrypt_code(event["request"]["code"], base64.b64decode(SENDER_KEY))
    assert code == latest_code(triggered, pool["Id"], name) and len(code) == 6
    cognito.confirm_forgot_password(ClientId=client, Username=name, ConfirmationCode=code, Password="Sent-By-Them-1")


def test_pre_sign_up_auto_confirms_and_post_confirmation_follows(triggered: Any, calls: Any) -> None:
    cognito = triggered.client()
    pre: list[dict[str, Any]] = []
    post: list[dict[str, Any]] = []
    calls.register("pre-sign-up", recorder(pre, {"autoConfirmUser": True, "autoVerifyEmail": True}))
    calls.register("post-confirmation", recorder(post))
    pool = pool_with(cognito, {"PreSignUp": arn("pre-sign-up"), "PostConfirmation": arn("post-confirmation")},
                     AutoVerifiedAttributes=["email"])
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = unique()
    out = cognito.sign_up(ClientId=client, Username=name, Password=PASSWORD,
                          UserAttributes=[{"Name": "email", "Value": "zoe@example.com"}],
                          ValidationData=[{"Name": "invite", "Value": "abc"}], ClientMetadata={"m": "1"})
    assert out["UserConfirmed"] is True and "CodeDeliveryDetails" not in out
    assert pre[-1]["triggerSource"] == "PreSignUp_SignUp"
    assert pre[-1]["request"]["validationData"] == {"invite": "abc"}
    assert pre[-1]["request"]["clientMetadata"] == {"m": "1"}
    assert post[-1]["triggerSource"] == "PostConfirmation_ConfirmSignUp"
    user = cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)
    assert user["UserStatus"] == "CONFIRMED"
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["email_verified"] == "true"
    assert outbox(triggered, pool["Id"], name) == []
    assert sign_in(cognito, client, name)["AuthenticationResult"]


def test_an_unreachable_function_answers_unexpected_lambda(server_factory: Any, tmp_path: Path) -> None:
    from server import free_port

    srv = server_factory("sqlite", extra_args=["--lambda-endpoint", f"http://127.0.0.1:{free_port()}"])
    cognito = srv.client()
    pool = pool_with(cognito, {"CustomMessage": arn("nowhere")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = verified(cognito, pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=client, Username=name)
    assert error_of(excinfo)[0] == "UnexpectedLambdaException"
    assert outbox(srv, pool["Id"], name) == []


def test_post_confirmation_may_call_back_into_the_user_pool(triggered: Any, calls: Any) -> None:
    """The common pattern (a PostConfirmation function that updates the user through the admin API) works:
    the trigger runs after the confirmation's transaction, so the callback waits on nothing."""
    cognito = triggered.client()

    def tag_user(event: dict[str, Any]) -> dict[str, Any]:
        admin = triggered.client()
        admin.admin_update_user_attributes(UserPoolId=event["userPoolId"], Username=event["userName"],
                                           UserAttributes=[{"Name": "custom:plan", "Value": "free"}])
        return event

    calls.register("tagger", tag_user)
    pool = cognito.create_user_pool(PoolName=unique("callback"), LambdaConfig={"PostConfirmation": arn("tagger")},
                                    Schema=[{"Name": "plan", "AttributeDataType": "String", "Mutable": True}])["UserPool"]
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = unique()
    cognito.sign_up(ClientId=client, Username=name, Password=PASSWORD)
    cognito.admin_confirm_sign_up(UserPoolId=pool["Id"], Username=name)
    values = {a["Name"]: a["Value"] for a in cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)["UserAttributes"]}
    assert values["custom:plan"] == "free"


def test_pre_sign_up_may_call_back_into_the_user_pool(triggered: Any, calls: Any) -> None:
    """The classic duplicate-email guard: PreSignUp lists the pool's users by email and refuses a taken one."""

    def refuse_duplicates(event: dict[str, Any]) -> dict[str, Any]:
        admin = triggered.client()
        email = event["request"]["userAttributes"].get("email", "")
        found = admin.list_users(UserPoolId=event["userPoolId"], Filter=f'email = "{email}"')["Users"]
        if found:
            raise ValueError("This email is already registered")
        return event

    calls.register("no-duplicates", refuse_duplicates)
    cognito = triggered.client()
    pool = pool_with(cognito, {"PreSignUp": arn("no-duplicates")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    attributes = [{"Name": "email", "Value": "once@example.com"}]
    cognito.sign_up(ClientId=client, Username=unique(), Password=PASSWORD, UserAttributes=attributes)
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client, Username=unique(), Password=PASSWORD, UserAttributes=attributes)
    assert error_of(excinfo) == ("UserLambdaValidationException",
                                 "PreSignUp failed with error This email is already registered.")


def test_post_authentication_may_call_back_into_the_user_pool(triggered: Any, calls: Any) -> None:
    """A PostAuthentication function that records the last sign-in on the user through the admin API."""

    def last_login(event: dict[str, Any]) -> dict[str, Any]:
        triggered.client().admin_update_user_attributes(
            UserPoolId=event["userPoolId"], Username=event["userName"],
            UserAttributes=[{"Name": "custom:last_login", "Value": "now"}])
        return event

    calls.register("last-login", last_login)
    cognito = triggered.client()
    pool = cognito.create_user_pool(PoolName=unique("postauth"), LambdaConfig={"PostAuthentication": arn("last-login")},
                                    Schema=[{"Name": "last_login", "AttributeDataType": "String", "Mutable": True}])["UserPool"]
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = make_user(cognito, pool["Id"])
    assert sign_in(cognito, client, name)["AuthenticationResult"]["AccessToken"]
    values = {a["Name"]: a["Value"] for a in cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)["UserAttributes"]}
    assert values["custom:last_login"] == "now"


def test_triggers_inside_a_transaction_may_read_the_pool_back(triggered: Any, calls: Any) -> None:
    """PreTokenGeneration and CustomMessage run inside their operation's transaction; a function that reads
    the user back through the admin API (AdminGetUser) is served meanwhile, on SQLite too."""
    import jwt

    def add_plan_claim(event: dict[str, Any]) -> dict[str, Any]:
        user = triggered.client().admin_get_user(UserPoolId=event["userPoolId"], Username=event["userName"])
        plan = {a["Name"]: a["Value"] for a in user["UserAttributes"]}.get("custom:plan", "none")
        return {**event, "response": {"claimsOverrideDetails": {"claimsToAddOrOverride": {"plan": plan}}}}

    def sms_with_name(event: dict[str, Any]) -> dict[str, Any]:
        user = triggered.client().admin_get_user(UserPoolId=event["userPoolId"], Username=event["userName"])
        return {**event, "response": {**event["response"],
                                      "smsMessage": f"Hi {user['Username']}, your code is {{####}}"}}

    calls.register("plan-claim", add_plan_claim)
    calls.register("sms-name", sms_with_name)
    cognito = triggered.client()
    pool = cognito.create_user_pool(
        PoolName=unique("readback"),
        LambdaConfig={"PreTokenGeneration": arn("plan-claim"), "CustomMessage": arn("sms-name")},
        Schema=[{"Name": "plan", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = make_user(cognito, pool["Id"], attributes={"custom:plan": "gold", "phone_number": "+14325550111",
                                                      "phone_number_verified": "true"})
    tokens = sign_in(cognito, client, name)["AuthenticationResult"]
    assert jwt.decode(tokens["IdToken"], options={"verify_signature": False})["plan"] == "gold"
    cognito.forgot_password(ClientId=client, Username=name)
    message = outbox(triggered, pool["Id"], name)[0]
    assert message["body"] == f"Hi {name}, your code is {message['code']}"


def test_a_migrated_user_gets_a_welcome_message_unless_suppressed(triggered: Any, calls: Any) -> None:
    def migrate(event: dict[str, Any]) -> dict[str, Any]:
        return {**event, "response": {"userAttributes": {"email": "welcome@example.com", "email_verified": "true"},
                                      "desiredDeliveryMediums": ["EMAIL"]}}

    calls.register("migrate", migrate)
    cognito = triggered.client()
    pool = pool_with(cognito, {"UserMigration": arn("migrate")})
    client = make_client(cognito, pool["Id"])["ClientId"]
    cognito.forgot_password(ClientId=client, Username="old-timer")
    messages = outbox(triggered, pool["Id"], "old-timer")
    assert [m["triggerSource"] for m in messages] == ["CustomMessage_ForgotPassword", "CustomMessage_AdminCreateUser"]
    welcome = messages[1]
    assert welcome["destination"] == "welcome@example.com" and welcome["subject"] == "Welcome"
    assert welcome["body"] == "Welcome! Your username is old-timer." and welcome["code"] is None


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_recovery_request_that_fails_midway_leaves_only_its_count(server_factory: Any, lambdas: Any,
                                                                     tmp_path: Path, backend: str) -> None:
    """The recovery rate (the UserAccountRecovery category of --rate-limits) counts every request it lets
    through, whatever it answers; an error raised halfway through the operation (here after the migrated user
    was written) leaves nothing else behind. The count is taken before the operation's transaction."""
    import httpx

    config = tmp_path / "userpools.toml"
    config.write_text(
        f'[lambda]\nendpoint = "{lambdas.url}"\nregion = "us-east-1"\n'
        f'access_key_id = "{CREDENTIALS.access_key_id}"\nsecret_access_key = "{CREDENTIALS.secret_access_key}"\n'
        f'invoke_by = "name"\n'
    )
    lambdas.reset()
    server = server_factory(backend, extra_args=["--config", str(config), "--rate-limits", "on",
                                                     "--recovery-requests-per-second", "2"])
    cognito = server.client()

    def migrate(event: dict[str, Any]) -> dict[str, Any]:  # an email another user already holds as an alias
        return {**event, "response": {"userAttributes": {"email": "taken@example.com", "email_verified": "true"},
                                      "desiredDeliveryMediums": ["EMAIL"]}}

    lambdas.register("migrate", migrate)
    pool = pool_with(cognito, {"UserMigration": arn("migrate")}, AliasAttributes=["email"])
    client = make_client(cognito, pool["Id"])["ClientId"]
    secret_client = make_client(cognito, pool["Id"], GenerateSecret=True)["ClientId"]
    holder = verified(cognito, pool["Id"], email="taken@example.com")
    httpx.post(f"{server.url}/_userpools/clock", json={"freeze": True}).raise_for_status()

    with pytest.raises(ClientError) as excinfo:  # the user is inserted, then its alias is refused
        cognito.forgot_password(ClientId=client, Username="newcomer")
    assert error_of(excinfo)[0] == "AliasExistsException"
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=secret_client, Username=holder, SecretHash="bm90IHRoZSBoYXNo")
    assert error_of(excinfo)[0] == "NotAuthorizedException"
    with pytest.raises(ClientError) as excinfo:  # both failures were counted: the third request is one too many
        cognito.forgot_password(ClientId=client, Username=holder)
    assert error_of(excinfo) == ("TooManyRequestsException", "Rate exceeded")

    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId=pool["Id"], Username="newcomer")
    assert error_of(excinfo)[0] == "UserNotFoundException"
    assert outbox(server, pool["Id"], "newcomer") == []
    assert cognito.list_users(UserPoolId=pool["Id"])["Users"][0]["Username"] == holder
    assert len(cognito.list_users(UserPoolId=pool["Id"])["Users"]) == 1
    httpx.post(f"{server.url}/_userpools/clock", json={"advanceSeconds": 1}).raise_for_status()
    assert cognito.forgot_password(ClientId=client, Username=holder)["CodeDeliveryDetails"]["AttributeName"] == "email"

"""Account recovery (ForgotPassword, ConfirmForgotPassword) through real client libraries against a live server
(SQLite and PostgreSQL): pycognito (``initiate_forgot_password`` / ``confirm_forgot_password``, with and without
a client secret) and amazon-cognito-identity-js (``CognitoUser.forgotPassword`` / ``confirmPassword``, from
tests/node/forgot-password.mjs). The code comes from the development outbox, as the user would read it from
their mail; the new password is then proven by the same library's SRP sign-in.

test_recovery.py covers the operations' rules through boto3; here it is what each library sends (pycognito's
SecretHash, ACIJ's bare request) and what it makes of the answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from accounts import latest_code, outbox
from botocore.config import Config
from botocore.exceptions import ClientError
from clients import (
    WRONG_PASSWORD,
    App,
    create_client,
    default_issuer,
    delete_pool,
    make_app,
    run_node,
    secret_hash,
    unique,
)
from pycognito import Cognito
from server import ServerProcess

NEW_PASSWORD = "Recovered-Horse-4-staple"
MISMATCH = ("CodeMismatchException", "Invalid verification code provided, please try again.")
NOT_FOUND = ("UserNotFoundException", "Username/client id combination not found.")
INCORRECT = ("NotAuthorizedException", "Incorrect username or password.")
# Cognito masks the destination: first character of the local part and of the domain, then "***".
MASKED_EMAIL = re.compile(r"\w\*\*\*@\w\*\*\*")


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def wrong_code(code: str) -> str:
    """A six-digit code that is not ``code``."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


# -- pycognito ---------------------------------------------------------------------------------------------

class Recorder:
    """What a pycognito instance's boto3 client sent (the API parameters) and what it got back (parsed), per
    operation, through botocore's own events: pycognito's recovery methods return nothing."""

    def __init__(self, client: Any) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.received: list[tuple[str, int, dict[str, Any]]] = []
        client.meta.events.register("provide-client-params.cognito-idp", self._params)
        client.meta.events.register("after-call.cognito-idp", self._after)

    def _params(self, params: dict[str, Any], event_name: str, **_: Any) -> None:
        self.sent.append((event_name.rsplit(".", 1)[-1], dict(params)))

    def _after(self, http_response: Any, parsed: dict[str, Any], event_name: str, **_: Any) -> None:
        self.received.append((event_name.rsplit(".", 1)[-1], http_response.status_code, dict(parsed)))

    def operations(self) -> list[tuple[str, int]]:
        return [(op, status) for op, status, _ in self.received]


def pycognito_for(server: ServerProcess, app: App, username: str | None = None, **settings: Any) -> Cognito:
    """pycognito for the app's client (its secret unless ``client_secret=`` says otherwise) and a user."""
    settings.setdefault("client_secret", app.client_secret)
    return Cognito(
        app.pool_id, app.client_id, username=username or app.login,
        boto3_client_kwargs={"endpoint_url": server.url, "aws_access_key_id": "AKIDEXAMPLE",
                             "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
        botocore_config=Config(retries={"mode": "standard", "max_attempts": 1}),
        **settings,
    )


@pytest.fixture(params=[False, True], ids=["public-client", "client-with-secret"])
def app(request: pytest.FixtureRequest, cognito: Any) -> Iterator[App]:
    """A pool, a client (without and with a secret) and a confirmed user with a verified email."""
    created = make_app(cognito, secret=request.param)
    yield created
    delete_pool(cognito, created.pool_id)


@pytest.fixture
def public_app(cognito: Any) -> Iterator[App]:
    """A pool, a client without a secret (ACIJ cannot use one with) and a confirmed user."""
    created = make_app(cognito)
    yield created
    delete_pool(cognito, created.pool_id)


def test_pycognito_resets_a_forgotten_password_and_signs_in_with_the_new_one(
    server: ServerProcess, cognito: Any, app: App
) -> None:
    user = pycognito_for(server, app)
    recorder = Recorder(user.client)
    user.initiate_forgot_password()

    operation, params = recorder.sent[-1]
    assert operation == "ForgotPassword"
    assert params["ClientId"] == app.client_id and params["Username"] == app.login
    if app.client_secret:  # HMAC-SHA256(secret, username typed ‖ client id), as Cognito documents
        assert params["SecretHash"] == app.secret_hash()
    else:
        assert "SecretHash" not in params
    [(_, status, answer)] = recorder.received
    assert status == 200
    assert answer["CodeDeliveryDetails"] == {"Destination": f"{app.email[0]}***@e***", "DeliveryMedium": "EMAIL",
                                             "AttributeName": "email"}

    [message] = outbox(server, app.pool_id, app.username)
    assert message["triggerSource"] == "CustomMessage_ForgotPassword"
    assert message["destination"] == app.email and re.fullmatch(r"\d{6}", message["code"])
    # asking for a code changes nothing yet: the old password still signs in
    assert cognito.admin_get_user(UserPoolId=app.pool_id, Username=app.username)["UserStatus"] == "CONFIRMED"
    pycognito_for(server, app).authenticate(password=app.password)

    user.confirm_forgot_password(message["code"], NEW_PASSWORD)
    operation, params = recorder.sent[-1]
    assert operation == "ConfirmForgotPassword"
    assert params["ConfirmationCode"] == message["code"] and params["Password"] == NEW_PASSWORD
    assert ("SecretHash" in params) is bool(app.client_secret)
    assert recorder.operations() == [("ForgotPassword", 200), ("ConfirmForgotPassword", 200)]
    assert user.password == NEW_PASSWORD  # pycognito keeps it after a 200
    assert cognito.admin_get_user(UserPoolId=app.pool_id, Username=app.username)["UserStatus"] == "CONFIRMED"

    signed_in = pycognito_for(server, app)
    signed_in.authenticate(password=NEW_PASSWORD)  # SRP; verifies both tokens against the JWKS
    assert signed_in.id_claims["cognito:username"] == app.username
    assert signed_in.access_claims["sub"] == app.sub
    assert signed_in.id_claims["iss"] == default_issuer(server, app.pool_id)

    with pytest.raises(ClientError) as excinfo:
        pycognito_for(server, app).authenticate(password=app.password)
    assert error_of(excinfo) == INCORRECT
    assert excinfo.value.operation_name == "RespondToAuthChallenge"

    # the code is spent
    with pytest.raises(ClientError) as excinfo:
        pycognito_for(server, app).confirm_forgot_password(message["code"], "Another-Horse-5-staple")
    assert error_of(excinfo)[0] == "ExpiredCodeException"


def test_pycognito_confirm_with_a_wrong_code_raises_code_mismatch_and_keeps_the_password(
    server: ServerProcess, app: App
) -> None:
    user = pycognito_for(server, app)
    user.initiate_forgot_password()
    code = latest_code(server, app.pool_id, app.username)

    with pytest.raises(ClientError) as excinfo:
        user.confirm_forgot_password(wrong_code(code), NEW_PASSWORD)
    assert error_of(excinfo) == MISMATCH
    assert excinfo.value.operation_name == "ConfirmForgotPassword"
    assert not hasattr(user, "password")  # pycognito only records the password after a 200
    pycognito_for(server, app).authenticate(password=app.password)  # unchanged

    # the code the user was sent still works after a typo
    user.confirm_forgot_password(code, NEW_PASSWORD)
    pycognito_for(server, app).authenticate(password=NEW_PASSWORD)


def test_pycognito_forgot_password_of_an_unknown_user_raises_user_not_found_with_a_legacy_client(
    server: ServerProcess, cognito: Any, app: App
) -> None:
    settings = cognito.describe_user_pool_client(UserPoolId=app.pool_id, ClientId=app.client_id)["UserPoolClient"]
    assert settings.get("PreventUserExistenceErrors", "LEGACY") == "LEGACY"
    nobody = unique("nobody")
    user = pycognito_for(server, app, username=nobody)
    recorder = Recorder(user.client)

    with pytest.raises(ClientError) as excinfo:
        user.initiate_forgot_password()
    assert error_of(excinfo) == NOT_FOUND
    assert excinfo.value.operation_name == "ForgotPassword"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    if app.client_secret:  # the hash was over the unknown name, and it checked out: the user is what is missing
        assert recorder.sent[0][1]["SecretHash"] == secret_hash(nobody, app.client_id, app.client_secret)

    with pytest.raises(ClientError) as excinfo:
        user.confirm_forgot_password("123456", NEW_PASSWORD)
    assert error_of(excinfo) == NOT_FOUND
    assert outbox(server, app.pool_id, nobody) == []


def test_pycognito_with_a_wrong_client_secret_is_refused_for_the_secret_hash(
    server: ServerProcess, cognito: Any
) -> None:
    app = make_app(cognito, secret=True)
    try:
        user = pycognito_for(server, app, client_secret=app.client_secret[::-1])
        with pytest.raises(ClientError) as excinfo:
            user.initiate_forgot_password()
        assert error_of(excinfo) == ("NotAuthorizedException",
                                     f"Unable to verify secret hash for client {app.client_id}")
        with pytest.raises(ClientError) as excinfo:  # and without one at all
            pycognito_for(server, app, client_secret=None).initiate_forgot_password()
        no_hash = f"Client {app.client_id} is configured with secret but SECRET_HASH was not received"
        assert error_of(excinfo) == ("NotAuthorizedException", no_hash)
        assert outbox(server, app.pool_id, app.username) == []
    finally:
        delete_pool(cognito, app.pool_id)


@pytest.mark.parametrize("secret", [False, True], ids=["public-client", "client-with-secret"])
def test_pycognito_recovers_by_email_in_an_email_as_username_pool(
    server: ServerProcess, cognito: Any, secret: bool
) -> None:
    """The user types the email; pycognito's SecretHash is over the email too."""
    app = make_app(cognito, secret=secret, email_as_username=True)
    try:
        assert app.login == app.email != app.username
        user = pycognito_for(server, app)
        user.initiate_forgot_password()
        code = latest_code(server, app.pool_id, app.username)
        user.confirm_forgot_password(code, NEW_PASSWORD)
        signed_in = pycognito_for(server, app)
        signed_in.authenticate(password=NEW_PASSWORD)
        assert signed_in.id_claims["cognito:username"] == app.username
    finally:
        delete_pool(cognito, app.pool_id)


# -- amazon-cognito-identity-js -----------------------------------------------------------------------------

def acij_args(server: ServerProcess, app: App, **extra: Any) -> dict[str, Any]:
    # ACIJ posts to the endpoint as given; AWS's own endpoint ends with "/".
    return {"endpoint": server.url + "/", "poolId": app.pool_id, "clientId": app.client_id,
            "username": app.login} | extra


def acij_sign_in(server: ServerProcess, app: App, password: str) -> Any:
    return run_node("srp-sign-in.mjs", acij_args(server, app, password=password))


def test_acij_forgot_password_then_confirm_password_then_srp_sign_in(
    server: ServerProcess, cognito: Any, public_app: App
) -> None:
    app = public_app
    requested = run_node("forgot-password.mjs", acij_args(server, app))
    assert requested.ok, requested.output
    # ACIJ hands ForgotPassword's answer to inputVerificationCode when the app gives one
    assert requested.output["forgotPassword"]["callback"] == "inputVerificationCode"
    assert requested.output["codeDeliveryDetails"] == {
        "Destination": f"{app.email[0]}***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    assert [(c["target"], c["status"]) for c in requested.output["calls"]] == [("ForgotPassword", 200)]
    assert requested.output["requestFields"] == [["ClientId", "Username"]]  # no SecretHash: ACIJ has none

    [message] = outbox(server, app.pool_id, app.username)
    assert message["triggerSource"] == "CustomMessage_ForgotPassword" and message["destination"] == app.email
    code = latest_code(server, app.pool_id, app.username)

    confirmed = run_node("forgot-password.mjs", acij_args(server, app, code=code, newPassword=NEW_PASSWORD))
    assert confirmed.ok, confirmed.output
    assert confirmed.output["confirmPassword"] == {"callback": "onSuccess", "data": "SUCCESS"}
    assert [(c["target"], c["status"]) for c in confirmed.output["calls"]] == [("ConfirmForgotPassword", 200)]
    assert confirmed.output["requestFields"] == [["ClientId", "ConfirmationCode", "Password", "Username"]]
    assert cognito.admin_get_user(UserPoolId=app.pool_id, Username=app.username)["UserStatus"] == "CONFIRMED"

    signed_in = acij_sign_in(server, app, NEW_PASSWORD)
    assert signed_in.ok, signed_in.output
    assert signed_in.output["session"]["valid"] is True
    assert signed_in.output["session"]["idPayload"]["cognito:username"] == app.username
    assert signed_in.output["session"]["accessPayload"]["sub"] == app.sub

    refused = acij_sign_in(server, app, app.password)
    assert not refused.ok
    assert (refused.error["code"], refused.error["message"]) == INCORRECT


def test_acij_confirm_password_with_a_wrong_code_fails_with_code_mismatch(
    server: ServerProcess, public_app: App
) -> None:
    app = public_app
    requested = run_node("forgot-password.mjs", acij_args(server, app))
    assert requested.ok, requested.output
    code = latest_code(server, app.pool_id, app.username)

    refused = run_node("forgot-password.mjs", acij_args(server, app, code=wrong_code(code),
                                                        newPassword=NEW_PASSWORD))
    assert not refused.ok
    assert (refused.error["code"], refused.error["message"]) == MISMATCH
    assert refused.error["name"] == "CodeMismatchException"
    assert refused.error["step"] == "confirmPassword"
    assert [(c["target"], c["status"]) for c in refused.output["calls"]] == [("ConfirmForgotPassword", 400)]

    still = acij_sign_in(server, app, app.password)  # the password did not change
    assert still.ok, still.output

    confirmed = run_node("forgot-password.mjs", acij_args(server, app, code=code, newPassword=NEW_PASSWORD))
    assert confirmed.ok, confirmed.output  # the right code still works after a typo
    assert acij_sign_in(server, app, NEW_PASSWORD).ok


def test_acij_forgot_password_of_an_unknown_user_with_prevent_user_existence_errors_looks_like_success(
    server: ServerProcess, cognito: Any, public_app: App
) -> None:
    app = public_app
    client = create_client(cognito, app.pool_id, PreventUserExistenceErrors="ENABLED")
    nobody = unique("nobody")
    args = acij_args(server, app, clientId=client["ClientId"], username=nobody)

    result = run_node("forgot-password.mjs", args)
    assert result.ok, result.output
    assert result.output["forgotPassword"]["callback"] == "inputVerificationCode"
    assert [(c["target"], c["status"]) for c in result.output["calls"]] == [("ForgotPassword", 200)]
    details = result.output["codeDeliveryDetails"]
    assert details["DeliveryMedium"] == "EMAIL" and details["AttributeName"] == "email"
    assert MASKED_EMAIL.fullmatch(details["Destination"]), details
    assert outbox(server, app.pool_id, nobody) == []  # nothing was sent: there is nobody to send it to

    again = run_node("forgot-password.mjs", args)  # the same made-up answer every time
    assert again.ok and again.output["codeDeliveryDetails"] == details

    # confirming for the unknown user answers as a wrong code would
    refused = run_node("forgot-password.mjs", args | {"code": "123456", "newPassword": NEW_PASSWORD})
    assert not refused.ok
    assert (refused.error["code"], refused.error["message"]) == MISMATCH


def test_acij_forgot_password_of_an_unknown_user_with_a_legacy_client_fails_with_user_not_found(
    server: ServerProcess, public_app: App
) -> None:
    nobody = unique("nobody")
    result = run_node("forgot-password.mjs", acij_args(server, public_app, username=nobody))
    assert not result.ok
    assert (result.error["code"], result.error["message"]) == NOT_FOUND
    assert result.error["step"] == "forgotPassword"
    assert [(c["target"], c["status"]) for c in result.output["calls"]] == [("ForgotPassword", 400)]


# amazon-cognito-identity-js has no client-secret support (it never sends SecretHash), so against a client with
# a secret the request is refused before anything is sent.
def test_acij_forgot_password_against_a_client_with_a_secret_is_refused(
    server: ServerProcess, cognito: Any, public_app: App
) -> None:
    app = public_app
    client = create_client(cognito, app.pool_id, secret=True)
    result = run_node("forgot-password.mjs", acij_args(server, app, clientId=client["ClientId"]))
    assert not result.ok
    assert (result.error["code"], result.error["message"]) == (
        "NotAuthorizedException",
        f"Client {client['ClientId']} is configured with secret but SECRET_HASH was not received")
    assert outbox(server, app.pool_id, app.username) == []
    # the password is untouched
    assert acij_sign_in(server, app, app.password).ok
    assert not acij_sign_in(server, app, WRONG_PASSWORD).ok

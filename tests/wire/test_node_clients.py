"""Real JavaScript Cognito clients against a live server (SQLite and PostgreSQL): amazon-cognito-identity-js
(USER_SRP_AUTH as browser apps sign in), the AWS SDK for JavaScript v3, and aws-jwt-verify.

Each test runs a script from tests/node/ (``node <script> '<json>'``, one JSON result on stdout). The packages
are pinned in tests/node/package-lock.json and installed by ``make test`` (``npm ci --prefix tests/node``);
when they are missing the tests fail, they never skip.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError
from clients import (
    PASSWORD,
    WRONG_PASSWORD,
    App,
    aws_issuer,
    create_client,
    default_issuer,
    delete_pool,
    fetch_jwks,
    jwks_url,
    make_app,
    run_node,
    tamper,
    unique,
    unverified_claims,
    verify_with_pyjwt,
)
from mfa_support import server_clock
from server import ServerProcess

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NEW_PASSWORD = "Brand-New-Horse-7-staple"


@pytest.fixture
def app(cognito: Any) -> Iterator[App]:
    """A pool, a client without a secret (ACIJ cannot use one with) and a confirmed user."""
    created = make_app(cognito)
    yield created
    delete_pool(cognito, created.pool_id)


@pytest.fixture(scope="module")
def aws_issuer_server(server_factory: Any) -> ServerProcess:
    """A second server that signs tokens with AWS's issuer, for CognitoJwtVerifier."""
    return server_factory("sqlite", extra_args=["--aws-issuer"])


def acij_args(server: ServerProcess, app: App, **extra: Any) -> dict[str, Any]:
    # ACIJ posts to the endpoint as given; AWS's own endpoint ends with "/".
    return {"endpoint": server.url + "/", "poolId": app.pool_id, "clientId": app.client_id,
            "username": app.login, "password": app.password} | extra


def password_sign_in(cognito: Any, app: App) -> dict[str, Any]:
    params: dict[str, str] = {"USERNAME": app.login, "PASSWORD": app.password}
    if app.client_secret:
        params["SECRET_HASH"] = app.secret_hash()
    result = cognito.initiate_auth(ClientId=app.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params)
    return dict(result["AuthenticationResult"])


# -- amazon-cognito-identity-js: USER_SRP_AUTH -------------------------------------------------------------

def test_acij_srp_sign_in_of_a_confirmed_user_returns_tokens_that_verify(
    server: ServerProcess, app: App
) -> None:
    result = run_node("srp-sign-in.mjs", acij_args(server, app))
    assert result.ok, result.output

    assert result.output["authenticationFlowType"] == "USER_SRP_AUTH"
    calls = result.output["calls"]
    assert [(c["target"], c.get("authFlow"), c.get("challengeName"), c["status"]) for c in calls] == [
        ("InitiateAuth", "USER_SRP_AUTH", None, 200),
        ("RespondToAuthChallenge", None, "PASSWORD_VERIFIER", 200),
    ]
    assert calls[1]["challengeResponses"] == [
        "PASSWORD_CLAIM_SECRET_BLOCK", "PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP", "USERNAME"]

    session = result.output["session"]
    assert session["valid"] is True
    assert session["refreshToken"].count(".") == 4  # JWE compact, like Cognito's
    id_claims, access_claims = session["idPayload"], session["accessPayload"]
    assert id_claims["token_use"] == "id" and access_claims["token_use"] == "access"
    assert id_claims["aud"] == app.client_id and access_claims["client_id"] == app.client_id
    assert id_claims["cognito:username"] == app.username and access_claims["username"] == app.username
    assert id_claims["sub"] == access_claims["sub"] == app.sub
    assert id_claims["email"] == app.email
    assert access_claims["scope"] == "aws.cognito.signin.user.admin"

    jwks = fetch_jwks(server, app.pool_id)
    issuer = default_issuer(server, app.pool_id)
    _, verified_id = verify_with_pyjwt(session["idToken"], jwks, issuer=issuer, audience=app.client_id)
    _, verified_access = verify_with_pyjwt(session["accessToken"], jwks, issuer=issuer)
    assert verified_id == id_claims and verified_access == access_claims


def test_acij_srp_sign_in_with_a_wrong_password_fails_with_not_authorized(server: ServerProcess, app: App) -> None:
    result = run_node("srp-sign-in.mjs", acij_args(server, app, password=WRONG_PASSWORD))
    assert not result.ok
    assert result.error["code"] == "NotAuthorizedException"
    assert result.error["message"] == "Incorrect username or password."
    # the SRP exchange itself went through; the password claim was refused
    assert [c["target"] for c in result.output["calls"]] == ["InitiateAuth", "RespondToAuthChallenge"]
    assert result.output["calls"][1]["status"] == 400


def test_acij_refreshes_the_session_reads_the_user_and_signs_out_globally(
    server: ServerProcess, cognito: Any, app: App
) -> None:
    result = run_node("srp-sign-in.mjs", acij_args(server, app, refresh=True, getUser=True, globalSignOut=True))
    assert result.ok, result.output
    targets = [(c["target"], c.get("authFlow")) for c in result.output["calls"]]
    assert targets == [("InitiateAuth", "USER_SRP_AUTH"), ("RespondToAuthChallenge", None), ("GetUser", None),
                       ("InitiateAuth", "REFRESH_TOKEN_AUTH"), ("GlobalSignOut", None)]

    attributes = result.output["userAttributes"]
    assert attributes["sub"] == app.sub and attributes["email"] == app.email

    first, refreshed = result.output["session"], result.output["refreshed"]
    assert refreshed["valid"] is True
    assert refreshed["accessToken"] != first["accessToken"]
    assert refreshed["refreshToken"] == first["refreshToken"]  # REFRESH_TOKEN_AUTH returns no new one
    assert refreshed["accessPayload"]["sub"] == app.sub
    assert refreshed["accessPayload"]["auth_time"] == first["accessPayload"]["auth_time"]
    assert refreshed["idPayload"]["auth_time"] == first["idPayload"]["auth_time"]

    assert result.output["signedOut"] is True
    with pytest.raises(ClientError) as excinfo:
        cognito.get_user(AccessToken=refreshed["accessToken"])
    assert excinfo.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert excinfo.value.response["Error"]["Message"] == "Access Token has been revoked"


def test_acij_completes_the_new_password_challenge_of_an_admin_created_user(
    server: ServerProcess, cognito: Any, app: App
) -> None:
    username = unique("invited")
    temporary = "Temp-Horse-3-battery"
    cognito.admin_create_user(UserPoolId=app.pool_id, Username=username, TemporaryPassword=temporary,
                              MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}])
    args = acij_args(server, app, username=username, password=temporary)

    refused = run_node("srp-sign-in.mjs", args)
    assert not refused.ok and refused.error["name"] == "NewPasswordRequired"
    challenge = refused.output["challenges"][0]
    assert challenge["name"] == "NEW_PASSWORD_REQUIRED"
    assert challenge["userAttributes"]["email"] == f"{username}@example.com"
    assert challenge["requiredAttributes"] == []

    result = run_node("srp-sign-in.mjs", args | {"newPassword": NEW_PASSWORD})
    assert result.ok, result.output
    assert [(c["target"], c.get("challengeName")) for c in result.output["calls"]] == [
        ("InitiateAuth", None), ("RespondToAuthChallenge", "PASSWORD_VERIFIER"),
        ("RespondToAuthChallenge", "NEW_PASSWORD_REQUIRED")]
    assert result.output["session"]["idPayload"]["cognito:username"] == username
    assert cognito.admin_get_user(UserPoolId=app.pool_id, Username=username)["UserStatus"] == "CONFIRMED"

    again = run_node("srp-sign-in.mjs", args | {"password": NEW_PASSWORD})
    assert again.ok, again.output
    assert again.output["challenges"] == []


def test_acij_signs_in_with_the_email_in_an_email_as_username_pool(server: ServerProcess, cognito: Any) -> None:
    """Cognito answers with the UUID username as USER_ID_FOR_SRP; ACIJ derives the password key from it."""
    app = make_app(cognito, email_as_username=True)
    try:
        assert UUID.fullmatch(app.username) and app.login == app.email
        result = run_node("srp-sign-in.mjs", acij_args(server, app))
        assert result.ok, result.output
        session = result.output["session"]
        assert session["idPayload"]["cognito:username"] == app.username == app.sub
        assert session["accessPayload"]["username"] == app.username
        assert session["idPayload"]["email"] == app.email
        assert result.output["username"] == app.username  # ACIJ took the canonical name from the challenge

        refused = run_node("srp-sign-in.mjs", acij_args(server, app, password=WRONG_PASSWORD))
        assert (refused.error.get("code"), refused.error.get("message")) == (
            "NotAuthorizedException", "Incorrect username or password.")
    finally:
        delete_pool(cognito, app.pool_id)


def test_acij_sign_in_of_an_unconfirmed_user_fails_with_user_not_confirmed(
    server: ServerProcess, cognito: Any, app: App
) -> None:
    username = unique("pending")
    cognito.sign_up(ClientId=app.client_id, Username=username, Password=PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}])
    for password in (PASSWORD, WRONG_PASSWORD):  # Cognito says so even to a wrong password
        result = run_node("srp-sign-in.mjs", acij_args(server, app, username=username, password=password))
        assert not result.ok
        assert (result.error["code"], result.error["message"]) == ("UserNotConfirmedException",
                                                                   "User is not confirmed.")


@pytest.mark.parametrize(("prevent", "first_call", "expected"), [
    ("LEGACY", "InitiateAuth", ("UserNotFoundException", "User does not exist.")),
    ("ENABLED", "RespondToAuthChallenge", ("NotAuthorizedException", "Incorrect username or password.")),
])
def test_acij_sign_in_of_an_unknown_user_follows_prevent_user_existence_errors(
    server: ServerProcess, cognito: Any, app: App, prevent: str, first_call: str, expected: tuple[str, str]
) -> None:
    """LEGACY says the user does not exist at InitiateAuth; ENABLED plays the SRP exchange through and
    refuses the password claim exactly as for a wrong password."""
    client = create_client(cognito, app.pool_id, PreventUserExistenceErrors=prevent)
    result = run_node("srp-sign-in.mjs", acij_args(server, app, clientId=client["ClientId"],
                                                   username=unique("nobody")))
    assert not result.ok
    assert (result.error["code"], result.error["message"]) == expected
    assert result.output["calls"][-1]["target"] == first_call
    assert result.output["calls"][-1]["status"] == 400


# amazon-cognito-identity-js has no client-secret support (it never sends SECRET_HASH; AWS documents the
# same), so with a secret it can only be refused, as Cognito refuses it:
def test_acij_against_a_client_with_a_secret_is_refused_for_the_missing_secret_hash(
    server: ServerProcess, cognito: Any, app: App
) -> None:
    client = create_client(cognito, app.pool_id, secret=True)
    result = run_node("srp-sign-in.mjs", acij_args(server, app, clientId=client["ClientId"]))
    assert not result.ok
    assert result.error["code"] == "NotAuthorizedException"
    assert result.error["message"] == (
        f"Client {client['ClientId']} is configured with secret but SECRET_HASH was not received")


# -- the AWS SDK for JavaScript v3 --------------------------------------------------------------------------

@pytest.mark.parametrize("with_secret", [False, True], ids=["public-client", "client-with-secret"])
def test_sdk_v3_signs_up_confirms_signs_in_with_a_password_and_reads_the_user(
    server: ServerProcess, cognito: Any, with_secret: bool
) -> None:
    pool = cognito.create_user_pool(PoolName=unique("pool"), AutoVerifiedAttributes=["email"])["UserPool"]
    try:
        sdk_v3_flow(server, cognito, pool, with_secret)
    finally:
        delete_pool(cognito, pool["Id"])


def sdk_v3_flow(server: ServerProcess, cognito: Any, pool: dict[str, Any], with_secret: bool) -> None:
    client = create_client(cognito, pool["Id"], secret=with_secret)
    username = unique("sdk")
    email = f"{username}@example.com"
    result = run_node("sdk-v3.mjs", {
        "endpoint": server.url, "region": "us-east-1", "poolId": pool["Id"], "clientId": client["ClientId"],
        "clientSecret": client.get("ClientSecret"), "username": username, "password": PASSWORD, "email": email,
    })
    assert result.ok, result.output
    steps = result.output["steps"]

    sign_up = steps["SignUp"]
    assert sign_up["httpStatusCode"] == 200
    assert sign_up["UserConfirmed"] is False
    assert UUID.fullmatch(sign_up["UserSub"])
    # the pool auto-verifies email, so SignUp sent a code there and says where, masked
    delivery = sign_up["CodeDeliveryDetails"]
    assert delivery["DeliveryMedium"] == "EMAIL" and delivery["AttributeName"] == "email"
    assert re.fullmatch(r"\w\*\*\*@\w\*\*\*", delivery["Destination"]), delivery

    assert steps["AdminConfirmSignUp"]["httpStatusCode"] == 200
    assert cognito.admin_get_user(UserPoolId=pool["Id"], Username=username)["UserStatus"] == "CONFIRMED"

    auth = steps["InitiateAuth"]
    assert "ChallengeName" not in auth
    tokens = auth["AuthenticationResult"]
    assert tokens["ExpiresIn"] == 3600 and tokens["TokenType"] == "Bearer"
    assert tokens["RefreshToken"]
    assert auth["idPayload"]["sub"] == auth["accessPayload"]["sub"] == sign_up["UserSub"]
    assert auth["idPayload"]["email"] == email
    assert auth["idPayload"]["aud"] == client["ClientId"]
    assert auth["accessPayload"]["client_id"] == client["ClientId"]

    user = steps["GetUser"]
    assert user["Username"] == username
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["sub"] == sign_up["UserSub"] and attributes["email"] == email


def test_sdk_v3_password_sign_in_with_a_wrong_password_fails_with_not_authorized(
    server: ServerProcess, app: App
) -> None:
    result = run_node("sdk-v3.mjs", {
        "endpoint": server.url, "region": "us-east-1", "clientId": app.client_id, "username": app.login,
        "password": WRONG_PASSWORD, "steps": ["InitiateAuth"],
    })
    assert not result.ok
    assert result.error["step"] == "InitiateAuth"
    assert result.error["name"] == "NotAuthorizedException"
    assert result.error["message"] == "Incorrect username or password."
    assert result.error["statusCode"] == 400
    assert result.error["fault"] == "client"


def test_sdk_v3_sign_up_of_an_existing_username_fails_with_username_exists(server: ServerProcess, app: App) -> None:
    result = run_node("sdk-v3.mjs", {
        "endpoint": server.url, "region": "us-east-1", "clientId": app.client_id, "username": app.login,
        "password": PASSWORD, "steps": ["SignUp"],
    })
    assert not result.ok
    assert result.error["name"] == "UsernameExistsException"
    assert result.error["message"] == "User already exists"


def test_sdk_v3_with_an_unknown_client_id_fails_with_resource_not_found(server: ServerProcess) -> None:
    client_id = "0" * 26
    result = run_node("sdk-v3.mjs", {
        "endpoint": server.url, "region": "us-east-1", "clientId": client_id, "username": "someone",
        "password": PASSWORD, "steps": ["InitiateAuth"],
    })
    assert not result.ok
    assert result.error["name"] == "ResourceNotFoundException"
    assert result.error["message"] == f"User pool client {client_id} does not exist."
    assert result.error["statusCode"] == 400


# -- aws-jwt-verify -----------------------------------------------------------------------------------------

def verify_args(mode: str, server: ServerProcess, app: App, tokens: list[tuple[str, str]]) -> dict[str, Any]:
    return {"mode": mode, "userPoolId": app.pool_id, "clientId": app.client_id,
            "jwksUri": jwks_url(server.url, app.pool_id), "issuer": default_issuer(server, app.pool_id),
            "tokens": [{"token": token, "tokenUse": use} for token, use in tokens]}


def test_aws_jwt_verify_generic_verifier_accepts_the_default_issuers_id_and_access_tokens(
    server: ServerProcess, cognito: Any, app: App
) -> None:
    tokens = password_sign_in(cognito, app)
    result = run_node("verify-jwt.mjs", verify_args("generic", server, app, [
        (tokens["IdToken"], "id"), (tokens["AccessToken"], "access")]))
    assert result.ok, result.output
    id_result, access_result = result.output["results"]
    assert id_result["payload"]["iss"] == access_result["payload"]["iss"] == default_issuer(server, app.pool_id)
    assert id_result["payload"]["cognito:username"] == app.username
    assert access_result["payload"]["username"] == app.username


def test_aws_jwt_verify_generic_verifier_rejects_tampered_and_misused_tokens(
    server: ServerProcess, cognito: Any, app: App
) -> None:
    tokens = password_sign_in(cognito, app)
    forged_id = tamper(tokens["IdToken"], **{"cognito:username": "admin"})
    forged_access = tamper(tokens["AccessToken"], exp=unverified_claims(tokens["AccessToken"])["exp"] + 86400)
    for token, use, error in [
        (forged_id, "id", "JwtInvalidSignatureError"),
        (forged_access, "access", "JwtInvalidSignatureError"),
        (tokens["IdToken"], "access", "CognitoJwtInvalidTokenUseError"),
        (tokens["AccessToken"], "id", "CognitoJwtInvalidTokenUseError"),
    ]:
        result = run_node("verify-jwt.mjs", verify_args("generic", server, app, [(token, use)]))
        assert not result.ok, (use, error)
        assert result.error["name"] == error, result.output


def test_aws_jwt_verify_cognito_verifier_accepts_tokens_of_a_server_run_with_aws_issuer(
    aws_issuer_server: ServerProcess
) -> None:
    cognito = aws_issuer_server.client()
    app = make_app(cognito)
    try:
        tokens = password_sign_in(cognito, app)
        for token in (tokens["IdToken"], tokens["AccessToken"]):
            assert unverified_claims(token)["iss"] == aws_issuer(app.pool_id)
        result = run_node("verify-jwt.mjs", verify_args("cognito", aws_issuer_server, app, [
            (tokens["IdToken"], "id"), (tokens["AccessToken"], "access")]))
        assert result.ok, result.output
        assert result.output["issuer"] == aws_issuer(app.pool_id)
        id_result, access_result = result.output["results"]
        assert id_result["payload"]["sub"] == access_result["payload"]["sub"] == app.sub

        forged = tamper(tokens["AccessToken"], username="admin")
        rejected = run_node("verify-jwt.mjs", verify_args("cognito", aws_issuer_server, app, [(forged, "access")]))
        assert not rejected.ok and rejected.error["name"] == "JwtInvalidSignatureError"

        other_client = create_client(cognito, app.pool_id)["ClientId"]
        wrong_client = run_node("verify-jwt.mjs", verify_args("cognito", aws_issuer_server, app, [
            (tokens["IdToken"], "id")]) | {"clientId": other_client})
        assert not wrong_client.ok and wrong_client.error["name"] == "CognitoJwtInvalidClientIdError"

        # the JWKS the server publishes is what verified them: PyJWT agrees
        jwks = fetch_jwks(aws_issuer_server, app.pool_id)
        verify_with_pyjwt(tokens["IdToken"], jwks, issuer=aws_issuer(app.pool_id), audience=app.client_id)
    finally:
        delete_pool(cognito, app.pool_id)


def test_aws_jwt_verify_cognito_verifier_rejects_the_default_issuer(server: ServerProcess, cognito: Any,
                                                                    app: App) -> None:
    """A server without --aws-issuer signs with its own URL: AWS's verifier must not take its tokens."""
    tokens = password_sign_in(cognito, app)
    result = run_node("verify-jwt.mjs", verify_args("cognito", server, app, [(tokens["AccessToken"], "access")]))
    assert not result.ok
    # CognitoJwtVerifier knows both AWS issuer forms of the pool and no other: it refuses the token's iss
    assert result.error["name"] == "ParameterValidationError"
    assert result.error["message"] == f"issuer not configured: {default_issuer(server, app.pool_id)}"


# -- amazon-cognito-identity-js: software-token MFA after SRP ----------------------------------------------

def test_acij_registers_a_software_token_and_signs_in_with_srp_then_totp(
    server: ServerProcess, cognito: Any, app: App
) -> None:
    cognito.set_user_pool_mfa_config(UserPoolId=app.pool_id, MfaConfiguration="OPTIONAL",
                                     SoftwareTokenMfaConfiguration={"Enabled": True})
    with server_clock(server) as clock:
        result = run_node("srp-totp.mjs", acij_args(server, app, serverTime=clock.now.timestamp()))
    assert result.ok, result.output
    output = result.output
    for entry in output["codes"]:  # node:crypto's RFC 6238 agrees with pyotp
        assert pyotp.TOTP(output["secret"]).at(entry["step"] * 30) == entry["code"]
    assert output["challenge"] == "SOFTWARE_TOKEN_MFA"
    assert [(c["target"], c.get("challengeName"), c["status"]) for c in output["calls"]] == [
        ("InitiateAuth", None, 200), ("RespondToAuthChallenge", "PASSWORD_VERIFIER", 200),
        ("AssociateSoftwareToken", None, 200), ("VerifySoftwareToken", None, 200),
        ("SetUserMFAPreference", None, 200),
        ("InitiateAuth", None, 200), ("RespondToAuthChallenge", "PASSWORD_VERIFIER", 200),
        ("RespondToAuthChallenge", "SOFTWARE_TOKEN_MFA", 200),
    ]
    # ACIJ's sendMFACode always sends SMS_MFA_CODE, and SOFTWARE_TOKEN_MFA_CODE too for this challenge
    assert output["calls"][-1]["challengeResponses"] == ["SMS_MFA_CODE", "SOFTWARE_TOKEN_MFA_CODE", "USERNAME"]
    assert output["valid"] is True and output["accessPayload"]["sub"] == app.sub
    user = cognito.admin_get_user(UserPoolId=app.pool_id, Username=app.login)
    assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"


@pytest.mark.parametrize("select", [False, True], ids=["sms-preferred", "select-then-sms"])
def test_acij_signs_in_with_srp_then_sms_mfa(server: ServerProcess, cognito: Any, app: App, select: bool) -> None:
    cognito.set_user_pool_mfa_config(
        UserPoolId=app.pool_id, MfaConfiguration="OPTIONAL", SoftwareTokenMfaConfiguration={"Enabled": True},
        SmsMfaConfiguration={"SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"}})
    cognito.admin_update_user_attributes(UserPoolId=app.pool_id, Username=app.login,
                                         UserAttributes=[{"Name": "phone_number", "Value": "+15555550187"}])
    with server_clock(server) as clock:
        if select:  # a software token as well, neither preferred: SELECT_MFA_TYPE comes first
            token = password_sign_in(cognito, app)["AccessToken"]
            secret = cognito.associate_software_token(AccessToken=token)["SecretCode"]
            cognito.verify_software_token(AccessToken=token, UserCode=clock.code(secret))
        cognito.admin_set_user_mfa_preference(UserPoolId=app.pool_id, Username=app.login,
                                              SMSMfaSettings={"Enabled": True, "PreferredMfa": not select})
        result = run_node("srp-sms.mjs", acij_args(server, app, outbox=server.url, select="SMS_MFA"))
    assert result.ok, result.output
    challenges = result.output["challenges"]
    assert [c["name"] for c in challenges] == (["SELECT_MFA_TYPE", "SMS_MFA"] if select else ["SMS_MFA"])
    if select:
        assert challenges[0]["parameters"]["MFAS_CAN_CHOOSE"] == '["SMS_MFA","SOFTWARE_TOKEN_MFA"]'
    assert challenges[-1]["parameters"]["CODE_DELIVERY_DESTINATION"] == "+*******0187"
    assert [c.get("challengeName") for c in result.output["calls"]][-1] == "SMS_MFA"
    assert result.output["valid"] is True and result.output["accessPayload"]["sub"] == app.sub


# -- amazon-cognito-identity-js: remembered devices ----------------------------------------------------------

def test_acij_remembered_device_skips_mfa_with_device_srp(server: ServerProcess, cognito: Any) -> None:
    """ACIJ signs in with SMS MFA, confirms the new device itself (its own verifier maths), remembers it with
    setDeviceStatusRemembered (the pool asks the user first), and its next sign-in answers DEVICE_SRP_AUTH /
    DEVICE_PASSWORD_VERIFIER with the cached device instead of an SMS code."""
    created = make_app(cognito, pool_settings={"DeviceConfiguration": {
        "ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True}})
    try:
        cognito.set_user_pool_mfa_config(UserPoolId=created.pool_id, MfaConfiguration="ON", SmsMfaConfiguration={
            "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms", "ExternalId": "x"}})
        cognito.admin_update_user_attributes(UserPoolId=created.pool_id, Username=created.username, UserAttributes=[
            {"Name": "phone_number", "Value": "+15555550187"}, {"Name": "phone_number_verified", "Value": "true"}])
        cognito.admin_set_user_mfa_preference(UserPoolId=created.pool_id, Username=created.username,
                                              SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
        result = run_node("srp-device.mjs", acij_args(server, created, outbox=server.url))
        assert result.ok, result.output
        out = result.output
        assert [c["name"] for c in out["firstChallenges"]] == ["SMS_MFA"]
        assert out["secondChallenges"] == []  # no MFA the second time
        assert out["userConfirmationNecessary"] is True
        key = out["deviceKey"]
        assert key and out["secondDeviceKey"] == key
        assert out["firstAccess"]["device_key"] == key and out["secondAccess"]["device_key"] == key
        assert out["valid"] is True
        targets = [(c["target"], c.get("challengeName")) for c in out["calls"]]
        assert ("ConfirmDevice", None) in targets[:out["firstCalls"]]
        assert ("UpdateDeviceStatus", None) in targets
        second = out["calls"][out["firstCalls"] + 1:]
        assert [(c["target"], c.get("challengeName")) for c in second] == [
            ("InitiateAuth", None), ("RespondToAuthChallenge", "PASSWORD_VERIFIER"),
            ("RespondToAuthChallenge", "DEVICE_SRP_AUTH"), ("RespondToAuthChallenge", "DEVICE_PASSWORD_VERIFIER")]
        assert "DEVICE_KEY" in second[1]["challengeResponses"]  # ACIJ names the device in the SRP answer
        device = cognito.admin_get_device(UserPoolId=created.pool_id, Username=created.username, DeviceKey=key)
        status = {a["Name"]: a["Value"] for a in device["Device"]["DeviceAttributes"]}
        assert status["dev:device_remembered_status"] == "remembered"
    finally:
        delete_pool(cognito, created.pool_id)

"""Account recovery through boto3: ForgotPassword, ConfirmForgotPassword, AdminResetUserPassword and the auth
events they leave, for every user state under PreventUserExistenceErrors LEGACY and ENABLED."""

from __future__ import annotations

import base64
import hashlib
import hmac
import statistics
import threading
import time
from typing import Any

import pytest
from accounts import PASSWORD, latest_code, make_client, make_user, outbox, sign_in, unique
from botocore.exceptions import ClientError
from test_pools import error_of

NEW_PASSWORD = "Recovered-Pass-9"
NOT_FOUND = ("UserNotFoundException", "Username/client id combination not found.")
WRONG_STATE = ("NotAuthorizedException", "User password cannot be reset in the current state.")
NO_CHANNEL = ("InvalidParameterException",
              "Cannot reset password for the user as there is no registered/verified email or phone_number")
LIMIT = ("LimitExceededException", "Attempt limit exceeded, please try after some time.")


@pytest.fixture
def rpool(cognito: Any) -> Any:
    pool = cognito.create_user_pool(PoolName=unique("recovery"), AutoVerifiedAttributes=["email"])["UserPool"]
    yield pool
    cognito.delete_user_pool(UserPoolId=pool["Id"])


@pytest.fixture
def legacy(cognito: Any, rpool: Any) -> str:
    return make_client(cognito, rpool["Id"])["ClientId"]


@pytest.fixture
def hidden(cognito: Any, rpool: Any) -> str:
    return make_client(cognito, rpool["Id"], PreventUserExistenceErrors="ENABLED")["ClientId"]


def verified_user(cognito: Any, pool_id: str, email: str = "rita@example.com", **more: str) -> str:
    return make_user(cognito, pool_id, attributes={"email": email, "email_verified": "true", **more})


def test_forgot_password_sends_a_code_and_confirm_sets_the_new_password(
    cognito: Any, server: Any, rpool: Any, legacy: str
) -> None:
    name = verified_user(cognito, rpool["Id"])
    old_tokens = sign_in(cognito, legacy, name)["AuthenticationResult"]
    out = cognito.forgot_password(ClientId=legacy, Username=name)
    assert out["CodeDeliveryDetails"] == {"Destination": "r***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    message = outbox(server, rpool["Id"], name)[0]
    assert message["triggerSource"] == "CustomMessage_ForgotPassword"
    assert message["destination"] == "rita@example.com" and len(message["code"]) == 6
    assert cognito.admin_get_user(UserPoolId=rpool["Id"], Username=name)["UserStatus"] == "CONFIRMED"
    cognito.confirm_forgot_password(ClientId=legacy, Username=name, ConfirmationCode=message["code"],
                                    Password=NEW_PASSWORD)
    assert sign_in(cognito, legacy, name, NEW_PASSWORD)["AuthenticationResult"]
    with pytest.raises(ClientError):
        sign_in(cognito, legacy, name, PASSWORD)
    # existing tokens stay valid, as in Cognito
    assert cognito.get_user(AccessToken=old_tokens["AccessToken"])["Username"] == name
    # the code is spent
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_forgot_password(ClientId=legacy, Username=name, ConfirmationCode=message["code"],
                                        Password="Another-Pass-8")
    assert error_of(excinfo)[0] == "ExpiredCodeException"


def test_only_the_latest_code_works(cognito: Any, server: Any, rpool: Any, legacy: str) -> None:
    name = verified_user(cognito, rpool["Id"])
    cognito.forgot_password(ClientId=legacy, Username=name)
    first = latest_code(server, rpool["Id"], name)
    cognito.forgot_password(ClientId=legacy, Username=name)
    second = latest_code(server, rpool["Id"], name)
    if first != second:
        with pytest.raises(ClientError) as excinfo:
            cognito.confirm_forgot_password(ClientId=legacy, Username=name, ConfirmationCode=first, Password=NEW_PASSWORD)
        assert error_of(excinfo) == ("CodeMismatchException", "Invalid verification code provided, please try again.")
    cognito.confirm_forgot_password(ClientId=legacy, Username=name, ConfirmationCode=second, Password=NEW_PASSWORD)


def test_forgot_password_by_alias_and_by_sub(cognito: Any, server: Any) -> None:
    pool = cognito.create_user_pool(PoolName=unique("rec-alias"), AliasAttributes=["email"])["UserPool"]
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = verified_user(cognito, pool["Id"], email="sam@example.com")
    assert cognito.forgot_password(ClientId=client, Username="sam@example.com")["CodeDeliveryDetails"]
    sub = next(a["Value"] for a in cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)["UserAttributes"]
               if a["Name"] == "sub")
    assert cognito.forgot_password(ClientId=client, Username=sub)["CodeDeliveryDetails"]["AttributeName"] == "email"
    cognito.confirm_forgot_password(ClientId=client, Username="sam@example.com", Password=NEW_PASSWORD,
                                    ConfirmationCode=latest_code(server, pool["Id"], name))
    cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_expired_code_raises_expired_code(cognito: Any, server: Any, rpool: Any, legacy: str) -> None:
    import httpx

    name = verified_user(cognito, rpool["Id"])
    cognito.forgot_password(ClientId=legacy, Username=name)
    code = latest_code(server, rpool["Id"], name)
    httpx.post(f"{server.url}/_userpools/clock", json={"advanceSeconds": 3601}).raise_for_status()
    try:
        with pytest.raises(ClientError) as excinfo:
            cognito.confirm_forgot_password(ClientId=legacy, Username=name, ConfirmationCode=code, Password=NEW_PASSWORD)
        assert error_of(excinfo) == ("ExpiredCodeException", "Invalid code provided, please request a code again.")
    finally:
        httpx.post(f"{server.url}/_userpools/clock", json={"reset": True}).raise_for_status()


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short", "Password not long enough"), ("nouppercase1!", "Password must have uppercase characters")],
)
def test_confirm_with_a_weak_password_keeps_the_code(cognito: Any, server: Any, rpool: Any, legacy: str,
                                                     password: str, reason: str) -> None:
    name = verified_user(cognito, rpool["Id"])
    cognito.forgot_password(ClientId=legacy, Username=name)
    code = latest_code(server, rpool["Id"], name)
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_forgot_password(ClientId=legacy, Username=name, ConfirmationCode=code, Password=password)
    assert error_of(excinfo) == ("InvalidPasswordException", f"Password does not conform to policy: {reason}")
    cognito.confirm_forgot_password(ClientId=legacy, Username=name, ConfirmationCode=code, Password=NEW_PASSWORD)


def test_password_history_applies_to_confirm_forgot_password(cognito: Any, server: Any) -> None:
    pool = cognito.create_user_pool(PoolName=unique("rec-hist"),
                                    Policies={"PasswordPolicy": {"MinimumLength": 8, "PasswordHistorySize": 3}})["UserPool"]
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = verified_user(cognito, pool["Id"])
    cognito.forgot_password(ClientId=client, Username=name)
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_forgot_password(ClientId=client, Username=name, Password=PASSWORD,
                                        ConfirmationCode=latest_code(server, pool["Id"], name))
    assert error_of(excinfo)[0] == "PasswordHistoryPolicyViolationException"
    cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_unknown_user_legacy_and_hidden(cognito: Any, server: Any, rpool: Any, legacy: str, hidden: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=legacy, Username="nobody")
    assert error_of(excinfo) == NOT_FOUND
    out = cognito.forgot_password(ClientId=hidden, Username="nobody")
    details = out["CodeDeliveryDetails"]
    assert details["DeliveryMedium"] == "EMAIL" and details["AttributeName"] == "email"
    assert details["Destination"].count("***") == 2
    assert cognito.forgot_password(ClientId=hidden, Username="nobody")["CodeDeliveryDetails"] == details
    assert outbox(server, rpool["Id"], "nobody") == []
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_forgot_password(ClientId=legacy, Username="nobody", ConfirmationCode="123456",
                                        Password=NEW_PASSWORD)
    assert error_of(excinfo) == NOT_FOUND
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_forgot_password(ClientId=hidden, Username="nobody", ConfirmationCode="123456",
                                        Password=NEW_PASSWORD)
    assert error_of(excinfo) == ("CodeMismatchException", "Invalid verification code provided, please try again.")


def test_disabled_user_legacy_and_hidden(cognito: Any, server: Any, rpool: Any, legacy: str, hidden: str) -> None:
    name = verified_user(cognito, rpool["Id"])
    cognito.admin_disable_user(UserPoolId=rpool["Id"], Username=name)
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=legacy, Username=name)
    assert error_of(excinfo) == ("NotAuthorizedException", "User is disabled.")
    assert cognito.forgot_password(ClientId=hidden, Username=name)["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert outbox(server, rpool["Id"], name) == []
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_forgot_password(ClientId=hidden, Username=name, ConfirmationCode="123456", Password=NEW_PASSWORD)
    assert error_of(excinfo)[0] == "CodeMismatchException"


def test_user_without_a_verified_channel(cognito: Any, rpool: Any, legacy: str, hidden: str) -> None:
    name = make_user(cognito, rpool["Id"], attributes={"email": "unverified@example.com"})
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=legacy, Username=name)
    assert error_of(excinfo) == NO_CHANNEL
    assert cognito.forgot_password(ClientId=hidden, Username=name)["CodeDeliveryDetails"]["AttributeName"] == "email"


@pytest.mark.parametrize("client_kind", ["legacy", "hidden"])
def test_force_change_password_user_cannot_reset(cognito: Any, rpool: Any, client_kind: str,
                                                 request: pytest.FixtureRequest) -> None:
    client = request.getfixturevalue(client_kind)
    name = unique()
    cognito.admin_create_user(UserPoolId=rpool["Id"], Username=name, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": "t@example.com"},
                                              {"Name": "email_verified", "Value": "true"}])
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=client, Username=name)
    assert error_of(excinfo) == WRONG_STATE


def test_unconfirmed_user_without_verified_channel(cognito: Any, rpool: Any, legacy: str) -> None:
    name = unique()
    cognito.sign_up(ClientId=legacy, Username=name, Password=PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": "u@example.com"}])
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=legacy, Username=name)
    assert error_of(excinfo) == NO_CHANNEL


def test_account_recovery_setting_picks_the_channel_and_falls_back(cognito: Any, server: Any) -> None:
    pool = cognito.create_user_pool(PoolName=unique("rec-setting"), AccountRecoverySetting={"RecoveryMechanisms": [
        {"Priority": 1, "Name": "verified_phone_number"}, {"Priority": 2, "Name": "verified_email"}]})["UserPool"]
    client = make_client(cognito, pool["Id"])["ClientId"]
    both = make_user(cognito, pool["Id"], attributes={
        "email": "v@example.com", "email_verified": "true", "phone_number": "+14325550276",
        "phone_number_verified": "true"})
    details = cognito.forgot_password(ClientId=client, Username=both)["CodeDeliveryDetails"]
    assert details == {"Destination": "+*******0276", "DeliveryMedium": "SMS", "AttributeName": "phone_number"}
    assert outbox(server, pool["Id"], both)[0]["deliveryMedium"] == "SMS"
    email_only = verified_user(cognito, pool["Id"], email="w@example.com")
    assert cognito.forgot_password(ClientId=client, Username=email_only)["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_legacy_rule_prefers_a_verified_phone(cognito: Any, rpool: Any, legacy: str) -> None:
    name = make_user(cognito, rpool["Id"], attributes={
        "email": "x@example.com", "email_verified": "true", "phone_number": "+14325551234",
        "phone_number_verified": "true"})
    assert cognito.forgot_password(ClientId=legacy, Username=name)["CodeDeliveryDetails"]["DeliveryMedium"] == "SMS"


def test_admin_only_recovery_refuses_self_service(cognito: Any) -> None:
    pool = cognito.create_user_pool(PoolName=unique("rec-admin"), AccountRecoverySetting={
        "RecoveryMechanisms": [{"Priority": 1, "Name": "admin_only"}]})["UserPool"]
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = verified_user(cognito, pool["Id"])
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=client, Username=name)
    assert error_of(excinfo) == ("NotAuthorizedException", "Contact administrator to reset password.")
    cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_secret_hash_is_required_when_the_client_has_a_secret(cognito: Any, rpool: Any) -> None:
    client = make_client(cognito, rpool["Id"], GenerateSecret=True)
    name = verified_user(cognito, rpool["Id"])
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=client["ClientId"], Username=name)
    assert error_of(excinfo)[0] == "NotAuthorizedException"
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=client["ClientId"], Username=name, SecretHash="d3Jvbmc=")
    assert error_of(excinfo) == ("NotAuthorizedException", f"Unable to verify secret hash for client {client['ClientId']}")
    digest = hmac.new(client["ClientSecret"].encode(), (name + client["ClientId"]).encode(), hashlib.sha256).digest()
    out = cognito.forgot_password(ClientId=client["ClientId"], Username=name,
                                  SecretHash=base64.b64encode(digest).decode())
    assert out["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"


def test_unknown_client_raises_resource_not_found(cognito: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId="abcdefghijklmnopqrstuvwxyz", Username="x")
    assert error_of(excinfo) == ("ResourceNotFoundException", "User pool client abcdefghijklmnopqrstuvwxyz does not exist.")


def test_attempts_are_limited_per_user_counting_both_operations(cognito: Any, server: Any, rpool: Any,
                                                                legacy: str) -> None:
    name = verified_user(cognito, rpool["Id"])
    for _ in range(3):
        cognito.forgot_password(ClientId=legacy, Username=name)
    for _ in range(2):
        with pytest.raises(ClientError) as excinfo:
            cognito.confirm_forgot_password(ClientId=legacy, Username=name, ConfirmationCode="000000",
                                            Password=NEW_PASSWORD)
        assert error_of(excinfo)[0] in ("CodeMismatchException",)
    for call in (
        lambda: cognito.forgot_password(ClientId=legacy, Username=name),
        lambda: cognito.confirm_forgot_password(ClientId=legacy, Username=name, Password=NEW_PASSWORD,
                                                ConfirmationCode=latest_code(server, rpool["Id"], name)),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == LIMIT


def test_boto3_retries_of_limit_exceeded_count_as_attempts(server: Any, rpool: Any, legacy: str, cognito: Any) -> None:
    import boto3
    from botocore.config import Config

    client = boto3.client("cognito-idp", endpoint_url=server.url, region_name="us-east-1",
                          aws_access_key_id="a", aws_secret_access_key="b",
                          config=Config(retries={"mode": "standard", "total_max_attempts": 3}))
    name = verified_user(cognito, rpool["Id"])
    for _ in range(5):
        client.forgot_password(ClientId=legacy, Username=name)
    with pytest.raises(ClientError) as excinfo:
        client.forgot_password(ClientId=legacy, Username=name)
    assert error_of(excinfo) == LIMIT
    assert excinfo.value.response["ResponseMetadata"]["RetryAttempts"] == 2


def test_admin_reset_user_password_requires_a_reset(cognito: Any, server: Any, rpool: Any, legacy: str) -> None:
    name = verified_user(cognito, rpool["Id"])
    cognito.admin_reset_user_password(UserPoolId=rpool["Id"], Username=name)
    assert cognito.admin_get_user(UserPoolId=rpool["Id"], Username=name)["UserStatus"] == "RESET_REQUIRED"
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, legacy, name)
    assert error_of(excinfo) == ("PasswordResetRequiredException", "Password reset required for the user")
    message = outbox(server, rpool["Id"], name)[0]
    assert message["triggerSource"] == "CustomMessage_ForgotPassword"
    cognito.confirm_forgot_password(ClientId=legacy, Username=name, ConfirmationCode=message["code"],
                                    Password=NEW_PASSWORD)
    assert cognito.admin_get_user(UserPoolId=rpool["Id"], Username=name)["UserStatus"] == "CONFIRMED"
    assert sign_in(cognito, legacy, name, NEW_PASSWORD)["AuthenticationResult"]


def test_admin_reset_user_password_errors(cognito: Any, rpool: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_reset_user_password(UserPoolId=rpool["Id"], Username="nobody")
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    disabled = verified_user(cognito, rpool["Id"])
    cognito.admin_disable_user(UserPoolId=rpool["Id"], Username=disabled)
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_reset_user_password(UserPoolId=rpool["Id"], Username=disabled)
    assert error_of(excinfo) == ("NotAuthorizedException", "User is disabled.")
    fresh = unique()
    cognito.admin_create_user(UserPoolId=rpool["Id"], Username=fresh, MessageAction="SUPPRESS")
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_reset_user_password(UserPoolId=rpool["Id"], Username=fresh)
    assert error_of(excinfo) == WRONG_STATE
    channel_less = make_user(cognito, rpool["Id"])
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_reset_user_password(UserPoolId=rpool["Id"], Username=channel_less)
    assert error_of(excinfo) == NO_CHANNEL


def test_two_concurrent_confirmations_with_one_code_exactly_one_wins(server: Any, cognito: Any, rpool: Any,
                                                                     legacy: str) -> None:
    name = verified_user(cognito, rpool["Id"])
    cognito.forgot_password(ClientId=legacy, Username=name)
    code = latest_code(server, rpool["Id"], name)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def confirm(password: str) -> None:
        client = server.client()
        barrier.wait()
        try:
            client.confirm_forgot_password(ClientId=legacy, Username=name, ConfirmationCode=code, Password=password)
            results.append("ok")
        except ClientError as exc:
            results.append(exc.response["Error"]["Code"])

    threads = [threading.Thread(target=confirm, args=(p,)) for p in ("Racer-One-11", "Racer-Two-22")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ExpiredCodeException", "ok"]


def test_auth_events_record_recovery_with_the_context_data(cognito: Any, server: Any) -> None:
    pool = cognito.create_user_pool(PoolName=unique("rec-events"), UserPoolTier="PLUS",
                                    UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"})["UserPool"]
    client = make_client(cognito, pool["Id"])["ClientId"]
    name = verified_user(cognito, pool["Id"])
    cognito.forgot_password(ClientId=client, Username=name,
                            UserContextData={"IpAddress": "203.0.113.7", "EncodedData": "ZGV2aWNl"},
                            AnalyticsMetadata={"AnalyticsEndpointId": "endpoint-1"},
                            ClientMetadata={"flow": "recovery"})
    with pytest.raises(ClientError):
        cognito.confirm_forgot_password(ClientId=client, Username=name, ConfirmationCode="000000"
                                        if latest_code(server, pool["Id"], name) != "000000" else "111111",
                                        Password=NEW_PASSWORD)
    events = cognito.admin_list_user_auth_events(UserPoolId=pool["Id"], Username=name, MaxResults=10)["AuthEvents"]
    assert [(e["EventType"], e["EventResponse"]) for e in events] == [("PasswordChange", "Fail"), ("ForgotPassword", "Pass")]
    assert events[1]["EventContextData"]["IpAddress"] == "203.0.113.7"
    assert "EventRisk" not in events[1]  # recovery events are not assessed: EventRisk is never made up
    first_page = cognito.admin_list_user_auth_events(UserPoolId=pool["Id"], Username=name, MaxResults=1)
    assert first_page["AuthEvents"][0]["EventId"] == events[0]["EventId"]
    assert first_page["NextToken"].startswith(events[0]["EventId"] + "#")
    second = cognito.admin_list_user_auth_events(UserPoolId=pool["Id"], Username=name, MaxResults=1,
                                                 NextToken=first_page["NextToken"])
    assert second["AuthEvents"][0]["EventId"] == events[1]["EventId"]
    cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_auth_events_need_threat_protection_as_in_cognito(cognito: Any, rpool: Any) -> None:
    name = verified_user(cognito, rpool["Id"])
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_list_user_auth_events(UserPoolId=rpool["Id"], Username=name)
    assert error_of(excinfo)[0] == "UserPoolAddOnNotEnabledException"


def test_a_simulated_answer_cannot_be_told_apart_by_its_timing(server_factory: Any) -> None:
    """Median latency of ForgotPassword for real users and for names that do not exist, interleaved."""
    server = server_factory("sqlite", extra_args=["--recovery-requests-per-second", "0"])
    cognito = server.client()
    rpool = cognito.create_user_pool(PoolName=unique("timing"))["UserPool"]
    hidden = make_client(cognito, rpool["Id"], PreventUserExistenceErrors="ENABLED")["ClientId"]
    real_users = [verified_user(cognito, rpool["Id"], email=f"t{i}@example.com") for i in range(12)]
    real: list[float] = []
    fake: list[float] = []
    for round_ in range(3):
        for i, name in enumerate(real_users):
            for target, bucket in ((name, real), (f"ghost-{round_}-{i}", fake)):
                started = time.perf_counter()
                cognito.forgot_password(ClientId=hidden, Username=target)
                bucket.append(time.perf_counter() - started)
    real_median, fake_median = statistics.median(real), statistics.median(fake)
    spread = statistics.median(abs(x - real_median) for x in real)  # the noise of the real answers
    assert abs(real_median - fake_median) <= max(3 * spread, 0.002), (real_median, fake_median, spread)


def test_the_pools_recovery_rate_answers_too_many_requests(server_factory: Any) -> None:
    import httpx

    server = server_factory("sqlite", extra_args=["--rate-limits", "on", "--recovery-requests-per-second", "3"])
    cognito = server.client()
    pool = cognito.create_user_pool(PoolName=unique("rate"))["UserPool"]
    client = make_client(cognito, pool["Id"], PreventUserExistenceErrors="ENABLED")["ClientId"]
    httpx.post(f"{server.url}/_userpools/clock", json={"freeze": True}).raise_for_status()
    for i in range(3):
        cognito.forgot_password(ClientId=client, Username=f"someone-{i}")
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=client, Username="one-too-many")
    assert error_of(excinfo) == ("TooManyRequestsException", "Rate exceeded")
    httpx.post(f"{server.url}/_userpools/clock", json={"advanceSeconds": 1}).raise_for_status()
    cognito.forgot_password(ClientId=client, Username="next-second")


@pytest.mark.parametrize("client_kind", ["legacy", "hidden"])
def test_reset_required_user_gets_a_code_in_both_modes(cognito: Any, server: Any, rpool: Any, client_kind: str,
                                                       request: pytest.FixtureRequest) -> None:
    client = request.getfixturevalue(client_kind)
    name = verified_user(cognito, rpool["Id"])
    cognito.admin_reset_user_password(UserPoolId=rpool["Id"], Username=name)
    before = len(outbox(server, rpool["Id"], name))
    out = cognito.forgot_password(ClientId=client, Username=name)
    assert out["CodeDeliveryDetails"] == {"Destination": "r***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    assert len(outbox(server, rpool["Id"], name)) == before + 1
    cognito.confirm_forgot_password(ClientId=client, Username=name, Password=NEW_PASSWORD,
                                    ConfirmationCode=latest_code(server, rpool["Id"], name))
    assert cognito.admin_get_user(UserPoolId=rpool["Id"], Username=name)["UserStatus"] == "CONFIRMED"


def test_confirmed_user_under_hidden_existence_gets_a_real_code(cognito: Any, server: Any, rpool: Any,
                                                                hidden: str) -> None:
    name = verified_user(cognito, rpool["Id"])
    cognito.forgot_password(ClientId=hidden, Username=name)
    assert outbox(server, rpool["Id"], name)[0]["triggerSource"] == "CustomMessage_ForgotPassword"
    assert cognito.admin_get_user(UserPoolId=rpool["Id"], Username=name)["UserStatus"] == "CONFIRMED"
    assert sign_in(cognito, make_client(cognito, rpool["Id"])["ClientId"], name)["AuthenticationResult"]


def test_confirm_without_any_code_requested(cognito: Any, rpool: Any, legacy: str, hidden: str) -> None:
    name = verified_user(cognito, rpool["Id"])
    for client in (legacy, hidden):
        with pytest.raises(ClientError) as excinfo:
            cognito.confirm_forgot_password(ClientId=client, Username=name, ConfirmationCode="123456",
                                            Password=NEW_PASSWORD)
        assert error_of(excinfo) == ("ExpiredCodeException", "Invalid code provided, please request a code again.")


@pytest.mark.parametrize("client_kind", ["legacy", "hidden"])
def test_external_provider_user_cannot_reset(server_factory: Any, client_kind: str) -> None:
    """No operation makes federated users yet, so the state is set in the database the server uses."""
    import sqlite3

    srv = server_factory("sqlite")
    cognito = srv.client()
    pool = cognito.create_user_pool(PoolName=unique("external"))["UserPool"]
    extra = {"PreventUserExistenceErrors": "ENABLED"} if client_kind == "hidden" else {}
    client = make_client(cognito, pool["Id"], **extra)["ClientId"]
    name = verified_user(cognito, pool["Id"])
    with sqlite3.connect(srv.data_dir / "userpools.db") as db:
        db.execute("UPDATE users SET status = 'EXTERNAL_PROVIDER' WHERE username = ?", (name,))
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=client, Username=name)
    assert error_of(excinfo) == WRONG_STATE

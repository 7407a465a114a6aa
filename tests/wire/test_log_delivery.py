"""Log delivery: SetLogDeliveryConfiguration / GetLogDeliveryConfiguration, their rules and tiers, and the JSON
lines written to the destinations' files under the log directory, read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from accounts import PASSWORD, make_client, make_user, sign_in, unique
from botocore.exceptions import ClientError
from server import free_port
from test_pools import error_of

GROUP = "arn:aws:logs:us-east-1:000000000000:log-group:/userpools/auth-events"
ERRORS = "arn:aws:logs:us-east-1:000000000000:log-group:delivery-errors"
STREAM = "arn:aws:firehose:us-east-1:000000000000:deliverystream/auth-stream"
BUCKET = "arn:aws:s3:::audit-bucket"


def plus_pool(cognito: Any, mode: str = "ENFORCED", tier: str = "PLUS") -> str:
    addons = {"UserPoolAddOns": {"AdvancedSecurityMode": mode}} if mode != "OFF" else {}
    return str(cognito.create_user_pool(PoolName=unique("logs"), UserPoolTier=tier, **addons)["UserPool"]["Id"])


def auth_events(destination: dict[str, Any]) -> dict[str, Any]:
    return {"LogLevel": "INFO", "EventSource": "userAuthEvents", **destination}


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_set_and_get_replace_the_whole_configuration(cognito: Any) -> None:
    pool_id = plus_pool(cognito)
    assert cognito.get_log_delivery_configuration(UserPoolId=pool_id)["LogDeliveryConfiguration"] == {
        "UserPoolId": pool_id, "LogConfigurations": []}
    both = [
        {"LogLevel": "ERROR", "EventSource": "userNotification",
         "CloudWatchLogsConfiguration": {"LogGroupArn": ERRORS}},
        auth_events({"FirehoseConfiguration": {"StreamArn": STREAM}}),
    ]
    out = cognito.set_log_delivery_configuration(UserPoolId=pool_id, LogConfigurations=both)
    assert out["LogDeliveryConfiguration"] == {"UserPoolId": pool_id, "LogConfigurations": both}
    assert cognito.get_log_delivery_configuration(UserPoolId=pool_id)["LogDeliveryConfiguration"][
        "LogConfigurations"] == both
    cognito.set_log_delivery_configuration(UserPoolId=pool_id, LogConfigurations=both[1:])
    assert cognito.get_log_delivery_configuration(UserPoolId=pool_id)["LogDeliveryConfiguration"][
        "LogConfigurations"] == both[1:]
    cognito.set_log_delivery_configuration(UserPoolId=pool_id, LogConfigurations=[])
    assert cognito.get_log_delivery_configuration(UserPoolId=pool_id)["LogDeliveryConfiguration"][
        "LogConfigurations"] == []


@pytest.mark.parametrize(("configuration", "code"), [
    ({"LogLevel": "INFO", "EventSource": "userNotification", "CloudWatchLogsConfiguration": {"LogGroupArn": ERRORS}},
     "InvalidParameterException"),
    ({"LogLevel": "ERROR", "EventSource": "userNotification", "S3Configuration": {"BucketArn": BUCKET}},
     "InvalidParameterException"),
    ({"LogLevel": "INFO", "EventSource": "userAuthEvents"}, "InvalidParameterException"),
    (auth_events({"S3Configuration": {"BucketArn": BUCKET}, "FirehoseConfiguration": {"StreamArn": STREAM}}),
     "InvalidParameterException"),
    (auth_events({"FirehoseConfiguration": {"StreamArn": "arn:aws:s3:::not-a-stream"}}), "InvalidParameterException"),
])
def test_invalid_configurations_are_refused(cognito: Any, configuration: dict[str, Any], code: str) -> None:
    pool_id = plus_pool(cognito)
    with pytest.raises(ClientError) as excinfo:
        cognito.set_log_delivery_configuration(UserPoolId=pool_id, LogConfigurations=[configuration])
    assert error_of(excinfo)[0] == code


def test_tiers_and_unknown_pool(cognito: Any) -> None:
    essentials = plus_pool(cognito, mode="OFF", tier="ESSENTIALS")
    with pytest.raises(ClientError) as excinfo:
        cognito.set_log_delivery_configuration(UserPoolId=essentials, LogConfigurations=[
            auth_events({"CloudWatchLogsConfiguration": {"LogGroupArn": GROUP}})])
    assert error_of(excinfo)[0] == "FeatureUnavailableInTierException"
    cognito.set_log_delivery_configuration(UserPoolId=essentials, LogConfigurations=[
        {"LogLevel": "ERROR", "EventSource": "userNotification",
         "CloudWatchLogsConfiguration": {"LogGroupArn": ERRORS}}])
    with pytest.raises(ClientError) as excinfo:
        cognito.get_log_delivery_configuration(UserPoolId="us-east-1_doesNotEx")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


@pytest.mark.parametrize(("destination", "relative"), [
    ({"CloudWatchLogsConfiguration": {"LogGroupArn": GROUP}}, "cloudwatch/userpools/auth-events.jsonl"),
    ({"FirehoseConfiguration": {"StreamArn": STREAM}}, "firehose/auth-stream.jsonl"),
    ({"S3Configuration": {"BucketArn": BUCKET}}, "s3/audit-bucket/userAuthEvents"),
])
def test_auth_events_are_written_as_json_lines(server: Any, cognito: Any, destination: dict[str, Any],
                                               relative: str) -> None:
    pool_id = plus_pool(cognito)
    cognito.set_log_delivery_configuration(UserPoolId=pool_id, LogConfigurations=[auth_events(destination)])
    client_id = make_client(cognito, pool_id)["ClientId"]
    name = make_user(cognito, pool_id)
    with pytest.raises(ClientError):
        sign_in(cognito, client_id, name, "Wrong-Password-1")
    sign_in(cognito, client_id, name, PASSWORD)
    target = server.data_dir / "logs" / relative
    files = sorted(target.rglob("*.jsonl")) if target.suffix != ".jsonl" else [target]
    assert len(files) == 1
    mine = [r for r in read_lines(files[0]) if r["userPoolId"] == pool_id]
    assert [(r["eventType"], r["eventResponse"]) for r in mine] == [("SignIn", "Fail"), ("SignIn", "Pass")]
    passed = mine[1]
    events = cognito.admin_list_user_auth_events(UserPoolId=pool_id, Username=name)["AuthEvents"]
    assert passed["eventId"] == events[0]["EventId"]
    assert passed["eventSource"] == "USER_AUTH_EVENTS" and passed["logLevel"] == "INFO"
    assert passed["clientId"] == client_id and passed["userName"] == name
    assert passed["riskDecision"] == "NoRisk" and passed["compromisedCredentialDetected"] is False
    assert passed["ipAddress"] == "127.0.0.1" and int(passed["eventTimestamp"]) > 0
    assert "riskDecision" not in mine[0]


def test_delivery_errors_go_to_the_user_notification_log(server_factory: Any, tmp_path: Path) -> None:
    broken = server_factory("sqlite", extra_args=["--smtp-url", f"smtp://127.0.0.1:{free_port()}",
                                                  "--log-dir", str(tmp_path / "elsewhere")])
    cognito = broken.client()
    pool_id = cognito.create_user_pool(PoolName=unique("logs"), AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
    cognito.set_log_delivery_configuration(UserPoolId=pool_id, LogConfigurations=[
        {"LogLevel": "ERROR", "EventSource": "userNotification",
         "CloudWatchLogsConfiguration": {"LogGroupArn": ERRORS}}])
    client_id = make_client(cognito, pool_id)["ClientId"]
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client_id, Username=unique(), Password=PASSWORD,
                        UserAttributes=[{"Name": "email", "Value": "lost@example.com"}])
    assert error_of(excinfo)[0] == "CodeDeliveryFailureException"
    lines = read_lines(tmp_path / "elsewhere" / "cloudwatch" / "delivery-errors.jsonl")
    assert len(lines) == 1
    assert lines[0]["eventSource"] == "USER_NOTIFICATION" and lines[0]["logLevel"] == "ERROR"
    assert lines[0]["userPoolId"] == pool_id and lines[0]["deliveryMedium"] == "EMAIL"
    assert "l***@e***" in lines[0]["message"]  # the masked address, never the full one

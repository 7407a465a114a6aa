"""The local account-takeover rule, the IP ranges and the notification placeholders (domain.risk), the log
destinations' mapping (delivery.logs) and the client address behind trusted proxies (app.client_ip)."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.requests import Request

from userpools.app import client_ip
from userpools.delivery.logs import destination_path
from userpools.domain import risk
from userpools.domain.records import AuthEventRecord
from userpools.errors import InvalidParameterException

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def event(response: str, ip: str, device: str = "UA/1", minutes_ago: int = 30, feedback: str | None = None,
          kind: str = "SignIn") -> AuthEventRecord:
    return AuthEventRecord(
        id=f"e{minutes_ago}{ip}", pool_id="p", username_key="u", event_type=kind,
        created_at=NOW - timedelta(minutes=minutes_ago), response=response,
        context={"IpAddress": ip, "DeviceName": device},
        feedback={"FeedbackValue": feedback} if feedback else None,
    )


def test_a_first_sign_in_is_no_risk() -> None:
    assert risk.assess([], ip="192.0.2.1", device="UA/1", now=NOW).level is None
    # failures alone, with nothing known yet, make nothing new
    assert risk.assess([event("Fail", "192.0.2.9")], ip="192.0.2.1", device="UA/1", now=NOW).level is None


def test_known_address_and_device_are_no_risk() -> None:
    history = [event("Pass", "192.0.2.1")]
    assert risk.assess(history, ip="192.0.2.1", device="UA/1", now=NOW).level is None


@pytest.mark.parametrize(("history", "ip", "device", "level"), [
    ([event("Pass", "192.0.2.1")], "192.0.2.2", "UA/1", "Low"),  # new address
    ([event("Pass", "192.0.2.1")], "192.0.2.1", "UA/2", "Low"),  # new device
    ([event("Fail", "198.51.100.1", minutes_ago=5), event("Pass", "192.0.2.1")], "192.0.2.2", "UA/1", "Medium"),
    ([event("Fail", "192.0.2.2", minutes_ago=5), event("Pass", "192.0.2.1")], "192.0.2.2", "UA/2", "High"),
    # a failure older than the window no longer counts
    ([event("Fail", "198.51.100.1", minutes_ago=90), event("Pass", "192.0.2.1")], "192.0.2.2", "UA/1", "Low"),
    # Invalid feedback takes the sign-in's address out of the known ones
    ([event("Pass", "192.0.2.2", minutes_ago=10, feedback="Invalid"), event("Pass", "192.0.2.1")], "192.0.2.2",
     "UA/1", "Low"),
    # events of other kinds do not count
    ([event("Pass", "192.0.2.2", kind="ForgotPassword"), event("Pass", "192.0.2.1")], "192.0.2.2", "UA/1", "Low"),
])
def test_levels(history: list[AuthEventRecord], ip: str, device: str, level: str) -> None:
    assert risk.assess(history, ip=ip, device=device, now=NOW).level == level


def test_ranges() -> None:
    assert risk.in_ranges("203.0.113.9", ["203.0.113.0/24"])
    assert risk.in_ranges("2001:db8::1", ["10.0.0.0/8", "2001:db8::/32"])
    assert not risk.in_ranges("203.0.114.9", ["203.0.113.0/24"])
    assert not risk.in_ranges("not-an-ip", ["0.0.0.0/0"])
    assert not risk.in_ranges(None, ["0.0.0.0/0"])
    with pytest.raises(InvalidParameterException):
        risk.check_configuration({"RiskExceptionConfiguration": {"SkippedIPRangeList": ["10.0.0.0/33"]}})


def test_actions_and_templates() -> None:
    config = {"AccountTakeoverRiskConfiguration": {
        "Actions": {"HighAction": {"Notify": True, "EventAction": "MFA_REQUIRED"}},
        "NotifyConfiguration": {"SourceArn": "arn", "MfaEmail": {"Subject": "MFA for {username}"}}}}
    assert risk.takeover_action(config, "High") == ("MFA_REQUIRED", True)
    assert risk.takeover_action(config, "Low") == ("NO_ACTION", False)
    assert risk.email_template(config, "MFA_REQUIRED") == ("MfaEmail", {"Subject": "MFA for {username}"})
    assert risk.email_template(config, "BLOCK")[1]["Subject"] == "Blocked sign-in attempt"
    assert risk.fill("<b>{username}</b> {ip-address}", {"username": "<x>", "ip-address": "1.2.3.4"},
                     escape=True) == "<b>&lt;x&gt;</b> 1.2.3.4"
    assert risk.compromised_action({}, "SIGN_IN") is None
    only_signup = {"CompromisedCredentialsRiskConfiguration": {"EventFilter": ["SIGN_UP"],
                                                               "Actions": {"EventAction": "BLOCK"}}}
    assert risk.compromised_action(only_signup, "SIGN_UP") == "BLOCK"
    assert risk.compromised_action(only_signup, "SIGN_IN") is None


def test_log_destinations_stay_under_the_log_directory() -> None:
    root = Path("/logs")
    group = {"CloudWatchLogsConfiguration": {"LogGroupArn": "arn:aws:logs:us-east-1:1:log-group:../../etc/x"}}
    assert destination_path(root, group, event_source="userAuthEvents", at=NOW) == root / "cloudwatch/etc/x.jsonl"
    bucket = {"S3Configuration": {"BucketArn": "arn:aws:s3:::my-bucket"}}
    assert destination_path(root, bucket, event_source="userAuthEvents", at=NOW) == (
        root / "s3/my-bucket/userAuthEvents/2026/01/01.jsonl")
    assert destination_path(root, {}, event_source="userAuthEvents", at=NOW) is None


def request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "method": "POST", "path": "/", "headers": headers, "client": (peer, 1234)})


PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)


@pytest.mark.parametrize(("peer", "forwarded", "proxies", "expected"), [
    ("192.0.2.1", "203.0.113.5", (), "192.0.2.1"),  # no trusted proxies: the header is ignored
    ("192.0.2.1", "203.0.113.5", PROXIES, "192.0.2.1"),  # an untrusted peer's header is ignored
    ("10.0.0.1", "203.0.113.5", PROXIES, "203.0.113.5"),
    ("10.0.0.1", "6.6.6.6, 203.0.113.5, 10.9.9.9", PROXIES, "203.0.113.5"),  # the first untrusted hop
    ("10.0.0.1", "garbage", PROXIES, "10.0.0.1"),
    ("10.0.0.1", None, PROXIES, "10.0.0.1"),
])
def test_client_ip(peer: str, forwarded: str | None, proxies: tuple[ipaddress.IPv4Network, ...],
                   expected: str) -> None:
    assert client_ip(request(peer, forwarded), proxies) == expected

"""Account takeover: the local risk rule (docs/compatibility.md) drives the configured action per level, the
notification email goes out by SMTP with Cognito's placeholders filled, and its one-click feedback link is
recorded as the event's feedback. The client's address and device come from a server-side app's ContextData."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from accounts import PASSWORD, make_client, make_user, unique
from botocore.exceptions import ClientError
from smtp_server import SmtpServer
from test_pools import error_of


@pytest.fixture(scope="module")
def smtp() -> Any:
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def notifying(server_factory: Any, smtp: Any, request: pytest.FixtureRequest) -> Any:
    return server_factory(request.param, extra_args=["--smtp-url", smtp.url()])


def drain(smtp: Any) -> None:
    while not smtp.received.empty():
        smtp.received.get_nowait()


NOTIFY = {
    "From": "Security <security@example.com>",
    "ReplyTo": "help@example.com",
    "SourceArn": "arn:aws:ses:us-east-1:000000000000:identity/security@example.com",
    "NoActionEmail": {"Subject": "New sign-in for {username}",
                      "TextBody": "From {ip-address} on {device-name} at {login-time} ({city}, {country}). "
                                  "Mine: {one-click-link-valid} Not mine: {one-click-link-invalid}"},
    "BlockEmail": {"Subject": "Blocked sign-in for {username}",
                   "TextBody": "Blocked {ip-address}. Mine: {one-click-link-valid} Not mine: {one-click-link-invalid}"},
}


def setup(cognito: Any, actions: dict[str, Any]) -> tuple[str, str, str]:
    pool_id = cognito.create_user_pool(
        PoolName=unique("ato"), UserPoolTier="PLUS", UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"},
    )["UserPool"]["Id"]
    cognito.set_risk_configuration(UserPoolId=pool_id, AccountTakeoverRiskConfiguration={
        "NotifyConfiguration": NOTIFY, "Actions": actions})
    client_id = make_client(cognito, pool_id)["ClientId"]
    name = make_user(cognito, pool_id, attributes={"email": f"{unique('owner')}@example.com",
                                                   "email_verified": "true"})
    return pool_id, client_id, name


def admin_sign_in(cognito: Any, pool_id: str, client_id: str, name: str, ip: str, agent: str = "Browser/1.0",
                  password: str = PASSWORD) -> dict[str, Any]:
    return dict(cognito.admin_initiate_auth(
        UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": password},
        ContextData={"IpAddress": ip, "ServerName": "app.example.com", "ServerPath": "/login",
                     "HttpHeaders": [{"headerName": "User-Agent", "headerValue": agent}]},
    ))


def latest_event(cognito: Any, pool_id: str, name: str) -> dict[str, Any]:
    return dict(cognito.admin_list_user_auth_events(UserPoolId=pool_id, Username=name)["AuthEvents"][0])


def test_low_risk_notifies_and_the_one_click_link_records_feedback(notifying: Any, smtp: Any) -> None:
    cognito = notifying.client()
    pool_id, client_id, name = setup(cognito, {
        "LowAction": {"Notify": True, "EventAction": "NO_ACTION"},
        "MediumAction": {"Notify": True, "EventAction": "BLOCK"},
        "HighAction": {"Notify": True, "EventAction": "BLOCK"},
    })
    drain(smtp)
    admin_sign_in(cognito, pool_id, client_id, name, "192.0.2.1")  # the first: nothing known yet
    assert latest_event(cognito, pool_id, name)["EventRisk"]["RiskDecision"] == "NoRisk"
    admin_sign_in(cognito, pool_id, client_id, name, "192.0.2.1")  # known address and device
    assert "RiskLevel" not in latest_event(cognito, pool_id, name)["EventRisk"]
    smtp.assert_nothing_received()

    assert "AuthenticationResult" in admin_sign_in(cognito, pool_id, client_id, name, "192.0.2.77")
    event = latest_event(cognito, pool_id, name)
    assert event["EventRisk"] == {"RiskDecision": "AccountTakeover", "RiskLevel": "Low",
                                  "CompromisedCredentialsDetected": False}
    received = smtp.next_message()
    assert received.message["Subject"] == f"New sign-in for {name}"
    assert "security@example.com" in received.message["From"]
    assert received.message["Reply-To"] == "help@example.com"
    text = received.message.get_content()
    assert "From 192.0.2.77 on Browser/1.0" in text
    invalid = re.search(r"Not mine: (\S+)", text)
    assert invalid is not None
    followed = httpx.get(invalid.group(1))
    assert followed.status_code == 200, followed.text
    feedback = latest_event(cognito, pool_id, name)["EventFeedback"]
    assert feedback["FeedbackValue"] == "Invalid" and feedback["Provider"] == "User"
    # The link's token is the FeedbackToken UpdateAuthEventFeedback takes.
    token = re.search(r"feedbackToken=([\w-]+)", invalid.group(1))
    assert token is not None
    cognito.update_auth_event_feedback(UserPoolId=pool_id, Username=name, EventId=event["EventId"],
                                       FeedbackToken=token.group(1), FeedbackValue="Valid")
    assert latest_event(cognito, pool_id, name)["EventFeedback"]["FeedbackValue"] == "Valid"
    # A tampered link is refused.
    other_id = event["EventId"][:-1] + ("1" if event["EventId"][-1] == "0" else "0")
    tampered = httpx.get(invalid.group(1).replace(event["EventId"], other_id))
    assert tampered.status_code == 400


def test_medium_risk_after_failures_blocks_and_sends_the_block_email(notifying: Any, smtp: Any) -> None:
    cognito = notifying.client()
    pool_id, client_id, name = setup(cognito, {
        "LowAction": {"Notify": False, "EventAction": "NO_ACTION"},
        "MediumAction": {"Notify": True, "EventAction": "BLOCK"},
        "HighAction": {"Notify": True, "EventAction": "BLOCK"},
    })
    admin_sign_in(cognito, pool_id, client_id, name, "192.0.2.1")
    drain(smtp)
    with pytest.raises(ClientError):
        admin_sign_in(cognito, pool_id, client_id, name, "198.51.100.9", password="Wrong-Password-1")
    with pytest.raises(ClientError) as excinfo:
        admin_sign_in(cognito, pool_id, client_id, name, "198.51.100.10")
    assert error_of(excinfo) == ("NotAuthorizedException", "Unable to login because of security reasons.")
    event = latest_event(cognito, pool_id, name)
    assert event["EventResponse"] == "Fail"
    assert event["EventRisk"]["RiskLevel"] == "Medium"
    assert smtp.next_message().message["Subject"] == f"Blocked sign-in for {name}"
    # The known address and device still get in.
    assert "AuthenticationResult" in admin_sign_in(cognito, pool_id, client_id, name, "192.0.2.1")


def test_high_risk_and_the_mfa_actions_without_mfa(notifying: Any) -> None:
    cognito = notifying.client()
    pool_id, client_id, name = setup(cognito, {
        "LowAction": {"Notify": False, "EventAction": "MFA_IF_CONFIGURED"},
        "MediumAction": {"Notify": False, "EventAction": "NO_ACTION"},
        "HighAction": {"Notify": False, "EventAction": "MFA_REQUIRED"},
    })
    admin_sign_in(cognito, pool_id, client_id, name, "192.0.2.1")
    # Low with MFA_IF_CONFIGURED: a user without MFA signs in.
    assert "AuthenticationResult" in admin_sign_in(cognito, pool_id, client_id, name, "192.0.2.1", "Phone/2.0")
    assert latest_event(cognito, pool_id, name)["EventRisk"]["RiskLevel"] == "Low"
    # High: a failure from this address, then a new device from it; MFA_REQUIRED cannot be met: blocked.
    with pytest.raises(ClientError):
        admin_sign_in(cognito, pool_id, client_id, name, "203.0.113.4", "Tool/9", password="Wrong-Password-1")
    with pytest.raises(ClientError) as excinfo:
        admin_sign_in(cognito, pool_id, client_id, name, "203.0.113.4", "Tool/9")
    assert error_of(excinfo)[0] == "NotAuthorizedException"
    assert latest_event(cognito, pool_id, name)["EventRisk"]["RiskLevel"] == "High"


def test_audit_mode_assesses_but_never_acts(notifying: Any, smtp: Any) -> None:
    cognito = notifying.client()
    pool_id = cognito.create_user_pool(
        PoolName=unique("ato"), UserPoolTier="PLUS", UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"},
    )["UserPool"]["Id"]
    cognito.set_risk_configuration(UserPoolId=pool_id, AccountTakeoverRiskConfiguration={
        "NotifyConfiguration": NOTIFY, "Actions": {"LowAction": {"Notify": True, "EventAction": "BLOCK"}}})
    client_id = make_client(cognito, pool_id)["ClientId"]
    name = make_user(cognito, pool_id, attributes={"email": "audit@example.com"})
    admin_sign_in(cognito, pool_id, client_id, name, "192.0.2.1")
    drain(smtp)
    assert "AuthenticationResult" in admin_sign_in(cognito, pool_id, client_id, name, "192.0.2.200")
    assert latest_event(cognito, pool_id, name)["EventRisk"]["RiskLevel"] == "Low"
    smtp.assert_nothing_received()

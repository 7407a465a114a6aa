"""Threat protection's configuration (SetRiskConfiguration, DescribeRiskConfiguration), auth-event feedback,
and the IP exception ranges at sign-in: the client IP from a trusted proxy's X-Forwarded-For, from
UserContextData (a client that propagates it) and from AdminInitiateAuth's ContextData."""

from __future__ import annotations

from typing import Any

import pytest
from accounts import PASSWORD, make_client, make_user, sign_in, unique
from botocore.exceptions import ClientError
from clients import secret_hash
from test_pools import error_of

BLOCKED = "203.0.113.0/24"
SKIPPED = "198.51.100.0/24"


def protected_pool(cognito: Any, mode: str = "ENFORCED") -> str:
    return str(cognito.create_user_pool(
        PoolName=unique("risk"), UserPoolTier="PLUS", UserPoolAddOns={"AdvancedSecurityMode": mode},
    )["UserPool"]["Id"])


def events_of(cognito: Any, pool_id: str, username: str) -> list[dict[str, Any]]:
    return list(cognito.admin_list_user_auth_events(UserPoolId=pool_id, Username=username)["AuthEvents"])


def test_risk_configuration_needs_threat_protection(cognito: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName=unique("plain"))["UserPool"]["Id"]
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_risk_configuration(UserPoolId=pool_id)
    assert error_of(excinfo)[0] == "UserPoolAddOnNotEnabledException"
    with pytest.raises(ClientError) as excinfo:
        cognito.set_risk_configuration(UserPoolId=pool_id, RiskExceptionConfiguration={
            "BlockedIPRangeList": [BLOCKED]})
    assert error_of(excinfo)[0] == "UserPoolAddOnNotEnabledException"


def test_set_describe_client_override_and_resets(cognito: Any) -> None:
    pool_id = protected_pool(cognito)
    client_id = make_client(cognito, pool_id)["ClientId"]
    assert cognito.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"] == {"UserPoolId": pool_id}
    pool_level = cognito.set_risk_configuration(
        UserPoolId=pool_id,
        CompromisedCredentialsRiskConfiguration={"EventFilter": ["SIGN_IN"], "Actions": {"EventAction": "BLOCK"}},
        RiskExceptionConfiguration={"BlockedIPRangeList": [BLOCKED]},
    )["RiskConfiguration"]
    assert pool_level["CompromisedCredentialsRiskConfiguration"]["Actions"] == {"EventAction": "BLOCK"}
    assert "LastModifiedDate" in pool_level and "ClientId" not in pool_level
    # A client without its own configuration shows the pool's.
    inherited = cognito.describe_risk_configuration(UserPoolId=pool_id, ClientId=client_id)["RiskConfiguration"]
    assert inherited["RiskExceptionConfiguration"] == {"BlockedIPRangeList": [BLOCKED]}
    assert "ClientId" not in inherited
    cognito.set_risk_configuration(UserPoolId=pool_id, ClientId=client_id,
                                   RiskExceptionConfiguration={"SkippedIPRangeList": [SKIPPED]})
    own = cognito.describe_risk_configuration(UserPoolId=pool_id, ClientId=client_id)["RiskConfiguration"]
    assert own["ClientId"] == client_id
    assert own["RiskExceptionConfiguration"] == {"SkippedIPRangeList": [SKIPPED]}
    assert "CompromisedCredentialsRiskConfiguration" not in own
    # UserPoolId + ClientId alone: the client inherits the pool's again.
    cognito.set_risk_configuration(UserPoolId=pool_id, ClientId=client_id)
    again = cognito.describe_risk_configuration(UserPoolId=pool_id, ClientId=client_id)["RiskConfiguration"]
    assert again["RiskExceptionConfiguration"] == {"BlockedIPRangeList": [BLOCKED]}
    # UserPoolId alone: the pool's configuration back to the defaults.
    assert cognito.set_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"] == {"UserPoolId": pool_id}
    assert cognito.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"] == {"UserPoolId": pool_id}


def test_set_risk_configuration_refuses_bad_input(cognito: Any) -> None:
    pool_id = protected_pool(cognito)
    with pytest.raises(ClientError) as excinfo:
        cognito.set_risk_configuration(UserPoolId=pool_id,
                                       RiskExceptionConfiguration={"BlockedIPRangeList": ["300.1.2.0/24"]})
    assert error_of(excinfo)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        cognito.set_risk_configuration(UserPoolId=pool_id, ClientId="a" * 26,
                                       RiskExceptionConfiguration={"BlockedIPRangeList": [BLOCKED]})
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.set_risk_configuration(UserPoolId=pool_id, AccountTakeoverRiskConfiguration={
            "Actions": {"HighAction": {"Notify": True, "EventAction": "BLOCK"}}})
    assert error_of(excinfo)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_risk_configuration(UserPoolId="us-east-1_doesNotEx")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_sign_ins_are_recorded_and_admin_feedback_is_kept(cognito: Any) -> None:
    pool_id = protected_pool(cognito)
    client_id = make_client(cognito, pool_id)["ClientId"]
    name = make_user(cognito, pool_id)
    with pytest.raises(ClientError):
        sign_in(cognito, client_id, name, "Wrong-Password-1")
    sign_in(cognito, client_id, name)
    events = events_of(cognito, pool_id, name)
    assert [(e["EventType"], e["EventResponse"]) for e in events] == [("SignIn", "Pass"), ("SignIn", "Fail")]
    assert events[0]["EventRisk"] == {"RiskDecision": "NoRisk", "CompromisedCredentialsDetected": False}
    assert "EventRisk" not in events[1]  # a wrong password is not assessed
    assert events[0]["EventContextData"]["IpAddress"] == "127.0.0.1"
    cognito.admin_update_auth_event_feedback(UserPoolId=pool_id, Username=name, EventId=events[0]["EventId"],
                                             FeedbackValue="Valid")
    feedback = events_of(cognito, pool_id, name)[0]["EventFeedback"]
    assert feedback["FeedbackValue"] == "Valid" and feedback["Provider"] == "Admin"
    assert "FeedbackDate" in feedback
    with pytest.raises(ClientError) as excinfo:
        cognito.update_auth_event_feedback(UserPoolId=pool_id, Username=name, EventId=events[1]["EventId"],
                                           FeedbackToken="forged-token", FeedbackValue="Invalid")
    assert error_of(excinfo)[0] == "NotAuthorizedException"
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_update_auth_event_feedback(UserPoolId=pool_id, Username=name, EventId="no-such-event",
                                                 FeedbackValue="Valid")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_update_auth_event_feedback(UserPoolId=pool_id, Username="nobody-here",
                                                 EventId=events[1]["EventId"], FeedbackValue="Valid")
    assert error_of(excinfo)[0] == "UserNotFoundException"


def test_feedback_needs_threat_protection(cognito: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName=unique("plain"))["UserPool"]["Id"]
    name = make_user(cognito, pool_id)
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_update_auth_event_feedback(UserPoolId=pool_id, Username=name, EventId="e1",
                                                 FeedbackValue="Valid")
    assert error_of(excinfo)[0] == "UserPoolAddOnNotEnabledException"


def test_blocked_range_through_user_context_data_and_context_data(cognito: Any) -> None:
    pool_id = protected_pool(cognito)
    cognito.set_risk_configuration(UserPoolId=pool_id, RiskExceptionConfiguration={
        "BlockedIPRangeList": [BLOCKED], "SkippedIPRangeList": [SKIPPED]})
    client = make_client(cognito, pool_id, GenerateSecret=True, EnablePropagateAdditionalUserContextData=True)
    plain = make_client(cognito, pool_id)["ClientId"]
    name = make_user(cognito, pool_id)
    def public(ip: str, client_id: str, secret: str | None) -> dict[str, Any]:
        params = {"USERNAME": name, "PASSWORD": PASSWORD}
        if secret:
            params["SECRET_HASH"] = secret_hash(name, client_id, secret)
        return dict(cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params,
                                          UserContextData={"IpAddress": ip}))

    with pytest.raises(ClientError) as excinfo:
        public("203.0.113.7", client["ClientId"], client["ClientSecret"])
    assert error_of(excinfo) == ("NotAuthorizedException", "Unable to login because of security reasons.")
    blocked = events_of(cognito, pool_id, name)[0]
    assert blocked["EventResponse"] == "Fail" and blocked["EventRisk"]["RiskDecision"] == "Block"
    assert blocked["EventContextData"]["IpAddress"] == "203.0.113.7"
    # A client that does not propagate UserContextData: the address the server sees counts (127.0.0.1).
    assert "AuthenticationResult" in public("203.0.113.7", plain, None)
    # A skipped range is not assessed.
    assert "AuthenticationResult" in public("198.51.100.20", client["ClientId"], client["ClientSecret"])
    assert "EventRisk" not in events_of(cognito, pool_id, name)[0]
    # A server-side app's ContextData.
    context = {"IpAddress": "203.0.113.99", "ServerName": "app.example.com", "ServerPath": "/login",
               "HttpHeaders": [{"headerName": "User-Agent", "headerValue": "Browser/1.0"}]}
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_initiate_auth(UserPoolId=pool_id, ClientId=plain, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                    AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD}, ContextData=context)
    assert error_of(excinfo)[0] == "NotAuthorizedException"
    assert events_of(cognito, pool_id, name)[0]["EventContextData"]["DeviceName"] == "Browser/1.0"


def test_audit_mode_blocks_nothing(cognito: Any) -> None:
    pool_id = protected_pool(cognito, "AUDIT")
    cognito.set_risk_configuration(UserPoolId=pool_id, RiskExceptionConfiguration={"BlockedIPRangeList": ["127.0.0.0/8"]})
    client_id = make_client(cognito, pool_id)["ClientId"]
    name = make_user(cognito, pool_id)
    assert "AuthenticationResult" in sign_in(cognito, client_id, name)


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def behind_proxy(server_factory: Any, request: pytest.FixtureRequest) -> Any:
    return server_factory(request.param, extra_args=["--trusted-proxies", "127.0.0.1/32,10.0.0.0/8"])


def forwarded_for(client: Any, value: str) -> None:
    def add(request: Any, **_: Any) -> None:
        request.headers["X-Forwarded-For"] = value
    client.meta.events.register("before-sign.cognito-idp.*", add)


def test_blocked_range_through_a_trusted_proxy(behind_proxy: Any, cognito: Any) -> None:
    proxied = behind_proxy.client()
    pool_id = protected_pool(proxied)
    proxied.set_risk_configuration(UserPoolId=pool_id, RiskExceptionConfiguration={"BlockedIPRangeList": [BLOCKED]})
    client_id = make_client(proxied, pool_id)["ClientId"]
    name = make_user(proxied, pool_id)
    forwarded_for(proxied, "203.0.113.50, 10.1.2.3")  # the client, then a trusted hop
    with pytest.raises(ClientError) as excinfo:
        sign_in(proxied, client_id, name)
    assert error_of(excinfo)[0] == "NotAuthorizedException"
    assert events_of(proxied, pool_id, name)[0]["EventContextData"]["IpAddress"] == "203.0.113.50"
    fine = behind_proxy.client()
    forwarded_for(fine, "192.0.2.8")
    assert "AuthenticationResult" in sign_in(fine, client_id, name)

    # Without --trusted-proxies the header is not believed.
    other_pool = protected_pool(cognito)
    cognito.set_risk_configuration(UserPoolId=other_pool,
                                   RiskExceptionConfiguration={"BlockedIPRangeList": [BLOCKED]})
    other_client = make_client(cognito, other_pool)["ClientId"]
    other = make_user(cognito, other_pool)
    forwarded_for(cognito, "203.0.113.50")
    assert "AuthenticationResult" in sign_in(cognito, other_client, other)
    assert events_of(cognito, other_pool, other)[0]["EventContextData"]["IpAddress"] == "127.0.0.1"


def test_a_deleted_clients_risk_configuration_is_gone_and_the_pools_stays(cognito: Any) -> None:
    pool_id = protected_pool(cognito)
    cognito.set_risk_configuration(UserPoolId=pool_id, RiskExceptionConfiguration={"BlockedIPRangeList": [BLOCKED]})
    client_id = make_client(cognito, pool_id)["ClientId"]
    cognito.set_risk_configuration(UserPoolId=pool_id, ClientId=client_id,
                                   RiskExceptionConfiguration={"SkippedIPRangeList": [SKIPPED]})
    cognito.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_risk_configuration(UserPoolId=pool_id, ClientId=client_id)
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    pool_level = cognito.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"]
    assert pool_level["RiskExceptionConfiguration"] == {"BlockedIPRangeList": [BLOCKED]}

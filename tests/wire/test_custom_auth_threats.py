"""Threat protection assesses CUSTOM_AUTH sign-ins as it does the password flows, through boto3 on both
backends: once DefineAuthChallenge issues tokens, a blocked address range refuses the sign-in and the
account-takeover rule's action applies; a custom sign-in DefineAuthChallenge fails is a failed sign-in the
takeover rule counts. The magic-code trio of ``trigger_functions`` drives the challenges; the client's
address is the server-side app's ContextData."""

from __future__ import annotations

from typing import Any

import pytest
from accounts import make_client, make_user, unique
from botocore.exceptions import ClientError
from lambda_api import LambdaApiServer
from test_account_takeover import latest_event
from test_custom_auth import CUSTOM_FLOWS, MAGIC, cognito, keep_codes, magic, triggered
from test_pools import error_of

__all__ = ["cognito", "magic", "triggered"]  # the fixtures, used by name

SECURITY = ("NotAuthorizedException", "Unable to login because of security reasons.")


def _context(ip: str, agent: str = "Browser/1.0") -> dict[str, Any]:
    return {"IpAddress": ip, "ServerName": "app.example.com", "ServerPath": "/login",
            "HttpHeaders": [{"headerName": "User-Agent", "headerValue": agent}]}


def _pool(cognito: Any, **risk: Any) -> tuple[str, str, str]:
    pool_id = cognito.create_user_pool(
        PoolName=unique("custom-risk"), LambdaConfig=MAGIC, UserPoolTier="PLUS",
        UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"},
    )["UserPool"]["Id"]
    cognito.set_risk_configuration(UserPoolId=pool_id, **risk)
    client = make_client(cognito, pool_id, ExplicitAuthFlows=CUSTOM_FLOWS)["ClientId"]
    return pool_id, client, make_user(cognito, pool_id)


def _custom_sign_in(cognito: Any, codes: list[str], pool_id: str, client: str, name: str, ip: str,
                    answers: tuple[str, ...] = ()) -> dict[str, Any]:
    """AdminInitiateAuth CUSTOM_AUTH, then each of ``answers`` (default: the right code) from ``ip``."""
    out = dict(cognito.admin_initiate_auth(UserPoolId=pool_id, ClientId=client, AuthFlow="CUSTOM_AUTH",
                                           AuthParameters={"USERNAME": name}, ContextData=_context(ip)))
    for value in answers or (None,):
        out = dict(cognito.admin_respond_to_auth_challenge(
            UserPoolId=pool_id, ClientId=client, ChallengeName="CUSTOM_CHALLENGE", Session=out["Session"],
            ChallengeResponses={"USERNAME": name, "ANSWER": value or codes[-1]}, ContextData=_context(ip),
        ))
    return out


def test_a_blocked_range_refuses_a_custom_sign_in(cognito: Any, magic: LambdaApiServer) -> None:
    codes = keep_codes(magic)
    pool_id, client, name = _pool(cognito, RiskExceptionConfiguration={"BlockedIPRangeList": ["203.0.113.0/24"]})
    with pytest.raises(ClientError) as excinfo:
        _custom_sign_in(cognito, codes, pool_id, client, name, "203.0.113.5")
    assert error_of(excinfo) == SECURITY
    event = latest_event(cognito, pool_id, name)
    assert event["EventResponse"] == "Fail"
    assert event["EventRisk"]["RiskDecision"] == "Block"
    assert event["ChallengeResponses"] == []  # no password was checked
    assert "AuthenticationResult" in _custom_sign_in(cognito, codes, pool_id, client, name, "192.0.2.1")
    assert latest_event(cognito, pool_id, name)["EventResponse"] == "Pass"


def test_takeover_risk_acts_on_custom_sign_ins_and_their_failures_count(cognito: Any,
                                                                          magic: LambdaApiServer) -> None:
    codes = keep_codes(magic)
    pool_id, client, name = _pool(cognito, AccountTakeoverRiskConfiguration={"Actions": {
        "LowAction": {"Notify": False, "EventAction": "NO_ACTION"},
        "MediumAction": {"Notify": False, "EventAction": "BLOCK"},
        "HighAction": {"Notify": False, "EventAction": "BLOCK"},
    }})
    assert "AuthenticationResult" in _custom_sign_in(cognito, codes, pool_id, client, name, "192.0.2.1")
    assert latest_event(cognito, pool_id, name)["EventRisk"]["RiskDecision"] == "NoRisk"
    # Three wrong codes from another address: DefineAuthChallenge fails the sign-in, recorded as a failure.
    with pytest.raises(ClientError) as excinfo:
        _custom_sign_in(cognito, codes, pool_id, client, name, "198.51.100.9", answers=("000000x",) * 3)
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")
    failed = latest_event(cognito, pool_id, name)
    assert (failed["EventResponse"], failed["ChallengeResponses"]) == ("Fail", [])
    # A new address after that failure is Medium risk: BLOCK.
    with pytest.raises(ClientError) as excinfo:
        _custom_sign_in(cognito, codes, pool_id, client, name, "198.51.100.10")
    assert error_of(excinfo) == SECURITY
    event = latest_event(cognito, pool_id, name)
    assert (event["EventResponse"], event["EventRisk"]["RiskLevel"]) == ("Fail", "Medium")
    # The known address still gets in.
    assert "AuthenticationResult" in _custom_sign_in(cognito, codes, pool_id, client, name, "192.0.2.1")

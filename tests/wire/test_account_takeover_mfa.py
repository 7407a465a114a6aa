"""Account takeover answered with MFA, through boto3 on both backends: MFA_IF_CONFIGURED and MFA_REQUIRED ask
a user who has a factor (here a TOTP secret, its codes computed by pyotp at the server's clock) for the MFA
challenge even though the pool's MFA is OFF; MFA_REQUIRED blocks a user without one. The auth event records
the decision: EventRisk, InProgress while the challenge waits, then the Mfa challenge's outcome."""

from __future__ import annotations

from typing import Any

import pytest
from accounts import make_client, make_user
from botocore.exceptions import ClientError
from mfa_support import ServerClock, mfa_pool, register_totp, server_clock
from test_account_takeover import admin_sign_in, latest_event
from test_pools import error_of

PASSWORD_OK = {"ChallengeName": "Password", "ChallengeResponse": "Success"}


def _pool(cognito: Any, actions: dict[str, Any]) -> tuple[str, str]:
    """A Plus pool with threat protection ENFORCED, TOTP offered but MFA OFF."""
    pool_id = mfa_pool(cognito, "OFF", totp=True, UserPoolTier="PLUS",
                       UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"})["Id"]
    cognito.set_risk_configuration(UserPoolId=pool_id, AccountTakeoverRiskConfiguration={"Actions": actions})
    return pool_id, make_client(cognito, pool_id)["ClientId"]


def _totp_user(cognito: Any, clock: ServerClock, pool_id: str, client_id: str, ip: str) -> tuple[str, str]:
    """A user whose first sign-in (from ``ip``) registers a TOTP secret; (name, secret)."""
    name = make_user(cognito, pool_id)
    first = admin_sign_in(cognito, pool_id, client_id, name, ip)
    return name, register_totp(cognito, clock, first["AuthenticationResult"]["AccessToken"])


def _answer(cognito: Any, pool_id: str, client_id: str, name: str, session: str, code: str) -> dict[str, Any]:
    return dict(cognito.admin_respond_to_auth_challenge(
        UserPoolId=pool_id, ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=session,
        ChallengeResponses={"USERNAME": name, "SOFTWARE_TOKEN_MFA_CODE": code},
    ))


def test_mfa_if_configured_asks_a_user_with_totp_for_a_code(cognito: Any, server: Any) -> None:
    with server_clock(server) as clock:
        pool_id, client_id = _pool(cognito, {"LowAction": {"Notify": False, "EventAction": "MFA_IF_CONFIGURED"}})
        name, secret = _totp_user(cognito, clock, pool_id, client_id, "192.0.2.1")
        # Known address and device: no risk, and the pool's MFA is OFF: tokens.
        assert "AuthenticationResult" in admin_sign_in(cognito, pool_id, client_id, name, "192.0.2.1")

        # A new address is Low risk: the TOTP challenge instead of tokens.
        challenge = admin_sign_in(cognito, pool_id, client_id, name, "192.0.2.77")
        assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        event = latest_event(cognito, pool_id, name)
        assert event["EventResponse"] == "InProgress"
        assert event["EventRisk"] == {"RiskDecision": "AccountTakeover", "RiskLevel": "Low",
                                      "CompromisedCredentialsDetected": False}
        assert event["ChallengeResponses"] == [PASSWORD_OK]

        wrong = clock.code(secret, offset_steps=5)
        with pytest.raises(ClientError) as excinfo:
            _answer(cognito, pool_id, client_id, name, challenge["Session"], wrong)
        assert error_of(excinfo)[0] == "CodeMismatchException"
        event = latest_event(cognito, pool_id, name)
        assert event["EventResponse"] == "Fail"
        assert event["ChallengeResponses"] == [PASSWORD_OK, {"ChallengeName": "Mfa", "ChallengeResponse": "Failure"}]

        answer = _answer(cognito, pool_id, client_id, name, challenge["Session"], clock.code(secret))
        assert "AccessToken" in answer["AuthenticationResult"]
        event = latest_event(cognito, pool_id, name)
        assert event["EventResponse"] == "Pass"
        assert event["ChallengeResponses"] == [PASSWORD_OK, {"ChallengeName": "Mfa", "ChallengeResponse": "Success"}]
        assert event["EventRisk"]["RiskLevel"] == "Low"


def test_mfa_required_challenges_a_user_with_totp_and_blocks_one_without(cognito: Any, server: Any) -> None:
    with server_clock(server) as clock:
        pool_id, client_id = _pool(cognito, {
            "LowAction": {"Notify": False, "EventAction": "NO_ACTION"},
            "MediumAction": {"Notify": False, "EventAction": "NO_ACTION"},
            "HighAction": {"Notify": False, "EventAction": "MFA_REQUIRED"},
        })
        name, secret = _totp_user(cognito, clock, pool_id, client_id, "192.0.2.1")
        plain = make_user(cognito, pool_id)
        admin_sign_in(cognito, pool_id, client_id, plain, "192.0.2.1")
        # High: a failure from an address, then a new device from it.
        for user in (name, plain):
            with pytest.raises(ClientError):
                admin_sign_in(cognito, pool_id, client_id, user, "203.0.113.4", "Tool/9", password="Wrong-Pass-1")

        challenge = admin_sign_in(cognito, pool_id, client_id, name, "203.0.113.4", "Tool/9")
        assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        event = latest_event(cognito, pool_id, name)
        assert (event["EventResponse"], event["EventRisk"]["RiskLevel"]) == ("InProgress", "High")
        answer = _answer(cognito, pool_id, client_id, name, challenge["Session"], clock.code(secret))
        assert "AccessToken" in answer["AuthenticationResult"]
        assert latest_event(cognito, pool_id, name)["EventResponse"] == "Pass"

        with pytest.raises(ClientError) as excinfo:  # no factor to answer with: blocked
            admin_sign_in(cognito, pool_id, client_id, plain, "203.0.113.4", "Tool/9")
        assert error_of(excinfo) == ("NotAuthorizedException", "Unable to login because of security reasons.")
        event = latest_event(cognito, pool_id, plain)
        assert (event["EventResponse"], event["EventRisk"]["RiskLevel"]) == ("Fail", "High")

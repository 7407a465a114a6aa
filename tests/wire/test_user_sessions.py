"""User sessions through boto3: the pool's and a client's session configuration, token sessions (refresh-token
families) and hosted SSO sessions listed, refreshed, revoked and evicted at MaxPerUser; every test on SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest
from accounts import make_client, make_user, sign_in
from botocore.config import Config
from oauthkit import (
    DomainPool,
    authorize,
    code_from,
    domain_pool,
    frozen_clock,
    new_browser,
    redeem,
    sign_in_through_form,
)

__all__ = ["domain_pool", "frozen_clock"]  # the fixtures, used by name

SESSION_ID = re.compile(r"^(tkn|sso)[a-z0-9]{25}$")
ADMIN_SCOPES = ("openid", "aws.cognito.signin.user.admin")  # self-service operations need the latter
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def track(cognito: Any, pool_id: str, *, max_per_user: int = 20) -> None:
    cognito.set_user_pool_session_configuration(
        UserPoolId=pool_id, UserSessionTracking="ENABLED", TokenSession={"MaxPerUser": max_per_user})


def admin_sessions(cognito: Any, pool_id: str, username: str) -> list[dict[str, Any]]:
    answer = cognito.admin_list_user_sessions(UserPoolId=pool_id, Username=username)
    assert "NextToken" not in answer
    return list(answer["Sessions"])


def refresh(cognito: Any, client_id: str, refresh_token: str) -> dict[str, Any]:
    return dict(cognito.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                      AuthParameters={"REFRESH_TOKEN": refresh_token})["AuthenticationResult"])


def error_of(excinfo: pytest.ExceptionInfo[Any]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


# --- configuration ------------------------------------------------------------------------------------


def test_pool_session_configuration_defaults_then_replaced_as_a_whole(cognito: Any, pool: dict[str, Any]) -> None:
    got = cognito.get_user_pool_session_configuration(UserPoolId=pool["Id"])
    assert (got["UserPoolId"], got["UserSessionTracking"], got["TokenSession"]) == (
        pool["Id"], "DISABLED", {"MaxPerUser": 20})
    sent = cognito.set_user_pool_session_configuration(
        UserPoolId=pool["Id"], UserSessionTracking="ENABLED", TokenSession={"MaxPerUser": 7})
    assert (sent["UserSessionTracking"], sent["TokenSession"]) == ("ENABLED", {"MaxPerUser": 7})
    got = cognito.get_user_pool_session_configuration(UserPoolId=pool["Id"])
    assert (got["UserSessionTracking"], got["TokenSession"]) == ("ENABLED", {"MaxPerUser": 7})
    # UpdateUserPool keeps it, DescribeUserPool does not show it
    cognito.update_user_pool(UserPoolId=pool["Id"])
    assert cognito.get_user_pool_session_configuration(UserPoolId=pool["Id"])["TokenSession"]["MaxPerUser"] == 7
    assert "_UserSessionConfiguration" not in cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]


def test_session_configuration_errors(cognito: Any, raw_cognito: Any, pool: dict[str, Any]) -> None:
    with pytest.raises(cognito.exceptions.ResourceNotFoundException):
        cognito.get_user_pool_session_configuration(UserPoolId="us-east-1_nothere00")
    with pytest.raises(raw_cognito.exceptions.InvalidParameterException) as excinfo:
        raw_cognito.set_user_pool_session_configuration(
            UserPoolId=pool["Id"], UserSessionTracking="ENABLED", TokenSession={"MaxPerUser": 101})
    assert "'tokenSession.maxPerUser'" in error_of(excinfo)[1]
    with pytest.raises(raw_cognito.exceptions.InvalidParameterException):
        raw_cognito.set_user_pool_session_configuration(UserPoolId=pool["Id"], UserSessionTracking="ENABLED")
    with pytest.raises(raw_cognito.exceptions.InvalidParameterException):
        raw_cognito.set_user_pool_session_configuration(
            UserPoolId=pool["Id"], UserSessionTracking="SOMETIMES", TokenSession={"MaxPerUser": 3})
    lite = cognito.create_user_pool(PoolName="lite-sessions", UserPoolTier="LITE")["UserPool"]["Id"]
    try:
        with pytest.raises(cognito.exceptions.FeatureUnavailableInTierException):
            track(cognito, lite)
        client_id = make_client(cognito, lite)["ClientId"]
        with pytest.raises(cognito.exceptions.FeatureUnavailableInTierException):
            cognito.set_user_pool_client_session_configuration(
                UserPoolId=lite, ClientId=client_id, SSOSession={"MaxValidityMinutes": 5})
    finally:
        cognito.delete_user_pool(UserPoolId=lite)


def test_client_session_configuration_needs_tracking_and_defaults_to_60(cognito: Any, raw_cognito: Any,
                                                                          pool: dict[str, Any]) -> None:
    client_id = make_client(cognito, pool["Id"])["ClientId"]
    got = cognito.get_user_pool_client_session_configuration(UserPoolId=pool["Id"], ClientId=client_id)
    assert (got["UserPoolId"], got["ClientId"], got["SSOSession"]) == (
        pool["Id"], client_id, {"MaxValidityMinutes": 60})
    with pytest.raises(cognito.exceptions.OperationNotEnabledException):
        cognito.set_user_pool_client_session_configuration(
            UserPoolId=pool["Id"], ClientId=client_id, SSOSession={"MaxValidityMinutes": 15})
    track(cognito, pool["Id"])
    for minutes in (15, 0):
        sent = cognito.set_user_pool_client_session_configuration(
            UserPoolId=pool["Id"], ClientId=client_id, SSOSession={"MaxValidityMinutes": minutes})
        assert sent["SSOSession"] == {"MaxValidityMinutes": minutes}
        got = cognito.get_user_pool_client_session_configuration(UserPoolId=pool["Id"], ClientId=client_id)
        assert got["SSOSession"] == {"MaxValidityMinutes": minutes}
    # turned off, the client's configuration stays (dormant)
    cognito.set_user_pool_session_configuration(
        UserPoolId=pool["Id"], UserSessionTracking="DISABLED", TokenSession={"MaxPerUser": 20})
    got = cognito.get_user_pool_client_session_configuration(UserPoolId=pool["Id"], ClientId=client_id)
    assert got["SSOSession"] == {"MaxValidityMinutes": 0}
    with pytest.raises(cognito.exceptions.ResourceNotFoundException):
        cognito.get_user_pool_client_session_configuration(UserPoolId=pool["Id"], ClientId="a" * 26)
    with pytest.raises(raw_cognito.exceptions.InvalidParameterException):
        raw_cognito.set_user_pool_client_session_configuration(
            UserPoolId=pool["Id"], ClientId=client_id, SSOSession={"MaxValidityMinutes": 129601})


# --- listing -----------------------------------------------------------------------------------------


def test_listing_needs_tracking(cognito: Any, pool: dict[str, Any]) -> None:
    client_id = make_client(cognito, pool["Id"])["ClientId"]
    username = make_user(cognito, pool["Id"])
    access = sign_in(cognito, client_id, username)["AuthenticationResult"]["AccessToken"]
    with pytest.raises(cognito.exceptions.OperationNotEnabledException):
        cognito.list_user_sessions(AccessToken=access)
    with pytest.raises(cognito.exceptions.OperationNotEnabledException):
        cognito.admin_list_user_sessions(UserPoolId=pool["Id"], Username=username)
    with pytest.raises(cognito.exceptions.OperationNotEnabledException):
        cognito.admin_revoke_user_session(UserPoolId=pool["Id"], Username=username, SessionId="tkn" + "0" * 25)


def test_sign_ins_on_several_clients_are_listed_with_the_current_one_marked(cognito: Any,
                                                                            pool: dict[str, Any]) -> None:
    track(cognito, pool["Id"])
    web, mobile = (make_client(cognito, pool["Id"])["ClientId"] for _ in range(2))
    username, other = make_user(cognito, pool["Id"]), make_user(cognito, pool["Id"])
    first = sign_in(cognito, web, username)["AuthenticationResult"]
    second = sign_in(cognito, mobile, username)["AuthenticationResult"]
    sign_in(cognito, mobile, other)
    listed = cognito.list_user_sessions(AccessToken=second["AccessToken"])["Sessions"]
    assert sorted(s["ClientId"] for s in listed) == sorted([web, mobile])
    for session in listed:
        assert SESSION_ID.match(session["SessionId"]) and session["SessionId"].startswith("tkn")
        assert session["SessionType"] == "TOKEN"
        assert session["CreateDate"] == session["LastActiveDate"]
        assert session["LastIPAddress"] == "127.0.0.1"
        assert session["DeviceType"].startswith("Boto3")
        assert session["LastLocation"] == {"City": "unknown", "Country": "unknown"}
        assert "OriginSessionId" not in session
    current = {s["ClientId"]: s["IsCurrentSession"] for s in listed}
    assert current == {web: False, mobile: True}
    from_first = cognito.list_user_sessions(AccessToken=first["AccessToken"])["Sessions"]
    assert {s["ClientId"]: s["IsCurrentSession"] for s in from_first} == {web: True, mobile: False}
    admin = admin_sessions(cognito, pool["Id"], username)
    assert {s["SessionId"] for s in admin} == {s["SessionId"] for s in listed}
    assert not any(s["IsCurrentSession"] for s in admin)
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_list_user_sessions(UserPoolId=pool["Id"], Username="nobody-here")
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        cognito.list_user_sessions(AccessToken="not.a.token")


def test_refresh_moves_last_active_date_and_device(server: Any, cognito: Any, pool: dict[str, Any],
                                                   frozen_clock: Any) -> None:
    track(cognito, pool["Id"])
    client_id = make_client(cognito, pool["Id"])["ClientId"]
    username = make_user(cognito, pool["Id"])
    tokens = sign_in(cognito, client_id, username)["AuthenticationResult"]
    [before] = admin_sessions(cognito, pool["Id"], username)
    frozen_clock(600)
    browser_like = boto3.client(
        "cognito-idp", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret", config=Config(user_agent=FIREFOX, retries={"max_attempts": 1}))
    refresh(browser_like, client_id, tokens["RefreshToken"])
    [after] = admin_sessions(cognito, pool["Id"], username)
    assert after["SessionId"] == before["SessionId"]
    assert after["CreateDate"] == before["CreateDate"]
    assert (after["LastActiveDate"] - before["LastActiveDate"]).total_seconds() == 600
    assert after["DeviceType"] == "Firefox on Linux"


# --- revoking ----------------------------------------------------------------------------------------


def test_revoking_a_token_session_kills_its_refresh_and_access_tokens(cognito: Any, pool: dict[str, Any]) -> None:
    track(cognito, pool["Id"])
    client_id = make_client(cognito, pool["Id"])["ClientId"]
    username, stranger = make_user(cognito, pool["Id"]), make_user(cognito, pool["Id"])
    doomed = sign_in(cognito, client_id, username)["AuthenticationResult"]
    kept = sign_in(cognito, client_id, username)["AuthenticationResult"]
    listed = cognito.list_user_sessions(AccessToken=kept["AccessToken"])["Sessions"]
    own = next(s["SessionId"] for s in listed if s["IsCurrentSession"])
    target = next(s["SessionId"] for s in listed if not s["IsCurrentSession"])
    with pytest.raises(cognito.exceptions.InvalidParameterException):
        cognito.revoke_user_session(AccessToken=kept["AccessToken"], SessionId=own)
    with pytest.raises(cognito.exceptions.ResourceNotFoundException):
        cognito.admin_revoke_user_session(UserPoolId=pool["Id"], Username=stranger, SessionId=target)
    with pytest.raises(cognito.exceptions.ResourceNotFoundException):
        cognito.revoke_user_session(AccessToken=kept["AccessToken"], SessionId="tkn" + "z" * 25)
    assert cognito.revoke_user_session(AccessToken=kept["AccessToken"], SessionId=target,
                                       RevokeAssociatedSessions="NONE")["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(cognito.exceptions.NotAuthorizedException) as excinfo:
        cognito.get_user(AccessToken=doomed["AccessToken"])
    assert error_of(excinfo) == ("NotAuthorizedException", "Access Token has been revoked")
    with pytest.raises(cognito.exceptions.NotAuthorizedException) as excinfo:
        refresh(cognito, client_id, doomed["RefreshToken"])
    assert error_of(excinfo)[1] == "Refresh Token has been revoked"
    assert [s["SessionId"] for s in admin_sessions(cognito, pool["Id"], username)] == [own]
    cognito.get_user(AccessToken=kept["AccessToken"])  # the caller's own session lives on
    with pytest.raises(cognito.exceptions.ResourceNotFoundException):  # gone: a second revoke finds nothing
        cognito.admin_revoke_user_session(UserPoolId=pool["Id"], Username=username, SessionId=target)
    cognito.admin_revoke_user_session(UserPoolId=pool["Id"], Username=username, SessionId=own)
    with pytest.raises(cognito.exceptions.NotAuthorizedException) as excinfo:
        cognito.get_user(AccessToken=kept["AccessToken"])
    assert error_of(excinfo)[1] == "Access Token has been revoked"
    assert admin_sessions(cognito, pool["Id"], username) == []


def test_max_per_user_evicts_the_least_recently_used_at_the_next_sign_in(cognito: Any, pool: dict[str, Any],
                                                                         frozen_clock: Any) -> None:
    track(cognito, pool["Id"], max_per_user=2)
    client_id = make_client(cognito, pool["Id"])["ClientId"]
    username = make_user(cognito, pool["Id"])

    def new_session() -> tuple[dict[str, Any], str]:
        tokens = sign_in(cognito, client_id, username)["AuthenticationResult"]
        listed = cognito.list_user_sessions(AccessToken=tokens["AccessToken"])["Sessions"]
        return tokens, next(s["SessionId"] for s in listed if s["IsCurrentSession"])

    a, a_id = new_session()
    frozen_clock(60)
    b, _ = new_session()
    frozen_clock(60)
    refresh(cognito, client_id, a["RefreshToken"])  # a is now used more recently than b
    frozen_clock(60)
    c, c_id = new_session()
    assert {s["SessionId"] for s in admin_sessions(cognito, pool["Id"], username)} == {a_id, c_id}
    with pytest.raises(cognito.exceptions.NotAuthorizedException) as excinfo:
        refresh(cognito, client_id, b["RefreshToken"])
    assert error_of(excinfo)[1] == "Refresh Token has been revoked"
    # lowering the limit evicts nothing until the next sign-in
    track(cognito, pool["Id"], max_per_user=1)
    assert {s["SessionId"] for s in admin_sessions(cognito, pool["Id"], username)} == {a_id, c_id}
    frozen_clock(60)
    _d, d_id = new_session()
    assert [s["SessionId"] for s in admin_sessions(cognito, pool["Id"], username)] == [d_id]
    for gone in (a, c):
        with pytest.raises(cognito.exceptions.NotAuthorizedException):
            cognito.get_user(AccessToken=gone["AccessToken"])


# --- hosted SSO sessions ------------------------------------------------------------------------------


def hosted_tokens(dp: DomainPool, browser: Any, client_id: str, username: str | None) -> dict[str, Any]:
    """A code from the hosted form (username given) or from the browser's SSO session (None), redeemed."""
    answer = sign_in_through_form(browser, dp, client_id, username) if username else authorize(browser, dp, client_id)
    response = redeem(dp, client_id, code_from(answer))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_hosted_sign_in_sessions_are_listed_linked_and_revocable(cognito: Any, domain_pool: DomainPool) -> None:
    dp = domain_pool
    track(cognito, dp.pool_id)
    first, second = (dp.client(scopes=ADMIN_SCOPES)["ClientId"] for _ in range(2))
    username = dp.user()
    with new_browser() as browser:
        one = hosted_tokens(dp, browser, first, username)
        two = hosted_tokens(dp, browser, second, None)  # single sign-on: the same SSO session
        listed = cognito.list_user_sessions(AccessToken=two["access_token"])["Sessions"]
        [sso] = [s for s in listed if s["SessionType"] == "SSO"]
        tokens = [s for s in listed if s["SessionType"] == "TOKEN"]
        assert SESSION_ID.match(sso["SessionId"]) and sso["SessionId"].startswith("sso")
        assert sso["ClientId"] == first and not sso["IsCurrentSession"]
        assert sso["LastIPAddress"] == "127.0.0.1" and sso["DeviceType"].startswith("python-httpx")
        assert sorted(s["ClientId"] for s in tokens) == sorted([first, second])
        assert {s["OriginSessionId"] for s in tokens} == {sso["SessionId"]}
        # NONE: the SSO session goes, its token sessions stay; the browser must sign in again
        cognito.admin_revoke_user_session(UserPoolId=dp.pool_id, Username=username, SessionId=sso["SessionId"])
        assert authorize(browser, dp, first).headers["location"].startswith(f"{dp.base}/login?")
        remaining = admin_sessions(cognito, dp.pool_id, username)
        assert [s["SessionType"] for s in remaining] == ["TOKEN", "TOKEN"]
        assert not any("OriginSessionId" in s for s in remaining)
        cognito.get_user(AccessToken=one["access_token"])
        # a new hosted sign-in; LINKED from one of its token sessions takes the SSO session along
        three = hosted_tokens(dp, browser, first, username)
    listed = cognito.list_user_sessions(AccessToken=one["access_token"])["Sessions"]
    [sso] = [s for s in listed if s["SessionType"] == "SSO"]
    child = next(s for s in listed if s.get("OriginSessionId") == sso["SessionId"])
    cognito.revoke_user_session(AccessToken=one["access_token"], SessionId=child["SessionId"],
                                RevokeAssociatedSessions="LINKED")
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        cognito.get_user(AccessToken=three["access_token"])
    assert {s["SessionType"] for s in admin_sessions(cognito, dp.pool_id, username)} == {"TOKEN"}


def test_revoking_an_sso_session_linked_revokes_the_token_sessions_it_gave(cognito: Any,
                                                                          domain_pool: DomainPool) -> None:
    dp = domain_pool
    track(cognito, dp.pool_id)
    client_id = dp.client(scopes=ADMIN_SCOPES)["ClientId"]
    api_client = make_client(cognito, dp.pool_id)["ClientId"]
    username = dp.user()
    with new_browser() as browser:
        hosted = hosted_tokens(dp, browser, client_id, username)
        again = hosted_tokens(dp, browser, client_id, None)
        api = sign_in(cognito, api_client, username)["AuthenticationResult"]
        [sso] = [s for s in admin_sessions(cognito, dp.pool_id, username) if s["SessionType"] == "SSO"]
        cognito.revoke_user_session(AccessToken=api["AccessToken"], SessionId=sso["SessionId"],
                                    RevokeAssociatedSessions="LINKED")
        for gone in (hosted, again):
            with pytest.raises(cognito.exceptions.NotAuthorizedException) as excinfo:
                cognito.get_user(AccessToken=gone["access_token"])
            assert error_of(excinfo)[1] == "Access Token has been revoked"
        assert authorize(browser, dp, client_id).headers["location"].startswith(f"{dp.base}/login?")
    [left] = admin_sessions(cognito, dp.pool_id, username)
    assert (left["ClientId"], left["SessionType"]) == (api_client, "TOKEN")


def test_a_clients_max_validity_minutes_limits_silent_reuse_of_the_sso_session(
        cognito: Any, domain_pool: DomainPool, frozen_clock: Any) -> None:
    dp = domain_pool
    short, never, default = (dp.client(scopes=ADMIN_SCOPES)["ClientId"] for _ in range(3))
    username = dp.user()
    with new_browser() as browser:
        hosted_tokens(dp, browser, short, username)
        frozen_clock(600)
        hosted_tokens(dp, browser, never, None)  # tracking off: the setting is dormant, the session is reused
        track(cognito, dp.pool_id)
        for client_id, minutes in ((short, 15), (never, 0)):
            cognito.set_user_pool_client_session_configuration(
                UserPoolId=dp.pool_id, ClientId=client_id, SSOSession={"MaxValidityMinutes": minutes})
        assert authorize(browser, dp, never).headers["location"].startswith(f"{dp.base}/login?")
        hosted_tokens(dp, browser, short, None)  # 10 minutes after the sign-in, within 15
        hosted_tokens(dp, browser, default, None)  # within the default 60
        frozen_clock(360)
        assert authorize(browser, dp, short).headers["location"].startswith(f"{dp.base}/login?")
        hosted_tokens(dp, browser, default, None)
        hosted_tokens(dp, browser, short, username)  # a fresh sign-in starts the count again
        hosted_tokens(dp, browser, short, None)

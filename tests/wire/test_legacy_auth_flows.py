"""Legacy ExplicitAuthFlows values (USER_PASSWORD_AUTH, ADMIN_NO_SRP_AUTH, CUSTOM_AUTH_FLOW_ONLY) through boto3
and pycognito against a live server on SQLite and PostgreSQL: which sign-in flows each client configuration
lets a user start, Cognito's refusal for each flow that is off, legacy values shown as they were given, and
legacy values mixed with ALLOW_ ones refused.

A client with only legacy values dates from before Cognito could switch flows off, so SRP, refresh and custom
auth stay on beside the listed password flows (moto's AWS-verified tests sign in with pycognito's SRP on
clients with ["USER_PASSWORD_AUTH"] and ["ADMIN_NO_SRP_AUTH"], and refresh on the latter);
CUSTOM_AUTH_FLOW_ONLY leaves custom auth and refresh only (unconfirmed)."""

from __future__ import annotations

from typing import Any

import pytest
import trigger_functions
from accounts import PASSWORD, make_user, unique
from botocore.exceptions import ClientError
from lambda_api import LambdaApiServer
from pycognito import Cognito
from pycognito.aws_srp import AWSSRP
from test_custom_auth import MAGIC, answer, keep_codes
from test_pools import error_of
from test_triggers_signin import triggered_server

SRP, PASSWORD_FLOW, CUSTOM, REFRESH = "USER_SRP_AUTH", "USER_PASSWORD_AUTH", "CUSTOM_AUTH", "REFRESH_TOKEN_AUTH"
ADMIN, ADMIN_NO_SRP = "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"
FLOWS = [SRP, PASSWORD_FLOW, ADMIN, ADMIN_NO_SRP, CUSTOM, REFRESH]
# What Cognito answers for a flow the client does not allow (the REFRESH_TOKEN_AUTH wording is unconfirmed).
NOT_ENABLED = {
    SRP: "USER_SRP_AUTH is not enabled for the client.",
    PASSWORD_FLOW: "USER_PASSWORD_AUTH flow not enabled for this client",
    ADMIN: "Auth flow not enabled for this client",
    ADMIN_NO_SRP: "Auth flow not enabled for this client",
    CUSTOM: "CUSTOM_AUTH is not enabled for the client.",
    REFRESH: "REFRESH_TOKEN_AUTH is not enabled for the client.",
}
# Client configuration → (its ExplicitAuthFlows, the flows a user may start with it).
CONFIGURATIONS: dict[str, tuple[list[str] | None, set[str]]] = {
    "legacy-user-password": (["USER_PASSWORD_AUTH"], {SRP, PASSWORD_FLOW, CUSTOM, REFRESH}),
    "legacy-admin-no-srp": (["ADMIN_NO_SRP_AUTH"], {SRP, ADMIN, ADMIN_NO_SRP, CUSTOM, REFRESH}),
    "legacy-both-password-flows": (["ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"],
                                   {SRP, PASSWORD_FLOW, ADMIN, ADMIN_NO_SRP, CUSTOM, REFRESH}),
    "legacy-custom-only": (["CUSTOM_AUTH_FLOW_ONLY"], {CUSTOM, REFRESH}),
    "legacy-custom-only-beside-password-flows": (["CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"],
                                                 {CUSTOM, REFRESH}),
    "default": (None, {SRP, CUSTOM, REFRESH}),
    "allow-user-password-only": (["ALLOW_USER_PASSWORD_AUTH"], {PASSWORD_FLOW}),
    "allow-admin-and-refresh": (["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                                {ADMIN, ADMIN_NO_SRP, REFRESH}),
}
MIXED = "Legacy ExplicitAuthFlows values can not be combined with values that begin with ALLOW_."


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def triggered(server_factory: Any, lambdas: LambdaApiServer, tmp_path_factory: pytest.TempPathFactory,
              request: pytest.FixtureRequest) -> Any:
    return triggered_server(server_factory, lambdas, tmp_path_factory.mktemp("legacy-flows"), request.param)


@pytest.fixture
def cognito(triggered: Any) -> Any:
    return triggered.client()


@pytest.fixture
def codes(calls: LambdaApiServer) -> list[str]:
    """The magic-code custom-auth trio on the Lambda API server; the codes it sends, latest last."""
    calls.register("define", trigger_functions.define_magic)
    calls.register("verify", trigger_functions.verify_magic)
    return keep_codes(calls)


@pytest.fixture
def account(cognito: Any, codes: list[str]) -> tuple[str, str]:
    """A pool with the custom-auth triggers and one confirmed user: (pool id, username)."""
    pool_id = cognito.create_user_pool(PoolName=unique("legacy"), LambdaConfig=MAGIC)["UserPool"]["Id"]
    return pool_id, make_user(cognito, pool_id)


def client_with(cognito: Any, pool_id: str, flows: list[str] | None) -> dict[str, Any]:
    extra = {} if flows is None else {"ExplicitAuthFlows": flows}
    created = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName=unique("app"), **extra)
    return dict(created["UserPoolClient"])


def sign_in(cognito: Any, pool_id: str, client_id: str, name: str, flow: str, codes: list[str]) -> dict[str, Any]:
    """Signs ``name`` in with ``flow`` through the real client for it; the AuthenticationResult."""
    credentials = {"USERNAME": name, "PASSWORD": PASSWORD}
    if flow == SRP:
        srp = AWSSRP(username=name, password=PASSWORD, pool_id=pool_id, client_id=client_id, client=cognito)
        result = srp.authenticate_user()
    elif flow == PASSWORD_FLOW:
        result = cognito.initiate_auth(ClientId=client_id, AuthFlow=flow, AuthParameters=credentials)
    elif flow in (ADMIN, ADMIN_NO_SRP):
        result = cognito.admin_initiate_auth(UserPoolId=pool_id, ClientId=client_id, AuthFlow=flow,
                                             AuthParameters=credentials)
    else:
        started = cognito.initiate_auth(ClientId=client_id, AuthFlow=CUSTOM, AuthParameters={"USERNAME": name})
        assert started["ChallengeName"] == "CUSTOM_CHALLENGE"
        result = answer(cognito, client_id, name, started["Session"], codes[-1])
    return dict(result["AuthenticationResult"])


def refresh(cognito: Any, pool_id: str, client_id: str, name: str, allowed: set[str],
            codes: list[str]) -> dict[str, Any]:
    """A refresh token from a sign-in the client allows, exchanged with REFRESH_TOKEN_AUTH."""
    first = next(flow for flow in (PASSWORD_FLOW, ADMIN, SRP, CUSTOM) if flow in allowed)
    token = sign_in(cognito, pool_id, client_id, name, first, codes)["RefreshToken"]
    return dict(cognito.initiate_auth(ClientId=client_id, AuthFlow=REFRESH,
                                      AuthParameters={"REFRESH_TOKEN": token})["AuthenticationResult"])


@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("configuration", list(CONFIGURATIONS))
def test_each_client_configuration_allows_exactly_its_flows(cognito: Any, account: tuple[str, str], codes: list[str],
                                                            configuration: str, flow: str) -> None:
    pool_id, name = account
    flows, allowed = CONFIGURATIONS[configuration]
    client_id = client_with(cognito, pool_id, flows)["ClientId"]

    def attempt() -> dict[str, Any]:
        if flow == REFRESH:
            return refresh(cognito, pool_id, client_id, name, allowed, codes)
        return sign_in(cognito, pool_id, client_id, name, flow, codes)

    if flow in allowed:
        result = attempt()
        assert result["AccessToken"] and result["IdToken"] and result["TokenType"] == "Bearer"
        assert ("RefreshToken" in result) == (flow != REFRESH)
    else:
        with pytest.raises(ClientError) as excinfo:
            attempt()
        assert error_of(excinfo) == ("InvalidParameterException", NOT_ENABLED[flow])


def test_a_flow_that_is_off_is_refused_before_the_user_is_looked_up(cognito: Any, account: tuple[str, str]) -> None:
    pool_id, _ = account
    client_id = client_with(cognito, pool_id, ["CUSTOM_AUTH_FLOW_ONLY"])["ClientId"]
    nobody = unique("nobody")
    with pytest.raises(ClientError) as excinfo:
        cognito.initiate_auth(ClientId=client_id, AuthFlow=SRP,
                              AuthParameters={"USERNAME": nobody, "SRP_A": "ab" * 384})
    assert error_of(excinfo) == ("InvalidParameterException", NOT_ENABLED[SRP])
    open_client = client_with(cognito, pool_id, ["USER_PASSWORD_AUTH"])["ClientId"]
    with pytest.raises(ClientError) as excinfo:  # the same request on a legacy client reaches the user lookup
        cognito.initiate_auth(ClientId=open_client, AuthFlow=SRP,
                              AuthParameters={"USERNAME": nobody, "SRP_A": "ab" * 384})
    assert error_of(excinfo)[0] == "UserNotFoundException"


def test_pycognito_signs_in_with_srp_on_a_client_with_only_legacy_user_password_auth(
        triggered: Any, cognito: Any, account: tuple[str, str]) -> None:
    pool_id, name = account
    client_id = client_with(cognito, pool_id, ["USER_PASSWORD_AUTH"])["ClientId"]
    user = Cognito(pool_id, client_id, username=name,
                   boto3_client_kwargs={"endpoint_url": triggered.url, "aws_access_key_id": "AKIDEXAMPLE",
                                        "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"})
    user.authenticate(password=PASSWORD)  # SRP, then both tokens verified against the server's JWKS
    assert user.access_claims["username"] == name and user.id_claims["aud"] == client_id
    refreshed_from = user.access_token
    user.renew_access_token()  # REFRESH_TOKEN_AUTH
    assert user.access_token != refreshed_from


def test_a_custom_only_client_refuses_the_plain_srp_second_step(cognito: Any, account: tuple[str, str]) -> None:
    pool_id, name = account
    legacy = client_with(cognito, pool_id, ["USER_PASSWORD_AUTH"])["ClientId"]
    custom_only = client_with(cognito, pool_id, ["CUSTOM_AUTH_FLOW_ONLY"])["ClientId"]
    srp = AWSSRP(username=name, password=PASSWORD, pool_id=pool_id, client_id=legacy, client=cognito)
    started = cognito.initiate_auth(ClientId=legacy, AuthFlow=SRP, AuthParameters=srp.get_auth_params())
    reply = srp.process_challenge(started["ChallengeParameters"], srp.get_auth_params())
    with pytest.raises(ClientError) as excinfo:
        cognito.respond_to_auth_challenge(ClientId=custom_only, ChallengeName="PASSWORD_VERIFIER",
                                          ChallengeResponses=reply)
    assert error_of(excinfo) == ("InvalidParameterException", NOT_ENABLED[SRP])


@pytest.mark.parametrize("flows", [["USER_PASSWORD_AUTH"], ["CUSTOM_AUTH_FLOW_ONLY"]])
def test_get_tokens_from_refresh_token_works_on_legacy_clients(cognito: Any, account: tuple[str, str],
                                                                codes: list[str], flows: list[str]) -> None:
    pool_id, name = account
    client_id = client_with(cognito, pool_id, flows)["ClientId"]
    first = PASSWORD_FLOW if "USER_PASSWORD_AUTH" in flows else CUSTOM
    token = sign_in(cognito, pool_id, client_id, name, first, codes)["RefreshToken"]
    result = cognito.get_tokens_from_refresh_token(ClientId=client_id, RefreshToken=token)["AuthenticationResult"]
    assert result["AccessToken"] and result["IdToken"]


# --- what the client operations show and refuse -------------------------------------------------------------


@pytest.mark.parametrize("flows", [["USER_PASSWORD_AUTH"], ["ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY"],
                                   ["ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH", "CUSTOM_AUTH_FLOW_ONLY"]])
def test_legacy_values_are_shown_as_given(cognito: Any, account: tuple[str, str], flows: list[str]) -> None:
    pool_id, _ = account
    created = client_with(cognito, pool_id, flows)
    assert created["ExplicitAuthFlows"] == flows
    described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=created["ClientId"])["UserPoolClient"]
    assert described["ExplicitAuthFlows"] == flows
    updated = cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=created["ClientId"],
                                              ExplicitAuthFlows=list(reversed(flows)))["UserPoolClient"]
    assert sorted(updated["ExplicitAuthFlows"]) == sorted(flows)


@pytest.mark.parametrize("flows", [["USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                                   ["ALLOW_USER_SRP_AUTH", "ADMIN_NO_SRP_AUTH"],
                                   ["CUSTOM_AUTH_FLOW_ONLY", "ALLOW_CUSTOM_AUTH"]])
def test_legacy_values_mixed_with_allow_values_are_refused(cognito: Any, account: tuple[str, str],
                                                           flows: list[str]) -> None:
    pool_id, _ = account
    with pytest.raises(ClientError) as excinfo:
        client_with(cognito, pool_id, flows)
    assert error_of(excinfo) == ("InvalidParameterException", MIXED)
    kept = client_with(cognito, pool_id, ["USER_PASSWORD_AUTH"])
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=kept["ClientId"], ExplicitAuthFlows=flows)
    assert error_of(excinfo) == ("InvalidParameterException", MIXED)
    described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=kept["ClientId"])["UserPoolClient"]
    assert described["ExplicitAuthFlows"] == ["USER_PASSWORD_AUTH"]

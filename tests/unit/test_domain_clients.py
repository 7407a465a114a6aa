"""The app-client domain: CreateUserPoolClient defaults, the rules Cognito enforces, UpdateUserPoolClient's
reset semantics, and the DescribeUserPoolClient / ListUserPoolClients views."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime

import pytest

from userpools.domain import clients
from userpools.domain.clients import new_client_settings, updated_client_settings
from userpools.domain.pools import new_pool_settings
from userpools.domain.records import ClientRecord
from userpools.errors import (
    FeatureUnavailableInTierException,
    InvalidOAuthFlowException,
    InvalidParameterException,
    ScopeDoesNotExistException,
)

POOL = new_pool_settings(
    {
        "Schema": [
            {"Name": "tenant", "AttributeDataType": "String"},
            {"Name": "secret", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
        ]
    }
)
CREATED = datetime(2023, 8, 30, 21, 51, 35, 978000, tzinfo=UTC)
UPDATED = datetime(2023, 8, 31, 9, 0, tzinfo=UTC)
OAUTH = {
    "AllowedOAuthFlowsUserPoolClient": True,
    "AllowedOAuthFlows": ["code"],
    "AllowedOAuthScopes": ["openid", "email"],
    "CallbackURLs": ["https://app.example.com/cb"],
}


def refused(message: str, exc: type[Exception] = InvalidParameterException):
    return pytest.raises(exc, match=f"^{re.escape(message)}$")


def record(settings: dict) -> ClientRecord:
    return ClientRecord(
        id="4bgd5r70a8gtfe4d5d2us1gs6r",
        pool_id="us-east-1_kvPzTDvWb",
        name="TailzClient",
        created_at=CREATED,
        updated_at=UPDATED,
        settings=settings,
    )


# --- a client created with only ClientName -------------------------------------------------------------------


def test_default_client_settings_are_exactly_what_cognito_shows():
    assert new_client_settings({}, POOL) == {
        "RefreshTokenValidity": 30,
        "TokenValidityUnits": {},
        "AllowedOAuthFlowsUserPoolClient": False,
        "EnableTokenRevocation": True,
        "EnablePropagateAdditionalUserContextData": False,
        "AuthSessionValidity": 3,
    }


def test_default_client_allows_the_three_documented_flows():
    assert clients.explicit_auth_flows(new_client_settings({}, POOL)) == (
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_CUSTOM_AUTH",
    )


def test_default_client_tokens_last_an_hour_and_thirty_days():
    assert clients.token_validity_seconds(new_client_settings({}, POOL)) == {
        "AccessToken": 3600,
        "IdToken": 3600,
        "RefreshToken": 30 * 86400,
    }


def test_client_settings_ignore_the_members_the_handler_owns():
    request = {
        "UserPoolId": "p",
        "ClientName": "n",
        "ClientId": "c",
        "ClientSecret": "s" * 30,
        "GenerateSecret": True,
        "PublishSecretsInAWSSecretsManager": True,
    }
    assert new_client_settings(request, POOL) == new_client_settings({}, POOL)


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("ExplicitAuthFlows", ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]),
        ("ExplicitAuthFlows", ["ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"]),
        ("PreventUserExistenceErrors", "ENABLED"),
        ("PreventUserExistenceErrors", "LEGACY"),
        ("EnableTokenRevocation", False),
        ("AuthSessionValidity", 15),
        ("ReadAttributes", ["email", "email_verified", "custom:tenant", "dev:custom:secret"]),
        ("WriteAttributes", ["email", "custom:tenant"]),
        ("SupportedIdentityProviders", ["COGNITO"]),
        ("LogoutURLs", ["https://app.example.com/bye"]),
        ("AnalyticsConfiguration", {"ApplicationId": "abc123", "UserDataShared": False}),
        ("RefreshTokenRotation", {"Feature": "ENABLED", "RetryGracePeriodSeconds": 10}),
    ],
)
def test_given_members_are_stored_as_given(member, value):
    assert new_client_settings({member: value}, POOL)[member] == value


def test_lists_lose_duplicates_and_empty_lists_are_absent():
    settings = new_client_settings({"ReadAttributes": ["email", "email"], "LogoutURLs": []}, POOL)
    assert settings["ReadAttributes"] == ["email"]
    assert "LogoutURLs" not in settings


def test_new_client_settings_does_not_change_the_request():
    request = {"TokenValidityUnits": {"AccessToken": "minutes"}, "AccessTokenValidity": 30, **OAUTH}
    before = copy.deepcopy(request)
    new_client_settings(request, POOL)
    assert request == before


# --- token validity ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "seconds"),
    [
        ({"AccessTokenValidity": 3}, {"AccessToken": 3 * 3600}),
        ({"AccessTokenValidity": 5, "TokenValidityUnits": {"AccessToken": "minutes"}}, {"AccessToken": 300}),
        ({"IdTokenValidity": 1, "TokenValidityUnits": {"IdToken": "days"}}, {"IdToken": 86400}),
        ({"IdTokenValidity": 86400, "TokenValidityUnits": {"IdToken": "seconds"}}, {"IdToken": 86400}),
        (
            {"RefreshTokenValidity": 60, "TokenValidityUnits": {"RefreshToken": "minutes"}},
            {"RefreshToken": 3600},
        ),
        ({"RefreshTokenValidity": 3650}, {"RefreshToken": 3650 * 86400}),
        (
            {"RefreshTokenValidity": 36500, "TokenValidityUnits": {"RefreshToken": "minutes"}},
            {"RefreshToken": 2190000},
        ),
    ],
)
def test_token_validities_at_the_bounds_are_accepted(request_, seconds):
    settings = new_client_settings(request_, POOL)
    assert {k: v for k, v in clients.token_validity_seconds(settings).items() if k in seconds} == seconds
    assert settings["TokenValidityUnits"] == request_.get("TokenValidityUnits", {})


@pytest.mark.parametrize(
    "request_",
    [
        {"AccessTokenValidity": 4, "TokenValidityUnits": {"AccessToken": "minutes"}},
        {"AccessTokenValidity": 25},
        {"IdTokenValidity": 2, "TokenValidityUnits": {"IdToken": "days"}},
        {"IdTokenValidity": 299, "TokenValidityUnits": {"IdToken": "seconds"}},
        {"RefreshTokenValidity": 59, "TokenValidityUnits": {"RefreshToken": "minutes"}},
        {"RefreshTokenValidity": 3651},
        {"RefreshTokenValidity": 36500, "TokenValidityUnits": {"RefreshToken": "days"}},
        {"TokenValidityUnits": {"AccessToken": "minutes"}},  # the default 1, in minutes
        {"TokenValidityUnits": {"RefreshToken": "minutes"}, "AccessTokenValidity": 1},
    ],
)
def test_token_validities_out_of_range_are_refused(request_):
    with refused("Invalid range for token validity."):
        new_client_settings(request_, POOL)


def test_refresh_token_validity_of_zero_means_thirty_days():
    assert new_client_settings({"RefreshTokenValidity": 0}, POOL)["RefreshTokenValidity"] == 30
    in_hours = new_client_settings(
        {"RefreshTokenValidity": 0, "TokenValidityUnits": {"RefreshToken": "hours"}}, POOL
    )
    assert in_hours["RefreshTokenValidity"] == 720


def test_access_and_id_validity_are_absent_unless_given():
    settings = new_client_settings({"TokenValidityUnits": {"AccessToken": "hours"}}, POOL)
    assert "AccessTokenValidity" not in settings
    assert "IdTokenValidity" not in settings
    assert settings["TokenValidityUnits"] == {"AccessToken": "hours"}


# --- auth flows -----------------------------------------------------------------------------------------------------


def test_legacy_and_allow_auth_flows_together_are_refused():
    with pytest.raises(InvalidParameterException):
        new_client_settings({"ExplicitAuthFlows": ["USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}, POOL)


def test_user_auth_flow_needs_more_than_the_lite_plan():
    lite = new_pool_settings({"UserPoolTier": "LITE"})
    with pytest.raises(FeatureUnavailableInTierException):
        new_client_settings({"ExplicitAuthFlows": ["ALLOW_USER_AUTH"]}, lite)
    assert new_client_settings({"ExplicitAuthFlows": ["ALLOW_USER_AUTH"]}, POOL)["ExplicitAuthFlows"] == [
        "ALLOW_USER_AUTH"
    ]


def test_set_flows_replace_the_default_flows():
    settings = new_client_settings({"ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]}, POOL)
    assert clients.explicit_auth_flows(settings) == ("ALLOW_USER_PASSWORD_AUTH",)


SRP, PASSWORD, ADMIN, CUSTOM = (
    "USER_SRP_AUTH",
    "USER_PASSWORD_AUTH",
    "ADMIN_USER_PASSWORD_AUTH",
    "CUSTOM_AUTH",
)
REFRESH = {"REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"}


@pytest.mark.parametrize(
    ("flows", "enabled"),
    [
        (None, {SRP, CUSTOM, *REFRESH}),
        (["ALLOW_USER_PASSWORD_AUTH"], {PASSWORD}),
        (
            ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            {ADMIN, "ADMIN_NO_SRP_AUTH", *REFRESH},
        ),
        (["ALLOW_USER_AUTH", "ALLOW_CUSTOM_AUTH"], {"USER_AUTH", CUSTOM}),
        (["USER_PASSWORD_AUTH"], {PASSWORD, SRP, CUSTOM, *REFRESH}),
        (["ADMIN_NO_SRP_AUTH"], {ADMIN, "ADMIN_NO_SRP_AUTH", SRP, CUSTOM, *REFRESH}),
        (
            ["ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"],
            {ADMIN, "ADMIN_NO_SRP_AUTH", PASSWORD, SRP, CUSTOM, *REFRESH},
        ),
        (["CUSTOM_AUTH_FLOW_ONLY"], {CUSTOM, *REFRESH}),
        (["CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"], {CUSTOM, *REFRESH}),
    ],
)
def test_enabled_auth_flows_follow_the_allow_values_or_the_legacy_rules(flows, enabled):
    request = {} if flows is None else {"ExplicitAuthFlows": flows}
    assert clients.enabled_auth_flows(new_client_settings(request, POOL)) == enabled


@pytest.mark.parametrize("flows", [["USER_PASSWORD_AUTH"], ["CUSTOM_AUTH_FLOW_ONLY", "ADMIN_NO_SRP_AUTH"]])
def test_legacy_flows_are_kept_as_given(flows):
    assert new_client_settings({"ExplicitAuthFlows": flows}, POOL)["ExplicitAuthFlows"] == flows


# --- read and write attributes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("names", [["email", "nope"], ["custom:missing"], ["tenant"]])
def test_unknown_read_attributes_are_refused(names):
    with refused("Invalid read attributes specified while creating a client"):
        new_client_settings({"ReadAttributes": names}, POOL)


@pytest.mark.parametrize(
    "names", [["nope"], ["email_verified"], ["phone_number_verified"], ["sub"], ["dev:custom:secret"]]
)
def test_write_attributes_no_client_may_write_are_refused(names):
    with refused("Invalid write attributes specified while creating a client"):
        new_client_settings({"WriteAttributes": names}, POOL)


def test_write_attributes_must_include_every_required_attribute():
    pool = new_pool_settings(
        {"Schema": [{"Name": "email", "Required": True}, {"Name": "name", "Required": True}]}
    )
    with refused("Invalid write attributes specified while creating a client"):
        new_client_settings({"WriteAttributes": ["name"]}, pool)
    assert new_client_settings({"WriteAttributes": ["name", "email"]}, pool)["WriteAttributes"] == [
        "name",
        "email",
    ]


def test_attribute_errors_on_update_say_updating():
    with refused("Invalid write attributes specified while updating a client"):
        updated_client_settings({}, {"WriteAttributes": ["email_verified"]}, POOL)
    with refused("Invalid read attributes specified while updating a client"):
        updated_client_settings({}, {"ReadAttributes": ["nope"]}, POOL)


# --- OAuth ----------------------------------------------------------------------------------------------------------


def test_oauth_client_is_stored_as_given():
    settings = new_client_settings(
        {
            **OAUTH,
            "DefaultRedirectURI": "https://app.example.com/cb",
            "LogoutURLs": ["https://app.example.com/"],
        },
        POOL,
    )
    assert {k: settings[k] for k in OAUTH} == OAUTH
    assert settings["DefaultRedirectURI"] == "https://app.example.com/cb"


@pytest.mark.parametrize("missing", ["AllowedOAuthFlows", "AllowedOAuthScopes"])
def test_oauth_client_needs_flows_and_scopes(missing):
    request = {k: v for k, v in OAUTH.items() if k != missing}
    with refused(
        "AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is allowed to use "
        "OAuth flows."
    ):
        new_client_settings(request, POOL)


@pytest.mark.parametrize("flow", ["code", "implicit"])
def test_code_and_implicit_flows_need_callback_urls(flow):
    request = {**OAUTH, "AllowedOAuthFlows": [flow], "CallbackURLs": []}
    with refused(
        "CallbackUrls can not be empty when code flow or implicit flow is selected", InvalidOAuthFlowException
    ):
        new_client_settings(request, POOL)


def test_client_credentials_can_not_be_combined_with_other_flows():
    request = {**OAUTH, "AllowedOAuthFlows": ["client_credentials", "code"]}
    with refused(
        "client_credentials flow can not be selected along with code flow or implicit flow.",
        InvalidOAuthFlowException,
    ):
        new_client_settings(request, POOL, has_secret=True)


def test_client_credentials_needs_a_client_secret():
    request = {
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": ["api/read"],
    }
    with refused(
        "client_credentials flow can not be selected if client does not have a client secret.",
        InvalidOAuthFlowException,
    ):
        new_client_settings(request, POOL, has_secret=False)
    assert new_client_settings(request, POOL, has_secret=True)["AllowedOAuthFlows"] == ["client_credentials"]
    assert new_client_settings({**request, "GenerateSecret": True}, POOL)["AllowedOAuthFlows"] == [
        "client_credentials"
    ]


def test_oauth_members_without_the_oauth_flag_are_kept_unchecked():
    settings = new_client_settings(
        {"AllowedOAuthFlows": ["code"], "CallbackURLs": ["https://a.example/cb"]}, POOL
    )
    assert settings["AllowedOAuthFlowsUserPoolClient"] is False
    assert settings["AllowedOAuthFlows"] == ["code"]


@pytest.mark.parametrize(
    "url",
    [
        "https://app.example.com/callback",
        "http://localhost",
        "http://localhost:3000/cb",
        "http://127.0.0.1:8080/",
        "http://[::1]:9000/cb",
        "myapp://example",
        "com.example.app:/oauth2redirect",
    ],
)
def test_acceptable_callback_urls(url):
    assert new_client_settings({**OAUTH, "CallbackURLs": [url]}, POOL)["CallbackURLs"] == [url]


@pytest.mark.parametrize(
    "url",
    [
        "http://app.example.com/cb",
        "/callback",
        "https://app.example.com/cb#frag",
        "https://app.example.com/#",
    ],
)
def test_unacceptable_callback_urls_are_refused(url):
    with pytest.raises(InvalidParameterException):
        new_client_settings({**OAUTH, "CallbackURLs": [url]}, POOL)


def test_default_redirect_uri_must_be_a_callback_url():
    with pytest.raises(InvalidParameterException):
        new_client_settings({**OAUTH, "DefaultRedirectURI": "https://other.example.com/cb"}, POOL)


def test_identity_providers_must_exist_in_the_pool():
    request = {"SupportedIdentityProviders": ["COGNITO", "Google"]}
    with refused("The provider Google does not exist for User Pool us-east-1_kvPzTDvWb"):
        new_client_settings(request, POOL, pool_id="us-east-1_kvPzTDvWb", identity_providers=["MySAML"])
    settings = new_client_settings(
        request, POOL, pool_id="us-east-1_kvPzTDvWb", identity_providers=["Google"]
    )
    assert settings["SupportedIdentityProviders"] == ["COGNITO", "Google"]


def test_identity_providers_are_not_checked_when_the_pool_providers_are_not_given():
    settings = new_client_settings({"SupportedIdentityProviders": ["Google"]}, POOL)
    assert settings["SupportedIdentityProviders"] == ["Google"]


def test_context_data_propagation_needs_a_client_secret():
    with pytest.raises(InvalidParameterException):
        new_client_settings({"EnablePropagateAdditionalUserContextData": True}, POOL, has_secret=False)
    settings = new_client_settings({"EnablePropagateAdditionalUserContextData": True}, POOL, has_secret=True)
    assert settings["EnablePropagateAdditionalUserContextData"] is True


# --- UpdateUserPoolClient -----------------------------------------------------------------------------------------------


def configured_client() -> dict:
    settings = new_client_settings(
        {
            **OAUTH,
            "RefreshTokenValidity": 7,
            "AccessTokenValidity": 30,
            "IdTokenValidity": 30,
            "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes"},
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"],
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": False,
            "AuthSessionValidity": 10,
            "ReadAttributes": ["email"],
        },
        POOL,
    )
    settings["ClientType"] = "REGULAR"  # not an UpdateUserPoolClient member
    return settings


def test_update_with_nothing_returns_the_client_to_its_defaults():
    settings = updated_client_settings(configured_client(), {}, POOL)
    assert settings == {**new_client_settings({}, POOL), "ClientType": "REGULAR"}


def test_update_replaces_the_given_members():
    settings = updated_client_settings(
        configured_client(), {"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH"], "ClientName": "renamed"}, POOL
    )
    assert settings["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH"]
    assert "ClientName" not in settings
    assert "CallbackURLs" not in settings


def test_update_does_not_change_the_stored_settings():
    current = configured_client()
    before = copy.deepcopy(current)
    updated_client_settings(current, {"AuthSessionValidity": 5}, POOL)
    assert current == before


def test_update_applies_the_same_rules():
    with refused("Invalid range for token validity."):
        updated_client_settings(configured_client(), {"AccessTokenValidity": 48}, POOL)


# --- what Describe and List show -------------------------------------------------------------------------------------------


def test_describe_client_shows_ids_name_dates_and_settings_in_cognitos_member_order():
    described = clients.describe_client(record(new_client_settings({}, POOL)), secret=None)
    assert list(described) == [
        "UserPoolId",
        "ClientName",
        "ClientId",
        "LastModifiedDate",
        "CreationDate",
        "RefreshTokenValidity",
        "TokenValidityUnits",
        "AllowedOAuthFlowsUserPoolClient",
        "EnableTokenRevocation",
        "EnablePropagateAdditionalUserContextData",
        "AuthSessionValidity",
    ]
    assert described["UserPoolId"] == "us-east-1_kvPzTDvWb"
    assert described["ClientId"] == "4bgd5r70a8gtfe4d5d2us1gs6r"
    assert described["ClientName"] == "TailzClient"
    assert described["CreationDate"] == CREATED
    assert described["LastModifiedDate"] == UPDATED


def test_describe_client_shows_the_secret_after_the_client_id():
    described = clients.describe_client(record(new_client_settings({}, POOL)), secret="s" * 51)
    assert described["ClientSecret"] == "s" * 51
    assert list(described)[:4] == ["UserPoolId", "ClientName", "ClientId", "ClientSecret"]


def test_describe_client_orders_a_full_configuration_like_cognito():
    described = clients.describe_client(record(configured_client()), secret=None)
    assert list(described) == [
        "UserPoolId",
        "ClientName",
        "ClientId",
        "LastModifiedDate",
        "CreationDate",
        "RefreshTokenValidity",
        "AccessTokenValidity",
        "IdTokenValidity",
        "TokenValidityUnits",
        "ReadAttributes",
        "ExplicitAuthFlows",
        "CallbackURLs",
        "AllowedOAuthFlows",
        "AllowedOAuthScopes",
        "AllowedOAuthFlowsUserPoolClient",
        "PreventUserExistenceErrors",
        "EnableTokenRevocation",
        "EnablePropagateAdditionalUserContextData",
        "AuthSessionValidity",
        "ClientType",
    ]


def test_client_summary_lists_id_pool_and_name():
    assert clients.client_summary(record({})) == {
        "ClientId": "4bgd5r70a8gtfe4d5d2us1gs6r",
        "UserPoolId": "us-east-1_kvPzTDvWb",
        "ClientName": "TailzClient",
    }


def test_rules_needing_a_secret_are_skipped_when_the_caller_does_not_say():
    request = {
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": ["api/read"],
        "EnablePropagateAdditionalUserContextData": True,
    }
    assert new_client_settings(request, POOL)["AllowedOAuthFlows"] == ["client_credentials"]
    with pytest.raises(InvalidOAuthFlowException):
        updated_client_settings({}, request, POOL, has_secret=False)


# --- scopes and sign-out URLs ------------------------------------------------------------------------------------

KNOWN = frozenset({"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin", "api/read"})


def test_allowed_scopes_must_exist_in_the_pool():
    settings = new_client_settings({**OAUTH, "AllowedOAuthScopes": ["openid", "api/read"]}, POOL, known_scopes=KNOWN)
    assert settings["AllowedOAuthScopes"] == ["openid", "api/read"]
    with refused("Invalid scope requested: api/write", ScopeDoesNotExistException):
        new_client_settings({**OAUTH, "AllowedOAuthScopes": ["openid", "api/write"]}, POOL, known_scopes=KNOWN)


def test_unknown_scopes_are_refused_even_without_the_oauth_flag():
    with refused("Invalid scope requested: Cognito", ScopeDoesNotExistException):
        updated_client_settings({}, {"AllowedOAuthScopes": ["Cognito"]}, POOL, known_scopes=KNOWN)


def test_scopes_are_not_checked_without_the_known_scopes():
    assert new_client_settings({**OAUTH, "AllowedOAuthScopes": ["x/y"]}, POOL)["AllowedOAuthScopes"] == ["x/y"]


@pytest.mark.parametrize("url", ["http://app.example.com/bye", "https://app.example.com/bye#x", "bye"])
def test_unacceptable_logout_urls_are_refused(url):
    with refused(f"Invalid LogoutURLs: {url}"):
        new_client_settings({**OAUTH, "LogoutURLs": [url]}, POOL)


def test_loopback_and_app_logout_urls_are_accepted():
    urls = ["http://localhost:3000/", "myapp://signed-out", "https://app.example.com/bye"]
    assert new_client_settings({**OAUTH, "LogoutURLs": urls}, POOL)["LogoutURLs"] == urls


def test_token_validity_seconds_answers_each_settings_alike_and_a_dict_of_its_own() -> None:
    from userpools.domain.clients import token_validity_seconds

    first = token_validity_seconds({})
    assert first == {"AccessToken": 3600, "IdToken": 3600, "RefreshToken": 30 * 86400}
    first["AccessToken"] = 1  # a caller's change stays its own
    assert token_validity_seconds({})["AccessToken"] == 3600
    settings = {"AccessTokenValidity": 10, "IdTokenValidity": 2, "RefreshTokenValidity": 60,
                "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "hours", "RefreshToken": "minutes"}}
    for _ in range(2):  # computed, then remembered
        assert token_validity_seconds(settings) == {"AccessToken": 600, "IdToken": 7200, "RefreshToken": 3600}
    settings["TokenValidityUnits"] = {"AccessToken": "seconds"}
    assert token_validity_seconds(settings)["AccessToken"] == 10

"""App clients: what Cognito stores, fills in by default, refuses, and shows.

Pure functions on the client's settings document (``ClientRecord.settings``: every member of UserPoolClientType
except the ids, name, secret and dates, in Cognito's names, as DescribeUserPoolClient shows it). Shape rules
(types, enums, ranges) are checked before these functions run. Source marks as in ``domain.pools``; client
sources: [real23] a client created in 2023 with only ClientName (DescribeUserPoolClient output kept in a
project's aws-exports comment), [cli-upc] aws-cli update-user-pool-client.rst (2025 output), [cli-2024] a
2024 create-user-pool-client output with token validities, [tf-acc] terraform-provider-aws acceptance tests
quoting Cognito's errors.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Collection, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from userpools.domain.pools import input_members, order_by_shape, shape_named
from userpools.domain.records import ClientRecord
from userpools.errors import (
    FeatureUnavailableInTierException,
    InvalidOAuthFlowException,
    InvalidParameterException,
    ScopeDoesNotExistException,
)

Settings = dict[str, Any]

# Shown for a client created with only ClientName [O: real23 — RefreshTokenValidity 30, TokenValidityUnits {},
# AllowedOAuthFlowsUserPoolClient false, EnableTokenRevocation true, EnablePropagateAdditionalUserContextData
# false, AuthSessionValidity 3; C: "token revocation is automatically activated for the new user pool
# client", AllowedOAuthFlowsUserPoolClient "defaults to false"]. Absent unless given [O: real23, cli-2024]:
# AccessTokenValidity and IdTokenValidity (1 hour), ExplicitAuthFlows (then the three ALLOW_ flows below
# apply [C]), PreventUserExistenceErrors (then LEGACY [C]), Read-/WriteAttributes ("only populates … if you
# have specified your own" [C]), the OAuth lists, AnalyticsConfiguration, RefreshTokenRotation ([U] absent).
_DEFAULTS: Settings = {
    "RefreshTokenValidity": 30,
    "TokenValidityUnits": {},
    "AllowedOAuthFlowsUserPoolClient": False,
    "EnableTokenRevocation": True,
    "EnablePropagateAdditionalUserContextData": False,
    "AuthSessionValidity": 3,
}
DEFAULT_EXPLICIT_AUTH_FLOWS = ("ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH")  # [C]
CLIENT_TOKEN_FLOW = "ALLOW_CLIENT_TOKEN_AUTH"  # GetClientToken's flow; the client's only one [C]
TOKEN_EXCHANGE_FLOWS = frozenset({"ALLOW_TOKEN_EXCHANGE_IMPERSONATION", "ALLOW_TOKEN_EXCHANGE_DELEGATION"})
LEGACY_AUTH_FLOWS = frozenset({"ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"})  # [C]

# The AuthFlow values (InitiateAuth/AdminInitiateAuth) each ExplicitAuthFlows value lets a client start.
# ADMIN_NO_SRP_AUTH is the former name of ADMIN_USER_PASSWORD_AUTH [C: "This setting replaces the
# ADMIN_NO_SRP_AUTH setting"], so either setting allows either name of the flow.
_REFRESH = frozenset({"REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"})
_ADMIN_PASSWORD = frozenset({"ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"})
_ALLOWED_BY: dict[str, frozenset[str]] = {
    "ALLOW_USER_SRP_AUTH": frozenset({"USER_SRP_AUTH"}),
    "ALLOW_USER_PASSWORD_AUTH": frozenset({"USER_PASSWORD_AUTH"}),
    "ALLOW_ADMIN_USER_PASSWORD_AUTH": _ADMIN_PASSWORD,
    "ALLOW_REFRESH_TOKEN_AUTH": _REFRESH,
    "ALLOW_CUSTOM_AUTH": frozenset({"CUSTOM_AUTH"}),
    "ALLOW_USER_AUTH": frozenset({"USER_AUTH"}),
    # Legacy values add their flow to the ones every legacy client has (below).
    "USER_PASSWORD_AUTH": frozenset({"USER_PASSWORD_AUTH"}),
    "ADMIN_NO_SRP_AUTH": _ADMIN_PASSWORD,
}
# Legacy clients (only legacy values) come from before Cognito could turn flows off ("This release also adds
# support to enable or disable specific authentication flows for a user pool client" [C: 2019-11-14 API
# change]): SRP and refresh are always on [O: moto's AWS-verified tests sign in with USER_SRP_AUTH on clients
# with ["USER_PASSWORD_AUTH"] and ["ADMIN_NO_SRP_AUTH"], and refresh on the latter], and so is CUSTOM_AUTH
# [U: the ALLOW_ default set, SRP + refresh + custom, keeps what a client without settings had].
_LEGACY_ALWAYS = frozenset({"USER_SRP_AUTH", "CUSTOM_AUTH"}) | _REFRESH
# CUSTOM_AUTH_FLOW_ONLY ("Only allow custom authentication") leaves custom auth and refresh only: no SRP and
# no password flow, even one listed beside it [U].
_CUSTOM_ONLY = frozenset({"CUSTOM_AUTH"}) | _REFRESH
# Members the handler owns (ids, name, secret, Secrets Manager publishing: userpools keeps the secret itself).
_NOT_SETTINGS = (
    "UserPoolId",
    "ClientId",
    "ClientName",
    "GenerateSecret",
    "ClientSecret",
    "PublishSecretsInAWSSecretsManager",
)
_LISTS = (
    "ReadAttributes",
    "WriteAttributes",
    "ExplicitAuthFlows",
    "SupportedIdentityProviders",
    "CallbackURLs",
    "LogoutURLs",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
)

_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# (value member, unit member, default unit [C], default value [C: 1 hour; 30 days], range in seconds [C])
_VALIDITIES = (
    ("AccessTokenValidity", "AccessToken", "hours", 1, 5 * 60, 86400),
    ("IdTokenValidity", "IdToken", "hours", 1, 5 * 60, 86400),
    ("RefreshTokenValidity", "RefreshToken", "days", 30, 3600, 3650 * 86400),
)
# Attributes no app client may write: the verification flags [O: a real UpdateUserPoolClient refused
# email_verified with "Invalid write attributes specified while updating a client"], sub [U: immutable id],
# and developer-only attributes ("read-only to all app clients" [C: SchemaAttributeType doc]).
_NEVER_WRITABLE = frozenset({"sub", "email_verified", "phone_number_verified"})
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def token_validity_seconds(settings: Mapping[str, Any]) -> dict[str, int]:
    """The client's access, ID and refresh token lifetimes in seconds (the tokens module issues with these)."""
    units = settings.get("TokenValidityUnits") or {}
    out = {}
    for value_key, unit_key, default_unit, default_value, _lo, _hi in _VALIDITIES:
        value = settings.get(value_key) or default_value
        out[unit_key] = value * _SECONDS[units.get(unit_key, default_unit)]
    return out


def explicit_auth_flows(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The client's ExplicitAuthFlows: as set, or the documented default when never set [C]."""
    flows = settings.get("ExplicitAuthFlows")
    return tuple(flows) if flows else DEFAULT_EXPLICIT_AUTH_FLOWS


def is_legacy(flows: Collection[str]) -> bool:
    """Whether ExplicitAuthFlows holds the legacy values (they cannot be mixed with ALLOW_ ones)."""
    return bool(LEGACY_AUTH_FLOWS.intersection(flows))


def enabled_auth_flows(settings: Mapping[str, Any]) -> frozenset[str]:
    """The AuthFlow values the client may start, under Cognito's rules for ALLOW_ and for legacy values."""
    return _enabled_auth_flows(explicit_auth_flows(settings))


@functools.lru_cache(maxsize=256)
def _enabled_auth_flows(flows: tuple[str, ...]) -> frozenset[str]:
    """``enabled_auth_flows`` of one ExplicitAuthFlows (every sign-in asks; clients share a few of them)."""
    enabled = frozenset[str]().union(*(_ALLOWED_BY.get(flow, frozenset()) for flow in flows))
    if not is_legacy(flows):
        return enabled
    if "CUSTOM_AUTH_FLOW_ONLY" in flows:
        return _CUSTOM_ONLY
    return enabled | _LEGACY_ALWAYS


def _invalid(message: str) -> InvalidParameterException:
    return InvalidParameterException(message)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))  # Cognito stores these as sets [O: cli-upc returns them reordered]


def _validities(request: Mapping[str, Any]) -> Settings:
    units = request.get("TokenValidityUnits") or {}
    out: Settings = {}
    for value_key, unit_key, default_unit, default_value, lo, hi in _VALIDITIES:
        unit = units.get(unit_key, default_unit)
        value = request.get(value_key)
        if value_key == "RefreshTokenValidity" and value == 0:
            # "You can't set RefreshTokenValidity to 0. If you do, Amazon Cognito overrides the value with the
            # default value of 30 days" [C]; [U] expressed in the given unit so the duration stays 30 days.
            value = 30 * 86400 // _SECONDS[unit]
        # [U] a unit given without its value scales the default value (1, or 30 for refresh tokens): a lone
        # "minutes" makes a 1-minute access token or a 30-minute refresh token, both out of range — one report
        # [O: a CDK project's comment] saw Cognito refuse a unit given without its value with this message.
        seconds = (value if value is not None else default_value) * _SECONDS[unit]
        if value is not None:
            out[value_key] = value
        if not lo <= seconds <= hi:
            raise _invalid("Invalid range for token validity.")  # [O: aws-cloudformation-user-guide#828; tf]
    out["TokenValidityUnits"] = copy.deepcopy(dict(units))
    return out


def _check_auth_flows(flows: list[str], pool_settings: Mapping[str, Any], has_secret: bool | None = None) -> None:
    if CLIENT_TOKEN_FLOW in flows:
        # [C] "The ALLOW_CLIENT_TOKEN_AUTH flow is mutually exclusive with user authentication flows. It must be
        # the only authentication flow that you configure for the app client", and it needs a secret; [U] the
        # exception and wording of both refusals.
        if len(flows) > 1:
            raise _invalid("ALLOW_CLIENT_TOKEN_AUTH can not be combined with other ExplicitAuthFlows.")
        if has_secret is False:
            raise _invalid("ALLOW_CLIENT_TOKEN_AUTH can not be selected if client does not have a client secret.")
    if is_legacy(flows) and any(f.startswith("ALLOW_") for f in flows):
        # [C] "You can't assign these legacy ExplicitAuthFlows values … at the same time as values that begin
        # with ALLOW_"; [U] wording.
        raise _invalid(
            "Legacy ExplicitAuthFlows values can not be combined with values that begin with ALLOW_."
        )
    if "ALLOW_USER_AUTH" in flows and pool_settings.get("UserPoolTier") == "LITE":
        # [C] ALLOW_USER_AUTH needs the Essentials tier or higher; [U] wording.
        raise FeatureUnavailableInTierException(
            "ALLOW_USER_AUTH requires the Essentials or Plus feature plan."
        )


def _check_attributes(settings: Mapping[str, Any], pool_settings: Mapping[str, Any], verb: str) -> None:
    schema = pool_settings.get("SchemaAttributes") or []
    known = {a["Name"] for a in schema}
    read, write = settings.get("ReadAttributes"), settings.get("WriteAttributes")
    if read is not None and not known.issuperset(read):
        # [O: a CloudFormation linter quotes it for unknown names]
        raise _invalid(f"Invalid read attributes specified while {verb} a client")
    if write is not None:
        required = {a["Name"] for a in schema if a.get("Required")} - _NEVER_WRITABLE
        if (
            not known.issuperset(write)
            or _NEVER_WRITABLE.intersection(write)
            or any(n.startswith("dev:") for n in write)
            or not required.issubset(write)
        ):
            # [O: real API runs refused write lists without a required attribute (creating) and with
            # email_verified (updating)]
            raise _invalid(f"Invalid write attributes specified while {verb} a client")


def _bad_callback(url: str) -> bool:
    """Absolute, no fragment, HTTPS except http on loopback; custom schemes (myapp://) allowed [C]."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return True
    if not parts.scheme or parts.fragment or "#" in url:
        return True
    return parts.scheme.lower() == "http" and host not in _LOOPBACK


def _check_scopes(settings: Mapping[str, Any], known_scopes: Collection[str] | None) -> None:
    """Each allowed scope is a standard one or ``<resource server>/<scope>`` of the pool, whether or not the
    OAuth flag is on [O: awsdocs/aws-cloudformation-user-guide#564 and PR#518 quote "Invalid scope requested:
    Cognito" with ScopeDoesNotExistException]. Skipped while ``known_scopes`` is None."""
    if known_scopes is None:
        return
    for scope in settings.get("AllowedOAuthScopes") or []:
        if scope not in known_scopes:
            raise ScopeDoesNotExistException(f"Invalid scope requested: {scope}")


def _check_oauth(settings: Mapping[str, Any], *, has_secret: bool | None) -> None:
    callbacks = settings.get("CallbackURLs") or []
    for url in callbacks:
        if _bad_callback(url):
            raise _invalid(f"Invalid CallbackURLs: {url}")  # [U] wording
    for url in settings.get("LogoutURLs") or []:
        # [U] sign-out URLs are redirect targets like callbacks, so the same rule (absolute, no fragment, https
        # except on loopback) is applied; wording ours
        if _bad_callback(url):
            raise _invalid(f"Invalid LogoutURLs: {url}")
    default_uri = settings.get("DefaultRedirectURI")
    if default_uri is not None and default_uri not in callbacks:
        raise _invalid("DefaultRedirectURI must be in CallbackURLs.")  # [C] rule; [U] wording
    if not settings["AllowedOAuthFlowsUserPoolClient"]:
        # [U] OAuth members given with AllowedOAuthFlowsUserPoolClient false are kept but unused (the OAuth
        # endpoints check the flag): chosen because no refusal text was found and IaC commonly sends them.
        return
    flows, scopes = settings.get("AllowedOAuthFlows") or [], settings.get("AllowedOAuthScopes") or []
    if not flows or not scopes:
        # [O: tf-acc comment quoting the service]
        raise _invalid(
            "AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is allowed to "
            "use OAuth flows."
        )
    if "client_credentials" in flows:
        if len(flows) > 1:  # [O: several IaC projects quote it; U that the code is InvalidOAuthFlowException]
            raise InvalidOAuthFlowException(
                "client_credentials flow can not be selected along with code flow or implicit flow."
            )
        if has_secret is False:  # [O: terraform users quote InvalidOAuthFlowException with this text]
            raise InvalidOAuthFlowException(
                "client_credentials flow can not be selected if client does not have a client secret."
            )
    elif not callbacks:  # [O: tf-acc comment quoting the service]
        raise InvalidOAuthFlowException(
            "CallbackUrls can not be empty when code flow or implicit flow is selected"
        )


def _check_identity_providers(
    settings: Mapping[str, Any], pool_id: str, identity_providers: Collection[str] | None
) -> None:
    if identity_providers is None:
        return
    for name in settings.get("SupportedIdentityProviders") or []:
        if name != "COGNITO" and name not in identity_providers:
            # [O: many CDK/Terraform reports; the pool id ends the sentence]
            raise _invalid(f"The provider {name} does not exist for User Pool {pool_id}")


def _assemble(
    request: Mapping[str, Any],
    pool_settings: Mapping[str, Any],
    *,
    verb: str,
    has_secret: bool | None,
    pool_id: str,
    identity_providers: Collection[str] | None,
    known_scopes: Collection[str] | None = None,
) -> Settings:
    settings: Settings = {
        k: copy.deepcopy(v)
        for k, v in request.items()
        if k not in _NOT_SETTINGS and k not in _LISTS and v is not None
    }
    for key in _LISTS:
        if request.get(key):  # [U] an empty list is shown as absent
            # Legacy ExplicitAuthFlows values are kept as given, not turned into ALLOW_ ones [U: no report of
            # Terraform or CloudFormation drift for clients that still send them].
            settings[key] = _unique(request[key])
    settings.update(_validities(request))
    for key, value in _DEFAULTS.items():
        settings.setdefault(key, copy.deepcopy(value))
    _check_auth_flows(settings.get("ExplicitAuthFlows") or [], pool_settings, has_secret)
    _check_attributes(settings, pool_settings, verb)
    _check_oauth(settings, has_secret=has_secret)
    _check_scopes(settings, known_scopes)
    _check_identity_providers(settings, pool_id, identity_providers)
    if settings["EnablePropagateAdditionalUserContextData"] and has_secret is False:
        # [C] "You can only activate EnablePropagateAdditionalUserContextData in an app client that has a
        # client secret"; [U] wording.
        raise _invalid(
            "EnablePropagateAdditionalUserContextData can only be activated for a client with a "
            "client secret."
        )
    return settings


def _has_secret(request: Mapping[str, Any], has_secret: bool | None) -> bool | None:
    """Whether the client has a secret; None when the caller did not say (the checks that need it are skipped)."""
    if request.get("GenerateSecret") or request.get("ClientSecret"):
        return True
    return has_secret


def new_client_settings(
    request: Mapping[str, Any],
    pool_settings: Mapping[str, Any],
    *,
    has_secret: bool | None = None,
    pool_id: str = "",
    identity_providers: Collection[str] | None = None,
    known_scopes: Collection[str] | None = None,
) -> Settings:
    """CreateUserPoolClient input → the client's settings with every default filled in.

    The request should not carry UserPoolId, ClientName, GenerateSecret or ClientSecret (they are ignored if it
    does, except that a true GenerateSecret or a ClientSecret means the client has a secret). Pass
    ``has_secret`` (True/False) so that the rules needing a secret (client_credentials, context-data
    propagation) are checked: they are skipped while it is None. Pass ``pool_id`` with ``identity_providers``
    (the pool's IdP names) to check SupportedIdentityProviders, and ``known_scopes`` (the standard scopes and
    the pool's custom ones) to check AllowedOAuthScopes; each check is skipped while its argument is None."""
    return _assemble(
        request,
        pool_settings,
        verb="creating",
        has_secret=_has_secret(request, has_secret),
        pool_id=pool_id,
        identity_providers=identity_providers,
        known_scopes=known_scopes,
    )


def updated_client_settings(
    current: Mapping[str, Any],
    request: Mapping[str, Any],
    pool_settings: Mapping[str, Any],
    *,
    has_secret: bool | None = None,
    pool_id: str = "",
    identity_providers: Collection[str] | None = None,
    known_scopes: Collection[str] | None = None,
) -> Settings:
    """UpdateUserPoolClient: the request's members replace the stored ones and omitted members return to their
    defaults ("If you don't provide a value for an attribute, Amazon Cognito sets it to its default value"
    [C: UpdateUserPoolClient doc]). Stored keys that are not UpdateUserPoolClient members (ClientType,
    ClientSecretArn, …) are kept. ClientName is the handler's."""
    settings = _assemble(
        request,
        pool_settings,
        verb="updating",
        has_secret=_has_secret(request, has_secret),
        pool_id=pool_id,
        identity_providers=identity_providers,
        known_scopes=known_scopes,
    )
    updatable = set(input_members("UpdateUserPoolClient"))
    for key, value in current.items():
        if key not in updatable:
            settings[key] = copy.deepcopy(value)
    return settings


def client_type(settings: Mapping[str, Any]) -> str:
    """REGULAR, or DCR for a client registered through dynamic client registration (kept in the settings)."""
    return str(settings.get("ClientType") or "REGULAR")


def describe_client(client: ClientRecord, *, secret: str | None) -> Settings:
    """UserPoolClientType for Create/Describe/UpdateUserPoolClient, in Cognito's member order [O: cli-upc]."""
    document = dict(client.settings)
    document.update(
        UserPoolId=client.pool_id,
        ClientName=client.name,
        ClientId=client.id,
        LastModifiedDate=client.updated_at,
        CreationDate=client.created_at,
    )
    if secret is not None:
        document["ClientSecret"] = secret
    return order_by_shape(document, shape_named("UserPoolClientType"))  # type: ignore[no-any-return]


def client_summary(client: ClientRecord) -> Settings:
    """UserPoolClientDescription for ListUserPoolClients."""
    return {"ClientId": client.id, "UserPoolId": client.pool_id, "ClientName": client.name}

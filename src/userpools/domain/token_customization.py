"""What a PreTokenGeneration function's answer does to the tokens, and issuing tokens with it applied.

Sources: [C] documented, [O] observed or reported by third parties, [U] unconfirmed choice.

- V1_0 answers ``claimsOverrideDetails`` {claimsToAddOrOverride, claimsToSuppress, groupOverrideDetails}: the
  claims change the ID token only; the group override changes ``cognito:groups`` in both tokens [C: Developer
  Guide, "Pre token generation Lambda trigger" (archived 2023 text)].
- V2_0 / V3_0 answer ``claimsAndScopeOverrideDetails`` {idTokenGeneration {claimsToAddOrOverride,
  claimsToSuppress}, accessTokenGeneration {claimsToAddOrOverride, claimsToSuppress, scopesToAdd,
  scopesToSuppress}, groupOverrideDetails} [C: current guide]; claim values may be any JSON there [C].
- A claim both suppressed and overridden is suppressed [C].
- ``groupOverrideDetails`` replaces the groups: ``groupsToOverride`` becomes ``cognito:groups`` (in both tokens),
  ``iamRolesToOverride`` ``cognito:roles`` and ``preferredRole`` ``cognito:preferred_role`` (ID token) [C]. The
  guide says an empty or null object suppresses the groups; an absent or null ``groupOverrideDetails`` is
  taken here to leave them as they are, as functions that only add claims expect [U].
- Some claims cannot be added, changed or suppressed: the archived guide lists acr, amr, aud, at_hash,
  auth_time, azp, cognito:username, exp, iat, identities, iss, jti, nbf, nonce, origin_jti, sub, token_use [C];
  later texts add client_id, device_key, event_id, version and every other ``cognito:`` claim but the three
  group claims [O: a summary of the current guide]; ``username`` and (in access tokens) ``scope``, which
  changes through scopesToAdd/scopesToSuppress, are kept here too [U]. An access token may be given an
  ``aud`` equal to its client id [O: same summary]. Such entries are dropped silently, not refused [U: a
  third-party emulator's notes say real Cognito "quietly drops" them].
- scopesToSuppress wins over scopesToAdd; a scope with white space in it is dropped; an access token whose
  scopes are all suppressed has no ``scope`` claim [U].
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from userpools.crypto.datakey import DataKeyCipher
from userpools.crypto.jwt import SigningKeys
from userpools.domain.records import ClientRecord, UserRecord
from userpools.domain.tokens import (
    ADMIN_SCOPE,
    Issued,
    OAuthGrant,
    cognito_order,
    issue_tokens,
)

GROUP_CLAIMS = frozenset({"cognito:groups", "cognito:roles", "cognito:preferred_role"})
RESERVED = frozenset(
    {
        "acr", "amr", "aud", "at_hash", "auth_time", "azp", "cognito:username", "exp", "iat", "identities",
        "iss", "jti", "nbf", "nonce", "origin_jti", "sub", "token_use",
        "client_id", "device_key", "event_id", "version", "username",
    }
)
ACCESS_RESERVED = RESERVED | {"scope"}


@dataclass(frozen=True)
class GroupOverride:
    groups: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    preferred_role: str | None = None


@dataclass(frozen=True)
class TokenOverrides:
    """The parts of an answer that change the tokens (all empty: the tokens as they would be)."""

    id_add: Mapping[str, Any] = field(default_factory=dict)
    id_suppress: frozenset[str] = frozenset()
    access_add: Mapping[str, Any] = field(default_factory=dict)
    access_suppress: frozenset[str] = frozenset()
    scopes_add: tuple[str, ...] = ()
    scopes_suppress: frozenset[str] = frozenset()
    group_override: GroupOverride | None = None


NO_OVERRIDES = TokenOverrides()


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _group_override(value: Any) -> GroupOverride | None:
    if not isinstance(value, Mapping):
        return None
    preferred = value.get("preferredRole")
    return GroupOverride(
        groups=tuple(_strings(value.get("groupsToOverride"))),
        roles=tuple(_strings(value.get("iamRolesToOverride"))),
        preferred_role=preferred if isinstance(preferred, str) and preferred else None,
    )


def read_overrides(response: Mapping[str, Any], version: str) -> TokenOverrides:
    """The overrides in a function's ``response`` (already checked by ``triggers.answers``), for the pool's
    PreTokenGenerationConfig.LambdaVersion (``V1_0``, ``V2_0``, ``V3_0``)."""
    if version == "V1_0":
        details = _mapping(response.get("claimsOverrideDetails"))
        return TokenOverrides(
            id_add=dict(_mapping(details.get("claimsToAddOrOverride"))),
            id_suppress=frozenset(_strings(details.get("claimsToSuppress"))),
            group_override=_group_override(details.get("groupOverrideDetails")),
        )
    details = _mapping(response.get("claimsAndScopeOverrideDetails"))
    id_part = _mapping(details.get("idTokenGeneration"))
    access_part = _mapping(details.get("accessTokenGeneration"))
    return TokenOverrides(
        id_add=dict(_mapping(id_part.get("claimsToAddOrOverride"))),
        id_suppress=frozenset(_strings(id_part.get("claimsToSuppress"))),
        access_add=dict(_mapping(access_part.get("claimsToAddOrOverride"))),
        access_suppress=frozenset(_strings(access_part.get("claimsToSuppress"))),
        scopes_add=tuple(_strings(access_part.get("scopesToAdd"))),
        scopes_suppress=frozenset(_strings(access_part.get("scopesToSuppress"))),
        group_override=_group_override(details.get("groupOverrideDetails")),
    )


def _editable(name: str, reserved: frozenset[str]) -> bool:
    return name not in reserved and (not name.startswith("cognito:") or name in GROUP_CLAIMS)


def _apply(claims: dict[str, Any], add: Mapping[str, Any], suppress: Collection[str],
           reserved: frozenset[str], *, client_id: str | None = None) -> None:
    for name, value in add.items():
        if name in GROUP_CLAIMS:
            continue  # groups change through groupOverrideDetails [C]
        if _editable(name, reserved) or (client_id is not None and name == "aud" and value == client_id):
            claims[name] = value
    for name in suppress:
        if _editable(name, reserved):
            claims.pop(name, None)


def _groups(claims: dict[str, Any], override: GroupOverride, *, id_token: bool) -> None:
    claims.pop("cognito:groups", None)
    if override.groups:
        claims["cognito:groups"] = list(override.groups)
    if not id_token:
        return
    claims.pop("cognito:roles", None)
    claims.pop("cognito:preferred_role", None)
    if override.roles:
        claims["cognito:roles"] = list(override.roles)
    if override.preferred_role:
        claims["cognito:preferred_role"] = override.preferred_role


def customize_id_claims(claims: Mapping[str, Any], overrides: TokenOverrides) -> dict[str, Any]:
    out = dict(claims)
    if overrides.group_override is not None:
        _groups(out, overrides.group_override, id_token=True)
    _apply(out, overrides.id_add, overrides.id_suppress, RESERVED)
    return cognito_order(out)


def customize_access_claims(claims: Mapping[str, Any], overrides: TokenOverrides, *,
                            client_id: str) -> dict[str, Any]:
    out = dict(claims)
    if overrides.group_override is not None:
        _groups(out, overrides.group_override, id_token=False)
    _apply(out, overrides.access_add, overrides.access_suppress, ACCESS_RESERVED, client_id=client_id)
    scopes = scopes_after(str(out.get("scope", "")).split(), overrides)
    if scopes:
        out["scope"] = " ".join(scopes)
    else:
        out.pop("scope", None)
    return cognito_order(out, buckets=32)


def scopes_after(scopes: list[str], overrides: TokenOverrides) -> list[str]:
    """The access token's scopes after scopesToAdd and scopesToSuppress (suppression wins) [U]."""
    result = [s for s in scopes if s not in overrides.scopes_suppress]
    for scope in overrides.scopes_add:
        if scope and not any(c.isspace() for c in scope) and scope not in result \
                and scope not in overrides.scopes_suppress:
            result.append(scope)
    return result


def issue_customized_tokens(
    *,
    pool_id: str,
    client: ClientRecord,
    user: UserRecord,
    groups: list[str],
    keys: SigningKeys,
    now: datetime,
    auth_time: datetime,
    origin_jti: str,
    issuer: str,
    readable_attributes: Collection[str] | None,
    with_refresh: bool,
    refresh_expires_at: datetime | None,
    cipher: DataKeyCipher,
    refresh_generation: int = 0,
    roles: tuple[str, ...] = (),
    preferred_role: str | None = None,
    overrides: TokenOverrides,
    scopes: tuple[str, ...] = (ADMIN_SCOPE,),
    deferred: bool = False,
    oauth: OAuthGrant | None = None,
    device_key: str | None = None,
) -> Issued:
    """``domain.tokens.issue_tokens`` with a PreTokenGeneration answer applied: the same claims, built by the
    same functions, changed by ``overrides`` before they are signed."""

    def customize(id_claims: dict[str, Any], access_claims: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        return (customize_id_claims(id_claims, overrides),
                customize_access_claims(access_claims, overrides, client_id=client.id))

    return issue_tokens(
        pool_id=pool_id, client=client, user=user, groups=groups, keys=keys, now=now, auth_time=auth_time,
        origin_jti=origin_jti, issuer=issuer, readable_attributes=readable_attributes, with_refresh=with_refresh,
        refresh_expires_at=refresh_expires_at, cipher=cipher, refresh_generation=refresh_generation,
        roles=roles, preferred_role=preferred_role, scope=" ".join(scopes), customize=customize, deferred=deferred,
        oauth=oauth, device_key=device_key,
    )

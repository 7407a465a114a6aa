"""Dynamic client registration (RFC 7591) at ``POST /oauth2/register`` of a pool's domain [C: developer guide,
"Dynamic client registration"], where the pool's DcrConfiguration turns it on.

- Open registration (no token) needs OpenDcrEnabled; its grant types are OpenDcrGrantTypes (default: code).
  Authenticated registration sends an access token of the pool holding the system-managed scope
  ``aws.cognito/dcr/register`` as a Bearer token (the initial access token, typically from a client_credentials
  grant); its grant types are AuthenticatedGrantTypes (default: code and client_credentials). An empty list
  refuses that kind of registration; ``implicit`` is accepted in the lists and ignored [C: DcrConfigurationType].
- Scopes: the OIDC scopes (openid, email, phone, profile) and the configuration's AllowedScopes, never
  ``aws.cognito/dcr/register`` [C].
- The client is an ordinary app client of the pool, ClientType DCR, listed by ListUserPoolClients [C].

[U] choices, also in docs/compatibility.md: the endpoint answers 404 when registration is off (discovery lists
it only when on [C]); errors are RFC 7591's JSON (invalid_client_metadata, invalid_redirect_uri) or RFC 6750's
401 invalid_token; token_endpoint_auth_method defaults to client_secret_basic (RFC 7591) and ``none`` makes a
client without a secret; a request without ``scope`` gets every scope it may have (OIDC scopes for code
clients, AllowedScopes); the ``refresh_token`` grant adds ALLOW_REFRESH_TOKEN_AUTH; the client's name is
``client_name`` reduced to ClientName's characters. No registration management (RFC 7592).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from userpools import ids
from userpools.crypto.jwt import TokenError, verify
from userpools.domain import clients as client_domain
from userpools.domain import oauth as rules
from userpools.domain import tokens as token_domain
from userpools.domain.records import PoolRecord
from userpools.domain.resource_servers import DCR_SCOPE
from userpools.errors import CognitoError
from userpools.operations.clients import insert_client
from userpools.operations.context import Context
from userpools.operations.idp_lookup import provider_names
from userpools.operations.oauth import defined_custom_scopes

OIDC_SCOPES = ("openid", "email", "phone", "profile")
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
_NAME = re.compile(r"[^\w\s+=,.@-]")


class RegistrationError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


class NotEnabled(Exception):
    """Registration is off for this pool: the endpoint is not there."""


def configuration(pool: PoolRecord) -> Mapping[str, Any] | None:
    """The pool's DcrConfiguration when registration is on (Essentials or Plus [C]), else None."""
    config = pool.settings.get("DcrConfiguration")
    if not isinstance(config, Mapping) or config.get("EnableStatus", "Enabled") != "Enabled":
        return None
    if pool.settings.get("UserPoolTier") == "LITE":
        return None
    return config


def _strings(body: Mapping[str, Any], name: str, default: list[str]) -> list[str]:
    value = body.get(name, default)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RegistrationError("invalid_client_metadata", f"{name} must be an array of strings")
    return list(value)


async def _initial_token(ctx: Context, pool: PoolRecord, token: str) -> None:
    async with ctx.store.transaction(readonly=True) as tx:
        keys = await ctx.keyring.for_pool(tx, pool.id)
    issuer = token_domain.issuer(pool.id, public_url=ctx.settings.public_url, aws_style=ctx.settings.aws_issuer,
                                 region=pool.id.split("_", 1)[0],
                                 updated=token_domain.issuer_updated(pool.settings))
    try:
        if keys is None:
            raise TokenError("no keys")
        claims = verify(token, keys, now=ctx.clock.now())
    except TokenError:
        raise RegistrationError("invalid_token", "Invalid initial access token", 401) from None
    if claims.get("iss") != issuer or claims.get("token_use") != "access" \
            or DCR_SCOPE not in str(claims.get("scope", "")).split():
        raise RegistrationError("invalid_token", f"The initial access token needs the {DCR_SCOPE} scope", 401)


async def register(ctx: Context, pool: PoolRecord, body: Any, bearer: str | None) -> dict[str, Any]:
    """POST /oauth2/register: the registered client's metadata (RFC 7591 §3.2.1). Raises NotEnabled,
    RegistrationError."""
    config = configuration(pool)
    if config is None:
        raise NotEnabled()
    if bearer is not None:
        await _initial_token(ctx, pool, bearer)
        allowed_grants = config.get("AuthenticatedGrantTypes", ["code", "client_credentials"])
    elif config.get("OpenDcrEnabled"):
        allowed_grants = config.get("OpenDcrGrantTypes", ["code"])
    else:
        raise RegistrationError("invalid_token", "An initial access token is required", 401)
    allowed_grants = [g for g in allowed_grants or [] if g != "implicit"]
    if not allowed_grants:
        raise RegistrationError("access_denied", "This kind of registration is not allowed", 403)
    if not isinstance(body, Mapping):
        raise RegistrationError("invalid_client_metadata", "The body must be a JSON object")
    grants = _strings(body, "grant_types", ["authorization_code"])
    flows: list[str] = []
    for grant in grants:
        flow = {"authorization_code": "code", "client_credentials": "client_credentials"}.get(grant)
        if grant in ("refresh_token", "implicit"):
            continue
        if flow is None or flow not in allowed_grants:
            raise RegistrationError("invalid_client_metadata", f"The grant type {grant} is not allowed")
        flows.append(flow)
    if not flows:
        raise RegistrationError("invalid_client_metadata", "grant_types needs authorization_code or "
                                                           "client_credentials")
    method = body.get("token_endpoint_auth_method", "client_secret_basic")
    if method not in AUTH_METHODS:
        raise RegistrationError("invalid_client_metadata", f"Unsupported token_endpoint_auth_method {method}")
    custom = [s for s in config.get("AllowedScopes") or [] if s != DCR_SCOPE]
    may = ([*OIDC_SCOPES] if "code" in flows else []) + custom
    scope = body.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise RegistrationError("invalid_client_metadata", "scope must be a string")
    scopes = rules.parse_scopes(scope) if scope else tuple(may)
    for item in scopes:
        if item not in may:
            raise RegistrationError("invalid_client_metadata", f"The scope {item} is not allowed")
    redirects = _strings(body, "redirect_uris", [])
    if "code" in flows and not redirects:
        raise RegistrationError("invalid_redirect_uri", "redirect_uris is required for authorization_code")
    request: dict[str, Any] = {
        "AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthFlows": flows, "AllowedOAuthScopes": list(scopes),
        "SupportedIdentityProviders": ["COGNITO"],
        "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH"] + (["ALLOW_REFRESH_TOKEN_AUTH"] if "refresh_token" in grants
                                                        else []),
    }
    if redirects:
        request["CallbackURLs"] = redirects
    logout = _strings(body, "post_logout_redirect_uris", [])
    if logout:
        request["LogoutURLs"] = logout
    secret = None if method == "none" else ids.new_client_secret()
    raw_name = body.get("client_name")
    name = _NAME.sub("", raw_name)[:128].strip() if isinstance(raw_name, str) else ""
    async with ctx.store.transaction() as tx:
        current = await tx.pools.get(pool.id, for_update=True)
        if current is None:
            raise NotEnabled()
        try:
            settings = client_domain.new_client_settings(
                request, current.settings, has_secret=secret is not None, pool_id=pool.id,
                identity_providers=await provider_names(tx, pool.id),
                known_scopes=set(OIDC_SCOPES) | await defined_custom_scopes(tx, pool.id),
            )
        except CognitoError as exc:
            kind = "invalid_redirect_uri" if "URL" in exc.message else "invalid_client_metadata"
            raise RegistrationError(kind, exc.message) from None
        settings["ClientType"] = "DCR"
        client = await insert_client(ctx, tx, pool.id, name or "dcr-client", settings, secret)
    out: dict[str, Any] = {"client_id": client.id}
    if secret is not None:
        out.update(client_secret=secret, client_secret_expires_at=0)
    out["client_id_issued_at"] = int(client.created_at.timestamp())
    if name:
        out["client_name"] = name
    if redirects:
        out["redirect_uris"] = redirects
    if logout:
        out["post_logout_redirect_uris"] = logout
    out["grant_types"] = [g for g in grants if g != "implicit"]
    out["response_types"] = ["code"] if "code" in flows else []
    out["token_endpoint_auth_method"] = method
    out["scope"] = " ".join(scopes)
    return out

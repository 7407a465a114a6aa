"""RFC 8693 token exchange: GetDerivedToken and the /oauth2/token grant
``urn:ietf:params:oauth:grant-type:token-exchange`` share it.

A subject token (an access or ID token this pool issued) becomes a new access or ID token for the requesting
app client, narrowed in scope and bound to one audience; no refresh token [C: API_GetDerivedToken, the What's
New post]. The client needs ALLOW_TOKEN_EXCHANGE_IMPERSONATION (no actor token) or
ALLOW_TOKEN_EXCHANGE_DELEGATION (with one: the new token carries ``act``) [C].

Choices where Cognito's behaviour is unconfirmed [U], also listed in docs/compatibility.md:

- Subject and actor tokens are this pool's own tokens, of any of its clients; SAML2 and tokens of other
  identity providers (``*ProviderName``) are refused (userpools serves no federation yet).
- A subject token of a token family that was revoked, or of a user who is gone or disabled, is refused; an M2M
  access token (no user) may be a subject or an actor.
- Scopes: requested ∩ the subject token's ∩ the client's AllowedOAuthScopes (a client without
  AllowedOAuthScopes does not narrow); none requested → the subject token's [C]. An empty result → invalid scope.
- ``aud`` = the requested audience or resource (access and ID tokens); without one an ID token's ``aud`` is
  the requesting client and an access token has none. ``act`` = ``{"sub": <actor's sub>}`` (RFC 8693 §4.1),
  with the actor token's own ``act`` nested.
- The issued token keeps the subject's ``origin_jti`` (revoking the family revokes it too), ``auth_time`` and
  ``username``; ``client_id`` (access) names the requesting client; lifetime = the requesting client's
  validity for that token type. TokenType is ``Bearer`` for access tokens and ``N_A`` for ID tokens (RFC 8693
  §2.2.1). The PreTokenGeneration trigger is not run for exchanged tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from userpools import ids
from userpools.crypto.jwt import DeferredToken, TokenError, peek, verify
from userpools.domain import clients as client_domain
from userpools.domain import tokens as token_domain
from userpools.domain.records import ClientRecord, PoolRecord, UserRecord
from userpools.domain.resources import RESOURCE_SERVER, resource_server_key
from userpools.operations.context import Context
from userpools.storage.ports import Transaction

IMPERSONATION = "ALLOW_TOKEN_EXCHANGE_IMPERSONATION"
DELEGATION = "ALLOW_TOKEN_EXCHANGE_DELEGATION"
ACCESS_TOKEN = "ACCESS_TOKEN"
ID_TOKEN = "ID_TOKEN"
SAML2 = "SAML2"
#: RFC 8693 §3 token type URIs ↔ the API's names
URN_TYPES = {
    "urn:ietf:params:oauth:token-type:access_token": ACCESS_TOKEN,
    "urn:ietf:params:oauth:token-type:id_token": ID_TOKEN,
    "urn:ietf:params:oauth:token-type:saml2": SAML2,
}
TYPE_URNS = {name: urn for urn, name in URN_TYPES.items()}


class ExchangeError(Exception):
    """A refused exchange. ``kind`` is the RFC 6749/8693 error code (invalid_request, invalid_grant,
    unauthorized_client, invalid_scope, invalid_target); each face turns it into its own error."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class ExchangeRequest:
    subject_token: str
    subject_type: str
    actor_token: str | None = None
    actor_type: str | None = None
    scopes: tuple[str, ...] = ()
    audience: str | None = None
    resource: str | None = None
    requested_type: str = ACCESS_TOKEN
    provider: str | None = None  # SubjectTokenProviderName / ActorTokenProviderName


@dataclass(frozen=True)
class Exchanged:
    token: DeferredToken
    token_type: str  # ACCESS_TOKEN | ID_TOKEN
    expires_in: int
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class _Verified:
    claims: dict[str, Any]
    user: UserRecord | None


async def _verify(ctx: Context, tx: Transaction, pool: PoolRecord, token: str, kind: str, issuer: str,
                  what: str) -> _Verified:
    if kind == SAML2:
        raise ExchangeError("invalid_request", f"{what} of type SAML2 is not supported.")
    keys = await ctx.keyring.for_pool(tx, pool.id)
    if keys is None:
        raise RuntimeError(f"pool {pool.id} has no signing keys")
    try:
        peek(token)
        claims = verify(token, keys, now=ctx.clock.now())
    except TokenError:
        raise ExchangeError("invalid_grant", f"Invalid {what}.") from None
    use = "access" if kind == ACCESS_TOKEN else "id"
    if claims.get("token_use") != use or claims.get("iss") != issuer or not isinstance(claims.get("sub"), str):
        raise ExchangeError("invalid_grant", f"Invalid {what}.")
    origin = claims.get("origin_jti")
    if origin is None and kind == ACCESS_TOKEN and claims.get("sub") == claims.get("client_id"):
        return _Verified(claims, None)  # an M2M token: a client, no user
    session = await tx.auth_sessions.get(str(origin or ""))
    if session is None or session.revoked_at is not None or session.pool_id != pool.id:
        raise ExchangeError("invalid_grant", f"{what} has been revoked.")
    user = await tx.users.get(pool.id, session.username_key)
    if user is None or user.sub != claims.get("sub") or not user.enabled:
        raise ExchangeError("invalid_grant", f"{what} is not valid: the user does not exist or is disabled.")
    return _Verified(claims, user)


def _act(actor: Mapping[str, Any]) -> dict[str, Any]:
    act: dict[str, Any] = {"sub": actor.get("sub")}
    if isinstance(actor.get("act"), dict):
        act["act"] = actor["act"]
    return act


async def exchange(ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord,
                   request: ExchangeRequest, issuer: str) -> Exchanged:
    """The exchange, for an authenticated ``client`` of ``pool``."""
    flows = set(client_domain.explicit_auth_flows(client.settings))
    needed = DELEGATION if request.actor_token else IMPERSONATION
    if needed not in flows:
        raise ExchangeError("unauthorized_client", f"Client is not allowed for {needed}.")
    if request.provider:
        raise ExchangeError("invalid_request", "Tokens of third-party identity providers are not supported.")
    if request.audience and request.resource:
        raise ExchangeError("invalid_request", "Audiences and Resources can not both be requested.")
    if request.requested_type not in (ACCESS_TOKEN, ID_TOKEN):
        raise ExchangeError("invalid_request", f"Unsupported requested token type {request.requested_type}.")
    if request.actor_token and not request.actor_type:
        raise ExchangeError("invalid_request", "ActorTokenType is required when ActorToken is given.")
    if request.resource is not None and await tx.resources.get(
            RESOURCE_SERVER, resource_server_key(pool.id, request.resource)) is None:
        raise ExchangeError("invalid_target", f"Resource {request.resource} is not a resource server of the pool.")
    subject = await _verify(ctx, tx, pool, request.subject_token, request.subject_type, issuer, "SubjectToken")
    actor = None
    if request.actor_token:
        actor = await _verify(ctx, tx, pool, request.actor_token, str(request.actor_type), issuer, "ActorToken")
    subject_scopes = tuple(str(subject.claims.get("scope", "")).split())
    if request.subject_type == ID_TOKEN:
        subject_scopes = ()  # an ID token carries no scope: the result has what is requested and allowed
    allowed = client.settings.get("AllowedOAuthScopes")
    if request.scopes:
        scopes = tuple(s for s in request.scopes
                       if (s in subject_scopes or request.subject_type == ID_TOKEN) and (not allowed or s in allowed))
        if not scopes:
            raise ExchangeError("invalid_scope", "None of the requested scopes can be granted.")
    else:
        scopes = subject_scopes
    if request.requested_type == ID_TOKEN and subject.user is None:
        raise ExchangeError("invalid_request", "An ID token needs a subject token of a user.")
    audience = request.audience or request.resource
    validity = client_domain.token_validity_seconds(client.settings)
    now = int(ctx.clock.now().timestamp())
    keys = await ctx.keyring.for_pool(tx, pool.id)
    assert keys is not None
    sub = str(subject.claims["sub"])
    auth_time = subject.claims.get("auth_time", now)
    if request.requested_type == ACCESS_TOKEN:
        claims: dict[str, Any] = {"sub": sub, "iss": issuer, "client_id": client.id}
        if subject.claims.get("origin_jti"):
            claims["origin_jti"] = subject.claims["origin_jti"]
        claims.update({"event_id": ids.new_uuid(), "token_use": "access"})
        if scopes:
            claims["scope"] = " ".join(scopes)
        claims.update({"auth_time": auth_time, "exp": now + validity["AccessToken"], "iat": now,
                       "version": 2, "jti": ids.new_uuid()})
        if subject.claims.get("username"):
            claims["username"] = subject.claims["username"]
        if audience:
            claims["aud"] = audience
        expires_in, purpose = validity["AccessToken"], "access"
    else:
        assert subject.user is not None
        claims = token_domain.id_token_claims(
            client_id=client.id, user=subject.user, groups=(), issuer=issuer,
            origin_jti=str(subject.claims.get("origin_jti", "")), event_id=ids.new_uuid(), auth_time=auth_time,
            iat=now, exp=now + validity["IdToken"],
            readable_attributes=set(client.settings.get("ReadAttributes") or []) or None,
        )
        if audience:
            claims["aud"] = audience
        expires_in, purpose = validity["IdToken"], "id"
    if actor is not None:
        claims["act"] = _act(actor.claims)
    claims = token_domain.cognito_order(claims, buckets=32)
    kid, key = keys.for_purpose(purpose)
    return Exchanged(DeferredToken(claims, kid, key), request.requested_type, expires_in, scopes)

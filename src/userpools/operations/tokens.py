"""Issuing tokens after a successful sign-in, and authenticating the access token of self-service calls.

Revocation is real: every access token names its sign-in's token family (origin_jti); the family's row in
the store says whether it was revoked (RevokeToken, GlobalSignOut, AdminUserGlobalSignOut, a disabled user).

Every issue runs the pool's PreTokenGeneration trigger (when it has one) with the trigger source naming why
the tokens are issued: TokenGeneration_Authentication (a sign-in flow ended), _NewPasswordChallenge (after
NEW_PASSWORD_REQUIRED), _RefreshTokens (REFRESH_TOKEN_AUTH, GetTokensFromRefreshToken); its answer is applied
by ``domain.token_customization``. ``client_metadata`` is what the caller sent where Cognito passes it
(RespondToAuthChallenge, GetTokensFromRefreshToken), None where it does not (InitiateAuth) [C: API reference,
ClientMetadata of each operation].
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from userpools import ids, metrics
from userpools.crypto.jwt import TokenError, peek
from userpools.domain import clients as client_domain
from userpools.domain import groups as group_domain
from userpools.domain import sessions as session_domain
from userpools.domain import token_customization
from userpools.domain import tokens as token_domain
from userpools.domain.records import AuthSessionRecord, ClientRecord, PoolRecord, UserRecord
from userpools.errors import NotAuthorizedException, UserNotFoundException
from userpools.operations import hooks, replica_guard
from userpools.operations.context import CALLER, Context
from userpools.storage.ports import Transaction
from userpools.triggers import events

INVALID_ACCESS_TOKEN = "Invalid Access Token"
REVOKED_ACCESS_TOKEN = "Access Token has been revoked"


def _issuer(ctx: Context, pool: PoolRecord) -> str:
    return token_domain.issuer(
        pool.id, public_url=ctx.settings.public_url, aws_style=ctx.settings.aws_issuer,
        region=pool.id.split("_", 1)[0], updated=token_domain.issuer_updated(pool.settings),
    )


def _readable(client: ClientRecord) -> set[str] | None:
    read = client.settings.get("ReadAttributes")
    return set(read) if read else None


async def issue_for_sign_in(
    ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord, user: UserRecord, *,
    source: str = "TokenGeneration_Authentication", client_metadata: dict[str, str] | None = None,
    oauth: token_domain.OAuthGrant | None = None, auth_time: datetime | None = None, with_refresh: bool = True,
    device_key: str | None = None,
) -> dict[str, Any]:
    """A new token family: refresh, access and ID tokens (AuthenticationResult). ``oauth``: tokens of the OAuth
    endpoints (scopes, nonce; see ``domain.tokens.OAuthGrant``); ``auth_time``: when the user signed in, if
    not now (a hosted-UI session's sign-in)."""
    session = await new_family(ctx, tx, pool, client, user, auth_time=auth_time)
    metrics.METRICS.sign_in_succeeded()
    return await issue_in_family(ctx, tx, pool, client, user, session, with_refresh=with_refresh, source=source,
                                 client_metadata=client_metadata, oauth=oauth, device_key=device_key)


async def new_family(
    ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord, user: UserRecord, *,
    auth_time: datetime | None = None, origin_sso: str | None = None,
) -> AuthSessionRecord:
    """A new token family (the auth session every token of one sign-in names as ``origin_jti``): a token
    session of ListUserSessions, with the caller's address and User-Agent, and ``origin_sso`` the stored key of
    the hosted-UI session it came through. With session tracking on, a user at the pool's MaxPerUser first
    loses the least recently used token sessions [C: BC UserPoolTokenSessionConfigType]."""
    now = ctx.clock.now()
    if session_domain.tracking(pool.settings):
        live = await tx.auth_sessions.live(pool.id, user.username_key, now)
        evict = session_domain.to_evict([(s.origin_jti, s.last_used_at or s.created_at) for s in live],
                                        session_domain.max_per_user(pool.settings))
        for origin_jti in evict:
            await tx.auth_sessions.revoke(origin_jti, now)
    refresh_seconds = client_domain.token_validity_seconds(client.settings)["RefreshToken"]
    caller = CALLER.get()
    session = AuthSessionRecord(
        origin_jti=ids.new_uuid(), pool_id=pool.id, client_id=client.id, username_key=user.username_key,
        auth_time=auth_time or now, created_at=now, expires_at=now + timedelta(seconds=refresh_seconds),
        last_ip=caller.ip, user_agent=caller.user_agent, origin_sso=origin_sso,
    )
    await tx.auth_sessions.insert(session)
    return session


async def touch_family(ctx: Context, tx: Transaction, pool: PoolRecord, session: AuthSessionRecord) -> None:
    """A refresh of the family: its LastActiveDate, address and DeviceType (one UPDATE; none when the pool
    does not track sessions, so that refresh costs what it did)."""
    if session_domain.tracking(pool.settings):
        caller = CALLER.get()
        await tx.auth_sessions.touch(session.origin_jti, ctx.clock.now(), caller.ip, caller.user_agent)


async def issue_for_refresh(
    ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord, user: UserRecord,
    session: AuthSessionRecord, *, rotate: bool, client_metadata: dict[str, str] | None = None,
    scopes: tuple[str, ...] | None = None, device_key: str | None = None,
) -> dict[str, Any]:
    """New access and ID tokens of an existing family (and a new refresh token when rotation is on). ``scopes``:
    those sealed in an OAuth refresh token, which the new tokens keep (None: an API-flow family)."""
    oauth = None if scopes is None else token_domain.OAuthGrant(scopes)
    return await issue_in_family(ctx, tx, pool, client, user, session, with_refresh=rotate,
                        source="TokenGeneration_RefreshTokens", client_metadata=client_metadata, oauth=oauth,
                        device_key=device_key)


async def _pre_token_generation(
    ctx: Context, pool: PoolRecord, client: ClientRecord, user: UserRecord, *, source: str,
    groups: group_domain.GroupClaims, scopes: tuple[str, ...], client_metadata: dict[str, str] | None,
) -> token_customization.TokenOverrides | None:
    """The pool's PreTokenGeneration answer as overrides; None without the trigger."""
    if not hooks.has(pool, "PreTokenGeneration"):
        return None
    version = hooks.pre_token_generation_version(pool)
    if version not in events.TOKEN_EVENT_VERSIONS:
        version = "V1_0"
    event = events.pre_token_generation(
        hooks.caller(pool, user.username, client.id), source, user_attributes=hooks.attributes(pool, user),
        groups=groups.groups, iam_roles=groups.roles, preferred_role=groups.preferred_role,
        version=version, scopes=scopes,  # type: ignore[arg-type]
        client_metadata=client_metadata,
    )
    response = await hooks.run(ctx, pool, "PreTokenGeneration", event)
    return token_customization.read_overrides(response or {}, version)


async def issue_in_family(
    ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord, user: UserRecord,
    session: AuthSessionRecord, *, with_refresh: bool, source: str, client_metadata: dict[str, str] | None,
    oauth: token_domain.OAuthGrant | None = None, device_key: str | None = None,
) -> dict[str, Any]:
    keys = await ctx.keyring.for_pool(tx, pool.id)
    if keys is None:  # a pool always has keys; their absence is a broken store, not bad input
        raise RuntimeError(f"pool {pool.id} has no signing keys")
    # The user's groups, read now (membership changes show at the next sign-in or refresh [U]): one range of
    # the members' (pool, user) index inside the operation's transaction.
    groups = group_domain.group_claims(await tx.groups.token_groups(pool.id, user.username_key))
    scopes = oauth.scopes if oauth is not None else (token_domain.ADMIN_SCOPE,)  # API-flow tokens [C]
    overrides = await _pre_token_generation(ctx, pool, client, user, source=source, groups=groups,
                                            scopes=scopes, client_metadata=client_metadata)
    now, issuer, readable = ctx.clock.now(), _issuer(ctx, pool), _readable(client)
    if overrides is None:
        issued = token_domain.issue_tokens(
            pool_id=pool.id, client=client, user=user, groups=list(groups.groups), roles=groups.roles,
            preferred_role=groups.preferred_role, keys=keys, now=now,
            auth_time=session.auth_time, origin_jti=session.origin_jti, issuer=issuer,
            readable_attributes=readable, with_refresh=with_refresh, refresh_expires_at=session.expires_at,
            cipher=ctx.cipher, refresh_generation=session.generation, deferred=True, oauth=oauth,
            device_key=device_key,
        )
    else:
        issued = token_customization.issue_customized_tokens(
            pool_id=pool.id, client=client, user=user, groups=list(groups.groups), roles=groups.roles,
            preferred_role=groups.preferred_role, keys=keys, now=now,
            auth_time=session.auth_time, origin_jti=session.origin_jti, issuer=issuer,
            readable_attributes=readable, with_refresh=with_refresh, refresh_expires_at=session.expires_at,
            cipher=ctx.cipher, overrides=overrides, scopes=scopes, refresh_generation=session.generation,
            deferred=True, oauth=oauth, device_key=device_key,
        )
    result: dict[str, Any] = {
        "AccessToken": issued.access_token,
        "ExpiresIn": issued.expires_in,
        "TokenType": "Bearer",
    }
    if issued.id_token is not None:
        result["IdToken"] = issued.id_token
    if issued.refresh_token is not None:
        result["RefreshToken"] = issued.refresh_token
    return result


@dataclasses.dataclass(frozen=True)
class Caller:
    pool: PoolRecord
    user: UserRecord
    claims: dict[str, Any]


async def authenticate(ctx: Context, tx: Transaction, access_token: str, *, for_update: bool = False) -> Caller:
    """The caller of a self-service operation: a valid, unrevoked access token of an existing, enabled user
    of an existing pool."""
    try:
        _header, unverified = peek(access_token)
    except TokenError:
        raise NotAuthorizedException(INVALID_ACCESS_TOKEN) from None
    if not isinstance(unverified, dict):
        raise NotAuthorizedException(INVALID_ACCESS_TOKEN)
    pool_id = str(unverified.get("iss", "")).rstrip("/").rsplit("/", 1)[-1]
    pool = await tx.pools.get(pool_id) if pool_id else None
    keys = await ctx.keyring.for_pool(tx, pool_id) if pool is not None else None
    if pool is None or keys is None:
        raise NotAuthorizedException(INVALID_ACCESS_TOKEN)
    replica_guard.check(pool)
    claims = token_domain.verify_access_token(access_token, keys_for_pool=lambda _pid: keys, now=ctx.clock.now())
    if claims.get("iss") != _issuer(ctx, pool):
        raise NotAuthorizedException(INVALID_ACCESS_TOKEN)
    session = await tx.auth_sessions.get(str(claims.get("origin_jti", "")))
    if session is None or session.revoked_at is not None:
        raise NotAuthorizedException(REVOKED_ACCESS_TOKEN)
    user = await tx.users.get(pool.id, session.username_key, for_update=for_update)
    if user is None or user.sub != claims.get("sub"):
        raise UserNotFoundException("User does not exist.")
    if not user.enabled:
        raise NotAuthorizedException("User is disabled.")
    return Caller(pool=pool, user=user, claims=claims)

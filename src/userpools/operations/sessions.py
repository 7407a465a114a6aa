"""User sessions: the pool's session tracking, a client's SSO session validity, and each user's sessions
listed and revoked (API_ListUserSessions, API_AdminListUserSessions, API_RevokeUserSession,
API_AdminRevokeUserSession, API_Set/GetUserPoolSessionConfiguration, API_Set/GetUserPoolClientSessionConfiguration).

A token session is a refresh-token family (``tx.auth_sessions``); an SSO session is a hosted-UI sign-in session
(``tx.oauth_grants`` kind "session"); ``domain.sessions`` writes their ids. Revoking a token session revokes
its family, as RevokeToken does (the refresh token and every access token of it stop working); revoking an SSO
session deletes it (the browser must sign in again). LINKED also revokes the parent SSO session of a token
session, or the token sessions that came through an SSO session [C: BC RevokeAssociatedSessions].

[U] Cognito's behaviour with tracking DISABLED is not documented beyond "does not store server-side session
records": the listing and revoking operations answer OperationNotEnabledException then, and
SetUserPoolClientSessionConfiguration too ("session tracking must be enabled" [C: BC]).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Final

from userpools.domain import sessions as domain
from userpools.domain.records import AuthSessionRecord, OAuthGrantRecord, PoolRecord, PoolResource, UserRecord
from userpools.errors import (
    FeatureUnavailableInTierException,
    InvalidParameterException,
    OperationNotEnabledException,
    ResourceNotFoundException,
)
from userpools.operations.client_lookup import get_client_or_raise
from userpools.operations.common import find_user, user_not_found
from userpools.operations.context import Context
from userpools.operations.oauth import SESSION
from userpools.operations.pools import get_pool_or_raise
from userpools.operations.tokens import authenticate
from userpools.storage.ports import Transaction

CLIENT_SESSION_CONFIG: Final = domain.CLIENT_SESSION_CONFIG
NOT_ENABLED = "User session tracking is not enabled for this user pool."  # [U] wording
SESSION_NOT_FOUND = "Session not found."  # [U] wording
CURRENT_SESSION = "The session of the access token in the request can't be revoked."  # [U] wording
UNKNOWN_LOCATION: Final = {"City": "unknown", "Country": "unknown"}  # no geolocation here [C: may be "unknown"]


def _check_tier(pool: PoolRecord) -> None:
    if pool.settings.get("UserPoolTier") == "LITE":
        raise FeatureUnavailableInTierException(  # [C: BC "Essentials or Plus tier"]; [U] wording
            "User session management requires the Essentials or Plus feature plan."
        )


def _check_tracking(pool: PoolRecord) -> None:
    if not domain.tracking(pool.settings):
        raise OperationNotEnabledException(NOT_ENABLED)


# --- configuration ------------------------------------------------------------------------------------


async def set_user_pool_session_configuration(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_SetUserPoolSessionConfiguration: tracking on or off and MaxPerUser, replaced as a whole. Lowering
    MaxPerUser evicts nothing until the user's next sign-in [C: BC]."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        _check_tier(pool)
        settings = domain.with_pool_config(pool.settings, req)
        await tx.pools.update(dataclasses.replace(pool, settings=settings, updated_at=ctx.clock.now()))
    return {"UserPoolId": pool.id, **domain.pool_config(settings)}


async def get_user_pool_session_configuration(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetUserPoolSessionConfiguration (DISABLED and 20 when never set [C: BC])."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
    return {"UserPoolId": pool.id, **domain.pool_config(pool.settings)}


async def set_user_pool_client_session_configuration(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_SetUserPoolClientSessionConfiguration: how long the client silently reuses the hosted SSO session.
    Kept while tracking is off (dormant) [C: BC]; /oauth2/authorize applies it (``operations.oauth``)."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        client = await get_client_or_raise(tx, pool.id, req["ClientId"])
        _check_tier(pool)
        _check_tracking(pool)
        document = {"MaxValidityMinutes": int(req["SSOSession"]["MaxValidityMinutes"])}
        key, now = domain.client_config_key(pool.id, client.id), ctx.clock.now()
        stored = await tx.resources.get(CLIENT_SESSION_CONFIG, key, for_update=True)
        if stored is None:
            await tx.resources.insert(PoolResource(CLIENT_SESSION_CONFIG, key, pool.id, now, now, document))
        else:
            await tx.resources.update(dataclasses.replace(stored, document=document, updated_at=now))
    return {"UserPoolId": pool.id, "ClientId": client.id, "SSOSession": document}


async def get_user_pool_client_session_configuration(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetUserPoolClientSessionConfiguration (MaxValidityMinutes 60 when never set [C: BC])."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        client = await get_client_or_raise(tx, pool.id, req["ClientId"])
        stored = await tx.resources.get(CLIENT_SESSION_CONFIG, domain.client_config_key(pool.id, client.id))
    minutes = domain.sso_max_validity_minutes(None if stored is None else stored.document)
    return {"UserPoolId": pool.id, "ClientId": client.id, "SSOSession": {"MaxValidityMinutes": minutes}}


# --- the user's sessions --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Sessions:
    tokens: list[AuthSessionRecord]
    sso: list[OAuthGrantRecord]


async def _sessions(ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord) -> _Sessions:
    now = ctx.clock.now()
    tokens = await tx.auth_sessions.live(pool.id, user.username_key, now)
    sso = [grant for grant in await tx.oauth_grants.live(SESSION, pool.id, now)
           if grant.document.get("username_key") == user.username_key and grant.document.get("sub") == user.sub]
    return _Sessions(tokens, sso)


def _last_active(session: AuthSessionRecord) -> datetime:
    return session.last_used_at or session.created_at


def _listing(found: _Sessions, current: str | None) -> list[dict[str, Any]]:
    """SessionType entries: the SSO sessions, then the token sessions, each oldest first [U: the order]."""
    out: list[dict[str, Any]] = []
    for grant in found.sso:
        children = [s for s in found.tokens if s.origin_sso == grant.key]
        # LastActiveDate of an SSO session: its sign-in, or the latest token grant or refresh through it [C: BC]
        last = max([grant.created_at, *(_last_active(s) for s in children)])
        entry: dict[str, Any] = {
            "SessionId": domain.sso_session_id(grant.key), "SessionType": "SSO",
            "ClientId": str(grant.document.get("client_id") or ""), "CreateDate": grant.created_at,
            "LastActiveDate": last, "DeviceType": domain.device_type(grant.document.get("user_agent")),
        }
        if grant.document.get("ip"):
            entry["LastIPAddress"] = str(grant.document["ip"])
        entry.update(LastLocation=dict(UNKNOWN_LOCATION), IsCurrentSession=False)
        out.append(entry)
    live_sso = {grant.key for grant in found.sso}
    for session in found.tokens:
        entry = {
            "SessionId": domain.token_session_id(session.origin_jti), "SessionType": "TOKEN",
            "ClientId": session.client_id, "CreateDate": session.created_at,
            "LastActiveDate": _last_active(session), "DeviceType": domain.device_type(session.user_agent),
        }
        if session.last_ip:
            entry["LastIPAddress"] = session.last_ip
        entry["LastLocation"] = dict(UNKNOWN_LOCATION)
        if session.origin_sso is not None and session.origin_sso in live_sso:
            entry["OriginSessionId"] = domain.sso_session_id(session.origin_sso)
        entry["IsCurrentSession"] = session.origin_jti == current
        out.append(entry)
    return out[: domain.PAGE]


async def list_user_sessions(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListUserSessions: every active session of the caller, in one page; IsCurrentSession marks the one of
    the access token. NextToken is never returned (one page of at most 125 [C: BC])."""
    async with ctx.store.transaction(readonly=True) as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"])
        _check_tracking(caller.pool)
        found = await _sessions(ctx, tx, caller.pool, caller.user)
    return {"Sessions": _listing(found, str(caller.claims.get("origin_jti", "")))}


async def _admin_user(tx: Transaction, req: dict[str, Any]) -> tuple[PoolRecord, UserRecord]:
    pool = await get_pool_or_raise(tx, req["UserPoolId"])
    user = await find_user(tx, pool, req["Username"])
    if user is None:
        raise user_not_found()
    return pool, user


async def admin_list_user_sessions(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminListUserSessions: as ListUserSessions; IsCurrentSession is always false [C: BC]."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool, user = await _admin_user(tx, req)
        _check_tracking(pool)
        found = await _sessions(ctx, tx, pool, user)
    return {"Sessions": _listing(found, None)}


async def _revoke(ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord, session_id: str, linked: bool,
                  current: str | None) -> None:
    found = await _sessions(ctx, tx, pool, user)
    now = ctx.clock.now()
    origin_jti = domain.origin_jti_of(session_id)
    if origin_jti is not None:
        target = next((s for s in found.tokens if s.origin_jti == origin_jti), None)
        if target is None:
            raise ResourceNotFoundException(SESSION_NOT_FOUND)
        if target.origin_jti == current:
            raise InvalidParameterException(CURRENT_SESSION)
        await tx.auth_sessions.revoke(target.origin_jti, now)
        if linked and target.origin_sso is not None:
            await tx.oauth_grants.delete(SESSION, target.origin_sso)
        return
    grant = next((g for g in found.sso if domain.sso_session_id(g.key) == session_id), None)
    if grant is None:
        raise ResourceNotFoundException(SESSION_NOT_FOUND)
    children = [s for s in found.tokens if s.origin_sso == grant.key]
    if linked and any(s.origin_jti == current for s in children):
        raise InvalidParameterException(CURRENT_SESSION)
    await tx.oauth_grants.delete(SESSION, grant.key)
    if linked:
        for child in children:
            await tx.auth_sessions.revoke(child.origin_jti, now)


async def revoke_user_session(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_RevokeUserSession: one of the caller's sessions, never the one of the access token [C: BC]."""
    async with ctx.store.transaction() as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"])
        _check_tracking(caller.pool)
        await _revoke(ctx, tx, caller.pool, caller.user, req["SessionId"],
                      req.get("RevokeAssociatedSessions") == "LINKED", str(caller.claims.get("origin_jti", "")))
    return {}


async def admin_revoke_user_session(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminRevokeUserSession: the session must be the named user's [C: BC Username]."""
    async with ctx.store.transaction() as tx:
        pool, user = await _admin_user(tx, req)
        _check_tracking(pool)
        await _revoke(ctx, tx, pool, user, req["SessionId"], req.get("RevokeAssociatedSessions") == "LINKED", None)
    return {}

"""MFA configuration: SetUserPoolMfaConfig, GetUserPoolMfaConfig, AssociateSoftwareToken,
VerifySoftwareToken, SetUserMFAPreference, AdminSetUserMFAPreference, SetUserSettings, AdminSetUserSettings,
AdminDeleteSoftwareToken.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
Behaviour: shared/cognito/mfa-passwordless.md §1; the rules are in ``domain.mfa``, the sign-in challenges in
``operations.mfa_signin``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from userpools.crypto import totp
from userpools.domain import mfa as mfa_domain
from userpools.domain.records import PoolRecord, UserRecord
from userpools.errors import (
    EnableSoftwareTokenMFAException,
    InvalidParameterException,
    SoftwareTokenMFANotFoundException,
)
from userpools.operations import mfa_signin
from userpools.operations.common import find_user, user_not_found
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.operations.tokens import authenticate
from userpools.storage.ports import Transaction

NOT_ENABLED = "Software Token MFA has not been enabled by the userPool"  # [C: DG23]
NOT_ASSOCIATED = "User has not associated a software token."  # [U] wording
VERIFY_MISMATCH = "Code mismatch and fail enable Software Token MFA"  # [O: aws-amplify-auth-starters#15]


async def _admin_user(tx: Transaction, req: dict[str, Any]) -> tuple[PoolRecord, UserRecord]:
    pool = await get_pool_or_raise(tx, req["UserPoolId"])
    user = await find_user(tx, pool, req["Username"], for_update=True)
    if user is None:
        raise user_not_found()
    return pool, user


async def _save_extra(ctx: Context, tx: Transaction, user: UserRecord, extra: dict[str, Any]) -> UserRecord:
    user = dataclasses.replace(user, extra=extra, updated_at=ctx.clock.now())
    await tx.users.update(user)
    return user


# --- the pool --------------------------------------------------------------------------------------------


async def set_user_pool_mfa_config(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_SetUserPoolMfaConfig: the factors the pool offers and whether MFA is OFF, ON or OPTIONAL (which
    DescribeUserPool's MfaConfiguration shows too)."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        settings = mfa_domain.with_mfa_config(pool.settings, req)
        await tx.pools.update(dataclasses.replace(pool, settings=settings, updated_at=ctx.clock.now()))
    return mfa_domain.mfa_config(settings)


async def get_user_pool_mfa_config(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetUserPoolMfaConfig."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
    return mfa_domain.mfa_config(pool.settings)


# --- software tokens -------------------------------------------------------------------------------------


def _one_credential(req: dict[str, Any]) -> None:
    if bool(req.get("AccessToken")) == bool(req.get("Session")):
        # [C: BC "AccessToken or Session"]; [U] wording
        raise InvalidParameterException("Exactly one of AccessToken and Session must be provided.")


async def associate_software_token(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AssociateSoftwareToken: a new TOTP secret (base32), kept pending until VerifySoftwareToken; the
    factor already verified stays until then [C: boto3 doc]. With an MFA_SETUP Session the answer carries
    the next Session; with an access token none [O: amazon-cognito-identity-js#627]."""
    _one_credential(req)
    secret = totp.new_secret()
    async with ctx.store.transaction() as tx:
        if req.get("AccessToken"):
            caller = await authenticate(ctx, tx, req["AccessToken"], for_update=True)
            pool, user, opened, client = caller.pool, caller.user, None, None
        else:
            opened, pool, client, user = await mfa_signin.open_setup_session(ctx, tx, req["Session"])
        if not mfa_domain.token_enabled(pool.settings):
            raise SoftwareTokenMFANotFoundException(NOT_ENABLED)
        state = dict(user.extra.get(mfa_domain.TOKEN) or {})
        state["Pending"] = mfa_signin.seal_secret(ctx, pool, user, secret)
        user = await _save_extra(ctx, tx, user, {**user.extra, mfa_domain.TOKEN: state})
        out: dict[str, Any] = {"SecretCode": secret}
        if opened is not None and client is not None:
            out["Session"] = mfa_signin.seal(ctx, pool, client, user, "MFA_SETUP", opened.data)
    return out


async def verify_software_token(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_VerifySoftwareToken: the code of the pending secret makes it the user's software token, enabled
    as a factor [U: Cognito reported doing so (amazon-cognito-identity-js#630); after MFA_SETUP it must be];
    the code's step counts as used. With a Session, the next Session answers MFA_SETUP [C: BC]."""
    _one_credential(req)
    async with ctx.store.transaction() as tx:
        if req.get("AccessToken"):
            caller = await authenticate(ctx, tx, req["AccessToken"], for_update=True)
            pool, user, opened, client = caller.pool, caller.user, None, None
        else:
            opened, pool, client, user = await mfa_signin.open_setup_session(ctx, tx, req["Session"])
        state = dict(user.extra.get(mfa_domain.TOKEN) or {})
        if not state.get("Pending"):
            raise SoftwareTokenMFANotFoundException(NOT_ASSOCIATED)
        step = mfa_signin.check_totp(ctx, pool, user, req["UserCode"], sealed=state["Pending"])
        if step is None:
            raise EnableSoftwareTokenMFAException(VERIFY_MISMATCH)
        state = {"Secret": state["Pending"], "LastStep": step}
        if req.get("FriendlyDeviceName"):
            state["FriendlyDeviceName"] = req["FriendlyDeviceName"]
        extra = {**user.extra, mfa_domain.TOKEN: state}
        enabled = [*mfa_domain.enabled_factors(extra), mfa_domain.SOFTWARE_TOKEN_MFA]
        extra = mfa_domain.with_factors(extra, enabled, extra.get("PreferredMfaSetting"))
        user = await _save_extra(ctx, tx, user, extra)
        out: dict[str, Any] = {"Status": "SUCCESS"}
        if opened is not None and client is not None:
            out["Session"] = mfa_signin.seal(ctx, pool, client, user, "MFA_SETUP",
                                             {**opened.data, "verified": True})
    return out


async def admin_delete_software_token(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminDeleteSoftwareToken: the user's software token and its factor removed."""
    async with ctx.store.transaction() as tx:
        _pool, user = await _admin_user(tx, req)
        await _save_extra(ctx, tx, user, mfa_domain.without_token(user.extra))
    return {}


# --- preferences -----------------------------------------------------------------------------------------


async def set_user_mfa_preference(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_SetUserMFAPreference."""
    async with ctx.store.transaction() as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"], for_update=True)
        extra = mfa_domain.with_preferences(caller.user.extra, caller.user.attributes, req, admin=False)
        await _save_extra(ctx, tx, caller.user, extra)
    return {}


async def admin_set_user_mfa_preference(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminSetUserMFAPreference."""
    async with ctx.store.transaction() as tx:
        _pool, user = await _admin_user(tx, req)
        extra = mfa_domain.with_preferences(user.extra, user.attributes, req, admin=True)
        await _save_extra(ctx, tx, user, extra)
    return {}


async def set_user_settings(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_SetUserSettings (legacy: SMS MFA on or off through MFAOptions)."""
    async with ctx.store.transaction() as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"], for_update=True)
        extra = mfa_domain.with_mfa_options(caller.user.extra, caller.user.attributes, req["MFAOptions"])
        await _save_extra(ctx, tx, caller.user, extra)
    return {}


async def admin_set_user_settings(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminSetUserSettings (legacy: SMS MFA on or off through MFAOptions)."""
    async with ctx.store.transaction() as tx:
        _pool, user = await _admin_user(tx, req)
        extra = mfa_domain.with_mfa_options(user.extra, user.attributes, req["MFAOptions"])
        await _save_extra(ctx, tx, user, extra)
    return {}

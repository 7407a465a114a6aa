"""Passkeys and a user's sign-in factors: StartWebAuthnRegistration, CompleteWebAuthnRegistration,
ListWebAuthnCredentials, DeleteWebAuthnCredential, GetUserAuthFactors, AdminGetUserAuthFactors; and the
WEB_AUTHN challenge of USER_AUTH (``issue_web_authn`` / ``answer_web_authn``, used by ``operations.passwordless``).

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
Behaviour: shared/cognito/mfa-passwordless.md §2–§3; the WebAuthn checks are the ``webauthn`` library's
(``domain.passkeys``).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from userpools.domain import mfa as mfa_domain
from userpools.domain import passkeys as pk
from userpools.domain.records import PoolRecord, UserRecord
from userpools.errors import (
    InvalidParameterException,
    LimitExceededException,
    PasswordResetRequiredException,
    ResourceNotFoundException,
    WebAuthnChallengeNotFoundException,
    WebAuthnClientMismatchException,
    WebAuthnConfigurationMissingException,
    WebAuthnCredentialNotSupportedException,
    WebAuthnNotEnabledException,
    WebAuthnOriginNotAllowedException,
    WebAuthnRelyingPartyMismatchException,
)
from userpools.operations import paging
from userpools.operations.common import find_user, user_not_found
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.operations.tokens import authenticate
from userpools.operations.userstate import has_imported_hash
from userpools.storage.ports import Conflict, Transaction

REGISTRATION_VALIDITY = timedelta(milliseconds=pk.REGISTRATION_TIMEOUT_MS) * 5  # [U] how long Start's lasts


def region(pool: PoolRecord) -> str:
    return pool.id.split("_", 1)[0]


def relying_party(pool: PoolRecord) -> str:
    rp_id = pk.relying_party_id(pool.settings, region(pool))
    if rp_id is None:
        # [C: BC WebAuthnConfigurationMissingException "no relying party ID and no domain"]; [U] wording
        raise WebAuthnConfigurationMissingException(
            "The user pool has no WebAuthn relying party ID and no domain to take it from.")
    return rp_id


def web_authn_allowed(pool: PoolRecord) -> bool:
    policy = (pool.settings.get("Policies") or {}).get("SignInPolicy") or {}
    return "WEB_AUTHN" in (policy.get("AllowedFirstAuthFactors") or [])


def _save(ctx: Context, user: UserRecord, extra: dict[str, Any]) -> UserRecord:
    return dataclasses.replace(user, extra=extra, updated_at=ctx.clock.now())


# --- registration ----------------------------------------------------------------------------------------


async def start_web_authn_registration(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_StartWebAuthnRegistration: the creation options, their challenge kept with the user (with the
    access token's client, which Complete must match)."""
    async with ctx.store.transaction() as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"], for_update=True)
        options = await begin_registration(ctx, tx, caller.pool, caller.user, str(caller.claims.get("client_id", "")))
    return {"CredentialCreationOptions": options}


async def begin_registration(ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord,
                             client_id: str) -> dict[str, Any]:
    """StartWebAuthnRegistration's logic for a signed-in user (the API's caller, or the hosted pages' session):
    the creation options; the pending registration kept with the user, for ``client_id``."""
    if user.status == "RESET_REQUIRED":
        raise PasswordResetRequiredException("Password reset required for the user")
    if not web_authn_allowed(pool):
        # [C: BC WebAuthnNotEnabledException]; [U] the condition (WEB_AUTHN not a first factor) and wording
        raise WebAuthnNotEnabledException("Passkeys are not enabled for this user pool.")
    rp_id = relying_party(pool)
    existing = [c.credential_id for c in await tx.webauthn_credentials.list(pool.id, user.username_key)]
    if len(existing) >= pk.MAX_CREDENTIALS:
        raise LimitExceededException("The user has reached the limit of passkeys.")  # [U] wording
    challenge = pk.new_challenge()
    options = pk.creation_options(rp_id=rp_id, sub=user.sub, username=user.username, challenge=challenge,
                                  uv=pk.user_verification(pool.settings), existing=existing)
    pending = {"Challenge": pk.b64url(challenge), "ClientId": client_id, "RelyingPartyId": rp_id,
               "ExpiresAt": (ctx.clock.now() + REGISTRATION_VALIDITY).timestamp()}
    await tx.users.update(_save(ctx, user, {**user.extra, pk.REGISTRATION: pending}))
    return options


async def complete_web_authn_registration(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_CompleteWebAuthnRegistration: the authenticator's answer verified against Start's challenge; the
    passkey stored. The challenge is single use."""
    credential = req["Credential"]
    if not isinstance(credential, dict):
        raise InvalidParameterException("Credential must be a RegistrationResponseJSON object.")  # [U]
    async with ctx.store.transaction() as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"], for_update=True)
        await finish_registration(ctx, tx, caller.pool, caller.user, str(caller.claims.get("client_id", "")),
                                  credential)
    return {}


async def finish_registration(ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord, client_id: str,
                              credential: dict[str, Any]) -> None:
    """CompleteWebAuthnRegistration's logic for a signed-in user and the client it signed in to."""
    if not web_authn_allowed(pool):
        raise WebAuthnNotEnabledException("Passkeys are not enabled for this user pool.")
    pending = user.extra.get(pk.REGISTRATION) or {}
    if not pending or float(pending.get("ExpiresAt", 0)) <= ctx.clock.now().timestamp():
        raise WebAuthnChallengeNotFoundException("The passkey registration has expired or was not started.")
    if pending.get("ClientId") != client_id:
        raise WebAuthnClientMismatchException(
            "The passkey registration was started by another app client.")  # [U] wording
    rp_id = relying_party(pool)
    if rp_id != pending.get("RelyingPartyId"):
        raise WebAuthnRelyingPartyMismatchException("The relying party ID changed since the registration "
                                                    "started.")  # [U]
    try:
        stored = pk.verify_registration(credential, challenge=pk.unb64url(str(pending["Challenge"])),
                                        rp_id=rp_id, uv=pk.user_verification(pool.settings),
                                        owner=(pool.id, user.username_key), now=ctx.clock.now())
    except pk.OriginNotAllowed as exc:
        raise WebAuthnOriginNotAllowedException(f"Origin {exc} is not allowed.") from None
    except pk.RelyingPartyMismatch:
        raise WebAuthnRelyingPartyMismatchException("The relying party ID does not match.") from None
    except pk.NotVerified as exc:
        raise WebAuthnCredentialNotSupportedException(f"The passkey credential is not valid: {exc}") from None
    try:
        await tx.webauthn_credentials.insert(stored)
    except Conflict:
        raise WebAuthnCredentialNotSupportedException("The passkey is registered already.") from None  # [U]
    await tx.users.update(_save(ctx, user, {k: v for k, v in user.extra.items() if k != pk.REGISTRATION}))


# --- the user's passkeys ---------------------------------------------------------------------------------


async def list_web_authn_credentials(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListWebAuthnCredentials: oldest first, MaxResults a page (0–20; 20 by default [U])."""
    async with ctx.store.transaction(readonly=True) as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"])
        stored = await tx.webauthn_credentials.list(caller.pool.id, caller.user.username_key)
    listed = [pk.listed(c) for c in stored]
    limit = int(req.get("MaxResults") or 20)
    after = paging.decode("webauthn", req.get("NextToken"))
    if after is not None:
        ids = [c["CredentialId"] for c in listed]
        listed = listed[ids.index(after) + 1:] if after in ids else []
    items = listed[:limit]
    out: dict[str, Any] = {"Credentials": items}
    if len(listed) > limit and items:
        out["NextToken"] = paging.encode("webauthn", items[-1]["CredentialId"])
    return out


async def delete_web_authn_credential(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DeleteWebAuthnCredential."""
    async with ctx.store.transaction() as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"], for_update=True)
        if not await tx.webauthn_credentials.delete(caller.pool.id, caller.user.username_key, req["CredentialId"]):
            raise ResourceNotFoundException("Credential not found.")  # [U] wording
    return {}


# --- factors ---------------------------------------------------------------------------------------------


async def has_passkey(tx: Transaction, user: UserRecord) -> bool:
    return bool(await tx.webauthn_credentials.list(user.pool_id, user.username_key))


async def auth_factors(tx: Transaction, pool: PoolRecord, user: UserRecord) -> dict[str, Any]:
    """GetUserAuthFactorsResponse: the MFA members as GetUser shows them, and ConfiguredUserAuthFactors —
    PASSWORD (a password is set), EMAIL_OTP / SMS_OTP (the pool allows it as a first factor or offers it as MFA
    and the user has the address), WEB_AUTHN (a passkey), SOFTWARE_TOKEN (a verified TOTP) [C: BC members;
    U: the exact conditions]."""
    allowed = set(((pool.settings.get("Policies") or {}).get("SignInPolicy") or {})
                  .get("AllowedFirstAuthFactors") or [])
    mfa_factors = set(mfa_domain.enabled_factors(user.extra))
    factors = []
    if user.password_ciphertext is not None or has_imported_hash(user):
        factors.append("PASSWORD")
    if user.attributes.get("email") and ("EMAIL_OTP" in allowed or mfa_domain.EMAIL_OTP in mfa_factors):
        factors.append("EMAIL_OTP")
    if user.attributes.get("phone_number") and ("SMS_OTP" in allowed or mfa_domain.SMS_MFA in mfa_factors):
        factors.append("SMS_OTP")
    if await has_passkey(tx, user):
        factors.append("WEB_AUTHN")
    if mfa_domain.token_verified(user.extra):
        factors.append("SOFTWARE_TOKEN")
    out: dict[str, Any] = {"Username": user.username, "ConfiguredUserAuthFactors": factors}
    if user.extra.get("PreferredMfaSetting"):
        out["PreferredMfaSetting"] = user.extra["PreferredMfaSetting"]
    if user.extra.get("UserMFASettingList"):
        out["UserMFASettingList"] = list(user.extra["UserMFASettingList"])
    return out


async def get_user_auth_factors(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetUserAuthFactors."""
    async with ctx.store.transaction(readonly=True) as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"])
        return await auth_factors(tx, caller.pool, caller.user)


async def admin_get_user_auth_factors(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminGetUserAuthFactors."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        user = await find_user(tx, pool, req["Username"])
        if user is None:
            raise user_not_found()
        return await auth_factors(tx, pool, user)

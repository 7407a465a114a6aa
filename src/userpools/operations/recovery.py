"""Account recovery: ForgotPassword, ConfirmForgotPassword, AdminResetUserPassword, and the auth events
they leave (AdminListUserAuthEvents).

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
Behaviour: shared/cognito/recovery.md §1–§3; each unconfirmed choice is marked where it is made.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime, timedelta
from typing import Any

from userpools import ids
from userpools.crypto import passwords
from userpools.crypto.codes import new_code
from userpools.delivery.messages import Message, code_delivery_details, verification_message
from userpools.domain import password_policy
from userpools.domain import recovery as rules
from userpools.domain.records import AuthEventRecord, ClientRecord, CodeRecord, PoolRecord, UserRecord
from userpools.errors import (
    CodeMismatchException,
    CognitoError,
    ExpiredCodeException,
    InvalidParameterException,
    LimitExceededException,
    NotAuthorizedException,
    PasswordHistoryPolicyViolationException,
    UserNotFoundException,
)
from userpools.operations import hooks, log_delivery, threats
from userpools.operations.common import check_secret_hash, find_user, load_client, user_not_found
from userpools.operations.context import Context
from userpools.operations.migration import migrate_for_forgot_password
from userpools.operations.pools import get_pool_or_raise
from userpools.operations.userstate import dispatch_message, history_size, password_matches, with_password
from userpools.storage.ports import Transaction
from userpools.triggers import events

PURPOSE = "forgot-password"
CODE_VALIDITY = timedelta(hours=1)  # recovery.md §1.5
NOT_FOUND = "Username/client id combination not found."
NO_CHANNEL = "Cannot reset password for the user as there is no registered/verified email or phone_number"
WRONG_STATE = "User password cannot be reset in the current state."
ADMIN_ONLY = "Contact administrator to reset password."  # unconfirmed: moto's wording after testing AWS
LIMIT = "Attempt limit exceeded, please try after some time."
MISMATCH = "Invalid verification code provided, please try again."
EXPIRED = "Invalid code provided, please request a code again."
ATTEMPT_WINDOW = timedelta(hours=1)


def _hides_existence(client: ClientRecord) -> bool:
    return client.settings.get("PreventUserExistenceErrors") == "ENABLED"


def _window(now: datetime, size: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=now.tzinfo)
    return epoch + ((now - epoch) // size) * size


async def _count_attempt(ctx: Context, tx: Transaction, pool: PoolRecord, subject: str) -> bool:
    """One more ForgotPassword or ConfirmForgotPassword attempt for the user (counted together, as Cognito
    does); True when the user is past the limit. ``subject`` is the user's key, or a hash of the name asked
    for when there is no such user (so both paths do the same work)."""
    now = ctx.clock.now()
    count = await tx.counters.hit(f"recovery:{pool.id}:{subject}", _window(now, ATTEMPT_WINDOW),
                                  expires_at=now + 2 * ATTEMPT_WINDOW)
    return count > ctx.settings.recovery_attempts_per_hour


def _context_data(req: dict[str, Any]) -> dict[str, Any]:
    """What an auth event keeps of UserContextData: the IP address (EncodedData is the device fingerprint of
    Cognito's JS collector: kept as received, never echoed back)."""
    data = req.get("UserContextData") or {}
    out: dict[str, Any] = {}
    if data.get("IpAddress"):
        out["IpAddress"] = data["IpAddress"]
    if data.get("EncodedData"):
        out["EncodedData"] = data["EncodedData"]
    analytics = (req.get("AnalyticsMetadata") or {}).get("AnalyticsEndpointId")
    if analytics:
        out["AnalyticsEndpointId"] = analytics  # kept with the event, as Cognito passes it to Pinpoint
    return out


async def _event(ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord, event_type: str,
                 response: str, req: dict[str, Any]) -> None:
    event = AuthEventRecord(
        id=ids.new_ordered_uuid(), pool_id=user.pool_id, username_key=user.username_key, event_type=event_type,
        created_at=ctx.clock.now(), response=response, context=_context_data(req),
    )
    await tx.auth_events.add(event)
    if threats.mode(pool) is not None:
        await log_delivery.auth_event(ctx, tx, pool, event, user)


async def _send_reset_code(ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord, attribute: str,
                           pending: list[Message], *, client_id: str | None = None,
                           client_metadata: dict[str, str] | None = None) -> dict[str, str]:
    """A 6-digit code valid one hour, replacing any earlier one (only the latest works), through the pool's
    verification template (unconfirmed: Cognito's forgot-password mail follows that template)."""
    code = new_code()
    now = ctx.clock.now()
    await tx.codes.put(CodeRecord(
        pool_id=pool.id, username_key=user.username_key, purpose=PURPOSE,
        code_hash=ctx.codes.hash(pool.id, user.username_key, PURPOSE, code), created_at=now,
        expires_at=now + CODE_VALIDITY,
    ))
    message = verification_message(
        pool.settings, pool_id=pool.id, username=user.username,
        medium="SMS" if attribute == "phone_number" else "EMAIL", destination=user.attributes[attribute],
        code=code, trigger_source="CustomMessage_ForgotPassword",
    )
    await dispatch_message(ctx, tx, pool, message, pending, user=user, client_id=client_id,
                           client_metadata=client_metadata)
    return code_delivery_details(message, attribute)


SIMULATE = object()  # the outcome "answer as if a code had been sent" (PreventUserExistenceErrors)


async def _request_code(ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord, *, hides: bool,
                        pending: list[Message], client_id: str | None,
                        client_metadata: dict[str, str] | None) -> Any:
    """Details of the code sent, SIMULATE, or the error to answer — after the attempt is counted."""
    if await _count_attempt(ctx, tx, pool, user.username_key):
        return LimitExceededException(LIMIT)
    if not user.enabled:
        return SIMULATE if hides else NotAuthorizedException("User is disabled.")
    if user.status in ("FORCE_CHANGE_PASSWORD", "EXTERNAL_PROVIDER"):
        return NotAuthorizedException(WRONG_STATE)
    channel = rules.recovery_channel(pool.settings, user.attributes, user.extra)
    if channel == rules.ADMIN_ONLY:
        return NotAuthorizedException(ADMIN_ONLY)
    if channel is None:
        return SIMULATE if hides else InvalidParameterException(NO_CHANNEL)
    return await _send_reset_code(ctx, tx, pool, user, channel, pending, client_id=client_id,
                                  client_metadata=client_metadata)


async def forgot_password(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ForgotPassword: a reset code to the user's recovery channel."""
    started = ctx.pacer.start()
    pending: list[Message] = []
    name = req["Username"]
    async with ctx.store.transaction() as tx:
        client, pool = await load_client(tx, req["ClientId"])
        hides = _hides_existence(client)
        user = await find_user(tx, pool, name, for_update=True)
        check_secret_hash(ctx, client, req.get("SecretHash"), name, user.username if user else None)
        if user is None:
            user = await migrate_for_forgot_password(ctx, tx, pool, client, name, req.get("ClientMetadata"),
                                                     pending)
        if user is None:
            await _count_attempt(ctx, tx, pool, "?" + hashlib.sha256(name.encode()).hexdigest())
            outcome: Any = SIMULATE if hides else UserNotFoundException(NOT_FOUND)
        else:
            outcome = await _request_code(ctx, tx, pool, user, hides=hides, pending=pending, client_id=client.id,
                                          client_metadata=req.get("ClientMetadata"))
            await _event(ctx, tx, pool, user, "ForgotPassword", "Pass" if isinstance(outcome, dict) else "Fail", req)
    if outcome is SIMULATE:
        await ctx.pacer.hold_simulated("ForgotPassword", started)
        return {"CodeDeliveryDetails": rules.simulated_delivery(pool.settings, name, ctx.simulation_key)}
    if isinstance(outcome, CognitoError):
        raise outcome
    ctx.outbox.announce(pending)
    ctx.pacer.record_real("ForgotPassword", started)
    return {"CodeDeliveryDetails": outcome}


async def confirm_forgot_password(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ConfirmForgotPassword: the code and a new password; RESET_REQUIRED becomes CONFIRMED; existing
    tokens stay valid (as in Cognito)."""
    failure: CognitoError | None = None
    name = req["Username"]
    async with ctx.store.transaction() as tx:
        client, pool = await load_client(tx, req["ClientId"])
        hides = _hides_existence(client)
        user = await find_user(tx, pool, name, for_update=True)
        check_secret_hash(ctx, client, req.get("SecretHash"), name, user.username if user else None)
        if user is None:
            # Counted, then answered after the commit (a raise here would roll the count back).
            await _count_attempt(ctx, tx, pool, "?" + hashlib.sha256(name.encode()).hexdigest())
        elif await _count_attempt(ctx, tx, pool, user.username_key):
            failure = LimitExceededException(LIMIT)
        elif not user.enabled:
            failure = CodeMismatchException(MISMATCH) if hides else NotAuthorizedException("User is disabled.")
        else:
            failure = await _confirm(ctx, tx, pool, user, req)
        if user is not None:
            await _event(ctx, tx, pool, user, "PasswordChange", "Fail" if failure else "Pass", req)
        confirmed = await tx.users.get(pool.id, user.username_key) if user is not None and failure is None else None
    if user is None:
        raise CodeMismatchException(MISMATCH) if hides else UserNotFoundException(NOT_FOUND)
    if failure is not None:
        raise failure
    if confirmed is not None and hooks.has(pool, "PostConfirmation"):
        # After the commit, outside the transaction, like PostConfirmation_ConfirmSignUp (see
        # signup.post_confirmation): the new password stands even if the function fails.
        await hooks.run(ctx, pool, "PostConfirmation", events.post_confirmation(
            hooks.caller(pool, confirmed.username, client.id), "PostConfirmation_ConfirmForgotPassword",
            user_attributes=hooks.attributes(pool, confirmed), client_metadata=req.get("ClientMetadata"),
        ))
    return {}


async def _confirm(ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord,
                   req: dict[str, Any]) -> CognitoError | None:
    """Checks the code, then the password; on success replaces the password and spends the code. Returns the
    error to answer (after the attempt has been counted and recorded) or None."""
    stored = await tx.codes.get(pool.id, user.username_key, PURPOSE, for_update=True)
    if stored is None:
        return ExpiredCodeException(EXPIRED)  # no code requested, or already spent
    if not ctx.codes.matches(stored.code_hash, pool.id, user.username_key, PURPOSE, req["ConfirmationCode"]):
        return CodeMismatchException(MISMATCH)
    if stored.expires_at <= ctx.clock.now():
        return ExpiredCodeException(EXPIRED)
    password = req["Password"]
    policy = (pool.settings.get("Policies") or {}).get("PasswordPolicy") or {}
    try:
        password_policy.check_password(password, policy, prefix=password_policy.POLICY_PREFIX)
        await threats.refuse_breached(ctx, tx, pool, req.get("ClientId"), password, "PASSWORD_CHANGE")
    except CognitoError as error:
        return error
    size = history_size(pool)
    if size and (password_matches(ctx, user, password) or (
        user.password_history_ciphertext is not None
        and passwords.in_history(user.password_history_ciphertext, pool.id, user.username, password, ctx.cipher)
    )):
        # Unconfirmed wording.
        return PasswordHistoryPolicyViolationException(
            "The password you entered was used recently. Please choose a different password."
        )
    await tx.codes.delete(pool.id, user.username_key, PURPOSE)
    user = with_password(ctx, user, password, history_size=size)
    status = "CONFIRMED" if user.status in ("RESET_REQUIRED", "UNCONFIRMED", "CONFIRMED") else user.status
    await tx.users.update(dataclasses.replace(user, status=status, updated_at=ctx.clock.now()))
    return None


async def admin_reset_user_password(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminResetUserPassword: RESET_REQUIRED, the password deactivated, a code sent; sign-in then
    answers PasswordResetRequiredException until ConfirmForgotPassword."""
    pending: list[Message] = []
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        user = await find_user(tx, pool, req["Username"], for_update=True)
        if user is None:
            raise user_not_found()
        if not user.enabled:
            raise NotAuthorizedException("User is disabled.")
        if user.status not in ("CONFIRMED", "RESET_REQUIRED"):
            raise NotAuthorizedException(WRONG_STATE)  # unconfirmed: moto's wording
        channel = rules.admin_reset_channel(pool.settings, user.attributes, user.extra)
        if channel is None:
            raise InvalidParameterException(NO_CHANNEL)  # unconfirmed for this operation
        history = user.password_history_ciphertext
        if history_size(pool) and user.password_ciphertext is not None:
            history = passwords.history_push(history, user.password_ciphertext, history_size(pool), pool.id,
                                             user.username, ctx.cipher)
        user = dataclasses.replace(
            user, status="RESET_REQUIRED", password_ciphertext=None, password_history_ciphertext=history,
            updated_at=ctx.clock.now(),
        )
        await tx.users.update(user)
        await _send_reset_code(ctx, tx, pool, user, channel, pending, client_metadata=req.get("ClientMetadata"))
    ctx.outbox.announce(pending)
    return {}



"""Self-service sign-up: SignUp, ConfirmSignUp, ResendConfirmationCode.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
"""

from __future__ import annotations

import dataclasses
from typing import Any

from userpools import ids
from userpools.delivery.messages import Message
from userpools.domain import password_policy
from userpools.domain import users as user_domain
from userpools.domain.records import PoolRecord, UserRecord
from userpools.errors import (
    AliasExistsException,
    CodeMismatchException,
    InvalidLambdaResponseException,
    InvalidParameterException,
    NotAuthorizedException,
    UsernameExistsException,
    UserNotFoundException,
)
from userpools.operations import hooks, threats
from userpools.operations.common import check_secret_hash, client_not_found, find_user, load_client
from userpools.operations.context import Context
from userpools.operations.userstate import (
    SIGN_UP_CODE,
    send_code,
    spend_code,
    store_aliases,
    verification_target,
    with_password,
)
from userpools.storage.ports import Conflict
from userpools.triggers import events


def _prevents_user_existence_errors(client_settings: dict[str, Any]) -> bool:
    return client_settings.get("PreventUserExistenceErrors") == "ENABLED"


async def sign_up(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_SignUp: an UNCONFIRMED user, and a code to the auto-verified attribute."""
    pending: list[Message] = []
    async with ctx.store.transaction(readonly=True) as tx:  # checks before the PreSignUp trigger
        client, pool = await load_client(tx, req["ClientId"])
    check_secret_hash(ctx, client, req.get("SecretHash"), req["Username"])
    if (pool.settings.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly"):
        raise NotAuthorizedException("SignUp is not permitted for this user pool")
    password = req.get("Password")
    if password is None:
        # Unconfirmed wording: passwordless sign-up needs a pool whose sign-in policy allows it.
        raise InvalidParameterException("Password is required for this user pool.")
    sub = ids.new_uuid()
    username, attributes = user_domain.resolve_sign_up_username(
        pool.settings, req["Username"], req.get("UserAttributes") or [], sub=sub
    )
    values = user_domain.validate_new_user_attributes(pool.settings, attributes, for_admin=False)
    password_policy.check_password(
        password, pool.settings.get("Policies", {}).get("PasswordPolicy", {}),
        prefix=password_policy.SIGNUP_PREFIX,
    )
    if threats.mode(pool) is not None and ctx.breached.configured:
        async with ctx.store.transaction(readonly=True) as tx:
            await threats.refuse_breached(ctx, tx, pool, client.id, password, "SIGN_UP")
    # PreSignUp runs outside any transaction: such functions often call back into the pool (a ListUsers
    # to refuse a duplicate email is the classic), which must not wait on this request.
    status = "UNCONFIRMED"
    decision = await hooks.run(ctx, pool, "PreSignUp", events.pre_sign_up(
        hooks.caller(pool, username, client.id), "PreSignUp_SignUp", user_attributes=values,
        validation_data=name_values(req.get("ValidationData")), client_metadata=req.get("ClientMetadata"),
    ))
    if decision:
        status, values = _apply_pre_sign_up(decision, values)
    now = ctx.clock.now()
    user = UserRecord(
        pool_id=pool.id, username=username, username_key=user_domain.username_key(pool.settings, username),
        sub=sub, status=status, enabled=True, created_at=now, updated_at=now, attributes=values,
    )
    user = with_password(ctx, user, password, history_size=0)
    async with ctx.store.transaction() as tx:
        client, pool = await load_client(tx, req["ClientId"])  # still there after the trigger?
        if not await tx.pools.hold(pool.id):  # and stays until the user is in (other SignUps need not wait)
            raise client_not_found(client.id)  # deleted since: as load_client answers
        try:
            await tx.users.insert(user)
        except Conflict:
            raise UsernameExistsException("User already exists") from None
        try:
            await store_aliases(tx, pool, user)
        except AliasExistsException as exc:  # in an email/phone-as-username pool: the username is taken
            if pool.settings.get("UsernameAttributes"):
                raise UsernameExistsException(
                    f"An account with the given {pool.settings['UsernameAttributes'][0]} already exists."
                ) from exc
            raise
        out: dict[str, Any] = {"UserConfirmed": status == "CONFIRMED", "UserSub": sub}
        target = verification_target(pool, user)
        if status != "CONFIRMED" and target is not None:
            out["CodeDeliveryDetails"] = await send_code(
                ctx, tx, pool, user, attribute=target, purpose=SIGN_UP_CODE,
                trigger_source="CustomMessage_SignUp", pending=pending, client_id=client.id,
                client_metadata=req.get("ClientMetadata"),
            )
    ctx.outbox.announce(pending)
    if status == "CONFIRMED":
        await post_confirmation(ctx, pool, user, client.id, req.get("ClientMetadata"))
    return out


async def confirm_sign_up(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ConfirmSignUp: the code turns UNCONFIRMED into CONFIRMED and verifies the attribute it went to."""
    async with ctx.store.transaction() as tx:
        client, pool = await load_client(tx, req["ClientId"])
        check_secret_hash(ctx, client, req.get("SecretHash"), req["Username"])
        user = await find_user(tx, pool, req["Username"], for_update=True)
        if user is None:
            if _prevents_user_existence_errors(client.settings):
                raise CodeMismatchException("Invalid verification code provided, please try again.")
            raise UserNotFoundException("Username/client id combination not found.")
        if user.status != "UNCONFIRMED":
            raise NotAuthorizedException(f"User cannot be confirmed. Current status is {user.status}")
        await spend_code(ctx, tx, pool, user, SIGN_UP_CODE, req["ConfirmationCode"])
        attributes = dict(user.attributes)
        target = verification_target(pool, user)
        if target is not None:
            attributes[f"{target}_verified"] = "true"
        user = dataclasses.replace(user, status="CONFIRMED", attributes=attributes, updated_at=ctx.clock.now())
        await tx.users.update(user)
        await store_aliases(tx, pool, user, force=bool(req.get("ForceAliasCreation")))
    await post_confirmation(ctx, pool, user, client.id, req.get("ClientMetadata"))
    return {}


async def resend_confirmation_code(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ResendConfirmationCode: a new sign-up code (the previous one stops working)."""
    pending: list[Message] = []
    async with ctx.store.transaction() as tx:
        client, pool = await load_client(tx, req["ClientId"])
        check_secret_hash(ctx, client, req.get("SecretHash"), req["Username"])
        user = await find_user(tx, pool, req["Username"], for_update=True)
        if user is None:
            if _prevents_user_existence_errors(client.settings):
                return {"CodeDeliveryDetails": _simulated_delivery(pool.settings, req["Username"])}
            raise UserNotFoundException("Username/client id combination not found.")
        if user.status != "UNCONFIRMED":
            raise InvalidParameterException("User is already confirmed.")
        target = verification_target(pool, user)
        if target is None:
            raise InvalidParameterException("Cannot resend codes. Auto verification not turned on.")
        details = await send_code(
            ctx, tx, pool, user, attribute=target, purpose=SIGN_UP_CODE,
            trigger_source="CustomMessage_ResendCode", pending=pending, client_id=client.id,
            client_metadata=req.get("ClientMetadata"),
        )
    ctx.outbox.announce(pending)
    return {"CodeDeliveryDetails": details}


def name_values(items: list[dict[str, str]] | None) -> dict[str, str] | None:
    return None if items is None else {item["Name"]: item.get("Value", "") for item in items}


def _apply_pre_sign_up(decision: dict[str, Any], values: dict[str, str]) -> tuple[str, dict[str, str]]:
    """PreSignUp's answer: autoConfirmUser confirms the user (no code is sent); autoVerifyEmail /
    autoVerifyPhone mark the attribute verified (Cognito requires autoConfirmUser with them)."""
    values = dict(values)
    if decision.get("autoVerifyEmail") and values.get("email"):
        values["email_verified"] = "true"
    if decision.get("autoVerifyPhone") and values.get("phone_number"):
        values["phone_number_verified"] = "true"
    if (decision.get("autoVerifyEmail") or decision.get("autoVerifyPhone")) and not decision.get("autoConfirmUser"):
        # Documented: the verify flags need autoConfirmUser; unconfirmed wording.
        raise InvalidLambdaResponseException("autoVerifyEmail and autoVerifyPhone require autoConfirmUser")
    return ("CONFIRMED" if decision.get("autoConfirmUser") else "UNCONFIRMED"), values


async def post_confirmation(ctx: Context, pool: PoolRecord, user: UserRecord, client_id: str | None,
                            client_metadata: dict[str, str] | None) -> None:
    """PostConfirmation_ConfirmSignUp (ConfirmSignUp, AdminConfirmSignUp, PreSignUp's autoConfirmUser).

    Called after the confirmation has committed, outside any transaction: Cognito confirms the user even
    when the function then fails (the error is still answered), and functions commonly call back into the
    user pool (AdminAddUserToGroup, AdminUpdateUserAttributes), which must not wait on this request's locks."""
    await hooks.run(ctx, pool, "PostConfirmation", events.post_confirmation(
        hooks.caller(pool, user.username, client_id), "PostConfirmation_ConfirmSignUp",
        user_attributes=hooks.attributes(pool, user), client_metadata=client_metadata,
    ))



def _simulated_delivery(settings: dict[str, Any], username: str) -> dict[str, str]:
    """PreventUserExistenceErrors: an answer shaped like a real one for a user that does not exist."""
    wanted = settings.get("AutoVerifiedAttributes") or ["email"]
    if "phone_number" in wanted:
        return {"Destination": "+*******" + "".join(str(ord(c) % 10) for c in username[:4]).ljust(4, "0"),
                "DeliveryMedium": "SMS", "AttributeName": "phone_number"}
    first = (username[:1] or "u").lower()
    return {"Destination": f"{first}***@{first}***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}

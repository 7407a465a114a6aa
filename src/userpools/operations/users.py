"""Administering users (SigV4): AdminCreateUser, AdminGetUser, AdminDeleteUser, AdminSetUserPassword,
AdminUpdateUserAttributes, AdminDeleteUserAttributes, AdminDisableUser, AdminEnableUser,
AdminConfirmSignUp, AdminUserGlobalSignOut, ListUsers.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
"""

from __future__ import annotations

import dataclasses
from typing import Any

from userpools import ids
from userpools.delivery.messages import Message, invitation_message
from userpools.domain import list_users_filter, password_policy
from userpools.domain import users as user_domain
from userpools.domain.records import PoolRecord, UserRecord
from userpools.errors import (
    NotAuthorizedException,
    UnsupportedUserStateException,
    UsernameExistsException,
)
from userpools.operations import hooks, paging
from userpools.operations.common import find_user, user_not_found
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.operations.signup import name_values, post_confirmation
from userpools.operations.userstate import (
    dispatch_message,
    history_size,
    send_update_codes,
    store_aliases,
    with_attribute_update,
    with_password,
)
from userpools.storage.ports import Conflict, Transaction
from userpools.triggers import events


def _policy(pool: PoolRecord) -> dict[str, Any]:
    return (pool.settings.get("Policies") or {}).get("PasswordPolicy") or {}


async def _user_or_raise(tx: Transaction, pool: PoolRecord, name: str, *, for_update: bool = True) -> UserRecord:
    user = await find_user(tx, pool, name, for_update=for_update)
    if user is None:
        raise user_not_found()
    return user


async def _invite(ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord, password: str,
                  mediums: list[str], pending: list[Message], client_metadata: dict[str, str] | None) -> None:
    """Sends the invitation by each medium `user_domain.invitation_mediums` chose (none: no invitation)."""
    for medium in mediums:
        destination = user.attributes[user_domain.MEDIUM_ATTRIBUTE[medium]]
        message = invitation_message(
            pool.settings, pool_id=pool.id, username=user.username, medium=medium, destination=destination,
            temporary_password=password,
        )
        await dispatch_message(ctx, tx, pool, message, pending, user=user, client_metadata=client_metadata)


async def admin_create_user(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminCreateUser: a FORCE_CHANGE_PASSWORD user with a temporary password, and the invitation."""
    pending: list[Message] = []
    requested = req.get("DesiredDeliveryMediums")
    action = req.get("MessageAction")
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        if action == "RESEND":
            user = await _user_or_raise(tx, pool, req["Username"])
            if user.status != "FORCE_CHANGE_PASSWORD":
                raise UnsupportedUserStateException("User account already exists and is not in FORCE_CHANGE_PASSWORD state.")
            mediums = user_domain.invitation_mediums(requested, user.attributes)
            password = req.get("TemporaryPassword") or password_policy.generate_temporary_password(_policy(pool))
            if req.get("TemporaryPassword"):
                password_policy.check_password(
                    password, _policy(pool), prefix=password_policy.ADMIN_CREATE_USER_PREFIX
                )
            user = dataclasses.replace(with_password(ctx, user, password, history_size=0), updated_at=ctx.clock.now())
            await tx.users.update(user)
            await _invite(ctx, tx, pool, user, password, mediums, pending, req.get("ClientMetadata"))
        else:
            sub = ids.new_uuid()
            username, attributes = user_domain.resolve_sign_up_username(
                pool.settings, req["Username"], req.get("UserAttributes") or [], sub=sub
            )
            values = user_domain.validate_new_user_attributes(pool.settings, attributes, for_admin=True)
            # [U] with SUPPRESS nothing is sent, so a requested medium without its attribute is not refused.
            mediums = [] if action == "SUPPRESS" else user_domain.invitation_mediums(requested, values)
            await hooks.run(ctx, pool, "PreSignUp", events.pre_sign_up(
                hooks.caller(pool, username, None), "PreSignUp_AdminCreateUser", user_attributes=values,
                validation_data=name_values(req.get("ValidationData")), client_metadata=req.get("ClientMetadata"),
            ))
            password = req.get("TemporaryPassword")
            if password is not None:
                password_policy.check_password(
                    password, _policy(pool), prefix=password_policy.ADMIN_CREATE_USER_PREFIX
                )
            else:
                password = password_policy.generate_temporary_password(_policy(pool))
            now = ctx.clock.now()
            user = UserRecord(
                pool_id=pool.id, username=username,
                username_key=user_domain.username_key(pool.settings, username), sub=sub,
                status="FORCE_CHANGE_PASSWORD", enabled=True, created_at=now, updated_at=now, attributes=values,
            )
            user = with_password(ctx, user, password, history_size=0)
            try:
                await tx.users.insert(user)
            except Conflict:
                raise UsernameExistsException("User account already exists") from None
            await store_aliases(tx, pool, user, force=bool(req.get("ForceAliasCreation")))
            await _invite(ctx, tx, pool, user, password, mediums, pending, req.get("ClientMetadata"))
    ctx.outbox.announce(pending)
    return {"User": user_domain.user_type(user)}


async def admin_get_user(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminGetUser."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        user = await _user_or_raise(tx, pool, req["Username"], for_update=False)
    return user_domain.admin_get_user(user)


async def admin_delete_user(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminDeleteUser: the user, its aliases, codes and sessions."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        user = await _user_or_raise(tx, pool, req["Username"])
        await tx.users.delete(pool.id, user.username_key)
    return {}


async def admin_set_user_password(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminSetUserPassword: Permanent=true confirms the user; false makes it a temporary password."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        user = await _user_or_raise(tx, pool, req["Username"])
        password_policy.check_password(req["Password"], _policy(pool), prefix=password_policy.POLICY_PREFIX)
        permanent = bool(req.get("Permanent"))
        user = with_password(ctx, user, req["Password"], history_size=history_size(pool) if permanent else 0)
        status = "CONFIRMED" if permanent else "FORCE_CHANGE_PASSWORD"
        if user.status == "EXTERNAL_PROVIDER":
            status = user.status
        await tx.users.update(dataclasses.replace(user, status=status, updated_at=ctx.clock.now()))
    return {}


async def admin_update_user_attributes(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminUpdateUserAttributes: a changed auto-verified email or phone becomes unverified and gets a
    code, unless the same call marks it verified."""
    pending: list[Message] = []
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        user = await _user_or_raise(tx, pool, req["Username"])
        update = user_domain.validate_attribute_update(
            pool.settings, user.attributes, req["UserAttributes"], for_admin=True, write_attributes=None
        )
        user = with_attribute_update(user, update, ctx.clock.now())
        await tx.users.update(user)
        await store_aliases(tx, pool, user)
        await send_update_codes(ctx, tx, pool, user, update, pending, client_metadata=req.get("ClientMetadata"))
    ctx.outbox.announce(pending)
    return {}


async def admin_delete_user_attributes(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminDeleteUserAttributes."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        user = await _user_or_raise(tx, pool, req["Username"])
        attributes = user_domain.validate_attribute_deletion(pool.settings, user.attributes, req["UserAttributeNames"])
        user = dataclasses.replace(user, attributes=attributes, updated_at=ctx.clock.now())
        await tx.users.update(user)
        await store_aliases(tx, pool, user)
    return {}


async def admin_disable_user(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminDisableUser: also revokes every token the user holds."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        user = await _user_or_raise(tx, pool, req["Username"])
        now = ctx.clock.now()
        await tx.users.update(dataclasses.replace(user, enabled=False, updated_at=now))
        await tx.auth_sessions.revoke_user(pool.id, user.username_key, now)
    return {}


async def admin_enable_user(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminEnableUser."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        user = await _user_or_raise(tx, pool, req["Username"])
        await tx.users.update(dataclasses.replace(user, enabled=True, updated_at=ctx.clock.now()))
    return {}


async def admin_confirm_sign_up(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminConfirmSignUp: UNCONFIRMED → CONFIRMED without a code."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        user = await _user_or_raise(tx, pool, req["Username"])
        if user.status != "UNCONFIRMED":
            raise NotAuthorizedException(f"User cannot be confirmed. Current status is {user.status}")
        user = dataclasses.replace(user, status="CONFIRMED", updated_at=ctx.clock.now())
        await tx.users.update(user)
    await post_confirmation(ctx, pool, user, None, req.get("ClientMetadata"))
    return {}


async def admin_user_global_sign_out(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminUserGlobalSignOut: every refresh token of the user, and the access tokens from them."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        user = await _user_or_raise(tx, pool, req["Username"], for_update=False)
        await tx.auth_sessions.revoke_user(pool.id, user.username_key, ctx.clock.now())
    return {}


async def list_users(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListUsers: Filter (`name = "v"` or `name ^= "v"` on Cognito's searchable attributes, served by an
    index), AttributesToGet, Limit (default 60), PaginationToken."""
    where = list_users_filter.parse_filter(req.get("Filter") or "")
    limit = req.get("Limit") or 60
    after = paging.decode("users", req.get("PaginationToken"))
    attributes_to_get = req.get("AttributesToGet")
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        page = list(await tx.users.list(pool.id, limit=limit + 1, after_key=after, where=where))
        last = tx.users.page_key(page[limit - 1], where) if len(page) > limit else None
    out: dict[str, Any] = {
        "Users": [user_domain.user_type(u, attributes_to_get=attributes_to_get) for u in page[:limit]]
    }
    if last is not None:
        out["PaginationToken"] = paging.encode("users", last)
    return out

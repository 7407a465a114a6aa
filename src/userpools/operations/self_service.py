"""What a signed-in user does with its own access token: GetUser, UpdateUserAttributes,
DeleteUserAttributes, DeleteUser, ChangePassword, GetUserAttributeVerificationCode, VerifyUserAttribute,
GlobalSignOut, and RevokeToken (with the refresh token).

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from userpools.crypto import passwords
from userpools.delivery.messages import Message
from userpools.domain import password_policy
from userpools.domain import tokens as token_domain
from userpools.domain import users as user_domain
from userpools.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    PasswordHistoryPolicyViolationException,
    UnsupportedOperationException,
    UnsupportedTokenTypeException,
)
from userpools.operations import threats
from userpools.operations.common import load_client, matches_a_secret
from userpools.operations.context import Context
from userpools.operations.tokens import authenticate
from userpools.operations.userstate import (
    PENDING,
    history_size,
    password_matches,
    send_code,
    send_update_codes,
    spend_code,
    store_aliases,
    verify_purpose,
    with_attribute_update,
    with_password,
)


async def get_user(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetUser."""
    async with ctx.store.transaction(readonly=True) as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"])
        client = await tx.clients.get(str(caller.claims.get("client_id")))
    readable = user_domain.readable_attributes(
        caller.pool.settings, client.settings.get("ReadAttributes") if client else None
    )
    return user_domain.get_user(caller.user, readable=readable)


async def update_user_attributes(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_UpdateUserAttributes: within the client's WriteAttributes; a changed auto-verified email/phone
    gets a code."""
    pending: list[Message] = []
    async with ctx.store.transaction() as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"], for_update=True)
        client = await tx.clients.get(str(caller.claims.get("client_id")))
        write = client.settings.get("WriteAttributes") if client else None
        update = user_domain.validate_attribute_update(
            caller.pool.settings, caller.user.attributes, req["UserAttributes"], for_admin=False,
            write_attributes=write,
        )
        user = with_attribute_update(caller.user, update, ctx.clock.now())
        await tx.users.update(user)
        await store_aliases(tx, caller.pool, user)
        details = await send_update_codes(ctx, tx, caller.pool, user, update, pending,
                                          client_id=str(caller.claims.get("client_id")),
                                          client_metadata=req.get("ClientMetadata"))
    ctx.outbox.announce(pending)
    return {"CodeDeliveryDetailsList": details} if details else {}


async def delete_user_attributes(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DeleteUserAttributes."""
    async with ctx.store.transaction() as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"], for_update=True)
        client = await tx.clients.get(str(caller.claims.get("client_id")))
        attributes = user_domain.validate_attribute_deletion(
            caller.pool.settings, caller.user.attributes, req["UserAttributeNames"], for_admin=False,
            write_attributes=client.settings.get("WriteAttributes") if client else None,
        )
        user = dataclasses.replace(caller.user, attributes=attributes, updated_at=ctx.clock.now())
        await tx.users.update(user)
        await store_aliases(tx, caller.pool, user)
    return {}


async def delete_user(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DeleteUser."""
    async with ctx.store.transaction() as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"], for_update=True)
        await tx.users.delete(caller.pool.id, caller.user.username_key)
    return {}


async def change_password(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ChangePassword: the previous password is checked against the stored verifier."""
    async with ctx.store.transaction() as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"], for_update=True)
        user, pool = caller.user, caller.pool
        previous = req.get("PreviousPassword")
        if previous is None or not password_matches(ctx, user, previous):
            raise NotAuthorizedException("Incorrect username or password.")
        proposed = req["ProposedPassword"]
        password_policy.check_password(
            proposed, (pool.settings.get("Policies") or {}).get("PasswordPolicy") or {},
            prefix=password_policy.POLICY_PREFIX,
        )
        await threats.refuse_breached(ctx, tx, pool, None, proposed, "PASSWORD_CHANGE")
        size = history_size(pool)
        if size and (password_matches(ctx, user, proposed) or (
            user.password_history_ciphertext is not None
            and passwords.in_history(user.password_history_ciphertext, pool.id, user.username, proposed, ctx.cipher)
        )):
            # Unconfirmed wording.
            raise PasswordHistoryPolicyViolationException(
                "The password you entered was used recently. Please choose a different password."
            )
        user = with_password(ctx, user, proposed, history_size=size)
        await tx.users.update(dataclasses.replace(user, updated_at=ctx.clock.now()))
    return {}


async def get_user_attribute_verification_code(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetUserAttributeVerificationCode: a code to the email or phone number (valid 24 hours)."""
    pending: list[Message] = []
    attribute = req["AttributeName"]
    async with ctx.store.transaction() as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"])
        if attribute not in ("email", "phone_number") or not caller.user.attributes.get(attribute):
            raise InvalidParameterException(f"Invalid attribute name: {attribute}. It is not set or not verifiable.")
        details = await send_code(
            ctx, tx, caller.pool, caller.user, attribute=attribute, purpose=verify_purpose(attribute),
            trigger_source="CustomMessage_VerifyUserAttribute", pending=pending,
            client_id=str(caller.claims.get("client_id")), client_metadata=req.get("ClientMetadata"),
        )
    ctx.outbox.announce(pending)
    return {"CodeDeliveryDetails": details}


async def verify_user_attribute(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_VerifyUserAttribute: the code marks the attribute verified (and makes it an alias where the pool
    uses it as one)."""
    attribute = req["AttributeName"]
    async with ctx.store.transaction() as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"], for_update=True)
        if attribute not in ("email", "phone_number") or not caller.user.attributes.get(attribute):
            raise InvalidParameterException(f"Invalid attribute name: {attribute}. It is not set or not verifiable.")
        await spend_code(ctx, tx, caller.pool, caller.user, verify_purpose(attribute), req["Code"])
        attributes = dict(caller.user.attributes)
        extra = dict(caller.user.extra)
        held = dict(extra.pop(PENDING, None) or {})
        if attribute in held:  # a value held back until verified (AttributesRequireVerificationBeforeUpdate)
            attributes[attribute] = held.pop(attribute)
        if held:
            extra[PENDING] = held
        attributes[f"{attribute}_verified"] = "true"
        user = dataclasses.replace(caller.user, attributes=attributes, extra=extra, updated_at=ctx.clock.now())
        await tx.users.update(user)
        await store_aliases(tx, caller.pool, user)
    return {}


async def global_sign_out(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GlobalSignOut: every refresh token of the user, and every access token issued from them."""
    async with ctx.store.transaction() as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"])
        await tx.auth_sessions.revoke_user(caller.pool.id, caller.user.username_key, ctx.clock.now())
    return {}


async def revoke_token(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_RevokeToken: the refresh token and every access/ID token issued from it."""
    async with ctx.store.transaction() as tx:
        client, _pool = await load_client(tx, req["ClientId"])
        if client.secret_ciphertext is not None and not matches_a_secret(ctx, client, req.get("ClientSecret") or ""):
            raise NotAuthorizedException(f"Client {client.id} is configured with secret but secret was not received"
                                         if not req.get("ClientSecret") else "Invalid client secret")
        if client.settings.get("EnableTokenRevocation") is False:
            raise UnsupportedOperationException("Token revocation is not enabled for this app client.")
        token = req["Token"]
        if token.count(".") == 2:  # a JWT: an access or ID token, which RevokeToken does not take
            raise UnsupportedTokenTypeException("Unsupported token type")
        claims = token_domain.open_refresh_token(token, ctx.cipher, datetime(1970, 1, 1, tzinfo=UTC))
        if claims is None:
            return {}  # RFC 7009: an unknown token is not an error
        if claims.client_id != client.id:
            raise NotAuthorizedException("Invalid token")
        await tx.auth_sessions.revoke(claims.origin_jti, ctx.clock.now())
    return {}

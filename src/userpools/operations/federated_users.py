"""The federated user, shared by the OIDC/social broker (``operations.federation``) and the SAML one
(``operations.saml``): the user an upstream identity signs in as (a native user it was linked to with
AdminLinkProviderForUser, else ``<provider>_<subject>`` with status EXTERNAL_PROVIDER, made at the first
sign-in), its mapped attributes rewritten at every sign-in [C], the ``<poolId>_<ProviderName>`` group, the
PreSignUp_ExternalProvider and PostConfirmation_ConfirmSignUp triggers, and the app's answer (userpools' own
code and the app's state). Every upstream failure is an ``UpstreamFailure`` that ``fail`` turns into the
redirect to the app with ``error`` and ``error_description``."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from userpools import ids
from userpools.domain import identity_providers as idp
from userpools.domain import oauth as rules
from userpools.domain import users as user_domain
from userpools.domain.records import GroupRecord, PoolRecord, PoolResource, UserRecord
from userpools.domain.resources import IDP_LINK, idp_link_key
from userpools.errors import CognitoError
from userpools.operations import hooks
from userpools.operations.context import Context
from userpools.operations.oauth import (
    SESSION,
    AuthorizeRedirect,
    AuthorizeRequest,
    Redirect,
    answer,
    check_authorize,
    grant_key,
    new_session,
)
from userpools.storage.ports import Transaction
from userpools.triggers import events


class ServerError(rules.OAuthError):
    error: ClassVar[str] = "server_error"


class AccessDenied(rules.OAuthError):
    error: ClassVar[str] = "access_denied"


class UpstreamFailure(Exception):
    """Something the upstream answered or failed to answer; the message is the app's error_description."""

    def __init__(self, message: str, error: str = "server_error") -> None:
        super().__init__(message)
        self.error = error


def fail(request: AuthorizeRequest, error: rules.OAuthError | UpstreamFailure) -> AuthorizeRedirect:
    """The redirect to the app that carries the error (in the fragment for the implicit grant)."""
    if isinstance(error, UpstreamFailure):
        error = ServerError(str(error)) if error.error == "server_error" else rules.InvalidRequest(str(error))
    return AuthorizeRedirect(request.redirect_uri, error, request.state, fragment=request.response_type == "token")


async def linked_user(tx: Transaction, pool: PoolRecord, name: str, subject: str, mapped: dict[str, str]
                       ) -> UserRecord | None:
    candidates = [(idp.COGNITO_SUBJECT, subject)] + sorted(mapped.items())
    for attribute, value in candidates:
        link = await tx.resources.get(IDP_LINK, idp_link_key(pool.id, name, attribute, value))
        if link is not None:
            return await tx.users.get(pool.id, str(link.document["username_key"]), for_update=True)
    return None


async def join_group(tx: Transaction, pool: PoolRecord, user: UserRecord, provider_name: str, now: Any) -> None:
    name = idp.auto_group(pool.id, provider_name)
    key = name.lower()
    if await tx.groups.get(pool.id, key) is None:
        await tx.groups.insert(GroupRecord(pool_id=pool.id, name=name, name_key=key, created_at=now, updated_at=now))
    if not await tx.groups.is_member(pool.id, key, user.username_key):
        await tx.groups.add_member(pool.id, key, user.username_key)


async def federated_user(ctx: Context, tx: Transaction, pool: PoolRecord, provider: PoolResource,
                         subject: str, mapped: dict[str, str], client_id: str, issuer: str | None
                         ) -> tuple[UserRecord, bool]:
    """The user this identity signs in as, made or updated (mapped attributes rewritten at every sign-in [C]);
    True when it was made now (PreSignUp_ExternalProvider ran before; PostConfirmation runs after the commit)."""
    document = provider.document
    name, provider_type = document["ProviderName"], document["ProviderType"]
    now = ctx.clock.now()
    linked = await linked_user(tx, pool, name, subject, mapped)
    if linked is not None:
        # [U] the linked native user's mapped attributes are rewritten too (never its username)
        user = dataclasses.replace(linked, attributes=linked.attributes | mapped, updated_at=now)
        await tx.users.update(user)
        return user, False
    username = idp.federated_username(name, subject)
    key = user_domain.username_key(pool.settings, username)
    user = await tx.users.get(pool.id, key, for_update=True)
    if user is not None:
        user = dataclasses.replace(user, attributes=user.attributes | mapped, updated_at=now)
        await tx.users.update(user)
        return user, False
    attributes = dict(mapped)
    schema = user_domain.schema(pool.settings)
    missing = [n for n, e in schema.items() if e.get("Required") and n != "sub" and not attributes.get(n)]
    if missing:
        # [C: required attributes must be mapped; U: Cognito's words]
        raise UpstreamFailure(f"Invalid user attributes: {missing[0]}: The attribute is required")
    if "email" in attributes and "email_verified" not in attributes:
        attributes["email_verified"] = "false"  # [C: false unless mapped]
    attributes["identities"] = idp.identities_text([
        idp.identity(name, provider_type, subject, issuer, int(now.timestamp() * 1000), primary=True)])
    try:
        await hooks.run(ctx, pool, "PreSignUp", events.pre_sign_up(
            hooks.caller(pool, username, client_id), "PreSignUp_ExternalProvider", user_attributes=attributes))
    except CognitoError as exc:
        # [O: "PreSignUp failed with error <message>." is what apps report from the hosted UI]
        raise UpstreamFailure(f"PreSignUp failed with error {exc.message}.", "invalid_request") from None
    user = UserRecord(pool_id=pool.id, username=username, username_key=key, sub=ids.new_uuid(),
                      status="EXTERNAL_PROVIDER", enabled=True, created_at=now, updated_at=now,
                      attributes=attributes)
    await tx.users.insert(user)
    return user, True


async def complete(ctx: Context, pool: PoolRecord, params: dict[str, str], provider: PoolResource, subject: str,
                   claims: dict[str, Any], issuer: str | None) -> Redirect:
    """The verified upstream identity → the user (made or updated), its group, a hosted session and the app's
    answer; PostConfirmation after the commit for a user made now. Raises AuthorizeRedirect on a failure."""
    mapping = provider.document.get("AttributeMapping") or {}
    mapped = idp.mapped_attributes(mapping, claims)
    async with ctx.store.transaction() as tx:
        client, request = await check_authorize(tx, pool, params)
        try:
            user, created = await federated_user(ctx, tx, pool, provider, subject, mapped, client.id, issuer)
            if not user.enabled:
                raise UpstreamFailure("User is disabled.")  # [U] the words
        except UpstreamFailure as exc:
            raise fail(request, exc) from None
        await join_group(tx, pool, user, provider.document["ProviderName"], ctx.clock.now())
        session = await new_session(ctx, tx, pool, user, client)
        location = await answer(ctx, tx, pool, client, user, request, ctx.clock.now(),
                                sso=grant_key(ctx.cipher, SESSION, session))
    if created and hooks.has(pool, "PostConfirmation"):
        # after the commit, as for ConfirmSignUp [C: PostConfirmation_ConfirmSignUp for a first federated
        # sign-in]; a failure here does not undo the sign-in [U]
        try:
            await hooks.run(ctx, pool, "PostConfirmation", events.post_confirmation(
                hooks.caller(pool, user.username, client.id), "PostConfirmation_ConfirmSignUp",
                user_attributes=hooks.attributes(pool, user)))
        except CognitoError:
            pass
    return Redirect(location, session)

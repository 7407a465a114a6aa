"""A passkey added on the hosted pages right after a sign-in, as managed login offers it: the signed-in user is
the domain's session (its cookie), the client the authorization request's; the rules are
StartWebAuthnRegistration's and CompleteWebAuthnRegistration's (``passkeys.begin_registration`` /
``finish_registration``), the pending registration kept for that client. The page then goes on to
/oauth2/authorize, where the session answers with a new code.
"""

from __future__ import annotations

from typing import Any

import orjson

from userpools.domain import users as user_domain
from userpools.domain.records import PoolRecord, UserRecord
from userpools.errors import InvalidParameterException, NotAuthorizedException
from userpools.operations import passkeys, replica_guard, signin
from userpools.operations.common import answers_held
from userpools.operations.context import Context
from userpools.operations.oauth import check_authorize, ensure_client, session_user
from userpools.storage.ports import Transaction


async def _user(ctx: Context, tx: Transaction, pool: PoolRecord, session_secret: str | None) -> UserRecord:
    found = await session_user(ctx, tx, pool, session_secret)
    user = None if found is None else await tx.users.get(
        pool.id, user_domain.username_key(pool.settings, found.username), for_update=True)
    if user is None:
        raise NotAuthorizedException(signin.SESSION_EXPIRED)  # no live session: sign in again [U]
    return user


@answers_held
async def registration_options(ctx: Context, pool: PoolRecord, params: dict[str, str],
                               session_secret: str | None) -> dict[str, Any]:
    """"Add a passkey": the creation options for the session's user (StartWebAuthnRegistration's rules)."""
    replica_guard.check_operation(pool, "StartWebAuthnRegistration", ctx.settings.region)
    await ensure_client(ctx, pool, params.get("client_id"))
    async with ctx.store.transaction() as tx:
        client, _request = await check_authorize(tx, pool, params)
        user = await _user(ctx, tx, pool, session_secret)
        return await passkeys.begin_registration(ctx, tx, pool, user, client.id)


@answers_held
async def register(ctx: Context, pool: PoolRecord, params: dict[str, str], session_secret: str | None,
                   credential: str) -> None:
    """The browser's RegistrationResponseJSON (as text) for the pending registration: the passkey stored."""
    replica_guard.check_operation(pool, "CompleteWebAuthnRegistration", ctx.settings.region)
    try:
        document = orjson.loads(credential)
    except orjson.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise InvalidParameterException("Credential must be a RegistrationResponseJSON object.")
    await ensure_client(ctx, pool, params.get("client_id"))
    async with ctx.store.transaction() as tx:
        client, _request = await check_authorize(tx, pool, params)
        user = await _user(ctx, tx, pool, session_secret)
        await passkeys.finish_registration(ctx, tx, pool, user, client.id, document)

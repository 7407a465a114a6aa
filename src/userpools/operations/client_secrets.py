"""Client secret rotation: AddUserPoolClientSecret, DeleteUserPoolClientSecret, ListUserPoolClientSecrets.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html

These three model their own errors: InternalServerException where the rest of the API has
InternalErrorException, and no NotAuthorizedException [C: botocore model]; an unexpected failure here is
answered as InternalServerException. Storage and rules: ``domain.client_secrets``. Messages are [U].
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from userpools import ids
from userpools.domain import client_secrets as domain
from userpools.domain.records import ClientRecord
from userpools.errors import (
    CognitoError,
    InternalServerException,
    InvalidParameterException,
    LimitExceededException,
    ResourceNotFoundException,
)
from userpools.operations.clients import get_client_or_raise, secret_context
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise

log = logging.getLogger("userpools.operations")

Handler = Callable[[Context, dict[str, Any]], Awaitable[dict[str, Any]]]


def _internal_server_errors(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapped(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
        try:
            return await handler(ctx, req)
        except CognitoError:
            raise
        except Exception as exc:
            log.exception("internal error in %s", handler.__name__)
            raise InternalServerException("Internal server error") from exc

    return wrapped


def _secrets(client: ClientRecord) -> list[domain.StoredSecret]:
    return domain.stored_secrets(
        client.settings, client_id=client.id, created_at=client.created_at, column=client.secret_ciphertext
    )


def _with(client: ClientRecord, secrets: list[domain.StoredSecret], ctx: Context) -> ClientRecord:
    return dataclasses.replace(
        client, secret_ciphertext=secrets[0].ciphertext, settings=domain.with_secrets(client.settings, secrets),
        updated_at=ctx.clock.now(),
    )


@_internal_server_errors
async def add_user_pool_client_secret(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AddUserPoolClientSecret: a second secret (the one given, or a generated one) beside the first."""
    given = req.get("ClientSecret")
    value = given if given is not None else ids.new_client_secret()
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        client = await get_client_or_raise(tx, pool.id, req["ClientId"], for_update=True)
        secrets = _secrets(client)
        if not secrets:
            # "for an existing confidential user pool app client" [C]; the error for a public one is [U]
            raise InvalidParameterException(f"Client {client.id} has no client secret: it is a public client.")
        if len(secrets) >= domain.MAX_SECRETS:
            raise LimitExceededException(
                f"Client {client.id} already has {domain.MAX_SECRETS} client secrets; delete one first."
            )
        now = ctx.clock.now()
        new = domain.StoredSecret(
            domain.secret_id(client.id, now), now, ctx.cipher.encrypt(value.encode(), context=secret_context(client.id))
        )
        if any(s.id == new.id for s in secrets):  # two additions in one millisecond
            raise LimitExceededException(f"Client {client.id} already has a client secret created at this time.")
        await tx.clients.update(_with(client, [*secrets, new], ctx))
    # The value only when Cognito made it [C: ClientSecretValue doc].
    return {"ClientSecretDescriptor": domain.descriptor(new, value if given is None else None)}


@_internal_server_errors
async def delete_user_pool_client_secret(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DeleteUserPoolClientSecret: never the last one [C]."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        client = await get_client_or_raise(tx, pool.id, req["ClientId"], for_update=True)
        secrets = _secrets(client)
        left = [s for s in secrets if s.id != req["ClientSecretId"]]
        if len(left) == len(secrets):
            raise ResourceNotFoundException(f"Client secret {req['ClientSecretId']} does not exist.")
        if not left:
            raise InvalidParameterException("The last client secret of a client cannot be deleted.")
        await tx.clients.update(_with(client, left, ctx))
    return {}


@_internal_server_errors
async def list_user_pool_client_secrets(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListUserPoolClientSecrets: every active secret, oldest first, without values and without a
    NextToken (there are two at most) [C]. A public client lists none [U]."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        client = await get_client_or_raise(tx, pool.id, req["ClientId"])
    return {"ClientSecrets": [domain.descriptor(s) for s in _secrets(client)]}

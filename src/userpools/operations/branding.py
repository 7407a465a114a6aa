"""Managed login branding: CreateManagedLoginBranding, DescribeManagedLoginBranding,
DescribeManagedLoginBrandingByClient, UpdateManagedLoginBranding, DeleteManagedLoginBranding.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
Stored formats and the default style: ``domain.branding``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from userpools import ids
from userpools.domain import branding as domain
from userpools.domain.resources import (
    MANAGED_LOGIN_BRANDING,
    MANAGED_LOGIN_BRANDING_CLIENT,
    PoolResource,
    branding_client_key,
    branding_key,
)
from userpools.errors import (
    InvalidParameterException,
    ManagedLoginBrandingExistsException,
    ResourceNotFoundException,
)
from userpools.operations.client_lookup import get_client_or_raise
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.storage.ports import Conflict, Transaction


def _not_found(branding_id: str, pool_id: str) -> ResourceNotFoundException:
    # [U] wording
    return ResourceNotFoundException(
        f"Managed login branding {branding_id} does not exist in user pool {pool_id}."
    )


def _answer(found: PoolResource, *, merge: bool = False) -> dict[str, Any]:
    shown = domain.described(found.document, merge=merge)
    return {
        "ManagedLoginBranding": {
            **shown,
            "CreationDate": found.created_at,
            "LastModifiedDate": found.updated_at,
        }
    }


async def _get_or_raise(
    tx: Transaction, pool_id: str, branding_id: str, *, for_update: bool = False
) -> PoolResource:
    key = branding_key(pool_id, branding_id.lower())
    found = await tx.resources.get(MANAGED_LOGIN_BRANDING, key, for_update=for_update)
    if found is None:
        raise _not_found(branding_id, pool_id)
    return found


async def branding_of_client(tx: Transaction, pool_id: str, client_id: str) -> PoolResource | None:
    """The app client's style, or None (its managed login pages then use ``domain.branding``'s defaults [U:
    Cognito's pages of a client without a style do not work; ours stay usable])."""
    index = await tx.resources.get(MANAGED_LOGIN_BRANDING_CLIENT, branding_client_key(pool_id, client_id))
    if index is None:
        return None
    return await tx.resources.get(
        MANAGED_LOGIN_BRANDING, branding_key(pool_id, index.document["ManagedLoginBrandingId"])
    )


async def forget_client(tx: Transaction, pool_id: str, client_id: str) -> None:
    """Deletes the app client's style (DeleteUserPoolClient) [U: Cognito is silent; a style belongs to one
    client until deleted]."""
    key = branding_client_key(pool_id, client_id)
    index = await tx.resources.get(MANAGED_LOGIN_BRANDING_CLIENT, key, for_update=True)
    if index is not None:
        await tx.resources.delete(MANAGED_LOGIN_BRANDING_CLIENT, key)
        await tx.resources.delete(
            MANAGED_LOGIN_BRANDING, branding_key(pool_id, index.document["ManagedLoginBrandingId"])
        )


async def create_managed_login_branding(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_CreateManagedLoginBranding: one style per app client (ManagedLoginBrandingExistsException)."""
    now = ctx.clock.now()
    branding_id = ids.new_uuid()
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        client = await get_client_or_raise(tx, pool.id, req["ClientId"], for_update=True)
        document = domain.new_document(req, branding_id, pool.id)
        index = {"ManagedLoginBrandingId": branding_id}
        try:
            await tx.resources.insert(
                PoolResource(
                    MANAGED_LOGIN_BRANDING_CLIENT,
                    branding_client_key(pool.id, client.id),
                    pool.id,
                    now,
                    now,
                    index,
                )
            )
        except Conflict:
            # [U] wording
            raise ManagedLoginBrandingExistsException(
                f"App client {client.id} already has a managed login branding style."
            ) from None
        created = PoolResource(
            MANAGED_LOGIN_BRANDING, branding_key(pool.id, branding_id), pool.id, now, now, document
        )
        await tx.resources.insert(created)
    return _answer(created)


async def describe_managed_login_branding(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DescribeManagedLoginBranding: ReturnMergedResources adds the default values."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        found = await _get_or_raise(tx, pool.id, req["ManagedLoginBrandingId"])
    return _answer(found, merge=bool(req.get("ReturnMergedResources")))


async def describe_managed_login_branding_by_client(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DescribeManagedLoginBrandingByClient."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        client = await get_client_or_raise(tx, pool.id, req["ClientId"])
        found = await branding_of_client(tx, pool.id, client.id)
        if found is None:
            # [U] wording
            raise ResourceNotFoundException(f"App client {client.id} has no managed login branding style.")
    return _answer(found, merge=bool(req.get("ReturnMergedResources")))


async def update_managed_login_branding(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_UpdateManagedLoginBranding. The model requires no member; without UserPoolId or
    ManagedLoginBrandingId nothing can be found, answered in the validation form [U]."""
    missing = [m for m in ("UserPoolId", "ManagedLoginBrandingId") if m not in req]
    if missing:
        problems = [
            f"Value null at '{m[0].lower()}{m[1:]}' failed to satisfy constraint: Member must not be null"
            for m in missing
        ]
        count = len(problems)
        raise InvalidParameterException(
            f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems)
        )
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        found = await _get_or_raise(tx, pool.id, req["ManagedLoginBrandingId"], for_update=True)
        document = domain.updated_document(found.document, req)
        updated = dataclasses.replace(found, document=document, updated_at=ctx.clock.now())
        await tx.resources.update(updated)
    return _answer(updated)


async def delete_managed_login_branding(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DeleteManagedLoginBranding: the app client is left without a style."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        found = await _get_or_raise(tx, pool.id, req["ManagedLoginBrandingId"], for_update=True)
        await tx.resources.delete(MANAGED_LOGIN_BRANDING, found.key)
        await tx.resources.delete(
            MANAGED_LOGIN_BRANDING_CLIENT, branding_client_key(pool.id, found.document["ClientId"])
        )
    return {}

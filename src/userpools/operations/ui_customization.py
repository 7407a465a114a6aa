"""The classic hosted UI's branding: SetUICustomization, GetUICustomization.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
"""

from __future__ import annotations

import dataclasses
from typing import Any

from userpools.domain import ui_customization as domain
from userpools.domain.records import PoolRecord
from userpools.domain.resources import UI_CUSTOMIZATION, PoolResource, ui_customization_key
from userpools.errors import InvalidParameterException
from userpools.operations.client_lookup import get_client_or_raise
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.storage.ports import Transaction

ALL = "ALL"


def _check_domain(pool: PoolRecord) -> None:
    if not (pool.settings.get("Domain") or pool.settings.get("CustomDomain")):
        # [O: terraform-provider-aws acceptance tests match this text, for Set and Get]
        raise InvalidParameterException("There has to be an existing domain associated with this user pool")


async def _target(tx: Transaction, pool: PoolRecord, client_id: str | None) -> str:
    """The ClientId the request is about: ALL, or an existing client of the pool."""
    if client_id is None or client_id == ALL:
        return ALL
    client = await get_client_or_raise(tx, pool.id, client_id)
    return client.id


def _describe(ctx: Context, found: PoolResource) -> dict[str, Any]:
    return domain.describe(
        found.document,
        base_url=ctx.settings.public_url,
        created=found.created_at,
        modified=found.updated_at,
    )


async def set_ui_customization(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_SetUICustomization: the CSS and the logo of a client, or of every client without its own (ALL)."""
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        _check_domain(pool)
        client_id = await _target(tx, pool, req.get("ClientId"))
        document = domain.document(pool.id, client_id, req.get("CSS"), req.get("ImageFile"), now=now)
        key = ui_customization_key(pool.id, client_id)
        found = await tx.resources.get(UI_CUSTOMIZATION, key, for_update=True)
        if found is None:
            found = PoolResource(UI_CUSTOMIZATION, key, pool.id, now, now, document)
            await tx.resources.insert(found)
        else:
            found = dataclasses.replace(found, document=document, updated_at=now)
            await tx.resources.update(found)
    return {"UICustomization": _describe(ctx, found)}


async def effective_customization(
    tx: Transaction, pool_id: str, client_id: str | None
) -> PoolResource | None:
    """The customization a client's pages use: its own, else the pool's ALL one, else None."""
    if client_id and client_id != ALL:
        own = await tx.resources.get(UI_CUSTOMIZATION, ui_customization_key(pool_id, client_id))
        if own is not None:
            return own
    return await tx.resources.get(UI_CUSTOMIZATION, ui_customization_key(pool_id, None))


async def get_ui_customization(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetUICustomization: the client's, else the pool's (ALL), else an empty object [C]."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        _check_domain(pool)
        client_id = await _target(tx, pool, req.get("ClientId"))
        found = await effective_customization(tx, pool.id, client_id)
    return {"UICustomization": {} if found is None else _describe(ctx, found)}

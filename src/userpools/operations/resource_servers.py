"""Resource servers: CreateResourceServer, DescribeResourceServer, UpdateResourceServer, DeleteResourceServer,
ListResourceServers.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
"""

from __future__ import annotations

import dataclasses
from typing import Any

from userpools.domain import resource_servers as domain
from userpools.domain.resources import RESOURCE_SERVER, PoolResource, resource_server_key
from userpools.errors import InvalidParameterException, ResourceNotFoundException
from userpools.operations import paging
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.storage.ports import Conflict, Transaction

#: ListResourceServers' page when MaxResults is not given [U: the model allows 1–50; the largest is taken]
DEFAULT_PAGE = 50


def _not_found(identifier: str, pool_id: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(
        f"Resource server {identifier} does not exist in user pool {pool_id}."
    )  # [U]


async def _get_or_raise(
    tx: Transaction, pool_id: str, identifier: str, *, for_update: bool = False
) -> PoolResource:
    found = await tx.resources.get(
        RESOURCE_SERVER, resource_server_key(pool_id, identifier), for_update=for_update
    )
    if found is None:
        raise _not_found(identifier, pool_id)
    return found


async def all_resource_servers(tx: Transaction, pool_id: str) -> list[PoolResource]:
    """Every resource server of the pool (at most the quota, read in pages)."""
    out: list[PoolResource] = []
    after = None
    while True:
        page = await tx.resources.list(pool_id, RESOURCE_SERVER, limit=100, after_key=after)
        out.extend(page)
        if len(page) < 100:
            return out
        after = page[-1].key


async def create_resource_server(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_CreateResourceServer: at most 25 per pool."""
    document = domain.document(req)
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        # Locked: concurrent creations are counted one after the other against the quota.
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        domain.check_quota(len(await all_resource_servers(tx, pool.id)))
        key = resource_server_key(pool.id, req["Identifier"])
        try:
            await tx.resources.insert(PoolResource(RESOURCE_SERVER, key, pool.id, now, now, document))
        except Conflict:
            # [U] wording
            raise InvalidParameterException(
                f"{req['Identifier']} already exists in user pool {pool.id}."
            ) from None
    return {"ResourceServer": document}


async def describe_resource_server(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DescribeResourceServer."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        found = await _get_or_raise(tx, pool.id, req["Identifier"])
    return {"ResourceServer": found.document}


async def update_resource_server(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_UpdateResourceServer: Name and Scopes are replaced as a whole (Scopes not given: none) [C: "If you
    don't provide a value for an attribute, it is set to the default value"]."""
    document = domain.document(req)
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        found = await _get_or_raise(tx, pool.id, req["Identifier"], for_update=True)
        await tx.resources.update(dataclasses.replace(found, document=document, updated_at=ctx.clock.now()))
    return {"ResourceServer": document}


async def delete_resource_server(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DeleteResourceServer: clients keep the scopes they allowed; tokens leave them out while they do not
    exist [C: "Defining resource servers"]."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        found = await _get_or_raise(tx, pool.id, req["Identifier"], for_update=True)
        await tx.resources.delete(RESOURCE_SERVER, found.key)
    return {}


async def list_resource_servers(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListResourceServers: MaxResults (1–50) per page in identifier order, NextToken to go on."""
    limit = req.get("MaxResults", DEFAULT_PAGE)
    after = paging.decode("resource-servers", req.get("NextToken"))
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        after_key = None if after is None else resource_server_key(pool.id, after)
        page = list(await tx.resources.list(pool.id, RESOURCE_SERVER, limit=limit + 1, after_key=after_key))
    out: dict[str, Any] = {"ResourceServers": [r.document for r in page[:limit]]}
    if len(page) > limit:
        out["NextToken"] = paging.encode("resource-servers", page[limit - 1].document["Identifier"])
    return out

"""Tags on user pools: TagResource, UntagResource, ListTagsForResource.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html

The tags are the pool's ``UserPoolTags`` setting, so Create/Update/DescribeUserPool show and change the same
map (see ``domain.tags``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from userpools.domain import tags as domain
from userpools.domain.records import PoolRecord
from userpools.errors import ResourceNotFoundException
from userpools.operations.context import Context
from userpools.operations.pools import pool_not_found
from userpools.storage.ports import Transaction


async def _pool_of(ctx: Context, tx: Transaction, arn: str, *, for_update: bool = False) -> PoolRecord:
    pool_id = domain.pool_id_of(arn, account_id=ctx.settings.account_id)
    if pool_id is None:
        raise ResourceNotFoundException(f"Resource {arn} does not exist.")  # [U] wording
    pool = await tx.pools.get(pool_id, for_update=for_update)
    if pool is None:
        raise pool_not_found(pool_id)
    return pool


async def tag_resource(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_TagResource: the tags given are added, or replace the values of keys already there."""
    async with ctx.store.transaction() as tx:
        pool = await _pool_of(ctx, tx, req["ResourceArn"], for_update=True)
        tags = {**(pool.settings.get("UserPoolTags") or {}), **req["Tags"]}
        domain.check_tags(tags)
        settings = {**pool.settings, "UserPoolTags": tags}
        # Tagging is not a change of the pool's configuration: LastModifiedDate stays [U].
        await tx.pools.update(dataclasses.replace(pool, settings=settings))
    return {}


async def untag_resource(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_UntagResource: keys that are not there are ignored [U]."""
    async with ctx.store.transaction() as tx:
        pool = await _pool_of(ctx, tx, req["ResourceArn"], for_update=True)
        remove = set(req["TagKeys"])
        tags = {k: v for k, v in (pool.settings.get("UserPoolTags") or {}).items() if k not in remove}
        await tx.pools.update(dataclasses.replace(pool, settings={**pool.settings, "UserPoolTags": tags}))
    return {}


async def list_tags_for_resource(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListTagsForResource: an untagged pool answers an empty map [U]."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await _pool_of(ctx, tx, req["ResourceArn"])
    return {"Tags": dict(pool.settings.get("UserPoolTags") or {})}

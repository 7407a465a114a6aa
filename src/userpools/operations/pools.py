"""User pool management: CreateUserPool, DescribeUserPool, UpdateUserPool, DeleteUserPool, ListUserPools,
AddCustomAttributes.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from userpools import ids
from userpools.crypto.keys import PURPOSES, new_signing_key, shared_private_key
from userpools.domain import pools as domain
from userpools.domain.records import PoolRecord, SigningKeyRecord
from userpools.errors import InvalidParameterException, ResourceNotFoundException
from userpools.operations import paging, replica_guard
from userpools.operations.context import Context
from userpools.storage.ports import Conflict, Transaction


def pool_not_found(pool_id: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"User pool {pool_id} does not exist.")


async def get_pool_or_raise(tx: Transaction, pool_id: str, *, for_update: bool = False) -> PoolRecord:
    pool = await tx.pools.get(pool_id, for_update=for_update)
    if pool is None:
        raise pool_not_found(pool_id)
    replica_guard.check(pool)
    return pool


def _describe(ctx: Context, pool: PoolRecord, estimated_users: int = 0) -> dict[str, Any]:
    region = pool.id.split("_", 1)[0]
    return domain.describe_pool(pool, region=region, account_id=ctx.settings.account_id,
                                estimated_users=estimated_users)


async def create_user_pool(ctx: Context, req: dict[str, Any], *, pool_id: str | None = None) -> dict[str, Any]:
    """API_CreateUserPool: the pool with every default Cognito fills in, and its own signing keys.
    ``pool_id`` (pools as code, never the wire) is the pool's fixed id instead of a drawn one; taken, it raises
    Conflict."""
    settings = domain.new_pool_settings({k: v for k, v in req.items() if k != "PoolName"})
    now = ctx.clock.now()
    for _attempt in range(5):
        pool = PoolRecord(
            id=pool_id or ids.new_pool_id(ctx.settings.region), name=req["PoolName"], created_at=now, updated_at=now,
            settings=settings,
        )
        def make(pid: str = pool.id, shared: bool = ctx.settings.shared_signing_key) -> list[SigningKeyRecord]:
            # shared: development's process-wide keys (crypto.keys.shared_private_key)
            return [new_signing_key(pid, purpose, ctx.cipher, now, shared=shared) for purpose in PURPOSES]

        # RSA key generation is CPU work of tens of milliseconds: keep it off the event loop (shared keys,
        # once made, cost a hash and an encryption).
        made = ctx.settings.shared_signing_key and shared_private_key.cache_info().currsize == len(PURPOSES)
        keys = make() if made else await asyncio.to_thread(make)
        try:
            async with ctx.store.transaction() as tx:
                await tx.pools.insert(pool)
                for key in keys:
                    await tx.signing_keys.insert(key)
        except Conflict:  # a pool id drawn twice (62^9 ids): draw again
            if pool_id is not None:
                raise
            continue
        return {"UserPool": _describe(ctx, pool)}
    raise RuntimeError("could not draw an unused pool id")


async def describe_user_pool(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DescribeUserPool."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        users = await tx.users.count(pool.id)
    return {"UserPool": _describe(ctx, pool, users)}


async def update_user_pool(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_UpdateUserPool: members not given return to their defaults, as Cognito documents."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        changes = {k: v for k, v in req.items() if k not in ("UserPoolId", "PoolName")}
        settings = domain.updated_pool_settings(pool.settings, changes)
        await tx.pools.update(
            dataclasses.replace(
                pool, name=req.get("PoolName", pool.name), settings=settings, updated_at=ctx.clock.now()
            )
        )
    return {}


async def delete_user_pool(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DeleteUserPool: the pool and everything in it."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        if pool.settings.get("DeletionProtection") == "ACTIVE":
            # Unconfirmed wording (the behaviour is documented under DeletionProtection).
            raise InvalidParameterException(
                "The user pool cannot be deleted because deletion protection is activated. "
                "Deletion protection must be inactive first."
            )
        if pool.settings.get("Domain") or pool.settings.get("CustomDomain"):
            # [O: terraform-provider-aws#16479, aws-nuke#330 quote it]
            raise InvalidParameterException(
                "User pool cannot be deleted. It has a domain configured that should be deleted first."
            )
        await tx.pools.delete(pool.id)
    return {}


async def list_user_pools(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListUserPools: MaxResults (1–60) per page, NextToken to go on."""
    limit = req["MaxResults"]
    after = paging.decode("pools", req.get("NextToken"))
    async with ctx.store.transaction(readonly=True) as tx:
        page = list(await tx.pools.list(limit=limit + 1, after_id=after))
    out: dict[str, Any] = {"UserPools": [domain.pool_summary(p) for p in page[:limit]]}
    if len(page) > limit:
        out["NextToken"] = paging.encode("pools", page[limit - 1].id)
    return out


async def add_custom_attributes(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AddCustomAttributes."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        settings = domain.with_custom_attributes(pool.settings, req["CustomAttributes"])
        await tx.pools.update(dataclasses.replace(pool, settings=settings, updated_at=ctx.clock.now()))
    return {}

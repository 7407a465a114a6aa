"""Multi-Region replication: CreateUserPoolReplica, UpdateUserPoolReplica, DeleteUserPoolReplica,
ListUserPoolReplicas.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
The replica list lives in the pool's settings (``domain.replicas``); the pool id, its signing keys and its
data are shared, so a server started with ``--region <secondary>`` on the same database serves the pool read
and sign-in only (``operations.replica_guard``). Creation and deletion complete at once: CREATING is never
seen (a replica is INACTIVE as soon as it exists) and Delete answers DELETING with the replica already gone.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from userpools.domain import replicas as domain
from userpools.errors import (
    FeatureUnavailableInTierException,
    InvalidParameterException,
    LimitExceededException,
    OperationNotEnabledException,
    ResourceNotFoundException,
)
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.storage.ports import Transaction


def _not_found(pool_id: str, region: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"User pool {pool_id} has no replica in {region}.")  # [U] wording


def _primary_only(ctx: Context, pool_id: str, operation: str) -> None:
    """[C: DeleteUserPoolReplica "call from the primary Region"; Create likewise, as it creates the secondary]"""
    if ctx.settings.region != domain.home_region(pool_id):
        raise OperationNotEnabledException(
            f"{operation} must be called in the primary Region of user pool {pool_id}."
        )


def _answer(ctx: Context, pool_id: str, replica: dict[str, Any]) -> dict[str, Any]:
    return {"UserPoolReplica": domain.described(pool_id, replica, role="SECONDARY",
                                                account_id=ctx.settings.account_id)}


async def _save(ctx: Context, tx: Transaction, pool: Any, replicas: list[Any]) -> None:
    settings = {k: v for k, v in pool.settings.items() if k != domain.REPLICAS}
    if replicas:
        settings[domain.REPLICAS] = replicas
    await tx.pools.update(dataclasses.replace(pool, settings=settings, updated_at=ctx.clock.now()))


async def create_user_pool_replica(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_CreateUserPoolReplica: the secondary starts INACTIVE [DG-mrr]; at most one per pool [DG-mrr]."""
    region = req["RegionName"]
    _primary_only(ctx, req["UserPoolId"], "CreateUserPoolReplica")
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        if pool.settings.get("UserPoolTier") == "LITE":
            # [DG-mrr] replication needs the Essentials or Plus plan; [U] the wording
            raise FeatureUnavailableInTierException(
                "Multi-Region replication requires the Essentials or Plus feature plan."
            )
        if region == domain.home_region(pool.id):
            raise InvalidParameterException(f"{region} is the primary Region of user pool {pool.id}.")  # [U]
        replicas = [dict(r) for r in domain.replicas_of(pool)]
        if any(r["RegionName"] == region for r in replicas):
            raise InvalidParameterException(f"User pool {pool.id} already has a replica in {region}.")  # [U]
        if len(replicas) >= domain.MAX_SECONDARIES:
            raise LimitExceededException(
                f"User pool {pool.id} already has {domain.MAX_SECONDARIES} secondary replica."
            )  # [U] wording
        replica: dict[str, Any] = {"RegionName": region, "Status": "INACTIVE"}
        if req.get("UserPoolTags"):
            replica["Tags"] = dict(req["UserPoolTags"])
        await _save(ctx, tx, pool, [*replicas, replica])
    return _answer(ctx, pool.id, replica)


async def update_user_pool_replica(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_UpdateUserPoolReplica: ACTIVE ⇄ INACTIVE, from the primary or the secondary Region [C]. The primary
    cannot be updated [U: InvalidParameterException]."""
    region = req["RegionName"]
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        if region == domain.home_region(pool.id):
            raise InvalidParameterException(
                f"{region} is the primary Region of user pool {pool.id}; only a secondary replica can be updated."
            )
        replicas = [dict(r) for r in domain.replicas_of(pool)]
        found = next((r for r in replicas if r["RegionName"] == region), None)
        if found is None:
            raise _not_found(pool.id, region)
        found["Status"] = req["Status"]
        await _save(ctx, tx, pool, replicas)
    return _answer(ctx, pool.id, found)


async def delete_user_pool_replica(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DeleteUserPoolReplica: INACTIVE replicas only, from the primary Region [C]."""
    region = req["RegionName"]
    _primary_only(ctx, req["UserPoolId"], "DeleteUserPoolReplica")
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        replicas = [dict(r) for r in domain.replicas_of(pool)]
        found = next((r for r in replicas if r["RegionName"] == region), None)
        if found is None:
            raise _not_found(pool.id, region)
        if found["Status"] != "INACTIVE":
            raise InvalidParameterException(
                f"The replica of user pool {pool.id} in {region} must be INACTIVE to be deleted."
            )  # [U] the error type: InvalidParameterException
        await _save(ctx, tx, pool, [r for r in replicas if r is not found])
    return _answer(ctx, pool.id, {**found, "Status": "DELETING"})


async def list_user_pool_replicas(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListUserPoolReplicas: the primary first (Role PRIMARY, Status ACTIVE [U]), then the secondary; one
    page (at most two entries), so no NextToken."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
    account = ctx.settings.account_id
    primary = {"RegionName": domain.home_region(pool.id), "Status": "ACTIVE"}
    return {"UserPoolReplicas": [
        domain.described(pool.id, primary, role="PRIMARY", account_id=account),
        *(domain.described(pool.id, r, role="SECONDARY", account_id=account) for r in domain.replicas_of(pool)),
    ]}

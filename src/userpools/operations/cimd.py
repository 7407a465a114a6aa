"""Client ID metadata document policies: CreateCIMDPolicy, DescribeCIMDPolicy, UpdateCIMDPolicy,
DeleteCIMDPolicy, ListCIMDPolicies, ListClientMetadataURLs, UpdateClientMetadataURLState.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
Stored formats, URL patterns and caching: ``domain.cimd``. The authorization endpoint reads the pool's
policies with ``policies_of`` and writes what it fetched with ``record_fetch``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from userpools.domain import cimd as domain
from userpools.domain.records import PoolRecord
from userpools.domain.resources import CIMD_POLICY, CIMD_URL, PoolResource, cimd_policy_key, cimd_url_key
from userpools.errors import (
    CachedCIMDURLDoesNotExistException,
    FeatureUnavailableInTierException,
    ResourceNotFoundException,
)
from userpools.operations import paging
from userpools.operations.client_lookup import get_client_or_raise
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.storage.ports import Conflict, Transaction

#: List pages when MaxResults is not given [U: the model allows 1–60; the largest is taken]
DEFAULT_PAGE = 60


def _not_found(policy_id: str, pool_id: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"CIMD policy {policy_id} does not exist in user pool {pool_id}.")  # [U]


def _check_tier(pool: PoolRecord) -> None:
    if pool.settings.get("UserPoolTier") == "LITE":
        # [C] FeatureUnavailableInTierException is in the model's list for Create/Update and URL state;
        # [U] which plan: managed login's (Essentials or Plus), as CIMD works through the domain's endpoints
        raise FeatureUnavailableInTierException(
            "Client ID metadata documents require the Essentials or Plus feature plan."
        )


async def _get_or_raise(
    tx: Transaction, pool_id: str, policy_id: str, *, for_update: bool = False
) -> PoolResource:
    found = await tx.resources.get(CIMD_POLICY, cimd_policy_key(pool_id, policy_id), for_update=for_update)
    if found is None:
        raise _not_found(policy_id, pool_id)
    return found


async def _client_exists(tx: Transaction, document: Mapping[str, Any]) -> bool:
    client = await tx.clients.get(document["ClientId"])
    return client is not None and client.pool_id == document["UserPoolId"]


async def _answer(tx: Transaction, found: PoolResource) -> dict[str, Any]:
    shown = domain.described(found.document, client_exists=await _client_exists(tx, found.document))
    return {"CIMDPolicy": {**shown, "CreationDate": found.created_at, "LastModifiedDate": found.updated_at}}


async def policies_of(tx: Transaction, pool_id: str) -> list[PoolResource]:
    """Every policy of the pool in CIMDPolicyId order (at most the quota)."""
    return list(await tx.resources.list(pool_id, CIMD_POLICY, limit=domain.MAX_POLICIES + 100))


async def _url_pages(
    tx: Transaction, pool_id: str, policy_id: str, limit: int, after_url: str | None
) -> list[PoolResource]:
    prefix = cimd_url_key(pool_id, policy_id, "")
    after = prefix if after_url is None else prefix + after_url
    page = await tx.resources.list(pool_id, CIMD_URL, limit=limit, after_key=after)
    return [r for r in page if r.key.startswith(prefix)]


async def record_fetch(
    tx: Transaction,
    pool_id: str,
    policy: Mapping[str, Any],
    url: str,
    metadata: Mapping[str, Any],
    now: datetime,
    max_age: int | None,
) -> PoolResource:
    """For the authorization endpoint: keeps a metadata document fetched now from ``url`` under ``policy``
    (a ``cimd_policy`` document), cached for ``domain.cache_seconds``; returns the record."""
    document = domain.url_record(url, metadata, now, domain.cache_seconds(policy, max_age))
    key = cimd_url_key(pool_id, policy["CIMDPolicyId"], url)
    while True:
        existing = await tx.resources.get(CIMD_URL, key, for_update=True)
        if existing is not None:
            record = dataclasses.replace(existing, document=document, updated_at=now)
            await tx.resources.update(record)
            return record
        record = PoolResource(CIMD_URL, key, pool_id, now, now, document)
        try:
            await tx.resources.insert(record)
            return record
        except Conflict:  # another request recorded the URL meanwhile: update it (the newer fetch wins)
            continue


async def create_cimd_policy(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_CreateCIMDPolicy."""
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        # Locked: concurrent creations are counted one after the other against the quota.
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        _check_tier(pool)
        await get_client_or_raise(tx, pool.id, req["ClientId"])
        document = domain.new_document(req, domain.new_policy_id(), pool.id)
        others = await policies_of(tx, pool.id)
        domain.check_quota(len(others))
        domain.check_unclaimed(document["URLPatterns"], (o.document for o in others))
        created = PoolResource(
            CIMD_POLICY, cimd_policy_key(pool.id, document["CIMDPolicyId"]), pool.id, now, now, document
        )
        await tx.resources.insert(created)
        return await _answer(tx, created)


async def describe_cimd_policy(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DescribeCIMDPolicy."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        return await _answer(tx, await _get_or_raise(tx, pool.id, req["CIMDPolicyId"]))


async def update_cimd_policy(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_UpdateCIMDPolicy: ClientId and URLPatterns are required and replace the stored ones."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        _check_tier(pool)
        found = await _get_or_raise(tx, pool.id, req["CIMDPolicyId"], for_update=True)
        await get_client_or_raise(tx, pool.id, req["ClientId"])
        document = domain.updated_document(found.document, req)
        others = [o.document for o in await policies_of(tx, pool.id) if o.key != found.key]
        domain.check_unclaimed(document["URLPatterns"], others)
        updated = dataclasses.replace(found, document=document, updated_at=ctx.clock.now())
        await tx.resources.update(updated)
        return await _answer(tx, updated)


async def delete_cimd_policy(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DeleteCIMDPolicy: with the URLs cached under it."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        found = await _get_or_raise(tx, pool.id, req["CIMDPolicyId"], for_update=True)
        while page := await _url_pages(tx, pool.id, found.document["CIMDPolicyId"], 100, None):
            for record in page:
                await tx.resources.delete(CIMD_URL, record.key)
        await tx.resources.delete(CIMD_POLICY, found.key)
    return {}


async def list_cimd_policies(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListCIMDPolicies: MaxResults (1–60) per page in CIMDPolicyId order [U], NextToken to go on."""
    limit = req.get("MaxResults", DEFAULT_PAGE)
    after = paging.decode("cimd-policies", req.get("NextToken"))
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        after_key = None if after is None else cimd_policy_key(pool.id, after)
        page = list(await tx.resources.list(pool.id, CIMD_POLICY, limit=limit + 1, after_key=after_key))
        summaries = []
        for r in page[:limit]:
            shown = domain.summary(r.document, client_exists=await _client_exists(tx, r.document))
            summaries.append({**shown, "CreationDate": r.created_at, "LastModifiedDate": r.updated_at})
    out: dict[str, Any] = {"CIMDPolicies": summaries}
    if len(page) > limit:
        out["NextToken"] = paging.encode("cimd-policies", page[limit - 1].document["CIMDPolicyId"])
    return out


async def list_client_metadata_urls(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListClientMetadataURLs: the URLs the authorization endpoint met under the policy, in URL order
    [U], with their cache dates."""
    limit = req.get("MaxResults", DEFAULT_PAGE)
    after = paging.decode("cimd-urls", req.get("NextToken"))
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        policy = await _get_or_raise(tx, pool.id, req["CIMDPolicyId"])
        page = await _url_pages(tx, pool.id, policy.document["CIMDPolicyId"], limit + 1, after)
    out: dict[str, Any] = {"ClientMetadataURLs": [domain.listed(r.document) for r in page[:limit]]}
    if len(page) > limit:
        out["NextToken"] = paging.encode("cimd-urls", page[limit - 1].document["URL"])
    return out


async def update_client_metadata_url_state(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_UpdateClientMetadataURLState: INVALIDATE drops the cached document, REFRESH makes the next
    authorization request fetch it again (see ``domain.cimd``); either needs a cached document."""
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        _check_tier(pool)
        policy = await _get_or_raise(tx, pool.id, req["CIMDPolicyId"])
        key = cimd_url_key(pool.id, policy.document["CIMDPolicyId"], req["URL"])
        record = await tx.resources.get(CIMD_URL, key, for_update=True)
        if record is None or "Metadata" not in record.document:
            # [U] wording
            raise CachedCIMDURLDoesNotExistException(
                f"No cached client metadata document exists for {req['URL']} in CIMD policy {policy.document['CIMDPolicyId']}."
            )
        if req["Action"] == "INVALIDATE":
            document = domain.invalidated(record.document)
        else:
            document = domain.refreshed(record.document, now)
        await tx.resources.update(dataclasses.replace(record, document=document, updated_at=now))
    return {}

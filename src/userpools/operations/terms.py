"""Terms documents: CreateTerms, DescribeTerms, DescribeTermsByClient, UpdateTerms, DeleteTerms, ListTerms.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
Stored formats: ``domain.terms`` and ``domain.resources``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from userpools import ids
from userpools.domain import terms as domain
from userpools.domain.resources import TERMS, TERMS_NAME, PoolResource, terms_key, terms_name_key
from userpools.errors import ResourceNotFoundException, TermsExistsException
from userpools.operations import paging
from userpools.operations.client_lookup import get_client_or_raise
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.storage.ports import Conflict, Transaction

#: ListTerms' page when MaxResults is not given [U: the model allows 1–60; the largest is taken]
DEFAULT_PAGE = 60


def _not_found(terms_id: str, pool_id: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Terms {terms_id} do not exist in user pool {pool_id}.")  # [U] wording


def _exists(name: str, client_id: str) -> TermsExistsException:
    return TermsExistsException(f"Terms {name} already exist for app client {client_id}.")  # [U] wording


def _described(found: PoolResource) -> dict[str, Any]:
    return {**found.document, "CreationDate": found.created_at, "LastModifiedDate": found.updated_at}


async def _get_or_raise(
    tx: Transaction, pool_id: str, terms_id: str, *, for_update: bool = False
) -> PoolResource:
    # TermsId is matched as stored (lower case, as ids.new_uuid writes it) [U: the model's pattern admits
    # upper-case hex too; Cognito's ids are seen in lower case]
    found = await tx.resources.get(TERMS, terms_key(pool_id, terms_id.lower()), for_update=for_update)
    if found is None:
        raise _not_found(terms_id, pool_id)
    return found


async def _claim_name(
    tx: Transaction, pool_id: str, client_id: str, name: str, terms_id: str, now: Any
) -> None:
    index = PoolResource(
        TERMS_NAME, terms_name_key(pool_id, client_id, name), pool_id, now, now, {"TermsId": terms_id}
    )
    try:
        await tx.resources.insert(index)
    except Conflict:
        raise _exists(name, client_id) from None


async def forget_client(tx: Transaction, pool_id: str, client_id: str) -> None:
    """Deletes the app client's terms documents (DeleteUserPoolClient) [U: Cognito is silent; a document of a
    client that no longer exists could never be shown]."""
    for name in (domain.TERMS_OF_USE, domain.PRIVACY_POLICY):
        index = await tx.resources.get(TERMS_NAME, terms_name_key(pool_id, client_id, name), for_update=True)
        if index is not None:
            await tx.resources.delete(TERMS_NAME, index.key)
            await tx.resources.delete(TERMS, terms_key(pool_id, index.document["TermsId"]))


async def terms_by_client(tx: Transaction, pool_id: str, client_id: str) -> dict[str, dict[str, Any]]:
    """The client's documents by TermsName (for the sign-up page; see ``domain.terms.links_for``)."""
    out: dict[str, dict[str, Any]] = {}
    for name in (domain.TERMS_OF_USE, domain.PRIVACY_POLICY):
        index = await tx.resources.get(TERMS_NAME, terms_name_key(pool_id, client_id, name))
        if index is not None:
            found = await tx.resources.get(TERMS, terms_key(pool_id, index.document["TermsId"]))
            if found is not None:
                out[name] = found.document
    return out


async def create_terms(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_CreateTerms: one document of each TermsName per app client (TermsExistsException)."""
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        # Locked: DeleteUserPoolClient cannot slip between this check and the insert.
        client = await get_client_or_raise(tx, pool.id, req["ClientId"], for_update=True)
        terms_id = ids.new_uuid()
        document = domain.new_document(req, terms_id, pool.id)
        await _claim_name(tx, pool.id, client.id, document["TermsName"], terms_id, now)
        created = PoolResource(TERMS, terms_key(pool.id, terms_id), pool.id, now, now, document)
        await tx.resources.insert(created)
    return {"Terms": _described(created)}


async def describe_terms(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DescribeTerms: by TermsId."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        found = await _get_or_raise(tx, pool.id, req["TermsId"])
    return {"Terms": _described(found)}


async def describe_terms_by_client(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DescribeTermsByClient: by app client and TermsName."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        client = await get_client_or_raise(tx, pool.id, req["ClientId"])
        index = await tx.resources.get(TERMS_NAME, terms_name_key(pool.id, client.id, req["TermsName"]))
        found = (
            None
            if index is None
            else await tx.resources.get(TERMS, terms_key(pool.id, index.document["TermsId"]))
        )
        if found is None:
            # [U] wording
            raise ResourceNotFoundException(
                f"Terms {req['TermsName']} do not exist for app client {client.id}."
            )
    return {"Terms": _described(found)}


async def update_terms(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_UpdateTerms: the members given replace the stored ones; a new TermsName must be free on the client
    (TermsExistsException)."""
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        found = await _get_or_raise(tx, pool.id, req["TermsId"], for_update=True)
        document = domain.updated_document(found.document, req)
        old_name, new_name = found.document["TermsName"], document["TermsName"]
        if new_name != old_name:
            client_id = found.document["ClientId"]
            await _claim_name(tx, pool.id, client_id, new_name, found.document["TermsId"], now)
            await tx.resources.delete(TERMS_NAME, terms_name_key(pool.id, client_id, old_name))
        updated = dataclasses.replace(found, document=document, updated_at=now)
        await tx.resources.update(updated)
    return {"Terms": _described(updated)}


async def delete_terms(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DeleteTerms."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        found = await _get_or_raise(tx, pool.id, req["TermsId"], for_update=True)
        await tx.resources.delete(TERMS, found.key)
        name_key = terms_name_key(pool.id, found.document["ClientId"], found.document["TermsName"])
        await tx.resources.delete(TERMS_NAME, name_key)
    return {}


async def list_terms(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListTerms: every app client's documents of the pool, MaxResults (1–60) per page in TermsId order
    [U: the order is not documented], NextToken to go on."""
    limit = req.get("MaxResults", DEFAULT_PAGE)
    after = paging.decode("terms", req.get("NextToken"))
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        after_key = None if after is None else terms_key(pool.id, after)
        page = list(await tx.resources.list(pool.id, TERMS, limit=limit + 1, after_key=after_key))
    out: dict[str, Any] = {
        "Terms": [
            {**domain.summary(r.document), "CreationDate": r.created_at, "LastModifiedDate": r.updated_at}
            for r in page[:limit]
        ]
    }
    if len(page) > limit:
        out["NextToken"] = paging.encode("terms", page[limit - 1].document["TermsId"])
    return out

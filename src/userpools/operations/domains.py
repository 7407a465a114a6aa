"""User pool domains: CreateUserPoolDomain, DescribeUserPoolDomain, UpdateUserPoolDomain, DeleteUserPoolDomain.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html

A domain is a ``domain`` resource keyed by the Domain string (unique across pools by the store's key); the
pool's settings show it as ``Domain`` (prefix) or ``CustomDomain`` (DescribeUserPool).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from userpools.domain import domains as domain
from userpools.domain.records import PoolRecord
from userpools.domain.resources import DOMAIN, PoolResource, domain_key
from userpools.errors import InvalidParameterException
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.storage.ports import Conflict, Transaction


def _no_such_domain() -> InvalidParameterException:
    # [U] wording and code, for a domain that is unknown or belongs to another pool
    return InvalidParameterException("No such domain or user pool exists.")


async def _set_pool_member(
    ctx: Context, tx: Transaction, pool: PoolRecord, member: str, value: str | None
) -> None:
    settings = dict(pool.settings)
    if value is None:
        settings.pop(member, None)
    else:
        settings[member] = value
    await tx.pools.update(dataclasses.replace(pool, settings=settings, updated_at=ctx.clock.now()))


async def create_user_pool_domain(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_CreateUserPoolDomain: a prefix domain, or a custom domain with CustomDomainConfig; one of each per
    pool at most."""
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        domain.check_managed_login_version(req.get("ManagedLoginVersion"), pool.settings)
        document = domain.new_domain_document(
            req, region=pool.id.split("_", 1)[0], account_id=ctx.settings.account_id, now=now
        )
        member = domain.pool_settings_member(document)
        if pool.settings.get(member):
            # [C] one prefix and one custom domain per pool ("a user pool can have one of each"); [U] wording
            kind = "custom domain" if domain.is_custom(document) else "domain"
            raise InvalidParameterException(f"The user pool already has a {kind} configured.")
        try:
            await tx.resources.insert(
                PoolResource(DOMAIN, domain_key(req["Domain"]), pool.id, now, now, document)
            )
        except Conflict:
            # [O: many CloudFormation/Terraform reports quote it]
            raise InvalidParameterException("Domain already associated with another user pool.") from None
        await _set_pool_member(ctx, tx, pool, member, req["Domain"])
    return domain.create_response(document)


async def describe_user_pool_domain(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DescribeUserPoolDomain: an unknown domain answers an empty DomainDescription, not an error [O]."""
    async with ctx.store.transaction(readonly=True) as tx:
        found = await tx.resources.get(DOMAIN, domain_key(req["Domain"]))
    return {"DomainDescription": {} if found is None else found.document}


async def update_user_pool_domain(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_UpdateUserPoolDomain: the certificate of a custom domain, ManagedLoginVersion, Routing."""
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        found = await tx.resources.get(DOMAIN, domain_key(req["Domain"]), for_update=True)
        if found is None or found.pool_id != pool.id:
            raise _no_such_domain()
        domain.check_managed_login_version(req.get("ManagedLoginVersion"), pool.settings)
        document = domain.updated_domain_document(found.document, req, now=now)
        await tx.resources.update(dataclasses.replace(found, document=document, updated_at=now))
    return domain.create_response(document)


async def delete_user_pool_domain(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DeleteUserPoolDomain: the domain of the given pool; its endpoints stop answering."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        found = await tx.resources.get(DOMAIN, domain_key(req["Domain"]), for_update=True)
        if found is None or found.pool_id != pool.id:
            raise _no_such_domain()
        await tx.resources.delete(DOMAIN, found.key)
        member = domain.pool_settings_member(found.document)
        if pool.settings.get(member) == found.key:
            await _set_pool_member(ctx, tx, pool, member, None)
    return {}

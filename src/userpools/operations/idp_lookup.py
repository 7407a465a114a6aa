"""The pool's identity providers as other operations need them (the clients' SupportedIdentityProviders): kept
apart from ``operations.identity_providers`` so ``operations.clients`` imports no user lookups (no cycle)."""

from __future__ import annotations

from userpools.domain.identity_providers import MAX_PROVIDERS
from userpools.domain.resources import IDENTITY_PROVIDER, PoolResource
from userpools.storage.ports import Transaction


async def all_providers(tx: Transaction, pool_id: str) -> list[PoolResource]:
    return list(await tx.resources.list(pool_id, IDENTITY_PROVIDER, limit=MAX_PROVIDERS + 1))


async def provider_names(tx: Transaction, pool_id: str) -> set[str]:
    """The pool's provider names (SupportedIdentityProviders of its clients may name them)."""
    return {p.document["ProviderName"] for p in await all_providers(tx, pool_id)}

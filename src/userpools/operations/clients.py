"""App client management: CreateUserPoolClient, DescribeUserPoolClient, UpdateUserPoolClient,
DeleteUserPoolClient, ListUserPoolClients.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
"""

from __future__ import annotations

import dataclasses
from typing import Any

from userpools import ids
from userpools.domain import clients as domain
from userpools.domain.records import ClientRecord
from userpools.domain.resource_servers import DCR_SCOPE, STANDARD_SCOPES, custom_scopes
from userpools.domain.resources import RISK_CONFIGURATION, risk_configuration_key
from userpools.errors import InvalidParameterException
from userpools.operations import branding, paging, terms
from userpools.operations.client_lookup import get_client_or_raise
from userpools.operations.context import Context
from userpools.operations.idp_lookup import provider_names
from userpools.operations.pools import get_pool_or_raise
from userpools.operations.resource_servers import all_resource_servers
from userpools.storage.ports import Conflict, Transaction

# Members the operation handles itself; everything else is the client's settings document.
_OWN_MEMBERS = frozenset(
    {"UserPoolId", "ClientId", "ClientName", "GenerateSecret", "ClientSecret", "PublishSecretsInAWSSecretsManager"}
)


def secret_context(client_id: str) -> bytes:
    return f"client-secret:{client_id}".encode()


def _secret(ctx: Context, client: ClientRecord) -> str | None:
    if client.secret_ciphertext is None:
        return None
    return ctx.cipher.decrypt(client.secret_ciphertext, context=secret_context(client.id)).decode()


def _describe(ctx: Context, client: ClientRecord) -> dict[str, Any]:
    return {"UserPoolClient": domain.describe_client(client, secret=_secret(ctx, client))}


def _settings_members(req: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in req.items() if k not in _OWN_MEMBERS}


async def _known_scopes(tx: Transaction, pool_id: str, req: dict[str, Any]) -> frozenset[str]:
    """The scopes a client of the pool may allow: the standard ones and its resource servers' (read only when
    the request names a scope that is not standard)."""
    requested = set(req.get("AllowedOAuthScopes") or ())
    if requested <= STANDARD_SCOPES | {DCR_SCOPE}:
        return STANDARD_SCOPES | {DCR_SCOPE}
    servers = await all_resource_servers(tx, pool_id)
    return STANDARD_SCOPES | {DCR_SCOPE} | custom_scopes(server.document for server in servers)


async def insert_client(ctx: Context, tx: Transaction, pool_id: str, name: str, settings: dict[str, Any],
                        secret: str | None, *, fixed_id: str | None = None) -> ClientRecord:
    """A new client with a fresh 26-character id, or ``fixed_id`` (its secret encrypted under the data key)."""
    now = ctx.clock.now()
    for _attempt in range(5):
        client_id = fixed_id or ids.new_client_id()
        client = ClientRecord(
            id=client_id, pool_id=pool_id, name=name, created_at=now, updated_at=now,
            secret_ciphertext=(
                None if secret is None else ctx.cipher.encrypt(secret.encode(), context=secret_context(client_id))
            ),
            settings=settings,
        )
        try:
            await tx.clients.insert(client)
        except Conflict:  # a client id drawn twice (36^26 ids): draw again
            if fixed_id is not None:
                raise
            continue
        return client
    raise RuntimeError("could not draw an unused client id")


async def create_user_pool_client(
    ctx: Context, req: dict[str, Any], *, client_id: str | None = None
) -> dict[str, Any]:
    """API_CreateUserPoolClient: a 26-character client id, and a secret when GenerateSecret is true or a
    ClientSecret is given. ``client_id`` (pools as code, never the wire) is a fixed id; taken, it raises
    Conflict."""
    generate = bool(req.get("GenerateSecret"))
    custom_secret = req.get("ClientSecret")
    if generate and custom_secret is not None:
        # Documented rule ("You cannot specify both"); the wording is unconfirmed.
        raise InvalidParameterException("Cannot specify both GenerateSecret as true and a ClientSecret value.")
    if req.get("PublishSecretsInAWSSecretsManager"):
        raise InvalidParameterException(
            "PublishSecretsInAWSSecretsManager is not supported: userpools has no AWS Secrets Manager and "
            "returns the ClientSecret itself."
        )
    secret = custom_secret if custom_secret is not None else (ids.new_client_secret() if generate else None)
    async with ctx.store.transaction() as tx:
        # Lock the pool so a concurrent DeleteUserPool cannot remove it under the new client.
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        settings = domain.new_client_settings(
            _settings_members(req), pool.settings, has_secret=secret is not None, pool_id=pool.id,
            identity_providers=await provider_names(tx, pool.id),
            known_scopes=await _known_scopes(tx, pool.id, req),
        )
        client = await insert_client(ctx, tx, pool.id, req["ClientName"], settings, secret, fixed_id=client_id)
    return {"UserPoolClient": domain.describe_client(client, secret=secret)}


async def describe_user_pool_client(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DescribeUserPoolClient."""
    async with ctx.store.transaction(readonly=True) as tx:
        await get_pool_or_raise(tx, req["UserPoolId"])
        client = await get_client_or_raise(tx, req["UserPoolId"], req["ClientId"])
    return _describe(ctx, client)


async def update_user_pool_client(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_UpdateUserPoolClient: members not given return to their defaults, as Cognito documents."""
    if req.get("PublishSecretsInAWSSecretsManager"):
        raise InvalidParameterException(
            "PublishSecretsInAWSSecretsManager is not supported: userpools has no AWS Secrets Manager."
        )
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        client = await get_client_or_raise(tx, pool.id, req["ClientId"], for_update=True)
        settings = domain.updated_client_settings(
            client.settings, _settings_members(req), pool.settings,
            has_secret=client.secret_ciphertext is not None, pool_id=pool.id,
            identity_providers=await provider_names(tx, pool.id),
            known_scopes=await _known_scopes(tx, pool.id, req),
        )
        client = dataclasses.replace(
            client, name=req.get("ClientName", client.name), settings=settings, updated_at=ctx.clock.now()
        )
        await tx.clients.update(client)
    return _describe(ctx, client)


async def delete_user_pool_client(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DeleteUserPoolClient."""
    async with ctx.store.transaction() as tx:
        await get_pool_or_raise(tx, req["UserPoolId"])
        client = await get_client_or_raise(tx, req["UserPoolId"], req["ClientId"], for_update=True)
        # The client's terms documents and managed login style go with it (CIMD policies stay: see
        # domain.cimd).
        await terms.forget_client(tx, client.pool_id, client.id)
        await branding.forget_client(tx, client.pool_id, client.id)
        # The client's own risk configuration goes with it (threat protection; no operation module needed).
        await tx.resources.delete(RISK_CONFIGURATION, risk_configuration_key(client.pool_id, client.id))
        await tx.clients.delete(client.id)
    return {}


async def list_user_pool_clients(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListUserPoolClients: MaxResults (1–60, default 60 — unconfirmed) per page, NextToken to go on.
    ClientType keeps the page's clients of that type (REGULAR: not registered through dynamic client
    registration), so a page may hold fewer than MaxResults [C: "a page of results can contain fewer app
    clients than MaxResults, or none, while the response still includes a NextToken"]."""
    limit = req.get("MaxResults", 60)
    after = paging.decode("clients", req.get("NextToken"))
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        page = list(await tx.clients.list(pool.id, limit=limit + 1, after_id=after))
    wanted = req.get("ClientType")
    shown = [c for c in page[:limit] if wanted is None or domain.client_type(c.settings) == wanted]
    out: dict[str, Any] = {"UserPoolClients": [domain.client_summary(c) for c in shown]}
    if len(page) > limit:
        out["NextToken"] = paging.encode("clients", page[limit - 1].id)
    return out

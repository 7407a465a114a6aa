"""Threat protection's configuration and feedback: SetRiskConfiguration, DescribeRiskConfiguration,
AdminUpdateAuthEventFeedback, UpdateAuthEventFeedback.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
What a configuration does at sign-in: ``operations.threats``; its rules: ``domain.risk``.

- A configuration is the pool's (no ClientId, kept as ``<pool>/ALL``) or one app client's, which replaces the
  pool's for that client [C: "client-level settings override the pool-level ones"; U: as a whole].
- SetRiskConfiguration with no configuration member resets: the pool's to none (defaults), or a client's
  override removed so the client inherits the pool's again [C: BC].
- Both answer UserPoolAddOnNotEnabledException while AdvancedSecurityMode is OFF [C: BC].
"""

from __future__ import annotations

from typing import Any

from userpools.domain import risk as domain
from userpools.domain.resources import RISK_CONFIGURATION, PoolResource, risk_configuration_key
from userpools.errors import ResourceNotFoundException
from userpools.operations import threats
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.storage.ports import Transaction

MEMBERS = ("CompromisedCredentialsRiskConfiguration", "AccountTakeoverRiskConfiguration",
           "RiskExceptionConfiguration")


async def _check_client(tx: Transaction, pool_id: str, client_id: str | None) -> None:
    if client_id is None:
        return
    client = await tx.clients.get(client_id)
    if client is None or client.pool_id != pool_id:
        raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")


def _described(pool_id: str, client_id: str | None, found: PoolResource | None) -> dict[str, Any]:
    out: dict[str, Any] = {"UserPoolId": pool_id}
    if client_id:
        out["ClientId"] = client_id
    if found is not None:
        out |= {k: v for k, v in found.document.items() if k in MEMBERS}
        out["LastModifiedDate"] = found.updated_at
    return out


async def set_risk_configuration(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_SetRiskConfiguration."""
    pool_id, client_id = req["UserPoolId"], req.get("ClientId")
    document = {k: req[k] for k in MEMBERS if req.get(k) is not None}
    domain.check_configuration(document)
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, pool_id)
        threats.require_enabled(pool)
        await _check_client(tx, pool.id, client_id)
        key = risk_configuration_key(pool.id, client_id)
        found = await tx.resources.get(RISK_CONFIGURATION, key, for_update=True)
        now = ctx.clock.now()
        if not document:  # the reset
            if found is not None:
                await tx.resources.delete(RISK_CONFIGURATION, key)
            return {"RiskConfiguration": _described(pool.id, client_id, None)}
        if found is None:
            stored = PoolResource(RISK_CONFIGURATION, key, pool.id, now, now, document)
            await tx.resources.insert(stored)
        else:
            stored = PoolResource(RISK_CONFIGURATION, key, pool.id, found.created_at, now, document)
            await tx.resources.update(stored)
    return {"RiskConfiguration": _described(pool.id, client_id, stored)}


async def describe_risk_configuration(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DescribeRiskConfiguration: a client's own configuration, or the pool's it inherits (shown without
    the ClientId [U])."""
    pool_id, client_id = req["UserPoolId"], req.get("ClientId")
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, pool_id)
        threats.require_enabled(pool)
        await _check_client(tx, pool.id, client_id)
        found = None
        if client_id:
            found = await tx.resources.get(RISK_CONFIGURATION, risk_configuration_key(pool.id, client_id))
        if found is not None:
            return {"RiskConfiguration": _described(pool.id, client_id, found)}
        found = await tx.resources.get(RISK_CONFIGURATION, risk_configuration_key(pool.id, None))
    return {"RiskConfiguration": _described(pool.id, None, found)}


async def admin_update_auth_event_feedback(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminUpdateAuthEventFeedback: EventFeedback with Provider "Admin"."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        await threats.give_feedback(ctx, tx, pool, req["Username"], req["EventId"], req["FeedbackValue"],
                                    token=None)
    return {}


async def update_auth_event_feedback(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_UpdateAuthEventFeedback: the user's feedback, with the FeedbackToken of the notification email's
    links (the same the one-click links carry)."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        await threats.give_feedback(ctx, tx, pool, req["Username"], req["EventId"], req["FeedbackValue"],
                                    token=req["FeedbackToken"])
    return {}

"""Calling a pool's Lambda triggers from the operations: which ARN (LambdaConfig), the event's caller part,
the user's attributes as triggers see them, and the invocation itself.

Every trigger call goes through :func:`run`; a pool without the trigger answers None and the operation goes
on as Cognito does without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from userpools.domain.records import PoolRecord, UserRecord
from userpools.operations.context import Context
from userpools.triggers import events

# Cognito's trigger names (the LambdaConfig members) by what the operations call them.
SENDERS = ("CustomEmailSender", "CustomSMSSender")


def lambda_arn(pool: PoolRecord, trigger: str) -> str | None:
    """The ARN configured for ``trigger`` (a LambdaConfig member name), or None."""
    config = pool.settings.get("LambdaConfig") or {}
    if trigger == "PreTokenGeneration":
        versioned = config.get("PreTokenGenerationConfig") or {}
        return versioned.get("LambdaArn") or config.get("PreTokenGeneration")
    if trigger in SENDERS:
        return (config.get(trigger) or {}).get("LambdaArn")
    value = config.get(trigger)
    return value if isinstance(value, str) and value else None


def pre_token_generation_version(pool: PoolRecord) -> str:
    versioned = ((pool.settings.get("LambdaConfig") or {}).get("PreTokenGenerationConfig") or {})
    return str(versioned.get("LambdaVersion") or "V1_0")


def caller(pool: PoolRecord, username: str, client_id: str | None) -> events.Caller:
    return events.Caller(
        pool_id=pool.id, region=pool.id.split("_", 1)[0], username=username,
        client_id=client_id or events.CLIENT_ID_NOT_APPLICABLE,
    )


def attributes(pool: PoolRecord, user: UserRecord) -> dict[str, str]:
    """``request.userAttributes`` as Cognito sends them for this pool's user."""
    aliases = set(pool.settings.get("AliasAttributes") or []) | set(pool.settings.get("UsernameAttributes") or [])
    return events.user_attributes(user, email_alias="email" in aliases, phone_alias="phone_number" in aliases)


async def run(ctx: Context, pool: PoolRecord, trigger: str, event: Mapping[str, Any]) -> dict[str, Any] | None:
    """Invokes the pool's ``trigger`` with ``event``; its ``response`` object, or None without the trigger.
    Trigger failures raise the Cognito errors the invoker maps them to."""
    arn = lambda_arn(pool, trigger)
    if arn is None:
        return None
    answer = await ctx.triggers.invoke(arn, event, trigger=trigger)
    response = answer.get("response")
    return response if isinstance(response, dict) else {}


def has(pool: PoolRecord, trigger: str) -> bool:
    return lambda_arn(pool, trigger) is not None

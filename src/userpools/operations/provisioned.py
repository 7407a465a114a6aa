"""Provisioned limits: GetProvisionedLimit and UpdateProvisionedLimit (the request-rate categories of
``domain.limits``, enforced by ``operations.limits`` when the server runs with --rate-limits on).

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
Facts: shared/cognito/newest-operations.md §6. A limit is per account and Region, across all pools; the
value is between the category's default (FreeLimitValue) and the account's maximum, and takes effect at
once. Unconfirmed, and chosen as most plausible: an unknown or missing ``Category`` and a value below the
default or for a category AWS does not let one adjust answer InvalidParameterException; a value above the
maximum (``domain.limits.MAXIMUM``; AWS's is the account's Service Quotas maximum) answers
ServiceQuotaExceededException.
"""

from __future__ import annotations

from typing import Any

from userpools.domain.limits import CATEGORIES, MAXIMUM
from userpools.errors import InvalidParameterException, ServiceQuotaExceededException
from userpools.operations.context import Context


def _category(definition: dict[str, Any]) -> str:
    category = (definition.get("Attributes") or {}).get("Category")
    if category not in CATEGORIES:
        raise InvalidParameterException(
            f"Invalid Category {category!r}: LimitDefinition.Attributes.Category must be one of "
            + ", ".join(CATEGORIES) + "."
        )
    return str(category)


def _limit(ctx: Context, category: str, value: int) -> dict[str, Any]:
    return {"Limit": {
        "LimitDefinition": {"LimitClass": "API_CATEGORY", "Attributes": {"Category": category}},
        "ProvisionedLimitValue": value,
        "FreeLimitValue": ctx.limits.defaults[category],
    }}


async def get_provisioned_limit(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    category = _category(req["LimitDefinition"])
    return _limit(ctx, category, await ctx.limits.provisioned(category))


async def update_provisioned_limit(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    category = _category(req["LimitDefinition"])
    value = req["RequestedLimitValue"]
    free = ctx.limits.defaults[category]
    if not CATEGORIES[category][1] and value != free:
        raise InvalidParameterException(f"The request rate of category {category} cannot be adjusted.")
    if value < free:
        raise InvalidParameterException(
            f"RequestedLimitValue {value} is below the default request rate of category {category} ({free})."
        )
    if value > MAXIMUM:
        raise ServiceQuotaExceededException(
            f"RequestedLimitValue {value} exceeds the maximum request rate of category {category} ({MAXIMUM})."
        )
    await ctx.limits.provision(category, value)
    return _limit(ctx, category, value)

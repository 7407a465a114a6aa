"""AdminListUserAuthEvents: the auth events userpools records (recovery requests and confirmations today).

Cognito serves these only with threat protection on (UserPoolAddOns.AdvancedSecurityMode AUDIT or ENFORCED);
userpools records every event and serves them on the same condition. EventRisk is shown only for the
events threat protection assessed (``operations.threats``): it is never made up for the others.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from userpools.domain.records import AuthEventRecord
from userpools.errors import InvalidParameterException, UserPoolAddOnNotEnabledException
from userpools.operations.common import find_user, user_not_found
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise


def _token(event: AuthEventRecord) -> str:
    stamp = event.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{event.created_at.microsecond:06d}Z"
    return f"{event.id}#{stamp}"


def _parse_token(token: str) -> tuple[datetime, str]:
    event_id, sep, stamp = token.partition("#")
    try:
        if not sep or not event_id:
            raise ValueError
        moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidParameterException("Invalid pagination token.") from None  # unconfirmed wording
    return moment, event_id


def _event_type(event: AuthEventRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "EventId": event.id,
        "EventType": event.event_type,
        "CreationDate": event.created_at,
        "EventResponse": event.response,
        "ChallengeResponses": event.challenge_responses,
    }
    if event.context.get("EventRisk"):
        out["EventRisk"] = event.context["EventRisk"]
    context = {k: v for k, v in event.context.items() if k in ("IpAddress", "DeviceName", "Timezone", "City",
                                                                 "Country")}
    if context:
        out["EventContextData"] = context
    if event.feedback:
        out["EventFeedback"] = event.feedback
    return out


async def list_events(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    limit = req.get("MaxResults") or 60
    before = _parse_token(req["NextToken"]) if req.get("NextToken") else None
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        mode = (pool.settings.get("UserPoolAddOns") or {}).get("AdvancedSecurityMode", "OFF")
        if mode not in ("AUDIT", "ENFORCED"):
            # Unconfirmed wording (the exception is modelled for this operation).
            raise UserPoolAddOnNotEnabledException(
                "Threat protection (UserPoolAddOns.AdvancedSecurityMode AUDIT or ENFORCED) is not enabled "
                "for this user pool."
            )
        user = await find_user(tx, pool, req["Username"])
        if user is None:
            raise user_not_found()
        page = list(await tx.auth_events.list(pool.id, user.username_key, limit=limit + 1, before=before))
    out: dict[str, Any] = {"AuthEvents": [_event_type(e) for e in page[:limit]]}
    if len(page) > limit:
        out["NextToken"] = _token(page[limit - 1])
    return out

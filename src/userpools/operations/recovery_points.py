"""Point-in-time recovery: InitiatePointInTimeRecovery, StartPointInTimeRecovery, CancelPointInTimeRecovery,
DescribePointInTimeRecovery and ListPointInTimeRecoveries.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
Facts: shared/cognito/newest-operations.md §4. The users' change journal (storage.sql_journal) is written by
every user and membership write in its own transaction, for every pool (one INSERT per write; a pool on the
Lite tier, where recovery is not offered, is journaled too: its users could move to Essentials or Plus, and
Cognito requires the pool to have been on the plan at the recovery point, which we do not track).

Initiate computes the preview at once (the journal's rows after the point, one user at a time) and answers
PREVIEW_GENERATED; Start restores in its own transaction and answers RESTORE_COMPLETED, so PREVIEW_GENERATING
and RESTORING are never seen. From Initiate until Start, Cancel or the 24-hour expiry the recovery holds the
pool's user writes (ConcurrentModificationException; UNCONFIRMED: Cognito's error is not documented). A
sign-in goes on; its count of failed attempts waits (operations.signin).

What is restored: each user changed after the point goes back to its journaled row at the point (attributes,
status, enabled, the stored password verifier, history), or is deleted (created after it) or re-created
(deleted after it, with its sub), and its group memberships in groups that still exist; its aliases follow
its attributes. A user who changed the password after the point keeps the current password (Cognito's rule).
Not restored: groups themselves, app clients, the schema, MFA settings and passkeys (the preview counts Users
only). UNCONFIRMED, chosen as most plausible: Start or Cancel in the wrong state answers
InvalidParameterException; the limits' errors are LimitExceededException.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from userpools.domain import users as user_domain
from userpools.domain.records import PoolRecord, UserRecord
from userpools.errors import (
    FeatureUnavailableInTierException,
    InvalidParameterException,
    LimitExceededException,
    ResourceNotFoundException,
)
from userpools.ids import new_uuid
from userpools.operations import paging
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.storage.ports import Transaction

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
#: How far back a pool's tier may recover (Essentials one day, Plus 14).
WINDOWS = {"ESSENTIALS": timedelta(days=1), "PLUS": timedelta(days=14)}
LONGEST_WINDOW = max(WINDOWS.values())
MINIMUM_AGE = timedelta(minutes=15)
PREVIEW_LIFETIME = timedelta(hours=24)
HOLDING = ("PREVIEW_GENERATING", "PREVIEW_GENERATED", "RESTORING")
PREVIEWS_PER_DAY = 3


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _moment(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _state_dict(user: UserRecord) -> dict[str, Any]:
    return {
        "username": user.username, "sub": user.sub, "status": user.status, "enabled": user.enabled,
        "created_at": _micros(user.created_at), "attributes": user.attributes,
        "password_ciphertext": user.password_ciphertext, "extra": user.extra,
    }


class _Then:
    """A user at the recovery point, from its journal rows: its row's state (None: no user) and groups."""

    def __init__(self, rows: list[tuple[str, int, UserRecord | bool | None]], at: int) -> None:
        self.state: UserRecord | None = None
        created = -1
        members: dict[str, tuple[int, bool]] = {}
        self.groups_ever: set[str] = set()
        for group_key, moment, state in rows:
            if group_key:
                self.groups_ever.add(group_key)
            if moment > at:
                continue
            if not group_key:
                if state is not None and self.state is None:
                    created = moment
                self.state = state if isinstance(state, UserRecord) else None
            else:
                members[group_key] = (moment, state is not None)
        self.groups = (
            set() if self.state is None
            else {key for key, (moment, present) in members.items() if present and moment >= created}
        )


def _tier_window(pool: PoolRecord) -> timedelta:
    tier = pool.settings.get("UserPoolTier", "ESSENTIALS")
    window = WINDOWS.get(tier)
    if window is None:
        raise FeatureUnavailableInTierException(
            "Point-in-time recovery is not available in the user pool's feature plan (LITE)."
        )
    return window


def _effective(row: dict[str, Any], now: datetime) -> str:
    status = str(row["status"])
    if status in ("PREVIEW_GENERATING", "PREVIEW_GENERATED") and row["held_until"] <= _micros(now):
        return "PREVIEW_EXPIRED"
    return status


def _restoration(row: dict[str, Any], now: datetime, *, preview: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "RestoreId": row["restore_id"],
        "RestoreStatus": _effective(row, now),
        "RestoreTimestamp": _moment(row["restore_at"]),
    }
    if preview:
        out["TriggerTimestamp"] = _moment(row["trigger_at"])
        if row["preview"] is not None:
            out["RestorePreview"] = orjson.loads(row["preview"])
    return out


async def _plan(tx: Transaction, pool_id: str, at: int) -> list[tuple[str, _Then, UserRecord | None]]:
    plan = []
    for key in await tx.recoveries.changed_since(pool_id, at):
        then = _Then(await tx.recoveries.history(pool_id, key), at)
        plan.append((key, then, await tx.users.get(pool_id, key)))
    return plan


async def _preview(tx: Transaction, pool_id: str, at: int) -> list[dict[str, Any]]:
    create = update = delete = 0
    for key, then, now in await _plan(tx, pool_id, at):
        if then.state is None:
            delete += now is not None
        elif now is None:
            create += 1
        else:
            was = then.state
            groups_now = {g.name_key for g in await tx.groups.list_for_user(pool_id, key, limit=1000)}
            update += _state_dict(was) != _state_dict(now) or groups_now != then.groups
    return [{"Entity": "Users", "CreateCount": create, "UpdateCount": update, "DeleteCount": delete}]


async def _get(tx: Transaction, pool_id: str, restore_id: str) -> dict[str, Any]:
    row = await tx.recoveries.get(pool_id, restore_id)
    if row is None:
        raise ResourceNotFoundException(f"Point-in-time recovery {restore_id} does not exist.")
    return row


async def initiate_point_in_time_recovery(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now()
    try:
        restore_at = datetime.fromtimestamp(req["RestoreTimestamp"], UTC)
    except (OverflowError, OSError, ValueError):
        # a timestamp no date can hold (years past 9999, or before year 1): no point of the pool's life [U] wording
        raise InvalidParameterException("RestoreTimestamp is beyond the user pool's recovery window.") from None
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        window = _tier_window(pool)
        if restore_at > now - MINIMUM_AGE:
            raise InvalidParameterException("RestoreTimestamp must be at least 15 minutes in the past.")
        if restore_at < now - window:
            raise InvalidParameterException(
                f"RestoreTimestamp is beyond the user pool's recovery window ({window.days} days)."
            )
        if restore_at < pool.created_at:
            raise InvalidParameterException("RestoreTimestamp is before the user pool was created.")
        earlier = await tx.recoveries.list(pool.id)
        day_ago = _micros(now - timedelta(days=1))
        if any(_effective(row, now) in HOLDING for row in earlier):
            raise LimitExceededException("A point-in-time recovery is already in progress for this user pool.")
        if any(row["status"] == "RESTORE_COMPLETED" and row["created_at"] > day_ago for row in earlier):
            raise LimitExceededException("The user pool was already recovered in the last 24 hours.")
        if sum(row["created_at"] > day_ago for row in earlier) >= PREVIEWS_PER_DAY:
            raise LimitExceededException(
                f"The user pool has had {PREVIEWS_PER_DAY} point-in-time recovery previews in the last 24 hours."
            )
        await tx.recoveries.purge(pool.id, _micros(now - LONGEST_WINDOW - timedelta(days=1)))
        at = _micros(restore_at)
        row = {
            "pool_id": pool.id, "restore_id": new_uuid(), "status": "PREVIEW_GENERATED", "restore_at": at,
            "trigger_at": _micros(now), "created_at": _micros(now), "held_until": _micros(now + PREVIEW_LIFETIME),
            "preview": orjson.dumps(await _preview(tx, pool.id, at)).decode(),
        }
        await tx.recoveries.insert(row)
    return {"Restoration": _restoration(row, now)}


async def start_point_in_time_recovery(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        _tier_window(pool)
        row = await _get(tx, pool.id, req["RestoreId"])
        status = _effective(row, now)
        if status != "PREVIEW_GENERATED":
            raise InvalidParameterException(f"The point-in-time recovery is {status}: it cannot be started.")
        await tx.recoveries.update(pool.id, row["restore_id"], status="RESTORE_COMPLETED", held_until=0)
        tx.recoveries.release_hold()
        await _restore(tx, pool, row["restore_at"])
        row = {**row, "status": "RESTORE_COMPLETED", "held_until": 0}
    return {"Restoration": _restoration(row, now)}


async def _restore(tx: Transaction, pool: PoolRecord, at: int) -> None:
    plan = await _plan(tx, pool.id, at)
    for key, then, now in plan:  # deletions first: their aliases go free
        if now is not None and (then.state is None or then.state.sub != now.sub):
            await tx.users.delete(pool.id, key)
    for key, then, now in plan:
        if then.state is None:
            continue
        user = then.state
        if now is not None and now.sub == user.sub:
            if now.password_changed_at is not None and _micros(now.password_changed_at) > at:
                user = replace(
                    user, password_ciphertext=now.password_ciphertext, password_changed_at=now.password_changed_at,
                    password_history_ciphertext=now.password_history_ciphertext,
                )
            await tx.users.update(user)
        else:
            await tx.users.insert(user)
        aliases = user_domain.aliases_for(pool.settings, user.attributes)
        for kind, value_key in aliases.items():
            owner = await tx.users.find_alias(pool.id, kind, value_key)
            if owner is not None and owner != key:
                await tx.users.release_alias(pool.id, kind, value_key)
        await tx.users.set_aliases(pool.id, key, aliases)
        for group_key in sorted(then.groups_ever):
            want = group_key in then.groups
            have = await tx.groups.is_member(pool.id, group_key, key)
            if want and not have and await tx.groups.get(pool.id, group_key) is not None:
                await tx.groups.add_member(pool.id, group_key, key)
            elif have and not want:
                await tx.groups.remove_member(pool.id, group_key, key)


async def cancel_point_in_time_recovery(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        _tier_window(pool)
        row = await _get(tx, pool.id, req["RestoreId"])
        status = _effective(row, now)
        if status not in ("PREVIEW_GENERATING", "PREVIEW_GENERATED"):
            raise InvalidParameterException(f"The point-in-time recovery is {status}: it cannot be cancelled.")
        await tx.recoveries.update(pool.id, row["restore_id"], status="PREVIEW_CANCELLED", held_until=0)
        row = {**row, "status": "PREVIEW_CANCELLED", "held_until": 0}
    return {"Restoration": _restoration(row, now)}


async def describe_point_in_time_recovery(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now()
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        _tier_window(pool)
        row = await _get(tx, pool.id, req["RestoreId"])
    return {"Restoration": _restoration(row, now)}


async def list_point_in_time_recoveries(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now()
    limit = req.get("MaxResults") or 60
    after = paging.decode("pitr", req.get("NextToken"))
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        _tier_window(pool)
        rows = await tx.recoveries.list(pool.id)
    start = 0
    if after is not None:
        ids = [row["restore_id"] for row in rows]
        if after not in ids:
            raise InvalidParameterException("Invalid pagination token.")
        start = ids.index(after) + 1
    page = rows[start:start + limit]
    out: dict[str, Any] = {"Restorations": [_restoration(row, now, preview=False) for row in page]}
    if start + limit < len(rows):
        out["NextToken"] = paging.encode("pitr", page[-1]["restore_id"])
    return out

"""Point-in-time recovery: InitiatePointInTimeRecovery, StartPointInTimeRecovery, CancelPointInTimeRecovery,
DescribePointInTimeRecovery and ListPointInTimeRecoveries.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
Facts: shared/cognito/newest-operations.md §4. The users' change journal (storage.sql_journal) is written by
every write of a user (its attributes, status, password, MFA settings: the whole row), of a group membership
and of a passkey, in the write's own transaction, for every pool (one INSERT per write; a pool on the Lite
tier, where recovery is not offered, is journaled too: its users could move to Essentials or Plus, and
Cognito requires the pool to have been on the plan at the recovery point, which we do not track).

Initiate computes the preview at once (the journal's rows after the point, one user at a time) and answers
PREVIEW_GENERATED; Start restores in its own transaction and answers RESTORE_COMPLETED, so PREVIEW_GENERATING
and RESTORING are never seen. From Initiate until Start, Cancel or the 24-hour expiry the recovery holds the
pool's user writes (the store's WritesHeld, answered ConcurrentModificationException; UNCONFIRMED: Cognito's
error is not documented). A sign-in goes on; its count of failed attempts waits (operations.signin).

What is restored: each user changed after the point goes back to its journaled row at the point (attributes,
status, enabled, MFA settings: the factors enabled, the preferred one, the legacy MFAOptions, the TOTP secret),
or is deleted (created after it) or re-created (deleted after it, with its sub); its group memberships in
groups that still exist; its passkeys (a deleted one comes back with the signature counter it was registered
with, one registered after the point goes); its aliases follow its attributes. A user who changed the password
after the point keeps the current password (Cognito's rule: the verifier, its history, an imported hash), and
a TOTP secret that is still the same keeps its last used step. Not restored: groups themselves, app clients,
the schema, remembered devices, sessions and tokens. The preview counts four entities, always all four in
this order: Users, Groups (memberships), User MFAs (a user's MFA settings as a whole), Passkeys; Create is
what the recovery brings back, Delete what it removes, Update what it changes [C: the entities and the
meaning of the counts; U: that Groups counts memberships, the order]. UNCONFIRMED, chosen as most plausible:
Start or Cancel in the wrong state answers InvalidParameterException; the limits' errors are
LimitExceededException.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from userpools.domain import mfa as mfa_domain
from userpools.domain import users as user_domain
from userpools.domain.records import JournalEntry, PoolRecord, UserRecord, WebAuthnCredentialRecord
from userpools.domain.user_import import IMPORTED_HASH
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


def _profile(user: UserRecord | None) -> dict[str, Any] | None:
    """What the "Users" entity compares: the user's row but its MFA settings (and the moments and counters)."""
    if user is None:
        return None
    return {
        "username": user.username, "sub": user.sub, "status": user.status, "enabled": user.enabled,
        "created_at": _micros(user.created_at), "attributes": user.attributes,
        "password_ciphertext": user.password_ciphertext,
        "extra": {k: v for k, v in user.extra.items() if k not in mfa_domain.SETTINGS_KEYS},
    }


def _mfa(user: UserRecord | None) -> dict[str, Any]:
    """The user's MFA settings (the "User MFAs" entity): {} when it has none."""
    if user is None:
        return {}
    return {k: user.extra[k] for k in mfa_domain.SETTINGS_KEYS if k in user.extra}


class _Then:
    """A user at the recovery point, from its journal rows: its row (None: no user), the group keys it was a
    member of, and its passkeys; ``groups_ever`` and ``passkeys_ever``: every group and passkey journaled."""

    def __init__(self, rows: list[JournalEntry], at: int) -> None:
        self.state: UserRecord | None = None
        created = -1
        members: dict[str, tuple[int, bool]] = {}
        keys: dict[str, tuple[int, WebAuthnCredentialRecord | None]] = {}
        self.groups_ever: set[str] = set()
        self.passkeys_ever: set[str] = set()
        for row in rows:
            if row.kind == "group":
                self.groups_ever.add(row.key)
            elif row.kind == "passkey":
                self.passkeys_ever.add(row.key)
            if row.at > at:
                continue
            if row.kind == "user":
                if row.state is not None and self.state is None:
                    created = row.at
                self.state = row.state if isinstance(row.state, UserRecord) else None
            elif row.kind == "group":
                members[row.key] = (row.at, row.state is not None)
            else:
                keys[row.key] = (row.at, row.state if isinstance(row.state, WebAuthnCredentialRecord) else None)
        alive = self.state is not None
        self.groups = {key for key, (moment, present) in members.items() if alive and present and moment >= created}
        self.passkeys = {
            key: credential for key, (moment, credential) in keys.items()
            if alive and credential is not None and moment >= created
        }


def _restored(then: UserRecord, now: UserRecord | None, at: int) -> UserRecord:
    """The user as the recovery writes it back: its row at the point, but with Cognito's rule that a password
    changed after the point stays (the verifier, its history, an imported hash not yet replaced), and the
    TOTP secret's last used step kept when the secret is the same (a rewound step would accept a used code)."""
    if now is None or now.sub != then.sub:
        return then
    user = then
    extra = dict(then.extra)
    if now.password_changed_at is not None and _micros(now.password_changed_at) > at:
        user = replace(user, password_ciphertext=now.password_ciphertext, password_changed_at=now.password_changed_at,
                       password_history_ciphertext=now.password_history_ciphertext)
        extra.pop(IMPORTED_HASH, None)
        if IMPORTED_HASH in now.extra:
            extra[IMPORTED_HASH] = now.extra[IMPORTED_HASH]
    token_then, token_now = then.extra.get(mfa_domain.TOKEN), now.extra.get(mfa_domain.TOKEN)
    if (isinstance(token_then, dict) and isinstance(token_now, dict) and token_then.get("Secret")
            and token_then.get("Secret") == token_now.get("Secret") and "LastStep" in token_now):
        extra[mfa_domain.TOKEN] = {**token_then, "LastStep": token_now["LastStep"]}
    return replace(user, extra=extra)


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


class _Change:
    """One user changed after the point: its state then, now, and what the recovery writes back."""

    def __init__(self, key: str, then: _Then, now: UserRecord | None, at: int) -> None:
        self.key = key
        self.then = then
        self.now = now
        self.restored = None if then.state is None else _restored(then.state, now, at)
        #: the user now is another one than then (created after the point, or deleted and created again)
        self.replaced = now is not None and (then.state is None or then.state.sub != now.sub)


async def _plan(tx: Transaction, pool_id: str, at: int) -> list[_Change]:
    plan = []
    for key in await tx.recoveries.changed_since(pool_id, at):
        then = _Then(await tx.recoveries.history(pool_id, key), at)
        plan.append(_Change(key, then, await tx.users.get(pool_id, key), at))
    return plan


class _Counts:
    def __init__(self) -> None:
        self.create = self.update = self.delete = 0

    def count(self, then: Any, now: Any) -> None:
        """Create: there then, gone now (the recovery brings it back); Delete: the other way; Update: both,
        different. Absent and empty are the same."""
        if then and not now:
            self.create += 1
        elif now and not then:
            self.delete += 1
        elif then and then != now:
            self.update += 1

    def entry(self, entity: str) -> dict[str, Any]:
        return {"Entity": entity, "CreateCount": self.create, "UpdateCount": self.update,
                "DeleteCount": self.delete}


async def _preview(tx: Transaction, pool_id: str, at: int) -> list[dict[str, Any]]:
    """What Start would change, per entity [C: Users, Groups, User MFAs, Passkeys; U: Groups counts the
    memberships (the groups themselves are not restored)]: computed from the same plan Start carries out."""
    users, groups, mfas, passkeys = _Counts(), _Counts(), _Counts(), _Counts()
    for change in await _plan(tx, pool_id, at):
        then, now = change.restored, change.now
        current_groups: set[str] = set()
        current_keys: dict[str, WebAuthnCredentialRecord] = {}
        if now is not None:
            current_groups = {g.name_key for g in await tx.groups.list_for_user(pool_id, change.key, limit=1000)}
            current_keys = {c.credential_id: c for c in await tx.webauthn_credentials.list(pool_id, change.key)}
        if change.replaced and then is not None:  # another user now: it goes, the one of then comes back
            users.count(None, _profile(now))
            users.count(_profile(then), None)
            mfas.count({}, _mfa(now))
            mfas.count(_mfa(then), {})
        else:
            users.count(_profile(then), _profile(now))
            mfas.count(_mfa(then), _mfa(now))
        for group_key in sorted(change.then.groups_ever | current_groups):  # a membership: (user, group)
            want = group_key in change.then.groups and await tx.groups.get(pool_id, group_key) is not None
            groups.count(want, group_key in current_groups)
        for credential_id in sorted(change.then.passkeys_ever | set(current_keys)):
            passkeys.count(credential_id in change.then.passkeys, credential_id in current_keys)
    return [users.entry("Users"), groups.entry("Groups"), mfas.entry("User MFAs"), passkeys.entry("Passkeys")]


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
    for change in plan:  # deletions first: their aliases go free (memberships and passkeys go by cascade)
        if change.now is not None and (change.then.state is None or change.replaced):
            await tx.users.delete(pool.id, change.key)
    for change in plan:
        user = change.restored
        if user is None:
            continue
        key = change.key
        if change.now is not None and not change.replaced:
            if user != change.now:
                await tx.users.update(user)
        else:
            await tx.users.insert(user)
        aliases = user_domain.aliases_for(pool.settings, user.attributes)
        for kind, value_key in aliases.items():
            owner = await tx.users.find_alias(pool.id, kind, value_key)
            if owner is not None and owner != key:
                await tx.users.release_alias(pool.id, kind, value_key)
        await tx.users.set_aliases(pool.id, key, aliases)
        for group_key in sorted(change.then.groups_ever):
            want = group_key in change.then.groups
            have = await tx.groups.is_member(pool.id, group_key, key)
            if want and not have and await tx.groups.get(pool.id, group_key) is not None:
                await tx.groups.add_member(pool.id, group_key, key)
            elif have and not want:
                await tx.groups.remove_member(pool.id, group_key, key)
        current = {c.credential_id for c in await tx.webauthn_credentials.list(pool.id, key)}
        for credential_id in sorted(change.then.passkeys_ever | current):
            credential = change.then.passkeys.get(credential_id)
            if credential is not None and credential_id not in current:
                await tx.webauthn_credentials.insert(credential)
            elif credential is None and credential_id in current:
                await tx.webauthn_credentials.delete(pool.id, key, credential_id)


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

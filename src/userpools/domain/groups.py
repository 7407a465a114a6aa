"""User pool groups: the record the store keeps, GroupType as the operations show it, the limits, and the
three group claims of a user's tokens.

Sources: [C] documented (API reference, developer guide), [O] observed, [U] unconfirmed choice. Details in
shared/cognito/groups-federation-oauth.md §1.

- Names keep the case they were created with; two names that differ only in case are the same group
  [O: aws-amplify/amplify-backend#1781, renaming a group from ``ADMINS`` to ``Admins`` fails with "A group with
  the name already exists"]. Every operation therefore finds a group by ``group_key`` (the name lower-cased,
  as Java's ``toLowerCase`` does for these names) [U: that lookups ignore case as uniqueness does].
- At most 10,000 groups per pool and 100 groups per user [C: Quotas in Amazon Cognito].
- ``cognito:groups`` (ID and access tokens), ``cognito:roles`` and ``cognito:preferred_role`` (ID token only)
  [C: developer guide, "Adding groups to a user pool"; O: real tokens]. The preferred role is the RoleArn of
  the group with the lowest Precedence; a group without Precedence loses to any with one; a tie between
  groups with different role ARNs leaves the claim out, a tie with the same ARN keeps it [C: CreateGroup's
  Precedence doc]. Groups without a RoleArn take no part in the choice [U]. Array order is unstated: here
  ascending Precedence (none last), then name [U].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from userpools.domain.records import GroupRecord, TokenGroup

MAX_GROUPS_PER_POOL: Final = 10_000
MAX_GROUPS_PER_USER: Final = 100


def group_key(name: str) -> str:
    """The lookup form of a group name (see the module docstring)."""
    return name.lower()


def describe_group(group: GroupRecord) -> dict[str, Any]:
    """GroupType, in the model's member order; absent members are left out [O: CLI examples]."""
    out: dict[str, Any] = {"GroupName": group.name, "UserPoolId": group.pool_id}
    if group.description is not None:
        out["Description"] = group.description
    if group.role_arn is not None:
        out["RoleArn"] = group.role_arn
    if group.precedence is not None:
        out["Precedence"] = group.precedence
    out["LastModifiedDate"] = group.updated_at
    out["CreationDate"] = group.created_at
    return out


def updated_group(group: GroupRecord, request: Mapping[str, Any], now: datetime) -> GroupRecord:
    """UpdateGroup: the members given replace the stored ones; members not given keep their value [U: the
    API reference says "Updates the specified group with the specified attributes" and does not say that an
    omitted member is cleared; the console and CLI examples change one member at a time]."""
    return GroupRecord(
        pool_id=group.pool_id,
        name=group.name,
        name_key=group.name_key,
        created_at=group.created_at,
        updated_at=now,
        description=request.get("Description", group.description),
        role_arn=request.get("RoleArn", group.role_arn),
        precedence=request.get("Precedence", group.precedence),
    )


@dataclass(frozen=True)
class GroupClaims:
    """What a user's groups put in the tokens (before a PreTokenGeneration override)."""

    groups: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    preferred_role: str | None = None


NO_GROUPS: Final = GroupClaims()




def _rank(group: TokenGroup) -> tuple[bool, int]:
    return (group[2] is None, group[2] or 0)


def group_claims(groups: Sequence[TokenGroup]) -> GroupClaims:
    """The group claims of a member of ``groups`` (see the module docstring for the rules)."""
    if not groups:
        return NO_GROUPS
    ordered = sorted(groups, key=lambda group: (*_rank(group), group[0]))
    roles: list[str] = []
    for _name, role, _precedence in ordered:
        if role is not None and role not in roles:
            roles.append(role)
    return GroupClaims(
        groups=tuple(group[0] for group in ordered), roles=tuple(roles), preferred_role=preferred_role(ordered)
    )


def preferred_role(groups: Sequence[TokenGroup]) -> str | None:
    """The RoleArn of the group with the lowest Precedence, None on a tie between different ARNs."""
    with_role = [group for group in groups if group[1] is not None]
    if not with_role:
        return None
    best = min(_rank(group) for group in with_role)
    tied = {group[1] for group in with_role if _rank(group) == best}
    return tied.pop() if len(tied) == 1 else None

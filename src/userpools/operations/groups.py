"""Groups: CreateGroup, GetGroup, UpdateGroup, DeleteGroup, ListGroups, ListUsersInGroup, AdminAddUserToGroup,
AdminRemoveUserFromGroup, AdminListGroupsForUser.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html

Messages: "Group not found." [O: aws-amplify/amplify-cli#2214, ResourceNotFoundException from
AdminAddUserToGroup]; "A group with the name already exists." [O: aws-amplify/amplify-backend#1781]; the rest
[U]. Adding a member twice or removing a non-member is not an error [U: both leave the state asked for].
"""

from __future__ import annotations

from typing import Any

from userpools.domain import groups as domain
from userpools.domain import users as user_domain
from userpools.domain.groups import GroupRecord, group_key
from userpools.domain.records import PoolRecord, UserRecord
from userpools.errors import GroupExistsException, LimitExceededException, ResourceNotFoundException
from userpools.operations import paging
from userpools.operations.common import find_user, user_not_found
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.storage.ports import Conflict, Transaction

#: Limit when the request gives none (or 0) [U: the model allows 0–60; ListUsers' default is 60]
DEFAULT_PAGE = 60


def group_not_found() -> ResourceNotFoundException:
    return ResourceNotFoundException("Group not found.")


async def _group_or_raise(tx: Transaction, pool: PoolRecord, name: str, *, for_update: bool = False) -> GroupRecord:
    group = await tx.groups.get(pool.id, group_key(name), for_update=for_update)
    if group is None:
        raise group_not_found()
    return group


async def _user_or_raise(tx: Transaction, pool: PoolRecord, name: str) -> UserRecord:
    user = await find_user(tx, pool, name)
    if user is None:
        raise user_not_found()
    return user


def _limit(req: dict[str, Any]) -> int:
    return int(req.get("Limit") or DEFAULT_PAGE)


async def create_group(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_CreateGroup: at most 10,000 groups per pool."""
    now = ctx.clock.now()
    name = req["GroupName"]
    group = GroupRecord(
        pool_id=req["UserPoolId"], name=name, name_key=group_key(name), created_at=now, updated_at=now,
        description=req.get("Description"), role_arn=req.get("RoleArn"), precedence=req.get("Precedence"),
    )
    async with ctx.store.transaction() as tx:
        # Locked: concurrent creations are counted one after the other against the quota.
        await get_pool_or_raise(tx, group.pool_id, for_update=True)
        if await tx.groups.get(group.pool_id, group.name_key) is not None:
            raise GroupExistsException("A group with the name already exists.")
        if await tx.groups.count(group.pool_id) >= domain.MAX_GROUPS_PER_POOL:
            raise LimitExceededException(  # [U] wording
                f"The user pool has reached its limit of {domain.MAX_GROUPS_PER_POOL} groups."
            )
        try:
            await tx.groups.insert(group)
        except Conflict:
            raise GroupExistsException("A group with the name already exists.") from None
    return {"Group": domain.describe_group(group)}


async def get_group(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetGroup."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        group = await _group_or_raise(tx, pool, req["GroupName"])
    return {"Group": domain.describe_group(group)}


async def update_group(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_UpdateGroup: Description, RoleArn and Precedence as given; the others keep their value."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        group = await _group_or_raise(tx, pool, req["GroupName"], for_update=True)
        group = domain.updated_group(group, req, ctx.clock.now())
        await tx.groups.update(group)
    return {"Group": domain.describe_group(group)}


async def delete_group(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DeleteGroup: members or not; the group stops contributing claims at the members' next tokens
    [C: "that group no longer contributes to users' … cognito:groups claims"]."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        group = await _group_or_raise(tx, pool, req["GroupName"], for_update=True)
        await tx.groups.delete(pool.id, group.name_key)
    return {}


async def list_groups(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListGroups: Limit (default 60) per page in name order, NextToken to go on."""
    limit = _limit(req)
    after = paging.decode("groups", req.get("NextToken"))
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        page = list(await tx.groups.list(pool.id, limit=limit + 1, after_key=after))
    out: dict[str, Any] = {"Groups": [domain.describe_group(g) for g in page[:limit]]}
    if len(page) > limit:
        out["NextToken"] = paging.encode("groups", page[limit - 1].name_key)
    return out


async def list_users_in_group(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListUsersInGroup: whole UserType entries in username order, Limit (default 60), NextToken."""
    limit = _limit(req)
    after = paging.decode("group-members", req.get("NextToken"))
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        group = await _group_or_raise(tx, pool, req["GroupName"])
        page = list(await tx.groups.list_members(pool.id, group.name_key, limit=limit + 1, after_key=after))
    out: dict[str, Any] = {"Users": [user_domain.user_type(u) for u in page[:limit]]}
    if len(page) > limit:
        out["NextToken"] = paging.encode("group-members", page[limit - 1].username_key)
    return out


async def admin_add_user_to_group(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminAddUserToGroup: a user is in at most 100 groups."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        # The user is locked so two additions at once are counted one after the other against the quota.
        user = await find_user(tx, pool, req["Username"], for_update=True)
        if user is None:
            raise user_not_found()
        group = await _group_or_raise(tx, pool, req["GroupName"])
        if await tx.groups.is_member(pool.id, group.name_key, user.username_key):
            return {}
        if await tx.groups.count_for_user(pool.id, user.username_key) >= domain.MAX_GROUPS_PER_USER:
            raise LimitExceededException(  # [U] wording
                f"A user can be a member of at most {domain.MAX_GROUPS_PER_USER} groups."
            )
        await tx.groups.add_member(pool.id, group.name_key, user.username_key)
    return {}


async def admin_remove_user_from_group(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminRemoveUserFromGroup."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        user = await _user_or_raise(tx, pool, req["Username"])
        group = await _group_or_raise(tx, pool, req["GroupName"])
        await tx.groups.remove_member(pool.id, group.name_key, user.username_key)
    return {}


async def admin_list_groups_for_user(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminListGroupsForUser: Limit (default 60) per page in name order, NextToken to go on."""
    limit = _limit(req)
    after = paging.decode("user-groups", req.get("NextToken"))
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        user = await _user_or_raise(tx, pool, req["Username"])
        page = list(await tx.groups.list_for_user(pool.id, user.username_key, limit=limit + 1, after_key=after))
    out: dict[str, Any] = {"Groups": [domain.describe_group(g) for g in page[:limit]]}
    if len(page) > limit:
        out["NextToken"] = paging.encode("user-groups", page[limit - 1].name_key)
    return out

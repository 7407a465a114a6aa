"""``userpools clone --endpoint URL --pool ID``: a pool copied from any Cognito-compatible endpoint (real
Cognito with the caller's AWS credentials, another userpools, moto, LocalStack) through its public API only.

Read there with botocore: DescribeUserPool, ListUserPoolClients and DescribeUserPoolClient (secrets
included), ListGroups, ListUsers, ListUsersInGroup and ListResourceServers. Written here through the same
steps as pools as code (``provisioning``): the pool, its clients and its groups keep their ids, names and
secrets; its prefix domain is created when this server does not have it yet. Users keep their username,
``sub``, attributes, enabled flag and groups, and arrive RESET_REQUIRED: no API gives a password or its
verifier, so each user sets a new one through ForgotPassword (or an operator points the pool's
UserMigration trigger at the old pool to carry passwords over at first sign-in instead). Users already here
are left as they are, so a second clone adds the newcomers only.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

from userpools import ids
from userpools.domain import users as user_domain
from userpools.domain.records import UserRecord
from userpools.errors import CognitoError
from userpools.operations import groups
from userpools.operations.common import find_user
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.operations.userstate import store_aliases
from userpools.protocol.model import operation_model
from userpools.provisioning import Item, PoolsConfigError, PoolSpec, apply_pool
from userpools.storage.ports import Conflict

#: Attributes AdminCreateUser does not take (Cognito sets them).
_READ_ONLY_ATTRIBUTES = frozenset({"sub", "identities"})


def _members(operation: str) -> frozenset[str]:
    return frozenset(operation_model(operation).input_shape.members)


def _pages(call: Any, key: str, token_in: str, token_out: str, **params: Any) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        answer = call(**params, **({token_in: token} if token else {}))
        yield from answer.get(key, [])
        token = answer.get(token_out)
        if not token:
            return


@dataclasses.dataclass
class Source:
    """What the endpoint told about the pool, as its API answered it."""

    pool: dict[str, Any]
    clients: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    users: list[dict[str, Any]]
    memberships: dict[str, list[str]]
    resource_servers: list[dict[str, Any]]


def read_source(client: Any, pool_id: str) -> Source:
    """Everything ``clone`` copies, read through the public API of ``client`` (a botocore cognito-idp client)."""
    pool = client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    summaries = _pages(client.list_user_pool_clients, "UserPoolClients", "NextToken", "NextToken",
                       UserPoolId=pool_id, MaxResults=60)
    clients = [client.describe_user_pool_client(UserPoolId=pool_id, ClientId=s["ClientId"])["UserPoolClient"]
               for s in summaries]
    group_list = list(_pages(client.list_groups, "Groups", "NextToken", "NextToken", UserPoolId=pool_id, Limit=60))
    user_list = list(_pages(client.list_users, "Users", "PaginationToken", "PaginationToken", UserPoolId=pool_id,
                            Limit=60))
    memberships = {
        group["GroupName"]: [u["Username"] for u in _pages(
            client.list_users_in_group, "Users", "NextToken", "NextToken", UserPoolId=pool_id,
            GroupName=group["GroupName"], Limit=60,
        )]
        for group in group_list
    }
    servers = list(_pages(client.list_resource_servers, "ResourceServers", "NextToken", "NextToken",
                          UserPoolId=pool_id, MaxResults=50))
    return Source(pool, clients, group_list, user_list, memberships, servers)


def _pick(document: dict[str, Any], operation: str, *, leave_out: frozenset[str] = frozenset()) -> dict[str, Any]:
    allowed = _members(operation) - leave_out
    return {k: v for k, v in document.items() if k in allowed and v is not None}


def acceptable_secret(secret: str) -> bool:
    """Whether CreateUserPoolClient takes ``secret`` as its ClientSecret (the model's length and pattern)."""
    shape = operation_model("CreateUserPoolClient").input_shape.members["ClientSecret"]
    limits = shape.metadata
    return (int(limits.get("min", 0)) <= len(secret) <= int(limits.get("max", 1 << 16))
            and re.fullmatch(str(limits.get("pattern", ".*")), secret, re.ASCII) is not None)


def pool_spec(source: Source, notes: list[str] | None = None) -> PoolSpec:
    """The source pool as pools as code's tables (users apart: see ``copy_users``); what could not be copied
    as it is goes to ``notes``."""
    notes = [] if notes is None else notes
    described = source.pool
    members = _pick(described, "CreateUserPool", leave_out=frozenset({"Schema"}))
    members["PoolName"] = described["Name"]
    admin = members.get("AdminCreateUserConfig")
    if isinstance(admin, dict) and "UnusedAccountValidityDays" in admin:
        # DescribeUserPool reports the deprecated member beside PasswordPolicy's TemporaryPasswordValidityDays;
        # CreateUserPool refuses it when both are given.
        members["AdminCreateUserConfig"] = {k: v for k, v in admin.items() if k != "UnusedAccountValidityDays"}
    members["Id"] = described["Id"]
    # SchemaAttributes describes every attribute; CreateUserPool's Schema adds the custom ones (named without
    # their "custom:" prefix) to the standard ones, whose Required flags it may set.
    schema = []
    for attribute in described.get("SchemaAttributes") or []:
        name = attribute.get("Name", "")
        if name.startswith("custom:"):
            schema.append({**_schema_entry(attribute), "Name": name.removeprefix("custom:")})
        elif attribute.get("Required"):
            schema.append(_schema_entry(attribute))
    if schema:
        members["Schema"] = schema
    clients = []
    for described_client in source.clients:
        item = _pick(described_client, "CreateUserPoolClient", leave_out=frozenset({"UserPoolId", "GenerateSecret"}))
        item["ClientId"] = described_client["ClientId"]
        secret = item.get("ClientSecret")
        if isinstance(secret, str) and not acceptable_secret(secret):
            # A secret Cognito's API refuses (moto's are UUIDs, with hyphens) cannot be set here either: the
            # client gets a new one, and clone says so.
            del item["ClientSecret"]
            item["GenerateSecret"] = True
            notes.append(f"client {item['ClientId']} ({item.get('ClientName')}): the source's secret is not one "
                         "Cognito accepts (24 to 64 letters, digits, _ or +): a new secret was generated; read it "
                         "with DescribeUserPoolClient and give it to the app")
        clients.append(Item("clients", item, 0, {}))
    group_items = [Item("groups", _pick(g, "CreateGroup", leave_out=frozenset({"UserPoolId"})), 0, {})
                   for g in source.groups]
    servers = [Item("resource_servers", _pick(s, "CreateResourceServer", leave_out=frozenset({"UserPoolId"})), 0, {})
               for s in source.resource_servers]
    domains = [Item("domains", {"Domain": described["Domain"]}, 0, {})] if described.get("Domain") else []
    return PoolSpec(
        Item("pools", members, 0, {}),
        {"clients": clients, "groups": group_items, "users": [], "domains": domains, "resource_servers": servers},
    )


def _schema_entry(attribute: dict[str, Any]) -> dict[str, Any]:
    allowed = ("Name", "AttributeDataType", "DeveloperOnlyAttribute", "Mutable", "Required",
               "NumberAttributeConstraints", "StringAttributeConstraints")
    return {k: attribute[k] for k in allowed if k in attribute}


async def copy_users(ctx: Context, pool_id: str, source: Source, where: str, done: list[str]) -> None:
    """Each user not here yet, in one transaction: its attributes checked as AdminCreateUser checks them (no
    trigger runs, no message is sent), RESET_REQUIRED without any password, the source's sub and enabled flag,
    its aliases; then its groups (AdminAddUserToGroup)."""
    groups_of: dict[str, list[str]] = {}
    for group, names in source.memberships.items():
        for name in names:
            groups_of.setdefault(name, []).append(group)
    for user in source.users:
        username = user["Username"]
        attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
        try:
            async with ctx.store.transaction() as tx:
                pool = await get_pool_or_raise(tx, pool_id, for_update=True)
                if await find_user(tx, pool, username, by_alias=False, by_sub=False) is not None:
                    continue
                sub = attributes.get("sub") or ids.new_uuid()
                given = [{"Name": k, "Value": v} for k, v in attributes.items() if k not in _READ_ONLY_ATTRIBUTES]
                if pool.settings.get("UsernameAttributes"):
                    # The source already chose the username (its sub) and the email/phone is an attribute.
                    name, resolved = username, given
                else:
                    name, resolved = user_domain.resolve_sign_up_username(pool.settings, username, given, sub=sub)
                values = user_domain.validate_new_user_attributes(pool.settings, resolved, for_admin=True)
                now = ctx.clock.now()
                record = UserRecord(
                    pool_id=pool.id, username=name, username_key=user_domain.username_key(pool.settings, name),
                    sub=sub, status="RESET_REQUIRED", enabled=bool(user.get("Enabled", True)), created_at=now,
                    updated_at=now, attributes=values,
                )
                await tx.users.insert(record)
                await store_aliases(tx, pool, record)
            for group in groups_of.get(username, []):
                await groups.admin_add_user_to_group(ctx, {"UserPoolId": pool_id, "Username": name,
                                                           "GroupName": group})
        except (CognitoError, Conflict) as exc:
            message = getattr(exc, "message", None) or "the username or sub is taken"
            raise PoolsConfigError(f"{where} (user {username}): {type(exc).__name__}: {message}") from None
        done.append(f"copied user {username} (RESET_REQUIRED)")


async def clone(ctx: Context, source: Source, *, where: str) -> list[str]:
    done: list[str] = []
    notes: list[str] = []
    spec = pool_spec(source, notes)
    await apply_pool(ctx, spec, where, done)
    done += notes
    await copy_users(ctx, source.pool["Id"], source, where, done)
    return done

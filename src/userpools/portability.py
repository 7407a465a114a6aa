"""``userpools export`` and ``userpools import``: one pool as one JSON document, read and written through the
store (offline admin commands on the data directory or database URL, like ``userpools migrate``).

The document holds every record of the pool as the store keeps it: the pool's configuration, its signing
keys, clients, groups, users with their group memberships, and its resources (domains, resource servers,
UI customization, branding, terms, risk and log delivery configuration, …)::

    {"format": "userpools.pool", "version": 1, "exportedAt": "…",
     "pool": {…}, "signingKeys": […], "clients": […], "groups": […], "users": […],
     "memberships": {"<group name_key>": ["<username_key>", …]}, "resources": […]}

What is secret stays encrypted under the data key (password verifiers and their history, client secrets,
private signing keys): a restore on a server with the same data key keeps passwords, client secrets and the
keys that signed the tokens already issued; on a server with another key they cannot be opened. Times are
ISO 8601 with microseconds, bytes base64. Aliases are not in the document: they follow from the users'
attributes and the pool's settings and are recomputed on import. Not exported: what lives only for a while
(codes, sessions and refresh tokens, OAuth grants, rate counters), the outbox, auth events and import jobs.

The round trip is exact: the export of an imported document equals it except ``exportedAt``.
"""

from __future__ import annotations

import base64
import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from userpools.domain.records import (
    ClientRecord,
    GroupRecord,
    PoolRecord,
    PoolResource,
    SigningKeyRecord,
    UserRecord,
)
from userpools.domain.users import aliases_for
from userpools.storage.ports import Conflict, Store

FORMAT = "userpools.pool"
VERSION = 1
_PAGE = 500

R = TypeVar("R")


class PortabilityError(ValueError):
    """The document cannot be imported, or the pool cannot be exported; the message says why."""


def _encode(record: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, bytes):
            value = base64.b64encode(value).decode("ascii")
        out[f.name] = value
    return out


def _decode(cls: type[R], data: Any, where: str) -> R:
    if not isinstance(data, Mapping):
        raise PortabilityError(f"{where}: expected an object")
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise PortabilityError(f"{where}.{f.name}: missing")
            continue
        value = data[f.name]
        hint = hints[f.name]
        kinds = set(typing.get_args(hint)) if isinstance(hint, types.UnionType) else {hint}
        try:
            if value is not None and datetime in kinds:
                value = datetime.fromisoformat(value)
                if value.tzinfo is None:
                    value = value.replace(tzinfo=UTC)
            elif value is not None and bytes in kinds:
                value = base64.b64decode(value, validate=True)
        except (TypeError, ValueError):
            raise PortabilityError(f"{where}.{f.name}: not a valid {'time' if datetime in kinds else 'base64'}") \
                from None
        values[f.name] = value
    unknown = set(data) - set(values) - {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    if unknown:
        raise PortabilityError(f"{where}: unknown members {', '.join(sorted(unknown))}")
    return cls(**values)


async def export_pool(store: Store, pool_id: str, *, now: datetime) -> dict[str, Any]:
    """The pool's document, read in one read-only transaction (a consistent snapshot)."""
    async with store.transaction(readonly=True) as tx:
        pool = await tx.pools.get(pool_id)
        if pool is None:
            raise PortabilityError(f"User pool {pool_id} does not exist.")
        keys = list(await tx.signing_keys.list(pool_id))
        clients: list[ClientRecord] = []
        after_id: str | None = None
        while page := await tx.clients.list(pool_id, limit=_PAGE, after_id=after_id):
            clients.extend(page)
            after_id = page[-1].id
        users: list[UserRecord] = []
        after_key: str | None = None
        while page_u := await tx.users.list(pool_id, limit=_PAGE, after_key=after_key):
            users.extend(page_u)
            after_key = tx.users.page_key(page_u[-1], None)
        groups: list[GroupRecord] = []
        after_key = None
        while page_g := await tx.groups.list(pool_id, limit=_PAGE, after_key=after_key):
            groups.extend(page_g)
            after_key = page_g[-1].name_key
        memberships: dict[str, list[str]] = {}
        for group in groups:
            members: list[str] = []
            after_key = None
            while page_m := await tx.groups.list_members(pool_id, group.name_key, limit=_PAGE, after_key=after_key):
                members.extend(user.username_key for user in page_m)
                after_key = page_m[-1].username_key
            memberships[group.name_key] = members
        resources: list[PoolResource] = []
        for kind in await tx.resources.kinds(pool_id):
            after_key = None
            while page_r := await tx.resources.list(pool_id, kind, limit=_PAGE, after_key=after_key):
                resources.extend(page_r)
                after_key = page_r[-1].key
    return {
        "format": FORMAT, "version": VERSION, "exportedAt": now.isoformat(),
        "pool": _encode(pool),
        "signingKeys": [_encode(key) for key in sorted(keys, key=lambda k: k.kid)],
        "clients": [_encode(client) for client in clients],
        "groups": [_encode(group) for group in groups],
        "users": [_encode(user) for user in users],
        "memberships": memberships,
        "resources": [_encode(resource) for resource in resources],
    }


def _list(document: Mapping[str, Any], name: str) -> list[Any]:
    value = document.get(name, [])
    if not isinstance(value, list):
        raise PortabilityError(f"{name}: expected a list")
    return value


async def import_pool(store: Store, document: Any) -> str:
    """Creates the pool of ``document`` with all it holds, in one transaction (all or nothing); returns the
    pool's id. The pool, a client id or a domain already taken on this server is refused."""
    if not isinstance(document, Mapping) or document.get("format") != FORMAT:
        raise PortabilityError(f'not a userpools pool document (expected "format": "{FORMAT}")')
    if document.get("version") != VERSION:
        raise PortabilityError(f"version {document.get('version')!r} is not supported (expected {VERSION})")
    pool = _decode(PoolRecord, document.get("pool"), "pool")
    keys = [_decode(SigningKeyRecord, item, f"signingKeys[{i}]") for i, item in enumerate(_list(document, "signingKeys"))]
    clients = [_decode(ClientRecord, item, f"clients[{i}]") for i, item in enumerate(_list(document, "clients"))]
    groups = [_decode(GroupRecord, item, f"groups[{i}]") for i, item in enumerate(_list(document, "groups"))]
    users = [_decode(UserRecord, item, f"users[{i}]") for i, item in enumerate(_list(document, "users"))]
    resources = [_decode(PoolResource, item, f"resources[{i}]") for i, item in enumerate(_list(document, "resources"))]
    memberships = document.get("memberships", {})
    if not isinstance(memberships, Mapping):
        raise PortabilityError("memberships: expected an object")
    for item in (*keys, *clients, *groups, *users, *resources):
        if item.pool_id != pool.id:
            raise PortabilityError(f"a record of pool {item.pool_id} in the document of pool {pool.id}")
    async with store.transaction() as tx:
        try:
            await tx.pools.insert(pool)
        except Conflict:
            raise PortabilityError(f"User pool {pool.id} already exists on this server (delete it first).") from None
        for key in keys:
            await tx.signing_keys.insert(key)
        for client in clients:
            try:
                await tx.clients.insert(client)
            except Conflict:
                raise PortabilityError(f"the client id {client.id} is taken on this server") from None
        for group in groups:
            await tx.groups.insert(group)
        if users:
            await tx.users.insert_many(users)
        for user in users:
            aliases = aliases_for(pool.settings, user.attributes)
            if aliases:
                await tx.users.set_aliases(pool.id, user.username_key, aliases)
        for group_key, members in memberships.items():
            for username_key in members:
                await tx.groups.add_member(pool.id, group_key, username_key)
        for resource in resources:
            try:
                await tx.resources.insert(resource)
            except Conflict:
                raise PortabilityError(
                    f"the {resource.kind} {resource.key} is taken by another pool on this server"
                ) from None
    return pool.id

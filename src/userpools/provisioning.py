"""Pools as code: the ``[[pools]]`` tables of ``userpools.toml`` (the ``--config`` file), applied at start-up.

Every member is the AWS operation's own (checked against botocore's model, like a request), so what a
pool, a client or a group can be given is what CreateUserPool, CreateUserPoolClient or CreateGroup take::

    [[pools]]
    Id = "us-east-1_Example01"                 # the fixed pool id (the app's .env keeps it)
    PoolName = "app"
    Policies = { PasswordPolicy = { MinimumLength = 8 } }   # any CreateUserPool member

    [[pools.clients]]
    ClientId = "exampleclientid0000000000a"    # fixed; with ClientSecret, a fixed secret too
    ClientName = "web"
    ExplicitAuthFlows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]

    [[pools.groups]]
    GroupName = "admins"                       # any CreateGroup member

    [[pools.users]]
    Username = "alice"
    Password = "Passw0rd!"                     # permanent: the user is CONFIRMED
    Attributes = { email = "alice@example.com", email_verified = "true" }
    Groups = ["admins"]                        # the user's groups are exactly these

    [[pools.domains]]
    Domain = "app-local"                       # CreateUserPoolDomain's members

    [[pools.resource_servers]]
    Identifier = "https://api.example.com"     # CreateResourceServer's members
    Name = "api"
    Scopes = [{ ScopeName = "read", ScopeDescription = "read" }]

Applying is idempotent: what is missing is created, what exists is updated to the file (UpdateUserPool's,
UpdateUserPoolClient's, UpdateGroup's, UpdateResourceServer's members), nothing is created twice. Each step
is an operation handler called with the server's Context, so the file meets the API's validation. A mistake
raises :class:`PoolsConfigError` naming the file, the line and the key; ``userpools serve`` then stops with
exit status 2.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from userpools.crypto import imported_hashes, passwords
from userpools.domain import pools as pool_domain
from userpools.domain import resource_servers as server_domain
from userpools.domain.user_import import IMPORTED_HASH
from userpools.errors import CognitoError
from userpools.operations import clients, domains, groups, pools, resource_servers, users
from userpools.operations.common import find_user
from userpools.operations.context import Context
from userpools.protocol.model import operation_model
from userpools.protocol.validation import validate_input
from userpools.storage.ports import Conflict


class PoolsConfigError(ValueError):
    """The pools of the configuration file cannot be applied; the message names the file, line and key."""


def _members(operation: str) -> frozenset[str]:
    return frozenset(operation_model(operation).input_shape.members)


#: Each kind of ``[[pools.<kind>]]`` table: the operation that creates one and the keys that are not its own.
_CHILDREN = ("clients", "groups", "users", "domains", "resource_servers")
_USER_KEYS = frozenset({"Username", "Password", "PasswordHash", "PasswordHashAlgorithm", "Attributes", "Groups"})
#: The operation whose input shape checks each kind's nested members (the users' are checked here).
_SHAPES = {"pools": "CreateUserPool", "clients": "CreateUserPoolClient", "groups": "CreateGroup",
           "domains": "CreateUserPoolDomain", "resource_servers": "CreateResourceServer"}


@dataclass(frozen=True)
class Item:
    """One table of the file: its members, and where it is (for errors)."""

    kind: str
    members: Mapping[str, Any]
    line: int
    key_lines: Mapping[str, int]


@dataclass(frozen=True)
class PoolSpec:
    pool: Item
    children: Mapping[str, list[Item]]


class _Lines:
    """Finds the lines of array-of-tables headers and their keys in the source (tomllib gives no lines)."""

    _HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.\s]+?)\s*\]\]")
    _ANY_HEADER = re.compile(r"^\s*\[")
    _KEY = re.compile(r"^\s*\"?([A-Za-z0-9_-]+)\"?\s*=")

    def __init__(self, text: str) -> None:
        self.text = text.splitlines()
        self.tables: dict[str, list[tuple[int, dict[str, int]]]] = {}
        current: dict[str, int] | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            header = self._HEADER.match(line)
            if header:
                current = {}
                name = re.sub(r"\s+", "", header.group(1))
                self.tables.setdefault(name, []).append((number, current))
            elif self._ANY_HEADER.match(line):
                current = None
            elif current is not None and (key := self._KEY.match(line)):
                current.setdefault(key.group(1), number)

    def key_after(self, line: int, name: str) -> int:
        """The first line at or after ``line`` that sets ``name`` (in a table, inline or not), else ``line``."""
        pattern = re.compile(rf'(^|[{{,\s])"?{re.escape(name)}"?\s*=')
        for number, text in enumerate(self.text[line - 1 if line else 0:], start=line or 1):
            if pattern.search(text.split("#", 1)[0]):
                return number
        return line

    def at(self, name: str, index: int) -> tuple[int, dict[str, int]]:
        found = self.tables.get(name, [])
        return found[index] if index < len(found) else (0, {})


def parse_pools(text: str, data: Mapping[str, Any], *, source: str) -> list[PoolSpec]:
    """The ``[[pools]]`` of the already-parsed document ``data`` (``text`` its source, for line numbers)."""
    raw = data.get("pools")
    if raw is None:
        return []
    lines = _Lines(text)

    def fail(line: int, key: str, problem: str) -> PoolsConfigError:
        where = f"{source}:{line}" if line else source
        return PoolsConfigError(f"{where}: {key}: {problem}")

    if not isinstance(raw, list) or not all(isinstance(entry, dict) for entry in raw):
        raise fail(0, "pools", "expected an array of tables ([[pools]])")
    specs: list[PoolSpec] = []
    counters = dict.fromkeys(_CHILDREN, 0)
    seen_pools: dict[str, int] = {}
    seen_clients: dict[str, int] = {}
    for index, entry in enumerate(raw):
        line, keys = lines.at("pools", index)
        allowed = _members("CreateUserPool") | {"Id", *_CHILDREN}
        for name in entry:
            if name not in allowed:
                raise fail(keys.get(name, line), f"pools[{index}].{name}", "unknown key")
        _check_nested(lines, "pools", entry, line, f"pools[{index}]", fail)
        pool_id = entry.get("Id")
        if not isinstance(pool_id, str) or not re.fullmatch(r"[\w-]+_[0-9a-zA-Z]+", pool_id) or len(pool_id) > 55:
            raise fail(keys.get("Id", line), f"pools[{index}].Id",
                       "expected a pool id, <region>_<letters and digits> (e.g. us-east-1_Example01)")
        if pool_id in seen_pools:
            raise fail(keys.get("Id", line), f"pools[{index}].Id",
                       f"{pool_id} is already the id of the pool at line {seen_pools[pool_id]}")
        seen_pools[pool_id] = keys.get("Id", line)
        children: dict[str, list[Item]] = {}
        for kind in _CHILDREN:
            items = entry.get(kind, [])
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise fail(keys.get(kind, line), f"pools[{index}].{kind}", f"expected [[pools.{kind}]] tables")
            children[kind] = []
            for number, item in enumerate(items):
                item_line, item_keys = lines.at(f"pools.{kind}", counters[kind])
                counters[kind] += 1
                label = f"pools[{index}].{kind}[{number}]"
                known = _child_keys(kind)
                for name in item:
                    if name not in known:
                        raise fail(item_keys.get(name, item_line), f"{label}.{name}", "unknown key")
                if kind != "users":
                    _check_nested(lines, kind, item, item_line, label, fail)
                else:
                    _check_user(item, item_line, item_keys, label, fail)
                if kind == "clients":
                    client_id = item.get("ClientId")
                    if not isinstance(client_id, str) or not re.fullmatch(r"[a-z0-9]{1,128}", client_id):
                        raise fail(item_keys.get("ClientId", item_line), f"{label}.ClientId",
                                   "expected a fixed ClientId of lowercase letters and digits")
                    if client_id in seen_clients:
                        raise fail(item_keys.get("ClientId", item_line), f"{label}.ClientId",
                                   f"{client_id} is already the id of the client at line {seen_clients[client_id]}")
                    seen_clients[client_id] = item_keys.get("ClientId", item_line)
                if kind == "users" and not isinstance(item.get("Username"), str):
                    raise fail(item_line, f"{label}.Username", "missing")
                children[kind].append(Item(kind, item, item_line, item_keys))
        pool_members = {k: v for k, v in entry.items() if k not in _CHILDREN}
        specs.append(PoolSpec(Item("pools", pool_members, line, keys), children))
    return specs


def _check_nested(lines: _Lines, kind: str, table: Mapping[str, Any], line: int, label: str,
                  fail: Callable[[int, str, str], PoolsConfigError]) -> None:
    """Every key inside the members' tables must be a member of the operation's shape (the API would drop
    it without a word; in a file it is a mistake to name)."""
    shape = operation_model(_SHAPES[kind]).input_shape

    def walk(value: Any, member_shape: Any, path: str) -> None:
        if member_shape.type_name == "structure" and isinstance(value, Mapping):
            for name, inner in value.items():
                if name not in member_shape.members:
                    raise fail(lines.key_after(line, name), f"{path}.{name}", "unknown key")
                walk(inner, member_shape.members[name], f"{path}.{name}")
        elif member_shape.type_name == "list" and isinstance(value, list):
            for number, inner in enumerate(value):
                walk(inner, member_shape.member, f"{path}[{number}]")
        elif member_shape.type_name == "map" and isinstance(value, Mapping):
            for name, inner in value.items():
                walk(inner, member_shape.value, f"{path}.{name}")

    for name, value in table.items():
        if name in shape.members:
            walk(value, shape.members[name], f"{label}.{name}")


def _check_user(item: Mapping[str, Any], line: int, keys: Mapping[str, int], label: str,
                fail: Callable[[int, str, str], PoolsConfigError]) -> None:
    if "Password" in item and "PasswordHash" in item:
        raise fail(keys.get("PasswordHash", line), f"{label}.PasswordHash", "give Password or PasswordHash, not both")
    if "PasswordHash" in item:
        algorithm = item.get("PasswordHashAlgorithm")
        if algorithm not in imported_hashes.ALGORITHMS:
            raise fail(keys.get("PasswordHashAlgorithm", line), f"{label}.PasswordHashAlgorithm",
                       f"expected one of {', '.join(imported_hashes.ALGORITHMS)}")
        if not isinstance(item["PasswordHash"], str) or not imported_hashes.well_formed(algorithm, item["PasswordHash"]):
            raise fail(keys.get("PasswordHash", line), f"{label}.PasswordHash", f"not a well-formed {algorithm} hash")
    elif "PasswordHashAlgorithm" in item:
        raise fail(keys.get("PasswordHashAlgorithm", line), f"{label}.PasswordHashAlgorithm",
                   "only with a PasswordHash")
    for name in ("Password", "Username"):
        if name in item and not isinstance(item[name], str):
            raise fail(keys.get(name, line), f"{label}.{name}", "expected a string")
    if "Attributes" in item and not isinstance(item["Attributes"], Mapping):
        raise fail(keys.get("Attributes", line), f"{label}.Attributes", 'expected a table of name = "value"')
    groups = item.get("Groups", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise fail(keys.get("Groups", line), f"{label}.Groups", "expected a list of group names")


def _child_keys(kind: str) -> frozenset[str]:
    if kind == "clients":
        return _members("CreateUserPoolClient") - {"UserPoolId"} | {"ClientId"}
    if kind == "groups":
        return _members("CreateGroup") - {"UserPoolId"}
    if kind == "domains":
        return _members("CreateUserPoolDomain") - {"UserPoolId"}
    if kind == "resource_servers":
        return _members("CreateResourceServer") - {"UserPoolId"}
    return _USER_KEYS


def read_pools(path: Any) -> list[PoolSpec]:
    """The pools of the configuration file at ``path`` (a missing or unreadable file is the trigger loader's
    error to report; here it is an empty list)."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    return parse_pools(text, data, source=str(path))


Call = Callable[[Context, dict[str, Any]], Awaitable[dict[str, Any]]]


async def _call(ctx: Context, operation: str, handler: Call, req: dict[str, Any], where: str,
                **extra: Any) -> dict[str, Any]:
    """``handler`` on ``req`` checked against the operation's input shape; an error names ``where``."""
    try:
        checked = validate_input(operation_model(operation), req)
        return await (handler(ctx, checked, **extra) if extra else handler(ctx, checked))
    except CognitoError as exc:
        raise PoolsConfigError(f"{where}: {operation}: {exc.code}: {exc.message}") from None
    except Conflict:
        raise PoolsConfigError(f"{where}: {operation}: the id is taken by another pool or client") from None


def _where(source: str, line: int, what: str) -> str:
    return f"{source}:{line} ({what})" if line else f"{source} ({what})"


def _differs(compute: Callable[[], Any], current: Any) -> bool:
    """Whether what the update would store differs from ``current``; an update the domain refuses differs
    (the handler then reports the error, with the line)."""
    try:
        return bool(compute() != current)
    except (CognitoError, KeyError, TypeError, ValueError):
        return True


def _without_dates(described: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in described.items() if k not in ("LastModifiedDate", "CreationDate")}


def _updatable(operation: str, members: Mapping[str, Any]) -> dict[str, Any]:
    allowed = _members(operation)
    return {k: v for k, v in members.items() if k in allowed}


async def apply_pools(ctx: Context, specs: list[PoolSpec], *, source: str) -> list[str]:
    """Creates or updates every pool of ``specs``; returns one line per change, for the log."""
    done: list[str] = []
    for spec in specs:
        await apply_pool(ctx, spec, source, done)
    return done


async def apply_pool(ctx: Context, spec: PoolSpec, source: str, done: list[str]) -> None:
    members = dict(spec.pool.members)
    pool_id = members.pop("Id")
    where = _where(source, spec.pool.line, f"pool {pool_id}")
    async with ctx.store.transaction(readonly=True) as tx:
        existing = await tx.pools.get(pool_id)
    if existing is None:
        await _call(ctx, "CreateUserPool", pools.create_user_pool, members, where, pool_id=pool_id)
        done.append(f"created pool {pool_id}")
    else:
        update = {"UserPoolId": pool_id, **_updatable("UpdateUserPool", members)}
        if _differs(lambda: pool_domain.updated_pool_settings(
            existing.settings, {k: v for k, v in update.items() if k != "UserPoolId"}
        ), existing.settings):
            await _call(ctx, "UpdateUserPool", pools.update_user_pool, update, where)
            done.append(f"updated pool {pool_id}")
        if existing.name != members.get("PoolName", existing.name):
            # The name is CreateUserPool's alone (UpdateUserPool has no PoolName): the file renames it.
            async with ctx.store.transaction() as tx:
                pool = await tx.pools.get(pool_id, for_update=True)
                if pool is not None:
                    await tx.pools.update(
                        dataclasses.replace(pool, name=members["PoolName"], updated_at=ctx.clock.now())
                    )
            done.append(f"renamed pool {pool_id}")
    for item in spec.children["resource_servers"]:
        await _apply_resource_server(ctx, pool_id, item, source, done)
    for item in spec.children["clients"]:
        await _apply_client(ctx, pool_id, item, source, done)
    for item in spec.children["groups"]:
        await _apply_group(ctx, pool_id, item, source, done)
    for item in spec.children["domains"]:
        await _apply_domain(ctx, pool_id, item, source, done)
    for item in spec.children["users"]:
        await _apply_user(ctx, pool_id, item, source, done)


async def _apply_client(ctx: Context, pool_id: str, item: Item, source: str, done: list[str]) -> None:
    members = dict(item.members)
    client_id = members.pop("ClientId")
    where = _where(source, item.line, f"client {client_id}")
    async with ctx.store.transaction(readonly=True) as tx:
        existing = await tx.clients.get(client_id)
    if existing is not None and existing.pool_id != pool_id:
        raise PoolsConfigError(f"{where}: ClientId {client_id} belongs to another pool ({existing.pool_id})")
    if existing is None:
        await _call(ctx, "CreateUserPoolClient", clients.create_user_pool_client,
                    {"UserPoolId": pool_id, **members}, where, client_id=client_id)
        done.append(f"created client {client_id}")
        return
    update = {"UserPoolId": pool_id, "ClientId": client_id, **_updatable("UpdateUserPoolClient", members)}
    described = await _call(ctx, "DescribeUserPoolClient", clients.describe_user_pool_client,
                            {"UserPoolId": pool_id, "ClientId": client_id}, where)
    before = described["UserPoolClient"]
    await _call(ctx, "UpdateUserPoolClient", clients.update_user_pool_client, update, where)
    after = (await clients.describe_user_pool_client(ctx, {"UserPoolId": pool_id, "ClientId": client_id}))[
        "UserPoolClient"]
    changed = _without_dates(after) != _without_dates(before)
    secret = members.get("ClientSecret")
    if isinstance(secret, str) and secret != before.get("ClientSecret"):
        # A changed fixed secret replaces the stored one (no operation replaces a secret in place).
        async with ctx.store.transaction() as tx:
            client = await tx.clients.get(client_id, for_update=True)
            if client is not None:
                ciphertext = ctx.cipher.encrypt(secret.encode(), context=clients.secret_context(client_id))
                await tx.clients.update(dataclasses.replace(client, secret_ciphertext=ciphertext))
        changed = True
    if not changed:  # nothing differed: LastModifiedDate stays what it was
        async with ctx.store.transaction() as tx:
            client = await tx.clients.get(client_id, for_update=True)
            if client is not None:
                await tx.clients.update(dataclasses.replace(client, updated_at=before["LastModifiedDate"]))
        return
    done.append(f"updated client {client_id}")


async def _apply_group(ctx: Context, pool_id: str, item: Item, source: str, done: list[str]) -> None:
    name = item.members.get("GroupName")
    where = _where(source, item.line, f"group {name}")
    req = {"UserPoolId": pool_id, **item.members}
    try:
        found = (await groups.get_group(ctx, {"UserPoolId": pool_id, "GroupName": name}))["Group"]
    except CognitoError:
        await _call(ctx, "CreateGroup", groups.create_group, req, where)
        done.append(f"created group {name}")
        return
    wanted = {k: req[k] for k in ("Description", "RoleArn", "Precedence") if k in req}
    if any(found.get(k) != v for k, v in wanted.items()):
        await _call(ctx, "UpdateGroup", groups.update_group, _updatable("UpdateGroup", req), where)
        done.append(f"updated group {name}")


async def _apply_domain(ctx: Context, pool_id: str, item: Item, source: str, done: list[str]) -> None:
    domain = item.members.get("Domain")
    where = _where(source, item.line, f"domain {domain}")
    found = await _call(ctx, "DescribeUserPoolDomain", domains.describe_user_pool_domain,
                        {"Domain": domain}, where)
    owner = (found.get("DomainDescription") or {}).get("UserPoolId")
    if owner == pool_id:
        return
    if owner:
        raise PoolsConfigError(f"{where}: the domain {domain} belongs to another pool ({owner})")
    await _call(ctx, "CreateUserPoolDomain", domains.create_user_pool_domain,
                {"UserPoolId": pool_id, **item.members}, where)
    done.append(f"created domain {domain}")


async def _apply_resource_server(ctx: Context, pool_id: str, item: Item, source: str, done: list[str]) -> None:
    identifier = item.members.get("Identifier")
    where = _where(source, item.line, f"resource server {identifier}")
    req = {"UserPoolId": pool_id, **item.members}
    try:
        found = await resource_servers.describe_resource_server(
            ctx, {"UserPoolId": pool_id, "Identifier": identifier}
        )
    except CognitoError:
        await _call(ctx, "CreateResourceServer", resource_servers.create_resource_server, req, where)
        done.append(f"created resource server {identifier}")
        return
    if _differs(lambda: server_domain.document(req), found["ResourceServer"]):
        await _call(ctx, "UpdateResourceServer", resource_servers.update_resource_server, req, where)
        done.append(f"updated resource server {identifier}")


async def _apply_user(ctx: Context, pool_id: str, item: Item, source: str, done: list[str]) -> None:
    username = item.members["Username"]
    where = _where(source, item.line, f"user {username}")
    raw_attributes = item.members.get("Attributes") or {}
    if not isinstance(raw_attributes, dict):
        raise PoolsConfigError(f"{where}: Attributes: expected a table of name = \"value\"")
    attributes = [{"Name": str(k), "Value": str(v)} for k, v in raw_attributes.items()]
    password = item.members.get("Password")
    password_hash = item.members.get("PasswordHash")
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await tx.pools.get(pool_id)
        user = None if pool is None else await find_user(tx, pool, username)
    if user is None:
        await _call(ctx, "AdminCreateUser", users.admin_create_user, {
            "UserPoolId": pool_id, "Username": username, "UserAttributes": attributes, "MessageAction": "SUPPRESS",
        }, where)
        done.append(f"created user {username}")
        stored = None
    else:
        changed = [a for a in attributes if user.attributes.get(a["Name"]) != a["Value"]]
        if changed:
            await _call(ctx, "AdminUpdateUserAttributes", users.admin_update_user_attributes,
                        {"UserPoolId": pool_id, "Username": username, "UserAttributes": changed}, where)
        stored = user.password_ciphertext
    if isinstance(password, str) and (
        stored is None or user is None or user.status != "CONFIRMED"
        or not passwords.matches(stored, pool_id, user.username, password, ctx.cipher)
    ):
        await _call(ctx, "AdminSetUserPassword", users.admin_set_user_password,
                    {"UserPoolId": pool_id, "Username": username, "Password": password, "Permanent": True}, where)
    if isinstance(password_hash, str):
        await _set_imported_hash(ctx, pool_id, username, item.members["PasswordHashAlgorithm"], password_hash,
                                 created=user is None)
    if "Groups" in item.members:
        wanted = set(item.members["Groups"] or ())
        listed = await _call(ctx, "AdminListGroupsForUser", groups.admin_list_groups_for_user,
                             {"UserPoolId": pool_id, "Username": username, "Limit": 60}, where)
        have = {group["GroupName"] for group in listed.get("Groups", [])}
        for name in sorted(wanted - have):
            await _call(ctx, "AdminAddUserToGroup", groups.admin_add_user_to_group,
                        {"UserPoolId": pool_id, "Username": username, "GroupName": name}, where)
        for name in sorted(have - wanted):
            await _call(ctx, "AdminRemoveUserFromGroup", groups.admin_remove_user_from_group,
                        {"UserPoolId": pool_id, "Username": username, "GroupName": name}, where)


async def _set_imported_hash(ctx: Context, pool_id: str, username: str, algorithm: str, value: str, *,
                             created: bool) -> None:
    """A user of the file given a PasswordHash signs in with the password it hashes, as a user of an import
    job with PasswordHashingAlgorithm does (verified once at the first sign-in, then an SRP verifier). The
    hash is set on a new user, and on one whose stored hash differs; a user who has signed in since (its
    hash now a verifier) keeps that password."""
    async with ctx.store.transaction() as tx:
        pool = await tx.pools.get(pool_id)
        user = None if pool is None else await find_user(tx, pool, username, for_update=True)
        if user is None:
            return
        stored = user.extra.get(IMPORTED_HASH)
        if not created:
            if not isinstance(stored, str):
                return
            if imported_hashes.unseal(stored, pool_id, user.username, ctx.cipher) == (algorithm, value):
                return
        extra = dict(user.extra)
        extra[IMPORTED_HASH] = imported_hashes.seal(algorithm, value, pool_id, user.username, ctx.cipher)
        await tx.users.update(dataclasses.replace(
            user, password_ciphertext=None, password_history_ciphertext=None, status="CONFIRMED", extra=extra,
            updated_at=ctx.clock.now(),
        ))

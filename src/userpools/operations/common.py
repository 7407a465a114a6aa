"""What many operations share: finding the client, the pool and the user, and the SECRET_HASH check."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from userpools.domain import client_secrets as client_secret_domain
from userpools.domain import users as user_domain
from userpools.domain.records import ClientRecord, PoolRecord, UserRecord
from userpools.errors import ConcurrentModificationException, NotAuthorizedException, UserNotFoundException
from userpools.operations import replica_guard
from userpools.operations.client_lookup import client_not_found
from userpools.operations.clients import secret_context
from userpools.operations.context import Context
from userpools.storage.ports import Transaction, WritesHeld

ALIAS_KINDS = ("email", "phone_number", "preferred_username")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def user_not_found() -> UserNotFoundException:
    return UserNotFoundException("User does not exist.")


async def load_client(tx: Transaction, client_id: str) -> tuple[ClientRecord, PoolRecord]:
    """The app client of a public operation and its pool (unknown client: ResourceNotFoundException)."""
    client = await tx.clients.get(client_id)
    if client is None:
        raise client_not_found(client_id)
    pool = await tx.pools.get(client.pool_id)
    if pool is None:
        raise client_not_found(client_id)
    replica_guard.check(pool)
    return client, pool


def client_secret(ctx: Context, client: ClientRecord) -> str | None:
    """The client's oldest secret (what DescribeUserPoolClient shows), None for a public client."""
    if client.secret_ciphertext is None:
        return None
    return ctx.cipher.decrypt(client.secret_ciphertext, context=secret_context(client.id)).decode()


def client_secrets(ctx: Context, client: ClientRecord) -> list[str]:
    """Every active secret of the client (two during a rotation, see ``domain.client_secrets``); empty for a
    public client. Each one is accepted wherever a secret is."""
    if client.secret_ciphertext is None:
        return []
    stored = client_secret_domain.stored_secrets(
        client.settings, client_id=client.id, created_at=client.created_at, column=client.secret_ciphertext
    )
    context = secret_context(client.id)
    return [ctx.cipher.decrypt(s.ciphertext, context=context).decode() for s in stored]


def matches_a_secret(ctx: Context, client: ClientRecord, given: str) -> bool:
    """Whether ``given`` is one of the client's secrets (compared in constant time, each of them).

    Compared as SHA-256 digests, those of the stored secrets kept per client and ciphertexts (a rotation or a
    deletion changes the key), so that a token request of a known client decrypts nothing: the plaintexts
    themselves are not kept."""
    entries = client.settings.get(client_secret_domain.SECRETS_KEY)
    key = (id(ctx.cipher), client.id, client.secret_ciphertext,
           tuple(str(e.get("Ciphertext")) for e in entries if isinstance(e, dict)) if isinstance(entries, list)
           else ())
    digests = _SECRET_DIGESTS.get(key)
    if digests is None:
        digests = tuple(hashlib.sha256(secret.encode()).digest() for secret in client_secrets(ctx, client))
        if len(_SECRET_DIGESTS) >= _SECRET_DIGESTS_KEPT:
            _SECRET_DIGESTS.clear()
        _SECRET_DIGESTS[key] = digests
    given_digest = hashlib.sha256(given.encode()).digest()
    found = False
    for digest in digests:
        found |= hmac.compare_digest(digest, given_digest)
    return found


_SECRET_DIGESTS: dict[tuple[Any, ...], tuple[bytes, ...]] = {}
_SECRET_DIGESTS_KEPT = 4096


def secret_hash(secret: str, username: str, client_id: str) -> str:
    digest = hmac.digest(secret.encode(), (username + client_id).encode(), "sha256")
    return base64.b64encode(digest).decode()


#: What the hosted pages put as SECRET_HASH into the API's sign-in steps they run for a client with a secret:
#: the server holds the secret, so the check passes as it would for the app, without decrypting the secret and
#: computing the hash twice. Compared by identity: this object is made here, and no request can send it.
SECRET_KNOWN_TO_SERVER = "<the server's own sign-in>"


def check_secret_hash(ctx: Context, client: ClientRecord, given: str | None, *usernames: str | None) -> None:
    """SECRET_HASH = Base64(HMAC-SHA256(client secret, username ‖ client id)), required when the client has
    a secret. Clients compute it over the name the user typed or over the internal username (refresh,
    email-as-username pools), so either is accepted; with two secrets (a rotation), either secret."""
    if client.secret_ciphertext is None or given is SECRET_KNOWN_TO_SERVER:
        return
    if not given:
        raise NotAuthorizedException(
            f"Client {client.id} is configured with secret but SECRET_HASH was not received"
        )
    for secret in client_secrets(ctx, client):
        for name in usernames:
            if name and hmac.compare_digest(secret_hash(secret, name, client.id).encode(), given.encode()):
                return
    raise NotAuthorizedException(f"Unable to verify secret hash for client {client.id}")


async def find_user(
    tx: Transaction, pool: PoolRecord, name: str, *, for_update: bool = False, by_alias: bool = True,
    by_sub: bool = True,
) -> UserRecord | None:
    """The user named by its username, one of its aliases, or its sub (as Cognito's admin operations and
    sign-in accept them)."""
    key = user_domain.username_key(pool.settings, name)
    user = await tx.users.get(pool.id, key, for_update=for_update)
    if user is not None:
        return user
    if by_alias:
        for kind in ALIAS_KINDS:
            owner = await tx.users.find_alias(pool.id, kind, user_domain.alias_key(pool.settings, kind, name))
            if owner is not None:
                return await tx.users.get(pool.id, owner, for_update=for_update)
    if by_sub and _UUID.fullmatch(name):
        return await tx.users.get_by_sub(pool.id, name.lower(), for_update=for_update)
    return None


def attribute_list(attributes: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return list(attributes or [])


# --- a point-in-time recovery's hold on the pool's user writes ----------------------------------------------

#: UNCONFIRMED: Cognito's error for a write refused during a recovery is not documented; ConcurrentModification
#: is the recovery operations' own error for a pool busy with one.
HELD = "User pool {} is being recovered to a point in time: its users cannot change."


@contextmanager
def held_as_cognito() -> Iterator[None]:
    """The store's ``WritesHeld`` (a recovery holds the pool's user writes) as Cognito's error."""
    try:
        yield
    except WritesHeld as held:
        raise held_error(held) from None


def held_error(held: WritesHeld) -> ConcurrentModificationException:
    """Cognito's error for the store's ``WritesHeld``: what ``held_as_cognito`` raises. The entry points run on
    every request catch ``WritesHeld`` themselves and raise this (a generator-based context manager per request
    cost its generator, its frame and the StopIteration that ends it)."""
    return ConcurrentModificationException(HELD.format(held.pool_id))


_P = ParamSpec("_P")
_R = TypeVar("_R")


def answers_held(function: Callable[_P, Awaitable[_R]]) -> Callable[_P, Awaitable[_R]]:
    """``held_as_cognito`` around an entry point the web faces call outside the operations table."""

    @wraps(function)
    async def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return await function(*args, **kwargs)
        except WritesHeld as held:
            raise held_error(held) from None

    return run

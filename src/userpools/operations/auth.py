"""Sign-in: InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge, AdminRespondToAuthChallenge,
GetTokensFromRefreshToken.

Flows and challenges are tables (AuthFlow → handler, ChallengeName → responder); each handler returns
either tokens or the next challenge. API reference:
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from userpools.crypto import srp
from userpools.domain import clients as client_domain
from userpools.domain import password_policy
from userpools.domain import tokens as token_domain
from userpools.domain import users as user_domain
from userpools.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    ResourceNotFoundException,
    UserNotConfirmedException,
    UserNotFoundException,
)
from userpools.operations.common import check_secret_hash, find_user, load_client
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.operations.tokens import issue_for_refresh, issue_for_sign_in
from userpools.operations.userstate import (
    history_size,
    open_verifier,
    password_matches,
    required_attributes_missing,
    store_aliases,
    with_password,
)
from userpools.storage.ports import ClientRecord, PoolRecord, Transaction, UserRecord

INCORRECT = "Incorrect username or password."
LOCKED = "Password attempts exceeded"
SRP_STATE_MAX_AGE = timedelta(minutes=5)  # unconfirmed: how long Cognito keeps a PASSWORD_VERIFIER open
LOCKOUT_THRESHOLD = 5
LOCKOUT_CAP = timedelta(minutes=15)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Attempt:
    """One sign-in request on its way through a flow."""

    ctx: Context
    tx: Transaction
    pool: PoolRecord
    client: ClientRecord
    params: dict[str, str]
    admin: bool
    failure: Exception | None = None  # raised after the transaction commits (so lockout counters stick)


Flow = Callable[[Attempt], Awaitable[dict[str, Any]]]


# --- shared steps ------------------------------------------------------------------------------------


def _require(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise InvalidParameterException(f"Missing required parameter {name}")
    return value


def _check_flow_enabled(client: ClientRecord, flow: str) -> None:
    allowed = set(client_domain.explicit_auth_flows(client.settings))
    wanted = {
        "USER_SRP_AUTH": {"ALLOW_USER_SRP_AUTH"},
        "USER_PASSWORD_AUTH": {"ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"},
        "ADMIN_USER_PASSWORD_AUTH": {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
        "ADMIN_NO_SRP_AUTH": {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
        "REFRESH_TOKEN_AUTH": {"ALLOW_REFRESH_TOKEN_AUTH"},
        "REFRESH_TOKEN": {"ALLOW_REFRESH_TOKEN_AUTH"},
    }[flow]
    if not allowed & wanted:
        # Confirmed for USER_PASSWORD_AUTH ("USER_PASSWORD_AUTH flow not enabled for this client"); the same
        # form for the other flows is the plausible choice.
        raise InvalidParameterException(f"{flow} flow not enabled for this client")


def _prevents_existence_errors(client: ClientRecord) -> bool:
    return client.settings.get("PreventUserExistenceErrors") == "ENABLED"


async def _user_for_sign_in(a: Attempt, name: str) -> UserRecord:
    user = await find_user(a.tx, a.pool, name, for_update=True)
    if user is None:
        if _prevents_existence_errors(a.client):
            raise NotAuthorizedException(INCORRECT)
        raise UserNotFoundException("User does not exist.")
    return user


def _check_state_before_password(a: Attempt, user: UserRecord) -> None:
    now = a.ctx.clock.now()
    if not user.enabled:
        raise NotAuthorizedException("User is disabled.")
    if user.status == "RESET_REQUIRED":
        raise PasswordResetRequiredException("Password reset required for the user")
    if user.status == "UNCONFIRMED":
        raise UserNotConfirmedException("User is not confirmed.")
    if user.locked_until is not None and user.locked_until > now:
        raise NotAuthorizedException(LOCKED)


async def _record_failure(a: Attempt, user: UserRecord) -> None:
    """Counts a wrong password. From the fifth on, the user is locked for 2^(n−5) seconds (capped at 15
    minutes); a quiet quarter of an hour starts the count again (auth.md §3)."""
    now = a.ctx.clock.now()
    quiet = user.locked_until is None or now - user.locked_until > LOCKOUT_CAP
    count = 1 if (quiet and user.failed_attempts >= LOCKOUT_THRESHOLD) else user.failed_attempts + 1
    locked_until = user.locked_until
    if count >= LOCKOUT_THRESHOLD:
        locked_until = now + min(timedelta(seconds=2 ** (count - LOCKOUT_THRESHOLD)), LOCKOUT_CAP)
    await a.tx.users.update(
        dataclasses.replace(user, failed_attempts=count, locked_until=locked_until, updated_at=user.updated_at)
    )
    a.failure = NotAuthorizedException(INCORRECT)


async def _after_password(a: Attempt, user: UserRecord) -> dict[str, Any]:
    """The password was right: the user's next step (a new password, or tokens)."""
    if user.failed_attempts or user.locked_until:
        user = dataclasses.replace(user, failed_attempts=0, locked_until=None)
        await a.tx.users.update(user)
    if user.status == "FORCE_CHANGE_PASSWORD":
        policy = (a.pool.settings.get("Policies") or {}).get("PasswordPolicy") or {}
        days = int(policy.get("TemporaryPasswordValidityDays") or 7)
        if user.password_changed_at and user.password_changed_at + timedelta(days=days) < a.ctx.clock.now():
            raise NotAuthorizedException("Temporary password has expired and must be reset by an administrator.")
        return _new_password_challenge(a, user)
    return {"ChallengeParameters": {}, "AuthenticationResult": await issue_for_sign_in(a.ctx, a.tx, a.pool, a.client, user)}


def _new_password_challenge(a: Attempt, user: UserRecord) -> dict[str, Any]:
    required = required_attributes_missing(a.pool, user.attributes)
    visible = {k: v for k, v in user.attributes.items() if k not in ("email_verified", "phone_number_verified")}
    session = token_domain.seal_session(
        pool_id=a.pool.id, client_id=a.client.id, username=user.username, challenge_name="NEW_PASSWORD_REQUIRED",
        now=a.ctx.clock.now(), validity_minutes=int(a.client.settings.get("AuthSessionValidity") or 3),
        cipher=a.ctx.cipher,
    )
    return {
        "ChallengeName": "NEW_PASSWORD_REQUIRED",
        "Session": session,
        "ChallengeParameters": {
            "USER_ID_FOR_SRP": user.username,
            "requiredAttributes": orjson.dumps([f"userAttributes.{n}" for n in required]).decode(),
            "userAttributes": orjson.dumps(visible).decode(),
        },
    }


# --- the flows ---------------------------------------------------------------------------------------


async def _password_flow(a: Attempt) -> dict[str, Any]:
    """USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, ADMIN_NO_SRP_AUTH: the password in one step, checked
    against the stored SRP verifier."""
    name = _require(a.params, "USERNAME")
    password = _require(a.params, "PASSWORD")
    user = await _user_for_sign_in(a, name)
    check_secret_hash(a.ctx, a.client, a.params.get("SECRET_HASH"), name, user.username)
    _check_state_before_password(a, user)
    if not password_matches(a.ctx, user, password):
        await _record_failure(a, user)
        return {}
    return await _after_password(a, user)


async def _srp_flow(a: Attempt) -> dict[str, Any]:
    """USER_SRP_AUTH, first step: the server's B and salt, and a SECRET_BLOCK that carries the state to the
    second step (no Session needed)."""
    name = _require(a.params, "USERNAME")
    a_hex = _require(a.params, "SRP_A")
    try:
        big_a = srp.parse_hex(a_hex)
    except ValueError:
        raise InvalidParameterException("SRP_A is not a valid hex number") from None
    if big_a % srp.N == 0:
        raise NotAuthorizedException(INCORRECT)
    user = await find_user(a.tx, a.pool, name)
    if user is None:
        if _prevents_existence_errors(a.client):
            return _fake_srp_challenge(a, name, big_a)
        raise UserNotFoundException("User does not exist.")
    check_secret_hash(a.ctx, a.client, a.params.get("SECRET_HASH"), name, user.username)
    _check_state_before_password(a, user)
    if user.password_ciphertext is None:
        raise NotAuthorizedException(INCORRECT)
    verifier = open_verifier(a.ctx, user)
    b, big_b = srp.server_ephemeral(verifier.verifier)
    state = srp.SrpState(
        pool_id=a.pool.id, client_id=a.client.id, username=user.username, A=big_a, b=b, B=big_b,
        issued_at=a.ctx.clock.now(),
    )
    return {
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeParameters": {
            "SALT": srp.salt_hex(verifier.salt),
            "SECRET_BLOCK": srp.seal_state(state, a.ctx.cipher),
            "SRP_B": srp.to_pad_hex(big_b),
            "USERNAME": user.username,
            "USER_ID_FOR_SRP": user.username,
        },
    }


def _fake_srp_challenge(a: Attempt, name: str, big_a: int) -> dict[str, Any]:
    """PreventUserExistenceErrors: a challenge indistinguishable from a real one; the second step then
    fails with "Incorrect username or password."."""
    b, big_b = srp.server_ephemeral(int.from_bytes(secrets.token_bytes(48), "big"))
    state = srp.SrpState(
        pool_id=a.pool.id, client_id=a.client.id, username=name, A=big_a, b=b, B=big_b,
        issued_at=a.ctx.clock.now(),
    )
    return {
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeParameters": {
            "SALT": srp.salt_hex(secrets.token_bytes(16)),
            "SECRET_BLOCK": srp.seal_state(state, a.ctx.cipher),
            "SRP_B": srp.to_pad_hex(big_b),
            "USERNAME": name,
            "USER_ID_FOR_SRP": name,
        },
    }


async def _refresh_flow(a: Attempt) -> dict[str, Any]:
    """REFRESH_TOKEN_AUTH / REFRESH_TOKEN: new access and ID tokens of the same family, no new refresh
    token."""
    token = _require(a.params, "REFRESH_TOKEN")
    return await _refresh(a.ctx, a.tx, a.pool, a.client, token, secret_hash=a.params.get("SECRET_HASH"),
                          rotate=False, check_hash=True)


async def _refresh(ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord, token: str, *,
                   secret_hash: str | None, rotate: bool, check_hash: bool) -> dict[str, Any]:
    # Opened as of the epoch so that an expired token is told apart from a forged one.
    claims = token_domain.open_refresh_token(token, ctx.cipher, EPOCH)
    if claims is None or claims.client_id != client.id or claims.pool_id != pool.id:
        raise NotAuthorizedException("Invalid Refresh Token")
    if claims.expires_at <= ctx.clock.now():
        raise NotAuthorizedException("Refresh Token has expired")
    session = await tx.auth_sessions.get(claims.origin_jti)
    if session is None or session.revoked_at is not None:
        raise NotAuthorizedException("Refresh Token has been revoked")
    if session.expires_at <= ctx.clock.now():
        raise NotAuthorizedException("Refresh Token has expired")
    user = await tx.users.get(pool.id, session.username_key)
    if user is None:
        raise NotAuthorizedException("User does not exist.")
    if check_hash:
        check_secret_hash(ctx, client, secret_hash, user.username, user.sub)
    if not user.enabled:
        raise NotAuthorizedException("User is disabled.")
    result = await issue_for_refresh(ctx, tx, pool, client, user, session, rotate=rotate)
    return {"ChallengeParameters": {}, "AuthenticationResult": result}


async def _not_configured(a: Attempt) -> dict[str, Any]:
    # Cognito's answer to CUSTOM_AUTH on a pool without the DefineAuthChallenge trigger.
    raise InvalidParameterException("Custom auth lambda trigger is not configured for the user pool.")


PUBLIC_FLOWS: dict[str, Flow] = {
    "USER_SRP_AUTH": _srp_flow,
    "USER_PASSWORD_AUTH": _password_flow,
    "REFRESH_TOKEN_AUTH": _refresh_flow,
    "REFRESH_TOKEN": _refresh_flow,
    "CUSTOM_AUTH": _not_configured,
}
ADMIN_FLOWS: dict[str, Flow] = {
    "USER_SRP_AUTH": _srp_flow,
    "ADMIN_USER_PASSWORD_AUTH": _password_flow,
    "ADMIN_NO_SRP_AUTH": _password_flow,
    "REFRESH_TOKEN_AUTH": _refresh_flow,
    "REFRESH_TOKEN": _refresh_flow,
    "CUSTOM_AUTH": _not_configured,
}


# --- the challenges ----------------------------------------------------------------------------------


async def _password_verifier(a: Attempt, session: str | None) -> dict[str, Any]:
    """USER_SRP_AUTH, second step: check PASSWORD_CLAIM_SIGNATURE against the key derived from the state in
    the SECRET_BLOCK."""
    block = _require(a.params, "PASSWORD_CLAIM_SECRET_BLOCK")
    signature = _require(a.params, "PASSWORD_CLAIM_SIGNATURE")
    timestamp = _require(a.params, "TIMESTAMP")
    name = _require(a.params, "USERNAME")
    state = srp.open_state(block, a.ctx.cipher, now=a.ctx.clock.now(), max_age=SRP_STATE_MAX_AGE)
    if state is None or state.client_id != a.client.id or state.pool_id != a.pool.id:
        raise NotAuthorizedException(INCORRECT)
    user = await a.tx.users.get(a.pool.id, user_domain.username_key(a.pool.settings, state.username),
                                for_update=True)
    if user is None:
        raise NotAuthorizedException(INCORRECT)
    check_secret_hash(a.ctx, a.client, a.params.get("SECRET_HASH"), name, user.username)
    _check_state_before_password(a, user)
    if user.password_ciphertext is None or srp.parse_timestamp(timestamp) is None:
        raise NotAuthorizedException(INCORRECT)
    verifier = open_verifier(a.ctx, user)
    try:
        key = srp.session_key(state.A, state.B, state.b, verifier.verifier)
    except ValueError:
        raise NotAuthorizedException(INCORRECT) from None
    if not srp.check_signature(key, a.pool.id, state.username, block, timestamp, signature):
        await _record_failure(a, user)
        return {}
    return await _after_password(a, user)


async def _new_password_required(a: Attempt, session: str | None) -> dict[str, Any]:
    """NEW_PASSWORD_REQUIRED: the temporary password is replaced, required attributes supplied."""
    opened = token_domain.open_session(session or "", cipher=a.ctx.cipher, now=a.ctx.clock.now())
    if (opened is None or opened.challenge_name != "NEW_PASSWORD_REQUIRED" or opened.client_id != a.client.id
            or opened.pool_id != a.pool.id):
        raise NotAuthorizedException("Invalid session for the user, session is expired.")
    new_password = _require(a.params, "NEW_PASSWORD")
    user = await a.tx.users.get(a.pool.id, user_domain.username_key(a.pool.settings, opened.username),
                                for_update=True)
    if user is None or user.status != "FORCE_CHANGE_PASSWORD":
        raise NotAuthorizedException("Invalid session for the user, session is expired.")
    check_secret_hash(a.ctx, a.client, a.params.get("SECRET_HASH"), a.params.get("USERNAME"), user.username)
    updates = [
        {"Name": key.removeprefix("userAttributes."), "Value": value}
        for key, value in a.params.items() if key.startswith("userAttributes.")
    ]
    attributes = dict(user.attributes)
    if updates:
        attributes = user_domain.validate_attribute_update(
            a.pool.settings, attributes, updates, for_admin=False,
            write_attributes=a.client.settings.get("WriteAttributes"),
        )["attributes"]
    missing = required_attributes_missing(a.pool, attributes)
    if missing:
        # Unconfirmed wording.
        raise InvalidParameterException(f"Invalid attributes given, {missing[0]} is missing")
    password_policy.check_password(
        new_password, (a.pool.settings.get("Policies") or {}).get("PasswordPolicy") or {},
        prefix=password_policy.POLICY_PREFIX,
    )
    user = with_password(a.ctx, user, new_password, history_size=history_size(a.pool))
    user = dataclasses.replace(user, status="CONFIRMED", attributes=attributes, updated_at=a.ctx.clock.now())
    await a.tx.users.update(user)
    await store_aliases(a.tx, a.pool, user)
    return {"ChallengeParameters": {}, "AuthenticationResult": await issue_for_sign_in(a.ctx, a.tx, a.pool, a.client, user)}


Responder = Callable[[Attempt, str | None], Awaitable[dict[str, Any]]]
CHALLENGES: dict[str, Responder] = {
    "PASSWORD_VERIFIER": _password_verifier,
    "NEW_PASSWORD_REQUIRED": _new_password_required,
}


# --- the operations ----------------------------------------------------------------------------------


async def _run(ctx: Context, pool_id: str | None, client_id: str, step: Callable[[Attempt], Awaitable[dict[str, Any]]],
               params: dict[str, str], *, admin: bool) -> dict[str, Any]:
    async with ctx.store.transaction() as tx:
        if admin:
            pool = await get_pool_or_raise(tx, pool_id or "")
            client = await tx.clients.get(client_id)
            if client is None or client.pool_id != pool.id:
                raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
        else:
            client, pool = await load_client(tx, client_id)
        attempt = Attempt(ctx=ctx, tx=tx, pool=pool, client=client, params=params, admin=admin)
        out = await step(attempt)
    if attempt.failure is not None:
        raise attempt.failure
    return out


async def initiate_auth(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_InitiateAuth."""
    return await _initiate(ctx, req, PUBLIC_FLOWS, admin=False)


async def admin_initiate_auth(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminInitiateAuth."""
    return await _initiate(ctx, req, ADMIN_FLOWS, admin=True)


async def _initiate(ctx: Context, req: dict[str, Any], flows: dict[str, Flow], *, admin: bool) -> dict[str, Any]:
    flow_name = req["AuthFlow"]
    flow = flows.get(flow_name)
    if flow is None:
        raise InvalidParameterException("Initiate Auth method not supported.")

    async def step(a: Attempt) -> dict[str, Any]:
        if flow is not _not_configured:
            _check_flow_enabled(a.client, flow_name)
        return await flow(a)

    return await _run(ctx, req.get("UserPoolId"), req["ClientId"], step, dict(req.get("AuthParameters") or {}),
                      admin=admin)


async def respond_to_auth_challenge(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_RespondToAuthChallenge."""
    return await _respond(ctx, req, admin=False)


async def admin_respond_to_auth_challenge(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminRespondToAuthChallenge."""
    return await _respond(ctx, req, admin=True)


async def _respond(ctx: Context, req: dict[str, Any], *, admin: bool) -> dict[str, Any]:
    responder = CHALLENGES.get(req["ChallengeName"])
    if responder is None:
        # MFA, CUSTOM_CHALLENGE, device and passwordless challenges come with their issues.
        raise InvalidParameterException(f"Unsupported challenge name {req['ChallengeName']}")

    async def step(a: Attempt) -> dict[str, Any]:
        return await responder(a, req.get("Session"))

    return await _run(ctx, req.get("UserPoolId"), req["ClientId"], step,
                      dict(req.get("ChallengeResponses") or {}), admin=admin)


async def get_tokens_from_refresh_token(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetTokensFromRefreshToken: with refresh-token rotation on, a new refresh token as well."""
    async with ctx.store.transaction() as tx:
        client, pool = await load_client(tx, req["ClientId"])
        given_secret = req.get("ClientSecret")
        if client.secret_ciphertext is not None:
            from userpools.operations.common import client_secret

            stored = client_secret(ctx, client)
            if not given_secret or not secrets.compare_digest(given_secret, stored or ""):
                raise NotAuthorizedException(f"Unable to verify secret hash for client {client.id}")
        _check_flow_enabled(client, "REFRESH_TOKEN_AUTH")
        rotation = (client.settings.get("RefreshTokenRotation") or {}).get("Feature") == "ENABLED"
        out = await _refresh(ctx, tx, pool, client, req["RefreshToken"], secret_hash=None, rotate=rotation,
                             check_hash=False)
    return {"AuthenticationResult": out["AuthenticationResult"]}


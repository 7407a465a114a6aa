"""Sign-in: InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge, AdminRespondToAuthChallenge,
GetTokensFromRefreshToken.

Flows and challenges are tables (AuthFlow → handler, ChallengeName → responder); each handler returns
either tokens or the next challenge. API reference:
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html

The sign-in triggers run at these points ([C] documented, [U] the order where the guide is silent):

- UserMigration_Authentication: USER_PASSWORD_AUTH / ADMIN_USER_PASSWORD_AUTH for a name no user has [C]; a
  user made from the answer then signs in as any other (operations below, ``domain.user_migration``).
- PreAuthentication: once the user is found and its state allows a sign-in, before the password (or SRP
  step one, or the first custom challenge) is answered [U: after the state checks]; with
  PreventUserExistenceErrors ENABLED it also runs for unknown names, with ``userNotFound`` [C].
- PostAuthentication: when a flow is about to issue tokens, before PreTokenGeneration [C].
- PreTokenGeneration: in ``operations.tokens``, on every issue.

ClientMetadata reaches them as Cognito passes it [C: API reference, ClientMetadata of each operation]:
InitiateAuth's only to PreAuthentication and UserMigration, as ``validationData``; RespondToAuthChallenge's
to PostAuthentication, PreTokenGeneration and the custom-auth triggers, as ``clientMetadata``.

Triggers run inside the operation's transaction, as in the other operations: a trigger that fails rolls the
whole request back. CUSTOM_AUTH lives in ``operations.custom_auth``; the steps both share in
``operations.signin``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from userpools import ids
from userpools.delivery.messages import Message
from userpools.domain import clients as client_domain
from userpools.domain import devices as device_domain
from userpools.domain import mfa as mfa_domain
from userpools.domain import password_policy, records, user_migration
from userpools.domain import tokens as token_domain
from userpools.domain import users as user_domain
from userpools.domain.records import AuthSessionRecord, ClientRecord, PoolRecord, UserRecord
from userpools.errors import (
    AliasExistsException,
    FeatureUnavailableInTierException,
    InvalidParameterException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    RefreshTokenReuseException,
    ResourceNotFoundException,
    UnexpectedLambdaException,
    UserNotFoundException,
)
from userpools.operations import custom_auth, device_signin, hooks, mfa_signin, passwordless, threats
from userpools.operations.common import check_secret_hash, find_user, load_client, matches_a_secret
from userpools.operations.context import Context
from userpools.operations.migration import send_welcome
from userpools.operations.passkeys import has_passkey
from userpools.operations.pools import get_pool_or_raise
from userpools.operations.signin import (
    EPOCH,
    NEW_PASSWORD_SOURCE,
    SESSION_EXPIRED,
    Attempt,
    Flow,
    check_flow_enabled,
    check_state,
    fake_srp_parameters,
    new_password_challenge,
    open_session,
    parse_srp_a,
    password_accepted,
    pre_authentication,
    record_failure,
    require,
    spend_session,
    srp_parameters,
    temporary_password_expired,
    unknown_user,
    verify_password_claim,
)
from userpools.operations.tokens import issue_for_refresh, touch_family
from userpools.operations.userstate import (
    checked_in_advance,
    has_imported_hash,
    history_size,
    imported_hash_matches,
    password_matches,
    required_attributes_missing,
    store_aliases,
    with_password,
)
from userpools.storage.ports import Conflict, Transaction
from userpools.triggers import events

#: [U] The SRP sign-in of a user whose imported password hash has not yet been replaced by a verifier.
IMPORTED_HASH_NEEDS_PASSWORD_AUTH = (
    "This user's imported password must be used once with USER_PASSWORD_AUTH before SRP sign-in."
)


# --- after the password ------------------------------------------------------------------------------------


async def _after_password(a: Attempt, user: UserRecord, *, password: str | None = None) -> dict[str, Any]:
    """The password was right: threat protection's decision when it is on (``password``: the one a password
    flow was given, for the compromised-credentials check), then the user's next step (a new password first,
    then MFA, or tokens)."""
    if threats.mode(a.pool) is not None:
        a.screened(await threats.screen_sign_in(a.ctx, a.tx, a.pool, a.client, user, a.seen(), password=password))
        if a.failure is not None:
            return {}
    user = await password_accepted(a, user)
    if user.status == "FORCE_CHANGE_PASSWORD":
        if temporary_password_expired(a, user):
            raise NotAuthorizedException("Temporary password has expired and must be reset by an administrator.")
        return new_password_challenge(a, user, data=a.risk_data() or None)
    return await mfa_signin.after_first_factor(a, user)


# --- UserMigration_Authentication ----------------------------------------------------------------------


async def _migrate(a: Attempt, name: str, password: str) -> UserRecord | None:
    """Asks the pool's UserMigration function about a name no user has, with the password given; the user it
    describes (created here, the password as its own), or None when it knows nobody by that name."""
    event = events.user_migration(hooks.caller(a.pool, name, a.client.id), "UserMigration_Authentication",
                                  password=password, validation_data=a.validation_data)
    try:
        response = await hooks.run(a.ctx, a.pool, "UserMigration", event)
    except UnexpectedLambdaException:
        # [O: re:Post Knowledge Center "cognito-migration-lambda-trigger-errors": what Cognito answers when it
        # cannot invoke the migration function]
        raise UserNotFoundException(f"Exception migrating user in app client {a.client.id}") from None
    sub = ids.new_uuid()
    plan = user_migration.read_answer(a.pool.settings, name, response or {}, sub=sub)
    if plan is None:
        return None
    now = a.ctx.clock.now()
    user = UserRecord(
        pool_id=a.pool.id, username=plan.username,
        username_key=user_domain.username_key(a.pool.settings, plan.username), sub=sub, status=plan.status,
        enabled=True, created_at=now, updated_at=now, attributes=plan.attributes,
        extra=mfa_domain.with_factors({}, [mfa_domain.SMS_MFA], None) if plan.enable_sms_mfa else {},
    )
    user = with_password(a.ctx, user, password, history_size=0)
    try:
        await a.tx.users.insert(user)
    except Conflict:  # created meanwhile by another request: that one signs in
        return await a.tx.users.get(a.pool.id, user.username_key, for_update=True)
    try:
        await store_aliases(a.tx, a.pool, user, force=plan.force_alias_creation)
    except AliasExistsException as exc:  # [U: migration errors come back as UserNotFoundException (KC)]
        raise UserNotFoundException(exc.message) from None
    if not plan.suppress_message:
        pending: list[Message] = []
        await send_welcome(a.ctx, a.tx, a.pool, user, plan.delivery_mediums, pending, client_id=a.client.id)

        async def announce() -> None:
            a.ctx.outbox.announce(pending)

        a.after.append(announce)
    return user


# --- the flows ---------------------------------------------------------------------------------------


async def _password_flow(a: Attempt) -> dict[str, Any]:
    """USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, ADMIN_NO_SRP_AUTH: the password in one step, checked
    against the stored SRP verifier; an unknown name goes to the UserMigration trigger first."""
    name = require(a.params, "USERNAME")
    password = require(a.params, "PASSWORD")
    user = await find_user(a.tx, a.pool, name, for_update=True)
    migrated = False
    if user is None and hooks.has(a.pool, "UserMigration"):
        check_secret_hash(a.ctx, a.client, a.params.get("SECRET_HASH"), name)  # before the password leaves
        user = await _migrate(a, name, password)
        migrated = user is not None
    if user is None:
        return await unknown_user(a, name)
    if user.password_ciphertext is not None and checks_in_advance(a.ctx):
        scope = verifier_scope(a.admin, a.pool.id, a.client.id)
        a.ctx.verifiers.found(scope, name, user)  # the next sign-in with this name checks against it first
    check_secret_hash(a.ctx, a.client, a.params.get("SECRET_HASH"), name, user.username)
    if migrated and user.status == "RESET_REQUIRED":
        # The migrated user stays (the failure is raised after the commit) and must reset its password [C].
        a.failure = PasswordResetRequiredException("Password reset required for the user")
        return {}
    await check_state(a, user)
    await pre_authentication(a, user, name)
    if has_imported_hash(user):
        # An imported user's first sign-in: its imported hash is checked once and replaced by the verifier.
        if not await imported_hash_matches(a.ctx, user, password):
            await record_failure(a, user)
            return {}
        user = with_password(a.ctx, user, password, history_size=0)
        await a.tx.users.update(user)
        return await _after_password(a, user)
    if not password_matches(a.ctx, user, password):
        await record_failure(a, user)
        return {}
    return await _after_password(a, user, password=password)


async def _srp_flow(a: Attempt) -> dict[str, Any]:
    """USER_SRP_AUTH, first step: the server's B and salt, and a SECRET_BLOCK that carries the state to the
    second step (no Session needed)."""
    name = require(a.params, "USERNAME")
    big_a = parse_srp_a(require(a.params, "SRP_A"))
    user = await find_user(a.tx, a.pool, name)
    if user is None:
        if a.hides_user_existence:
            await pre_authentication(a, None, name)
            return {"ChallengeName": "PASSWORD_VERIFIER", "ChallengeParameters": fake_srp_parameters(a, name, big_a)}
        raise UserNotFoundException("User does not exist.")
    check_secret_hash(a.ctx, a.client, a.params.get("SECRET_HASH"), name, user.username)
    await check_state(a, user)
    if has_imported_hash(user):
        # [U] SRP needs a verifier, which only the password can give: an imported user's first sign-in is a
        # password sign-in (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH), after which SRP works.
        raise NotAuthorizedException(IMPORTED_HASH_NEEDS_PASSWORD_AUTH)
    await pre_authentication(a, user, name)
    return {"ChallengeName": "PASSWORD_VERIFIER", "ChallengeParameters": srp_parameters(a, user, big_a)}


async def _refresh_flow(a: Attempt) -> dict[str, Any]:
    """REFRESH_TOKEN_AUTH / REFRESH_TOKEN: new access and ID tokens of the same family, no new refresh
    token."""
    token = require(a.params, "REFRESH_TOKEN")
    return await _refresh(a.ctx, a.tx, a.pool, a.client, token, secret_hash=a.params.get("SECRET_HASH"),
                          rotate=False, check_hash=True, client_metadata=None,
                          device_key=a.params.get("DEVICE_KEY") or None)


async def _refresh(ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord, token: str, *,
                   secret_hash: str | None, rotate: bool, check_hash: bool,
                   client_metadata: dict[str, str] | None, device_key: str | None = None) -> dict[str, Any]:
    """``device_key``: REFRESH_TOKEN_AUTH's DEVICE_KEY, which the clients send for a tracked device [C: ACIJ
    refreshSession]; the new access token claims it. [U] A key the user has no device under (forgotten)
    answers "Device does not exist." as at sign-in."""
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
    if device_key is not None and device_domain.tracking_on(pool.settings):
        if await tx.devices.get(pool.id, user.username_key, device_key) is None:
            raise ResourceNotFoundException(device_domain.NOT_FOUND)
    else:
        device_key = None
    session, rotate = await _rotation(ctx, tx, client, claims.generation, session, rotate=rotate)
    await touch_family(ctx, tx, pool, session)
    result = await issue_for_refresh(ctx, tx, pool, client, user, session, rotate=rotate,
                                     client_metadata=client_metadata, scopes=claims.scopes, device_key=device_key)
    return {"ChallengeParameters": {}, "AuthenticationResult": result}


async def _rotation(ctx: Context, tx: Transaction, client: ClientRecord, generation: int,
                    session: AuthSessionRecord, *, rotate: bool) -> tuple[AuthSessionRecord, bool]:
    """Refresh-token rotation (the client's RefreshTokenRotation): each use of the current refresh token
    moves the family to a new generation and returns a new refresh token. The previous generation still
    works for RetryGracePeriodSeconds after the move (it gets the current generation's token again, no
    further move); any older token answers RefreshTokenReuseException."""
    if generation == session.generation:
        if not rotate:
            return session, False
        moved = await tx.auth_sessions.rotate(session.origin_jti, ctx.clock.now())
        if moved is None:  # revoked meanwhile
            raise NotAuthorizedException("Refresh Token has been revoked")
        return records.replace(session, generation=moved, rotated_at=ctx.clock.now()), True
    grace = int((client.settings.get("RefreshTokenRotation") or {}).get("RetryGracePeriodSeconds") or 0)
    if (generation == session.generation - 1 and session.rotated_at is not None
            and ctx.clock.now() < session.rotated_at + timedelta(seconds=grace)):
        return session, True
    # Unconfirmed wording; the exception is the one the model documents for a rotated-out token.
    raise RefreshTokenReuseException("Refresh token has already been used.")


async def _custom_auth(a: Attempt) -> dict[str, Any]:
    return await custom_auth.start(a)


# --- USER_AUTH (choice-based) ----------------------------------------------------------------------------


async def _user_auth_flow(a: Attempt) -> dict[str, Any]:
    """USER_AUTH: PREFERRED_CHALLENGE straight to that first factor when the user can use it; otherwise
    SELECT_CHALLENGE with the factors to choose from [C: BC; AMP6]. An unusable preference falls back to
    SELECT_CHALLENGE [U]. PASSWORD and PASSWORD_SRP are the password flows (MFA after them as usual); the
    others are ``operations.passwordless``."""
    if a.pool.settings.get("UserPoolTier") == "LITE":
        # [C: mfa-passwordless.md §2]; [U] wording
        raise FeatureUnavailableInTierException("USER_AUTH requires the Essentials or Plus feature plan.")
    name = require(a.params, "USERNAME")
    preferred = a.params.get("PREFERRED_CHALLENGE")
    password_allowed = "PASSWORD" in passwordless.allowed_first_factors(a.pool.settings)
    if preferred in passwordless.PASSWORD_FACTORS and password_allowed:
        return await _first_factor(a, None, name, preferred)
    user = await find_user(a.tx, a.pool, name, for_update=True)
    if user is None:
        if not a.hides_user_existence:
            raise UserNotFoundException("User does not exist.")
        choices = passwordless.available(a.pool.settings, None)
        if preferred in choices:  # as a user's preference would be
            return await passwordless.issue(a, None, name, preferred)
        return passwordless.select_challenge(a, name, choices)
    check_secret_hash(a.ctx, a.client, a.params.get("SECRET_HASH"), name, user.username)
    await check_state(a, user)
    choices = passwordless.available(a.pool.settings, user, has_passkey=await has_passkey(a.tx, user))
    if preferred in choices:
        return await _first_factor(a, user, name, preferred)
    return passwordless.select_challenge(a, user.username, choices)


async def _first_factor(a: Attempt, user: UserRecord | None, name: str, factor: str) -> dict[str, Any]:
    if factor == "PASSWORD":
        return await _password_flow(a)
    if factor == "PASSWORD_SRP":
        return await _srp_flow(a)
    return await passwordless.issue(a, user, name, factor)


async def _select_challenge(a: Attempt, session: str | None) -> dict[str, Any]:
    """SELECT_CHALLENGE answered: ANSWER names one of AvailableChallenges (with PASSWORD or SRP_A for the
    password factors) [C: BC ChallengeResponses; AMP6]. The Session is single use."""
    opened = open_session(a, session)
    if opened is None or not passwordless.is_select(opened):
        raise NotAuthorizedException(SESSION_EXPIRED)
    name = require(a.params, "USERNAME")
    answer = require(a.params, "ANSWER")
    choices = list(opened.data.get("choices") or [])
    if answer not in choices:
        # [U] what Cognito answers to a factor it did not offer
        raise InvalidParameterException(f"The challenge {answer} is not available for the user.")
    user = await find_user(a.tx, a.pool, name, for_update=True)
    if (user.username if user else name) != opened.username:
        raise NotAuthorizedException(SESSION_EXPIRED)
    await spend_session(a.tx, opened)
    if user is None:
        if answer == "PASSWORD":
            return await unknown_user(a, name)
        if answer == "PASSWORD_SRP":
            return await _srp_flow(a)
        return await passwordless.issue(a, None, name, answer)
    check_secret_hash(a.ctx, a.client, a.params.get("SECRET_HASH"), name, user.username)
    await check_state(a, user)
    return await _first_factor(a, user, name, answer)


async def password_sign_in(a: Attempt) -> dict[str, Any]:
    """The password in one step (the hosted sign-in form): USER_PASSWORD_AUTH's logic without the client's
    ExplicitAuthFlows check (the hosted UI needs none)."""
    return await _password_flow(a)


async def user_auth_sign_in(a: Attempt) -> dict[str, Any]:
    """USER_AUTH (the hosted page's passkey sign-in, PREFERRED_CHALLENGE WEB_AUTHN): the client must allow it."""
    check_flow_enabled(a.client, "USER_AUTH")
    return await _user_auth_flow(a)


async def new_password_sign_in(a: Attempt, session: str | None) -> dict[str, Any]:
    """NEW_PASSWORD_REQUIRED answered (the hosted new-password form)."""
    return await _new_password_required(a, session)


async def refresh_tokens(ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord, token: str, *,
                         rotate: bool) -> dict[str, Any]:
    """A refresh token redeemed without SECRET_HASH (the token endpoint authenticates the client itself)."""
    return await _refresh(ctx, tx, pool, client, token, secret_hash=None, rotate=rotate, check_hash=False,
                          client_metadata=None)


PUBLIC_FLOWS: dict[str, Flow] = {
    "USER_SRP_AUTH": _srp_flow,
    "USER_PASSWORD_AUTH": _password_flow,
    "REFRESH_TOKEN_AUTH": _refresh_flow,
    "REFRESH_TOKEN": _refresh_flow,
    "CUSTOM_AUTH": _custom_auth,
    "USER_AUTH": _user_auth_flow,
}
ADMIN_FLOWS: dict[str, Flow] = {
    "USER_SRP_AUTH": _srp_flow,
    "ADMIN_USER_PASSWORD_AUTH": _password_flow,
    "ADMIN_NO_SRP_AUTH": _password_flow,
    "REFRESH_TOKEN_AUTH": _refresh_flow,
    "REFRESH_TOKEN": _refresh_flow,
    "CUSTOM_AUTH": _custom_auth,
    "USER_AUTH": _user_auth_flow,
}


# --- the challenges ----------------------------------------------------------------------------------


async def _password_verifier(a: Attempt, session: str | None) -> dict[str, Any]:
    """PASSWORD_VERIFIER: USER_SRP_AUTH's second step, or (with a custom sign-in's Session) the password step
    of CUSTOM_AUTH. The plain second step needs a client that allows USER_SRP_AUTH, so that a custom sign-in's
    SECRET_BLOCK cannot be answered without its Session to skip the custom challenges."""
    opened = open_session(a, session) if session else None
    if opened is not None and custom_auth.is_custom(opened):
        return await custom_auth.password_verifier(a, opened)
    if not _srp_allowed(a):
        check_flow_enabled(a.client, "USER_SRP_AUTH")
    user = await verify_password_claim(a)
    if user is None:
        return {}
    return await _after_password(a, user)


def _srp_allowed(a: Attempt) -> bool:
    """A plain PASSWORD_VERIFIER answer: the client allows USER_SRP_AUTH, or USER_AUTH with the pool's
    PASSWORD factor (USER_AUTH's PASSWORD_SRP)."""
    flows = client_domain.enabled_auth_flows(a.client.settings)
    return "USER_SRP_AUTH" in flows or (
        "USER_AUTH" in flows and "PASSWORD" in passwordless.allowed_first_factors(a.pool.settings))


async def _new_password_required(a: Attempt, session: str | None) -> dict[str, Any]:
    """NEW_PASSWORD_REQUIRED: the temporary password is replaced, required attributes supplied."""
    opened = open_session(a, session)
    if opened is None or opened.challenge_name != "NEW_PASSWORD_REQUIRED":
        raise NotAuthorizedException(SESSION_EXPIRED)
    new_password = require(a.params, "NEW_PASSWORD")
    user = await a.tx.users.get(a.pool.id, user_domain.username_key(a.pool.settings, opened.username),
                                for_update=True)
    if user is None or user.status != "FORCE_CHANGE_PASSWORD":
        raise NotAuthorizedException(SESSION_EXPIRED)
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
    await threats.refuse_breached(a.ctx, a.tx, a.pool, a.client.id, new_password, "PASSWORD_CHANGE",
                                  admin=a.admin)
    user = with_password(a.ctx, user, new_password, history_size=history_size(a.pool))
    user = records.replace(user, status="CONFIRMED", attributes=attributes, updated_at=a.ctx.clock.now())
    await a.tx.users.update(user)
    await store_aliases(a.tx, a.pool, user)
    a.resume(opened.data)
    if custom_auth.is_custom(opened):
        return await custom_auth.after_new_password(a, user, opened)
    # The new password first, then the second factor [O: Amplify's CONFIRM_SIGN_IN_WITH_NEW_PASSWORD is
    # followed by MFA setup or code steps].
    return await mfa_signin.after_first_factor(a, user, source=NEW_PASSWORD_SOURCE)


async def _custom_challenge(a: Attempt, session: str | None) -> dict[str, Any]:
    return await custom_auth.custom_challenge(a, session)


Responder = Callable[[Attempt, str | None], Awaitable[dict[str, Any]]]
CHALLENGES: dict[str, Responder] = {
    "PASSWORD_VERIFIER": _password_verifier,
    "NEW_PASSWORD_REQUIRED": _new_password_required,
    "CUSTOM_CHALLENGE": _custom_challenge,
    "SELECT_CHALLENGE": _select_challenge,
    **mfa_signin.CHALLENGES,
    **passwordless.CHALLENGES,
    **device_signin.CHALLENGES,
}


# --- the operations ----------------------------------------------------------------------------------


async def _run(ctx: Context, req: dict[str, Any], step: Callable[[Attempt], Awaitable[dict[str, Any]]],
               params: dict[str, str], *, admin: bool, responding: bool) -> dict[str, Any]:
    client_id = req["ClientId"]
    async with ctx.store.transaction() as tx:
        if admin:
            pool = await get_pool_or_raise(tx, req.get("UserPoolId") or "")
            client = await tx.clients.get(client_id)
            if client is None or client.pool_id != pool.id:
                raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
        else:
            client, pool = await load_client(tx, client_id)
        attempt = Attempt(ctx=ctx, tx=tx, pool=pool, client=client, params=params, admin=admin,
                          client_metadata=req.get("ClientMetadata"), responding=responding,
                          context_data=req.get("ContextData") if admin else req.get("UserContextData"))
        out = await step(attempt)
    if attempt.failure is not None:
        raise attempt.failure
    for call in attempt.after:
        await call()
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
        if flow is _custom_auth and not hooks.has(a.pool, "DefineAuthChallenge"):
            # Cognito's answer to CUSTOM_AUTH on a pool without the DefineAuthChallenge trigger.
            raise InvalidParameterException("Custom auth lambda trigger is not configured for the user pool.")
        check_flow_enabled(a.client, flow_name)
        return await flow(a)

    params = dict(req.get("AuthParameters") or {})
    if flow is _password_flow and checks_in_advance(ctx):
        # SQLite with several processes: the password's check (a modular exponentiation) before the write
        # transaction, which holds the lock they all share, not in it (one process gains nothing by it);
        # against the verifier the last sign-in with this name found, else the one read now (verifiers.py)
        name = params.get("USERNAME")
        user = ctx.verifiers.guess(verifier_scope(admin, req.get("UserPoolId") or "", req["ClientId"]), name) if isinstance(name, str) else None
        if user is None:
            user = await _user_to_check(ctx, req, params, admin=admin)
        with checked_in_advance(user, str(params.get("PASSWORD") or ""), ctx):
            return await _run(ctx, req, step, params, admin=admin, responding=False)
    return await _run(ctx, req, step, params, admin=admin, responding=False)


def checks_in_advance(ctx: Context) -> bool:
    """Whether password flows check the password before their transaction (SQLite, several processes)."""
    return ctx.settings.workers > 1 and bool(getattr(ctx.store, "serializes_writers", False))


def verifier_scope(admin: bool, pool_id: str, client_id: str) -> str:
    """What a name is looked up in: the pool for the admin flows, else the client (of one pool for good)."""
    return f"pool:{pool_id}" if admin else f"client:{client_id}"


async def _user_to_check(ctx: Context, req: dict[str, Any], params: dict[str, str], *,
                         admin: bool) -> UserRecord | None:
    """The user a password flow would check the password of, read ahead of its transaction (None when there
    is none to check; the transaction then answers as it would have)."""
    name, password = params.get("USERNAME"), params.get("PASSWORD")
    if not isinstance(name, str) or not isinstance(password, str) or not name or not password:
        return None
    async with ctx.store.transaction(readonly=True) as tx:
        if admin:
            pool = await tx.pools.get(req.get("UserPoolId") or "")
        else:
            client = await tx.clients.get(req["ClientId"])
            pool = None if client is None else await tx.pools.get(client.pool_id)
        return None if pool is None else await find_user(tx, pool, name)


async def respond_to_auth_challenge(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_RespondToAuthChallenge."""
    return await _respond(ctx, req, admin=False)


async def admin_respond_to_auth_challenge(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminRespondToAuthChallenge."""
    return await _respond(ctx, req, admin=True)


async def _respond(ctx: Context, req: dict[str, Any], *, admin: bool) -> dict[str, Any]:
    responder = CHALLENGES.get(req["ChallengeName"])
    if responder is None:
        # Passwordless challenges come with their issue.
        raise InvalidParameterException(f"Unsupported challenge name {req['ChallengeName']}")

    async def step(a: Attempt) -> dict[str, Any]:
        return await responder(a, req.get("Session"))

    return await _run(ctx, req, step, dict(req.get("ChallengeResponses") or {}), admin=admin, responding=True)


async def get_tokens_from_refresh_token(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetTokensFromRefreshToken: with refresh-token rotation on, a new refresh token as well."""
    async with ctx.store.transaction() as tx:
        client, pool = await load_client(tx, req["ClientId"])
        given_secret = req.get("ClientSecret")
        if client.secret_ciphertext is not None and (
            not given_secret or not matches_a_secret(ctx, client, given_secret)
        ):
            raise NotAuthorizedException(f"Unable to verify secret hash for client {client.id}")
        check_flow_enabled(client, "REFRESH_TOKEN_AUTH")
        rotation = (client.settings.get("RefreshTokenRotation") or {}).get("Feature") == "ENABLED"
        out = await _refresh(ctx, tx, pool, client, req["RefreshToken"], secret_hash=None, rotate=rotation,
                             check_hash=False, client_metadata=req.get("ClientMetadata"))
    return {"AuthenticationResult": out["AuthenticationResult"]}

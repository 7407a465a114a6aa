"""The steps every sign-in flow shares: the ``Attempt`` a flow works on, the checks on the client and the
user, the password's and SRP's steps, the challenges' Sessions and the end of a successful sign-in.

``operations.auth`` (the flows and challenges of InitiateAuth and RespondToAuthChallenge) and
``operations.custom_auth`` (CUSTOM_AUTH) are both built from them, so the imports run one way:
auth → custom_auth → signin, auth → signin (custom_auth never reaches back into auth).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from userpools import ids, metrics
from userpools.crypto import srp
from userpools.domain import clients as client_domain
from userpools.domain import devices as device_domain
from userpools.domain import records
from userpools.domain import tokens as token_domain
from userpools.domain import users as user_domain
from userpools.domain.records import ClientRecord, PoolRecord, PoolResource, UserRecord
from userpools.domain.replicas import home_region, replica_in
from userpools.domain.resources import REPLICA_LOCKOUT, replica_lockout_key
from userpools.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    UserNotConfirmedException,
    UserNotFoundException,
)
from userpools.operations import devices, hooks, threats
from userpools.operations.common import check_secret_hash
from userpools.operations.context import Context
from userpools.operations.tokens import issue_for_sign_in
from userpools.operations.userstate import open_verifier, required_attributes_missing
from userpools.storage.ports import Transaction, WritesHeld
from userpools.triggers import events

INCORRECT = "Incorrect username or password."
LOCKED = "Password attempts exceeded"
SESSION_EXPIRED = "Invalid session for the user, session is expired."
SESSION_USED = "Invalid session for the user."  # [O: amplify-js#10959]
_SPENT_MARGIN = timedelta(minutes=1)  # keeps a spent nonce a little past its Session, for clock skew
SRP_STATE_MAX_AGE = timedelta(minutes=5)  # unconfirmed: how long Cognito keeps a PASSWORD_VERIFIER open
LOCKOUT_THRESHOLD = 5
LOCKOUT_CAP = timedelta(minutes=15)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NEW_PASSWORD_SOURCE = "TokenGeneration_NewPasswordChallenge"


@dataclass
class Attempt:
    """One sign-in request on its way through a flow. ``responding``: a RespondToAuthChallenge request (its
    ClientMetadata goes to the triggers as ``clientMetadata``), else an InitiateAuth one (``validationData``)."""

    ctx: Context
    tx: Transaction
    pool: PoolRecord
    client: ClientRecord
    params: dict[str, str]
    admin: bool
    client_metadata: dict[str, str] | None = None
    responding: bool = False
    failure: Exception | None = None  # raised after the transaction commits (so lockout counters stick)
    after: list[Callable[[], Awaitable[Any]]] = dataclasses.field(default_factory=list)
    """Trigger calls made after the transaction commits, before the answer goes out (PostAuthentication)."""
    finish: Callable[[Attempt, UserRecord, str], Awaitable[dict[str, Any]]] | None = None
    """What a successful sign-in ends with instead of tokens (the hosted UI: a session and a code); it gets
    the user and the PreTokenGeneration trigger source the tokens would have had."""
    context_data: dict[str, Any] | None = None
    """UserContextData (public operations) or ContextData (admin ones): threat protection reads them."""
    device_key: str | None = None
    """The known device (DEVICE_KEY) the sign-in is made from, whose key the access token claims; None: a
    pool that tracks devices registers a new one (NewDeviceMetadata)."""
    risk_mfa: bool = False
    """Threat protection asks for an MFA challenge (MFA_IF_CONFIGURED / MFA_REQUIRED), whatever the pool's
    MFA configuration (``operations.mfa_signin``)."""
    auth_event: dict[str, Any] | None = None
    """The auth event threat protection recorded for this sign-in, which the MFA answer completes."""

    def screened(self, screening: threats.Screening) -> None:
        """Takes threat protection's decision: its failure (raised after the commit), its MFA, its event."""
        self.failure = screening.failure
        self.risk_mfa = screening.mfa
        self.auth_event = screening.event

    def risk_data(self) -> dict[str, Any]:
        """What a challenge's Session carries of threat protection's decision to the next step."""
        out: dict[str, Any] = {}
        if self.risk_mfa:
            out["risk_mfa"] = True
        if self.auth_event is not None:
            out["event"] = self.auth_event
        return out

    def resume(self, data: dict[str, Any]) -> None:
        """Threat protection's decision, from the Session of the challenge being answered."""
        self.risk_mfa = bool(data.get("risk_mfa"))
        self.auth_event = data.get("event")

    def seen(self) -> threats.Seen:
        return threats.seen(self.client, self.context_data, admin=self.admin)

    @property
    def validation_data(self) -> dict[str, str] | None:
        """PreAuthentication's and UserMigration's ``validationData``: InitiateAuth's ClientMetadata."""
        return None if self.responding else self.client_metadata

    @property
    def trigger_metadata(self) -> dict[str, str] | None:
        """The ``clientMetadata`` of the other sign-in triggers: RespondToAuthChallenge's ClientMetadata."""
        return self.client_metadata if self.responding else None

    @property
    def hides_user_existence(self) -> bool:
        return self.client.settings.get("PreventUserExistenceErrors") == "ENABLED"

    def session_minutes(self) -> int:
        return int(self.client.settings.get("AuthSessionValidity") or 3)


Flow = Callable[[Attempt], Awaitable[dict[str, Any]]]


def require(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise InvalidParameterException(f"Missing required parameter {name}")
    return value


# InvalidParameterException's message for a flow the client does not allow: each as real pools answer it
# [O: USER_PASSWORD_AUTH in many reports; ADMIN_USER_PASSWORD_AUTH ("Auth flow not enabled for this client")
# from AdminInitiateAuth calls in several projects; USER_SRP_AUTH from a pycognito project probing real pools
# and from Amplify users; CUSTOM_AUTH in the error tables of several Amplify apps]. REFRESH_TOKEN_AUTH's is
# unconfirmed: the form of the flows that became switchable in the same 2019 release (SRP, custom) [U].
FLOW_NOT_ENABLED = {
    "USER_PASSWORD_AUTH": "USER_PASSWORD_AUTH flow not enabled for this client",
    "ADMIN_USER_PASSWORD_AUTH": "Auth flow not enabled for this client",
    "ADMIN_NO_SRP_AUTH": "Auth flow not enabled for this client",
    "USER_SRP_AUTH": "USER_SRP_AUTH is not enabled for the client.",
    "CUSTOM_AUTH": "CUSTOM_AUTH is not enabled for the client.",
    "REFRESH_TOKEN_AUTH": "REFRESH_TOKEN_AUTH is not enabled for the client.",
    "REFRESH_TOKEN": "REFRESH_TOKEN_AUTH is not enabled for the client.",
    "USER_AUTH": "USER_AUTH is not enabled for the client.",  # [U] wording, the form of its neighbours
}


def check_flow_enabled(client: ClientRecord, flow: str) -> None:
    """The client's ExplicitAuthFlows allow ``flow`` (legacy values included, ``domain.clients``); checked
    before the user is looked up, as Cognito does [O: a flow that is off is refused even for a user that
    does not exist]."""
    if flow not in client_domain.enabled_auth_flows(client.settings):
        raise InvalidParameterException(FLOW_NOT_ENABLED[flow])


def _secondary_region(a: Attempt) -> str | None:
    """This server's Region when it serves the pool as a secondary replica (one dict lookup otherwise)."""
    if not a.pool.settings.get("Replicas"):
        return None
    region = a.ctx.settings.region
    if region == home_region(a.pool.id) or replica_in(a.pool, region) is None:
        return None
    return region


async def _region_counters(a: Attempt, user: UserRecord, region: str, *,
                           for_update: bool = False) -> tuple[UserRecord, PoolResource | None]:
    """The user with the secondary Region's own lockout counters (Cognito's are per replica [DG-mrr])."""
    key = replica_lockout_key(a.pool.id, region, user.username_key)
    found = await a.tx.resources.get(REPLICA_LOCKOUT, key, for_update=for_update)
    document = found.document if found is not None else {}
    locked = document.get("locked_until")
    return records.replace(
        user, failed_attempts=int(document.get("failed_attempts") or 0),
        locked_until=datetime.fromisoformat(locked) if locked else None,
    ), found


async def check_state(a: Attempt, user: UserRecord) -> None:
    """The user's state allows a sign-in to start (disabled, reset required, unconfirmed, locked out)."""
    region = _secondary_region(a)
    if region is not None:
        user, _found = await _region_counters(a, user, region)
    now = a.ctx.clock.now()
    if not user.enabled:
        raise NotAuthorizedException("User is disabled.")
    if user.status == "RESET_REQUIRED":
        raise PasswordResetRequiredException("Password reset required for the user")
    if user.status == "UNCONFIRMED":
        raise UserNotConfirmedException("User is not confirmed.")
    if user.locked_until is not None and user.locked_until > now:
        raise NotAuthorizedException(LOCKED)


async def record_failure(a: Attempt, user: UserRecord) -> None:
    """Counts a wrong password. From the fifth on, the user is locked for 2^(n−5) seconds (capped at 15
    minutes); a quiet quarter of an hour starts the count again (auth.md §3)."""
    now = a.ctx.clock.now()
    region = _secondary_region(a)
    found = None
    if region is not None:
        user, found = await _region_counters(a, user, region, for_update=True)
    quiet = user.locked_until is None or now - user.locked_until > LOCKOUT_CAP
    count = 1 if (quiet and user.failed_attempts >= LOCKOUT_THRESHOLD) else user.failed_attempts + 1
    locked_until = user.locked_until
    if count >= LOCKOUT_THRESHOLD:
        locked_until = now + min(timedelta(seconds=2 ** (count - LOCKOUT_THRESHOLD)), LOCKOUT_CAP)
    if region is None:
        await _count(a.tx, records.replace(user, failed_attempts=count, locked_until=locked_until,
                                           updated_at=user.updated_at))
    else:
        document = {"failed_attempts": count, "locked_until": locked_until.isoformat() if locked_until else None}
        if found is None:
            await a.tx.resources.insert(PoolResource(
                kind=REPLICA_LOCKOUT, key=replica_lockout_key(a.pool.id, region, user.username_key),
                pool_id=a.pool.id, created_at=now, updated_at=now, document=document))
        else:
            await a.tx.resources.update(records.replace(found, document=document, updated_at=now))
    if threats.mode(a.pool) is not None:
        await threats.sign_in_failed(a.ctx, a.tx, a.pool, a.client, user, a.seen())
    a.failure = NotAuthorizedException(INCORRECT)
    metrics.METRICS.sign_in_failed(locked=count >= LOCKOUT_THRESHOLD)


async def pre_authentication(a: Attempt, user: UserRecord | None, name: str) -> None:
    """The PreAuthentication trigger (``user`` None: no user has ``name``, which only a client hiding user
    existence reports to it)."""
    if not hooks.has(a.pool, "PreAuthentication"):
        return
    event = events.pre_authentication(
        hooks.caller(a.pool, user.username if user else name, a.client.id),
        user_attributes=hooks.attributes(a.pool, user) if user else {},
        validation_data=a.validation_data,
        user_not_found=(user is None) if a.hides_user_existence else None,
    )
    await hooks.run(a.ctx, a.pool, "PreAuthentication", event)


async def unknown_user(a: Attempt, name: str) -> dict[str, Any]:
    """No user has ``name``: UserNotFoundException, or "Incorrect username or password." when the client
    hides user existence (after PreAuthentication has been told)."""
    if a.hides_user_existence:
        await pre_authentication(a, None, name)
        raise NotAuthorizedException(INCORRECT)
    raise UserNotFoundException("User does not exist.")


async def signed_in(a: Attempt, user: UserRecord, *,
                    source: str = "TokenGeneration_Authentication") -> dict[str, Any]:
    """The sign-in succeeded: the tokens (PreTokenGeneration first), then PostAuthentication once the
    transaction has committed — outside it, because such functions often call back into the pool (say,
    AdminUpdateUserAttributes with a last-login time). Its failure still fails the sign-in: the tokens are
    not given out. (Cognito calls PostAuthentication before PreTokenGeneration; unconfirmed whether any
    function can tell.)"""
    if hooks.has(a.pool, "PostAuthentication"):
        event = events.post_authentication(
            hooks.caller(a.pool, user.username, a.client.id), user_attributes=hooks.attributes(a.pool, user),
            client_metadata=a.trigger_metadata,
        )
        a.after.append(lambda: hooks.run(a.ctx, a.pool, "PostAuthentication", event))
    if a.finish is not None:
        return await a.finish(a, user, source)
    device = None
    if a.device_key is None and device_domain.tracking_on(a.pool.settings):
        # A pool that tracks devices registers the one signed in from, unless a known one was named [C: BC
        # NewDeviceMetadataType]; the client confirms it (ConfirmDevice) with its verifier.
        device = await devices.new_device(a.ctx, a.tx, a.pool, user)
    result = await issue_for_sign_in(a.ctx, a.tx, a.pool, a.client, user, source=source,
                                     client_metadata=a.trigger_metadata,
                                     device_key=device.device_key if device is not None else a.device_key)
    if device is not None:
        result["NewDeviceMetadata"] = {"DeviceKey": device.device_key, "DeviceGroupKey": device.group_key}
    return {"ChallengeParameters": {}, "AuthenticationResult": result}


async def password_accepted(a: Attempt, user: UserRecord) -> UserRecord:
    """The password was right: the failure count starts again (a secondary Region's own count there)."""
    region = _secondary_region(a)
    if region is not None:
        if await a.tx.resources.get(REPLICA_LOCKOUT, replica_lockout_key(a.pool.id, region, user.username_key)):
            await a.tx.resources.delete(REPLICA_LOCKOUT, replica_lockout_key(a.pool.id, region, user.username_key))
        return user
    if user.failed_attempts or user.locked_until:
        user = records.replace(user, failed_attempts=0, locked_until=None)
        await _count(a.tx, user)
    return user


async def _count(tx: Transaction, user: UserRecord) -> None:
    """Writes a sign-in's count of failed attempts. While a point-in-time recovery holds the pool's user writes
    (the store's WritesHeld, in a savepoint so the rest goes on) the count waits: sign-in still works,
    as Cognito's does during a recovery."""
    try:
        async with tx.savepoint():
            await tx.users.update(user)
    except WritesHeld:
        pass


def temporary_password_expired(a: Attempt, user: UserRecord) -> bool:
    policy = (a.pool.settings.get("Policies") or {}).get("PasswordPolicy") or {}
    days = int(policy.get("TemporaryPasswordValidityDays") or 7)
    return bool(user.password_changed_at and user.password_changed_at + timedelta(days=days) < a.ctx.clock.now())


def new_password_challenge(a: Attempt, user: UserRecord, *, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """NEW_PASSWORD_REQUIRED; ``data`` carries a custom sign-in on through it."""
    required = required_attributes_missing(a.pool, user.attributes)
    visible = {k: v for k, v in user.attributes.items() if k not in ("email_verified", "phone_number_verified")}
    session = token_domain.seal_session(
        pool_id=a.pool.id, client_id=a.client.id, username=user.username, challenge_name="NEW_PASSWORD_REQUIRED",
        now=a.ctx.clock.now(), validity_minutes=a.session_minutes(), cipher=a.ctx.cipher, data=data,
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


def parse_srp_a(a_hex: str) -> int:
    try:
        big_a = srp.parse_hex(a_hex)
    except ValueError:
        raise InvalidParameterException("SRP_A is not a valid hex number") from None
    if big_a % srp.N == 0:
        raise NotAuthorizedException(INCORRECT)
    return big_a


def srp_parameters(a: Attempt, user: UserRecord, big_a: int) -> dict[str, str]:
    """PASSWORD_VERIFIER's ChallengeParameters: the server's B and the salt, and a SECRET_BLOCK that carries
    the state to the second step."""
    if user.password_ciphertext is None:
        raise NotAuthorizedException(INCORRECT)
    verifier = open_verifier(a.ctx, user)
    b, big_b = srp.server_ephemeral(verifier.verifier)
    state = srp.SrpState(
        pool_id=a.pool.id, client_id=a.client.id, username=user.username, A=big_a, b=b, B=big_b,
        issued_at=a.ctx.clock.now(),
    )
    return {
        "SALT": srp.salt_hex(verifier.salt),
        "SECRET_BLOCK": srp.seal_state(state, a.ctx.cipher),
        "SRP_B": srp.to_pad_hex(big_b),
        "USERNAME": user.username,
        "USER_ID_FOR_SRP": user.username,
    }


def fake_srp_parameters(a: Attempt, name: str, big_a: int) -> dict[str, str]:
    """PreventUserExistenceErrors: parameters indistinguishable from a real user's; the second step then
    fails with "Incorrect username or password."."""
    b, big_b = srp.server_ephemeral(int.from_bytes(ids.random_bytes(48), "big"))
    state = srp.SrpState(
        pool_id=a.pool.id, client_id=a.client.id, username=name, A=big_a, b=b, B=big_b,
        issued_at=a.ctx.clock.now(),
    )
    return {
        "SALT": srp.salt_hex(ids.random_bytes(16)),
        "SECRET_BLOCK": srp.seal_state(state, a.ctx.cipher),
        "SRP_B": srp.to_pad_hex(big_b),
        "USERNAME": name,
        "USER_ID_FOR_SRP": name,
    }


async def verify_password_claim(a: Attempt) -> UserRecord | None:
    """PASSWORD_VERIFIER's answer checked against the key derived from the state in the SECRET_BLOCK: the
    user when right; None when the signature is wrong (the failure counted and set on the attempt). Other
    problems raise NotAuthorizedException "Incorrect username or password."."""
    block = require(a.params, "PASSWORD_CLAIM_SECRET_BLOCK")
    signature = require(a.params, "PASSWORD_CLAIM_SIGNATURE")
    timestamp = require(a.params, "TIMESTAMP")
    name = require(a.params, "USERNAME")
    state = srp.open_state(block, a.ctx.cipher, now=a.ctx.clock.now(), max_age=SRP_STATE_MAX_AGE)
    if state is None or state.client_id != a.client.id or state.pool_id != a.pool.id:
        raise NotAuthorizedException(INCORRECT)
    user = await a.tx.users.get(a.pool.id, user_domain.username_key(a.pool.settings, state.username),
                                for_update=True)
    if user is None:
        raise NotAuthorizedException(INCORRECT)
    check_secret_hash(a.ctx, a.client, a.params.get("SECRET_HASH"), name, user.username)
    await check_state(a, user)
    if user.password_ciphertext is None or srp.parse_timestamp(timestamp) is None:
        raise NotAuthorizedException(INCORRECT)
    verifier = open_verifier(a.ctx, user)
    try:
        key = srp.session_key(state.A, state.B, state.b, verifier.verifier)
    except ValueError:
        raise NotAuthorizedException(INCORRECT) from None
    if not srp.check_signature(key, a.pool.id, state.username, block, timestamp, signature):
        await record_failure(a, user)
        return None
    return user


def open_session(a: Attempt, session: str | None) -> token_domain.SessionClaims | None:
    """The Session of this pool and client, if it is one this deployment sealed and it has not expired."""
    opened = token_domain.open_session(session or "", cipher=a.ctx.cipher, now=a.ctx.clock.now())
    if opened is None or opened.client_id != a.client.id or opened.pool_id != a.pool.id:
        return None
    return opened


async def spend_session(tx: Transaction, opened: token_domain.SessionClaims) -> None:
    """Marks a challenge's Session used, in the store's counters every server process shares; one used
    already is refused with "Invalid session for the user." (of two answers racing with one Session, exactly
    one gets past this: the second waits on the counter's row and then sees it spent)."""
    uses = await tx.counters.hit(session_key(opened), EPOCH, expires_at=opened.expires_at + _SPENT_MARGIN)
    if uses > 1:
        raise NotAuthorizedException(SESSION_USED)


def session_key(opened: token_domain.SessionClaims) -> str:
    """The counter that marks a Session spent (its window: EPOCH)."""
    return f"session:{opened.nonce}"

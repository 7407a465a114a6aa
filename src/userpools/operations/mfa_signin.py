"""The second factor of a sign-in: which MFA challenge follows a right first factor (USER_PASSWORD_AUTH,
USER_SRP_AUTH, ADMIN_USER_PASSWORD_AUTH, CUSTOM_AUTH, and a NEW_PASSWORD_REQUIRED answered), and the
answers to SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP, SELECT_MFA_TYPE and MFA_SETUP.

Order [C: BC RespondToAuthChallenge; mfa-passwordless.md §1.4, §5]: MFA_SETUP (pool ON, no factor) →
SELECT_MFA_TYPE (several, none preferred) → SMS_MFA / SOFTWARE_TOKEN_MFA / EMAIL_OTP → tokens. The rules
that choose live in ``domain.mfa``; this module issues the challenges and checks the answers. The challenges
are a table (``CHALLENGES``, challenge name → responder) that ``operations.auth`` merges into its own, and
``ISSUERS`` (factor → how its challenge is issued), so a later factor is one entry in each.

Sessions are the sealed Sessions of ``operations.signin`` with ``data.flow == "mfa"``: each challenge has
its own, good for one accepted answer (``signin.spend_session``, as CUSTOM_AUTH's: a second use anywhere is
"Invalid session for the user."). A wrong code keeps the Session for another try, up to
``MAX_WRONG_CODES`` [U: Cognito's retry rule is not documented; it does allow retries (O: the brute-force
report robor-systems/tokapi-beta#27)]; then the Session is dead. The Session also dies when the password
changes meanwhile (AdminSetUserPassword) [U], and the user's state is checked again at every answer
(disabled, locked out, reset required).

SMS and email codes are 6 digits, single use, valid as long as the Session (AuthSessionValidity, 3 minutes by
default [C: DG23 mfa-sms]); kept as keyed hashes bound to the challenge's own id, so only the latest
challenge's code works. A code sent to an unverified phone or email verifies it when answered [C: DG23].
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import orjson

from userpools import ids
from userpools.crypto import totp
from userpools.crypto.codes import new_code
from userpools.delivery.messages import Message, mask_destination, mfa_message
from userpools.domain import mfa as mfa_domain
from userpools.domain import records
from userpools.domain import tokens as token_domain
from userpools.domain import users as user_domain
from userpools.domain.records import ClientRecord, CodeRecord, PoolRecord, UserRecord
from userpools.errors import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    MFAMethodNotFoundException,
    NotAuthorizedException,
)
from userpools.operations import device_signin, replica_guard, signin, threats
from userpools.operations.common import check_secret_hash
from userpools.operations.context import Context
from userpools.operations.signin import Attempt
from userpools.operations.userstate import dispatch_message, store_aliases
from userpools.storage.ports import Transaction

FLOW = "mfa"
AUTHENTICATION = "TokenGeneration_Authentication"
SESSION_USED = signin.SESSION_USED
MISMATCH = "Invalid code or auth state for the user."  # [O: amplify-js#3066, #11069]
TOKEN_USED = "Your software token has already been used once."  # [O: moto aws_verified]
CODE_EXPIRED = "Invalid code or auth state for the user."  # [U] ExpiredCodeException's text here
MAX_WRONG_CODES = 5  # [U]
CODE_PURPOSE = "mfa"
_SPENT_MARGIN = timedelta(minutes=1)
SMS_OTP = "SMS_OTP"  # USER_AUTH's passwordless SMS first factor (``operations.passwordless``)
PASSWORDLESS_DIGITS = 8  # passwordless sign-in codes [O: amplify-js#14428 maintainer]
_MEDIUM = {mfa_domain.SMS_MFA: ("SMS", "phone_number"), mfa_domain.EMAIL_OTP: ("EMAIL", "email"),
           SMS_OTP: ("SMS", "phone_number")}
_CODE_ANSWER = {mfa_domain.SMS_MFA: "SMS_MFA_CODE", mfa_domain.EMAIL_OTP: "EMAIL_OTP_CODE",
                SMS_OTP: "SMS_OTP_CODE"}


def is_mfa(opened: token_domain.SessionClaims) -> bool:
    return opened.data.get("flow") == FLOW


def _password_mark(user: UserRecord) -> str:
    """Tells one stored password from the next (each is encrypted afresh), so a Session dies with it."""
    return hashlib.sha256(user.password_ciphertext or b"").hexdigest()[:16]


# --- issuing ---------------------------------------------------------------------------------------------


async def after_first_factor(a: Attempt, user: UserRecord, *, source: str = AUTHENTICATION) -> dict[str, Any]:
    """The first factor was right (and any new password set): the MFA challenge the user owes, or tokens."""
    device = await device_signin.known_device(a, user)
    if device is not None:
        a.device_key = device.device_key
    step = mfa_domain.next_step(a.pool.settings, user.extra, user.attributes)
    if a.risk_mfa and step.kind == "tokens":  # threat protection's MFA, whatever the pool's configuration
        step = mfa_domain.risk_step(a.pool.settings, user.extra, user.attributes) or step
    if step.kind == "tokens":
        return await signin.signed_in(a, user, source=source)
    if device is not None and not a.risk_mfa and device_signin.replaces_mfa(a, device):
        return device_signin.challenge(a, user, device, source)
    data = session_data(user, source)
    if a.auth_event is not None:
        data["event"] = a.auth_event
    if device is not None:
        data["device"] = device.device_key
    if step.kind == "setup":
        return _listing(a, user, "MFA_SETUP", "MFAS_CAN_SETUP", step.factors, data)
    if step.kind == "select":
        return _listing(a, user, "SELECT_MFA_TYPE", "MFAS_CAN_CHOOSE", step.factors, data)
    return await ISSUERS[step.factors[0]](a, user, data)


def session_data(user: UserRecord, source: str = AUTHENTICATION) -> dict[str, Any]:
    """What every challenge Session of this module carries: the flow, the token source, the password's mark."""
    return {"flow": FLOW, "source": source, "pw": _password_mark(user)}


def seal(ctx: Context, pool: PoolRecord, client: ClientRecord, user: UserRecord, challenge: str,
         data: dict[str, Any]) -> str:
    return token_domain.seal_session(
        pool_id=pool.id, client_id=client.id, username=user.username, challenge_name=challenge,
        now=ctx.clock.now(), validity_minutes=int(client.settings.get("AuthSessionValidity") or 3),
        cipher=ctx.cipher, data=data,
    )


def _listing(a: Attempt, user: UserRecord, challenge: str, member: str, factors: tuple[str, ...],
             data: dict[str, Any]) -> dict[str, Any]:
    """MFA_SETUP / SELECT_MFA_TYPE: the factors as a JSON-array string [C: BC; AMP6]."""
    return {
        "ChallengeName": challenge,
        "Session": seal(a.ctx, a.pool, a.client, user, challenge, {**data, "choices": list(factors)}),
        "ChallengeParameters": {member: orjson.dumps(list(factors)).decode(), "USER_ID_FOR_SRP": user.username},
    }


async def issue_code(a: Attempt, user: UserRecord, data: dict[str, Any], factor: str, *,
                     digits: int = 6) -> dict[str, Any]:
    """SMS_MFA / EMAIL_OTP (and USER_AUTH's EMAIL_OTP / SMS_OTP, with 8 digits): a new code to the user's
    phone / email, through the pool's delivery (CustomMessage_Authentication, the custom senders), valid as
    long as the Session. A passwordless code's Session is an MFA one: its right answer ends in tokens."""
    medium, attribute = _MEDIUM[factor]
    destination = user.attributes[attribute]
    code_id = ids.token_urlsafe(12)
    code = new_code(digits)
    now = a.ctx.clock.now()
    validity = timedelta(minutes=a.session_minutes())
    await a.tx.codes.put(CodeRecord(
        pool_id=a.pool.id, username_key=user.username_key, purpose=CODE_PURPOSE,
        code_hash=a.ctx.codes.hash(a.pool.id, user.username_key, f"{CODE_PURPOSE}:{code_id}", code),
        created_at=now, expires_at=now + validity,
    ))
    message = mfa_message(a.pool.settings, pool_id=a.pool.id, username=user.username, medium=medium,
                          destination=destination, code=code)
    pending: list[Message] = []
    await dispatch_message(a.ctx, a.tx, a.pool, message, pending, user=user, client_id=a.client.id,
                           client_metadata=a.trigger_metadata)

    async def announce() -> None:
        a.ctx.outbox.announce(pending)

    a.after.append(announce)
    return {
        "ChallengeName": factor,
        "Session": seal(a.ctx, a.pool, a.client, user, factor, {**data, "code": code_id}),
        "ChallengeParameters": {
            "CODE_DELIVERY_DELIVERY_MEDIUM": medium,
            "CODE_DELIVERY_DESTINATION": mask_destination(medium, destination),
            "USER_ID_FOR_SRP": user.username,
        },
    }


async def _issue_sms(a: Attempt, user: UserRecord, data: dict[str, Any]) -> dict[str, Any]:
    return await issue_code(a, user, data, mfa_domain.SMS_MFA)


async def _issue_email(a: Attempt, user: UserRecord, data: dict[str, Any]) -> dict[str, Any]:
    return await issue_code(a, user, data, mfa_domain.EMAIL_OTP)


async def _issue_token(a: Attempt, user: UserRecord, data: dict[str, Any]) -> dict[str, Any]:
    """SOFTWARE_TOKEN_MFA: nothing is sent; the parameters name the user only [U]."""
    challenge = mfa_domain.SOFTWARE_TOKEN_MFA
    return {
        "ChallengeName": challenge,
        "Session": seal(a.ctx, a.pool, a.client, user, challenge, data),
        "ChallengeParameters": {"USER_ID_FOR_SRP": user.username},
    }


Issuer = Callable[[Attempt, UserRecord, dict[str, Any]], Awaitable[dict[str, Any]]]
ISSUERS: dict[str, Issuer] = {
    mfa_domain.SMS_MFA: _issue_sms,
    mfa_domain.SOFTWARE_TOKEN_MFA: _issue_token,
    mfa_domain.EMAIL_OTP: _issue_email,
}


# --- Sessions --------------------------------------------------------------------------------------------


async def _wrong_code(a: Attempt, opened: token_domain.SessionClaims) -> dict[str, Any]:
    """A wrong code: counted against the Session (committed), then CodeMismatchException."""
    await a.tx.counters.hit(f"mfa-wrong:{opened.nonce}", signin.EPOCH,
                            expires_at=opened.expires_at + _SPENT_MARGIN)
    if opened.data.get("event"):
        await threats.mfa_answered(a.tx, a.pool, user_domain.username_key(a.pool.settings, opened.username),
                                   opened.data["event"], success=False)
    a.failure = CodeMismatchException(MISMATCH)
    return {}


def session_user_matches(user: UserRecord, opened: token_domain.SessionClaims) -> bool:
    """The user is still the one the Session was issued to, with the same password and able to sign in."""
    return _password_mark(user) == opened.data.get("pw", "") and user.status != "FORCE_CHANGE_PASSWORD"


async def open_challenge(a: Attempt, session: str | None, challenge: str) -> tuple[token_domain.SessionClaims, UserRecord]:
    """The Session of this MFA challenge and its user, after the checks every answer gets."""
    opened = signin.open_session(a, session)
    if opened is None or opened.challenge_name != challenge or not is_mfa(opened):
        raise NotAuthorizedException(signin.SESSION_EXPIRED)
    name = signin.require(a.params, "USERNAME")
    user = await a.tx.users.get(a.pool.id, user_domain.username_key(a.pool.settings, opened.username),
                                for_update=True)
    if user is None:
        raise NotAuthorizedException(signin.SESSION_EXPIRED)
    check_secret_hash(a.ctx, a.client, a.params.get("SECRET_HASH"), name, user.username)
    await signin.check_state(a, user)
    spent, wrong = await a.tx.counters.peek_two(signin.session_key(opened), f"mfa-wrong:{opened.nonce}", signin.EPOCH)
    if spent:
        raise NotAuthorizedException(SESSION_USED)
    if not session_user_matches(user, opened):
        raise NotAuthorizedException(signin.SESSION_EXPIRED)
    if wrong >= MAX_WRONG_CODES:
        raise NotAuthorizedException(signin.SESSION_EXPIRED)
    return opened, user


async def _tokens(a: Attempt, user: UserRecord, opened: token_domain.SessionClaims) -> dict[str, Any]:
    await signin.spend_session(a.tx, opened)
    if opened.data.get("event"):
        await threats.mfa_answered(a.tx, a.pool, user.username_key, opened.data["event"], success=True)
    if opened.data.get("device"):  # the known device the sign-in started with
        a.device_key = str(opened.data["device"])
    return await signin.signed_in(a, user, source=str(opened.data.get("source") or AUTHENTICATION))


async def open_setup_session(ctx: Context, tx: Transaction, session: str) -> tuple[
        token_domain.SessionClaims, PoolRecord, ClientRecord, UserRecord]:
    """The MFA_SETUP Session that AssociateSoftwareToken / VerifySoftwareToken carry on, spent (each step
    returns the next Session), with its pool, client and user."""
    opened = token_domain.open_session(session, cipher=ctx.cipher, now=ctx.clock.now())
    if opened is None or opened.challenge_name != "MFA_SETUP" or not is_mfa(opened):
        raise NotAuthorizedException(signin.SESSION_EXPIRED)
    pool = await tx.pools.get(opened.pool_id)
    if pool is not None:
        replica_guard.check(pool)  # no TOTP set-up in a secondary Region [DG-mrr]
    client = await tx.clients.get(opened.client_id)
    user = None if pool is None else await tx.users.get(
        pool.id, user_domain.username_key(pool.settings, opened.username), for_update=True)
    if pool is None or client is None or user is None or not session_user_matches(user, opened):
        raise NotAuthorizedException(signin.SESSION_EXPIRED)
    if not user.enabled:
        raise NotAuthorizedException("User is disabled.")
    await signin.spend_session(tx, opened)
    return opened, pool, client, user


# --- the answers -----------------------------------------------------------------------------------------


async def _code_answer(a: Attempt, session: str | None, factor: str) -> dict[str, Any]:
    opened, user = await open_challenge(a, session, factor)
    answer = signin.require(a.params, _CODE_ANSWER[factor])
    record = await a.tx.codes.get(a.pool.id, user.username_key, CODE_PURPOSE, for_update=True)
    if record is None or record.expires_at <= a.ctx.clock.now():
        raise ExpiredCodeException(CODE_EXPIRED)
    purpose = f"{CODE_PURPOSE}:{opened.data.get('code', '')}"
    if not a.ctx.codes.matches(record.code_hash, a.pool.id, user.username_key, purpose, answer):
        return await _wrong_code(a, opened)
    await a.tx.codes.delete(a.pool.id, user.username_key, CODE_PURPOSE)
    attribute = _MEDIUM[factor][1]
    if user.attributes.get(f"{attribute}_verified") != "true":  # the code proves the channel [C: DG23]
        attributes = {**user.attributes, f"{attribute}_verified": "true"}
        user = records.replace(user, attributes=attributes, updated_at=a.ctx.clock.now())
        await a.tx.users.update(user)
        await store_aliases(a.tx, a.pool, user)
    if opened.data.get("enable") == factor:  # set up inside this sign-in (MFA_SETUP with EMAIL)
        extra = mfa_domain.with_factors(user.extra, [*mfa_domain.enabled_factors(user.extra), factor],
                                        user.extra.get("PreferredMfaSetting"))
        user = records.replace(user, extra=extra, updated_at=a.ctx.clock.now())
        await a.tx.users.update(user)
    return await _tokens(a, user, opened)


async def _sms_mfa(a: Attempt, session: str | None) -> dict[str, Any]:
    return await _code_answer(a, session, mfa_domain.SMS_MFA)


async def _email_otp(a: Attempt, session: str | None) -> dict[str, Any]:
    return await _code_answer(a, session, mfa_domain.EMAIL_OTP)


async def _sms_otp(a: Attempt, session: str | None) -> dict[str, Any]:
    return await _code_answer(a, session, SMS_OTP)


async def _software_token_mfa(a: Attempt, session: str | None) -> dict[str, Any]:
    opened, user = await open_challenge(a, session, mfa_domain.SOFTWARE_TOKEN_MFA)
    answer = signin.require(a.params, "SOFTWARE_TOKEN_MFA_CODE")
    if not mfa_domain.token_verified(user.extra):  # deleted meanwhile (AdminDeleteSoftwareToken)
        raise MFAMethodNotFoundException("Software token MFA is not set up for the user.")  # [U] wording
    step = check_totp(a.ctx, a.pool, user, answer)
    if step is None:
        return await _wrong_code(a, opened)
    user = with_used_step(user, step)
    await a.tx.users.set_extra(user)  # the step alone: the rest of the user is as it was read
    return await _tokens(a, user, opened)


def check_totp(ctx: Context, pool: PoolRecord, user: UserRecord, code: str, *,
               sealed: str | None = None) -> int | None:
    """The step of a right TOTP code for the user's verified secret (or ``sealed``, a pending one); None if
    wrong. A step already used raises ExpiredCodeException [O: moto aws_verified]."""
    state = user.extra.get(mfa_domain.TOKEN) or {}
    secret = totp.unseal(sealed or state["Secret"], ctx.cipher, owner=_owner(pool, user))
    step = totp.matching_step(secret, code, ctx.clock.now())
    last = -1 if sealed else int(state.get("LastStep", -1))
    if step is not None and step <= last:
        raise ExpiredCodeException(TOKEN_USED)
    return step


def with_used_step(user: UserRecord, step: int) -> UserRecord:
    state = dict(user.extra.get(mfa_domain.TOKEN) or {})
    state["LastStep"] = step
    return records.replace(user, extra={**user.extra, mfa_domain.TOKEN: state})


def _owner(pool: PoolRecord, user: UserRecord) -> str:
    return f"{pool.id}/{user.sub}"


def seal_secret(ctx: Context, pool: PoolRecord, user: UserRecord, secret: str) -> str:
    return totp.seal(secret, ctx.cipher, owner=_owner(pool, user))


async def _select_mfa_type(a: Attempt, session: str | None) -> dict[str, Any]:
    """SELECT_MFA_TYPE: ANSWER names one of MFAS_CAN_CHOOSE (EMAIL_MFA taken for EMAIL_OTP [C: BC docs; AMP6]);
    its challenge follows."""
    opened, user = await open_challenge(a, session, "SELECT_MFA_TYPE")
    answer = signin.require(a.params, "ANSWER")
    factor = mfa_domain.ANSWER_ALIASES.get(answer, answer)
    if factor not in (opened.data.get("choices") or []):
        raise MFAMethodNotFoundException(f"MFA method {answer} is not available for the user.")  # [U] wording
    await signin.spend_session(a.tx, opened)
    data = {k: v for k, v in opened.data.items() if k != "choices"}
    return await ISSUERS[factor](a, user, data)


async def _mfa_setup(a: Attempt, session: str | None) -> dict[str, Any]:
    """MFA_SETUP, answered with the Session VerifySoftwareToken returned (the token verified): tokens. Or,
    as Amplify sets up email MFA, with ``EMAIL`` (the address) and the challenge's own Session: the address
    becomes the user's email and an EMAIL_OTP challenge follows, whose right code verifies the address and
    enables the factor [C: AMP6 handleMFASetupChallenge sends {USERNAME, EMAIL}; U: what Cognito answers]."""
    opened, user = await open_challenge(a, session, "MFA_SETUP")
    if opened.data.get("verified"):
        return await _tokens(a, user, opened)
    address = a.params.get("EMAIL")
    if address and mfa_domain.EMAIL_OTP in (opened.data.get("choices") or []):
        update = user_domain.validate_attribute_update(
            a.pool.settings, user.attributes, [{"Name": "email", "Value": address}], for_admin=True,
            write_attributes=None,
        )
        user = records.replace(user, attributes=update["attributes"], updated_at=a.ctx.clock.now())
        await a.tx.users.update(user)
        await store_aliases(a.tx, a.pool, user)
        await signin.spend_session(a.tx, opened)
        data = {k: v for k, v in opened.data.items() if k != "choices"}
        return await _issue_email(a, user, {**data, "enable": mfa_domain.EMAIL_OTP})
    # Only TOTP (and, as above, email) can be set up inside the sign-in; SMS needs the phone attribute
    # first [C: BC]. [U] text
    raise InvalidParameterException("Software token MFA must be verified with VerifySoftwareToken "
                                    "before MFA_SETUP is answered.")


Responder = Callable[[Attempt, str | None], Awaitable[dict[str, Any]]]
CHALLENGES: dict[str, Responder] = {
    "SMS_MFA": _sms_mfa,
    "SOFTWARE_TOKEN_MFA": _software_token_mfa,
    "EMAIL_OTP": _email_otp,
    SMS_OTP: _sms_otp,
    "SELECT_MFA_TYPE": _select_mfa_type,
    "MFA_SETUP": _mfa_setup,
}

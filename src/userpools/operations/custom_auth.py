"""CUSTOM_AUTH: InitiateAuth / AdminInitiateAuth with AuthFlow CUSTOM_AUTH, and the CUSTOM_CHALLENGE and
PASSWORD_VERIFIER answers of RespondToAuthChallenge that continue it, driven by the pool's
DefineAuthChallenge, CreateAuthChallenge and VerifyAuthChallengeResponse triggers.

The loop [C: Developer Guide, "Custom authentication flow and challenges", the three trigger pages]:

1. InitiateAuth(USERNAME[, CHALLENGE_NAME=SRP_A, SRP_A]) → PreAuthentication → DefineAuthChallenge with the
   session list so far (``[SRP_A: true]`` when SRP comes first, else empty).
2. Define answers ``failAuthentication`` → NotAuthorizedException "Incorrect username or password.";
   ``issueTokens`` → PostAuthentication, PreTokenGeneration, tokens; ``challengeName`` CUSTOM_CHALLENGE →
   CreateAuthChallenge, whose ``publicChallengeParameters`` (plus USERNAME) are the ChallengeParameters, while
   its ``privateChallengeParameters`` and ``challengeMetadata`` stay in the sealed Session; PASSWORD_VERIFIER
   (right after SRP_A) → the SRP challenge of USER_SRP_AUTH, with a Session.
3. RespondToAuthChallenge(CUSTOM_CHALLENGE, {USERNAME, ANSWER}) → VerifyAuthChallengeResponse →
   ``[…, CUSTOM_CHALLENGE: answerCorrect, metadata]`` → Define again. PASSWORD_VERIFIER answered right →
   ``[…, PASSWORD_VERIFIER: true]`` → Define again (a user with a temporary password is asked for a new one
   first, and ``NEW_PASSWORD_REQUIRED: true`` joins the list [U]); answered wrong → counted like any wrong
   password and NotAuthorizedException [U: whether Define is asked instead].

Every answer comes with a fresh Session, and a Session is good for one answer: its nonce is spent in the
store's shared counters when an answer is accepted, so a second use — on this process or any other — is
refused with NotAuthorizedException "Invalid session for the user." [O: amplify-js#10959]. A request that
fails with an error (a trigger raising, bad input) spends nothing, its transaction rolled back; a refused
sign-in (failAuthentication, a wrong password) is committed with its Session spent.

A client that hides user existence (PreventUserExistenceErrors ENABLED) runs the loop for unknown names too,
the triggers seeing ``userNotFound: true`` [C]; such a sign-in never gets tokens.
"""

from __future__ import annotations

import hashlib
from typing import Any

from userpools.domain import custom_auth as custom_domain
from userpools.domain import tokens as token_domain
from userpools.domain import users as user_domain
from userpools.domain.custom_auth import CUSTOM_CHALLENGE, PASSWORD_VERIFIER, Progress
from userpools.domain.records import UserRecord
from userpools.errors import InvalidLambdaResponseException, InvalidParameterException, NotAuthorizedException
from userpools.operations import hooks, mfa_signin, signin, threats
from userpools.operations.common import check_secret_hash, find_user
from userpools.operations.signin import Attempt
from userpools.triggers import events
from userpools.triggers.answers import UNRECOGNIZABLE

SESSION_USED = signin.SESSION_USED
AUTHENTICATION = "TokenGeneration_Authentication"


def is_custom(opened: token_domain.SessionClaims) -> bool:
    """Whether a Session belongs to a custom sign-in."""
    return opened.data.get("flow") == custom_domain.FLOW


# --- the steps -----------------------------------------------------------------------------------------


async def start(a: Attempt) -> dict[str, Any]:
    """InitiateAuth / AdminInitiateAuth CUSTOM_AUTH (the DefineAuthChallenge trigger exists, the client
    allows the flow)."""
    name = signin.require(a.params, "USERNAME")
    user = await find_user(a.tx, a.pool, name, for_update=True)
    if user is None:
        if not a.hides_user_existence:
            return await signin.unknown_user(a, name)
        check_secret_hash(a.ctx, a.client, a.params.get("SECRET_HASH"), name)
        progress = Progress(name, unknown=True)
    else:
        check_secret_hash(a.ctx, a.client, a.params.get("SECRET_HASH"), name, user.username)
        await signin.check_state(a, user)
        progress = Progress(user.username)
    await signin.pre_authentication(a, user, name)
    big_a = None
    if a.params.get("CHALLENGE_NAME") == custom_domain.SRP_A:
        big_a = signin.parse_srp_a(signin.require(a.params, "SRP_A"))
        progress = progress.then(custom_domain.SRP_A, True)
    return await _define(a, user, progress, big_a=big_a)


async def custom_challenge(a: Attempt, session: str | None) -> dict[str, Any]:
    """RespondToAuthChallenge CUSTOM_CHALLENGE: VerifyAuthChallengeResponse judges ANSWER, then
    DefineAuthChallenge decides."""
    opened = signin.open_session(a, session)
    progress = _progress(opened)
    if opened is None or progress is None or opened.challenge_name != CUSTOM_CHALLENGE:
        raise NotAuthorizedException(signin.SESSION_EXPIRED)
    await signin.spend_session(a.tx, opened)
    name = signin.require(a.params, "USERNAME")
    if "ANSWER" not in a.params:
        raise InvalidParameterException("Missing required parameter ANSWER")
    user = await _user(a, progress)
    check_secret_hash(a.ctx, a.client, a.params.get("SECRET_HASH"), name, progress.username)
    if user is not None:
        await signin.check_state(a, user)
    correct = False
    if hooks.has(a.pool, "VerifyAuthChallengeResponse"):
        response = await hooks.run(a.ctx, a.pool, "VerifyAuthChallengeResponse",
                                   events.verify_auth_challenge_response(
                                       _caller(a, progress), user_attributes=_attributes(a, user),
                                       private_challenge_parameters=progress.private,
                                       challenge_answer=a.params["ANSWER"], client_metadata=a.trigger_metadata,
                                       user_not_found=_not_found(a, progress),
                                   ))
        correct = bool((response or {}).get("answerCorrect"))
    return await _define(a, user, progress.then(CUSTOM_CHALLENGE, correct, progress.metadata))


async def password_verifier(a: Attempt, opened: token_domain.SessionClaims) -> dict[str, Any]:
    """RespondToAuthChallenge PASSWORD_VERIFIER with a custom sign-in's Session: the SRP password check of
    USER_SRP_AUTH, then DefineAuthChallenge."""
    progress = _progress(opened)
    if progress is None or opened.challenge_name != PASSWORD_VERIFIER:
        raise NotAuthorizedException(signin.SESSION_EXPIRED)
    await signin.spend_session(a.tx, opened)
    block = signin.require(a.params, "PASSWORD_CLAIM_SECRET_BLOCK")
    if progress.unknown or progress.srp_block != _digest(block):
        a.failure = NotAuthorizedException(signin.INCORRECT)
        return {}
    user = await signin.verify_password_claim(a)
    if user is None:  # a wrong password: counted, refused after the commit
        return {}
    if user.username != progress.username:
        raise NotAuthorizedException(signin.INCORRECT)
    user = await signin.password_accepted(a, user)
    progress = progress.then(PASSWORD_VERIFIER, True)
    if user.status == "FORCE_CHANGE_PASSWORD":
        if signin.temporary_password_expired(a, user):
            raise NotAuthorizedException("Temporary password has expired and must be reset by an administrator.")
        return signin.new_password_challenge(a, user, data=progress.to_data())
    return await _define(a, user, progress)


async def after_new_password(a: Attempt, user: UserRecord, opened: token_domain.SessionClaims) -> dict[str, Any]:
    """NEW_PASSWORD_REQUIRED answered inside a custom sign-in: DefineAuthChallenge decides what follows."""
    progress = _progress(opened)
    if progress is None:
        raise NotAuthorizedException(signin.SESSION_EXPIRED)
    await signin.spend_session(a.tx, opened)
    progress = progress.then(custom_domain.NEW_PASSWORD_REQUIRED, True)
    return await _define(a, user, progress, source=signin.NEW_PASSWORD_SOURCE)


# --- DefineAuthChallenge and what it asks for ----------------------------------------------------------


async def _define(a: Attempt, user: UserRecord | None, progress: Progress, *, big_a: int | None = None,
                  source: str = AUTHENTICATION) -> dict[str, Any]:
    response = await hooks.run(a.ctx, a.pool, "DefineAuthChallenge", events.define_auth_challenge(
        _caller(a, progress), user_attributes=_attributes(a, user), session=progress.session_list(),
        client_metadata=a.trigger_metadata, user_not_found=_not_found(a, progress),
    ))
    decision = custom_domain.decide(response, progress.history)
    if decision.step == "fail" or (decision.step == "tokens" and user is None):
        if user is not None and threats.mode(a.pool) is not None:  # a failed sign-in, for the takeover rule
            await threats.sign_in_failed(a.ctx, a.tx, a.pool, a.client, user, a.seen(), wrong_password=False,
                                         password_checked=_password_checked(progress))
        a.failure = NotAuthorizedException(signin.INCORRECT)  # after the commit: the Session stays spent
        return {}
    if decision.step == "tokens":
        assert user is not None
        if threats.mode(a.pool) is not None:
            # Assessed as the other flows are once their first factor is right: blocked ranges, takeover
            # risk and its action (never the compromised-credentials check: no password is seen here).
            a.screened(await threats.screen_sign_in(a.ctx, a.tx, a.pool, a.client, user, a.seen(), password=None,
                                                    password_checked=_password_checked(progress)))
            if a.failure is not None:
                return {}
        # The pool's MFA follows the custom challenges [U: Cognito documents MFA after custom auth only
        # through the flows' shared rules].
        return await mfa_signin.after_first_factor(a, user, source=source)
    if decision.challenge == PASSWORD_VERIFIER:
        if big_a is None:
            raise InvalidLambdaResponseException(UNRECOGNIZABLE)
        return _password_challenge(a, user, progress, big_a)
    return await _create(a, user, progress)


async def _create(a: Attempt, user: UserRecord | None, progress: Progress) -> dict[str, Any]:
    """CUSTOM_CHALLENGE: CreateAuthChallenge makes it; its private half waits in the Session."""
    response: dict[str, Any] = {}
    if hooks.has(a.pool, "CreateAuthChallenge"):
        response = await hooks.run(a.ctx, a.pool, "CreateAuthChallenge", events.create_auth_challenge(
            _caller(a, progress), user_attributes=_attributes(a, user), challenge_name=CUSTOM_CHALLENGE,
            session=progress.session_list(), client_metadata=a.trigger_metadata,
            user_not_found=_not_found(a, progress),
        )) or {}
    public = dict(response.get("publicChallengeParameters") or {})
    waiting = progress.waiting(private=response.get("privateChallengeParameters") or {},
                               metadata=response.get("challengeMetadata"))
    return {
        "ChallengeName": CUSTOM_CHALLENGE,
        "Session": _seal(a, waiting, CUSTOM_CHALLENGE),
        "ChallengeParameters": {**public, "USERNAME": progress.username},
    }


def _password_challenge(a: Attempt, user: UserRecord | None, progress: Progress, big_a: int) -> dict[str, Any]:
    if user is None:
        parameters = signin.fake_srp_parameters(a, progress.username, big_a)
    else:
        parameters = signin.srp_parameters(a, user, big_a)
    waiting = progress.waiting(srp_block=_digest(parameters["SECRET_BLOCK"]))
    return {
        "ChallengeName": PASSWORD_VERIFIER,
        "Session": _seal(a, waiting, PASSWORD_VERIFIER),
        "ChallengeParameters": parameters,
    }


# --- helpers -------------------------------------------------------------------------------------------


def _progress(opened: token_domain.SessionClaims | None) -> Progress | None:
    return None if opened is None else Progress.from_data(opened.username, opened.data)


def _seal(a: Attempt, progress: Progress, challenge: str) -> str:
    try:
        return token_domain.seal_session(
            pool_id=a.pool.id, client_id=a.client.id, username=progress.username, challenge_name=challenge,
            now=a.ctx.clock.now(), validity_minutes=a.session_minutes(), cipher=a.ctx.cipher,
            data=progress.to_data(),
        )
    except ValueError:
        # The private parameters do not fit in a Session (4096 characters) [U: Cognito's own limit unknown].
        raise InvalidLambdaResponseException(UNRECOGNIZABLE) from None


async def _user(a: Attempt, progress: Progress) -> UserRecord | None:
    """The user of a sign-in in progress (None for an unknown name); one deleted meanwhile fails it."""
    if progress.unknown:
        return None
    user = await a.tx.users.get(a.pool.id, user_domain.username_key(a.pool.settings, progress.username),
                                for_update=True)
    if user is None:
        raise NotAuthorizedException(signin.INCORRECT)
    return user


def _password_checked(progress: Progress) -> bool:
    """Whether the sign-in checked the user's password (a PASSWORD_VERIFIER answered right)."""
    return any(name == PASSWORD_VERIFIER and result for name, result, _metadata in progress.history)


def _digest(secret_block: str) -> str:
    return hashlib.sha256(secret_block.encode()).hexdigest()[:32]


def _caller(a: Attempt, progress: Progress) -> events.Caller:
    return hooks.caller(a.pool, progress.username, a.client.id)


def _attributes(a: Attempt, user: UserRecord | None) -> dict[str, str]:
    return hooks.attributes(a.pool, user) if user is not None else {}


def _not_found(a: Attempt, progress: Progress) -> bool | None:
    return progress.unknown if a.hides_user_existence else None

"""USER_AUTH's first factors without a password: which challenges a user may choose (SELECT_CHALLENGE's
AvailableChallenges), the EMAIL_OTP / SMS_OTP codes and the WEB_AUTHN passkey challenge. The password factors
(PASSWORD, PASSWORD_SRP) are the password flows of ``operations.auth``, which runs USER_AUTH itself.

Behaviour: shared/cognito/mfa-passwordless.md §2–§3. Codes are 8 digits [O: amplify-js#14428], sent as the MFA
codes are (``mfa_signin.issue_code``) and answered in the same Sessions: a right passwordless code, like a
passkey, ends in tokens with no MFA after it [C: DG "passwordless sign-in ... MFA is not applied"; a passkey
with user verification is itself multi-factor].

With PreventUserExistenceErrors, a name no user has gets the pool's factors to choose from and challenges that
look real (a code "sent" to a masked address, passkey options with no credentials); every answer then fails
as a wrong one does: CodeMismatchException for a code, NotAuthorizedException for a passkey [U: Cognito's
exact answers for such a name].
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from userpools.domain import passkeys as pk
from userpools.domain import tokens as token_domain
from userpools.domain.records import UserRecord
from userpools.errors import CodeMismatchException, NotAuthorizedException
from userpools.operations import mfa_signin, signin
from userpools.operations.passkeys import relying_party
from userpools.operations.signin import Attempt
from userpools.operations.userstate import has_imported_hash

FLOW = "user_auth"
PASSWORD_FACTORS = ("PASSWORD", "PASSWORD_SRP")
CODE_FACTORS = ("EMAIL_OTP", "SMS_OTP")
WEB_AUTHN = "WEB_AUTHN"
ORDER = ("PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN")  # [U] the order Cognito lists them in
_ATTRIBUTE = {"EMAIL_OTP": "email", "SMS_OTP": "phone_number"}
_MASKED_GHOST = {"EMAIL_OTP": ("EMAIL", "u***@e***"), "SMS_OTP": ("SMS", "+*******0000")}


def allowed_first_factors(settings: dict[str, Any]) -> list[str]:
    policy = (settings.get("Policies") or {}).get("SignInPolicy") or {}
    return list(policy.get("AllowedFirstAuthFactors") or ["PASSWORD"])


def available(settings: dict[str, Any], user: UserRecord | None, *, has_passkey: bool = False) -> list[str]:
    """The pool's first factors this user can use (``user`` None: a name no user has, shown every factor):
    a password for PASSWORD (PASSWORD_SRP also needs the SRP verifier, which an imported hash is not yet);
    an email or phone number for the codes; a passkey for WEB_AUTHN [U: whether the address must be verified]."""
    allowed = set(allowed_first_factors(settings))
    out = []
    for factor in ORDER:
        base = "PASSWORD" if factor in PASSWORD_FACTORS else factor
        if base not in allowed:
            continue
        if user is not None:
            if factor == "PASSWORD" and user.password_ciphertext is None and not has_imported_hash(user):
                continue
            if factor == "PASSWORD_SRP" and user.password_ciphertext is None:
                continue
            if factor in CODE_FACTORS and not user.attributes.get(_ATTRIBUTE[factor]):
                continue
            if factor == WEB_AUTHN and not has_passkey:
                continue
        out.append(factor)
    return out


def select_challenge(a: Attempt, username: str, choices: list[str]) -> dict[str, Any]:
    """SELECT_CHALLENGE: the choices at the top level (AvailableChallenges) [C: BC; AMP6]."""
    session = token_domain.seal_session(
        pool_id=a.pool.id, client_id=a.client.id, username=username, challenge_name="SELECT_CHALLENGE",
        now=a.ctx.clock.now(), validity_minutes=a.session_minutes(), cipher=a.ctx.cipher,
        data={"flow": FLOW, "choices": choices},
    )
    return {"ChallengeName": "SELECT_CHALLENGE", "Session": session, "AvailableChallenges": choices,
            "ChallengeParameters": {"USERNAME": username}}


def is_select(opened: Any) -> bool:
    return opened.challenge_name == "SELECT_CHALLENGE" and opened.data.get("flow") == FLOW


async def issue(a: Attempt, user: UserRecord | None, name: str, factor: str) -> dict[str, Any]:
    """EMAIL_OTP / SMS_OTP (a code sent) or WEB_AUTHN (the request options), for ``user`` (None: a hidden
    unknown name)."""
    await signin.pre_authentication(a, user, name)
    if factor == WEB_AUTHN:
        return await _issue_web_authn(a, user, name)
    if user is None:
        medium, masked = _MASKED_GHOST[factor]
        return {"ChallengeName": factor, "Session": _ghost_session(a, name, factor),
                "ChallengeParameters": {"CODE_DELIVERY_DELIVERY_MEDIUM": medium,
                                        "CODE_DELIVERY_DESTINATION": masked, "USER_ID_FOR_SRP": name}}
    return await mfa_signin.issue_code(a, user, mfa_signin.session_data(user), factor,
                                       digits=mfa_signin.PASSWORDLESS_DIGITS)


def _ghost_session(a: Attempt, name: str, challenge: str) -> str:
    """A Session for a name no user has: every answer fails as a wrong one would (``_ghost_aware``)."""
    return token_domain.seal_session(
        pool_id=a.pool.id, client_id=a.client.id, username=name,
        challenge_name=challenge, now=a.ctx.clock.now(), validity_minutes=a.session_minutes(),
        cipher=a.ctx.cipher, data={"flow": "ghost"},
    )


async def _issue_web_authn(a: Attempt, user: UserRecord | None, name: str) -> dict[str, Any]:
    """WEB_AUTHN: CREDENTIAL_REQUEST_OPTIONS, a JSON string [C: BC; O: AMP6 fixture], its challenge sealed in
    the Session."""
    rp_id = relying_party(a.pool)
    challenge = pk.new_challenge()
    existing = [] if user is None else [
        c.credential_id for c in await a.tx.webauthn_credentials.list(a.pool.id, user.username_key)]
    options = pk.request_options(rp_id=rp_id, challenge=challenge, uv=pk.user_verification(a.pool.settings),
                                 existing=existing)
    if user is None:
        session = _ghost_session(a, name, WEB_AUTHN)
        username = name
    else:
        data = {**mfa_signin.session_data(user), "webauthn": pk.b64url(challenge)}
        session = mfa_signin.seal(a.ctx, a.pool, a.client, user, WEB_AUTHN, data)
        username = user.username
    return {"ChallengeName": WEB_AUTHN, "Session": session,
            "ChallengeParameters": {"CREDENTIAL_REQUEST_OPTIONS": orjson.dumps(options).decode(),
                                    "USERNAME": username}}


async def _web_authn(a: Attempt, session: str | None) -> dict[str, Any]:
    """WEB_AUTHN answered with CREDENTIAL (AuthenticationResponseJSON as a string): the assertion verified by
    one of the user's passkeys, its counter checked and stored; then tokens."""
    if _is_ghost(a, session, WEB_AUTHN):
        signin.require(a.params, "CREDENTIAL")
        raise NotAuthorizedException(signin.INCORRECT)
    opened, user = await mfa_signin.open_challenge(a, session, WEB_AUTHN)
    try:
        credential = orjson.loads(signin.require(a.params, "CREDENTIAL"))
    except orjson.JSONDecodeError:
        credential = None
    if not isinstance(credential, dict):
        raise NotAuthorizedException(signin.INCORRECT)  # [U] what Cognito answers to an unreadable CREDENTIAL
    passkeys = await a.tx.webauthn_credentials.list(a.pool.id, user.username_key)
    stored = next((c for c in passkeys if c.credential_id == credential.get("id")), None)
    if stored is None:
        raise NotAuthorizedException(signin.INCORRECT)  # [U] wording
    try:
        new_count = pk.verify_assertion(credential, challenge=pk.unb64url(str(opened.data.get("webauthn", ""))),
                                        stored=stored, uv=pk.user_verification(a.pool.settings))
    except (pk.NotVerified, pk.OriginNotAllowed):
        # A failed assertion counts as a failed sign-in (lockout) [U].
        await signin.record_failure(a, user)
        return {}
    await a.tx.webauthn_credentials.set_sign_count(a.pool.id, user.username_key, stored.credential_id, new_count)
    await signin.spend_session(a.tx, opened)
    return await signin.signed_in(a, user, source=str(opened.data.get("source") or mfa_signin.AUTHENTICATION))


def _is_ghost(a: Attempt, session: str | None, challenge: str) -> bool:
    opened = signin.open_session(a, session)
    return opened is not None and opened.challenge_name == challenge and opened.data.get("flow") == "ghost"


Responder = Callable[[Attempt, str | None], Awaitable[dict[str, Any]]]


def _ghost_aware(challenge: str) -> Responder:
    """The MFA code challenge, except that a hidden unknown name's code is wrong as a real user's wrong code
    is (CodeMismatchException), so the answer tells nothing either."""
    real = mfa_signin.CHALLENGES[challenge]

    async def respond(a: Attempt, session: str | None) -> dict[str, Any]:
        if _is_ghost(a, session, challenge):
            signin.require(a.params, "USERNAME")
            signin.require(a.params, f"{challenge}_CODE")
            raise CodeMismatchException(mfa_signin.MISMATCH)
        return await real(a, session)

    return respond


CHALLENGES: dict[str, Responder] = {
    WEB_AUTHN: _web_authn,
    "EMAIL_OTP": _ghost_aware("EMAIL_OTP"),
    "SMS_OTP": _ghost_aware("SMS_OTP"),
}

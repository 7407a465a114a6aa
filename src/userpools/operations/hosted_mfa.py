"""The hosted sign-in's second factors and passkeys: the API's own challenges (``mfa_signin``, ``passwordless``,
``mfa``) answered for the pages of ``hosted_ui.challenges``, each step one ``oauth.hosted_step`` (one transaction
that re-checks the authorization request and ends, when the sign-in is done, in the domain's session and the
answer to the client).

- SMS_MFA, EMAIL_OTP, SOFTWARE_TOKEN_MFA, SELECT_MFA_TYPE: RespondToAuthChallenge's logic (the code checked,
  wrong codes counted against the Session, the Session single use once answered right).
- MFA_SETUP with SOFTWARE_TOKEN_MFA: AssociateSoftwareToken with the challenge's Session (the secret and its
  ``otpauth://`` URI for the page's QR code), then VerifySoftwareToken, then MFA_SETUP answered with the
  Session it returns. Without it but with EMAIL_OTP: MFA_SETUP answered with an email address (EMAIL_OTP
  follows).
- Passkeys: USER_AUTH with PREFERRED_CHALLENGE WEB_AUTHN (the client must allow USER_AUTH, the pool's
  SignInPolicy WEB_AUTHN), then WEB_AUTHN answered with the browser's assertion.

Nothing here runs on the plain password sign-in (``oauth.sign_in``), which keeps its one transaction.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from userpools.crypto import totp
from userpools.domain import mfa as mfa_domain
from userpools.domain.records import PoolRecord
from userpools.errors import InvalidParameterException, NotAuthorizedException, UserNotFoundException
from userpools.operations import auth, mfa, oauth_limits, replica_guard, signin
from userpools.operations.common import answers_held
from userpools.operations.context import Context
from userpools.operations.oauth import Challenge, Outcome, hosted_step

#: The challenges a page's form answers, and the ChallengeResponses member its code (or choice) goes in.
ANSWERS = {"SMS_MFA": "SMS_MFA_CODE", "EMAIL_OTP": "EMAIL_OTP_CODE", "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE",
           "SELECT_MFA_TYPE": "ANSWER", "WEB_AUTHN": "CREDENTIAL"}
WEB_AUTHN = "WEB_AUTHN"


def can_set_up_totp(challenge: Challenge) -> bool:
    """MFA_SETUP that an authenticator app can answer (SOFTWARE_TOKEN_MFA among MFAS_CAN_SETUP)."""
    return challenge.name == "MFA_SETUP" and mfa_domain.SOFTWARE_TOKEN_MFA in choices(challenge)


def can_set_up_email(challenge: Challenge) -> bool:
    """MFA_SETUP that an email address can answer (EMAIL_OTP among MFAS_CAN_SETUP)."""
    return challenge.name == "MFA_SETUP" and mfa_domain.EMAIL_OTP in choices(challenge)


def choices(challenge: Challenge) -> list[str]:
    """MFAS_CAN_CHOOSE / MFAS_CAN_SETUP (JSON-array strings on the wire), as a list."""
    text = challenge.parameters.get("MFAS_CAN_CHOOSE") or challenge.parameters.get("MFAS_CAN_SETUP") or "[]"
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


@answers_held
async def respond(ctx: Context, pool: PoolRecord, params: dict[str, str], challenge: str, session: str,
                  username: str, answer: str, *, offer_passkey: bool = False) -> Outcome:
    """A challenge page's form answered: RespondToAuthChallenge's logic for ``challenge`` with ``answer`` (the
    code, the chosen factor, or the passkey's assertion as JSON). A wrong passkey counts against the caller's
    address as a wrong password does (``oauth_limits``)."""
    member = ANSWERS.get(challenge)
    if member is None:
        raise NotAuthorizedException(signin.SESSION_EXPIRED)  # a form no page shows: [U] as a stale Session
    return await _answer(ctx, pool, params, challenge, session, {"USERNAME": username, member: answer},
                         offer_passkey=offer_passkey)


async def _answer(ctx: Context, pool: PoolRecord, params: dict[str, str], challenge: str, session: str,
                  responses: dict[str, str], *, offer_passkey: bool = False) -> Outcome:
    replica_guard.check_operation(pool, "RespondToAuthChallenge", ctx.settings.region)
    responder = auth.CHALLENGES[challenge]

    async def step(a: signin.Attempt) -> dict[str, Any]:
        a.responding = True
        return await responder(a, session)

    try:
        return await hosted_step(ctx, pool, params, responses, step, offer_passkey=offer_passkey)
    except NotAuthorizedException as exc:
        if challenge == WEB_AUTHN and exc.message == signin.INCORRECT:
            await oauth_limits.count_login_failure(ctx, pool.id)
        raise


@answers_held
async def set_up_totp(ctx: Context, pool: PoolRecord, challenge: Challenge, account: str) -> Challenge:
    """MFA_SETUP shown with an authenticator app's set-up: AssociateSoftwareToken with the challenge's Session;
    the secret, its ``otpauth://`` URI (issuer: the pool's name [U: what managed login names it]; ``account``:
    the name the user signed in with) and the next Session."""
    out = await mfa.associate_software_token(ctx, {"Session": challenge.session})
    return with_otpauth(pool, dataclasses.replace(challenge, session=str(out["Session"]),
                                                  secret=str(out["SecretCode"])), account)


def with_otpauth(pool: PoolRecord, challenge: Challenge, account: str) -> Challenge:
    """The challenge with the ``otpauth://`` URI of its secret."""
    uri = totp.provisioning_uri(challenge.secret or "", account=account, issuer=pool.name)
    return dataclasses.replace(challenge, otpauth=uri)


@answers_held
async def verify_totp(ctx: Context, pool: PoolRecord, params: dict[str, str], session: str, username: str,
                      code: str, *, offer_passkey: bool = False) -> Outcome:
    """The set-up page's code: VerifySoftwareToken with the Session (a wrong code raises
    EnableSoftwareTokenMFAException and leaves the Session as it was), then MFA_SETUP answered."""
    replica_guard.check_operation(pool, "VerifySoftwareToken", ctx.settings.region)
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        # VerifySoftwareToken's UserCode is exactly 6 digits [C: BC]; the page says it as a wrong code does
        raise InvalidParameterException(mfa.VERIFY_MISMATCH)
    verified = await mfa.verify_software_token(ctx, {"Session": session, "UserCode": code})
    return await _answer(ctx, pool, params, "MFA_SETUP", str(verified["Session"]), {"USERNAME": username},
                         offer_passkey=offer_passkey)


@answers_held
async def set_up_email(ctx: Context, pool: PoolRecord, params: dict[str, str], session: str, username: str,
                       address: str) -> Outcome:
    """MFA_SETUP answered with an email address, as Amplify sets up email MFA (``mfa_signin``): the address
    becomes the user's email and an EMAIL_OTP challenge follows, whose right code enables the factor."""
    return await _answer(ctx, pool, params, "MFA_SETUP", session, {"USERNAME": username, "EMAIL": address})


@answers_held
async def passkey_sign_in(ctx: Context, pool: PoolRecord, params: dict[str, str], username: str) -> Outcome:
    """"Sign in with a passkey": USER_AUTH with PREFERRED_CHALLENGE WEB_AUTHN → the WEB_AUTHN challenge (its
    CREDENTIAL_REQUEST_OPTIONS for navigator.credentials.get), or SELECT_CHALLENGE when the user has no passkey."""
    replica_guard.check_operation(pool, "InitiateAuth", ctx.settings.region)
    try:
        return await hosted_step(ctx, pool, params, {"USERNAME": username, "PREFERRED_CHALLENGE": WEB_AUTHN},
                                 auth.user_auth_sign_in)
    except (NotAuthorizedException, UserNotFoundException):
        await oauth_limits.count_login_failure(ctx, pool.id)
        raise

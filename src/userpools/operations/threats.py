"""Threat protection at run time: what a sign-in, a sign-up and a password change go through when the pool's
UserPoolAddOns.AdvancedSecurityMode is AUDIT or ENFORCED (the Plus tier). With it OFF nothing here runs and
no query is made: every entry point first looks at the pool's settings, which the operation already holds.

- The client's IP address is the one the server sees (``operations.context.CALLER``: the connection's peer, or
  a trusted proxy's X-Forwarded-For), replaced by what a server-side app reports for its user, as Cognito does
  [C: the developer guide's "adding user context data"]: AdminInitiateAuth/AdminRespondToAuthChallenge's
  ContextData.IpAddress (and the User-Agent among its HttpHeaders), and the public operations'
  UserContextData.IpAddress when the app client has EnablePropagateAdditionalUserContextData.
- RiskExceptionConfiguration (ENFORCED only: audit mode applies no mitigation [C]): an address in
  SkippedIPRangeList is never assessed (its events carry no EventRisk); one in BlockedIPRangeList cannot sign
  in ("Unable to login because of security reasons.", NotAuthorizedException [U wording]).
- CompromisedCredentialsRiskConfiguration: the password of a USER_PASSWORD_AUTH / ADMIN_USER_PASSWORD_AUTH
  sign-in (never SRP or custom: the server never sees those passwords, nor does Cognito check them [C]), of a
  sign-up and of a password change (ChangePassword, ConfirmForgotPassword) is looked up in the operator's
  breached list (``operations.breached``). BLOCK refuses it: a sign-in sets the user RESET_REQUIRED [C] and
  answers PasswordResetRequiredException [U]; a sign-up or password change answers InvalidPasswordException [U].
- AccountTakeoverRiskConfiguration: ``domain.risk.assess`` gives the level; its action applies (BLOCK: the
  sign-in fails; MFA_IF_CONFIGURED and MFA_REQUIRED: the MFA challenge of ``operations.mfa_signin`` when the
  user has a factor (``domain.mfa.risk_step``), whatever the pool's MfaConfiguration; without one
  MFA_IF_CONFIGURED lets the sign-in through and MFA_REQUIRED blocks it [C]; NO_ACTION), and Notify sends the
  NotifyConfiguration email with one-click feedback links (``FEEDBACK_PATH``). A remembered device does not
  stand in for the MFA threat protection asks for [U].

Every sign-in is recorded as an auth event (AdminListUserAuthEvents), with EventRisk when it was assessed, and
written to the userAuthEvents log (``operations.log_delivery``). ChallengeResponses lists Password (when one
was checked) and, once the sign-in's MFA challenge is answered, Mfa (Success or Failure); a sign-in waiting
for the MFA threat protection asked for is InProgress until then. Custom sign-ins (CUSTOM_AUTH) are assessed
like the others when DefineAuthChallenge issues tokens, and their failAuthentication is a failed sign-in.
"""

from __future__ import annotations

import base64
import dataclasses
import hmac
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from userpools import ids
from userpools.delivery.messages import Message
from userpools.delivery.senders import DeliveryError, sender_address
from userpools.domain import mfa as mfa_domain
from userpools.domain import risk
from userpools.domain.records import AuthEventRecord, ClientRecord, PoolRecord, UserRecord
from userpools.domain.resources import RISK_CONFIGURATION, risk_configuration_key
from userpools.errors import (
    CognitoError,
    InvalidParameterException,
    InvalidPasswordException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    ResourceNotFoundException,
    UserNotFoundException,
    UserPoolAddOnNotEnabledException,
)
from userpools.operations import log_delivery
from userpools.operations.common import find_user
from userpools.operations.context import CALLER, Context
from userpools.storage.ports import Transaction

log = logging.getLogger("userpools.threats")

FEEDBACK_PATH = "/_userpools/auth-event-feedback"
SECURITY = "Unable to login because of security reasons."  # [U] wording
BREACHED = "The password has been found in a list of compromised passwords."  # [U] wording
NOTIFICATION_SOURCE = "AccountTakeoverNotification"


def mode(pool: PoolRecord) -> str | None:
    """AUDIT or ENFORCED when threat protection is on, else None."""
    value = (pool.settings.get("UserPoolAddOns") or {}).get("AdvancedSecurityMode")
    return value if value in ("AUDIT", "ENFORCED") else None


def require_enabled(pool: PoolRecord) -> None:
    if mode(pool) is None:
        # [C: the operations model UserPoolAddOnNotEnabledException for this]; [U] wording
        raise UserPoolAddOnNotEnabledException(
            "Threat protection (UserPoolAddOns.AdvancedSecurityMode AUDIT or ENFORCED) is not enabled for this "
            "user pool."
        )


async def effective_config(tx: Transaction, pool_id: str, client_id: str | None) -> dict[str, Any]:
    """The risk configuration that applies to a client: its own when it has one, else the pool's ({} if none)."""
    if client_id:
        own = await tx.resources.get(RISK_CONFIGURATION, risk_configuration_key(pool_id, client_id))
        if own is not None:
            return own.document
    found = await tx.resources.get(RISK_CONFIGURATION, risk_configuration_key(pool_id, None))
    return found.document if found is not None else {}


# --- what the request tells of the client ----------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    ip: str | None
    device: str | None

    def context(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.ip:
            out["IpAddress"] = self.ip
        if self.device:
            out["DeviceName"] = self.device[:256]
        return out


def seen(client: ClientRecord, context_data: dict[str, Any] | None, *, admin: bool) -> Seen:
    caller = CALLER.get()
    ip, device = caller.ip, caller.user_agent
    data = context_data or {}
    if admin and data:
        ip = data.get("IpAddress") or ip
        for header in data.get("HttpHeaders") or []:
            if str(header.get("headerName", "")).lower() == "user-agent" and header.get("headerValue"):
                device = header["headerValue"]
    elif data.get("IpAddress") and client.settings.get("EnablePropagateAdditionalUserContextData"):
        ip = data["IpAddress"]
    return Seen(ip, device)


# --- events ----------------------------------------------------------------------------------------------


async def record(ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord, *, event_type: str,
                 response: str, where: Seen, client_id: str | None, event_risk: dict[str, Any] | None = None,
                 password_result: str | None = None, event_id: str | None = None) -> AuthEventRecord:
    context = where.context()
    if event_risk is not None:
        context["EventRisk"] = event_risk
    if client_id:
        context["ClientId"] = client_id
    challenges = [] if password_result is None else [
        {"ChallengeName": "Password", "ChallengeResponse": password_result}
    ]
    event = AuthEventRecord(
        id=event_id or ids.new_ordered_uuid(), pool_id=pool.id, username_key=user.username_key,
        event_type=event_type, created_at=ctx.clock.now(), response=response, challenge_responses=challenges,
        context=context,
    )
    await tx.auth_events.add(event)
    await log_delivery.auth_event(ctx, tx, pool, event, user)
    return event


async def sign_in_failed(ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord, user: UserRecord,
                         where: Seen, *, password_checked: bool = False, wrong_password: bool = True) -> None:
    """A failed sign-in, recorded (its address counts for the takeover rule's recent failures): a wrong
    password (Password Failure), or a custom sign-in DefineAuthChallenge failed (``wrong_password`` False;
    Password Success when it had checked the password, else no challenge listed)."""
    result = "Failure" if wrong_password else ("Success" if password_checked else None)
    await record(ctx, tx, pool, user, event_type="SignIn", response="Fail", where=where, client_id=client.id,
                 password_result=result)


@dataclass(frozen=True)
class Screening:
    """Threat protection's decision on a sign-in whose first factor was right. ``failure``: the error that
    refuses it (raised after the transaction commits); ``mfa``: an MFA challenge is owed whatever the pool's
    MFA configuration (MFA_IF_CONFIGURED / MFA_REQUIRED with a factor); ``event``: the auth event recorded
    ({"id", "challenges": its ChallengeResponses so far}), which the MFA answer completes (``mfa_answered``)."""

    failure: CognitoError | None = None
    mfa: bool = False
    event: dict[str, Any] | None = None


async def screen_sign_in(ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord,
                         user: UserRecord, where: Seen, *, password: str | None,
                         password_checked: bool = True) -> Screening:
    """The first factor was right: threat protection's decision, recorded. ``password``: the one a password
    flow was given (the compromised-credentials check); ``password_checked``: whether a password was checked
    at all (a custom sign-in without PASSWORD_VERIFIER has none: its event lists no Password challenge)."""
    enforced = mode(pool) == "ENFORCED"
    config = await effective_config(tx, pool.id, client.id)
    exceptions = config.get("RiskExceptionConfiguration") or {}
    password_result = "Success" if password_checked else None
    challenges = [{"ChallengeName": "Password", "ChallengeResponse": "Success"}] if password_checked else []
    if enforced and risk.in_ranges(where.ip, exceptions.get("SkippedIPRangeList") or []):
        event = await record(ctx, tx, pool, user, event_type="SignIn", response="Pass", where=where,
                             client_id=client.id, password_result=password_result)
        return Screening(event={"id": event.id, "challenges": challenges})
    if enforced and risk.in_ranges(where.ip, exceptions.get("BlockedIPRangeList") or []):
        await record(ctx, tx, pool, user, event_type="SignIn", response="Fail", where=where, client_id=client.id,
                     event_risk={"RiskDecision": "Block", "CompromisedCredentialsDetected": False},
                     password_result=password_result)
        return Screening(failure=NotAuthorizedException(SECURITY))
    compromised_action = risk.compromised_action(config, "SIGN_IN") if password is not None else None
    compromised = compromised_action is not None and await ctx.breached.contains(password or "")
    now = ctx.clock.now()
    history = await tx.auth_events.list(pool.id, user.username_key, limit=risk.HISTORY)
    assessment = risk.assess(history, ip=where.ip, device=where.device, now=now)
    event_risk: dict[str, Any] = {"RiskDecision": "NoRisk", "CompromisedCredentialsDetected": compromised}
    if assessment.level:
        event_risk |= {"RiskDecision": "AccountTakeover", "RiskLevel": assessment.level}
    failure: CognitoError | None = None
    mfa = False
    notify_action: str | None = None
    if enforced and compromised and compromised_action == "BLOCK":
        event_risk["RiskDecision"] = "Block"
        await tx.users.update(dataclasses.replace(user, status="RESET_REQUIRED", updated_at=now))
        failure = PasswordResetRequiredException("Password reset required for the user")
    elif enforced and assessment.level:
        action, notify = risk.takeover_action(config, assessment.level)
        if action in ("MFA_IF_CONFIGURED", "MFA_REQUIRED"):
            # An MFA challenge when the user has a factor to answer it with; without one MFA_IF_CONFIGURED
            # lets the sign-in through and MFA_REQUIRED blocks it [C: API AccountTakeoverActionType].
            mfa = mfa_domain.risk_step(pool.settings, user.extra, user.attributes) is not None
            if not mfa and action == "MFA_REQUIRED":
                failure = NotAuthorizedException(SECURITY)
        elif action == "BLOCK":
            failure = NotAuthorizedException(SECURITY)
        if notify:
            notify_action = action
    event_id = ids.new_ordered_uuid()
    # A user who must still choose a password, or answer the MFA challenge threat protection asks for, has
    # not finished signing in [U: Cognito's InProgress here]; the MFA answer completes the event.
    unfinished = user.status == "FORCE_CHANGE_PASSWORD" or mfa
    response = "Fail" if failure else ("InProgress" if unfinished else "Pass")
    await record(ctx, tx, pool, user, event_type="SignIn", response=response, where=where,
                 client_id=client.id, event_risk=event_risk, password_result=password_result, event_id=event_id)
    if notify_action is not None:
        await _notify(ctx, tx, pool, user, config, notify_action, where, event_id)
    return Screening(failure=failure, mfa=mfa, event={"id": event_id, "challenges": challenges})


async def mfa_answered(tx: Transaction, pool: PoolRecord, username_key: str, event: dict[str, Any], *,
                       success: bool) -> None:
    """The MFA challenge of a sign-in threat protection recorded was answered: its event gets the Mfa
    challenge's outcome and ends Pass (a wrong code: Fail, until a right one)."""
    challenges = [*event.get("challenges", []),
                  {"ChallengeName": "Mfa", "ChallengeResponse": "Success" if success else "Failure"}]
    await tx.auth_events.set_outcome(pool.id, username_key, str(event.get("id", "")),
                                     "Pass" if success else "Fail", challenges)


async def refuse_breached(ctx: Context, tx: Transaction, pool: PoolRecord, client_id: str | None, password: str,
                          event: str, *, admin: bool = False) -> None:
    """A sign-up's or password change's new password, against the breached list (ENFORCED, BLOCK)."""
    if mode(pool) != "ENFORCED" or not ctx.breached.configured:
        return
    config = await effective_config(tx, pool.id, client_id)
    if risk.compromised_action(config, event) != "BLOCK":
        return
    skipped = (config.get("RiskExceptionConfiguration") or {}).get("SkippedIPRangeList") or []
    if not admin and risk.in_ranges(CALLER.get().ip, skipped):
        return
    if await ctx.breached.contains(password):
        raise InvalidPasswordException(BREACHED)


# --- the notification and its feedback links -------------------------------------------------------------


def feedback_token(ctx: Context, pool_id: str, username_key: str, event_id: str) -> str:
    """FeedbackToken: a keyed hash of (pool, user, event) under the data key, so only the emailed links (and
    whoever holds them) can give a user's feedback; nothing is stored."""
    key = ctx.cipher.derive("auth-event-feedback")
    digest = hmac.digest(key, f"{pool_id}\0{username_key}\0{event_id}".encode(), "sha256")
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _link(ctx: Context, pool: PoolRecord, user: UserRecord, event_id: str, value: str) -> str:
    query = urlencode({
        "userPoolId": pool.id, "username": user.username, "eventId": event_id,
        "feedbackToken": feedback_token(ctx, pool.id, user.username_key, event_id), "feedbackValue": value,
    })
    return f"{ctx.settings.public_url}{FEEDBACK_PATH}?{query}"


async def _notify(ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord, config: dict[str, Any],
                  action: str, where: Seen, event_id: str) -> None:
    """The NotifyConfiguration email of the action, to the user's email address (none: nothing is sent). A
    delivery failure does not fail the sign-in: it is logged and written to the userNotification log."""
    destination = user.attributes.get("email")
    if not destination:
        return
    _member, template = risk.email_template(config, action)
    values = {
        "username": user.username, "ip-address": where.ip or "unknown", "city": "unknown", "country": "unknown",
        "login-time": ctx.clock.now().strftime("%Y-%m-%d %H:%M:%S UTC"), "device-name": where.device or "unknown",
        "one-click-link-valid": _link(ctx, pool, user, event_id, "valid"),
        "one-click-link-invalid": _link(ctx, pool, user, event_id, "invalid"),
    }
    if template.get("HtmlBody"):
        body = risk.fill(template["HtmlBody"], values, escape=True)
    else:
        body = risk.fill(template.get("TextBody") or "", values)
    message = Message(pool.id, user.username, destination, "EMAIL", risk.fill(template["Subject"], values), body,
                      None, NOTIFICATION_SOURCE)
    notify = (config.get("AccountTakeoverRiskConfiguration") or {}).get("NotifyConfiguration") or {}
    identity = str(notify.get("SourceArn") or "").rpartition(":identity/")[2]
    from_address = notify.get("From") or (identity if "@" in identity else "") or sender_address(pool.settings)[0]
    await ctx.outbox.record(tx, message)
    try:
        await ctx.delivery.email.send(message, from_address=from_address, reply_to=notify.get("ReplyTo"))
    except DeliveryError as exc:
        log.warning("%s", exc)
        await log_delivery.notification_error(ctx, tx, pool, str(exc), medium="EMAIL")
    ctx.outbox.announce([message])


async def give_feedback(ctx: Context, tx: Transaction, pool: PoolRecord, username: str, event_id: str,
                        value: str, *, token: str | None) -> None:
    """EventFeedback on one of the user's events: by an administrator (no token; Provider "Admin" [C]) or by
    the user through a FeedbackToken (Provider "User" [U])."""
    require_enabled(pool)
    user = await find_user(tx, pool, username)
    if user is None:
        raise UserNotFoundException("User does not exist.")
    if token is not None and not hmac.compare_digest(
        token.encode(), feedback_token(ctx, pool.id, user.username_key, event_id).encode()
    ):
        raise NotAuthorizedException("Invalid feedback token.")  # [U] wording
    normalized = {"valid": "Valid", "invalid": "Invalid"}.get(value.lower())
    if normalized is None:
        raise InvalidParameterException(f"Invalid feedback value {value}")
    feedback = {"FeedbackValue": normalized, "Provider": "User" if token is not None else "Admin",
                "FeedbackDate": ctx.clock.now().timestamp()}
    if not await tx.auth_events.set_feedback(pool.id, user.username_key, event_id, feedback):
        raise ResourceNotFoundException(f"Auth event {event_id} does not exist.")  # [U] wording


async def feedback_link(ctx: Context, params: dict[str, str]) -> tuple[str, int]:
    """GET FEEDBACK_PATH: the one-click link of a notification email. Answers a short text page."""
    try:
        missing = [n for n in ("userPoolId", "username", "eventId", "feedbackToken", "feedbackValue")
                   if not params.get(n)]
        if missing:
            raise InvalidParameterException(f"Missing {', '.join(missing)}")
        async with ctx.store.transaction() as tx:
            pool = await tx.pools.get(params["userPoolId"])
            if pool is None:
                raise ResourceNotFoundException(f"User pool {params['userPoolId']} does not exist.")
            await give_feedback(ctx, tx, pool, params["username"], params["eventId"], params["feedbackValue"],
                                token=params["feedbackToken"])
    except CognitoError as error:
        return f"Your feedback could not be recorded: {error.message}\n", 400
    return "Thank you: your feedback has been recorded.\n", 200


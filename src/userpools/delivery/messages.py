"""What a pool sends, rendered from its templates: verification codes and invitations.

Placeholders are Cognito's: ``{####}`` (the code or temporary password) and ``{username}``. Texts come
from the pool's settings (VerificationMessageTemplate and the legacy Email/SmsVerification members,
AdminCreateUserConfig.InviteMessageTemplate) or Cognito's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Cognito's default verification texts (shared/cognito/recovery.md §4.7; the trailing space is real).
DEFAULT_CODE_MESSAGE = "Your verification code is {####}. "
DEFAULT_CODE_SUBJECT = "Your verification code"
# The default invitation (AWS CDK's documented defaults for Cognito's invitation; unconfirmed that the
# service's own default matches to the character).
DEFAULT_INVITE_EMAIL = "Your username is {username} and temporary password is {####}."
DEFAULT_INVITE_SUBJECT = "Your temporary password"
DEFAULT_INVITE_SMS = "Your username is {username} and temporary password is {####}"


@dataclass(frozen=True)
class Message:
    """One message to one destination. ``code`` is what the user must type back (or the temporary
    password); it is recorded (encrypted) in the outbox so tests can read it."""

    pool_id: str
    username: str
    destination: str
    delivery_medium: str  # "EMAIL" | "SMS"
    subject: str | None
    body: str
    code: str | None
    trigger_source: str


def _fill(template: str, code: str | None, username: str) -> str:
    return template.replace("{####}", code or "").replace("{username}", username)


def verification_message(
    settings: dict[str, Any], *, pool_id: str, username: str, medium: str, destination: str, code: str,
    trigger_source: str,
) -> Message:
    """A code message (sign-up, resend, attribute verification) by the pool's verification template."""
    template = settings.get("VerificationMessageTemplate") or {}
    if medium == "SMS":
        text = template.get("SmsMessage") or settings.get("SmsVerificationMessage") or DEFAULT_CODE_MESSAGE
        return Message(pool_id, username, destination, "SMS", None, _fill(text, code, username), code,
                       trigger_source)
    body = template.get("EmailMessage") or settings.get("EmailVerificationMessage") or DEFAULT_CODE_MESSAGE
    subject = template.get("EmailSubject") or settings.get("EmailVerificationSubject") or DEFAULT_CODE_SUBJECT
    return Message(pool_id, username, destination, "EMAIL", subject, _fill(body, code, username), code,
                   trigger_source)


def invitation_message(
    settings: dict[str, Any], *, pool_id: str, username: str, medium: str, destination: str,
    temporary_password: str,
) -> Message:
    """AdminCreateUser's invitation with the temporary password (CustomMessage_AdminCreateUser)."""
    template = (settings.get("AdminCreateUserConfig") or {}).get("InviteMessageTemplate") or {}
    if medium == "SMS":
        text = template.get("SMSMessage") or DEFAULT_INVITE_SMS
        return Message(pool_id, username, destination, "SMS", None, _fill(text, temporary_password, username),
                       temporary_password, "CustomMessage_AdminCreateUser")
    body = template.get("EmailMessage") or DEFAULT_INVITE_EMAIL
    subject = template.get("EmailSubject") or DEFAULT_INVITE_SUBJECT
    return Message(pool_id, username, destination, "EMAIL", subject, _fill(body, temporary_password, username),
                   temporary_password, "CustomMessage_AdminCreateUser")


def mask_destination(medium: str, destination: str) -> str:
    """CodeDeliveryDetails.Destination as Cognito masks it: ``t***@t***`` for email (first character of
    the local part and of the domain), ``+********0276`` for phones (every digit but the last four)."""
    if medium == "EMAIL":
        local, _, domain = destination.partition("@")
        return f"{local[:1]}***@{domain[:1]}***"
    digits = destination.removeprefix("+")
    return "+" + "*" * max(len(digits) - 4, 0) + digits[-4:]


def code_delivery_details(message: Message, attribute: str) -> dict[str, str]:
    return {
        "Destination": mask_destination(message.delivery_medium, message.destination),
        "DeliveryMedium": message.delivery_medium,
        "AttributeName": attribute,
    }


# MFA codes: SmsAuthenticationMessage [O: its default in describe-user-pool outputs] and the pool's
# EmailMfaConfiguration [C: BC]; the email defaults are unconfirmed.
DEFAULT_MFA_SMS = "Your authentication code is {####}. "
DEFAULT_MFA_EMAIL = "Your authentication code is {####}. "
DEFAULT_MFA_SUBJECT = "Your authentication code"


def mfa_message(settings: dict[str, Any], *, pool_id: str, username: str, medium: str, destination: str,
                code: str) -> Message:
    """An MFA code at sign-in (CustomMessage_Authentication, and the custom senders' _Authentication)."""
    if medium == "SMS":
        text = settings.get("SmsAuthenticationMessage") or DEFAULT_MFA_SMS
        return Message(pool_id, username, destination, "SMS", None, _fill(text, code, username), code,
                       "CustomMessage_Authentication")
    email = settings.get("EmailMfaConfiguration") or {}
    body = email.get("Message") or DEFAULT_MFA_EMAIL
    subject = email.get("Subject") or DEFAULT_MFA_SUBJECT
    return Message(pool_id, username, destination, "EMAIL", subject, _fill(body, code, username), code,
                   "CustomMessage_Authentication")

"""Account recovery rules: which channel a reset code goes to, and what a simulated answer looks like.

Facts from shared/cognito/recovery.md §1.3–§1.4:
- AccountRecoverySetting.RecoveryMechanisms: 1–2 entries by Priority (1 first); the code goes to exactly one
  channel, the second only when the user has no usable first one; ``admin_only`` stands alone.
- Without the setting (the legacy rule): a verified phone first, then a verified email.
- Only verified attributes count (``email_verified`` / ``phone_number_verified`` = "true"); SMS does not count
  when it is the user's MFA channel, nor email when email is.
"""

from __future__ import annotations

import hmac
import re
import string
from collections.abc import Mapping
from typing import Any

ADMIN_ONLY = "admin_only"
_MECHANISM_ATTRIBUTE = {"verified_email": "email", "verified_phone_number": "phone_number"}
_LEGACY_ORDER = ("phone_number", "email")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_PHONE = re.compile(r"\+[0-9]{6,15}")


def mechanisms(pool_settings: Mapping[str, Any]) -> list[str]:
    """The pool's recovery mechanisms by priority (the legacy order when it has none)."""
    setting = (pool_settings.get("AccountRecoverySetting") or {}).get("RecoveryMechanisms") or []
    if not setting:
        return [f"verified_{attribute}" for attribute in _LEGACY_ORDER]
    return [entry["Name"] for entry in sorted(setting, key=lambda e: int(e.get("Priority", 1)))]


def mfa_channels(extra: Mapping[str, Any]) -> set[str]:
    """The attributes the user's MFA uses (SMS → phone_number, EMAIL_OTP → email)."""
    methods = set(extra.get("UserMFASettingList") or [])
    methods |= {extra["PreferredMfaSetting"]} if extra.get("PreferredMfaSetting") else set()
    channels = set()
    if "SMS_MFA" in methods:
        channels.add("phone_number")
    if methods & {"EMAIL_OTP", "EMAIL_MFA"}:
        channels.add("email")
    return channels


def recovery_channel(pool_settings: Mapping[str, Any], attributes: Mapping[str, str],
                     extra: Mapping[str, Any]) -> str | None:
    """``"email"``, ``"phone_number"``, ``ADMIN_ONLY``, or None when the user has no usable channel."""
    order = mechanisms(pool_settings)
    if order == [ADMIN_ONLY]:
        return ADMIN_ONLY
    excluded = mfa_channels(extra)
    for name in order:
        attribute = _MECHANISM_ATTRIBUTE.get(name)
        if (attribute and attribute not in excluded and attributes.get(attribute)
                and attributes.get(f"{attribute}_verified") == "true"):
            return attribute
    return None


def admin_reset_channel(pool_settings: Mapping[str, Any], attributes: Mapping[str, str],
                        extra: Mapping[str, Any]) -> str | None:
    """AdminResetUserPassword's channel: the pool's mechanisms, or the legacy order when they say admin_only
    (the administrator asked for the reset; unconfirmed how Cognito picks here)."""
    channel = recovery_channel(pool_settings, attributes, extra)
    if channel != ADMIN_ONLY:
        return channel
    return recovery_channel({}, attributes, extra)


def simulated_delivery(pool_settings: Mapping[str, Any], username: str, key: bytes) -> dict[str, str]:
    """PreventUserExistenceErrors: CodeDeliveryDetails for a user that does not exist, shaped like a real
    one. The medium follows the username's format and the pool's recovery setting (DG "managing errors");
    the masked destination is not the input's, but is stable per (pool, username) — a real user's answer
    does not change between requests either, so a changing one would give the game away."""
    digest = hmac.digest(key, username.encode(), "sha256")
    letters = string.ascii_lowercase
    first = mechanisms(pool_settings)[0] if (pool_settings.get("AccountRecoverySetting") or {}) else None
    by_phone = bool(_PHONE.fullmatch(username)) or (first == "verified_phone_number" and not _EMAIL.fullmatch(username))
    if by_phone:
        digits = "".join(str(b % 10) for b in digest[:4])
        return {"Destination": "+" + "*" * 7 + digits, "DeliveryMedium": "SMS", "AttributeName": "phone_number"}
    return {
        "Destination": f"{letters[digest[0] % 26]}***@{letters[digest[1] % 26]}***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }

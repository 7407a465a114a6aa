"""User sessions (ListUserSessions and friends): session ids, the pool's and a client's session configuration,
and the DeviceType Cognito derives from a User-Agent.

A token session is one refresh-token family (``AuthSessionRecord``, its ``origin_jti``); an SSO session is a
hosted-UI sign-in session (``OAuthGrantRecord`` kind "session", its stored key). Their SessionIds are those
identities written in Cognito's form, ``tkn``/``sso`` + 25 of [a-z0-9] [C: BC SessionIdType]: the 128 bits of
the UUID, or of the first half of the keyed hash, in base 36 (36**25 > 2**128), so a token session's id turns
back into its family without a column of its own, and an SSO session's id reveals nothing of its cookie.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any, Final

TOKEN_PREFIX: Final = "tkn"
SSO_PREFIX: Final = "sso"
_DIGITS: Final = "0123456789abcdefghijklmnopqrstuvwxyz"
_WIDTH: Final = 25

#: The pool setting (not a UserPoolType member, so DescribeUserPool never shows it and UpdateUserPool keeps it).
SETTING: Final = "_UserSessionConfiguration"
DEFAULT_MAX_PER_USER: Final = 20  # [C: BC GetUserPoolSessionConfiguration doc]
DEFAULT_SSO_MAX_VALIDITY_MINUTES: Final = 60  # [C: BC GetUserPoolClientSessionConfiguration doc]
#: tx.resources kind of a client's session configuration; key ``<pool id>/<client id>``; document
#: ClientSSOSessionConfigType (``{"MaxValidityMinutes"}``).
CLIENT_SESSION_CONFIG: Final = "client_session_config"
#: Cognito answers every session in one page of at most 125 [C: BC AdminListUserSessions doc].
PAGE: Final = 125


def _base36(number: int) -> str:
    out = []
    while number:
        number, digit = divmod(number, 36)
        out.append(_DIGITS[digit])
    return "".join(reversed(out)).rjust(_WIDTH, "0")


def token_session_id(origin_jti: str) -> str:
    return TOKEN_PREFIX + _base36(uuid.UUID(origin_jti).int)


def sso_session_id(grant_key: str) -> str:
    return SSO_PREFIX + _base36(int(grant_key[:32], 16))


def origin_jti_of(session_id: str) -> str | None:
    """The family a ``tkn`` id names (None: not a token session id, or no UUID)."""
    if not session_id.startswith(TOKEN_PREFIX):
        return None
    number = int(session_id[len(TOKEN_PREFIX):], 36)
    return str(uuid.UUID(int=number)) if number < 1 << 128 else None


# --- configuration ------------------------------------------------------------------------------------


def pool_config(settings: Mapping[str, Any]) -> dict[str, Any]:
    """UserSessionTracking and TokenSession as Get/SetUserPoolSessionConfiguration show them (defaults when
    never set: DISABLED, 20 [C: BC])."""
    stored = settings.get(SETTING) or {}
    return {
        "UserSessionTracking": stored.get("UserSessionTracking", "DISABLED"),
        "TokenSession": {"MaxPerUser": int((stored.get("TokenSession") or {}).get("MaxPerUser",
                                                                                  DEFAULT_MAX_PER_USER))},
    }


def client_config_key(pool_id: str, client_id: str) -> str:
    return f"{pool_id}/{client_id}"


def sso_max_validity_minutes(document: Mapping[str, Any] | None) -> int:
    return int((document or {}).get("MaxValidityMinutes", DEFAULT_SSO_MAX_VALIDITY_MINUTES))


def tracking(settings: Mapping[str, Any]) -> bool:
    stored = settings.get(SETTING)
    return bool(stored) and stored.get("UserSessionTracking") == "ENABLED"


def max_per_user(settings: Mapping[str, Any]) -> int:
    return int(pool_config(settings)["TokenSession"]["MaxPerUser"])


def with_pool_config(settings: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
    """The settings with the session configuration replaced as a whole (every member is required [C: BC])."""
    updated = dict(settings)
    updated[SETTING] = {
        "UserSessionTracking": request["UserSessionTracking"],
        "TokenSession": {"MaxPerUser": int(request["TokenSession"]["MaxPerUser"])},
    }
    return updated


def to_evict(live: list[tuple[str, Any]], limit: int) -> list[str]:
    """The families to revoke before one more sign-in, least recently used first: ``live`` is (origin_jti,
    last use) of the user's token sessions; at the limit, as many go as make room for one [C: BC MaxPerUser]."""
    excess = len(live) - limit + 1
    if excess <= 0:
        return []
    return [jti for jti, _ in sorted(live, key=lambda item: (item[1], item[0]))[:excess]]


# --- DeviceType ---------------------------------------------------------------------------------------

_BROWSERS: Final = (
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/")),
)
_SYSTEMS: Final = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux|X11")),
)
_PRODUCT: Final = re.compile(r"^([A-Za-z][\w.+-]*)")


def device_type(user_agent: str | None) -> str:
    """The "operating system and browser or app" Cognito shows as DeviceType, or "unknown" [C: BC]. [U] The
    exact wording of Cognito's parse is not documented: "<browser> on <system>" for browsers, the first
    product token (``Boto3``, ``aws-sdk-js``, ``python-httpx``) for apps and SDKs."""
    if not user_agent:
        return "unknown"
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), None)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), None)
    if browser is not None:
        return f"{browser} on {system}" if system else browser
    product = _PRODUCT.match(user_agent)
    name = product.group(1) if product else "unknown"
    return (f"{name} on {system}" if system else name)[:1024]

"""Threat protection's pure rules: risk configurations, IP exception ranges, the local account-takeover rule,
and the notification emails' placeholders.

The account-takeover rule (Cognito's own model is not published; this is userpools' documented substitute,
also in docs/compatibility.md). A sign-in whose password was right is compared with the user's earlier sign-in
events (the last ``HISTORY`` of them):

- *known* IP addresses and devices are those of earlier successful sign-ins (EventResponse Pass) that nobody
  marked Invalid through feedback; a user with no earlier successful sign-in has nothing known yet, and its
  first sign-in is not new in either way;
- *recent failures* are failed sign-in events of the last ``FAILURE_WINDOW``;
- **High**: the request's IP address had a recent failure, and the device is new;
- **Medium**: the IP address is new, and the user had recent failures (from anywhere);
- **Low**: the IP address or the device is new;
- otherwise no risk (RiskDecision NoRisk, no RiskLevel).

The device is the ``DeviceName`` of the event: the client's User-Agent (or, for server-side apps, the
``User-Agent`` of ContextData.HttpHeaders).
"""

from __future__ import annotations

import html
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from userpools.domain.records import AuthEventRecord
from userpools.errors import InvalidParameterException

HISTORY = 50
FAILURE_WINDOW = timedelta(hours=1)

LEVELS = ("Low", "Medium", "High")
_ACTION_KEYS = {"Low": "LowAction", "Medium": "MediumAction", "High": "HighAction"}

# The default notification texts (the subjects are the CLI example's [O: describe-risk-configuration.rst];
# the bodies are userpools' own [U]).
DEFAULT_EMAILS = {
    "BlockEmail": {
        "Subject": "Blocked sign-in attempt",
        "TextBody": "We blocked an unrecognized sign-in to your account {username} from {ip-address} "
                    "({device-name}) at {login-time}. If this was you, follow {one-click-link-valid}; if it "
                    "was not, follow {one-click-link-invalid}.",
    },
    "NoActionEmail": {
        "Subject": "New sign-in attempt",
        "TextBody": "We observed an unrecognized sign-in to your account {username} from {ip-address} "
                    "({device-name}) at {login-time}. If this was you, follow {one-click-link-valid}; if it "
                    "was not, follow {one-click-link-invalid}.",
    },
    "MfaEmail": {
        "Subject": "New sign-in attempt",
        "TextBody": "We required you to use multi-factor authentication for a sign-in to your account "
                    "{username} from {ip-address} ({device-name}) at {login-time}. If this was you, follow "
                    "{one-click-link-valid}; if it was not, follow {one-click-link-invalid}.",
    },
}


def _invalid(message: str) -> InvalidParameterException:
    return InvalidParameterException(message)


def parse_ranges(ranges: Iterable[str], member: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for item in ranges:
        try:
            out.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise _invalid(f"{member} contains an invalid CIDR range: {item}") from None  # [U] wording
    return out


def in_ranges(ip: str | None, ranges: Iterable[str]) -> bool:
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False
    for item in ranges:
        try:
            if address in ipaddress.ip_network(item, strict=False):
                return True
        except ValueError:
            continue
    return False


def check_configuration(config: Mapping[str, Any]) -> None:
    """SetRiskConfiguration's rules beyond the model's shapes [U: wording]."""
    exceptions = config.get("RiskExceptionConfiguration") or {}
    parse_ranges(exceptions.get("BlockedIPRangeList") or [], "BlockedIPRangeList")
    parse_ranges(exceptions.get("SkippedIPRangeList") or [], "SkippedIPRangeList")
    takeover = config.get("AccountTakeoverRiskConfiguration")
    if takeover:
        actions = takeover.get("Actions") or {}
        notify = any((actions.get(key) or {}).get("Notify") for key in _ACTION_KEYS.values())
        if notify and not takeover.get("NotifyConfiguration"):
            # [C: NotifyConfiguration is what "Notify" sends; U: that Cognito refuses it missing, and wording]
            raise _invalid("NotifyConfiguration is required when an account takeover action notifies the user.")


@dataclass(frozen=True)
class Assessment:
    level: str | None  # Low | Medium | High, or None: no risk
    new_ip: bool
    new_device: bool


def assess(history: Sequence[AuthEventRecord], *, ip: str | None, device: str | None, now: datetime) -> Assessment:
    """The account-takeover rule (module docstring) on the user's earlier events, newest first."""
    sign_ins = [e for e in history if e.event_type == "SignIn"]
    trusted = [e for e in sign_ins if e.response == "Pass" and (e.feedback or {}).get("FeedbackValue") != "Invalid"]
    known_ips = {e.context.get("IpAddress") for e in trusted}
    known_devices = {e.context.get("DeviceName") for e in trusted}
    failures = [e for e in sign_ins if e.response == "Fail" and now - e.created_at <= FAILURE_WINDOW]
    failing_ips = {e.context.get("IpAddress") for e in failures}
    new_ip = bool(trusted) and ip not in known_ips
    new_device = bool(trusted) and device not in known_devices
    if ip is not None and ip in failing_ips and new_device:
        level: str | None = "High"
    elif new_ip and failures:
        level = "Medium"
    elif new_ip or new_device:
        level = "Low"
    else:
        level = None
    return Assessment(level, new_ip, new_device)


def takeover_action(config: Mapping[str, Any], level: str) -> tuple[str, bool]:
    """(EventAction, Notify) configured for the level; NO_ACTION without notice when none is [U]."""
    action = ((config.get("AccountTakeoverRiskConfiguration") or {}).get("Actions") or {}).get(_ACTION_KEYS[level])
    if not action:
        return "NO_ACTION", False
    return str(action.get("EventAction") or "NO_ACTION"), bool(action.get("Notify"))


def compromised_action(config: Mapping[str, Any], event: str) -> str | None:
    """The compromised-credentials EventAction for ``event`` (SIGN_IN | PASSWORD_CHANGE | SIGN_UP), or None when
    the check does not apply: not configured, or the event not in EventFilter (which defaults to all [C])."""
    compromised = config.get("CompromisedCredentialsRiskConfiguration")
    if not compromised:
        return None
    events = compromised.get("EventFilter") or ["SIGN_IN", "PASSWORD_CHANGE", "SIGN_UP"]
    if event not in events:
        return None
    return str((compromised.get("Actions") or {}).get("EventAction") or "NO_ACTION")


def email_template(config: Mapping[str, Any], action: str) -> tuple[str, dict[str, Any]]:
    """(the NotifyConfiguration member, its template) for an EventAction."""
    member = {"BLOCK": "BlockEmail", "NO_ACTION": "NoActionEmail"}.get(action, "MfaEmail")
    notify = (config.get("AccountTakeoverRiskConfiguration") or {}).get("NotifyConfiguration") or {}
    return member, notify.get(member) or DEFAULT_EMAILS[member]


def fill(template: str, values: Mapping[str, str], *, escape: bool = False) -> str:
    """Cognito's placeholders ({username}, {ip-address}, {city}, {country}, {login-time}, {device-name},
    {one-click-link-valid}, {one-click-link-invalid}) replaced; HTML-escaped in an HtmlBody."""
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", html.escape(value) if escape else value)
    return out

"""Multi-factor authentication rules: the pool's factors (SetUserPoolMfaConfig), the user's (the MFA
preferences, kept in ``UserRecord.extra``), and which challenge follows a right first factor.

Facts: shared/cognito/mfa-passwordless.md §1; each unconfirmed choice is marked [U] where it is made.

The user's document (``extra``) keeps, under their wire names so GetUser/AdminGetUser show them as they are:
``UserMFASettingList`` (the enabled factors, absent when none), ``PreferredMfaSetting`` (absent when none) and
``MFAOptions`` (the legacy view of SMS MFA); and under ``SoftwareToken`` the TOTP state: the verified secret
(encrypted), the last step used, the friendly name, and ``Pending`` (an associated secret not yet verified).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from userpools.errors import FeatureUnavailableInTierException, InvalidParameterException

SMS_MFA = "SMS_MFA"
SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"
EMAIL_OTP = "EMAIL_OTP"
FACTORS = (SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP)  # the order lists are shown in [U]
ANSWER_ALIASES = {"EMAIL_MFA": EMAIL_OTP}  # the docs' name for email MFA; Amplify sends EMAIL_OTP [C: BC; AMP6]
TOKEN = "SoftwareToken"
#: The members of a user's document (``extra``) that are its MFA settings (point-in-time recovery's "User MFAs")
SETTINGS_KEYS = ("UserMFASettingList", "PreferredMfaSetting", "MFAOptions", TOKEN)


Settings = dict[str, Any]


def _invalid(message: str) -> InvalidParameterException:
    return InvalidParameterException(message)


# --- the pool -------------------------------------------------------------------------------------------


def sms_enabled(settings: Mapping[str, Any]) -> bool:
    """SMS MFA: set by SetUserPoolMfaConfig, or (a pool never given one) MFA on with an SmsConfiguration, as
    CreateUserPool configures it [C: BC CreateUserPool MfaConfiguration]."""
    if "SmsMfaConfiguration" in settings:
        return bool(settings["SmsMfaConfiguration"])
    return settings.get("MfaConfiguration", "OFF") != "OFF" and bool(settings.get("SmsConfiguration"))


def token_enabled(settings: Mapping[str, Any]) -> bool:
    return bool((settings.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled"))


def email_enabled(settings: Mapping[str, Any]) -> bool:
    return bool(settings.get("EmailMfaConfiguration"))


def pool_factors(settings: Mapping[str, Any]) -> list[str]:
    """The factors the pool offers, in order (what MFAS_CAN_SETUP lists [C: BC "The MFA types activated for
    the user pool"])."""
    offered = {SMS_MFA: sms_enabled(settings), SOFTWARE_TOKEN_MFA: token_enabled(settings),
               EMAIL_OTP: email_enabled(settings)}
    return [f for f in FACTORS if offered[f]]


def mfa_config(settings: Mapping[str, Any]) -> Settings:
    """Get/SetUserPoolMfaConfig's answer: the members set, the others left out [C: BC; O: CLI]."""
    out: Settings = {}
    if sms_enabled(settings):
        sms: Settings = {}
        if settings.get("SmsAuthenticationMessage"):
            sms["SmsAuthenticationMessage"] = settings["SmsAuthenticationMessage"]
        if settings.get("SmsConfiguration"):
            sms["SmsConfiguration"] = settings["SmsConfiguration"]
        out["SmsMfaConfiguration"] = sms
    if "SoftwareTokenMfaConfiguration" in settings:
        out["SoftwareTokenMfaConfiguration"] = dict(settings["SoftwareTokenMfaConfiguration"])
    if email_enabled(settings):
        out["EmailMfaConfiguration"] = dict(settings["EmailMfaConfiguration"])
    out["MfaConfiguration"] = settings.get("MfaConfiguration", "OFF")
    if settings.get("WebAuthnConfiguration"):
        out["WebAuthnConfiguration"] = dict(settings["WebAuthnConfiguration"])
    return out


def with_mfa_config(current: Mapping[str, Any], request: Mapping[str, Any]) -> Settings:
    """SetUserPoolMfaConfig: the pool's settings with the request's MFA configuration. The request is taken
    whole: a factor it leaves out is turned off [U: "Set" read as replacing the configuration]; the SMS
    template and configuration also become DescribeUserPool's SmsAuthenticationMessage and SmsConfiguration,
    as Cognito keeps them in step [C: BC, the members share their shapes]."""
    settings = dict(current)
    sms = request.get("SmsMfaConfiguration")
    if sms is not None:
        config = sms.get("SmsConfiguration") or settings.get("SmsConfiguration")
        if not config:
            # An SMS factor needs an SMS configuration, as CreateUserPool's MFA does [U: wording].
            raise _invalid("SMS configuration is required when SMS MFA is enabled.")
        settings["SmsConfiguration"] = dict(config)
        if sms.get("SmsAuthenticationMessage"):
            settings["SmsAuthenticationMessage"] = sms["SmsAuthenticationMessage"]
        settings["SmsMfaConfiguration"] = {"Enabled": True}
    else:
        settings["SmsMfaConfiguration"] = {}
    if request.get("SoftwareTokenMfaConfiguration") is not None:
        settings["SoftwareTokenMfaConfiguration"] = {
            "Enabled": bool(request["SoftwareTokenMfaConfiguration"].get("Enabled"))
        }
    else:
        settings.pop("SoftwareTokenMfaConfiguration", None)
    email = request.get("EmailMfaConfiguration")
    if email is not None:
        if settings.get("UserPoolTier", "ESSENTIALS") == "LITE":
            raise FeatureUnavailableInTierException("Email MFA is not available in the LITE tier.")  # [C] rule, [U] wording
        if (settings.get("EmailConfiguration") or {}).get("EmailSendingAccount") != "DEVELOPER":
            # [C: DG "Email MFA" needs SES, EmailSendingAccount DEVELOPER]; [U] wording
            raise _invalid("Email MFA requires the user pool to send email with Amazon SES "
                           "(EmailSendingAccount DEVELOPER).")
        settings["EmailMfaConfiguration"] = {k: v for k, v in email.items() if v is not None}
    else:
        settings.pop("EmailMfaConfiguration", None)
    if request.get("WebAuthnConfiguration") is not None:
        settings["WebAuthnConfiguration"] = dict(request["WebAuthnConfiguration"])
    mode = request.get("MfaConfiguration") or current.get("MfaConfiguration") or "OFF"
    if mode != "OFF" and not pool_factors(settings):
        # [U] wording: Cognito refuses MFA with nothing to do it with
        raise _invalid("Invalid MFA configuration given, can't turn on MFA without any enabled MFA factors.")
    settings["MfaConfiguration"] = mode
    return settings


# --- the user -------------------------------------------------------------------------------------------


def enabled_factors(extra: Mapping[str, Any]) -> list[str]:
    return [f for f in FACTORS if f in (extra.get("UserMFASettingList") or [])]


def token_verified(extra: Mapping[str, Any]) -> bool:
    return bool((extra.get(TOKEN) or {}).get("Secret"))


def with_factors(extra: Mapping[str, Any], enabled: list[str], preferred: str | None) -> Settings:
    """The user's document with these factors enabled and this one preferred; the members are left out
    when empty (GetUser shows them absent, not empty [C: BC; U for the empty list])."""
    out = dict(extra)
    ordered = [f for f in FACTORS if f in enabled]
    for key in ("UserMFASettingList", "PreferredMfaSetting", "MFAOptions"):
        out.pop(key, None)
    if ordered:
        out["UserMFASettingList"] = ordered
    if preferred and preferred in ordered:
        out["PreferredMfaSetting"] = preferred
    if SMS_MFA in ordered:
        # The legacy member shows SMS MFA however it was turned on [U].
        out["MFAOptions"] = [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    return out


@dataclass(frozen=True)
class Preference:
    enabled: bool | None
    preferred: bool | None


def _preference(value: Mapping[str, Any] | None) -> Preference | None:
    if value is None:
        return None
    return Preference(value.get("Enabled"), value.get("PreferredMfa"))


def with_preferences(extra: Mapping[str, Any], attributes: Mapping[str, str], request: Mapping[str, Any], *,
                     admin: bool) -> Settings:
    """Set/AdminSetUserMFAPreference: each factor given is enabled or not, preferred or not; the factors left
    out keep their state. At most one is preferred [C: BC]."""
    given = {
        SMS_MFA: _preference(request.get("SMSMfaSettings")),
        SOFTWARE_TOKEN_MFA: _preference(request.get("SoftwareTokenMfaSettings")),
        EMAIL_OTP: _preference(request.get("EmailMfaSettings")),
    }
    enabled = set(enabled_factors(extra))
    preferred = extra.get("PreferredMfaSetting")
    for factor, pref in given.items():
        if pref is None:
            continue
        if pref.enabled:
            _check_can_enable(factor, extra, attributes, admin=admin)
            enabled.add(factor)
        elif pref.enabled is False:
            enabled.discard(factor)
        if pref.preferred:
            if factor not in enabled:
                # [U] wording
                raise _invalid(f"Cannot set {factor} as preferred: it is not enabled.")
            preferred = factor
        elif preferred == factor and (pref.preferred is False or pref.enabled is False):
            preferred = None
    if sum(1 for p in given.values() if p is not None and p.preferred) > 1:
        raise _invalid("Only one MFA method can be set as preferred.")  # [C] rule, [U] wording
    return with_factors(extra, sorted(enabled), preferred if preferred in enabled else None)


def _check_can_enable(factor: str, extra: Mapping[str, Any], attributes: Mapping[str, str], *,
                      admin: bool) -> None:
    if factor == SOFTWARE_TOKEN_MFA and not token_verified(extra):
        raise _invalid("User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA" if admin
                       else "User has not set up software token mfa")  # [O: aws-sdk-js-v3#4645; amplify-js#944]
    if factor == SMS_MFA and not attributes.get("phone_number"):
        raise _invalid("User does not have a phone_number set to turn on SMS MFA")  # [O: amplify-js#618]
    if factor == EMAIL_OTP and not attributes.get("email"):
        raise _invalid("User does not have an email set to turn on EMAIL_OTP MFA")  # [U] by analogy


def with_mfa_options(extra: Mapping[str, Any], attributes: Mapping[str, str],
                     options: list[Mapping[str, Any]]) -> Settings:
    """Set/AdminSetUserSettings (legacy, SMS only [C: BC]): an SMS option turns SMS MFA on, none turns it
    off."""
    enabled = set(enabled_factors(extra))
    if any(o.get("DeliveryMedium") != "SMS" for o in options):
        raise _invalid("Only SMS is supported as an MFA delivery medium.")  # [C] rule, [U] wording
    if options:
        _check_can_enable(SMS_MFA, extra, attributes, admin=False)
        enabled.add(SMS_MFA)
    else:
        enabled.discard(SMS_MFA)
    return with_factors(extra, sorted(enabled), extra.get("PreferredMfaSetting"))


def without_token(extra: Mapping[str, Any]) -> Settings:
    """AdminDeleteSoftwareToken: the secret and the factor gone."""
    out = dict(extra)
    out.pop(TOKEN, None)
    enabled = [f for f in enabled_factors(extra) if f != SOFTWARE_TOKEN_MFA]
    return with_factors(out, enabled, extra.get("PreferredMfaSetting"))


# --- the challenge after the first factor ----------------------------------------------------------------


@dataclass(frozen=True)
class NextStep:
    """``kind``: "tokens", "setup" (MFA_SETUP, ``factors`` = MFAS_CAN_SETUP), "select" (SELECT_MFA_TYPE,
    ``factors`` = MFAS_CAN_CHOOSE) or "challenge" (``factors[0]`` is the challenge)."""

    kind: str
    factors: tuple[str, ...] = ()


def usable_factors(settings: Mapping[str, Any], extra: Mapping[str, Any], attributes: Mapping[str, str]) -> list[str]:
    """The user's enabled factors that the pool offers and the user can receive. Software tokens verified
    while the pool offered them keep working after it stops [C: DG23 mfa-totp]."""
    offered = set(pool_factors(settings))
    can = {
        SMS_MFA: SMS_MFA in offered and bool(attributes.get("phone_number")),
        EMAIL_OTP: EMAIL_OTP in offered and bool(attributes.get("email")),
        SOFTWARE_TOKEN_MFA: token_verified(extra),
    }
    return [factor for factor in enabled_factors(extra) if can[factor]]


def risk_step(settings: Mapping[str, Any], extra: Mapping[str, Any], attributes: Mapping[str, str]) -> NextStep | None:
    """The MFA challenge that threat protection's MFA_IF_CONFIGURED / MFA_REQUIRED asks for, whatever the
    pool's MfaConfiguration [C: API AccountTakeoverActionType: "Present an MFA challenge if possible ... if the
    user pool only supports SMS message MFA but the user doesn't have a phone number attribute, MFA setup isn't
    possible"; "users must have an email address or phone number attribute, or a registered TOTP factor"]:
    the user's enabled factors the pool can use, else each factor the pool offers that the user can receive
    as things are (a phone number for SMS, an email address for email MFA, a verified TOTP secret). None: no
    factor, so MFA_IF_CONFIGURED allows the sign-in and MFA_REQUIRED blocks it. The preferred factor is
    asked; several without one give SELECT_MFA_TYPE."""
    factors = usable_factors(settings, extra, attributes)
    if not factors:
        can = {SMS_MFA: bool(attributes.get("phone_number")), EMAIL_OTP: bool(attributes.get("email")),
               SOFTWARE_TOKEN_MFA: token_verified(extra)}
        factors = [f for f in pool_factors(settings) if can[f]]
        if token_verified(extra) and SOFTWARE_TOKEN_MFA not in factors:
            factors.append(SOFTWARE_TOKEN_MFA)  # a verified secret keeps working (as usable_factors says)
    if not factors:
        return None
    preferred = extra.get("PreferredMfaSetting")
    if preferred in factors:
        return NextStep("challenge", (preferred,))
    if len(factors) == 1:
        return NextStep("challenge", (factors[0],))
    return NextStep("select", tuple(factors))


def next_step(settings: Mapping[str, Any], extra: Mapping[str, Any], attributes: Mapping[str, str]) -> NextStep:
    """What follows a right first factor [C: BC RespondToAuthChallenge; DG23 mfa]:

    - MFA OFF, or OPTIONAL and no factor of the user's: tokens.
    - ON and no enabled factor: a phone (or email) the pool can send codes to is used as it is — ON with SMS
      and TOTP asks users without a phone to set up TOTP [C: DG23 mfa]; the email half by analogy [U] —
      otherwise MFA_SETUP with the pool's factors.
    - The preferred factor; the only one; else SELECT_MFA_TYPE among them.
    """
    mode = settings.get("MfaConfiguration", "OFF")
    if mode == "OFF":
        return NextStep("tokens")
    factors = usable_factors(settings, extra, attributes)
    if not factors and mode == "ON":
        offered = pool_factors(settings)
        if SMS_MFA in offered and attributes.get("phone_number"):
            factors.append(SMS_MFA)
        if EMAIL_OTP in offered and attributes.get("email"):
            factors.append(EMAIL_OTP)
        if not factors:
            return NextStep("setup", tuple(offered))
    if not factors:
        return NextStep("tokens")
    preferred = extra.get("PreferredMfaSetting")
    if preferred in factors:
        return NextStep("challenge", (preferred,))
    if len(factors) == 1:
        return NextStep("challenge", (factors[0],))
    return NextStep("select", tuple(factors))

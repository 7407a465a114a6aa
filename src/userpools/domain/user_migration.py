"""Reading a UserMigration_Authentication answer: the user Cognito creates from it, or why it cannot.

Sources: [C] Developer Guide, "Migrate user Lambda trigger" (archived text at awsdocs/amazon-cognito-developer-
guide, user-pool-lambda-migrate-user.md); [KC] AWS re:Post Knowledge Center, "cognito-migration-lambda-trigger-
errors" (English text truncated in the corpus, the zh-Hans translation read in full); [U] unconfirmed choice.

- ``userAttributes`` is required; an answer without it means the function knows no such user (the caller
  then answers as for any unknown user) [C; same reading as operations.migration for ForgotPassword].
- ``finalUserStatus``: "During sign-in, this attribute can be set to CONFIRMED, or not set, to auto-confirm your
  users"; RESET_REQUIRED makes the sign-in fail with PasswordResetRequiredException [C]. (The KC says any
  value but CONFIRMED fails; the guide's RESET_REQUIRED is kept.) Any other value: UserNotFoundException
  [KC]; its wording "Error during migration: Invalid finalUserStatus" is a back-translation [U].
- ``messageAction`` SUPPRESS or absent; ``desiredDeliveryMediums`` EMAIL / SMS; other values fail the same
  way [KC; wording U].
- Attributes that break the pool's schema fail with UserNotFoundException carrying the schema message, e.g.
  "Attributes did not conform to the schema: …" [KC]; the username rules of SignUp apply (an email-shaped
  name in an email-alias pool is refused) [O: a Stack Overflow report of "Username cannot be of email format,
  since user pool is configured for email alias." during migration]. In an email / phone-as-username pool
  the new user's username is a generated UUID (its sub), as for every user of such a pool.
- The password policy is not enforced: the submitted password becomes the user's password [C].
- ``enableSMSMFA`` true turns SMS MFA on for the new user ("require that your migrated user sign in with SMS
  MFA") [C]; the pool's MFA configuration then decides whether it is asked for, as for any user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from userpools.domain import users as user_domain
from userpools.errors import InvalidParameterException, UserNotFoundException

FINAL_STATUSES = ("CONFIRMED", "RESET_REQUIRED")
MEDIUMS = ("EMAIL", "SMS")


@dataclass(frozen=True)
class MigratedUser:
    username: str
    attributes: dict[str, str]
    status: str
    force_alias_creation: bool
    suppress_message: bool
    delivery_mediums: tuple[str, ...]
    enable_sms_mfa: bool = False


def _invalid(member: str) -> UserNotFoundException:
    return UserNotFoundException(f"Error during migration: Invalid {member}")


def read_answer(pool_settings: Mapping[str, Any], name: str, response: Mapping[str, Any], *,
                sub: str) -> MigratedUser | None:
    """The user to create for the submitted ``name`` from the function's ``response``; None when the answer
    has no userAttributes. Raises UserNotFoundException when the answer cannot make a user."""
    given = response.get("userAttributes")
    if not given:
        return None
    status = response.get("finalUserStatus") or "CONFIRMED"
    if status not in FINAL_STATUSES:
        raise _invalid("finalUserStatus")
    action = response.get("messageAction")
    if action not in (None, "SUPPRESS"):
        raise _invalid("messageAction")
    mediums = tuple(response.get("desiredDeliveryMediums") or ("SMS",))
    if any(m not in MEDIUMS for m in mediums):
        raise _invalid("desiredDeliveryMediums")
    try:
        username, attributes = user_domain.resolve_sign_up_username(
            pool_settings, name, [{"Name": k, "Value": str(v)} for k, v in given.items() if k != "sub"], sub=sub,
        )
        values = user_domain.validate_new_user_attributes(pool_settings, attributes, for_admin=True)
    except InvalidParameterException as exc:
        raise UserNotFoundException(exc.message) from None
    return MigratedUser(
        username=username, attributes=values, status=status,
        force_alias_creation=bool(response.get("forceAliasCreation")), suppress_message=action == "SUPPRESS",
        delivery_mediums=mediums, enable_sms_mfa=bool(response.get("enableSMSMFA")),
    )

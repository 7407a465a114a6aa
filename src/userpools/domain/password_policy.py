"""Password policy: Cognito's checks of a proposed password, and the temporary passwords it generates.

Pure functions on a pool's ``Policies.PasswordPolicy`` document (as ``domain.pools`` stores it). The model's
own constraints (at most 256 characters, pattern ``[\\S]+``) are checked by the protocol layer before these
run; what fails here is an ``InvalidPasswordException`` whose text is one of Cognito's reasons after an
operation-specific prefix.

Source marks (as in ``domain.pools``):
  [C] documented (AWS developer guide / botocore 1.44.8 model docs)
  [O] observed: real Cognito output quoted in issue threads or code that matches on Cognito's exact text
  [U] unconfirmed: chosen for the reason given next to it
Sources: [DG-pol] developer guide "Adding user pool password requirements" (docs corpus); [dataall690]
data-dot-all/dataall#690 + PR#718 (AdminCreateUser); [pw-readme] a create_account README quoting three
AdminCreateUser responses for three inputs (code corpus, id 2420818359); [cypress] two Cypress suites run
against a real pool's SignUp (ids 37847843545, 38419836251); [cfp-rb] a Ruby test stubbing
confirm_forgot_password with Cognito's text (id 42113575227); [amp-npr] Amplify sign-in docs quoting the
completeNewPassword (NEW_PASSWORD_REQUIRED) error (id 17637313091); [ws] apps matching on
"…Password must satisfy regular expression pattern: ^\\S.*\\S$" (ids 37103724632, 45470523925); [so-ws] a
Stack Overflow answer quoting the console tooltip: "The non-leading, non-trailing space character is also
treated as a special character"; [mock-cp] a hand-written amazon-cognito-identity-js double whose
changePassword answers "Password does not conform to policy: Password not long enough" (id 15565789104);
[app-cp] an app calling ChangePassword that matches on "Password did not conform with policy: …" (id
40845905862); [tmp-sym] amplify-js#2487 and aws-samples/sample-agentcore-lowcode-nocode#1: Cognito's
generated temporary passwords contain %, #, <, >, & and '.'.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Mapping
from typing import Any

from userpools.errors import InvalidPasswordException

# --- prefixes: which operation says what ----------------------------------------------------------------

SIGNUP_PREFIX = "Password did not conform with policy: "  # SignUp [O: cypress, many apps' i18n tables]
# AdminCreateUser's TemporaryPassword: a third wording [O: dataall690, pw-readme — three different reasons,
# all behind this prefix, from boto3 "when calling the AdminCreateUser operation"].
ADMIN_CREATE_USER_PREFIX = "Password did not conform with password policy: "
POLICY_PREFIX = "Password does not conform to policy: "  # [O: cfp-rb, amp-npr] see the table below

#: The prefix each password-setting operation uses.
PREFIX_BY_OPERATION: Mapping[str, str] = {
    "SignUp": SIGNUP_PREFIX,  # [O]
    "AdminCreateUser": ADMIN_CREATE_USER_PREFIX,  # [O]
    "ConfirmForgotPassword": POLICY_PREFIX,  # [O: cfp-rb, forgotPasswordSubmit handlers]
    "RespondToAuthChallenge": POLICY_PREFIX,  # NEW_PASSWORD_REQUIRED [O: amp-npr, changePasswordForced test]
    # [U] the admin variant of the same challenge answer: same code path as above is the likely design.
    "AdminRespondToAuthChallenge": POLICY_PREFIX,
    # [U] the "set a password" family (ConfirmForgotPassword, NEW_PASSWORD_REQUIRED) all use POLICY_PREFIX;
    # chosen for AdminSetUserPassword too.
    "AdminSetUserPassword": POLICY_PREFIX,
    # [U] the sources disagree (mock-cp: POLICY_PREFIX; app-cp matches SIGNUP_PREFIX); POLICY_PREFIX chosen
    # because the one that quotes a full message (mock-cp) is a copy of a real response.
    "ChangePassword": POLICY_PREFIX,
}

# --- the rules --------------------------------------------------------------------------------------------

# [C: DG-pol] the special characters, "The space character is also treated as a special character".
SYMBOLS = frozenset("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")
# [C: DG-pol] "Uppercase Basic Latin letter" / "Lowercase Basic Latin letter"; [U] numbers are the ASCII
# digits too (the guide lists "Number" next to the Basic Latin letters).
_UPPER = frozenset(string.ascii_uppercase)
_LOWER = frozenset(string.ascii_lowercase)
_DIGITS = frozenset(string.digits)

NOT_LONG_ENOUGH = "Password not long enough"  # [O]
MUST_HAVE_LOWERCASE = "Password must have lowercase characters"  # [O]
MUST_HAVE_UPPERCASE = "Password must have uppercase characters"  # [O]
MUST_HAVE_NUMBERS = "Password must have numeric characters"  # [O]
MUST_HAVE_SYMBOLS = "Password must have symbol characters"  # [O]
# A password may not begin or end with whitespace [O: so-ws "no leading or trailing spaces" rule; ws: the
# exact text behind POLICY_PREFIX]. The pattern is Java's: \S is not [ \t\n\x0B\f\r] and . is not a line
# terminator, and Cognito matches the whole password.
MUST_MATCH_PATTERN = "Password must satisfy regular expression pattern: ^\\S.*\\S$"
_JAVA_SPACE = " \t\n\x0b\f\r"
_EDGES = re.compile(f"[^{_JAVA_SPACE}][^\n\r\x85\u2028\u2029]*[^{_JAVA_SPACE}]")

DEFAULT_MINIMUM_LENGTH = 8  # [C] the policy default (domain.pools.DEFAULT_PASSWORD_POLICY)


def _java_length(text: str) -> int:
    """Length in UTF-16 code units, as Java's String.length() counts (Cognito is a Java service).
    [U] chosen so a character outside the BMP counts twice, as it would there."""
    return len(text.encode("utf-16-le")) // 2


def violation(password: str, policy: Mapping[str, Any]) -> str | None:
    """The first rule the password breaks, or None.

    One reason per response [O: amazon-cognito-identity-js#311, #414 "returns one error only"]. Order:
    length first [U: every report of a short password shows this reason]; then the whitespace pattern [U:
    placed before the character classes because it is a property of the whole string]; lowercase before
    uppercase [O: cypress — "12341234" answers "…lowercase characters" (that pool's uppercase flag is not
    shown)]; uppercase before numbers [O: pw-readme — "asdfasilguhasulf!" (no upper case, no digit) answers
    "…uppercase characters"]; numbers before symbols [O: cypress — "TestTest" answers "…numeric characters"
    (symbol flag not shown)]."""
    if _java_length(password) < int(policy.get("MinimumLength") or DEFAULT_MINIMUM_LENGTH):
        return NOT_LONG_ENOUGH
    if not _EDGES.fullmatch(password):
        return MUST_MATCH_PATTERN
    characters = set(password)
    checks = (
        ("RequireLowercase", _LOWER, MUST_HAVE_LOWERCASE),
        ("RequireUppercase", _UPPER, MUST_HAVE_UPPERCASE),
        ("RequireNumbers", _DIGITS, MUST_HAVE_NUMBERS),
        ("RequireSymbols", SYMBOLS, MUST_HAVE_SYMBOLS),
    )
    for flag, allowed, reason in checks:
        if policy.get(flag) and characters.isdisjoint(allowed):
            return reason
    return None


def check_password(password: str, policy: Mapping[str, Any], *, prefix: str) -> None:
    """Raises InvalidPasswordException("<prefix><reason>") if ``password`` breaks ``policy``."""
    reason = violation(password, policy)
    if reason is not None:
        raise InvalidPasswordException(prefix + reason)


# --- temporary passwords ------------------------------------------------------------------------------------

# [O: tmp-sym] Cognito's own temporary passwords use the symbol set; [U] without the space, so that a
# generated password can never break the edge rule or get mangled in an invitation message.
_GENERATED_SYMBOLS = "".join(sorted(SYMBOLS - {" "}))
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, _GENERATED_SYMBOLS)
_ALPHABET = "".join(_CLASSES)


def generate_temporary_password(policy: Mapping[str, Any]) -> str:
    """A temporary password for AdminCreateUser without TemporaryPassword, from the OS CSPRNG.

    It holds every character class whatever the flags say (so it satisfies any policy, and still does if
    the flags are tightened before first sign-in). Length: the policy minimum, at least 8 [U: Cognito's are
    short, typed-by-hand strings; the documented default minimum is 8]."""
    length = max(int(policy.get("MinimumLength") or DEFAULT_MINIMUM_LENGTH), DEFAULT_MINIMUM_LENGTH)
    characters = [secrets.choice(group) for group in _CLASSES]
    characters += [secrets.choice(_ALPHABET) for _ in range(length - len(characters))]
    secrets.SystemRandom().shuffle(characters)
    return "".join(characters)

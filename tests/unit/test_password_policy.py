"""Password policy: Cognito's one-reason InvalidPasswordException texts, their order and prefixes, the symbol
set, the whitespace rule, and generated temporary passwords."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from userpools.domain.password_policy import (
    ADMIN_CREATE_USER_PREFIX,
    POLICY_PREFIX,
    PREFIX_BY_OPERATION,
    SIGNUP_PREFIX,
    SYMBOLS,
    check_password,
    generate_temporary_password,
    violation,
)
from userpools.domain.pools import DEFAULT_PASSWORD_POLICY
from userpools.errors import InvalidPasswordException

STRICT = dict(DEFAULT_PASSWORD_POLICY)  # 8 characters, all four classes
LAX = {
    "MinimumLength": 6,
    **{f: False for f in ("RequireUppercase", "RequireLowercase", "RequireNumbers", "RequireSymbols")},
}
REASONS = {
    "Password not long enough",
    "Password must have lowercase characters",
    "Password must have uppercase characters",
    "Password must have numeric characters",
    "Password must have symbol characters",
    "Password must satisfy regular expression pattern: ^\\S.*\\S$",
}


def refused(message: str):
    return pytest.raises(InvalidPasswordException, match=f"^{re.escape(message)}$")


def policy(**flags) -> dict:
    return {**LAX, **flags}


# --- the reasons, one per response ----------------------------------------------------------------------------


def test_password_meeting_every_rule_is_accepted():
    check_password("Passw0rd!", STRICT, prefix=SIGNUP_PREFIX)


def test_short_password_on_sign_up_raises_not_long_enough_with_sign_up_prefix():
    with refused("Password did not conform with policy: Password not long enough"):
        check_password("Pa0!", STRICT, prefix=SIGNUP_PREFIX)


def test_password_without_lowercase_raises_must_have_lowercase():
    with refused("Password did not conform with policy: Password must have lowercase characters"):
        check_password("PASSW0RD!", STRICT, prefix=SIGNUP_PREFIX)


def test_password_without_uppercase_raises_must_have_uppercase():
    with refused("Password did not conform with policy: Password must have uppercase characters"):
        check_password("passw0rd!", STRICT, prefix=SIGNUP_PREFIX)


def test_password_without_digit_raises_must_have_numeric():
    with refused("Password did not conform with policy: Password must have numeric characters"):
        check_password("Password!", STRICT, prefix=SIGNUP_PREFIX)


def test_password_without_symbol_raises_must_have_symbol():
    with refused("Password did not conform with policy: Password must have symbol characters"):
        check_password("Passw0rdd", STRICT, prefix=SIGNUP_PREFIX)


def test_length_is_reported_before_any_character_class():
    assert violation("a", STRICT) == "Password not long enough"


def test_lowercase_is_reported_before_uppercase():  # "12341234" observed on a real pool
    assert violation("12341234", STRICT) == "Password must have lowercase characters"


def test_uppercase_is_reported_before_numbers():  # "asdfasilguhasulf!" observed on AdminCreateUser
    assert violation("asdfasilguhasulf!", STRICT) == "Password must have uppercase characters"


def test_numbers_are_reported_before_symbols():  # "TestTest" observed on a real pool
    assert violation("TestTest", STRICT) == "Password must have numeric characters"


def test_flags_that_are_off_are_not_checked():
    check_password("aaaaaa", LAX, prefix=SIGNUP_PREFIX)


@pytest.mark.parametrize(
    ("flag", "reason"),
    [
        ("RequireLowercase", "Password must have lowercase characters"),
        ("RequireUppercase", "Password must have uppercase characters"),
        ("RequireNumbers", "Password must have numeric characters"),
        ("RequireSymbols", "Password must have symbol characters"),
    ],
)
def test_each_flag_alone_is_enforced(flag, reason):
    assert violation("......", policy(**{flag: True})) == (None if flag == "RequireSymbols" else reason)
    assert violation("~~~~~~", policy(**{flag: True})) == (None if flag == "RequireSymbols" else reason)


def test_minimum_length_is_the_policy_value():
    assert violation("abcdefghi", policy(MinimumLength=10)) == "Password not long enough"
    assert violation("abcdefghij", policy(MinimumLength=10)) is None


def test_missing_minimum_length_means_eight():
    assert violation("abcdefg", {}) == "Password not long enough"
    assert violation("abcdefgh", {}) is None


def test_length_counts_utf16_code_units_like_java():
    assert violation("abcde", policy()) == "Password not long enough"
    assert violation("abc\U0001f600d", policy()) is None  # 5 code points, 6 UTF-16 units
    assert violation("\U0001f600\U0001f600\U0001f600", policy()) is None  # 3 code points, 6 units


# --- symbols and letters ------------------------------------------------------------------------------------


@pytest.mark.parametrize("symbol", sorted(SYMBOLS - {" "}))
def test_every_documented_special_character_counts_as_a_symbol(symbol):
    assert violation(f"Passw0rd{symbol}", STRICT) is None


def test_documented_symbol_set_is_exactly_the_developer_guide_list_and_space():
    assert SYMBOLS == set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")


def test_inner_space_counts_as_a_symbol():
    assert violation("Pass w0rd", STRICT) is None


@pytest.mark.parametrize("other", ["€", "¡", "§", "£", "¿", "×"])
def test_characters_outside_the_list_are_not_symbols(other):
    assert violation(f"Passw0rd{other}", STRICT) == "Password must have symbol characters"


def test_non_basic_latin_uppercase_letters_do_not_count_as_uppercase():
    assert violation("Ébcdefg0!", STRICT) == "Password must have uppercase characters"


def test_non_basic_latin_lowercase_letters_do_not_count_as_lowercase():
    assert violation("STRASSEß0!", STRICT) == "Password must have lowercase characters"


def test_non_ascii_digits_do_not_count_as_numbers():
    assert violation("Passwor\u0663d!", STRICT) == "Password must have numeric characters"


# --- whitespace at the edges ----------------------------------------------------------------------------------


@pytest.mark.parametrize("password", [" Passw0rd!", "Passw0rd! ", "\tPassw0rd!", "Passw0rd!\n"])
def test_password_starting_or_ending_with_whitespace_fails_the_edge_pattern(password):
    with refused(
        "Password does not conform to policy: Password must satisfy regular expression pattern: ^\\S.*\\S$"
    ):
        check_password(password, STRICT, prefix=POLICY_PREFIX)


def test_line_break_inside_the_password_fails_the_edge_pattern():
    assert violation("Pass\nw0rd!", STRICT) == "Password must satisfy regular expression pattern: ^\\S.*\\S$"


def test_short_password_with_edge_space_reports_length_first():
    assert violation(" a", STRICT) == "Password not long enough"


# --- prefixes -------------------------------------------------------------------------------------------------


def test_sign_up_uses_did_not_conform_with_policy():
    assert PREFIX_BY_OPERATION["SignUp"] == "Password did not conform with policy: "


def test_admin_create_user_uses_did_not_conform_with_password_policy():
    assert PREFIX_BY_OPERATION["AdminCreateUser"] == ADMIN_CREATE_USER_PREFIX
    with refused("Password did not conform with password policy: Password must have numeric characters"):
        check_password("da@ABCDEFGHIJ", STRICT, prefix=ADMIN_CREATE_USER_PREFIX)


@pytest.mark.parametrize(
    "operation",
    [
        "ConfirmForgotPassword",
        "RespondToAuthChallenge",
        "AdminRespondToAuthChallenge",
        "AdminSetUserPassword",
        "ChangePassword",
    ],
)
def test_setting_a_new_password_uses_does_not_conform_to_policy(operation):
    assert PREFIX_BY_OPERATION[operation] == "Password does not conform to policy: "


def test_confirm_forgot_password_short_password_message():
    with refused("Password does not conform to policy: Password not long enough"):
        check_password("Pa0!", STRICT, prefix=PREFIX_BY_OPERATION["ConfirmForgotPassword"])


# --- temporary passwords ---------------------------------------------------------------------------------------


def test_generated_temporary_password_satisfies_the_strict_policy_every_time():
    for _ in range(300):
        assert violation(generate_temporary_password(STRICT), STRICT) is None


def test_generated_temporary_password_has_every_class_even_when_the_policy_asks_for_none():
    password = generate_temporary_password(LAX)
    assert violation(password, STRICT) is None


def test_generated_temporary_password_is_at_least_eight_characters():
    assert len(generate_temporary_password(policy(MinimumLength=6))) == 8


def test_generated_temporary_password_is_as_long_as_the_minimum_length():
    password = generate_temporary_password({**STRICT, "MinimumLength": 99})
    assert len(password) == 99
    assert violation(password, {**STRICT, "MinimumLength": 99}) is None


def test_generated_temporary_password_has_no_whitespace():
    assert not any(
        c in string.whitespace for c in "".join(generate_temporary_password(STRICT) for _ in range(200))
    )


def test_generated_temporary_passwords_differ():
    assert len({generate_temporary_password(STRICT) for _ in range(50)}) == 50


# --- fuzzing --------------------------------------------------------------------------------------------------


@given(
    st.text(max_size=40),
    st.integers(min_value=6, max_value=99),
    st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_any_password_gets_no_reason_or_one_of_cognitos(password, minimum, flags):
    rules = dict(
        zip(("RequireUppercase", "RequireLowercase", "RequireNumbers", "RequireSymbols"), flags, strict=True)
    )
    reason = violation(password, {"MinimumLength": minimum, **rules})
    assert reason is None or reason in REASONS
    if reason is not None:
        with refused(SIGNUP_PREFIX + reason):
            check_password(password, {"MinimumLength": minimum, **rules}, prefix=SIGNUP_PREFIX)

"""ListUsers Filter: the two operators, quoting and escapes, the searchable names, Cognito's error texts, and a
fuzz test that random input never raises anything but InvalidParameterException."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from userpools.domain.list_users_filter import parse_filter
from userpools.domain.records import FILTERABLE_ATTRIBUTES, UserFilter
from userpools.errors import InvalidParameterException


def refused(message: str):
    return pytest.raises(InvalidParameterException, match=f"^{re.escape(message)}$")


def test_empty_filter_means_no_filter():
    assert parse_filter("") is None


def test_blank_filter_means_no_filter():
    assert parse_filter("   ") is None


def test_equals_is_an_exact_match():
    assert parse_filter('email = "jane@example.com"') == UserFilter("email", "jane@example.com", prefix=False)


def test_caret_equals_is_a_prefix_match():
    assert parse_filter('phone_number ^= "+48"') == UserFilter("phone_number", "+48", prefix=True)


@pytest.mark.parametrize(
    "text", ['given_name="Jon"', 'given_name = "Jon"', '  given_name   =   "Jon"  ', 'given_name\t=\t"Jon"']
)
def test_spaces_around_the_operator_are_optional(text):
    assert parse_filter(text) == UserFilter("given_name", "Jon")


def test_escaped_quote_inside_the_value_is_a_literal_quote():
    assert parse_filter(r'family_name = "Re\"ddy"') == UserFilter("family_name", 'Re"ddy')


def test_escaped_backslash_is_one_backslash():
    assert parse_filter(r'name = "a\\b"') == UserFilter("name", "a\\b")


def test_empty_value_is_allowed():
    assert parse_filter('family_name = ""') == UserFilter("family_name", "")


def test_value_keeps_spaces_and_operators():
    assert parse_filter('name = " a = b ^= c "') == UserFilter("name", " a = b ^= c ")


@pytest.mark.parametrize("name", FILTERABLE_ATTRIBUTES)
def test_every_searchable_attribute_is_accepted(name):
    assert parse_filter(f'{name} = "x"').name == name


def test_user_status_value_is_case_insensitive():
    assert parse_filter('cognito:user_status = "unconfirmed"') == UserFilter(
        "cognito:user_status", "UNCONFIRMED"
    )


def test_status_value_is_case_sensitive():
    assert parse_filter('status = "Enabled"').value == "Enabled"
    assert parse_filter('status = "enabled"').value == "enabled"


def test_username_value_is_case_sensitive():
    assert parse_filter('username = "Jane"').value == "Jane"


def test_custom_attribute_is_not_searchable():
    with refused("Invalid search attribute: custom:foo"):
        parse_filter('custom:foo = "bar"')


def test_unknown_attribute_is_not_searchable():
    with refused("Invalid search attribute: address"):
        parse_filter('address = "Main St"')


def test_attribute_names_are_case_sensitive():
    with refused("Invalid search attribute: Email"):
        parse_filter('Email = "x"')


@pytest.mark.parametrize(
    "text",
    [
        "foo",
        "username = foo",
        "username=",
        'username = "unterminated',
        'username = "x" and',
        'email ^= "".\\"@gmail.com\\""',
        '= "x"',
        'username == "x"',
        'username ~= "x"',
        'username "x"',
        'username = "x\\',
        'username ^ "x"',
    ],
)
def test_malformed_filter_raises_error_while_parsing_filter(text):
    with refused("Error while parsing filter."):
        parse_filter(text)


@given(st.text(max_size=256))
def test_any_text_parses_or_raises_invalid_parameter(text):
    try:
        result = parse_filter(text)
    except InvalidParameterException:
        return
    assert result is None or (isinstance(result, UserFilter) and result.name in FILTERABLE_ATTRIBUTES)


@given(
    st.sampled_from(FILTERABLE_ATTRIBUTES),
    st.sampled_from(["=", "^="]),
    st.text(max_size=60),
    st.text(alphabet=" \t", max_size=3),
)
def test_quoted_value_round_trips(name, operator, value, space):
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    parsed = parse_filter(f'{name}{space}{operator}{space}"{escaped}"')
    expected = value.upper() if name == "cognito:user_status" else value
    assert parsed == UserFilter(name, expected, prefix=operator == "^=")

"""ListUsers' ``Filter``: ``name = "value"`` (exact) or ``name ^= "value"`` (starts with).

The grammar, from the API reference [C: botocore 1.44.8 ListUsers.Filter doc]: ``AttributeName Filter-Type
"AttributeValue"``; Filter-Type is ``=`` or ``^=``; "Quotation marks within the filter string must be escaped
using the backslash (\\) character", e.g. ``family_name = \\"Reddy\\"``; "If the filter string is empty,
ListUsers returns all users"; one attribute per filter; only the names in ``FILTERABLE_ATTRIBUTES``;
``cognito:user_status`` is case-insensitive, ``username`` and ``status`` are case-sensitive.

Observed [O]: ``phone_number="+33…"`` and ``phone_number = "+33…"`` both work (moto#3317 mirrors real
behaviour); a filter that is not of that form answers ``InvalidParameterException`` "Error while parsing
filter." (aws/aws-sdk-php#1088 for ``foo``, #1961; aws/aws-sdk-js#3147 for text after the closing quote).
Unconfirmed [U]: the text for a name outside the list ("Invalid search attribute: <name>", moto#4407's
choice; kept because it names the attribute as every other Cognito schema error does), and the details marked
below. The model caps the filter at 256 characters before this runs.
"""

from __future__ import annotations

from userpools.domain.records import FILTERABLE_ATTRIBUTES, UserFilter
from userpools.errors import InvalidParameterException

PARSE_ERROR = "Error while parsing filter."  # [O]
_SPACE = " \t\n\r\f\v"
_NAME_STOP = set(_SPACE) | {"=", "^", '"', "\\"}


def _parse_error() -> InvalidParameterException:
    return InvalidParameterException(PARSE_ERROR)


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in _SPACE:
        i += 1
    return i


def _quoted(text: str, i: int) -> tuple[str, int]:
    """The value of the quoted string starting at ``text[i] == '"'`` and the index after its closing quote.
    A backslash takes the next character literally [U: the doc names only \\" ; any escaped character is
    read the same way, so \\\\ is one backslash]."""
    value: list[str] = []
    i += 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if i + 1 == len(text):
                raise _parse_error()
            value.append(text[i + 1])
            i += 2
        elif ch == '"':
            return "".join(value), i + 1
        else:
            value.append(ch)
            i += 1
    raise _parse_error()  # no closing quote


def parse_filter(text: str) -> UserFilter | None:
    """The ListUsers filter, or None for "no filter". Raises InvalidParameterException otherwise."""
    i = _skip_space(text, 0)
    if i == len(text):  # empty [C]; [U] blank is read as empty too
        return None
    start = i
    while i < len(text) and text[i] not in _NAME_STOP:
        i += 1
    name = text[start:i]
    i = _skip_space(text, i)
    if text.startswith("^=", i):
        prefix, i = True, i + 2
    elif text.startswith("=", i):
        prefix, i = False, i + 1
    else:
        raise _parse_error()
    i = _skip_space(text, i)
    if not name or i == len(text) or text[i] != '"':  # an unquoted value is a parse error [O: moto test]
        raise _parse_error()
    value, i = _quoted(text, i)
    if _skip_space(text, i) != len(text):  # text after the closing quote [O: aws-sdk-js#3147]
        raise _parse_error()
    # [U] the syntax is checked before the name: "foo" alone is a parse error [O], "foo = \"x\"" names foo.
    if name not in FILTERABLE_ATTRIBUTES:  # names are case-sensitive [U: the doc lists them in lower case]
        raise InvalidParameterException(f"Invalid search attribute: {name}")
    if name == "cognito:user_status":
        value = value.upper()  # case-insensitive [C]; statuses are stored upper-case (UNCONFIRMED, …)
    return UserFilter(name=name, value=value, prefix=prefix)

"""The token endpoint's form parser decodes a body as ``urllib.parse.parse_qsl`` (and so Starlette) does."""

from __future__ import annotations

import random
from urllib.parse import parse_qsl, unquote

import pytest

from userpools.domain import oauth as rules
from userpools.oauth.endpoints import _form_text, parse_form

FORM = "application/x-www-form-urlencoded"

BODIES = [
    b"grant_type=client_credentials&scope=https%3A%2F%2Fapi.example%2Fread",
    b"a=1+2&b=%2B&c=%20x%20&d=",
    b"&&a=1&&b",
    b"a=b=c&=x",
    b"name=%E2%9C%93&bad=%FF%FE&half=%E2%9C&pct=%&pct2=%4",
    "raw=caf\u00e9".encode("latin-1"),
    b"plus+in+name=1",
    b"",
]


@pytest.mark.parametrize("body", BODIES)
def test_a_body_decodes_as_parse_qsl_decodes_it(body: bytes) -> None:
    assert parse_form(FORM, body) == dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))


@pytest.mark.parametrize("content_type", [FORM, "Application/X-WWW-Form-Urlencoded; charset=UTF-8"])
def test_the_content_type_may_carry_parameters_and_any_case(content_type: str) -> None:
    assert parse_form(content_type, b"a=1") == {"a": "1"}


def test_another_content_type_or_a_repeated_parameter_is_invalid_request() -> None:
    for content_type in (None, "application/json", "multipart/form-data"):
        with pytest.raises(rules.InvalidRequest):
            parse_form(content_type, b"a=1")
    with pytest.raises(rules.InvalidRequest, match="Duplicate parameter a"):
        parse_form(FORM, b"a=1&a=2")


def test_a_name_or_value_is_percent_decoded_as_unquote_decodes_it() -> None:
    # ASCII texts take the form parser's own decoding, the others urllib's: both must answer as unquote does,
    # escapes of any case, broken ones (%, %4, %G1), UTF-8 split across escapes or broken, raw non-ASCII bytes
    rng = random.Random(7)
    pieces = ["%", "%4", "%41", "%e2", "%9C", "%93", "%FF", "%G1", "%2b", "a", "Z", "0", "+", " ", "=", "\u00e9", "\u00ff"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 9)))
        assert _form_text(text) == unquote(text.replace("+", " ")), text

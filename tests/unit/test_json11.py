from datetime import UTC, datetime

import orjson
import pytest

from userpools.errors import InternalErrorException, NotAuthorizedException, SerializationException
from userpools.protocol import json11


def test_parse_body_reads_json_and_treats_an_empty_body_as_an_empty_object() -> None:
    assert json11.parse_body(b'{"a": 1}') == {"a": 1}
    assert json11.parse_body(b"") == {}
    assert json11.parse_body(b"  \n") == {}


def test_parse_body_with_malformed_json_raises_serialization_exception() -> None:
    with pytest.raises(SerializationException):
        json11.parse_body(b'{"a": ')


def test_datetimes_are_sent_as_epoch_seconds_with_milliseconds() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert orjson.loads(json11.dumps({"CreationDate": when})) == {"CreationDate": round(when.timestamp(), 3)}


def test_error_response_has_the_aws_body_and_headers() -> None:
    response = json11.error_response(NotAuthorizedException("Incorrect username or password."), "rid")
    assert response.status_code == 400
    assert orjson.loads(response.body) == {
        "__type": "NotAuthorizedException",
        "message": "Incorrect username or password.",
    }
    assert response.headers["x-amzn-errortype"] == "NotAuthorizedException:"
    assert response.headers["x-amzn-errormessage"] == "Incorrect username or password."
    assert response.headers["x-amzn-requestid"] == "rid"
    assert response.headers["content-type"] == "application/x-amz-json-1.1"


def test_internal_error_is_the_only_500() -> None:
    assert json11.error_response(InternalErrorException("x"), "r").status_code == 500


def test_error_message_header_stays_single_line_latin1_while_the_body_keeps_the_text() -> None:
    response = json11.error_response(NotAuthorizedException("line one\nline two ✓"), "r")
    assert response.headers["x-amzn-errormessage"] == "line one line two ?"
    assert orjson.loads(response.body)["message"] == "line one\nline two ✓"


def test_error_message_header_carries_no_control_character() -> None:
    text = "Value '\x08\x00\x1b\x7f' at 'userPoolId' failed"
    response = json11.error_response(NotAuthorizedException(text), "r")
    assert response.headers["x-amzn-errormessage"] == "Value '????' at 'userPoolId' failed"
    assert orjson.loads(response.body)["message"] == text


def test_error_message_header_is_cut_to_1_kib_while_the_body_keeps_the_message() -> None:
    text = "Value '" + "v" * 200_000 + "' at 'poolName' failed"
    response = json11.error_response(NotAuthorizedException(text), "r")
    header = response.headers["x-amzn-errormessage"]
    assert len(header) == json11.MAX_ERROR_HEADER == 1024
    assert header == text[:1021] + "..."
    assert orjson.loads(response.body)["message"] == text


def test_error_message_header_under_the_cap_is_not_cut() -> None:
    text = "m" * 1024
    assert json11.error_response(NotAuthorizedException(text), "r").headers["x-amzn-errormessage"] == text


def test_error_message_header_is_cut_when_whitespace_hides_the_length() -> None:
    text = "a" + " " * 5000 + "b"
    assert json11.error_response(NotAuthorizedException(text), "r").headers["x-amzn-errormessage"] == "a..."

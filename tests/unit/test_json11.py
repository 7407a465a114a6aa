import asyncio
from datetime import UTC, datetime

import orjson
import pytest
from starlette.requests import ClientDisconnect, Request

from userpools.errors import (
    InternalErrorException,
    NotAuthorizedException,
    RequestEntityTooLargeException,
    SerializationException,
)
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


def _request(messages: list[dict[str, object]], length: int) -> Request:
    async def receive() -> dict[str, object]:
        return messages.pop(0)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [(b"content-length", str(length).encode())]}
    return Request(scope, receive)


def test_a_declared_body_is_read_whole_from_one_message_or_several_and_kept_for_body() -> None:
    async def body() -> None:
        one = _request([{"type": "http.request", "body": b'{"a":1}', "more_body": False}], 7)
        assert await json11.read_body(one, "ForgotPassword") == b'{"a":1}'
        assert await one.body() == b'{"a":1}'  # as Starlette's own read keeps it
        several = _request([{"type": "http.request", "body": b'{"a"', "more_body": True},
                            {"type": "http.request", "body": b"", "more_body": True},
                            {"type": "http.request", "body": b":1}"}], 7)
        assert await json11.read_body(several, "ForgotPassword") == b'{"a":1}'

    asyncio.run(body())


def test_a_client_gone_before_its_body_is_a_disconnect() -> None:
    gone = _request([{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}], 7)
    with pytest.raises(ClientDisconnect):
        asyncio.run(json11.read_body(gone, "ForgotPassword"))


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    with pytest.raises(RequestEntityTooLargeException):
        json11.read_body(_request([], json11.MAX_BODY_BYTES + 1), "ForgotPassword")


def test_a_success_response_is_the_starlette_response_it_stands_for() -> None:
    from starlette.responses import Response

    output = {"Session": "s", "When": datetime(2026, 1, 1, tzinfo=UTC), "Codes": ["1", "2"]}
    made = json11.success_response(output, "8d1c2a")
    expected = Response(json11.dumps(output), status_code=200, media_type=json11.CONTENT_TYPE,
                        headers={"x-amzn-RequestId": "8d1c2a"})
    assert isinstance(made, Response) and type(made).__call__ is Response.__call__
    for name in ("status_code", "body", "raw_headers", "media_type", "background", "charset"):
        assert getattr(made, name) == getattr(expected, name), name
    assert made.headers["x-amzn-requestid"] == "8d1c2a"
    made.headers["x-extra"] = "1"  # a middleware's change lands in this response's own list
    assert json11.success_response(output, "8d1c2a").raw_headers == expected.raw_headers

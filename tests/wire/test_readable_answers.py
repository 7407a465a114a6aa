"""Every answer is readable by every client: long values, huge bodies, odd numbers, and a sweep of all
153 operations with hostile input, through boto3 and raw HTTP (httpx), on SQLite and PostgreSQL.

HTTP clients refuse a response header line over 64 KiB (httpx: "Receive buffer too long"), so a message
that quotes a long value must not be copied whole into ``x-amzn-ErrorMessage``; docs/compatibility.md
("Readable answers") holds the choices tested here.
"""

from __future__ import annotations

import itertools
import re
import socket
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError
from botocore.model import Shape
from clients import run_node
from rawhttp import CONTENT_TYPE, DEV_CREDENTIALS, post

from conftest import BACKENDS
from userpools.operations import OPERATIONS
from userpools.protocol import model
from userpools.protocol.json11 import MAX_BODY_BYTES, MAX_ERROR_HEADER
from userpools.protocol.validation import java_pattern

KIB = 1024
MIB = 1024 * KIB
HEADER_BUDGET = 8 * KIB  # every response header together
TARGET = f"{model.TARGET_PREFIX}."


def header_bytes(response: httpx.Response) -> int:
    return sum(len(name) + len(value) + 4 for name, value in response.headers.raw)


def assert_readable_error(response: httpx.Response, code: str) -> dict[str, Any]:
    """An AWS-style error that any client reads: JSON with ``__type``, every header small."""
    body = response.json()
    assert body["__type"] == code, body
    assert header_bytes(response) <= HEADER_BUDGET
    header = response.headers["x-amzn-ErrorMessage"]
    assert len(header.encode("latin-1")) <= MAX_ERROR_HEADER
    assert response.headers["x-amzn-ErrorType"] == f"{code}:"
    return body


def client_error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, dict[str, str]]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPHeaders"]


# --- long values ----------------------------------------------------------------------------------


def test_value_one_past_a_131072_limit_is_echoed_cut_and_the_answer_is_readable(server: Any) -> None:
    metadata = {"source": "x" * 131_073}  # ClientMetadata values: StringType, 0..131072
    body = {"ClientId": "a" * 26, "Username": "alice", "ClientMetadata": metadata}
    response = post(server.url, "ForgotPassword", orjson.dumps(body), sign=False)
    message = assert_readable_error(response, "InvalidParameterException")["message"]
    assert message.startswith("1 validation error detected: Value '{source=xxxx")
    assert "xxx...' at 'clientMetadata' failed to satisfy constraint: Map value must satisfy constraint: " \
        "[Member must have length less than or equal to 131072" in message
    assert len(message) < 1024


def test_a_valid_128_kib_value_beside_a_bad_key_is_echoed_cut(raw_cognito: Any) -> None:
    # 131,072 characters is allowed; the key past 131,072 makes the whole map (and its values) quoted.
    metadata = {"k" * 131_073: "v", "ok": "y" * 131_072}
    with pytest.raises(ClientError) as excinfo:
        raw_cognito.forgot_password(ClientId="a" * 26, Username="alice", ClientMetadata=metadata)
    code, message, headers = client_error(excinfo)
    assert code == "InvalidParameterException"
    assert "Map keys must satisfy constraint" in message and "...' at 'clientMetadata'" in message
    assert len(headers["x-amzn-errormessage"]) <= MAX_ERROR_HEADER
    assert sum(len(k) + len(v) for k, v in headers.items()) <= HEADER_BUDGET


def test_one_mib_string_is_answered_readably_through_boto3(raw_cognito: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        raw_cognito.create_user_pool(PoolName="p" * MIB)
    code, message, headers = client_error(excinfo)
    assert code == "InvalidParameterException"
    assert message == (
        f"1 validation error detected: Value '{'p' * 256}...' at 'poolName' failed to satisfy constraint: "
        "Member must have length less than or equal to 128"
    )
    assert headers["x-amzn-errormessage"] == message  # under the cap: the header is the message


@pytest.mark.parametrize(
    ("operation", "body", "signed"),
    [
        ("CreateUserPool", {"PoolName": "p" * MIB}, True),
        ("SignUp", {"ClientId": "a" * 26, "Username": "u" * MIB, "Password": "p" * MIB}, False),
        ("AdminGetUser", {"UserPoolId": "us-east-1_" + "a" * MIB, "Username": "alice"}, True),
        ("ListUsers", {"UserPoolId": "us-east-1_abc", "Filter": '"' * MIB}, True),
        ("SetUICustomization", {"UserPoolId": "us-east-1_abc", "ImageFile": "!" * MIB}, True),
    ],
    ids=["echoed", "sensitive", "pattern", "filter", "blob"],
)
def test_one_mib_string_anywhere_is_answered_readably_over_raw_http(
    server: Any, operation: str, body: dict[str, Any], signed: bool
) -> None:
    response = post(server.url, operation, orjson.dumps(body), sign=signed)
    assert response.status_code in (400, 501)
    code = response.json()["__type"]
    assert code in ("InvalidParameterException", "SerializationException", "NotImplementedException")
    assert len(assert_readable_error(response, code)["message"]) < 4 * KIB


@pytest.mark.parametrize(
    ("operation", "long", "code"),
    [
        ("ForgotPassword", {"path": ["ClientMetadata", "source"], "char": "x", "count": 131_073},
         "InvalidParameterException"),
        ("SignUp", {"path": ["ClientMetadata", "k"], "char": "y", "count": MIB}, "InvalidParameterException"),
        ("SignUp", {"path": ["ClientMetadata", "k"], "char": "z", "count": MAX_BODY_BYTES},
         "RequestEntityTooLargeException"),
    ],
    ids=["131073", "1MiB", "over-the-limit"],
)
def test_node_fetch_reads_the_answer_to_a_long_value(server: Any, operation: str, long: dict[str, Any],
                                                    code: str) -> None:
    body = {"ClientId": "a" * 26, "Username": "alice", "Password": "Passw0rd!"}
    result = run_node("raw-fetch.mjs", {"endpoint": server.url + "/", "operation": operation, "body": body,
                                        "long": long})
    assert result.returncode == 0, result.output
    answer = result.output
    assert answer["body"]["__type"] == code
    assert answer["headers"]["x-amzn-errortype"] == f"{code}:"
    assert len(answer["headers"]["x-amzn-errormessage"]) <= MAX_ERROR_HEADER
    assert len(answer["body"]["message"]) < 4 * KIB


# --- the body-size limit --------------------------------------------------------------------------


def test_body_over_the_limit_with_content_length_is_refused_with_413(server: Any) -> None:
    body = orjson.dumps({"ClientId": "a" * 26, "Username": "u" * MAX_BODY_BYTES})
    response = post(server.url, "SignUp", body, sign=False)
    assert response.status_code == 413
    message = assert_readable_error(response, "RequestEntityTooLargeException")["message"]
    assert message == f"Request must be smaller than {MAX_BODY_BYTES} bytes for the SignUp operation"
    # The connection is kept and the next request on it is answered.
    with httpx.Client() as client:
        for _ in range(2):
            again = client.post(server.url + "/", content=body, headers=_headers("SignUp"))
            assert again.status_code == 413


def test_body_at_the_limit_is_read(server: Any) -> None:
    head = orjson.dumps({"ClientId": "a" * 26, "Username": ""})
    body = head[:-2] + b'"' + b" " * (MAX_BODY_BYTES - len(head)) + b"}"
    assert len(body) == MAX_BODY_BYTES
    response = post(server.url, "SignUp", body, sign=False)
    assert response.status_code == 400
    assert response.json()["__type"] != "RequestEntityTooLargeException"


def test_body_over_the_limit_through_boto3_raises_request_entity_too_large(raw_cognito: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        raw_cognito.create_user_pool(PoolName="p" * (MAX_BODY_BYTES + 1))
    code, message, _ = client_error(excinfo)
    assert code == "RequestEntityTooLargeException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert "CreateUserPool" in message


def _headers(operation: str) -> dict[str, str]:
    return {"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET + operation}


def _chunks(total: int, size: int = 64 * KIB) -> Iterator[bytes]:
    yield b'{"ClientId": "' + b"a" * 26 + b'", "Username": "'
    sent = 0
    while sent < total:
        yield b"u" * size
        sent += size
    yield b'"}'


def test_chunked_body_over_the_limit_is_refused_with_413(server: Any) -> None:
    with httpx.Client() as client:
        response = client.post(server.url + "/", content=_chunks(MAX_BODY_BYTES + MIB), headers=_headers("SignUp"))
        assert "content-length" not in response.request.headers  # really sent chunked
        assert response.status_code == 413
        assert_readable_error(response, "RequestEntityTooLargeException")
        # The rest of the refused body was discarded: the same connection answers the next request.
        small = client.post(server.url + "/", content=_chunks(0), headers=_headers("SignUp"))
        assert small.json()["__type"] == "InvalidParameterException"


def test_chunked_body_under_the_limit_is_read_whole(server: Any) -> None:
    response = httpx.post(server.url + "/", content=_chunks(256 * KIB), headers=_headers("SignUp"))
    body = assert_readable_error(response, "InvalidParameterException")
    assert "Value at 'username' failed to satisfy constraint: Member must have length less than or equal to 128" \
        in body["message"]


def _raw_exchange(server: Any, head: bytes, body_parts: Iterator[bytes]) -> tuple[bytes, bytes]:
    """Sends a request by hand (a body that never ends, if need be) and reads one response: (head, body)."""
    with socket.create_connection((server.host, server.port), timeout=20) as sock:
        sock.sendall(head)
        for part in body_parts:
            sock.sendall(part)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536) or pytest.fail(f"connection closed: {data!r}")
        response_head, _, rest = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", response_head)[1])  # type: ignore[index]
        while len(rest) < length:
            rest += sock.recv(65536) or pytest.fail("connection closed")
    return response_head, rest


def _request_head(operation: str, framing: str) -> bytes:
    return (
        f"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: {CONTENT_TYPE}\r\n"
        f"X-Amz-Target: {TARGET}{operation}\r\n{framing}\r\n\r\n"
    ).encode()


def test_declared_length_over_the_limit_is_answered_before_the_body_arrives(server: Any) -> None:
    # A gibibyte is declared and one byte sent: the answer cannot have waited for the body.
    head, body = _raw_exchange(server, _request_head("SignUp", "Content-Length: 1073741824"), iter([b"{"]))
    assert head.startswith(b"HTTP/1.1 413 ")
    assert orjson.loads(body)["__type"] == "RequestEntityTooLargeException"


def test_chunked_body_is_answered_once_past_the_limit_without_its_end(server: Any) -> None:
    chunk = b"u" * (64 * KIB)
    frames = (b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(MAX_BODY_BYTES // len(chunk) + 1))
    # The terminating zero-length chunk is never sent: the server must stop at the limit, not at the end.
    head, body = _raw_exchange(server, _request_head("SignUp", "Transfer-Encoding: chunked"), frames)
    assert head.startswith(b"HTTP/1.1 413 ")
    assert orjson.loads(body)["__type"] == "RequestEntityTooLargeException"


_LONG_TARGET = TARGET + "X" * 100_000
_LONG_TYPE = "text/" + "x" * 100_000


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Amz-Target": _LONG_TARGET, "Content-Type": CONTENT_TYPE}, f"Unknown operation {_LONG_TARGET[:256]}..."),
        (
            {"X-Amz-Target": TARGET + "SignUp", "Content-Type": _LONG_TYPE},
            f"Unsupported content type '{_LONG_TYPE[:256]}...': send application/x-amz-json-1.1",
        ),
    ],
    ids=["target", "content-type"],
)
def test_long_header_values_quoted_in_messages_are_cut(server: Any, headers: dict[str, str], expected: str) -> None:
    response = httpx.post(server.url + "/", content=b"{}", headers=headers)
    assert assert_readable_error(response, "UnknownOperationException")["message"] == expected


def test_long_authorization_header_gets_a_readable_signature_error(server: Any) -> None:
    headers = {**_headers("ListUserPools"), "Authorization": "AWS4-HMAC-SHA256 " + "x" * 100_000,
               "X-Amz-Date": "20260101T000000Z"}
    response = httpx.post(server.url + "/", content=b'{"MaxResults": 1}', headers=headers)
    assert response.status_code == 400
    assert_readable_error(response, "IncompleteSignatureException")


# --- numbers --------------------------------------------------------------------------------------


def test_fractional_token_validity_raises_serialization_exception_through_boto3(
    raw_cognito: Any, pool: dict[str, Any]
) -> None:
    with pytest.raises(ClientError) as excinfo:
        raw_cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web", RefreshTokenValidity=1.5)
    code, message, _ = client_error(excinfo)
    assert (code, message) == ("SerializationException", "NUMBER_VALUE can not be converted to an Integer")
    assert raw_cognito.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=10)["UserPoolClients"] == []


@pytest.mark.parametrize("number", ["1.5", "-0.25", "1e-3", "30.000001"])
def test_fractional_integer_raises_serialization_exception_over_raw_http(
    server: Any, pool: dict[str, Any], number: str
) -> None:
    body = f'{{"UserPoolId": "{pool["Id"]}", "ClientName": "web", "RefreshTokenValidity": {number}}}'
    response = post(server.url, "CreateUserPoolClient", body)
    message = assert_readable_error(response, "SerializationException")["message"]
    assert message == "NUMBER_VALUE can not be converted to an Integer"


@pytest.mark.parametrize("number", ["1e30", "1" + "0" * 40, "-1e30", "9223372036854775808", "1e308"])
def test_huge_integer_is_refused_by_its_bound_without_echo(server: Any, pool: dict[str, Any], number: str) -> None:
    body = f'{{"UserPoolId": "{pool["Id"]}", "ClientName": "web", "RefreshTokenValidity": {number}}}'
    response = post(server.url, "CreateUserPoolClient", body)
    message = assert_readable_error(response, "InvalidParameterException")["message"]
    bound = "less" if not number.startswith("-") else "greater"
    assert message.startswith(f"1 validation error detected: Value at 'refreshTokenValidity' failed to satisfy "
                              f"constraint: Member must have value {bound} than or equal to ")


def test_whole_number_written_as_a_float_is_accepted(server: Any, pool: dict[str, Any]) -> None:
    body = f'{{"UserPoolId": "{pool["Id"]}", "ClientName": "web", "RefreshTokenValidity": 30.0}}'
    response = post(server.url, "CreateUserPoolClient", body)
    assert response.status_code == 200
    assert response.json()["UserPoolClient"]["RefreshTokenValidity"] == 30


# --- nesting and strings that are not text ----------------------------------------------------------


@pytest.mark.parametrize("depth", [1_100, 10_000])
def test_deeply_nested_body_raises_serialization_exception(server: Any, depth: int) -> None:
    for opener, closer in ((b"[", b"]"), (b'{"a":', b"}")):
        body = b'{"PoolName": ' + opener * depth + b"1" + closer * depth + b"}"
        response = post(server.url, "CreateUserPool", body)
        assert_readable_error(response, "SerializationException")


def test_lone_surrogate_raises_serialization_exception(server: Any) -> None:
    response = post(server.url, "CreateUserPool", b'{"PoolName": "\\ud800"}')
    assert_readable_error(response, "SerializationException")


# --- the sweep: every operation of the model, hostile input -------------------------------------------

_SAMPLES = (
    "us-east-1_abcdefghi", "abcdefghijklmnopqrstuvwxyz", "user@example.com", "https://example.com/callback",
    "arn:aws:lambda:us-east-1:123456789012:function:example", "arn:aws:iam::123456789012:role/example",
    "example", "Example1!", "123456", "+15555550100", "email", "a",
)
_RAW_MARK = "\x01raw"


@dataclass(frozen=True)
class Leaf:
    path: tuple[str, ...]  # member names; "*" is a list's first item, "=" a map's value, "#" a map's key
    shape: Shape


def _sample_string(shape: Shape) -> str:
    meta = shape.metadata
    if meta.get("enum"):
        return str(meta["enum"][0])
    low, high = meta.get("min", 0), meta.get("max", 10_000)
    pattern = java_pattern(meta["pattern"]) if "pattern" in meta else None
    for text in _SAMPLES:
        text = text[:high] if pattern is None else text
        if low <= len(text) <= high and (pattern is None or pattern.fullmatch(text)):
            return text
    return "a" * max(low, 1)


def _sample(shape: Shape, known: dict[str, str], *, full: bool = False, depth: int = 0) -> Any:
    """A value of the shape that passes validation where it can (with every member, or the required ones
    only), with the sweep's real pool, client, user and token in the members of those names, so that
    hostile values reach the handlers."""
    kind = shape.type_name
    if kind == "structure":
        if depth > 6:
            return {}
        required = set(shape.required_members)
        return {
            name: _member_sample(name, member, known, full=full, depth=depth + 1)
            for name, member in shape.members.items()
            if full or name in required
        }
    if kind == "list":
        return [_sample(shape.member, known, full=full, depth=depth + 1)]
    if kind == "map":
        return {_sample(shape.key, known, depth=depth + 1): _sample(shape.value, known, full=full, depth=depth + 1)}
    if kind == "string":
        return _sample_string(shape)
    if kind in ("integer", "long"):
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        return low if low is not None else min(1, high if high is not None else 1)
    if kind == "boolean":
        return True
    if kind == "blob":
        return "QUJD"
    if kind in ("timestamp", "double", "float"):
        return 1_700_000_000
    return None


def _member_sample(name: str, member: Shape, known: dict[str, str], *, full: bool, depth: int) -> Any:
    if name in known and member.type_name == "string":
        return known[name]
    return _sample(member, known, full=full, depth=depth)


def _leaves(shape: Shape, path: tuple[str, ...] = (), depth: int = 0) -> Iterator[Leaf]:
    kind = shape.type_name
    if kind == "structure":
        if depth <= 6:
            for name, member in shape.members.items():
                yield from _leaves(member, (*path, name), depth + 1)
    elif kind == "list":
        yield from _leaves(shape.member, (*path, "*"), depth + 1)
    elif kind == "map":
        yield Leaf((*path, "#"), shape.key)
        yield from _leaves(shape.value, (*path, "="), depth + 1)
    else:
        yield Leaf(path, shape)


def _put(value: Any, shape: Shape, path: tuple[str, ...], new: Any, known: dict[str, str]) -> Any:
    """value with new at path, the members on the way sampled where value lacks them."""
    if not path:
        return new
    step, rest = path[0], path[1:]
    if step == "*":
        item = value[0] if value else _sample(shape.member, known)
        return [_put(item, shape.member, rest, new, known)]
    if step == "#":
        return {new: next(iter(value.values())) if value else _sample(shape.value, known)}
    if step == "=":
        key, item = next(iter(value.items())) if value else (_sample(shape.key, known), _sample(shape.value, known))
        return {key: _put(item, shape.value, rest, new, known)}
    member = shape.members[step]
    current = value.get(step)
    if current is None:
        current = _member_sample(step, member, known, full=False, depth=0)
    return {**value, step: _put(current, member, rest, new, known)}


def _hostile(shape: Shape) -> list[Any]:
    """Values for one leaf: strings one past the limit and 128 KiB, control characters; numbers with a
    fraction or far out of range (raw JSON text, as a client could write them)."""
    kind = shape.type_name
    high = shape.metadata.get("max")
    if kind == "string":
        values: list[Any] = ["x\x00y", "x\x08y\x1b\x7f\u2028", "x" * 128 * KIB]
        if high is not None and high + 1 != 128 * KIB:
            values.append("x" * (high + 1))
        return values
    if kind == "blob":
        return ["QUJD" * (32 * KIB), "!" * (128 * KIB + 1)]
    if kind in ("integer", "long"):
        return [1.5, -0.5, _Raw("1e30"), _Raw("1" + "0" * 40), _Raw("-1e30"), _Raw("18446744073709551616")]
    if kind in ("timestamp", "double", "float"):
        return [_Raw("1e308"), _Raw("-1e308"), 1.5]
    return []


@dataclass(frozen=True)
class _Raw:
    text: str


def _encode(value: Any) -> bytes:
    """JSON with _Raw values written as their text (numbers orjson would not write, lone surrogates)."""
    raws: list[str] = []

    def mark(item: Any) -> Any:
        if isinstance(item, _Raw):
            raws.append(item.text)
            return f"{_RAW_MARK}{len(raws) - 1}"
        if isinstance(item, dict):
            return {mark(k) if isinstance(k, _Raw) else k: mark(v) for k, v in item.items()}
        if isinstance(item, list):
            return [mark(v) for v in item]
        return item

    data = orjson.dumps(mark(value))
    for index, text in enumerate(raws):
        data = data.replace(orjson.dumps(f"{_RAW_MARK}{index}"), text.encode())
    return data


def _bodies(operation: str, known: dict[str, str]) -> Iterator[tuple[str, bytes]]:
    shape = model.operation_model(operation).input_shape
    if shape is None:
        yield "empty", b"{}"
        yield "deep", b'{"X": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
        return
    yield "sample", _encode(_sample(shape, known, full=True))
    base = _sample(shape, known)  # the required members only: one hostile value at a time is added
    yield "required", _encode(base)
    leaves = list(itertools.islice(_leaves(shape), 16))
    strings = []
    for leaf in leaves:
        for index, value in enumerate(_hostile(leaf.shape)):
            if leaf.path[-1:] == ("#",) and not isinstance(value, str):
                continue
            yield f"{'.'.join(leaf.path)}[{index}]", _encode(_put(base, shape, leaf.path, value, known))
        if leaf.shape.type_name == "string":
            strings.append(leaf)
    if strings:
        huge = base
        for leaf in strings[:3]:
            huge = _put(huge, shape, leaf.path, "m" * MIB, known)
        yield "1MiB", _encode(huge)
        first = strings[0].path
        yield "surrogate", _encode(_put(base, shape, first, _Raw('"\\ud800"'), known))
        yield "surrogate-pair-halves", _encode(_put(base, shape, first, _Raw('"\\udc00\\ud800"'), known))
    first_member = next(iter(shape.members))
    yield "deep-list", b'{"' + first_member.encode() + b'": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    yield "deep-map", b'{"' + first_member.encode() + b'": ' + b'{"a":' * 10_000 + b"1" + b"}" * 10_000 + b"}"
    yield "deep-1000", b'{"' + first_member.encode() + b'": ' + b"[" * 1_000 + b"]" * 1_000 + b"}"
    nested = b'{"a":' * 1_000 + b"1" + b"}" * 1_000
    yield "deep-unknown", _encode({**base, "Zz": 0})[: -len(b"0}")] + nested + b"}"


def _signed(url: str, operation: str, body: bytes) -> dict[str, str]:
    request = AWSRequest(method="POST", url=url + "/", data=body, headers=_headers(operation))
    SigV4Auth(DEV_CREDENTIALS, "cognito-idp", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def _problem(operation: str, response: httpx.Response) -> str | None:
    """What is wrong with one answer, or None: AWS-style JSON, no 5xx but 501, headers small."""
    if header_bytes(response) > HEADER_BUDGET:
        return f"headers of {header_bytes(response)} bytes"
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} with a body that is not JSON: {response.content[:200]!r}"
    if response.status_code != 200:
        if not isinstance(body, dict) or not isinstance(body.get("__type"), str):
            return f"{response.status_code} without __type: {str(body)[:200]}"
        if len(str(body.get("message", ""))) > 16 * KIB:
            return f"{body['__type']} with a message of {len(body['message'])} characters"
        if response.status_code >= 500 and (response.status_code, body["__type"]) != (501, "NotImplementedException"):
            return f"{response.status_code} {body['__type']}: {str(body.get('message'))[:200]}"
        if response.status_code == 501 and operation in OPERATIONS:
            return "501 for an implemented operation"
    return None


# Run last, in this order: they end the pool, client, user or token the other operations use.
_ENDING = ("AdminDisableUser", "AdminUserGlobalSignOut", "GlobalSignOut", "RevokeToken", "DeleteUser",
           "AdminDeleteUser", "DeleteUserPoolClient", "DeleteUserPool")


def _sweep_subjects(server: Any) -> dict[str, str]:
    """A real pool, client, confirmed user and access token, for the sweep's sample values."""
    cognito = server.client()
    pool_id = cognito.create_user_pool(PoolName="sweep")["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="sweep", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    username, password = "sweeper", "Sweep-Passw0rd!"
    cognito.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
    tokens = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": username, "PASSWORD": password}
    )["AuthenticationResult"]
    return {
        "UserPoolId": pool_id, "ClientId": client_id, "Username": username, "AccessToken": tokens["AccessToken"],
        "RefreshToken": tokens["RefreshToken"], "Token": tokens["RefreshToken"],
        "Name": "name",  # AttributeType's: a standard attribute, so that values reach the store
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_operation_answers_hostile_input_readably(server_factory: Any, backend: str) -> None:
    server = server_factory(backend)
    known = _sweep_subjects(server)
    operations = sorted(model.operation_names(), key=lambda name: (_ENDING.index(name) + 1 if name in _ENDING else 0, name))
    assert len(operations) == 153
    problems: list[str] = []
    answers: Counter[str] = Counter()
    started = time.monotonic()
    with httpx.Client(timeout=30) as client:
        for operation in operations:
            for case, body in _bodies(operation, known):
                response = client.post(server.url + "/", content=body, headers=_signed(server.url, operation, body))
                problem = _problem(operation, response)
                if problem is not None:
                    problems.append(f"{operation} {case}: {problem}")
                elif response.status_code == 200:
                    answers["success"] += 1
                else:
                    answers[response.json()["__type"]] += 1
    elapsed = time.monotonic() - started
    sent = answers.total() + len(problems)
    assert not problems, f"{len(problems)} of {sent} answers unreadable:\n" + "\n".join(problems[:60])
    # The sweep covered the model, and hostile values got past validation into the handlers.
    assert sent > 2_500, answers
    at_the_front_door = {"InvalidParameterException", "SerializationException", "NotImplementedException"}
    assert sum(count for code, count in answers.items() if code not in at_the_front_door) > 100, answers
    assert elapsed < 60, f"{sent} requests took {elapsed:.0f} s"

"""The JSON 1.1 wire protocol, seen by a raw HTTP client: error forms, headers, CORS, bad requests."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rawhttp import post

from userpools.operations import OPERATIONS
from userpools.protocol.model import operation_names

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_success_carries_a_request_id_and_the_json_11_content_type(server: Any) -> None:
    response = post(server.url, "ListUserPools", '{"MaxResults": 1}')
    assert response.status_code == 200
    assert UUID.fullmatch(response.headers["x-amzn-RequestId"])
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert "UserPools" in response.json()


def test_errors_carry_type_message_and_the_aws_headers(server: Any) -> None:
    response = post(server.url, "DescribeUserPool", '{"UserPoolId": "us-east-1_000000000"}')
    assert response.status_code == 400
    assert response.json() == {
        "__type": "ResourceNotFoundException",
        "message": "User pool us-east-1_000000000 does not exist.",
    }
    assert response.headers["x-amzn-ErrorType"] == "ResourceNotFoundException:"
    assert response.headers["x-amzn-ErrorMessage"] == "User pool us-east-1_000000000 does not exist."
    assert UUID.fullmatch(response.headers["x-amzn-RequestId"])
    assert response.headers["content-type"] == "application/x-amz-json-1.1"


def test_missing_required_member_gives_member_must_not_be_null(server: Any) -> None:
    response = post(server.url, "CreateUserPool", "{}")
    assert response.status_code == 400
    assert response.json() == {
        "__type": "InvalidParameterException",
        "message": "1 validation error detected: Value null at 'poolName' failed to satisfy constraint: "
        "Member must not be null",
    }


def test_malformed_json_gives_serialization_exception(server: Any) -> None:
    response = post(server.url, "CreateUserPool", '{"PoolName": ')
    assert response.status_code == 400
    assert response.json()["__type"] == "SerializationException"


def test_wrong_json_type_gives_serialization_exception(server: Any) -> None:
    response = post(server.url, "ListUserPools", '{"MaxResults": "ten"}')
    assert response.status_code == 400
    assert response.json()["__type"] == "SerializationException"


@pytest.mark.parametrize("target", [None, "AWSCognitoIdentityProviderService.NoSuchThing", "Other.ListUserPools"])
def test_unknown_or_missing_target_gives_unknown_operation(server: Any, target: str | None) -> None:
    headers = {"X-Amz-Target": target} if target else {}
    response = post(server.url, None, "{}", headers=headers)
    assert response.status_code == 400
    assert response.json()["__type"] == "UnknownOperationException"
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException:"


def test_non_json_content_type_gives_an_aws_error_not_html(server: Any) -> None:
    response = post(server.url, "ListUserPools", "MaxResults=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json()["__type"] == "UnknownOperationException"


def test_unknown_path_and_method_answer_json_not_html(server: Any) -> None:
    for response in (httpx.get(server.url + "/nowhere/at/all"), httpx.get(server.url + "/")):
        assert response.status_code in (404, 405)
        assert "__type" in response.json()


def test_every_operation_of_the_model_is_served_none_answers_not_implemented(server: Any) -> None:
    """All 153 operations of botocore's cognito-idp model are in the table, and over the wire none of them
    answers NotImplementedException (an empty body gets the operation's own validation or answer instead)."""
    assert operation_names() == set(OPERATIONS)
    for name in sorted(operation_names()):
        response = post(server.url, name, "{}")
        assert response.status_code != 501, name
        assert response.json().get("__type") != "NotImplementedException", name


def test_admin_operation_without_a_signature_is_refused(server: Any) -> None:
    response = post(server.url, "ListUserPools", '{"MaxResults": 1}', sign=False)
    assert response.status_code == 400
    assert response.json()["__type"] == "MissingAuthenticationTokenException"


def test_admin_operation_with_a_malformed_signature_is_refused(server: Any) -> None:
    response = post(server.url, "ListUserPools", '{"MaxResults": 1}', sign=False,
                    headers={"Authorization": "AWS4-HMAC-SHA256 garbage", "X-Amz-Date": "20260101T000000Z"})
    assert response.status_code == 400
    assert response.json()["__type"] == "IncompleteSignatureException"


def test_public_operation_needs_no_signature(server: Any) -> None:
    response = post(server.url, "ForgotPassword", '{"ClientId": "abc", "Username": "u"}', sign=False)
    assert response.json()["__type"] != "MissingAuthenticationTokenException"


def test_cors_preflight_allows_browser_clients(server: Any) -> None:
    response = httpx.options(
        server.url + "/",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target,x-amz-user-agent,cache-control",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    allowed = response.headers["access-control-allow-headers"].lower()
    for header in ("content-type", "x-amz-target", "x-amz-user-agent", "cache-control"):
        assert header in allowed
    assert "POST" in response.headers["access-control-allow-methods"]


def test_cors_responses_expose_the_aws_headers(server: Any) -> None:
    response = post(server.url, "ForgotPassword", '{"ClientId": "abc", "Username": "u"}', sign=False,
                    headers={"Origin": "http://localhost:3000"})
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = response.headers["access-control-expose-headers"].lower()
    for header in ("x-amzn-requestid", "x-amzn-errortype", "x-amzn-errormessage"):
        assert header in exposed


def test_browser_and_non_browser_requests_get_the_same_answer(server: Any) -> None:
    """API requests without an Origin header skip Starlette's middleware (userpools.app.UserPoolsApp); those of
    browsers go through it for their CORS headers. Status, body and AWS headers are the same either way."""
    body = '{"ClientId": "abc", "Username": "u"}'
    plain = post(server.url, "ForgotPassword", body, sign=False)
    browser = post(server.url, "ForgotPassword", body, sign=False, headers={"Origin": "http://localhost:3000"})
    assert plain.status_code == browser.status_code == 400
    assert plain.json() == browser.json()
    for header in ("content-type", "x-amzn-errortype", "x-amzn-errormessage", "content-length"):
        assert plain.headers[header] == browser.headers[header], header
    assert plain.headers["x-amzn-requestid"] != browser.headers["x-amzn-requestid"]
    assert "access-control-allow-origin" not in plain.headers
    assert browser.headers["access-control-allow-origin"] == "*"
    unknown = post(server.url, "NoSuchOperation", "{}", sign=False)  # still answered by the dispatcher
    assert unknown.json()["__type"] == "UnknownOperationException"



def test_a_domains_paths_answer_the_same_with_and_without_an_origin(server: Any) -> None:
    """A domain's pages and endpoints without an Origin header skip the middleware and the other routes
    (userpools.app.UserPoolsApp); with one they get the CORS headers. The answers are the same otherwise: an
    unknown domain's 404, a path no route has, a method a route does not take."""
    browser = {"Origin": "http://localhost:3000"}
    for method, path in (("GET", "/domain/no-such-domain-x1/oauth2/authorize?client_id=a"),
                         ("GET", "/domain/no-such-domain-x1/login"),
                         ("GET", "/domain/no-such-domain-x1/no/such/page"),
                         ("DELETE", "/domain/no-such-domain-x1/login")):
        plain = httpx.request(method, server.url + path)
        cors = httpx.request(method, server.url + path, headers=browser)
        assert plain.status_code == cors.status_code, path
        assert plain.status_code in (404, 405), path
        assert plain.content == cors.content, path
        assert plain.headers["content-type"] == cors.headers["content-type"], path
        assert "access-control-allow-origin" not in plain.headers
        assert cors.headers["access-control-allow-origin"] == "*"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
member_names = st.sampled_from(
    ["PoolName", "UserPoolId", "ClientId", "ClientName", "MaxResults", "NextToken", "Policies", "Schema",
     "ExplicitAuthFlows", "TokenValidityUnits", "UserPoolTags", "CustomAttributes", "LambdaConfig"]
)
bodies = st.dictionaries(member_names, json_values, max_size=5) | json_values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operation=st.sampled_from(sorted(OPERATIONS)), body=bodies)
@example(operation="AddCustomAttributes", body={"PoolName": None, "UserPoolId": "\x08"})  # quoted in the header
def test_no_input_ever_gets_a_500(server: Any, operation: str, body: Any) -> None:
    response = post(server.url, operation, json.dumps(body))
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        payload = response.json()
        assert payload["__type"] and isinstance(payload["message"], str)

"""SigV4 verification of the admin operations, against requests signed by botocore itself.

Every request here is signed by ``botocore.auth.SigV4Auth`` the way boto3 signs a ``cognito-idp`` call, or
is one of AWS's published Signature Version 4 test-suite vectors. Error messages are AWS's own wording.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from unittest import mock
from urllib.parse import quote, urlsplit

import botocore.auth
import botocore.session
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.datastructures import Headers

from userpools.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)
from userpools.protocol.sigv4 import AdminCredentials, _signing_key, verify_request

AKID = "AKIAUSERPOOLSADMIN01"
SECRET = "uP/9kXe+2vFq7Lw0sZrT3yBn8HcJ4mGd5aQ1oEiU"
CREDENTIALS = AdminCredentials(AKID, SECRET)
HOST = "cognito-idp.us-east-1.amazonaws.com"
SIGNED_AT = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
BODY = b'{"PoolName": "staff"}'
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True)
class Signed:
    """A request as the server receives it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def verify(self, **overrides: Any) -> str:
        arguments: dict[str, Any] = {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "credentials": CREDENTIALS,
            "now": SIGNED_AT,
        }
        arguments.update(overrides)
        return verify_request(**arguments)

    @property
    def authorization(self) -> str:
        return self.headers["Authorization"]

    def with_header(self, name: str, value: str | None) -> Signed:
        headers = {k: v for k, v in self.headers.items() if k.lower() != name.lower()}
        if value is not None:
            headers[name] = value
        return replace(self, headers=headers)


def received(request: AWSRequest | Any, body: bytes) -> Signed:
    """What the server sees of a botocore request: raw path and query, the Host the HTTP client adds."""
    url = urlsplit(request.url)
    headers = {k: v.decode() if isinstance(v, bytes) else str(v) for k, v in request.headers.items()}
    headers["Host"] = url.netloc
    return Signed(request.method, url.path or "/", url.query, headers, body)


def sign(
    body: bytes = BODY,
    *,
    target: str = "CreateUserPool",
    at: datetime = SIGNED_AT,
    access_key_id: str = AKID,
    secret: str = SECRET,
    token: str | None = None,
    service: str = "cognito-idp",
    region: str = "us-east-1",
    url: str = f"https://{HOST}/",
    headers: dict[str, str] | None = None,
    payload_signing: bool = True,
) -> Signed:
    """Sign a cognito-idp JSON 1.1 call with botocore's SigV4Auth, exactly as boto3 does."""
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{target}",
            **(headers or {}),
        },
    )
    request.context["payload_signing_enabled"] = payload_signing
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=at.replace(tzinfo=None)):
        SigV4Auth(Credentials(access_key_id, secret, token), service, region).add_auth(request)
    return received(request, body)


def raises(error: type[Exception], call: Any) -> Exception:
    with pytest.raises(error) as caught:
        call()
    return caught.value


# --- requests signed by botocore ---------------------------------------------------------------------


def test_create_user_pool_signed_by_botocore_returns_the_access_key_id() -> None:
    assert sign().verify() == AKID


def test_the_canonical_request_signs_content_type_host_date_and_target() -> None:
    assert "SignedHeaders=content-type;host;x-amz-date;x-amz-target," in sign().authorization


def test_a_request_from_a_real_botocore_client_verifies() -> None:
    captured: list[AWSRequest] = []

    def before_send(request: AWSRequest, **_: Any) -> AWSResponse:
        captured.append(request)
        return AWSResponse(request.url, 200, {}, mock.Mock(stream=lambda **_: iter([b"{}"])))

    client = botocore.session.get_session().create_client(
        "cognito-idp",
        region_name="eu-west-1",
        endpoint_url="http://127.0.0.1:8000",
        aws_access_key_id=AKID,
        aws_secret_access_key=SECRET,
    )
    client.meta.events.register("before-send", before_send)
    client.admin_create_user(UserPoolId="eu-west-1_abc", Username="alice")
    request = received(captured[0], captured[0].body)
    signed_at = datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    assert request.headers["Host"] == "127.0.0.1:8000"
    assert request.verify(now=signed_at) == AKID


def test_header_names_are_case_insensitive() -> None:
    signed = sign()
    lowered = {name.lower(): value for name, value in signed.headers.items()}
    assert replace(signed, headers=lowered).verify() == AKID
    assert replace(signed, headers=Headers(headers=signed.headers)).verify() == AKID  # type: ignore[arg-type]


def test_request_signed_with_another_secret_raises_invalid_signature() -> None:
    error = raises(InvalidSignatureException, sign(secret="another/secret").verify)
    assert error.message == SIGNATURE_MISMATCH


def test_unknown_access_key_id_raises_unrecognized_client() -> None:
    error = raises(UnrecognizedClientException, sign(access_key_id="AKIAUNKNOWN").verify)
    assert error.message == "The security token included in the request is invalid."


def test_tampered_body_raises_invalid_signature() -> None:
    signed = sign()
    tampered = replace(signed, body=signed.body.replace(b"staff", b"staph"))
    assert raises(InvalidSignatureException, tampered.verify).message == SIGNATURE_MISMATCH


def test_tampered_target_header_raises_invalid_signature() -> None:
    tampered = sign().with_header("X-Amz-Target", "AWSCognitoIdentityProviderService.DeleteUserPool")
    assert raises(InvalidSignatureException, tampered.verify).message == SIGNATURE_MISMATCH


def test_tampered_host_raises_invalid_signature() -> None:
    tampered = sign().with_header("Host", "cognito-idp.eu-west-1.amazonaws.com")
    raises(InvalidSignatureException, tampered.verify)


def test_signature_more_than_five_minutes_old_is_expired() -> None:
    error = raises(InvalidSignatureException, lambda: sign().verify(now=SIGNED_AT + timedelta(minutes=10)))
    assert error.message == (
        "Signature expired: 20260115T120000Z is now earlier than 20260115T120500Z (20260115T121000Z - 5 min.)"
    )


def test_signature_more_than_five_minutes_ahead_is_not_yet_current() -> None:
    error = raises(InvalidSignatureException, lambda: sign().verify(now=SIGNED_AT - timedelta(minutes=10)))
    assert error.message == (
        "Signature not yet current: 20260115T120000Z is still later than 20260115T115500Z "
        "(20260115T115000Z + 5 min.)"
    )


@pytest.mark.parametrize("skew", [timedelta(minutes=5), timedelta(minutes=-5), timedelta(seconds=299.9)])
def test_five_minutes_of_clock_skew_either_way_is_accepted(skew: timedelta) -> None:
    assert sign().verify(now=SIGNED_AT + skew) == AKID


def test_naive_now_is_taken_as_utc() -> None:
    assert sign().verify(now=SIGNED_AT.replace(tzinfo=None)) == AKID


def test_session_token_is_signed_and_does_not_break_verification() -> None:
    signed = sign(token="FwoGZXIvYXdzEJr//////////wEaDL0token")
    assert "x-amz-security-token" in signed.authorization
    assert signed.verify() == AKID
    tampered = signed.with_header("X-Amz-Security-Token", "FwoGZXIvYXdzEJr//////////wEaDL0other")
    raises(InvalidSignatureException, tampered.verify)


def test_date_header_instead_of_x_amz_date_verifies() -> None:
    # botocore replaces any Date header with the signing time, and then sends no X-Amz-Date
    signed = sign(headers={"Date": "Thu, 01 Jan 1970 00:00:00 GMT"})
    assert "X-Amz-Date" not in signed.headers
    assert signed.headers["Date"] == "Thu, 15 Jan 2026 12:00:00 -0000"
    assert signed.verify() == AKID
    assert signed.with_header("Date", "Thu, 15 Jan 2026 12:00:00 GMT").verify(credentials=None) == AKID


def test_x_amz_content_sha256_naming_the_body_hash_verifies() -> None:
    signed = sign(headers={"X-Amz-Content-SHA256": hashlib.sha256(BODY).hexdigest()})
    assert signed.verify() == AKID
    raises(InvalidSignatureException, replace(signed, body=b"{}").verify)


def test_unsigned_payload_verifies_without_binding_the_body() -> None:
    signed = sign(payload_signing=False)
    assert signed.headers["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"
    assert replace(signed, body=b'{"PoolName": "other"}').verify() == AKID


def test_the_signing_key_is_derived_once_per_secret_day_region_and_service() -> None:
    _signing_key.cache_clear()
    assert sign().verify() == sign(b'{"PoolName": "other"}').verify() == AKID
    assert (_signing_key.cache_info().misses, _signing_key.cache_info().hits) == (1, 1)


def test_query_string_is_canonicalised() -> None:
    signed = sign(url=f"https://{HOST}/?b=2&a=%7Evalue&a=1")
    assert signed.query == "b=2&a=%7Evalue&a=1"
    assert signed.verify() == AKID


# --- the front door's errors, in AWS's words ---------------------------------------------------------


def test_missing_authorization_header_raises_missing_authentication_token() -> None:
    error = raises(MissingAuthenticationTokenException, sign().with_header("Authorization", None).verify)
    assert (error.status, error.message) == (400, "Request is missing Authentication Token")


def test_authorization_header_and_query_signature_together_raise_invalid_signature() -> None:
    signed = replace(sign(), query="X-Amz-Algorithm=AWS4-HMAC-SHA256")
    error = raises(InvalidSignatureException, signed.verify)
    assert error.message == (
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    )


CREDENTIAL = f"{AKID}/20260115/us-east-1/cognito-idp/aws4_request"
SIGNATURE = "a" * 64
MALFORMED = [
    pytest.param(
        f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}",
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        f"Authorization=AWS4-HMAC-SHA256 Credential={CREDENTIAL}",
        id="credential-only",
    ),
    pytest.param(
        "AWS4-HMAC-SHA256",
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256",
        id="algorithm-only",
    ),
    pytest.param(
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig",
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization=Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig",
        id="bearer-token",
    ),
    pytest.param(
        "AWS AKIAUSERPOOLSADMIN01:qaNdqGsI6bq4Hi+9Gzovwyjbh0E=",
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization=AWS AKIAUSERPOOLSADMIN01:qaNdqGsI6bq4Hi+9Gzovwyjbh0E=",
        id="signature-version-2",
    ),
    pytest.param(
        f"AWS4-HMAC-SHA256 Signature={SIGNATURE}, Credential, SignedHeaders=host",
        "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: "
        f"'AWS4-HMAC-SHA256 Signature={SIGNATURE}, Credential, SignedHeaders=host'.",
        id="missing-equal-sign",
    ),
    pytest.param(
        f"AWS4-HMAC-SHA256 Credential= {CREDENTIAL}, SignedHeaders=host, Signature={SIGNATURE}",
        f"'{CREDENTIAL}' not a valid key=value pair (missing equal-sign) in Authorization header: "
        f"'AWS4-HMAC-SHA256 Credential= {CREDENTIAL}, SignedHeaders=host, Signature={SIGNATURE}'.",
        id="space-after-equal-sign",
    ),
    pytest.param(
        f"AWS4-HMAC-SHA512 Credential={CREDENTIAL}, SignedHeaders=host;x-amz-date, Signature={SIGNATURE}",
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ",
        id="unsupported-algorithm",
    ),
    pytest.param(
        f"AWS4-HMAC-SHA256 Credential={AKID}/20260115/us-east-1/aws4_request, SignedHeaders=host, "
        f"Signature={SIGNATURE}",
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
        f"got '{AKID}/20260115/us-east-1/aws4_request'",
        id="four-part-credential",
    ),
]


@pytest.mark.parametrize(("authorization", "message"), MALFORMED)
@pytest.mark.parametrize("credentials", [CREDENTIALS, None], ids=["configured", "development"])
def test_malformed_authorization_header_raises_incomplete_signature(
    authorization: str, message: str, credentials: AdminCredentials | None
) -> None:
    signed = sign().with_header("Authorization", authorization)
    error = raises(IncompleteSignatureException, lambda: signed.verify(credentials=credentials))
    assert error.message == message


def test_missing_date_is_listed_with_the_missing_parameters() -> None:
    signed = sign().with_header("X-Amz-Date", None)
    error = raises(IncompleteSignatureException, signed.verify)
    assert error.message == (
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f"Authorization={signed.authorization}"
    )


@pytest.mark.parametrize("date", ["2026-01-15T12:00:00Z", "20260115", "20261315T120000Z"])
def test_date_not_in_iso8601_basic_format_raises_incomplete_signature(date: str) -> None:
    error = raises(IncompleteSignatureException, sign().with_header("X-Amz-Date", date).verify)
    assert error.message == (
        f"Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )


@pytest.mark.parametrize("signed_headers", ["content-type;x-amz-date;x-amz-target", ""])
def test_host_must_be_a_signed_header(signed_headers: str) -> None:
    signed = sign()
    authorization = signed.authorization.replace(
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target", f"SignedHeaders={signed_headers}"
    )
    error = raises(InvalidSignatureException, signed.with_header("Authorization", authorization).verify)
    assert error.message == "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."


def test_credential_scoped_to_another_service_raises_invalid_signature() -> None:
    error = raises(InvalidSignatureException, sign(service="cognito-identity").verify)
    assert error.message == "Credential should be scoped to correct service: 'cognito-idp'. "


def test_credential_scoped_to_another_day_raises_invalid_signature() -> None:
    signed = sign()
    other_day = signed.with_header("Authorization", signed.authorization.replace("/20260115/", "/20260114/"))
    error = raises(InvalidSignatureException, other_day.verify)
    assert error.message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        "'20260114' != '20260115', from '20260115T120000Z'."
    )


def test_every_scope_problem_is_reported_at_once() -> None:
    signed = sign()
    bad_scope = signed.authorization.replace(
        "/20260115/us-east-1/cognito-idp/aws4_request", "/foobar/us_east_1/dynamodb/aws5_request"
    )
    error = raises(InvalidSignatureException, signed.with_header("Authorization", bad_scope).verify)
    assert error.message == (
        "Credential should be scoped to a valid region, not 'us_east_1'. "
        "Credential should be scoped to correct service: 'cognito-idp'. "
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        "'foobar' != '20260115', from '20260115T120000Z'."
    )


def test_signature_in_upper_case_hex_raises_invalid_signature() -> None:
    signed = sign()
    signature = signed.authorization.rsplit("Signature=", 1)[1]
    upper = signed.with_header("Authorization", signed.authorization.replace(signature, signature.upper()))
    assert raises(InvalidSignatureException, upper.verify).message == SIGNATURE_MISMATCH


def test_unknown_key_is_reported_before_a_bad_signature() -> None:
    signed = sign(access_key_id="AKIAUNKNOWN")
    garbled = signed.with_header("Authorization", signed.authorization.rsplit("=", 1)[0] + "=zz")
    raises(UnrecognizedClientException, garbled.verify)


def test_body_not_matching_x_amz_content_sha256_raises_invalid_signature() -> None:
    signed = sign(headers={"X-Amz-Content-SHA256": hashlib.sha256(b"{}").hexdigest()})
    raises(InvalidSignatureException, signed.verify)


# --- presigned requests (query-string authentication) ------------------------------------------------


def presign(expires: int = 300) -> Signed:
    """Presign a call with botocore's SigV4QueryAuth: the signature travels in the query string."""
    request = AWSRequest(
        method="POST",
        url=f"https://{HOST}/?Action=Ping",
        data=b"",
        headers={"X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools"},
    )
    with mock.patch.object(
        botocore.auth, "get_current_datetime", return_value=SIGNED_AT.replace(tzinfo=None)
    ):
        SigV4QueryAuth(Credentials(AKID, SECRET), "cognito-idp", "us-east-1", expires=expires).add_auth(
            request
        )
    return received(request, b"")


def test_presigned_request_verifies() -> None:
    signed = presign()
    assert "Authorization" not in signed.headers
    assert signed.verify() == AKID


def test_presigned_request_used_after_x_amz_expires_has_expired() -> None:
    signed = presign(expires=60)
    assert signed.verify(now=SIGNED_AT + timedelta(seconds=60)) == AKID
    error = raises(InvalidSignatureException, lambda: signed.verify(now=SIGNED_AT + timedelta(seconds=61)))
    assert error.message == "Request has expired"


def test_presigned_request_missing_parameters_raises_incomplete_signature() -> None:
    signed = replace(sign().with_header("Authorization", None), query="X-Amz-Algorithm=AWS4-HMAC-SHA256")
    error = raises(IncompleteSignatureException, signed.verify)
    assert error.message == (
        "AWS query-string parameters must include 'X-Amz-Credential'. "
        "AWS query-string parameters must include 'X-Amz-Signature'. "
        "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
        "AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."
    )


# --- development mode: no credentials configured -----------------------------------------------------


@pytest.mark.parametrize(
    "signed",
    [
        pytest.param(sign(secret="anything"), id="any-secret"),
        pytest.param(sign(access_key_id="test"), id="any-key"),
        pytest.param(sign(at=SIGNED_AT - timedelta(days=3)), id="any-time"),
    ],
)
def test_development_mode_accepts_any_well_formed_signature(signed: Signed) -> None:
    assert signed.verify(credentials=None) == signed.authorization.split("Credential=")[1].split("/")[0]


def test_development_mode_still_requires_a_signature() -> None:
    unsigned = sign().with_header("Authorization", None)
    raises(MissingAuthenticationTokenException, lambda: unsigned.verify(credentials=None))


def test_development_mode_rejects_a_signature_that_is_not_64_hex_digits() -> None:
    signed = sign()
    short = signed.with_header("Authorization", signed.authorization.rsplit("=", 1)[0] + "=abc")
    raises(InvalidSignatureException, lambda: short.verify(credentials=None))


def test_development_mode_still_checks_the_credential_scope() -> None:
    raises(InvalidSignatureException, lambda: sign(service="s3").verify(credentials=None))


# --- AdminCredentials --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [f"{AKID}:{SECRET}", f"{AKID},{SECRET}", f"  {AKID} : {SECRET}\n"])
def test_admin_credentials_parse_key_and_secret(text: str) -> None:
    assert AdminCredentials.parse(text) == CREDENTIALS


def test_admin_credentials_secret_may_contain_the_separators() -> None:
    assert AdminCredentials.parse("admin:se:cr,et").secret_access_key == "se:cr,et"


@pytest.mark.parametrize("text", ["", SECRET, f"{AKID}:", f":{SECRET}", f"AKIA/X:{SECRET}", f"{AKID}:a b"])
def test_admin_credentials_reject_bad_input_without_quoting_it(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        AdminCredentials.parse(text)
    assert SECRET not in str(caught.value) and "a b" not in str(caught.value)


def test_admin_credentials_repr_hides_the_secret() -> None:
    assert SECRET not in repr(CREDENTIALS) and AKID in repr(CREDENTIALS)


# --- AWS's Signature Version 4 test suite (aws-sig-v4-test-suite, 2015-08-30) ------------------------

SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_NOW = datetime(2015, 8, 30, 12, 36, 0, tzinfo=UTC)
SUITE_TOKEN = (
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8"
    "YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6"
    "fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQ"
    "wj2ICCR/oLxBA=="
)
UNRESERVED = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class Vector(NamedTuple):
    """One case of the suite: the request line's method and target, the headers besides Host and
    X-Amz-Date, the body, the signed headers besides host and x-amz-date, and the expected signature."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    signed: tuple[str, ...]
    signature: str


def vector(name: str, method: str, target: str, signature: str, *, headers: tuple[tuple[str, str], ...] = (),
           body: bytes = b"", signed: tuple[str, ...] = ()) -> Any:  # fmt: skip
    return pytest.param(Vector(method, target, headers, body, signed, signature), id=name)


SUITE = [
    vector("get-vanilla", "GET", "/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    vector(
        "get-vanilla-empty-query-key",
        "GET",
        "/?Param1=value1",
        "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
    ),
    vector(
        "get-vanilla-query-order-key-case",
        "GET",
        "/?Param2=value2&Param1=value1",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    ),
    vector(
        "get-vanilla-query-unreserved",
        "GET",
        f"/?{UNRESERVED}={UNRESERVED}",
        "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
    ),
    vector(
        "get-vanilla-utf8-query",
        "GET",
        "/?%E1%88%B4=bar",  # "/?\u1234=bar", percent-encoded as it travels
        "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
    ),
    vector(
        "get-unreserved",
        "GET",
        f"/{UNRESERVED}",
        "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
    ),
    vector("get-utf8", "GET", "/\u1234", "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
    vector(
        "get-header-key-duplicate",
        "GET",
        "/",
        "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
        headers=(
            ("My-Header1", "value2"),
            ("My-Header1", "value2"),
            ("My-Header1", "value1"),
        ),
        signed=("my-header1",),
    ),
    vector(
        "get-header-value-order",
        "GET",
        "/",
        "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
        headers=tuple(("My-Header1", v) for v in ("value4", "value1", "value3", "value2")),
        signed=("my-header1",),
    ),
    vector(
        "get-header-value-trim",
        "GET",
        "/",
        "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
        headers=(
            ("My-Header1", " value1 "),
            ("My-Header2", '"a   b   c"'),
        ),
        signed=("my-header1", "my-header2"),
    ),
    vector("post-vanilla", "POST", "/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    vector(
        "post-vanilla-query",
        "POST",
        "/?Param1=value1",
        "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
    ),
    vector(
        "post-vanilla-query-space",
        "POST",
        "/?p=",
        "e71688addb58a26418614085fb730ba3faa623b461c17f48f2fbdb9361b94a9b",
    ),
    vector(
        "post-vanilla-query-nonunreserved",
        "POST",
        "/?%40%23%24%25%5E=&%2B=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D",
        "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e",
    ),
    vector(
        "post-header-key-sort",
        "POST",
        "/",
        "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
        headers=(("My-Header1", "value1"),),
        signed=("my-header1",),
    ),
    vector(
        "post-header-value-case",
        "POST",
        "/",
        "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
        headers=(("My-Header1", "VALUE1"),),
        signed=("my-header1",),
    ),
    vector(
        "post-sts-header-after",
        "POST",
        "/",
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        headers=(("X-Amz-Security-Token", SUITE_TOKEN),),
    ),
    vector(
        "post-sts-header-before",
        "POST",
        "/",
        "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
        headers=(("X-Amz-Security-Token", SUITE_TOKEN),),
        signed=("x-amz-security-token",),
    ),
    vector(
        "post-x-www-form-urlencoded",
        "POST",
        "/",
        "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
        headers=(("Content-Type", "application/x-www-form-urlencoded"),),
        body=b"Param1=value1",
        signed=("content-type",),
    ),
    vector(
        "post-x-www-form-urlencoded-parameters",
        "POST",
        "/",
        "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe",
        headers=(("Content-Type", "application/x-www-form-urlencoded; charset=utf8"),),
        body=b"Param1=value1",
        signed=("content-type",),
    ),
]


@pytest.mark.parametrize("case", SUITE)
def test_aws_signature_v4_test_suite_vector_verifies(case: Vector) -> None:
    signed_headers = ";".join(sorted(["host", "x-amz-date", *case.signed]))
    authorization = (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        f"SignedHeaders={signed_headers}, Signature={case.signature}"
    )
    raw = [
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        *case.headers,
        ("Authorization", authorization),
    ]
    path, _, query = case.target.partition("?")
    request = {
        "method": case.method,
        "path": path,
        "query": query,
        "headers": Headers(raw=[(name.lower().encode(), value.encode()) for name, value in raw]),
        "body": case.body,
        "now": SUITE_NOW,
        "service": "service",
    }

    assert (
        verify_request(credentials=AdminCredentials("AKIDEXAMPLE", SUITE_SECRET), **request) == "AKIDEXAMPLE"
    )
    with pytest.raises(InvalidSignatureException):
        verify_request(credentials=AdminCredentials("AKIDEXAMPLE", SUITE_SECRET.lower()), **request)


# --- properties --------------------------------------------------------------------------------------

header_values = st.text(
    alphabet=st.sampled_from(" \t\x0b\x0c") | st.characters(min_codepoint=0x21, max_codepoint=0x7E),
    max_size=30,
)
path_segments = st.lists(
    st.sampled_from(["", ".", ".."]) | st.text(max_size=8).map(lambda s: quote(s, safe="")), max_size=5
)
query_pairs = st.lists(st.tuples(st.text(max_size=6), st.text(max_size=6)), max_size=4)
raw_queries = st.lists(
    st.tuples(
        st.text("abcXYZ09-_.~+/:@!$'()*,;", max_size=5), st.text("abcXYZ09-_.~+/:@!$'()*,;", max_size=5)
    ),
    max_size=4,
).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))


any_bodies = st.binary(max_size=300)


@st.composite
def botocore_requests(draw: st.DrawFn, bodies: st.SearchStrategy[bytes] = any_bodies) -> Signed:
    segments = draw(path_segments)
    path = "/" + "/".join(segments) + draw(st.sampled_from(["", "/"]))
    query = draw(st.one_of(query_pairs.map(percent_encode_sequence), raw_queries))
    url = f"https://{HOST}{path}" + (f"?{query}" if query else "")
    headers = {"X-Custom-Header": draw(header_values), "X-Amz-Meta-Other": draw(header_values)}
    return sign(draw(bodies), url=url, headers=headers, token=draw(st.none() | st.just("tok")))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(signed=botocore_requests())
def test_any_request_signed_by_botocore_verifies(signed: Signed) -> None:
    assert signed.verify() == AKID


@settings(max_examples=200, deadline=None)
@given(signed=botocore_requests(bodies=st.binary(min_size=1, max_size=300)), data=st.data())
def test_flipping_any_byte_of_the_body_fails_verification(signed: Signed, data: st.DataObject) -> None:
    body = signed.body
    index = data.draw(st.integers(0, len(body) - 1))
    mask = data.draw(st.integers(1, 255))
    flipped = body[:index] + bytes([body[index] ^ mask]) + body[index + 1 :]
    with pytest.raises(InvalidSignatureException):
        replace(signed, body=flipped).verify()

"""Raw HTTP requests to the server, signed (or not) exactly as botocore would sign them."""

from __future__ import annotations

from typing import Any

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

CONTENT_TYPE = "application/x-amz-json-1.1"
DEV_CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")


def post(url: str, operation: str | None, body: bytes | str = b"{}", *, sign: bool = True,
         content_type: str | None = CONTENT_TYPE, headers: dict[str, str] | None = None,
         credentials: Credentials = DEV_CREDENTIALS) -> httpx.Response:
    data = body.encode() if isinstance(body, str) else body
    all_headers: dict[str, str] = dict(headers or {})
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    if operation is not None:
        all_headers["X-Amz-Target"] = f"AWSCognitoIdentityProviderService.{operation}"
    if sign:
        request = AWSRequest(method="POST", url=url + "/", data=data, headers=all_headers)
        SigV4Auth(credentials, "cognito-idp", "us-east-1").add_auth(request)
        all_headers = dict(request.headers.items())
    return httpx.post(url + "/", content=data, headers=all_headers)


def json_of(response: httpx.Response) -> Any:
    return response.json()

"""The dispatcher's answer to an operation of the model that its table does not serve (every operation is served
today: this keeps the documented 501 of docs/compatibility.md working for a table that lacks one)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from userpools.protocol.dispatch import Dispatcher


def test_an_operation_missing_from_the_table_answers_501_not_implemented_naming_it() -> None:
    dispatcher = Dispatcher({}, None, credentials=(), now=lambda: datetime.now(UTC))

    async def api(request: Request) -> Response:
        return await dispatcher(request)

    app = Starlette(routes=[Route("/", api, methods=["POST"])])
    with TestClient(app) as client:
        # ForgotPassword is unsigned (a public operation): no SigV4 needed to reach the table
        response = client.post("/", content=b"{}", headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ForgotPassword",
            "Content-Type": "application/x-amz-json-1.1",
        })
    assert response.status_code == 501
    body = response.json()
    assert body["__type"] == "NotImplementedException"
    assert "ForgotPassword" in body["message"] and "docs/compatibility.md" in body["message"]
    assert response.headers["x-amzn-ErrorType"].startswith("NotImplementedException")

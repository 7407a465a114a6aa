"""Helpers for the user and sign-in wire tests: clients, users and codes made through the real API."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

PASSWORD = "Correct-Horse-7"
ALL_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
             "ALLOW_ADMIN_USER_PASSWORD_AUTH"]


def unique(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_client(cognito: Any, pool_id: str, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("ExplicitAuthFlows", ALL_FLOWS)
    return cognito.create_user_pool_client(UserPoolId=pool_id, ClientName=unique("app"), **kwargs)["UserPoolClient"]


def make_user(cognito: Any, pool_id: str, username: str | None = None, password: str = PASSWORD,
              attributes: dict[str, str] | None = None) -> str:
    """A CONFIRMED user with a permanent password, made by the admin API."""
    username = username or unique()
    cognito.admin_create_user(
        UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": k, "Value": v} for k, v in (attributes or {}).items()],
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
    return username


def sign_in(cognito: Any, client_id: str, username: str, password: str = PASSWORD) -> dict[str, Any]:
    return cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": username, "PASSWORD": password}
    )


def outbox(server: Any, pool_id: str, username: str | None = None) -> list[dict[str, Any]]:
    params = {"userPoolId": pool_id} | ({"username": username} if username else {})
    response = httpx.get(f"{server.url}/_userpools/outbox", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["messages"])


def latest_code(server: Any, pool_id: str, username: str) -> str:
    messages = outbox(server, pool_id, username)
    assert messages, f"no message for {username}"
    return str(messages[0]["code"])


def attrs(items: list[dict[str, str]]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in items}

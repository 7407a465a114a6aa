"""Helpers shared by the wire tests that drive real third-party Cognito clients (pycognito, the JavaScript
clients under tests/node/) against a live server: an app set up through boto3 admin calls, the server's JWKS,
PyJWT verification, and running a Node script.

Everything here talks to the server; nothing stands in for one of its answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from server import ServerProcess

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
PASSWORD = "Correct-Horse-9-battery"
WRONG_PASSWORD = "Wrong-Horse-9-battery"
AWS_ISSUER_FORM = "https://cognito-idp.{region}.amazonaws.com/{pool_id}"


@dataclass(frozen=True)
class App:
    """A pool, one app client in it, and one confirmed user with a permanent password. ``username`` is the
    user's internal username (a UUID in an email-as-username pool), ``login`` what the user types."""

    pool_id: str
    client_id: str
    client_secret: str | None
    username: str
    password: str
    email: str
    sub: str
    login: str

    @property
    def region(self) -> str:
        return self.pool_id.split("_")[0]

    def secret_hash(self, username: str | None = None) -> str:
        assert self.client_secret is not None
        return secret_hash(username or self.login, self.client_id, self.client_secret)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def create_client(cognito: Any, pool_id: str, *, secret: bool = False, flows: list[str] | None = None,
                  **settings: Any) -> dict[str, Any]:
    """An app client; by default Cognito's default flows (SRP, refresh, custom) plus USER_PASSWORD_AUTH."""
    flows = flows or ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    return dict(cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName=unique("app"), GenerateSecret=secret, ExplicitAuthFlows=flows, **settings
    )["UserPoolClient"])


def create_confirmed_user(cognito: Any, pool_id: str, username: str, password: str = PASSWORD,
                          email: str | None = None) -> dict[str, Any]:
    """AdminCreateUser (no invitation) then AdminSetUserPassword(Permanent): a CONFIRMED user, as an admin
    script would make one. Returns AdminGetUser's answer."""
    email = email or f"{username}@example.com"
    cognito.admin_create_user(
        UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
    return dict(cognito.admin_get_user(UserPoolId=pool_id, Username=username))


def make_app(cognito: Any, *, secret: bool = False, email_as_username: bool = False,
             pool_settings: dict[str, Any] | None = None, client_settings: dict[str, Any] | None = None) -> App:
    """A fresh pool + client + confirmed user, all through boto3 admin calls. ``email_as_username`` makes
    the pool's usernames emails (UsernameAttributes=["email"]): the user signs in with the email and
    Cognito gives them a UUID username."""
    settings = dict(pool_settings or {})
    if email_as_username:
        settings["UsernameAttributes"] = ["email"]
    pool_id = cognito.create_user_pool(PoolName=unique("pool"), **settings)["UserPool"]["Id"]
    client = create_client(cognito, pool_id, secret=secret, **(client_settings or {}))
    name = unique("user")
    email = f"{name}@example.com"
    login = email if email_as_username else name
    user = create_confirmed_user(cognito, pool_id, login, PASSWORD, email)
    assert user["UserStatus"] == "CONFIRMED"
    sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    return App(pool_id, client["ClientId"], client.get("ClientSecret"), user["Username"], PASSWORD, email, sub,
               login)


def delete_pool(cognito: Any, pool_id: str) -> None:
    try:
        cognito.delete_user_pool(UserPoolId=pool_id)
    except cognito.exceptions.ResourceNotFoundException:
        pass


# -- tokens -------------------------------------------------------------------------------------------------

def jwks_url(base_url: str, pool_id: str) -> str:
    return f"{base_url}/{pool_id}/.well-known/jwks.json"


def fetch_jwks(server: ServerProcess, pool_id: str) -> dict[str, Any]:
    response = httpx.get(jwks_url(server.url, pool_id))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert isinstance(document, dict) and document.get("keys"), document
    return document


def default_issuer(server: ServerProcess, pool_id: str) -> str:
    return f"{server.url}/{pool_id}"


def aws_issuer(pool_id: str) -> str:
    return AWS_ISSUER_FORM.format(region=pool_id.split("_")[0], pool_id=pool_id)


def verify_with_pyjwt(token: str, jwks: dict[str, Any], *, issuer: str, audience: str | None = None
                      ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verifies an RS256 token against the JWKS the server published, the way a resource server would:
    the kid picks the key, the signature, exp and iss are checked (and aud when given)."""
    header = jwt.get_unverified_header(token)
    assert header.get("alg") == "RS256", header
    matching = [k for k in jwks["keys"] if k.get("kid") == header.get("kid")]
    assert len(matching) == 1, f"kid {header.get('kid')!r} is not (exactly once) in the JWKS"
    key = jwt.PyJWK(matching[0])
    options: dict[str, Any] = {"require": ["exp", "iat", "iss"], "verify_aud": audience is not None}
    claims = jwt.decode(token, key, algorithms=["RS256"], issuer=issuer, audience=audience, options=options)
    return header, claims


def unverified_claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def tamper(token: str, **changes: Any) -> str:
    """The same token with its payload changed and the original signature kept."""
    header, _, signature = token.split(".")
    claims = unverified_claims(token) | changes
    payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).rstrip(b"=")
    return f"{header}.{payload.decode()}.{signature}"


# -- node ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NodeResult:
    returncode: int
    output: dict[str, Any]
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def error(self) -> dict[str, Any]:
        return dict(self.output.get("error") or {})


def require_node() -> str:
    """The node binary and installed packages; a missing one FAILS the test (make test installs them)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the Node client tests need Node 20+", pytrace=False)
    missing = [pkg for pkg in ("amazon-cognito-identity-js", "@aws-sdk/client-cognito-identity-provider",
                               "aws-jwt-verify", "openid-client") if not (NODE_DIR / "node_modules" / pkg / "package.json").exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: run `npm ci --prefix tests/node` (make test does)",
                    pytrace=False)
    return node


def run_node(script: str, args: dict[str, Any], timeout: float = 60.0, env: dict[str, str] | None = None
             ) -> NodeResult:
    """``node tests/node/<script> '<json>'``: the script prints one JSON object on stdout; a failure exits
    non-zero with ``{"error": {"name", "code", "message", …}}``. ``env`` adds environment variables."""
    node = require_node()
    proc = subprocess.run([node, str(NODE_DIR / script), json.dumps(args)], check=False, capture_output=True,
                          text=True, timeout=timeout, cwd=NODE_DIR, env=os.environ | env if env else None)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    try:
        output = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        output = {}
    if not isinstance(output, dict) or not output:
        raise AssertionError(f"{script} printed no JSON result (exit {proc.returncode}):\n"
                             f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return NodeResult(proc.returncode, output, proc.stderr)

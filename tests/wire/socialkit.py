"""Local stand-ins of the social identity providers' documented endpoints, for the federation tests: Facebook
(the OAuth dialog, the code exchange, the Graph API's /me), Login with Amazon (/ap/oa, the token endpoint, the
customer profile), Google (its OAuth endpoints, JWKS and the People API) and Sign in with Apple (/auth/authorize answering with response_mode=form_post,
/auth/token checking the ES256 client secret JWT, /auth/keys). Each is a small HTTP server on loopback,
one per test, that the userpools server under test reaches at the URLs its ProviderDetails name (the
documented way to point a social type elsewhere, see docs/compatibility.md).

A stand-in signs in ``user`` without asking (the user's consent is not what is tested), records every request
(``seen``), and can be told to fail in the ways tests need (``fail``). The browser is httpx: ``sign_in``
follows redirects and posts the auto-submitting form Apple answers with, as a browser does.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from oauthkit import CALLBACK

APPLE_SECRET_MAX_SECONDS = 15_777_000  # Apple refuses client secrets valid longer than 6 months [C]


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self, method: str) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        seen = Seen(method, split.path, {k: v[0] for k, v in parse_qs(split.query).items()},
                    {k: v[0] for k, v in parse_qs(body).items()}, {k.lower(): v for k, v in self.headers.items()})
        self.server.stand_in.seen.append(seen)
        status, headers, payload = self.server.stand_in.handle(seen)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def log_message(self, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    stand_in: StandIn


Answer = tuple[int, dict[str, str], bytes]


def json_answer(body: Any, status: int = 200) -> Answer:
    return status, {"Content-Type": "application/json"}, orjson.dumps(body)


def redirect_to(url: str, params: dict[str, str]) -> Answer:
    return 302, {"Location": f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"}, b""


@dataclass
class StandIn:
    """The common part: the app registered with the provider, the user who signs in next, issued codes and
    tokens, what was asked, and the failures to answer with."""

    client_id: str = field(default_factory=lambda: f"client-{secrets.token_hex(4)}")
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    user: dict[str, Any] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    #: endpoint name → what to answer instead ("deny" at the authorize endpoint; an Answer elsewhere)
    fail: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    origin: str = ""
    _server: _Server | None = None

    def start(self) -> StandIn:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stand_in = self
        self.origin = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def handle(self, seen: Seen) -> Answer:
        raise NotImplementedError

    def requests_to(self, path_end: str) -> list[Seen]:
        return [s for s in self.seen if s.path.endswith(path_end)]

    def new_code(self, request: dict[str, str]) -> str:
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"redirect_uri": request.get("redirect_uri"), "nonce": request.get("nonce"),
                            "user": dict(self.user)}
        return code

    def redeem(self, code: str | None, redirect_uri: str | None) -> dict[str, Any] | None:
        """The user behind a code, once; None for an unknown, used or mismatched code."""
        grant = self.codes.pop(code or "", None)
        if grant is None or grant["redirect_uri"] != redirect_uri:
            return None
        return grant


# --- Facebook ---------------------------------------------------------------------------------------------


@dataclass
class Facebook(StandIn):
    """graph.facebook.com and www.facebook.com under one origin, any API version: /{v}/dialog/oauth,
    /{v}/oauth/access_token (GET), /{v}/me?fields=…&access_token=…&appsecret_proof=…"""

    def details(self, api_version: str = "v19.0") -> dict[str, str]:
        base = f"{self.origin}/{api_version}"
        return {"client_id": self.client_id, "client_secret": self.client_secret,
                "authorize_scopes": "public_profile, email", "api_version": api_version,
                "authorize_url": f"{base}/dialog/oauth", "token_url": f"{base}/oauth/access_token",
                "attributes_url": f"{base}/me?fields="}

    @staticmethod
    def error(message: str, kind: str = "OAuthException", code: int = 100) -> Answer:
        return json_answer({"error": {"message": message, "type": kind, "code": code,
                                      "fbtrace_id": secrets.token_hex(8)}}, 400)

    def handle(self, seen: Seen) -> Answer:
        q = seen.query
        if seen.path.endswith("/dialog/oauth"):
            if q.get("client_id") != self.client_id:
                return 400, {}, b"Invalid App ID"
            if self.fail.get("dialog") == "deny":  # the user pressed Cancel [C: Facebook's documented answer]
                return redirect_to(q["redirect_uri"], {"error": "access_denied", "error_code": "200",
                                                       "error_description": "Permissions error",
                                                       "error_reason": "user_denied", "state": q["state"]})
            return redirect_to(q["redirect_uri"], {"code": self.new_code(q), "state": q["state"]})
        if seen.path.endswith("/oauth/access_token") and seen.method == "GET":
            if "token" in self.fail:
                return self.fail["token"]  # type: ignore[no-any-return]
            if q.get("client_id") != self.client_id or q.get("client_secret") != self.client_secret:
                return self.error("Error validating client secret.", code=1)
            grant = self.redeem(q.get("code"), q.get("redirect_uri"))
            if grant is None:
                return self.error("This authorization code has been used.")
            token = secrets.token_urlsafe(24)
            self.tokens[token] = grant["user"]
            return json_answer({"access_token": token, "token_type": "bearer", "expires_in": 5183944})
        if seen.path.endswith("/me"):
            if "me" in self.fail:
                return self.fail["me"]  # type: ignore[no-any-return]
            token = q.get("access_token") or ""
            if token not in self.tokens:
                return self.error("Invalid OAuth access token - Cannot parse access token", code=190)
            proof = hmac.new(self.client_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if q.get("appsecret_proof") != proof:
                return self.error("Invalid appsecret_proof provided in the API argument", "GraphMethodException")
            user = self.tokens[token]
            fields = (q.get("fields") or "id,name").split(",")
            return json_answer({k: user[k] for k in fields if k in user})
        return 404, {}, b"not found"


# --- Login with Amazon ------------------------------------------------------------------------------------


@dataclass
class Amazon(StandIn):
    """www.amazon.com/ap/oa, api.amazon.com/auth/o2/token (POST) and api.amazon.com/user/profile (Bearer)."""

    def details(self) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret,
                "authorize_scopes": "profile postal_code", "authorize_url": f"{self.origin}/ap/oa",
                "token_url": f"{self.origin}/auth/o2/token", "attributes_url": f"{self.origin}/user/profile"}

    def handle(self, seen: Seen) -> Answer:
        if seen.path == "/ap/oa":
            q = seen.query
            if q.get("client_id") != self.client_id or q.get("response_type") != "code":
                return 400, {}, b"bad request"
            return redirect_to(q["redirect_uri"], {"code": self.new_code(q), "scope": q.get("scope", ""),
                                                   "state": q["state"]})
        if seen.path == "/auth/o2/token" and seen.method == "POST":
            if "token" in self.fail:
                return self.fail["token"]  # type: ignore[no-any-return]
            f = seen.form
            if f.get("client_id") != self.client_id or f.get("client_secret") != self.client_secret:
                return json_answer({"error": "invalid_client", "error_description": "Client authentication failed"},
                                   401)
            grant = self.redeem(f.get("code"), f.get("redirect_uri"))
            if f.get("grant_type") != "authorization_code" or grant is None:
                return json_answer({"error": "invalid_grant", "error_description": "The authorization code is "
                                                                                   "invalid or has expired."}, 400)
            token = f"Atza|{secrets.token_urlsafe(24)}"
            self.tokens[token] = grant["user"]
            return json_answer({"access_token": token, "token_type": "bearer", "expires_in": 3600,
                                "refresh_token": f"Atzr|{secrets.token_urlsafe(24)}"})
        if seen.path == "/user/profile":
            if "profile" in self.fail:
                return self.fail["profile"]  # type: ignore[no-any-return]
            scheme, _, token = seen.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or token not in self.tokens:
                return json_answer({"error": "invalid_token", "error_description": "The access token is invalid"},
                                   401)
            return json_answer(self.tokens[token])
        return 404, {}, b"not found"


# --- Sign in with Apple -----------------------------------------------------------------------------------


def _pem(key: Any) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@dataclass
class Apple(StandIn):
    """appleid.apple.com: /auth/authorize (answers with a form posted to the redirect URI), /auth/token (the
    client secret must be the ES256 JWT Apple documents), /auth/keys (its RS256 signing keys)."""

    team_id: str = "TEAM123456"
    key_id: str = "KEY1234567"
    #: the developer's key (its PEM is the provider's private_key; Apple holds its public half)
    developer_key: Any = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    signing_key: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    #: how /auth/token makes the ID token: "good", or "foreign_key", "wrong_audience", "expired", "replay"
    id_token_mode: str = "good"
    secrets_seen: list[dict[str, Any]] = field(default_factory=list)
    users_seen: set[str] = field(default_factory=set)
    last_id_token: str | None = None

    @property
    def issuer(self) -> str:
        return self.origin

    def details(self) -> dict[str, str]:
        return {"client_id": self.client_id, "team_id": self.team_id, "key_id": self.key_id,
                "private_key": _pem(self.developer_key), "authorize_scopes": "email name",
                "authorize_url": f"{self.origin}/auth/authorize", "token_url": f"{self.origin}/auth/token",
                "oidc_issuer": self.issuer, "jwks_uri": f"{self.origin}/auth/keys"}

    def handle(self, seen: Seen) -> Answer:
        if seen.path == "/auth/authorize":
            return self._authorize(seen.query)
        if seen.path == "/auth/token" and seen.method == "POST":
            if "token" in self.fail:
                return self.fail["token"]  # type: ignore[no-any-return]
            return self._token(seen.form)
        if seen.path == "/auth/keys":
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.signing_key.public_key(), as_dict=True)
            return json_answer({"keys": [jwk | {"kid": "apple-test-1", "alg": "RS256", "use": "sig"}]})
        return 404, {}, b"not found"

    def _authorize(self, q: dict[str, str]) -> Answer:
        if q.get("client_id") != self.client_id or q.get("response_mode") != "form_post":
            return 400, {}, b"invalid_request"
        fields = {"state": q["state"]}
        if self.fail.get("authorize") == "cancel":
            fields["error"] = "user_cancelled_authorize"  # [C: Apple's documented error]
        else:
            fields["code"] = self.new_code(q)
            if self.user["sub"] not in self.users_seen:  # the user's name, at the first authorization only
                self.users_seen.add(self.user["sub"])
                name = {k: self.user[k] for k in ("firstName", "lastName") if k in self.user}
                fields["user"] = orjson.dumps({"name": name, "email": self.user.get("email")}).decode()
        inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in fields.items())
        page = (f'<!DOCTYPE html><html><body onload="document.forms[0].submit()">'
                f'<form method="post" action="{html.escape(q["redirect_uri"])}">{inputs}</form></body></html>')
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()

    def check_client_secret(self, secret: str) -> dict[str, Any] | None:
        """Apple's checks of the client secret: ES256, the key's id, signed by the developer's key, issued by
        the team for the client (the Services ID), for Apple, and not valid longer than 6 months."""
        try:
            header = jwt.get_unverified_header(secret)
            claims = jwt.decode(secret, self.developer_key.public_key(), algorithms=["ES256"], audience=self.issuer,
                                issuer=self.team_id, options={"require": ["iss", "iat", "exp", "aud", "sub"]})
        except jwt.PyJWTError:
            return None
        if header.get("kid") != self.key_id or claims["sub"] != self.client_id:
            return None
        if claims["exp"] - claims["iat"] > APPLE_SECRET_MAX_SECONDS or claims["iat"] > time.time() + 60:
            return None
        self.secrets_seen.append({"header": header, "claims": claims})
        return dict(claims)

    def _token(self, f: dict[str, str]) -> Answer:
        if f.get("client_id") != self.client_id or self.check_client_secret(f.get("client_secret", "")) is None:
            return json_answer({"error": "invalid_client"}, 400)
        grant = self.redeem(f.get("code"), f.get("redirect_uri"))
        if f.get("grant_type") != "authorization_code" or grant is None:
            return json_answer({"error": "invalid_grant"}, 400)
        user, now = grant["user"], int(time.time())
        claims = {"iss": self.issuer, "aud": self.client_id, "exp": now + 600, "iat": now, "sub": user["sub"],
                  "email": user.get("email"), "email_verified": "true", "is_private_email": "false",
                  "auth_time": now, "nonce_supported": True}
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        key = self.signing_key
        if self.id_token_mode == "foreign_key":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif self.id_token_mode == "wrong_audience":
            claims["aud"] = "someone.else"
        elif self.id_token_mode == "expired":
            claims["exp"] = now - 3600
        id_token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "apple-test-1"})
        if self.id_token_mode == "replay" and self.last_id_token:
            id_token = self.last_id_token  # an ID token of an earlier sign-in: another nonce
        self.last_id_token = id_token
        return json_answer({"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 3600,
                            "refresh_token": secrets.token_urlsafe(24), "id_token": id_token})


# --- Google -----------------------------------------------------------------------------------------------


@dataclass
class Google(StandIn):
    """accounts.google.com's /o/oauth2/v2/auth, www.googleapis.com's /oauth2/v4/token and /oauth2/v3/certs, and
    people.googleapis.com's /v1/people/me (Bearer; only the personFields asked for, which must not be empty)."""

    signing_key: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    #: what the People API holds besides the ID token's claims: personField → its list of values
    people: dict[str, Any] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return self.origin

    def details(self) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret,
                "authorize_scopes": "openid email profile", "authorize_url": f"{self.origin}/o/oauth2/v2/auth",
                "token_url": f"{self.origin}/oauth2/v4/token",
                "attributes_url": f"{self.origin}/v1/people/me?personFields=", "oidc_issuer": self.issuer,
                "jwks_uri": f"{self.origin}/oauth2/v3/certs"}

    def handle(self, seen: Seen) -> Answer:
        q, f = seen.query, seen.form
        if seen.path == "/o/oauth2/v2/auth":
            if q.get("client_id") != self.client_id:
                return 400, {}, b"invalid_client"
            return redirect_to(q["redirect_uri"], {"code": self.new_code(q), "state": q["state"]})
        if seen.path == "/oauth2/v4/token" and seen.method == "POST":
            if f.get("client_id") != self.client_id or f.get("client_secret") != self.client_secret:
                return json_answer({"error": "invalid_client", "error_description": "Unauthorized"}, 401)
            grant = self.redeem(f.get("code"), f.get("redirect_uri"))
            if grant is None:
                return json_answer({"error": "invalid_grant", "error_description": "Bad Request"}, 400)
            now, token = int(time.time()), secrets.token_urlsafe(24)
            self.tokens[token] = grant["user"]
            claims = grant["user"] | {"iss": self.issuer, "aud": self.client_id, "azp": self.client_id,
                                      "iat": now, "exp": now + 3600}
            if grant["nonce"]:
                claims["nonce"] = grant["nonce"]
            id_token = jwt.encode(claims, self.signing_key, algorithm="RS256", headers={"kid": "google-test-1"})
            return json_answer({"access_token": token, "expires_in": 3599, "token_type": "Bearer",
                                "scope": "openid email profile", "id_token": id_token})
        if seen.path == "/oauth2/v3/certs":
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.signing_key.public_key(), as_dict=True)
            return json_answer({"keys": [jwk | {"kid": "google-test-1", "alg": "RS256", "use": "sig"}]})
        if seen.path == "/v1/people/me":
            scheme, _, token = seen.headers.get("authorization", "").partition(" ")
            if scheme != "Bearer" or token not in self.tokens:
                return json_answer({"error": {"code": 401, "status": "UNAUTHENTICATED"}}, 401)
            fields = [x for x in (q.get("personFields") or "").split(",") if x]
            if not fields:
                return json_answer({"error": {"code": 400, "message": "personFields mask is required. Please "
                                              "specify one or more valid paths.", "status": "INVALID_ARGUMENT"}}, 400)
            sub = self.tokens[token]["sub"]
            return json_answer({"resourceName": f"people/{sub}", "etag": "%EgUBAi43PRoEAQIFByIM"}
                               | {k: self.people[k] for k in fields if k in self.people})
        return 404, {}, b"not found"


def stand_in(kind: type[StandIn], **kwargs: Any) -> Iterator[Any]:
    made = kind(**kwargs).start()
    try:
        yield made
    finally:
        made.stop()


# --- the browser ------------------------------------------------------------------------------------------

_FORM = re.compile(r'<form method="post" action="([^"]+)">(.*?)</form>', re.DOTALL)
_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def posted_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the auto-submitting form of a form_post answer."""
    match = _FORM.search(page)
    assert match, page
    return html.unescape(match.group(1)), {html.unescape(k): html.unescape(v) for k, v in _INPUT.findall(match.group(2))}


def sign_in(browser: httpx.Client, start: str, callback: str = CALLBACK) -> httpx.Response:
    """From the broker's authorize URL: follow redirects, submit form_post pages as the browser's onload does;
    the response that leaves for the app (not followed) or the domain's error page redirect."""
    response = browser.get(start)
    for _ in range(10):
        if response.status_code == 200 and "<form" in response.text:
            action, fields = posted_form(response.text)
            response = browser.post(action, data=fields)
            continue
        assert response.status_code == 302, (response.status_code, response.text)
        location = response.headers["location"]
        if location.startswith(callback) or "/error?" in location:
            return response
        response = browser.get(location)
    raise AssertionError("too many redirects")

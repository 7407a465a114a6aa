"""Client ID metadata document clients end to end: an https client_id matching a pool's CIMD policy is fetched
from a real HTTPS document server on loopback (a certificate made here, trusted by the userpools server
through SSL_CERT_FILE; the server runs with --cimd-allow-loopback), then signs a user in through the hosted
form and redeems the code; SQLite and PostgreSQL. The SSRF guard is checked against the default server."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from oauthkit import (
    CALLBACK,
    DomainPool,
    authorize,
    code_from,
    new_browser,
    pkce_pair,
    query_of,
    redeem,
    sign_in_through_form,
)
from test_oauth_token import verified

from userpools.operations.guarded_fetch import address_allowed


def make_certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "docs-cert.pem", directory / "docs-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class DocumentServer:
    """Serves metadata documents over HTTPS on 127.0.0.1: ``documents[path] = (status, headers, body)``."""

    cert: Path
    key: Path
    documents: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"https://localhost:{self.port}{path}"

    def serve(self, path: str, document: dict[str, Any] | bytes, *, status: int = 200,
              headers: dict[str, str] | None = None) -> str:
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.documents[path] = (status, {"Content-Type": "application/json", **(headers or {})}, body)
        return self.url(path)

    def fetches(self, path: str) -> int:
        return self.requests.count(path)

    def __enter__(self) -> Self:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                status, headers, body = owner.documents.get(self.path, (404, {}, b"{}"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocumentServer]:
    cert, key = make_certificate(tmp_path_factory.mktemp("cimd-docs"))
    with DocumentServer(cert, key) as server:
        yield server


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def cimd_server(request: pytest.FixtureRequest, server_factory: Any, documents: DocumentServer) -> Any:
    return server_factory(request.param, extra_args=["--cimd-allow-loopback"],
                          env={"SSL_CERT_FILE": str(documents.cert)})


def domain_pool_on(server: Any) -> DomainPool:
    cognito = server.client()
    pool_id = cognito.create_user_pool(PoolName=f"cimd-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
    dp = DomainPool(server, cognito, pool_id, f"cimd-{uuid.uuid4().hex[:12]}")
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=dp.domain)
    return dp


def policy_for(dp: DomainPool, documents: DocumentServer, prefix: str) -> tuple[str, str]:
    """An app client for code + refresh, and a policy for ``https://localhost:<port>/<prefix>/*``."""
    app = dp.client(scopes=("openid", "email", "profile"))
    policy = dp.cognito.create_cimd_policy(UserPoolId=dp.pool_id, ClientId=app["ClientId"], PolicyName=prefix,
                                           URLPatterns=[documents.url(f"/{prefix}/*")])["CIMDPolicy"]
    return app["ClientId"], policy["CIMDPolicyId"]


def metadata(url: str, **extra: Any) -> dict[str, Any]:
    return {"client_id": url, "client_name": "Partner app", "redirect_uris": [CALLBACK],
            "grant_types": ["authorization_code", "refresh_token"], "token_endpoint_auth_method": "none",
            "scope": "openid email", **extra}


def error_page(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert "/error?" in location, location
    return query_of(location)


def test_a_metadata_document_client_signs_in_with_pkce_and_redeems_its_code(cimd_server: Any,
                                                                           documents: DocumentServer) -> None:
    dp = domain_pool_on(cimd_server)
    prefix = f"p{uuid.uuid4().hex[:8]}"
    _, policy_id = policy_for(dp, documents, prefix)
    url = documents.serve(f"/{prefix}/app.json", metadata(documents.url(f"/{prefix}/app.json")),
                          headers={"Cache-Control": "public, max-age=172800"})
    username = dp.user(email="cim@example.com", email_verified="true")
    verifier, challenge = pkce_pair()
    with new_browser() as browser:
        answer = sign_in_through_form(browser, dp, url, username, code_challenge=challenge,
                                      code_challenge_method="S256")
    code = code_from(answer)
    response = redeem(dp, url, code, verifier=verifier)
    assert response.status_code == 200, response.text
    tokens = response.json()
    id_claims = verified(dp.server, dp.pool_id, tokens["id_token"], audience=url)
    assert (id_claims["cognito:username"], id_claims["email"]) == (username, "cim@example.com")
    access = verified(dp.server, dp.pool_id, tokens["access_token"])
    assert (access["client_id"], access["scope"]) == (url, "openid email")  # profile: not in the document
    with new_browser() as browser:
        narrowed = authorize(browser, dp, url, scope="openid profile", code_challenge=challenge,
                             code_challenge_method="S256")
    assert query_of(narrowed.headers["location"])["error"] == "invalid_scope"
    refreshed = httpx.post(f"{dp.base}/oauth2/token", data={
        "grant_type": "refresh_token", "client_id": url, "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    info = httpx.get(f"{dp.base}/oauth2/userInfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert (info.status_code, info.json()["email"], info.json()["username"]) == (200, "cim@example.com", username)
    assert documents.fetches(f"/{prefix}/app.json") == 1  # cached: the login page and the token endpoint reuse it
    (listed,) = dp.cognito.list_client_metadata_urls(UserPoolId=dp.pool_id,
                                                     CIMDPolicyId=policy_id)["ClientMetadataURLs"]
    assert listed["URL"] == url
    assert (listed["ExpirationDate"] - listed["CachedDate"]).total_seconds() == 172800  # Cache-Control won
    with new_browser() as browser:  # a public client: PKCE is required
        no_pkce = authorize(browser, dp, url)
    assert no_pkce.headers["location"].startswith(CALLBACK)
    assert query_of(no_pkce.headers["location"])["error"] == "invalid_request"
    secret_post = httpx.post(f"{dp.base}/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": url})
    assert (secret_post.status_code, secret_post.json()["error"]) == (400, "unauthorized_client")
    dp.cognito.update_client_metadata_url_state(UserPoolId=dp.pool_id, CIMDPolicyId=policy_id, URL=url,
                                                Action="REFRESH")
    with new_browser() as browser:
        again = authorize(browser, dp, url, code_challenge=challenge, code_challenge_method="S256")
    assert again.status_code == 302 and "/login?" in again.headers["location"]
    assert documents.fetches(f"/{prefix}/app.json") == 2


def test_unusable_documents_and_urls_show_the_error_page(cimd_server: Any, documents: DocumentServer) -> None:
    dp = domain_pool_on(cimd_server)
    prefix = f"p{uuid.uuid4().hex[:8]}"
    policy_for(dp, documents, prefix)
    _, challenge = pkce_pair()
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}
    cases = {
        "mismatch": metadata(documents.url("/elsewhere.json")),
        "secret": metadata(documents.url(f"/{prefix}/secret.json"), token_endpoint_auth_method="client_secret_basic"),
        "no-redirects": metadata(documents.url(f"/{prefix}/no-redirects.json"), redirect_uris=[]),
    }
    for name, document in cases.items():
        url = documents.serve(f"/{prefix}/{name}.json", document)
        with new_browser() as browser:
            page = error_page(authorize(browser, dp, url, **pkce))
        assert page["error"] == "invalid_client" or page["error"] == "invalid_request", (name, page)
    big = documents.serve(f"/{prefix}/big.json", b'{"client_id": "' + b"x" * 20_000 + b'"}')
    missing = documents.url(f"/{prefix}/missing.json")
    moved = documents.serve(f"/{prefix}/moved.json", b"", status=302, headers={"Location": "https://127.0.0.1/x"})
    for url in (big, missing, moved):
        with new_browser() as browser:
            assert error_page(authorize(browser, dp, url, **pkce))["error"] == "invalid_client", url
    unmatched = documents.serve("/nopolicy/app.json", metadata(documents.url("/nopolicy/app.json")))
    with new_browser() as browser:
        assert error_page(authorize(browser, dp, unmatched, **pkce))["error"] == "invalid_request"
    assert documents.fetches("/nopolicy/app.json") == 0
    with new_browser() as browser:  # a redirect_uri the document does not list: the error page, no redirect
        page = error_page(authorize(browser, dp, documents.serve(
            f"/{prefix}/ok.json", metadata(documents.url(f"/{prefix}/ok.json"))), redirect_uri="https://evil.example/cb",
            **pkce))
    assert page["error"] == "redirect_mismatch"


def test_the_ssrf_guard_refuses_loopback_by_default(server: Any, documents: DocumentServer) -> None:
    dp = domain_pool_on(server)
    prefix = f"p{uuid.uuid4().hex[:8]}"
    policy_for(dp, documents, prefix)
    url = documents.serve(f"/{prefix}/app.json", metadata(documents.url(f"/{prefix}/app.json")))
    _, challenge = pkce_pair()
    with new_browser() as browser:
        page = error_page(authorize(browser, dp, url, code_challenge=challenge, code_challenge_method="S256"))
    assert page["error"] == "invalid_client" and "not public" in page["error_description"]
    assert documents.fetches(f"/{prefix}/app.json") == 0
    assert urlsplit(url).hostname == "localhost"


@pytest.mark.parametrize(("address", "loopback", "allowed"), [
    ("93.184.216.34", False, True), ("2606:4700::1111", False, True),
    ("127.0.0.1", False, False), ("127.0.0.1", True, True), ("::1", True, True),
    ("10.1.2.3", True, False), ("192.168.1.1", False, False), ("172.16.0.1", False, False),
    ("169.254.169.254", True, False), ("fe80::1", False, False), ("fc00::1", False, False),
    ("224.0.0.1", False, False), ("0.0.0.0", False, False), ("::ffff:10.0.0.1", False, False),
    ("100.64.0.1", False, False),
])
def test_the_ssrf_guard_addresses(address: str, loopback: bool, allowed: bool) -> None:
    assert address_allowed(address, allow_loopback=loopback) is allowed

"""The SAML broker end to end, on SQLite and PostgreSQL: the upstream is a real SAML 2.0 identity provider built
from pysaml2's IdP classes (``saml2.server.Server``), served on loopback by a small HTTP server thread (its
metadata, its HTTP-Redirect SSO and SLO endpoints). It verifies the pool's signed AuthnRequest against the
certificate GetSigningCertificate returns, and answers with signed (and, in one test, encrypted) assertions.
httpx plays the browser: it follows the redirects and posts the IdP's form to /saml2/idpresponse. Keys and
certificates are made at test time with ``cryptography``."""

from __future__ import annotations

import base64
import datetime
import html
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from accounts import make_client, unique
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from oauthkit import CALLBACK, LOGOUT, DomainPool, query_of, redeem
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.s_utils import decode_base64_and_inflate
from saml2.saml import NAME_FORMAT_BASIC, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.samlp import authn_request_from_string
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

PROVIDER = "Corp"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
AUTHN = {"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"}
EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"


def key_and_certificate(directory: Path, name: str) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def pem(der_base64: str) -> str:
    return "-----BEGIN CERTIFICATE-----\n" + der_base64 + "\n-----END CERTIFICATE-----\n"


def sp_metadata(entity_id: str, acs: str, slo: str, signing: str, encryption: str | None) -> str:
    def key(use: str, certificate: str) -> str:
        return (f'<md:KeyDescriptor use="{use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{certificate}'
                "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>")

    keys = key("signing", signing) + (key("encryption", encryption) if encryption else "")
    return (f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
            f'entityID="{entity_id}"><md:SPSSODescriptor AuthnRequestsSigned="true" '
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            f'{keys}<md:SingleLogoutService Binding="{BINDING_HTTP_REDIRECT}" Location="{slo}"/>'
            f'<md:AssertionConsumerService Binding="{BINDING_HTTP_POST}" Location="{acs}" index="0"/>'
            "</md:SPSSODescriptor></md:EntityDescriptor>")


@dataclass
class SamlIdP:
    """A pysaml2 IdP on loopback. ``user`` is who signs in next: (NameID, attributes)."""

    directory: Path
    user: tuple[str, dict[str, list[str]]] = ("bob-1", {})
    lifetime_minutes: int = 5
    encrypt_for: str | None = None  # the SP's encryption certificate (base64 DER): encrypt assertions
    audience: str | None = None  # answer for another SP entity id (a wrong audience)
    requests: list[Any] = field(default_factory=list)
    logouts: list[Any] = field(default_factory=list)
    server: Server | None = None

    def __post_init__(self) -> None:
        self.key, self.cert = key_and_certificate(self.directory, "idp")

        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                try:
                    status, headers, body = idp.handle(url.path, query)
                except Exception as exc:  # noqa: BLE001 - the test sees a 500 with the reason
                    status, headers, body = 500, {}, repr(exc).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.entity_id = f"{self.base}/idp"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        self.metadata = str(entity_descriptor(self._config([])))

    def _config(self, sp_metadata_documents: list[str]) -> IdPConfig:
        config = IdPConfig()
        config.load({
            "entityid": self.entity_id, "key_file": str(self.key), "cert_file": str(self.cert),
            "metadata": {"inline": sp_metadata_documents} if sp_metadata_documents else {},
            "service": {"idp": {
                "endpoints": {"single_sign_on_service": [(f"{self.base}/sso", BINDING_HTTP_REDIRECT)],
                              "single_logout_service": [(f"{self.base}/slo", BINDING_HTTP_REDIRECT)]},
                "policy": {"default": {"lifetime": {"minutes": self.lifetime_minutes},
                                       "attribute_restrictions": None, "name_form": NAME_FORMAT_BASIC}},
                "name_id_format": [NAMEID_FORMAT_PERSISTENT], "want_authn_requests_signed": True,
            }},
        })
        return config

    def trust(self, *documents: str) -> None:
        """The SPs' metadata (the pool's, with its certificates)."""
        self.server = Server(config=self._config(list(documents)))

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- the IdP's endpoints ----------------------------------------------------------------------------------

    def handle(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if path == "/metadata":
            return 200, {"Content-Type": "application/samlmetadata+xml"}, self.metadata.encode()
        assert self.server is not None
        if path == "/sso":
            # the signature of the redirect binding is checked against the SP metadata's signing certificate
            parsed = self.server.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT,
                                                     relay_state=query.get("RelayState"),
                                                     sigalg=query.get("SigAlg"), signature=query.get("Signature"))
            self.requests.append(parsed.message)
            acs = parsed.message.assertion_consumer_service_url
            response = self.response(acs, parsed.message.issuer.text, parsed.message.id)
            fields = {"SAMLResponse": response, "RelayState": query.get("RelayState", "")}
            inputs = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}"/>' for k, v in fields.items())
            page = f'<html><body><form method="post" action="{html.escape(acs)}">{inputs}</form></body></html>'
            return 200, {"Content-Type": "text/html"}, page.encode()
        if path == "/slo":
            if "SAMLRequest" in query:  # the SP's LogoutRequest: answer by redirect
                parsed = self.server.parse_logout_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT,
                                                          relay_state=query.get("RelayState"),
                                                          sigalg=query.get("SigAlg"),
                                                          signature=query.get("Signature"))
                self.logouts.append(parsed.message)
                answer = self.server.create_logout_response(parsed.message, [BINDING_HTTP_REDIRECT])
                destination = self.server.metadata.single_logout_service(
                    parsed.message.issuer.text, BINDING_HTTP_REDIRECT, "spsso")[0]["location"]
                info = self.server.apply_binding(BINDING_HTTP_REDIRECT, str(answer), destination,
                                                 query.get("RelayState", ""), response=True)
                return 302, {"Location": dict(info["headers"])["Location"]}, b""
            return 200, {}, b"logged out"
        return 404, {}, b""

    def response(self, acs: str, sp: str, in_response_to: str | None) -> str:
        """A signed SAMLResponse (base64) for ``self.user``, the assertion signed (and encrypted when asked)."""
        assert self.server is not None
        name_id, attributes = self.user
        extra: dict[str, Any] = {}
        if self.encrypt_for:
            extra = {"encrypt_assertion": True, "encrypt_cert_assertion": pem(self.encrypt_for)}
        made = self.server.create_authn_response(
            attributes, in_response_to, acs, self.audience or sp, name_id=NameID(format=NAMEID_FORMAT_PERSISTENT,
                                                                               text=name_id),
            authn=AUTHN, sign_assertion=True, sign_response=False, sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256, **extra)
        return base64.b64encode(str(made).encode()).decode()

    def logout_request(self, sp: str, name_id: str, *, signed: bool = True) -> str:
        """An IdP-initiated LogoutRequest: the SP's /saml2/logout URL with it (HTTP-Redirect)."""
        assert self.server is not None
        destination = self.server.metadata.single_logout_service(sp, BINDING_HTTP_REDIRECT, "spsso")[0]["location"]
        _, request = self.server.create_logout_request(
            destination, self.entity_id, name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=name_id), sign=False)
        info = self.server.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination, "idp-relay",
                                         sign=signed, sigalg=SIG_RSA_SHA256)
        return str(dict(info["headers"])["Location"])


# --- fixtures --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def saml_server(request: pytest.FixtureRequest, server_factory: Any) -> Any:
    """A server that may read SAML metadata from loopback (the same setting as client metadata documents)."""
    return server_factory(request.param, extra_args=["--cimd-allow-loopback"])


@pytest.fixture
def dp(saml_server: Any) -> Iterator[DomainPool]:
    cognito = saml_server.client()
    pool_id = cognito.create_user_pool(PoolName=unique("saml"))["UserPool"]["Id"]
    domain = f"saml-{uuid.uuid4().hex[:12]}"
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    yield DomainPool(saml_server, cognito, pool_id, domain)
    cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    cognito.delete_user_pool(UserPoolId=pool_id)


@pytest.fixture
def idp(tmp_path: Path) -> Iterator[SamlIdP]:
    made = SamlIdP(tmp_path)
    yield made
    made.stop()


@pytest.fixture
def clock(saml_server: Any) -> Iterator[Any]:
    def move(seconds: float) -> None:
        httpx.post(f"{saml_server.url}/_userpools/clock", json={"advanceSeconds": seconds}).raise_for_status()

    httpx.post(f"{saml_server.url}/_userpools/clock", json={"freeze": True}).raise_for_status()
    try:
        yield move
    finally:
        httpx.post(f"{saml_server.url}/_userpools/clock", json={"reset": True}).raise_for_status()


@dataclass
class Broker:
    dp: DomainPool
    idp: SamlIdP
    client_id: str

    @property
    def acs(self) -> str:
        return f"{self.dp.base}/saml2/idpresponse"

    @property
    def sp(self) -> str:
        return f"urn:amazon:cognito:sp:{self.dp.pool_id}"


def make_broker(dp: DomainPool, idp: SamlIdP, *, details: dict[str, str] | None = None,
                mapping: dict[str, str] | None = None, by_url: bool = False) -> Broker:
    given = {"MetadataURL": f"{idp.base}/metadata"} if by_url else {"MetadataFile": idp.metadata}
    created = dp.cognito.create_identity_provider(
        UserPoolId=dp.pool_id, ProviderName=PROVIDER, ProviderType="SAML",
        ProviderDetails=given | {"RequestSigningAlgorithm": "rsa-sha256"} | (details or {}),
        AttributeMapping=mapping if mapping is not None else {"email": EMAIL, "name": NAME},
        IdpIdentifiers=["corp.example"],
    )["IdentityProvider"]
    signing = dp.cognito.get_signing_certificate(UserPoolId=dp.pool_id)["Certificate"]
    encryption = created["ProviderDetails"].get("ActiveEncryptionCertificate")
    broker_sp = f"urn:amazon:cognito:sp:{dp.pool_id}"
    acs, slo = f"{dp.base}/saml2/idpresponse", f"{dp.base}/saml2/logout"
    idp.trust(sp_metadata(broker_sp, acs, slo, signing, encryption),
              sp_metadata("urn:amazon:cognito:sp:us-east-1_Other0000", acs, slo, signing, None))
    if encryption:
        idp.encrypt_for = encryption
    client = make_client(
        dp.cognito, dp.pool_id, AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", "profile"], CallbackURLs=[CALLBACK], LogoutURLs=[LOGOUT],
        SupportedIdentityProviders=["COGNITO", PROVIDER],
    )
    return Broker(dp, idp, client["ClientId"])


def authorize_url(broker: Broker, **params: str) -> str:
    query = {"client_id": broker.client_id, "response_type": "code", "redirect_uri": CALLBACK,
             "scope": "openid email profile", "state": "app-state-1", "identity_provider": PROVIDER} | params
    return f"{broker.dp.base}/oauth2/authorize?{urlencode(query)}"


def to_idp(browser: httpx.Client, broker: Broker, **params: str) -> dict[str, str]:
    """authorize → the IdP's SSO endpoint → its form: the fields it would post to /saml2/idpresponse."""
    started = browser.get(authorize_url(broker, **params))
    assert started.status_code == 302, started.text
    location = started.headers["location"]
    assert location.startswith(f"{broker.idp.base}/sso?"), location
    page = browser.get(location)
    assert page.status_code == 200, page.text
    action = html.unescape(re.search(r'action="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
    assert action == broker.acs
    return {name: html.unescape(value) for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', page.text)}


def post(browser: httpx.Client, broker: Broker, fields: dict[str, str]) -> httpx.Response:
    return browser.post(broker.acs, data=fields)


def sign_in(broker: Broker) -> httpx.Response:
    with httpx.Client() as browser:
        return post(browser, broker, to_idp(browser, broker))


def tokens_for(broker: Broker, response: httpx.Response, state: str = "app-state-1") -> dict[str, Any]:
    assert response.status_code == 302, response.text
    answer = query_of(response.headers["location"])
    assert response.headers["location"].startswith(CALLBACK) and "code" in answer, answer
    assert answer.get("state") == state
    redeemed = redeem(broker.dp, broker.client_id, answer["code"])
    assert redeemed.status_code == 200, redeemed.text
    return dict(redeemed.json())


def refused(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    assert response.headers["location"].startswith(CALLBACK), response.headers["location"]
    answer = query_of(response.headers["location"])
    assert "code" not in answer and answer["error"] in ("server_error", "invalid_request"), answer
    return answer


def claims_of(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


# --- sign-in ---------------------------------------------------------------------------------------------------


def test_a_saml_sign_in_with_signed_assertions_makes_the_external_user(dp: DomainPool, idp: SamlIdP) -> None:
    broker = make_broker(dp, idp)
    idp.user = ("Bob.One", {EMAIL: ["bob@example.com"], NAME: ["Bob One"]})
    began = time.perf_counter()
    response = sign_in(broker)
    tokens = tokens_for(broker, response)
    print(f"\nSAML sign-in round trip: "
          f"{(time.perf_counter() - began) * 1000:.0f} ms")
    [request] = idp.requests  # the IdP verified its signature (want_authn_requests_signed)
    assert request.issuer.text == broker.sp and request.assertion_consumer_service_url == broker.acs
    claims = claims_of(tokens["id_token"])
    assert claims["cognito:username"] == "corp_Bob.One"
    assert claims["email"] == "bob@example.com" and claims["name"] == "Bob One"
    assert claims["email_verified"] is False
    assert claims["cognito:groups"] == [f"{dp.pool_id}_{PROVIDER}"]
    [identity] = claims["identities"]
    assert identity == {"userId": "Bob.One", "providerName": PROVIDER, "providerType": "SAML",
                        "issuer": idp.entity_id, "primary": "true", "dateCreated": identity["dateCreated"]}
    assert identity["dateCreated"].isdigit()
    assert f"{dp.pool_id}_{PROVIDER}" in claims_of(tokens["access_token"])["cognito:groups"]
    user = dp.cognito.admin_get_user(UserPoolId=dp.pool_id, Username="corp_Bob.One")
    assert user["UserStatus"] == "EXTERNAL_PROVIDER"


def test_attributes_are_mapped_again_at_every_sign_in(dp: DomainPool, idp: SamlIdP) -> None:
    broker = make_broker(dp, idp, by_url=True)  # the metadata read from its URL (loopback allowed)
    described = dp.cognito.describe_identity_provider(UserPoolId=dp.pool_id, ProviderName=PROVIDER)
    assert described["IdentityProvider"]["ProviderDetails"]["SSORedirectBindingURI"] == f"{idp.base}/sso"
    idp.user = ("u-7", {EMAIL: ["first@example.com"], NAME: ["First"]})
    tokens_for(broker, sign_in(broker))
    idp.user = ("u-7", {EMAIL: ["second@example.com"], NAME: ["Second"]})
    claims = claims_of(tokens_for(broker, sign_in(broker))["id_token"])
    assert claims["email"] == "second@example.com" and claims["name"] == "Second"
    assert [u["Username"] for u in dp.cognito.list_users(UserPoolId=dp.pool_id)["Users"]] == ["corp_u-7"]
    # the idp_identifier reaches the same provider
    with httpx.Client() as browser:
        fields = to_idp(browser, broker, identity_provider="", idp_identifier="corp.example")
        claims = claims_of(tokens_for(broker, post(browser, broker, fields))["id_token"])
    assert claims["cognito:username"] == "corp_u-7"


def test_encrypted_assertions_are_decrypted_with_the_pools_key(dp: DomainPool, idp: SamlIdP) -> None:
    broker = make_broker(dp, idp, details={"EncryptedResponses": "true"})
    signing = dp.cognito.get_signing_certificate(UserPoolId=dp.pool_id)["Certificate"]
    assert idp.encrypt_for and idp.encrypt_for != signing  # a key pair of its own
    idp.user = ("enc-1", {EMAIL: ["enc@example.com"]})
    with httpx.Client() as browser:
        fields = to_idp(browser, broker)
        assert "EncryptedAssertion" in base64.b64decode(fields["SAMLResponse"]).decode()
        claims = claims_of(tokens_for(broker, post(browser, broker, fields))["id_token"])
    assert claims["cognito:username"] == "corp_enc-1" and claims["email"] == "enc@example.com"


def test_idp_initiated_sign_in_when_idpinit_is_on(dp: DomainPool, idp: SamlIdP) -> None:
    broker = make_broker(dp, idp, details={"IDPInit": "true"})
    idp.user = ("idp-init", {EMAIL: ["init@example.com"]})
    relay = urlencode({"response_type": "code", "client_id": broker.client_id, "redirect_uri": CALLBACK,
                       "identity_provider": PROVIDER, "scope": "openid email", "state": "from-portal"})
    response = httpx.post(broker.acs, data={"SAMLResponse": idp.response(broker.acs, broker.sp, None),
                                            "RelayState": relay})
    claims = claims_of(tokens_for(broker, response, state="from-portal")["id_token"])
    assert claims["cognito:username"] == "corp_idp-init"


def test_idp_initiated_sign_in_is_refused_when_idpinit_is_off(dp: DomainPool, idp: SamlIdP) -> None:
    broker = make_broker(dp, idp)
    relay = urlencode({"response_type": "code", "client_id": broker.client_id, "redirect_uri": CALLBACK,
                       "identity_provider": PROVIDER, "scope": "openid", "state": "s"})
    response = httpx.post(broker.acs, data={"SAMLResponse": idp.response(broker.acs, broker.sp, None),
                                            "RelayState": relay})
    assert "IdP-initiated" in refused(response)["error_description"]
    assert dp.cognito.list_users(UserPoolId=dp.pool_id)["Users"] == []
    # no RelayState and no known request: the error page, never a redirect
    page = httpx.post(broker.acs, data={"SAMLResponse": idp.response(broker.acs, broker.sp, None)})
    assert page.status_code == 302 and "/error?" in page.headers["location"]


# --- refusals --------------------------------------------------------------------------------------------------


def test_a_tampered_assertion_is_refused(dp: DomainPool, idp: SamlIdP) -> None:
    broker = make_broker(dp, idp)
    idp.user = ("alice", {EMAIL: ["alice@example.com"]})
    with httpx.Client() as browser:
        fields = to_idp(browser, broker)
        document = base64.b64decode(fields["SAMLResponse"]).decode()
        assert "alice@example.com" in document
        fields["SAMLResponse"] = base64.b64encode(document.replace("alice@example.com", "admin@example.com")
                                                  .encode()).decode()
        answer = refused(post(browser, broker, fields))
    assert answer["error_description"].startswith("Invalid SAML response received:")
    assert "signature" in answer["error_description"].lower()
    assert answer["state"] == "app-state-1"
    assert dp.cognito.list_users(UserPoolId=dp.pool_id)["Users"] == []


def test_an_expired_assertion_is_refused(dp: DomainPool, idp: SamlIdP, clock: Any) -> None:
    broker = make_broker(dp, idp)
    idp.lifetime_minutes = 1
    idp.trust(*[sp_metadata(broker.sp, broker.acs, f"{dp.base}/saml2/logout",
                            dp.cognito.get_signing_certificate(UserPoolId=dp.pool_id)["Certificate"], None)])
    with httpx.Client() as browser:
        fields = to_idp(browser, broker)
        clock(180)  # the server's clock: past the assertion's NotOnOrAfter, within the round trip's 5 minutes
        answer = refused(post(browser, broker, fields))
    assert "expired" in answer["error_description"]


def test_a_replayed_assertion_is_refused(dp: DomainPool, idp: SamlIdP) -> None:
    broker = make_broker(dp, idp, details={"IDPInit": "true"})
    relay = urlencode({"response_type": "code", "client_id": broker.client_id, "redirect_uri": CALLBACK,
                       "identity_provider": PROVIDER, "scope": "openid", "state": "s"})
    form = {"SAMLResponse": idp.response(broker.acs, broker.sp, None), "RelayState": relay}
    tokens_for(broker, httpx.post(broker.acs, data=form), state="s")
    assert "already been used" in refused(httpx.post(broker.acs, data=form))["error_description"]
    # SP-initiated: the same response posted twice (its RelayState is used once, so: the error page)
    with httpx.Client() as browser:
        fields = to_idp(browser, broker)
        tokens_for(broker, post(browser, broker, fields))
        again = post(browser, broker, fields)
    assert again.status_code == 302 and "/error?" in again.headers["location"]


def test_a_wrong_audience_is_refused(dp: DomainPool, idp: SamlIdP) -> None:
    broker = make_broker(dp, idp)
    idp.audience = "urn:amazon:cognito:sp:us-east-1_Other0000"
    with httpx.Client() as browser:
        answer = refused(post(browser, broker, to_idp(browser, broker)))
    assert answer["error_description"].startswith("Invalid SAML response received:")
    assert dp.cognito.list_users(UserPoolId=dp.pool_id)["Users"] == []


def test_a_response_to_another_request_is_refused(dp: DomainPool, idp: SamlIdP) -> None:
    broker = make_broker(dp, idp)
    with httpx.Client() as browser:
        first = to_idp(browser, broker)
        second = to_idp(browser, broker)
        # the first request's response with the second request's RelayState: InResponseTo does not match
        answer = refused(post(browser, broker, {"SAMLResponse": first["SAMLResponse"],
                                                "RelayState": second["RelayState"]}))
    assert answer["error_description"].startswith("Invalid SAML response received:")


def test_garbage_is_an_error_never_a_500(dp: DomainPool, idp: SamlIdP) -> None:
    broker = make_broker(dp, idp)
    with httpx.Client() as browser:
        fields = to_idp(browser, broker)
        answer = refused(post(browser, broker, {"SAMLResponse": "bm90IHhtbA==", "RelayState": fields["RelayState"]}))
    assert answer["error"] == "server_error"
    for form in ({}, {"SAMLResponse": "x" * 100_001}, {"SAMLResponse": "%%%", "RelayState": "a=b"}):
        page = httpx.post(broker.acs, data=form)
        assert page.status_code == 302 and "/error?" in page.headers["location"], page.text


# --- sign-out ---------------------------------------------------------------------------------------------------


def test_sign_out_goes_through_the_idp_when_idpsignout_is_on(dp: DomainPool, idp: SamlIdP) -> None:
    broker = make_broker(dp, idp, details={"IDPSignout": "true"})
    idp.user = ("leaver", {EMAIL: ["leaver@example.com"]})
    with httpx.Client() as browser:
        tokens_for(broker, post(browser, broker, to_idp(browser, broker)))
        started = browser.get(f"{dp.base}/logout", params={"client_id": broker.client_id, "logout_uri": LOGOUT})
        assert started.status_code == 302 and started.headers["location"].startswith(f"{idp.base}/slo?")
        back = browser.get(started.headers["location"])  # the IdP answers with its LogoutResponse
        assert back.status_code == 302 and back.headers["location"].startswith(f"{dp.base}/saml2/logout?")
        done = browser.get(back.headers["location"])
        assert done.status_code == 302 and done.headers["location"] == LOGOUT
    [request] = idp.logouts
    assert request.name_id.text == "leaver" and request.issuer.text == broker.sp


def test_an_idp_initiated_logout_ends_the_users_sessions(dp: DomainPool, idp: SamlIdP) -> None:
    broker = make_broker(dp, idp, details={"IDPSignout": "true"})
    idp.user = ("gone", {EMAIL: ["gone@example.com"]})
    with httpx.Client() as browser:
        tokens_for(broker, post(browser, broker, to_idp(browser, broker)))
        # signed in: a new authorization request is answered from the session
        silent = browser.get(authorize_url(broker, identity_provider=""))
        assert silent.headers["location"].startswith(CALLBACK)
        unsigned = httpx.get(idp.logout_request(broker.sp, "gone", signed=False))
        assert unsigned.status_code == 302 and "/error?" in unsigned.headers["location"]
        assert browser.get(authorize_url(broker, identity_provider="")).headers["location"].startswith(CALLBACK)
        answered = httpx.get(idp.logout_request(broker.sp, "gone"))
        assert answered.status_code == 302 and answered.headers["location"].startswith(f"{idp.base}/slo?")
        assert "SAMLResponse=" in answered.headers["location"]
        again = browser.get(authorize_url(broker, identity_provider=""))
        assert again.headers["location"].startswith(f"{dp.base}/login?")  # the session is gone


def test_the_host_form_of_the_domain_serves_the_acs(dp: DomainPool, idp: SamlIdP) -> None:
    """Under Cognito's host name for the domain, the AuthnRequest names that host's /saml2/idpresponse, and the
    response posted there is accepted (Destination and Recipient are the URL it arrived at)."""
    broker = make_broker(dp, idp)
    host = f"{dp.domain}.auth.us-east-1.amazoncognito.com"
    root = dp.server.url
    started = httpx.get(f"{root}/oauth2/authorize", headers={"Host": host}, params={
        "client_id": broker.client_id, "response_type": "code", "redirect_uri": CALLBACK, "scope": "openid",
        "state": "app-state-1", "identity_provider": PROVIDER})
    assert started.status_code == 302, started.text
    query = query_of(started.headers["location"])
    request = authn_request_from_string(decode_base64_and_inflate(query["SAMLRequest"]))
    acs = f"http://{host}/saml2/idpresponse"
    assert request.assertion_consumer_service_url == acs
    idp.trust(sp_metadata(broker.sp, acs, f"http://{host}/saml2/logout",
                          dp.cognito.get_signing_certificate(UserPoolId=dp.pool_id)["Certificate"], None))
    idp.user = ("host-form", {})
    response = httpx.post(f"{root}/saml2/idpresponse", headers={"Host": host},
                          data={"SAMLResponse": idp.response(acs, broker.sp, request.id),
                                "RelayState": query["RelayState"]})
    assert claims_of(tokens_for(broker, response)["id_token"])["cognito:username"] == "corp_host-form"


def test_a_linked_saml_identity_signs_in_as_the_native_user(dp: DomainPool, idp: SamlIdP) -> None:
    broker = make_broker(dp, idp)
    native = dp.user(email="native@example.com")
    dp.cognito.admin_link_provider_for_user(
        UserPoolId=dp.pool_id, DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": native},
        SourceUser={"ProviderName": PROVIDER, "ProviderAttributeName": "Cognito_Subject",
                    "ProviderAttributeValue": "linked-1"})
    idp.user = ("linked-1", {EMAIL: ["native@example.com"]})
    claims = claims_of(tokens_for(broker, sign_in(broker))["id_token"])
    assert claims["cognito:username"] == native
    assert [(i["userId"], i["providerType"]) for i in claims["identities"]] == [("linked-1", "SAML")]
    assert [u["Username"] for u in dp.cognito.list_users(UserPoolId=dp.pool_id)["Users"]] == [native]


def test_a_metadata_url_goes_through_the_ssrf_guard(cognito: Any, idp: SamlIdP) -> None:
    """Without --cimd-allow-loopback, a loopback MetadataURL is refused, and http is refused anywhere."""
    pool_id = cognito.create_user_pool(PoolName=unique("saml-ssrf"))["UserPool"]["Id"]
    try:
        for url, words in ((f"{idp.base}/metadata", "https"), ("https://127.0.0.1:1/metadata", "not public"),
                           ("http://idp.example.com/metadata", "https")):
            with pytest.raises(ClientError) as refused:
                cognito.create_identity_provider(UserPoolId=pool_id, ProviderName=PROVIDER, ProviderType="SAML",
                                                 ProviderDetails={"MetadataURL": url})
            assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
            assert words in refused.value.response["Error"]["Message"], refused.value.response["Error"]
    finally:
        cognito.delete_user_pool(UserPoolId=pool_id)

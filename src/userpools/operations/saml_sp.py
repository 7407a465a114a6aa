"""The pool's SAML 2.0 service provider, by pysaml2 (https://pysaml2.readthedocs.io): the AuthnRequest and
LogoutRequest sent to an identity provider, and the checks of what it answers. Nothing here parses or verifies
a signature by hand: pysaml2 checks a response's signature (the response's or the assertion's) against the
certificates of the IdP's metadata with the ``xmlsec1`` program, decrypts an encrypted assertion with it, and
checks the audience (the SP entity id), the Destination and SubjectConfirmation Recipient (the ACS URL the
response arrived at), InResponseTo (the request it answers) and the time window against the system clock.
``operations.saml`` checks the time window again against the server's (injectable) clock, and replay.

The functions are synchronous (``xmlsec1`` runs as a child process): call them on a worker thread. pysaml2
reads keys from files, so each call writes the pool's keys to a private temporary directory (mode 0700,
files 0600) that is removed when the call returns.

pysaml2 signs and verifies the HTTP-Redirect binding's signature with one signer object per algorithm shared by
the whole process, whose key it sets before each use (``RSACrypto.get_signer``); two threads doing so at once
could sign with each other's key. Every such step therefore holds ``_REDIRECT_SIGNER`` (one RSA operation, well
under a millisecond; only an IdP's LogoutRequest checks an embedded signature with xmlsec1 inside it).
"""

from __future__ import annotations

import base64
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from saml2.client import Saml2Client

# pysaml2 (its XML schema modules: about 0.45 s of CPU) is imported by the functions below, at the first SAML
# message, not at every server's start-up (docs/architecture.md).

logger = logging.getLogger("userpools.saml")
_REDIRECT_SIGNER = threading.Lock()  # pysaml2's shared redirect-binding signers (see the module's docstring)
SKEW_SECONDS = 60  # the clock skew allowed on the IdP's NotBefore/NotOnOrAfter [U]
XMLSEC_MISSING = ("SAML sign-in needs the xmlsec1 program, which is not installed on this server "
                  "(Debian/Ubuntu: apt-get install xmlsec1; macOS: brew install libxmlsec1)")


BAD_SIGNATURE = "SAML Assertion signature is invalid."  # [O: Cognito's words, aws-sdk-js-v3#6201]


class SamlError(Exception):
    """A SAML message refused or not made; the message says why (the app's error_description)."""


def xmlsec_binary() -> str:
    """The xmlsec1 program's path; SamlError (logged: the operator must install it) when it is missing."""
    found = shutil.which("xmlsec1")
    if found is None:
        logger.error(XMLSEC_MISSING)
        raise SamlError(XMLSEC_MISSING)
    return found


@dataclass(frozen=True)
class SpKeys:
    """The pool's key pairs (PEM): the signing pair signs requests; the encryption pair decrypts assertions."""

    signing_key: bytes
    signing_cert: bytes
    encryption_key: bytes | None = None
    encryption_cert: bytes | None = None


@dataclass(frozen=True)
class Sp:
    """One provider as this pool's SP sees it."""

    entity_id: str  # urn:amazon:cognito:sp:<poolId>
    acs: str  # the domain's /saml2/idpresponse the IdP posts to
    slo: str  # the domain's /saml2/logout
    metadata: str  # the IdP's metadata document
    keys: SpKeys
    sign_requests: bool = True


@dataclass(frozen=True)
class Outgoing:
    """A message to send through the browser: a redirect to ``url``, or (POST binding) ``fields`` posted."""

    request_id: str
    url: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Assertion:
    """What a verified response says."""

    issuer: str
    assertion_id: str
    name_id: str
    name_id_format: str
    session_index: str | None
    in_response_to: str | None
    attributes: dict[str, list[str]]
    not_before: datetime | None
    not_on_or_after: datetime | None


def pem_certificate(der_base64: str) -> bytes:
    lines = [der_base64[i:i + 64] for i in range(0, len(der_base64), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n").encode()


@contextmanager
def _client(sp: Sp, *, allow_unsolicited: bool = False, signing: bool = True) -> Iterator[Saml2Client]:
    """A pysaml2 SP for one step. ``signing`` False: the signing key is left out (checking a response needs
    none, and pysaml2 spends ~40 ms loading an RSA key)."""
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.client import Saml2Client
    from saml2.config import SPConfig
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

    binary = xmlsec_binary()
    with tempfile.TemporaryDirectory(prefix="userpools-saml-") as directory:
        def write(name: str, data: bytes) -> str:
            path = os.path.join(directory, name)
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                out.write(data)
            return path

        config: dict[str, Any] = {
            "entityid": sp.entity_id,
            "xmlsec_binary": binary,
            "metadata": {"inline": [sp.metadata]},
            "accepted_time_diff": SKEW_SECONDS,
            "allow_unknown_attributes": True,
            "service": {"sp": {
                "endpoints": {"assertion_consumer_service": [(sp.acs, BINDING_HTTP_POST)],
                              "single_logout_service": [(sp.slo, BINDING_HTTP_REDIRECT)]},
                "authn_requests_signed": sp.sign_requests, "logout_requests_signed": sp.sign_requests,
                "want_assertions_or_response_signed": True, "want_response_signed": False,
                "want_assertions_signed": False, "allow_unsolicited": allow_unsolicited,
                "signing_algorithm": SIG_RSA_SHA256, "digest_algorithm": DIGEST_SHA256,
            }},
        }
        if signing:
            config["key_file"] = write("signing.key", sp.keys.signing_key)
            config["cert_file"] = write("signing.crt", sp.keys.signing_cert)
        if sp.keys.encryption_key is not None and sp.keys.encryption_cert is not None:
            config["encryption_keypairs"] = [{"key_file": write("encryption.key", sp.keys.encryption_key),
                                              "cert_file": write("encryption.crt", sp.keys.encryption_cert)}]
        try:
            loaded = SPConfig()
            loaded.load(config)
            client = Saml2Client(config=loaded)
        except Exception as exc:  # noqa: BLE001 - pysaml2 raises many kinds for metadata it cannot use
            raise SamlError(f"The identity provider's metadata cannot be used: {type(exc).__name__}") from None
        yield client


def _idp_entity_id(client: Saml2Client) -> str:
    found = list(client.metadata.identity_providers())
    if not found:
        raise SamlError("The metadata describes no identity provider")
    return str(found[0])


def authn_request(sp: Sp, relay_state: str, request_id: str) -> Outgoing:
    """An AuthnRequest for the IdP's HTTP-Redirect SSO endpoint (its HTTP-POST one when it has no redirect
    one), signed rsa-sha256 with the pool's signing key when ``sp.sign_requests``."""
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

    with _client(sp) as client:
        idp = _idp_entity_id(client)
        try:
            binding, destination = client.pick_binding(
                "single_sign_on_service", [BINDING_HTTP_REDIRECT, BINDING_HTTP_POST], "idpsso", entity_id=idp)
            _, request = client.create_authn_request(
                destination, binding=BINDING_HTTP_POST, message_id=request_id,
                sign=sp.sign_requests and binding == BINDING_HTTP_POST, sign_alg=SIG_RSA_SHA256,
                digest_alg=DIGEST_SHA256)
            with _REDIRECT_SIGNER:
                info = client.apply_binding(binding, str(request), destination, relay_state,
                                            sign=sp.sign_requests, sigalg=SIG_RSA_SHA256)
        except SamlError:
            raise
        except Exception as exc:  # noqa: BLE001 - pysaml2 raises many types
            raise SamlError(f"The authentication request could not be made: {type(exc).__name__}") from None
    if binding == BINDING_HTTP_REDIRECT:
        return Outgoing(request_id, dict(info["headers"])["Location"])
    encoded = base64.b64encode(str(request).encode()).decode()
    return Outgoing(request_id, destination, {"SAMLRequest": encoded, "RelayState": relay_state})


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text).astimezone(UTC)


def parse_response(sp: Sp, saml_response: str, request_id: str | None) -> Assertion:
    """The base64 SAMLResponse, verified; ``request_id`` the AuthnRequest it must answer, None for an
    unsolicited (IdP-initiated) one. Raises SamlError with the reason."""
    from saml2 import BINDING_HTTP_POST
    from saml2.saml import NAMEID_FORMAT_UNSPECIFIED

    with _client(sp, allow_unsolicited=request_id is None, signing=False) as client:
        outstanding = {request_id: sp.acs} if request_id else {}
        try:
            response = client.parse_authn_request_response(saml_response, BINDING_HTTP_POST, outstanding)
        except Exception as exc:  # noqa: BLE001 - pysaml2's refusals are many types; their text says why
            raise SamlError(_reason(exc)) from None
        if response is None or response.assertion is None:
            raise SamlError("The response holds no usable assertion")
        assertion = response.assertion
        name_id = response.name_id
        if name_id is None or not (name_id.text or "").strip():
            raise SamlError("The assertion has no NameID")
        attributes: dict[str, list[str]] = {}
        for statement in assertion.attribute_statement or []:
            for attribute in statement.attribute or []:
                values = [value.text or "" for value in attribute.attribute_value or []]
                attributes.setdefault(attribute.name, []).extend(values)
        session_index = None
        for statement in assertion.authn_statement or []:
            session_index = statement.session_index or session_index
        deadlines = []
        not_before = None
        if assertion.conditions is not None:
            not_before = _moment(assertion.conditions.not_before)
            deadlines.append(_moment(assertion.conditions.not_on_or_after))
        if assertion.subject is not None:
            for confirmation in assertion.subject.subject_confirmation or []:
                data = confirmation.subject_confirmation_data
                if data is not None:
                    deadlines.append(_moment(data.not_on_or_after))
        known = [d for d in deadlines if d is not None]
        issuer = (assertion.issuer.text if assertion.issuer is not None else None) or response.issuer() or ""
        return Assertion(
            issuer=issuer.strip(), assertion_id=str(assertion.id), name_id=name_id.text.strip(),
            name_id_format=name_id.format or NAMEID_FORMAT_UNSPECIFIED, session_index=session_index,
            in_response_to=response.response.in_response_to, attributes=attributes,
            not_before=not_before, not_on_or_after=min(known) if known else None)


def _reason(exc: Exception) -> str:
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    if name in ("SignatureError", "SigverError") or "signature" in text.lower():
        return BAD_SIGNATURE
    return f"{name}: {text}" if text else name


def logout_request(sp: Sp, name_id: str, name_id_format: str, session_index: str | None, relay_state: str,
                   request_id: str) -> Outgoing:
    """A LogoutRequest to the IdP's HTTP-Redirect SLO endpoint, signed like the AuthnRequest."""
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.saml import NameID
    from saml2.xmldsig import SIG_RSA_SHA256

    with _client(sp) as client:
        idp = _idp_entity_id(client)
        try:
            services = client.metadata.single_logout_service(idp, BINDING_HTTP_REDIRECT, "idpsso")
            destination = services[0]["location"]
        except (IndexError, KeyError, TypeError):
            raise SamlError("The identity provider has no HTTP-Redirect SingleLogoutService") from None
        try:
            _, request = client.create_logout_request(
                destination, idp, name_id=NameID(format=name_id_format, text=name_id), message_id=request_id,
                session_indexes=[session_index] if session_index else None, sign=False)
            with _REDIRECT_SIGNER:
                info = client.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination, relay_state,
                                            sign=sp.sign_requests, sigalg=SIG_RSA_SHA256)
        except Exception as exc:  # noqa: BLE001 - pysaml2 raises many types
            raise SamlError(f"The logout request could not be made: {type(exc).__name__}") from None
    return Outgoing(request_id, dict(info["headers"])["Location"])


def parse_logout_response(sp: Sp, saml_response: str, query: dict[str, str]) -> str | None:
    """A LogoutResponse that arrived by HTTP-Redirect: the request id it answers. It must be signed by the IdP of
    the metadata — the redirect binding's Signature (over SAMLResponse, RelayState and SigAlg) or a signature in
    the message — and name that IdP as its Issuer: an unsigned or forged one is refused [U: Cognito's rule; the
    same as for the IdP's LogoutRequest]. The checks are pysaml2's (``verify_redirect_signature`` and the
    security context's ``correctly_signed_logout_response``). Raises SamlError."""
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.s_utils import decode_base64_and_inflate
    from saml2.sigver import RSACrypto, verify_redirect_signature

    with _client(sp, signing=False) as client:
        idp = _idp_entity_id(client)
        if query.get("Signature"):
            message = {"SAMLResponse": saml_response, "SigAlg": query.get("SigAlg") or "",
                       "Signature": query["Signature"]}
            if query.get("RelayState") is not None:
                message["RelayState"] = query["RelayState"]
            try:
                certificates = [c for _, c in client.metadata.certs(idp, "idpsso", "signing")]
                backend = client.sec.sec_backend or RSACrypto(None)  # the certificate is the key used here
                with _REDIRECT_SIGNER:
                    verified = any(verify_redirect_signature(message, backend, c) for c in certificates)
            except Exception:  # noqa: BLE001 - an unknown SigAlg, bad base64: not verified
                verified = False
            if not verified:
                raise SamlError("The logout response's signature is invalid.")  # [U] the words
        else:
            try:
                document = decode_base64_and_inflate(saml_response)
            except Exception:  # noqa: BLE001 - base64 and zlib errors alike
                raise SamlError("The logout response cannot be read") from None
            if b"SignatureValue" not in document:
                raise SamlError("The logout response is not signed")  # [U] the words
            try:
                client.sec.correctly_signed_logout_response(document.decode("utf-8"), must=True)
            except Exception:  # noqa: BLE001 - pysaml2's refusals are many types
                raise SamlError("The logout response's signature is invalid.") from None
        try:
            response = client.parse_logout_request_response(saml_response, BINDING_HTTP_REDIRECT)
        except Exception as exc:  # noqa: BLE001 - pysaml2 raises many types
            raise SamlError(_reason(exc)) from None
        if response is None:
            raise SamlError("The logout response cannot be used")
        issuer = response.response.issuer
        if issuer is None or (issuer.text or "").strip() != idp:
            raise SamlError("The logout response is not the identity provider's")  # [U]
        return str(response.response.in_response_to or "") or None


def answer_logout_request(sp: Sp, saml_request: str, relay_state: str | None, query: dict[str, str]
                          ) -> tuple[str, str, Outgoing]:
    """An IdP-initiated LogoutRequest (HTTP-Redirect; its signature checked when signed): the NameID it names,
    its issuer, and the LogoutResponse to send back. An unsigned request is refused (it would let anyone end a
    user's sessions) [U: Cognito's rule]. Raises SamlError."""
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.s_utils import decode_base64_and_inflate
    from saml2.xmldsig import SIG_RSA_SHA256

    if not query.get("Signature"):
        try:
            embedded = b"SignatureValue" in decode_base64_and_inflate(saml_request)
        except Exception:  # noqa: BLE001 - base64 and zlib errors alike
            embedded = False
        if not embedded:
            raise SamlError("The logout request is not signed")
    with _client(sp) as client:
        try:
            with _REDIRECT_SIGNER:  # the redirect binding's signature is verified in there
                request = client.parse_logout_request(
                    saml_request, BINDING_HTTP_REDIRECT, relay_state=relay_state,
                    sigalg=query.get("SigAlg"), signature=query.get("Signature"))
        except Exception as exc:  # noqa: BLE001 - pysaml2 raises many types
            raise SamlError(_reason(exc)) from None
        if request is None or request.message.name_id is None:
            raise SamlError("The logout request cannot be used")
        message = request.message
        idp = str(message.issuer.text).strip() if message.issuer is not None else _idp_entity_id(client)
        try:
            services = client.metadata.single_logout_service(idp, BINDING_HTTP_REDIRECT, "idpsso")
            destination = services[0]["location"]
            response = client.create_logout_response(message, [BINDING_HTTP_REDIRECT], sign=False)
            with _REDIRECT_SIGNER:
                info = client.apply_binding(BINDING_HTTP_REDIRECT, str(response), destination, relay_state or "",
                                            response=True, sign=sp.sign_requests, sigalg=SIG_RSA_SHA256)
        except Exception as exc:  # noqa: BLE001 - pysaml2 raises many types
            raise SamlError(f"The logout response could not be made: {type(exc).__name__}") from None
        outgoing = Outgoing(str(response.id), dict(info["headers"])["Location"])
        return str(message.name_id.text).strip(), idp, outgoing


def logout_request_issuer(saml_request: str) -> str:
    """The Issuer of an HTTP-Redirect LogoutRequest, read before it is verified (to choose the provider whose
    metadata verifies it)."""
    from saml2.s_utils import decode_base64_and_inflate
    from saml2.samlp import logout_request_from_string

    try:
        request = logout_request_from_string(decode_base64_and_inflate(saml_request))
    except Exception:  # noqa: BLE001 - base64, zlib and XML errors alike
        raise SamlError("The logout request cannot be read") from None
    if request is None or request.issuer is None or not (request.issuer.text or "").strip():
        raise SamlError("The logout request has no Issuer")
    return str(request.issuer.text).strip()

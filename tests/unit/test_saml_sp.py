"""operations.saml_sp without the xmlsec1 program: a clear error (and a log line), never a crash."""

from __future__ import annotations

import logging

import pytest

from userpools.operations import saml_sp

METADATA = """<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com">
<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
 Location="https://idp.example.com/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"""


def test_a_server_without_xmlsec1_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(saml_sp.shutil, "which", lambda name: None)
    sp = saml_sp.Sp("urn:amazon:cognito:sp:us-east-1_x", "https://d/saml2/idpresponse", "https://d/saml2/logout",
                    METADATA, saml_sp.SpKeys(b"", b""))
    with caplog.at_level(logging.ERROR, logger="userpools.saml"), pytest.raises(saml_sp.SamlError) as refused:
        saml_sp.authn_request(sp, "relay", "_id1")
    assert "xmlsec1" in str(refused.value) and "apt-get install xmlsec1" in str(refused.value)
    assert "xmlsec1" in caplog.text


def test_pem_certificate_wraps_base64_der_in_64_character_lines() -> None:
    text = saml_sp.pem_certificate("A" * 130).decode()
    assert text.splitlines() == ["-----BEGIN CERTIFICATE-----", "A" * 64, "A" * 64, "AA", "-----END CERTIFICATE-----"]

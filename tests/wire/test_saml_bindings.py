"""The SAML broker's less common paths, on SQLite and PostgreSQL, with test_saml.py's pysaml2 IdP: an IdP whose
metadata has only an HTTP-POST SSO endpoint (the AuthnRequest goes out as a form the browser posts), the
signature the IdP's LogoutResponse must carry (a forged or tampered one is refused before its RelayState is
spent), and SAML metadata read from MetadataURL kept fresh (read again when it is old, on the server's clock,
and when a response's signature does not verify with the kept copy)."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from oauthkit import LOGOUT, DomainPool, query_of
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.s_utils import decode_base64_and_inflate
from saml2.samlp import logout_request_from_string
from saml2.xmldsig import SIG_RSA_SHA256
from test_saml import (
    EMAIL,
    PROVIDER,
    SamlIdP,
    authorize_url,
    claims_of,
    clock,
    dp,
    idp,
    make_broker,
    post,
    refused,
    saml_server,
    sign_in,
    to_idp,
    tokens_for,
)

__all__ = ["clock", "dp", "idp", "saml_server"]  # the fixtures, used by name


def form_of(page: httpx.Response) -> tuple[str, dict[str, str]]:
    assert page.status_code == 200, page.text
    action = html.unescape(re.search(r'action="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
    return action, {k: html.unescape(v) for k, v in re.findall(r'name="(\w+)" value="([^"]*)"', page.text)}


@pytest.fixture
def post_idp(tmp_path: Path) -> Iterator[SamlIdP]:
    made = SamlIdP(tmp_path, sso_binding=BINDING_HTTP_POST)
    yield made
    made.stop()


# --- the HTTP-POST binding --------------------------------------------------------------------------------------


def test_an_idp_with_only_a_post_sso_endpoint_gets_a_form_the_browser_posts(dp: DomainPool,
                                                                            post_idp: SamlIdP) -> None:
    broker = make_broker(dp, post_idp)
    described = dp.cognito.describe_identity_provider(UserPoolId=dp.pool_id, ProviderName=PROVIDER)
    assert "SSORedirectBindingURI" not in described["IdentityProvider"]["ProviderDetails"]
    post_idp.user = ("poster", {EMAIL: ["poster@example.com"]})
    with httpx.Client() as browser:
        action, fields = form_of(browser.get(authorize_url(broker)))
        assert action == f"{post_idp.base}/sso" and set(fields) == {"SAMLRequest", "RelayState"}
        # the POST binding carries the signature inside the request (the IdP checks it: want_authn_requests_signed)
        assert b"SignatureValue" in base64.b64decode(fields["SAMLRequest"])
        acs, answer = form_of(browser.post(action, data=fields))  # the IdP's own page, posted on
        assert acs == broker.acs
        claims = claims_of(tokens_for(broker, post(browser, broker, answer))["id_token"])
    [request] = post_idp.requests
    assert request.issuer.text == broker.sp and request.assertion_consumer_service_url == broker.acs
    assert claims["cognito:username"] == "corp_poster" and claims["email"] == "poster@example.com"


# --- the LogoutResponse's signature -----------------------------------------------------------------------------


def test_a_forged_or_tampered_logout_response_is_refused(dp: DomainPool, idp: SamlIdP) -> None:
    broker = make_broker(dp, idp, details={"IDPSignout": "true"})
    idp.user = ("leaver", {EMAIL: ["leaver@example.com"]})
    slo = f"{dp.base}/saml2/logout"
    assert idp.server is not None
    with httpx.Client() as browser:
        tokens_for(broker, post(browser, broker, to_idp(browser, broker)))
        started = browser.get(f"{dp.base}/logout", params={"client_id": broker.client_id, "logout_uri": LOGOUT})
        sent = query_of(started.headers["location"])
        request = logout_request_from_string(decode_base64_and_inflate(sent["SAMLRequest"]))

        def answer(*, embedded: bool, redirect: bool) -> str:
            made = idp.server.create_logout_response(request, [BINDING_HTTP_REDIRECT], sign=embedded,
                                                     sign_alg=SIG_RSA_SHA256)
            info = idp.server.apply_binding(BINDING_HTTP_REDIRECT, str(made), slo, sent["RelayState"],
                                            response=True, sign=redirect, sigalg=SIG_RSA_SHA256)
            return str(dict(info["headers"])["Location"])

        def refused(location: str, words: str) -> None:
            page = browser.get(location)
            assert page.status_code == 302 and "/error?" in page.headers["location"], page.headers
            assert words in query_of(page.headers["location"])["error_description"]

        # anyone can make an unsigned LogoutResponse that answers the request's ID
        refused(answer(embedded=False, redirect=False), "not signed")
        # a redirect-binding signature that does not verify
        signed = answer(embedded=False, redirect=True)
        signature = query_of(signed)["Signature"]
        tampered = signed.replace(quote(signature, safe=""), quote(signature[:-4] + "AAA=", safe=""))
        assert tampered != signed
        refused(tampered, "signature is invalid")
        # the refusals did not spend the RelayState: a response signed in the message is accepted
        done = browser.get(answer(embedded=True, redirect=False))
        assert done.status_code == 302 and done.headers["location"] == LOGOUT
        # and a RelayState is used once
        refused(answer(embedded=True, redirect=False), "RelayState")
    # (the IdP's own answer, signed by the redirect binding, is accepted: test_saml.py's sign-out test)


# --- metadata from a MetadataURL, read again --------------------------------------------------------------------


def test_metadata_is_read_again_when_a_signature_fails_with_the_kept_copy(dp: DomainPool, idp: SamlIdP,
                                                                          clock: Any) -> None:
    broker = make_broker(dp, idp, by_url=True)
    reads = idp.metadata_reads
    idp.user = ("roller", {EMAIL: ["roller@example.com"]})
    tokens_for(broker, sign_in(broker))
    assert idp.metadata_reads == reads  # read at creation, fresh for 6 hours
    idp.rotate()  # the IdP rolls its signing certificate
    clock(61)  # a failed signature reads the metadata again at most once a minute
    claims = claims_of(tokens_for(broker, sign_in(broker))["id_token"])
    assert claims["cognito:username"] == "corp_roller"
    assert idp.metadata_reads == reads + 1  # read again once, then the response verified
    # a response whose signature fails with the fresh copy too is refused, without another read at once
    with httpx.Client() as browser:
        fields = to_idp(browser, broker)
        document = base64.b64decode(fields["SAMLResponse"]).decode()
        fields["SAMLResponse"] = base64.b64encode(document.replace("roller@example.com", "admin@example.com")
                                                  .encode()).decode()
        answer = refused(post(browser, broker, fields))
    assert answer["error_description"] == "Invalid SAML response received: SAML Assertion signature is invalid."
    assert idp.metadata_reads == reads + 1


def test_metadata_is_read_again_after_six_hours_on_the_servers_clock(dp: DomainPool, idp: SamlIdP,
                                                                     clock: Any) -> None:
    broker = make_broker(dp, idp, by_url=True)
    reads = idp.metadata_reads
    idp.user = ("sixer", {})
    with httpx.Client() as browser:
        to_idp(browser, broker)
        assert idp.metadata_reads == reads
        clock(6 * 3600 - 60)
        to_idp(browser, broker)
        assert idp.metadata_reads == reads  # not yet due
        clock(120)
        fields = to_idp(browser, broker)  # due: read before the AuthnRequest is made
        assert idp.metadata_reads == reads + 1
        clock(-(6 * 3600 + 60))  # back to the IdP's time, so its assertion is within its window
        claims = claims_of(tokens_for(broker, post(browser, broker, fields))["id_token"])
        to_idp(browser, broker)
    assert claims["cognito:username"] == "corp_sixer"
    assert idp.metadata_reads == reads + 1  # due again only 6 hours after that read

"""The OAuth rules (domain.oauth) and where a domain's requests are recognised (oauth.site)."""

from __future__ import annotations

import base64

import pytest

from userpools.domain import oauth as rules
from userpools.oauth.site import domain_of_host, rewrite

OWN = frozenset({"idp.example.org"})
CLIENT = {"AllowedOAuthFlowsUserPoolClient": True, "CallbackURLs": ["https://a.example/cb", "myapp://cb"],
          "DefaultRedirectURI": "https://a.example/cb", "LogoutURLs": ["https://a.example/out"]}


def test_rfc7636_appendix_b_vector() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert rules.s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert rules.verifier_matches("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", verifier)
    assert not rules.verifier_matches("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", verifier[:-1] + "l")
    assert not rules.verifier_matches("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "short")


def test_only_s256_challenges_are_accepted() -> None:
    rules.check_challenge(None, None)
    rules.check_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256")
    for challenge, method in (("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "plain"),
                              ("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", None), (None, "S256"), ("x", "S256")):
        with pytest.raises(rules.InvalidRequest):
            rules.check_challenge(challenge, method)


def test_redirect_uris_are_compared_exactly_and_default_to_default_redirect_uri() -> None:
    assert rules.redirect_uri_for(CLIENT, "myapp://cb") == "myapp://cb"
    assert rules.redirect_uri_for(CLIENT, None) == "https://a.example/cb"
    for uri in ("https://a.example/cb/", "https://A.example/cb", "https://a.example/cb?x=1"):
        with pytest.raises(rules.PageError):
            rules.redirect_uri_for(CLIENT, uri)
    with pytest.raises(rules.PageError):
        rules.redirect_uri_for({**CLIENT, "AllowedOAuthFlowsUserPoolClient": False}, "myapp://cb")


def test_granted_scopes() -> None:
    allowed = ("openid", "email", "api/read", "api/gone")
    defined = {"api/read"}
    assert rules.granted_scopes((), allowed, defined, user_grant=True) == ("openid", "email", "api/read")
    assert rules.granted_scopes(("openid",), allowed, defined, user_grant=True) == ("openid",)
    with pytest.raises(rules.InvalidScope):
        rules.granted_scopes(("email",), allowed, defined, user_grant=True)  # email needs openid
    with pytest.raises(rules.InvalidScope):
        rules.granted_scopes(("profile", "openid"), allowed, defined, user_grant=True)
    with pytest.raises(rules.InvalidScope):
        rules.granted_scopes(("openid",), allowed, defined, user_grant=False)
    assert rules.granted_scopes(("api/read",), allowed, defined, user_grant=False) == ("api/read",)
    assert rules.parse_scopes(" openid  email openid ") == ("openid", "email")


def test_client_credentials_from_basic_or_form() -> None:
    basic = "Basic " + base64.b64encode(b"abc:s3cr:et").decode()
    assert rules.client_credentials(basic, {}) == rules.ClientCredentials("abc", "s3cr:et", basic=True)
    assert rules.client_credentials(None, {"client_id": "abc"}) == rules.ClientCredentials("abc", None, basic=False)
    for header, form in (("Bearer x", {}), ("Basic ???", {}), (basic, {"client_id": "other"}), (None, {})):
        with pytest.raises(rules.InvalidClient):
            rules.client_credentials(header, form)


def test_userinfo_claims_by_scope() -> None:
    attributes = {"email": "a@b.c", "email_verified": "true", "phone_number": "+1555", "name": "N",
                  "custom:tier": "gold"}
    claims = rules.userinfo_claims(sub="s", username="u", attributes=attributes, scopes=["openid", "email"],
                                   readable=None)
    assert claims == {"sub": "s", "email": "a@b.c", "email_verified": "true", "username": "u"}
    claims = rules.userinfo_claims(sub="s", username="u", attributes=attributes, scopes=["openid", "profile"],
                                   readable={"name"})
    assert claims == {"sub": "s", "name": "N", "username": "u"}


@pytest.mark.parametrize(("host", "domain"), [
    ("myapp.auth.us-east-1.amazoncognito.com", "myapp"),
    ("myapp.auth.eu-west-2.amazoncognito.com:8443", "myapp"),
    ("auth.example.com", "auth.example.com"),
    ("Auth.Example.com:9229", "auth.example.com"),
    ("127.0.0.1:9229", None), ("localhost:9229", None), ("[::1]:9229", None), ("idp.example.org", None),
    ("intranet", None), ("", None),
])
def test_which_hosts_name_a_domain(host: str, domain: str | None) -> None:
    assert domain_of_host(host, OWN) == domain


def test_only_domain_paths_are_rewritten() -> None:
    def scope(path: str, host: str = "myapp.auth.us-east-1.amazoncognito.com") -> dict[str, object]:
        return {"path": path, "headers": [(b"host", host.encode())]}

    for path in ("/oauth2/token", "/login", "/.well-known/openid-configuration"):
        s = scope(path)
        rewrite(s, OWN)
        assert s["path"] == f"/domain/myapp{path}"
    for s in (scope("/"), scope("/_userpools/health"), scope("/us-east-1_abc/.well-known/jwks.json"),
              scope("/login", "127.0.0.1:9229")):
        before = s["path"]
        rewrite(s, OWN)
        assert s["path"] == before


@pytest.mark.parametrize("params", [
    {},
    {"client_id": "abc123", "response_type": "code", "state": "x-y_z.~"},
    {"redirect_uri": "https://app.example.com/cb?a=1&b=2", "scope": "openid email phone", "state": "a b+c/d"},
    {"code": "8f14e45f-ceea-467f-a8f9-2b5b2c4b1a2e", "state": "é ü 中文 %41 #frag", "na me": "v=w"},
    {"empty": "", "lang": "fr"},
])
def test_form_encode_is_urlencode(params: dict[str, str]) -> None:
    from urllib.parse import urlencode

    assert rules.form_encode(params) == urlencode(params)


def test_form_encode_quotes_every_character_as_urlencode_does() -> None:
    from urllib.parse import urlencode

    every = "".join(map(chr, range(256))) + "\u4e2d\U0001f600"
    for text in (every, every[:128], "https://app.example/cb?x=1 2&y=%41~_.-", " "):
        assert rules.form_encode({text: text}) == urlencode({text: text})


def test_a_carried_authorization_request_keeps_every_field_but_the_requests_own() -> None:
    """``operations.oauth.carried`` builds the request field by field: a field added to AuthorizeRequest and not
    carried over would fail here."""
    import dataclasses

    from userpools.operations.oauth import AuthorizeRequest, carried

    checked = AuthorizeRequest(**{field.name: f"kept {field.name}" for field in dataclasses.fields(AuthorizeRequest)})
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    out = carried(checked, {"state": "s2", "nonce": "n2", "code_challenge": challenge,
                            "code_challenge_method": "S256"})
    own = {"state": "s2", "nonce": "n2", "code_challenge": challenge}
    for field in dataclasses.fields(AuthorizeRequest):
        assert getattr(out, field.name) == own.get(field.name, f"kept {field.name}"), field.name

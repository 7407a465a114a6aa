"""A client ID metadata document as an OAuth client (domain.cimd.client_settings and its URL rules), and the
Cache-Control reading of the fetcher."""

from __future__ import annotations

from typing import Any

import pytest

from userpools.domain import cimd
from userpools.operations.cimd_clients import max_age_of

URL = "https://apps.example.com/partner/client.json"
APP = {"AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthFlows": ["code", "implicit"],
       "AllowedOAuthScopes": ["openid", "email", "profile"], "CallbackURLs": ["https://mine.example.com/cb"],
       "DefaultRedirectURI": "https://mine.example.com/cb", "ReadAttributes": ["email"],
       "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}


def document(**extra: Any) -> dict[str, Any]:
    return {"client_id": URL, "redirect_uris": ["https://partner.example.com/cb"],
            "token_endpoint_auth_method": "none", **extra}


def test_the_document_narrows_the_app_clients_settings() -> None:
    settings = cimd.client_settings(document(scope="openid email phone"), URL, APP)
    assert settings["CallbackURLs"] == ["https://partner.example.com/cb"] and "DefaultRedirectURI" not in settings
    assert settings["AllowedOAuthFlows"] == ["code"]  # never implicit
    assert settings["AllowedOAuthScopes"] == ["openid", "email"]  # phone: not the app client's
    assert settings["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH"]  # no refresh_token grant in the document
    assert settings["ReadAttributes"] == ["email"] and settings["LogoutURLs"] == []
    with_refresh = cimd.client_settings(document(grant_types=["authorization_code", "refresh_token"]), URL, APP)
    assert with_refresh["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert with_refresh["AllowedOAuthScopes"] == ["openid", "email", "profile"]
    assert cimd.client_settings(document(grant_types=["client_credentials"]), URL, APP)["AllowedOAuthFlows"] == []


@pytest.mark.parametrize("change", [
    {"client_id": "https://apps.example.com/other.json"},
    {"token_endpoint_auth_method": "client_secret_basic"},
    {"token_endpoint_auth_method": None},
    {"client_secret": "s3cret"},
    {"redirect_uris": []},
    {"redirect_uris": "https://partner.example.com/cb"},
    {"redirect_uris": ["https://partner.example.com/cb#frag"]},
    {"grant_types": "authorization_code"},
    {"scope": ["openid"]},
])
def test_unusable_documents_are_refused(change: dict[str, Any]) -> None:
    body = {k: v for k, v in document(**change).items() if v is not None}
    with pytest.raises(cimd.MetadataError):
        cimd.client_settings(body, URL, APP)


@pytest.mark.parametrize(("url", "ok"), [
    (URL, True), ("https://apps.example.com/", False), ("https://apps.example.com", False),
    ("http://apps.example.com/c.json", False), ("https://user@apps.example.com/c.json", False),
    ("https://apps.example.com/a/../c.json", False), ("https://apps.example.com/c.json#x", False),
])
def test_metadata_urls_follow_the_drafts_rules(url: str, ok: bool) -> None:
    if ok:
        cimd.check_metadata_url(url)
    else:
        with pytest.raises(cimd.MetadataError):
            cimd.check_metadata_url(url)


def test_cache_control_max_age() -> None:
    assert max_age_of("public, max-age=172800") == 172800
    assert max_age_of('max-age="90000", must-revalidate') == 90000
    assert max_age_of("no-store") is None and max_age_of(None) is None
    assert max_age_of("s-maxage=5") is None

"""AcrMapping at sign-in, on SQLite and PostgreSQL: an app that asks the pool for authentication levels
(``acr_values`` of pool level names) through an OIDC provider gets them translated by the provider's AcrMapping
into the ``acr_values`` sent upstream, and the upstream ID token's ``acr`` mapped back to a pool level (an
unmapped one to the lowest) in Cognito's tokens as ``acr``, with the upstream's ``amr``. The upstream is the
Google stand-in of tests/wire/socialkit.py registered as a plain OIDC provider (its ID tokens carry what its
``user`` holds)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from accounts import make_client
from oauthkit import CALLBACK, DomainPool, domain_pool, query_of, redeem
from socialkit import Google, sign_in, stand_in
from test_federation_social import verified_claims

__all__ = ["domain_pool"]  # the fixture, used by name

PROVIDER = "Corp"
ACR = {"Level1": "urn:idp:pwd", "Level3": "urn:idp:mfa", "Level4": "urn:idp:mfa"}


@pytest.fixture
def upstream() -> Iterator[Google]:
    yield from stand_in(Google, user={"sub": "acr-user-1", "email": "acr@example.com",
                                      "acr": "urn:idp:mfa", "amr": ["pwd", "otp"]})


def broker(dp: DomainPool, upstream: Google, acr: dict[str, str] | None = ACR) -> str:
    details = upstream.details() | {"attributes_request_method": "GET",
                                    "attributes_url": f"{upstream.origin}/v1/people/me?personFields=names"}
    dp.cognito.create_identity_provider(UserPoolId=dp.pool_id, ProviderName=PROVIDER, ProviderType="OIDC",
                                        ProviderDetails=details, AttributeMapping={"email": "email"},
                                        **({"AcrMapping": acr} if acr else {}))
    client = make_client(dp.cognito, dp.pool_id, AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["code"],
                         AllowedOAuthScopes=["openid", "email"], CallbackURLs=[CALLBACK],
                         SupportedIdentityProviders=[PROVIDER])
    return str(client["ClientId"])


def signed_in(dp: DomainPool, client_id: str, **params: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ID token's and the access token's claims of a sign-in through the provider."""
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": CALLBACK, "scope": "openid email",
             "state": "acr-state", "identity_provider": PROVIDER} | params
    with httpx.Client() as browser:
        response = sign_in(browser, f"{dp.base}/oauth2/authorize?{httpx.QueryParams(query)}")
    answer = query_of(response.headers["location"])
    assert "code" in answer, answer
    tokens = redeem(dp, client_id, answer["code"]).json()
    return (verified_claims(dp, client_id, tokens["id_token"]),
            jwt.decode(tokens["access_token"], options={"verify_signature": False}))


def test_asked_levels_are_translated_upstream_and_the_reached_one_reported(domain_pool: DomainPool,
                                                                           upstream: Google) -> None:
    dp = domain_pool
    client_id = broker(dp, upstream)
    id_claims, access_claims = signed_in(dp, client_id, acr_values="urn:cognito:loa:3 urn:cognito:loa:2")
    [asked] = upstream.requests_to("/o/oauth2/v2/auth")
    assert asked.query["acr_values"] == "urn:idp:mfa"  # Level3's value; Level2 has none
    # urn:idp:mfa is Level3's and Level4's value: the lower level is reported
    assert id_claims["acr"] == "urn:cognito:loa:3" and id_claims["amr"] == ["pwd", "otp"]
    assert access_claims["acr"] == "urn:cognito:loa:3" and access_claims["amr"] == ["pwd", "otp"]
    # an acr the mapping does not name resolves to the lowest level
    upstream.user = upstream.user | {"acr": "urn:other:loa", "amr": "not a list"}
    id_claims, _ = signed_in(dp, client_id, acr_values="urn:cognito:loa:4")
    assert upstream.requests_to("/o/oauth2/v2/auth")[-1].query["acr_values"] == "urn:idp:mfa"
    assert id_claims["acr"] == "urn:cognito:loa:1" and "amr" not in id_claims


def test_without_acr_values_nothing_is_asked_or_reported(domain_pool: DomainPool, upstream: Google) -> None:
    dp = domain_pool
    client_id = broker(dp, upstream)
    id_claims, access_claims = signed_in(dp, client_id)
    assert "acr_values" not in upstream.requests_to("/o/oauth2/v2/auth")[0].query
    assert "acr" not in id_claims and "acr" not in access_claims and "amr" not in id_claims


def test_the_pools_own_level_names_are_used(domain_pool: DomainPool, upstream: Google) -> None:
    dp = domain_pool
    dp.cognito.update_user_pool(UserPoolId=dp.pool_id,
                                AcrConfiguration={"Level3": {"AcrValue": "https://example.com/gold"}})
    client_id = broker(dp, upstream)
    id_claims, _ = signed_in(dp, client_id, acr_values="https://example.com/gold")
    assert upstream.requests_to("/o/oauth2/v2/auth")[0].query["acr_values"] == "urn:idp:mfa"
    assert id_claims["acr"] == "https://example.com/gold"
    # without an AcrMapping nothing is sent upstream, and every answer is the lowest level
    dp.cognito.update_identity_provider(UserPoolId=dp.pool_id, ProviderName=PROVIDER, AcrMapping={})
    id_claims, _ = signed_in(dp, client_id, acr_values="https://example.com/gold")
    assert "acr_values" not in upstream.requests_to("/o/oauth2/v2/auth")[-1].query
    assert id_claims["acr"] == "urn:cognito:loa:1"

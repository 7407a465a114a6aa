"""Facebook, Login with Amazon and Sign in with Apple sign-ins end to end, on SQLite and PostgreSQL, each
against a local stand-in of its documented endpoints (tests/wire/socialkit.py) that the provider's URL keys
point at: the authorize redirect, the code exchange (Facebook's GET; Apple's ES256 client secret, checked by
the stand-in), the attributes (the Graph API's /me with the mapped fields and appsecret_proof; Amazon's
profile; Apple's ID token against its JWKS and its ``user`` form field), the federated user and Cognito's
tokens (decoded with PyJWT against the pool's JWKS). Then what goes wrong upstream comes back to the app as
``error``/``error_description`` (never a 500), and a state or nonce is never accepted twice. httpx plays the
browser, except in one test where Debian's chromium submits Apple's form_post page itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from accounts import make_client
from browserkit import App, app, chromium, page
from oauthkit import CALLBACK, DomainPool, domain_pool, query_of, redeem
from socialkit import Amazon, Apple, Facebook, Google, json_answer, posted_form, sign_in, stand_in

__all__ = ["app", "chromium", "domain_pool", "page"]  # the fixtures, used by name


@pytest.fixture
def facebook() -> Iterator[Facebook]:
    yield from stand_in(Facebook, user={"id": "10158000000000001", "name": "Fay Book", "email": "fay@example.com",
                                        "first_name": "Fay", "last_name": "Book"})


@pytest.fixture
def amazon() -> Iterator[Amazon]:
    yield from stand_in(Amazon, user={"user_id": "amzn1.account.AF2EXAMPLE7Q", "name": "Amy Zon",
                                      "email": "amy@example.com", "postal_code": "98052"})


@pytest.fixture
def google() -> Iterator[Google]:
    yield from stand_in(Google, user={"sub": "102613502779525861182", "email": "gee@example.com",
                                      "email_verified": True, "name": "Gee Oogle", "given_name": "Gee"},
                        people={"genders": [{"value": "female", "formattedValue": "Female"}]})


@pytest.fixture
def apple() -> Iterator[Apple]:
    yield from stand_in(Apple, user={"sub": "001234.abcdef0123456789.0421", "email": "ap@privaterelay.example.com",
                                     "firstName": "Ada", "lastName": "Pell"})


def broker(dp: DomainPool, provider_type: str, details: dict[str, str], mapping: dict[str, str],
           callback: str = CALLBACK) -> str:
    """The provider made in the pool and an app client that offers it; the client's id."""
    dp.cognito.create_identity_provider(UserPoolId=dp.pool_id, ProviderName=provider_type,
                                        ProviderType=provider_type, ProviderDetails=details,
                                        AttributeMapping=mapping)
    client = make_client(dp.cognito, dp.pool_id, AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["code"],
                         AllowedOAuthScopes=["openid", "email", "profile"], CallbackURLs=[callback],
                         SupportedIdentityProviders=["COGNITO", provider_type])
    return str(client["ClientId"])


def authorize_url(dp: DomainPool, client_id: str, provider: str, **params: str) -> str:
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": CALLBACK,
             "scope": "openid email profile", "state": "app-state-9", "identity_provider": provider} | params
    return f"{dp.base}/oauth2/authorize?{httpx.QueryParams(query)}"


def tokens_of(dp: DomainPool, client_id: str, response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 302, response.text
    answer = query_of(response.headers["location"])
    assert answer.get("state") == "app-state-9" and "code" in answer, answer
    redeemed = redeem(dp, client_id, answer["code"])
    assert redeemed.status_code == 200, redeemed.text
    return dict(redeemed.json())


def verified_claims(dp: DomainPool, client_id: str, token: str) -> dict[str, Any]:
    """The ID token's claims, its signature checked against the pool's JWKS with PyJWT."""
    keys = jwt.PyJWKClient(f"{dp.server.url}/{dp.pool_id}/.well-known/jwks.json")
    return dict(jwt.decode(token, keys.get_signing_key_from_jwt(token).key, algorithms=["RS256"],
                           audience=client_id, issuer=f"{dp.server.url}/{dp.pool_id}"))


def app_error(response: httpx.Response) -> dict[str, str]:
    """The app's redirect carrying an error (never a 500, never a code)."""
    assert response.status_code == 302, (response.status_code, response.text)
    location = response.headers["location"]
    assert location.startswith(CALLBACK), location
    answer = query_of(location)
    assert answer["state"] == "app-state-9" and "code" not in answer, answer
    return answer


def replayed(browser: httpx.Client, dp: DomainPool, method: str, url: str, **kwargs: Any) -> None:
    """The same upstream answer a second time: the domain's error page, not the app."""
    again = browser.request(method, url, **kwargs)
    assert again.status_code == 302 and again.headers["location"].startswith(f"{dp.base}/error?"), again.text
    assert query_of(again.headers["location"])["error"] == "invalid_request"


# --- Facebook ---------------------------------------------------------------------------------------------


def test_facebook_sign_in_reads_the_mapped_fields_from_the_graph_api(domain_pool: DomainPool,
                                                                    facebook: Facebook) -> None:
    dp = domain_pool
    client_id = broker(dp, "Facebook", facebook.details("v19.0"),
                       {"email": "email", "name": "name", "given_name": "first_name", "family_name": "last_name"})
    with httpx.Client() as browser:
        response = sign_in(browser, authorize_url(dp, client_id, "Facebook"))
    claims = verified_claims(dp, client_id, tokens_of(dp, client_id, response)["id_token"])
    assert claims["cognito:username"] == "facebook_10158000000000001"
    assert (claims["email"], claims["name"], claims["given_name"], claims["family_name"]) == (
        "fay@example.com", "Fay Book", "Fay", "Book")
    assert claims["email_verified"] is False  # not mapped [C]
    assert claims["cognito:groups"] == [f"{dp.pool_id}_Facebook"]
    [identity] = claims["identities"]
    assert identity == identity | {"userId": "10158000000000001", "providerName": "Facebook",
                                   "providerType": "Facebook", "issuer": None, "primary": "true"}
    # what Facebook was asked, on the api_version's paths
    [dialog] = facebook.requests_to("/dialog/oauth")
    assert dialog.path == "/v19.0/dialog/oauth"
    assert dialog.query["scope"] == "public_profile email" and "nonce" not in dialog.query
    assert dialog.query["redirect_uri"] == f"{dp.base}/oauth2/idpresponse"
    [exchange] = facebook.requests_to("/oauth/access_token")
    assert exchange.method == "GET" and exchange.query["client_secret"] == facebook.client_secret
    assert exchange.headers["user-agent"] == "Amazon/Cognito"
    [me] = facebook.requests_to("/me")
    assert me.path == "/v19.0/me" and me.query["fields"] == "id,email,first_name,last_name,name"
    assert "appsecret_proof" in me.query  # checked by the stand-in against the token and the app secret


def test_facebook_api_version_shapes_its_documented_urls(domain_pool: DomainPool) -> None:
    dp = domain_pool
    dp.cognito.create_identity_provider(
        UserPoolId=dp.pool_id, ProviderName="Facebook", ProviderType="Facebook",
        ProviderDetails={"client_id": "1", "client_secret": "s", "authorize_scopes": "email", "api_version": "v20.0"})
    details = dp.cognito.describe_identity_provider(UserPoolId=dp.pool_id,
                                                    ProviderName="Facebook")["IdentityProvider"]["ProviderDetails"]
    assert details["authorize_url"] == "https://www.facebook.com/v20.0/dialog/oauth"
    assert details["token_url"] == "https://graph.facebook.com/v20.0/oauth/access_token"
    assert details["attributes_url"] == "https://graph.facebook.com/v20.0/me?fields="
    assert details["token_request_method"] == "GET" and details["attributes_url_add_attributes"] == "true"


def test_facebook_failures_come_back_to_the_app(domain_pool: DomainPool, facebook: Facebook) -> None:
    dp = domain_pool
    details = facebook.details() | {"client_secret": "not-the-app-secret"}
    client_id = broker(dp, "Facebook", details, {"email": "email"})
    with httpx.Client() as browser:
        answer = app_error(sign_in(browser, authorize_url(dp, client_id, "Facebook")))
    assert answer["error"] == "server_error"
    assert answer["error_description"] == ("The identity provider's token endpoint answered 400 "
                                           "(OAuthException: Error validating client secret.)")
    dp.cognito.update_identity_provider(UserPoolId=dp.pool_id, ProviderName="Facebook",
                                        ProviderDetails={"client_secret": facebook.client_secret})
    # the Graph API refuses
    facebook.fail["me"] = Facebook.error("(#100) Tried accessing nonexisting field (email)")
    with httpx.Client() as browser:
        answer = app_error(sign_in(browser, authorize_url(dp, client_id, "Facebook")))
    assert answer["error"] == "server_error" and "attributes URL answered 400" in answer["error_description"]
    assert "nonexisting field" in answer["error_description"]
    # the Graph API answers no id: no subject
    facebook.fail["me"] = json_answer({"email": "fay@example.com"})
    with httpx.Client() as browser:
        answer = app_error(sign_in(browser, authorize_url(dp, client_id, "Facebook")))
    assert answer["error_description"] == "The identity provider returned no subject"
    # the user cancels at Facebook
    facebook.fail = {"dialog": "deny"}
    with httpx.Client() as browser:
        answer = app_error(sign_in(browser, authorize_url(dp, client_id, "Facebook")))
    assert answer["error"] == "access_denied" and answer["error_description"] == "Permissions error"
    assert dp.cognito.list_users(UserPoolId=dp.pool_id)["Users"] == []


def test_a_facebook_answer_is_used_once(domain_pool: DomainPool, facebook: Facebook) -> None:
    dp = domain_pool
    client_id = broker(dp, "Facebook", facebook.details(), {"email": "email"})
    with httpx.Client() as browser:
        started = browser.get(authorize_url(dp, client_id, "Facebook"))
        answered = browser.get(started.headers["location"])
        idpresponse = answered.headers["location"]
        assert idpresponse.startswith(f"{dp.base}/oauth2/idpresponse?")
        first = browser.get(idpresponse)
        tokens_of(dp, client_id, first)
        replayed(browser, dp, "GET", idpresponse)


# --- Login with Amazon ------------------------------------------------------------------------------------


def test_login_with_amazon_reads_the_customer_profile(domain_pool: DomainPool, amazon: Amazon) -> None:
    dp = domain_pool
    client_id = broker(dp, "LoginWithAmazon", amazon.details(), {"email": "email", "name": "name"})
    with httpx.Client() as browser:
        response = sign_in(browser, authorize_url(dp, client_id, "LoginWithAmazon"))
    claims = verified_claims(dp, client_id, tokens_of(dp, client_id, response)["id_token"])
    assert claims["cognito:username"] == "loginwithamazon_amzn1.account.AF2EXAMPLE7Q"
    assert claims["email"] == "amy@example.com" and claims["name"] == "Amy Zon"
    assert claims["cognito:groups"] == [f"{dp.pool_id}_LoginWithAmazon"]
    [identity] = claims["identities"]
    assert identity["providerType"] == "LoginWithAmazon" and identity["issuer"] is None
    [authorize] = amazon.requests_to("/ap/oa")
    assert authorize.query["scope"] == "profile postal_code" and authorize.query["response_type"] == "code"
    [exchange] = amazon.requests_to("/auth/o2/token")
    assert exchange.method == "POST" and exchange.form["client_secret"] == amazon.client_secret
    [profile] = amazon.requests_to("/user/profile")
    assert profile.headers["authorization"].startswith("Bearer Atza|")
    # the profile changes upstream: mapped attributes are rewritten at the next sign-in [C]
    amazon.user["name"] = "Amy Zon-Smith"
    with httpx.Client() as browser:
        again = sign_in(browser, authorize_url(dp, client_id, "LoginWithAmazon"))
    assert verified_claims(dp, client_id, tokens_of(dp, client_id, again)["id_token"])["name"] == "Amy Zon-Smith"
    assert len(dp.cognito.list_users(UserPoolId=dp.pool_id)["Users"]) == 1


def test_login_with_amazon_failures_come_back_to_the_app(domain_pool: DomainPool, amazon: Amazon) -> None:
    dp = domain_pool
    client_id = broker(dp, "LoginWithAmazon", amazon.details(), {"email": "email"})
    amazon.fail["profile"] = json_answer({"error": "insufficient_scope"}, 403)
    with httpx.Client() as browser:
        answer = app_error(sign_in(browser, authorize_url(dp, client_id, "LoginWithAmazon")))
    assert answer["error_description"] == "The identity provider's attributes URL answered 403 (insufficient_scope)"
    amazon.fail = {"token": (200, {"Content-Type": "text/html"}, b"<html>maintenance</html>")}
    with httpx.Client() as browser:
        answer = app_error(sign_in(browser, authorize_url(dp, client_id, "LoginWithAmazon")))
    assert answer["error_description"] == "The identity provider's token endpoint did not answer JSON"
    amazon.fail = {"token": json_answer({"token_type": "bearer"})}
    with httpx.Client() as browser:
        answer = app_error(sign_in(browser, authorize_url(dp, client_id, "LoginWithAmazon")))
    assert answer["error_description"] == "The identity provider returned no access token"
    # the token endpoint cannot be reached (nothing listens there)
    amazon.fail = {}
    dead = httpx.URL(amazon.origin).copy_with(port=1)
    dp.cognito.update_identity_provider(UserPoolId=dp.pool_id, ProviderName="LoginWithAmazon",
                                        ProviderDetails={"token_url": f"{dead}/auth/o2/token"})
    with httpx.Client() as browser:
        answer = app_error(sign_in(browser, authorize_url(dp, client_id, "LoginWithAmazon")))
    assert answer["error"] == "server_error"
    assert answer["error_description"].startswith("Unable to reach the identity provider's token endpoint")


# --- Google's People API ---------------------------------------------------------------------------------


def test_google_asks_the_people_api_only_for_what_the_id_token_lacks(domain_pool: DomainPool,
                                                                    google: Google) -> None:
    """Google's documented attributes_url is the People API with an empty personFields, which Google refuses:
    with every mapped claim in the ID token it is not called; otherwise it is asked for the missing ones."""
    dp = domain_pool
    client_id = broker(dp, "Google", google.details(), {"email": "email", "email_verified": "email_verified",
                                                        "name": "name", "given_name": "given_name"})
    with httpx.Client() as browser:
        response = sign_in(browser, authorize_url(dp, client_id, "Google"))
    claims = verified_claims(dp, client_id, tokens_of(dp, client_id, response)["id_token"])
    assert claims["cognito:username"] == "google_102613502779525861182"
    assert (claims["email"], claims["email_verified"], claims["name"]) == ("gee@example.com", True, "Gee Oogle")
    assert google.requests_to("/people/me") == []
    [authorize] = google.requests_to("/o/oauth2/v2/auth")
    assert authorize.query["nonce"] and authorize.query["scope"] == "openid email profile"
    # a mapped People API field: asked for, with the Bearer token
    dp.cognito.update_identity_provider(UserPoolId=dp.pool_id, ProviderName="Google",
                                        AttributeMapping={"email": "email", "gender": "genders"})
    with httpx.Client() as browser:
        again = sign_in(browser, authorize_url(dp, client_id, "Google"))
    claims = verified_claims(dp, client_id, tokens_of(dp, client_id, again)["id_token"])
    [people] = google.requests_to("/people/me")
    assert people.query["personFields"] == "genders" and people.headers["authorization"].startswith("Bearer ")
    # the People API's value, a list of objects, URL-form-encoded JSON as every multi-valued claim [U]
    assert claims["gender"] == '%7B%22value%22%3A%22female%22%2C%22formattedValue%22%3A%22Female%22%7D'


# --- Sign in with Apple -----------------------------------------------------------------------------------

APPLE_MAPPING = {"email": "email", "email_verified": "email_verified", "given_name": "firstName",
                 "family_name": "lastName", "name": "name"}


def test_sign_in_with_apple_posts_its_answer_and_names_the_user_once(domain_pool: DomainPool, apple: Apple) -> None:
    dp = domain_pool
    client_id = broker(dp, "SignInWithApple", apple.details(), APPLE_MAPPING)
    described = dp.cognito.describe_identity_provider(UserPoolId=dp.pool_id, ProviderName="SignInWithApple")
    assert "private_key" not in described["IdentityProvider"]["ProviderDetails"]  # never echoed [C]
    with httpx.Client() as browser:
        response = sign_in(browser, authorize_url(dp, client_id, "SignInWithApple"))
    claims = verified_claims(dp, client_id, tokens_of(dp, client_id, response)["id_token"])
    assert claims["cognito:username"] == "signinwithapple_001234.abcdef0123456789.0421"
    assert claims["email"] == "ap@privaterelay.example.com" and claims["email_verified"] is True
    assert (claims["given_name"], claims["family_name"], claims["name"]) == ("Ada", "Pell", "Ada Pell")
    assert claims["cognito:groups"] == [f"{dp.pool_id}_SignInWithApple"]
    [identity] = claims["identities"]
    assert identity["providerType"] == "SignInWithApple" and identity["issuer"] is None
    [authorize] = apple.requests_to("/auth/authorize")
    assert authorize.query["response_mode"] == "form_post" and authorize.query["scope"] == "email name"
    assert authorize.query["nonce"]  # userpools' own, checked in the ID token
    # the client secret: an ES256 JWT from the private key, checked by the stand-in as Apple does
    [secret] = apple.secrets_seen
    assert secret["header"]["alg"] == "ES256" and secret["header"]["kid"] == apple.key_id
    assert secret["claims"]["iss"] == apple.team_id and secret["claims"]["sub"] == apple.client_id
    assert secret["claims"]["aud"] == apple.issuer
    # the next sign-in carries no `user`: the name stays as mapped before
    with httpx.Client() as browser:
        again = sign_in(browser, authorize_url(dp, client_id, "SignInWithApple"))
    claims = verified_claims(dp, client_id, tokens_of(dp, client_id, again)["id_token"])
    assert claims["name"] == "Ada Pell" and claims["given_name"] == "Ada"
    assert len(dp.cognito.list_users(UserPoolId=dp.pool_id)["Users"]) == 1


def test_chromium_submits_apple_s_form_post_to_the_broker(domain_pool: DomainPool, apple: Apple, app: App,
                                                         page: Any) -> None:
    """A real browser: the stand-in's page posts itself (onload) across origins to /oauth2/idpresponse."""
    dp = domain_pool
    client_id = broker(dp, "SignInWithApple", apple.details(), APPLE_MAPPING, callback=app.callback)
    page.goto(authorize_url(dp, client_id, "SignInWithApple", redirect_uri=app.callback))
    page.wait_for_url(f"{app.callback}?*")
    answer = query_of(page.url)
    assert answer["state"] == "app-state-9"
    redeemed = redeem(dp, client_id, answer["code"], redirect_uri=app.callback)
    claims = verified_claims(dp, client_id, redeemed.json()["id_token"])
    assert claims["cognito:username"] == "signinwithapple_001234.abcdef0123456789.0421"
    assert claims["name"] == "Ada Pell"
    [posted] = [s for s in apple.seen if s.path == "/auth/authorize"]
    assert posted.query["response_mode"] == "form_post"


@pytest.mark.parametrize(("mode", "said"), [
    ("foreign_key", "Invalid ID token: Signature verification failed"),
    ("wrong_audience", "Invalid ID token: Audience doesn't match"),
    ("expired", "Invalid ID token: the token has expired"),
])
def test_an_apple_id_token_that_does_not_verify_is_refused(domain_pool: DomainPool, apple: Apple, mode: str,
                                                           said: str) -> None:
    dp = domain_pool
    client_id = broker(dp, "SignInWithApple", apple.details(), APPLE_MAPPING)
    apple.id_token_mode = mode
    with httpx.Client() as browser:
        answer = app_error(sign_in(browser, authorize_url(dp, client_id, "SignInWithApple")))
    assert answer["error"] == "server_error" and answer["error_description"] == said
    assert dp.cognito.list_users(UserPoolId=dp.pool_id)["Users"] == []


def test_apple_failures_come_back_to_the_app(domain_pool: DomainPool, apple: Apple) -> None:
    dp = domain_pool
    client_id = broker(dp, "SignInWithApple", apple.details() | {"key_id": "WRONGKEY00"}, APPLE_MAPPING)
    with httpx.Client() as browser:
        answer = app_error(sign_in(browser, authorize_url(dp, client_id, "SignInWithApple")))
    assert answer["error_description"] == "The identity provider's token endpoint answered 400 (invalid_client)"
    assert apple.secrets_seen == []  # the stand-in refused the secret signed for another key id
    # a private key that is not an ES256 one
    dp.cognito.update_identity_provider(UserPoolId=dp.pool_id, ProviderName="SignInWithApple",
                                        ProviderDetails={"key_id": apple.key_id, "private_key": "not a key"})
    with httpx.Client() as browser:
        answer = app_error(sign_in(browser, authorize_url(dp, client_id, "SignInWithApple")))
    assert answer["error_description"] == "The SignInWithApple private_key is not a PEM private key"
    # the user cancels at Apple: its error is posted back
    dp.cognito.update_identity_provider(UserPoolId=dp.pool_id, ProviderName="SignInWithApple",
                                        ProviderDetails={"private_key": apple.details()["private_key"]})
    apple.fail = {"authorize": "cancel"}
    with httpx.Client() as browser:
        answer = app_error(sign_in(browser, authorize_url(dp, client_id, "SignInWithApple")))
    assert answer["error"] == "access_denied" and answer["error_description"] == "user_cancelled_authorize"
    assert dp.cognito.list_users(UserPoolId=dp.pool_id)["Users"] == []


def test_an_apple_answer_and_its_nonce_are_used_once(domain_pool: DomainPool, apple: Apple) -> None:
    dp = domain_pool
    client_id = broker(dp, "SignInWithApple", apple.details(), APPLE_MAPPING)
    with httpx.Client() as browser:
        started = browser.get(authorize_url(dp, client_id, "SignInWithApple"))
        action, fields = posted_form(browser.get(started.headers["location"]).text)
        tokens_of(dp, client_id, browser.post(action, data=fields))
        replayed(browser, dp, "POST", action, data=fields)  # the same state again
    # an ID token of that sign-in handed back for the next one: its nonce is not the new request's
    apple.id_token_mode = "replay"
    with httpx.Client() as browser:
        answer = app_error(sign_in(browser, authorize_url(dp, client_id, "SignInWithApple")))
    assert answer["error_description"] == "Invalid ID token: the nonce does not match"


def test_a_posted_answer_that_is_not_a_form_or_has_no_state_shows_the_error_page(domain_pool: DomainPool) -> None:
    dp = domain_pool
    for kwargs in ({"data": {"code": "abc"}}, {"json": {"state": "x", "code": "y"}},
                   {"data": {"state": "forged", "code": "y", "user": "{not json"}}):
        response = httpx.post(f"{dp.base}/oauth2/idpresponse", **kwargs)
        assert response.status_code == 302, response.text
        assert response.headers["location"].startswith(f"{dp.base}/error?error=invalid_request")

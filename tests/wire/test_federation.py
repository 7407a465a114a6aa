"""The OIDC broker end to end, on SQLite and PostgreSQL: the upstream identity provider is a real OpenID
Provider on loopback — a second userpools server whose pool has a domain and a client (discovery, JWKS, the
hosted sign-in, the token and userInfo endpoints). httpx plays the browser: it follows the redirects and posts
the upstream's sign-in form; the app's code is then redeemed for tokens at the broker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from accounts import PASSWORD, make_client, make_user, unique
from botocore.exceptions import ClientError
from oauthkit import CALLBACK, LOGOUT, DomainPool, csrf_of, domain_pool, query_of, redeem

__all__ = ["domain_pool"]  # the fixture, used by name

PROVIDER = "Upstream"


@dataclass
class Upstream:
    """The upstream OpenID Provider: a pool with a domain on its own server."""

    server: Any
    cognito: Any
    pool_id: str
    domain: str

    @property
    def issuer(self) -> str:
        return f"{self.server.url}/{self.pool_id}"

    @property
    def base(self) -> str:
        return f"{self.server.url}/domain/{self.domain}"

    def client_for(self, broker: DomainPool) -> dict[str, Any]:
        return make_client(
            self.cognito, self.pool_id, GenerateSecret=True, AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email", "profile"],
            CallbackURLs=[f"{broker.base}/oauth2/idpresponse"], SupportedIdentityProviders=["COGNITO"],
        )

    def user(self, **attributes: str) -> tuple[str, str]:
        """A confirmed upstream user: (username, sub)."""
        username = make_user(self.cognito, self.pool_id, attributes=attributes)
        got = self.cognito.admin_get_user(UserPoolId=self.pool_id, Username=username)
        return username, {a["Name"]: a["Value"] for a in got["UserAttributes"]}["sub"]


@pytest.fixture(scope="module")
def upstream_server(server_factory: Any) -> Any:
    return server_factory("sqlite")


@pytest.fixture
def upstream(upstream_server: Any) -> Iterator[Upstream]:
    cognito = upstream_server.client()
    pool_id = cognito.create_user_pool(PoolName=unique("upstream"))["UserPool"]["Id"]
    domain = f"idp-{uuid.uuid4().hex[:12]}"
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    yield Upstream(upstream_server, cognito, pool_id, domain)
    cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    cognito.delete_user_pool(UserPoolId=pool_id)


@dataclass
class Broker:
    dp: DomainPool
    up: Upstream
    client_id: str
    up_client: dict[str, Any]


def make_broker(dp: DomainPool, up: Upstream, *, mapping: dict[str, str] | None = None,
                identifiers: list[str] | None = None, providers: tuple[str, ...] = ("COGNITO", PROVIDER),
                secret: str | None = None) -> Broker:
    up_client = up.client_for(dp)
    dp.cognito.create_identity_provider(
        UserPoolId=dp.pool_id, ProviderName=PROVIDER, ProviderType="OIDC",
        ProviderDetails={"client_id": up_client["ClientId"], "client_secret": secret or up_client["ClientSecret"],
                         "authorize_scopes": "openid email profile", "attributes_request_method": "GET",
                         "oidc_issuer": up.issuer},
        AttributeMapping=mapping if mapping is not None else {"email": "email", "name": "name"},
        IdpIdentifiers=identifiers or [],
    )
    client = make_client(
        dp.cognito, dp.pool_id, AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", "profile"], CallbackURLs=[CALLBACK], LogoutURLs=[LOGOUT],
        SupportedIdentityProviders=list(providers),
    )
    return Broker(dp, up, client["ClientId"], up_client)


def sign_in_upstream(browser: httpx.Client, broker: Broker, username: str, start: str) -> httpx.Response:
    """From the broker's authorize URL: follow redirects to the upstream, post its sign-in form if it shows
    one, follow on through /oauth2/idpresponse; the response that leaves for the app (not followed)."""
    response = browser.get(start)
    for _ in range(10):
        assert response.status_code in (200, 302), response.text
        if response.status_code == 200:  # the upstream's sign-in page
            assert str(response.url).startswith(f"{broker.up.base}/login"), response.url
            response = browser.post(str(response.url), data={"_csrf": csrf_of(response.text),
                                                             "username": username, "password": PASSWORD})
            continue
        location = response.headers["location"]
        if location.startswith(CALLBACK):
            return response
        response = browser.get(location)
    raise AssertionError("too many redirects")


def authorize_url(broker: Broker, **params: str) -> str:
    query = {"client_id": broker.client_id, "response_type": "code", "redirect_uri": CALLBACK,
             "scope": "openid email profile", "state": "app-state-1", "nonce": "app-nonce"} | params
    return f"{broker.dp.base}/oauth2/authorize?{httpx.QueryParams(query)}"


def tokens_for(broker: Broker, response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 302, response.text
    answer = query_of(response.headers["location"])
    assert answer.get("state") == "app-state-1" and "code" in answer, answer
    redeemed = redeem(broker.dp, broker.client_id, answer["code"])
    assert redeemed.status_code == 200, redeemed.text
    return dict(redeemed.json())


def claims_of(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_a_federated_sign_in_makes_the_external_user(domain_pool: DomainPool, upstream: Upstream) -> None:
    broker = make_broker(domain_pool, upstream)
    username, sub = upstream.user(email="fed@example.com", name="Fed One")
    with httpx.Client() as browser:
        first = sign_in_upstream(browser, broker, username, authorize_url(broker, identity_provider=PROVIDER))
    tokens = tokens_for(broker, first)
    claims = claims_of(tokens["id_token"])
    assert claims["cognito:username"] == f"upstream_{sub}"
    assert claims["email"] == "fed@example.com" and claims["name"] == "Fed One"
    assert claims["email_verified"] is False
    assert claims["nonce"] == "app-nonce"
    assert claims["cognito:groups"] == [f"{domain_pool.pool_id}_{PROVIDER}"]
    [identity] = claims["identities"]
    assert identity["userId"] == sub and identity["providerName"] == PROVIDER
    assert identity["providerType"] == "OIDC" and identity["issuer"] == upstream.issuer
    assert identity["primary"] == "true" and identity["dateCreated"].isdigit()
    assert f"{domain_pool.pool_id}_{PROVIDER}" in claims_of(tokens["access_token"])["cognito:groups"]
    user = domain_pool.cognito.admin_get_user(UserPoolId=domain_pool.pool_id, Username=f"upstream_{sub}")
    assert user["UserStatus"] == "EXTERNAL_PROVIDER"
    groups = domain_pool.cognito.list_groups(UserPoolId=domain_pool.pool_id)["Groups"]
    assert [g["GroupName"] for g in groups] == [f"{domain_pool.pool_id}_{PROVIDER}"]


def test_mapped_attributes_are_rewritten_at_every_sign_in(domain_pool: DomainPool, upstream: Upstream) -> None:
    broker = make_broker(domain_pool, upstream)
    username, sub = upstream.user(email="first@example.com", name="First")
    with httpx.Client() as browser:
        tokens_for(broker, sign_in_upstream(browser, broker, username, authorize_url(broker, identity_provider=PROVIDER)))
    upstream.cognito.admin_update_user_attributes(UserPoolId=upstream.pool_id, Username=username,
                                                  UserAttributes=[{"Name": "name", "Value": "Second"}])
    with httpx.Client() as browser:
        tokens = tokens_for(broker, sign_in_upstream(browser, broker, username,
                                                     authorize_url(broker, identity_provider=PROVIDER)))
    assert claims_of(tokens["id_token"])["name"] == "Second"
    users = domain_pool.cognito.list_users(UserPoolId=domain_pool.pool_id)["Users"]
    assert [u["Username"] for u in users] == [f"upstream_{sub}"]  # the same user, not a second one


def test_idp_identifier_and_the_login_button_reach_the_provider(domain_pool: DomainPool, upstream: Upstream) -> None:
    broker = make_broker(domain_pool, upstream, identifiers=["corp.example"])
    username, sub = upstream.user(email="id@example.com")
    with httpx.Client() as browser:
        response = sign_in_upstream(browser, broker, username, authorize_url(broker, idp_identifier="corp.example"))
    assert claims_of(tokens_for(broker, response)["id_token"])["cognito:username"] == f"upstream_{sub}"
    with httpx.Client() as browser:
        page = browser.get(authorize_url(broker), follow_redirects=True)
        assert page.status_code == 200 and f'data-provider="{PROVIDER}"' in page.text
        button = page.text.split(f'data-provider="{PROVIDER}"')[0].rsplit('href="', 1)[1].split('"')[0]
        response = sign_in_upstream(browser, broker, username, button.replace("&amp;", "&"))
    assert claims_of(tokens_for(broker, response)["id_token"])["cognito:username"] == f"upstream_{sub}"
    # a client with no COGNITO: the page offers the provider's button and no password form
    only = make_client(domain_pool.cognito, domain_pool.pool_id, AllowedOAuthFlowsUserPoolClient=True,
                       AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"], CallbackURLs=[CALLBACK],
                       SupportedIdentityProviders=[PROVIDER])
    with httpx.Client() as browser:
        page = browser.get(authorize_url(broker, client_id=only["ClientId"], scope="openid"), follow_redirects=True)
    assert page.status_code == 200 and f'data-provider="{PROVIDER}"' in page.text
    assert 'name="password"' not in page.text


def test_a_linked_identity_signs_in_as_the_native_user(domain_pool: DomainPool, upstream: Upstream) -> None:
    broker = make_broker(domain_pool, upstream)
    native = domain_pool.user(email="native@example.com")
    username, sub = upstream.user(email="native@example.com", name="Linked")
    domain_pool.cognito.admin_link_provider_for_user(
        UserPoolId=domain_pool.pool_id, DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": native},
        SourceUser={"ProviderName": PROVIDER, "ProviderAttributeName": "Cognito_Subject",
                    "ProviderAttributeValue": sub},
    )
    with httpx.Client() as browser:
        response = sign_in_upstream(browser, broker, username, authorize_url(broker, identity_provider=PROVIDER))
    claims = claims_of(tokens_for(broker, response)["id_token"])
    assert claims["cognito:username"] == native
    assert [i["userId"] for i in claims["identities"]] == [sub]
    users = domain_pool.cognito.list_users(UserPoolId=domain_pool.pool_id)["Users"]
    assert [u["Username"] for u in users] == [native]  # no federated user was made


def test_a_disabled_link_makes_a_new_user_next_time(domain_pool: DomainPool, upstream: Upstream) -> None:
    broker = make_broker(domain_pool, upstream)
    native = domain_pool.user()
    username, sub = upstream.user()
    source = {"ProviderName": PROVIDER, "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": sub}
    domain_pool.cognito.admin_link_provider_for_user(
        UserPoolId=domain_pool.pool_id, DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": native},
        SourceUser=source)
    domain_pool.cognito.admin_disable_provider_for_user(UserPoolId=domain_pool.pool_id, User=source)
    with httpx.Client() as browser:
        response = sign_in_upstream(browser, broker, username, authorize_url(broker, identity_provider=PROVIDER))
    assert claims_of(tokens_for(broker, response)["id_token"])["cognito:username"] == f"upstream_{sub}"
    # and disabling the federated user itself refuses its next sign-in
    domain_pool.cognito.admin_disable_provider_for_user(UserPoolId=domain_pool.pool_id, User=source)
    with httpx.Client() as browser:
        refused = sign_in_upstream(browser, broker, username, authorize_url(broker, identity_provider=PROVIDER))
    answer = query_of(refused.headers["location"])
    assert answer["error"] == "server_error" and answer["state"] == "app-state-1" and "code" not in answer


def test_the_state_is_used_once(domain_pool: DomainPool, upstream: Upstream) -> None:
    broker = make_broker(domain_pool, upstream)
    username, _ = upstream.user()
    with httpx.Client() as browser:
        response = browser.get(authorize_url(broker, identity_provider=PROVIDER))
        for _ in range(10):
            location = response.headers.get("location", "")
            if "/oauth2/idpresponse" in location:
                break
            if response.status_code == 200:
                response = browser.post(str(response.url), data={"_csrf": csrf_of(response.text),
                                                                 "username": username, "password": PASSWORD})
            else:
                response = browser.get(location)
        assert browser.get(location).headers["location"].startswith(CALLBACK)
        again = browser.get(location)
    assert again.status_code == 302 and "/error?" in again.headers["location"]


def test_upstream_failures_come_back_to_the_app_as_errors(domain_pool: DomainPool, upstream: Upstream) -> None:
    broker = make_broker(domain_pool, upstream, secret="not-the-secret")
    username, _ = upstream.user()
    with httpx.Client() as browser:
        response = sign_in_upstream(browser, broker, username, authorize_url(broker, identity_provider=PROVIDER))
    answer = query_of(response.headers["location"])
    assert answer["error"] == "server_error" and answer["state"] == "app-state-1"
    assert "token endpoint" in answer["error_description"]
    # the upstream refused: its error is passed on
    started = httpx.get(authorize_url(broker, identity_provider=PROVIDER))
    state = query_of(started.headers["location"])["state"]
    denied = httpx.get(f"{domain_pool.base}/oauth2/idpresponse",
                       params={"error": "access_denied", "state": state})
    assert query_of(denied.headers["location"])["error"] == "access_denied"


def test_a_provider_the_client_does_not_support_is_refused(domain_pool: DomainPool, upstream: Upstream) -> None:
    broker = make_broker(domain_pool, upstream, providers=("COGNITO",))
    response = httpx.get(authorize_url(broker, identity_provider=PROVIDER))
    assert response.status_code == 302
    answer = query_of(response.headers["location"])
    assert response.headers["location"].startswith(CALLBACK) and answer["error"] == "invalid_request"
    unknown = httpx.get(authorize_url(broker, idp_identifier="nobody.example"))
    assert query_of(unknown.headers["location"])["error"] == "invalid_request"


# --- triggers (SQLite: the trigger plumbing is the API's, tested on both backends in test_triggers_*) -------------


@pytest.fixture(scope="module")
def triggered(server_factory: Any, lambdas: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from test_triggers_signin import triggered_server

    return triggered_server(server_factory, lambdas, tmp_path_factory.mktemp("federation-triggers"))


def triggered_domain_pool(triggered: Any, lambda_config: dict[str, str]) -> DomainPool:
    cognito = triggered.client()
    pool_id = cognito.create_user_pool(PoolName=unique("fed"), LambdaConfig=lambda_config)["UserPool"]["Id"]
    domain = f"auth-{uuid.uuid4().hex[:12]}"
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    return DomainPool(triggered, cognito, pool_id, domain)


def test_the_first_federated_sign_in_runs_pre_sign_up_and_post_confirmation(
    triggered: Any, calls: Any, upstream: Upstream
) -> None:
    from test_triggers_signin import answering, arn, received

    calls.register("pre-sign-up", answering())
    calls.register("post-confirm", answering())
    dp = triggered_domain_pool(triggered, {"PreSignUp": arn("pre-sign-up"), "PostConfirmation": arn("post-confirm")})
    broker = make_broker(dp, upstream)
    username, sub = upstream.user(email="trig@example.com")
    for _ in range(2):
        with httpx.Client() as browser:
            tokens_for(broker, sign_in_upstream(browser, broker, username,
                                                authorize_url(broker, identity_provider=PROVIDER)))
    [pre] = received(calls, "pre-sign-up")  # the first sign-in only
    assert pre["triggerSource"] == "PreSignUp_ExternalProvider" and pre["userName"] == f"upstream_{sub}"
    assert pre["request"]["userAttributes"]["email"] == "trig@example.com"
    [post] = received(calls, "post-confirm")
    assert post["triggerSource"] == "PostConfirmation_ConfirmSignUp"
    assert post["request"]["userAttributes"]["cognito:user_status"] == "EXTERNAL_PROVIDER"


def test_a_pre_sign_up_refusal_comes_back_to_the_app(triggered: Any, calls: Any, upstream: Upstream) -> None:
    from test_triggers_signin import arn, raising

    calls.register("pre-sign-up", raising("Invitations only"))
    dp = triggered_domain_pool(triggered, {"PreSignUp": arn("pre-sign-up")})
    broker = make_broker(dp, upstream)
    username, _ = upstream.user()
    with httpx.Client() as browser:
        response = sign_in_upstream(browser, broker, username, authorize_url(broker, identity_provider=PROVIDER))
    answer = query_of(response.headers["location"])
    assert answer["error"] == "invalid_request" and "Invitations only" in answer["error_description"]
    assert answer["error_description"].startswith("PreSignUp failed with error")
    assert dp.cognito.list_users(UserPoolId=dp.pool_id)["Users"] == []


def test_google_against_a_local_stand_in(domain_pool: DomainPool, upstream: Upstream) -> None:
    """A social type through the same machinery: its documented URLs replaced by a local OpenID Provider's."""
    up_client = upstream.client_for(domain_pool)
    discovery = httpx.get(f"{upstream.issuer}/.well-known/openid-configuration").json()
    domain_pool.cognito.create_identity_provider(
        UserPoolId=domain_pool.pool_id, ProviderName="Google", ProviderType="Google",
        ProviderDetails={"client_id": up_client["ClientId"], "client_secret": up_client["ClientSecret"],
                         "authorize_scopes": "openid email profile", "oidc_issuer": upstream.issuer,
                         "authorize_url": discovery["authorization_endpoint"],
                         "token_url": discovery["token_endpoint"], "attributes_url": discovery["userinfo_endpoint"],
                         "jwks_uri": discovery["jwks_uri"]},
        AttributeMapping={"email": "email"},
    )
    client = make_client(
        domain_pool.cognito, domain_pool.pool_id, AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email"], CallbackURLs=[CALLBACK], SupportedIdentityProviders=["Google"],
    )
    broker = Broker(domain_pool, upstream, client["ClientId"], up_client)
    username, sub = upstream.user(email="g@example.com")
    with httpx.Client() as browser:
        response = sign_in_upstream(browser, broker, username,
                                    authorize_url(broker, identity_provider="Google", scope="openid email"))
    claims = claims_of(tokens_for(broker, response)["id_token"])
    assert claims["cognito:username"] == f"google_{sub}" and claims["email"] == "g@example.com"
    assert claims["cognito:groups"] == [f"{domain_pool.pool_id}_Google"]
    [identity] = claims["identities"]
    assert identity["providerType"] == "Google" and identity["issuer"] is None
    # a federated user cannot sign in through the API [C]
    api_client = make_client(domain_pool.cognito, domain_pool.pool_id)
    with pytest.raises(ClientError) as refused:
        domain_pool.cognito.initiate_auth(ClientId=api_client["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                          AuthParameters={"USERNAME": f"google_{sub}", "PASSWORD": PASSWORD})
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"

"""The hosted account pages run the pool's triggers as the API does: PreSignUp (its autoConfirmUser signs the
new user in at once, its refusal is shown on the form), PostConfirmation after /confirmForgotPassword, and
PreTokenGeneration with TokenGeneration_HostedAuth for the tokens the flow ends in. On SQLite (the trigger
plumbing is the API's, tested on both backends in test_triggers_*)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from accounts import PASSWORD, latest_code, make_user, unique
from lambda_api import LambdaApiServer
from oauthkit import CALLBACK, DomainPool, code_from, csrf_of, new_browser, redeem
from test_triggers_signin import answering, arn, raising, received, triggered_server


@pytest.fixture(scope="module")
def triggered(server_factory: Any, lambdas: LambdaApiServer, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return triggered_server(server_factory, lambdas, tmp_path_factory.mktemp("pages-triggers"))


def domain_pool_with(triggered: Any, lambda_config: dict[str, str]) -> DomainPool:
    cognito = triggered.client()
    pool_id = cognito.create_user_pool(PoolName=unique("pages"), LambdaConfig=lambda_config,
                                       AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
    domain = f"auth-{uuid.uuid4().hex[:12]}"
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    return DomainPool(triggered, cognito, pool_id, domain)


def url(dp: DomainPool, path: str, client_id: str) -> str:
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": CALLBACK, "state": "t"}
    return f"{dp.base}{path}?{urlencode(query)}"


def test_pre_sign_up_auto_confirm_signs_the_new_user_in_from_the_sign_up_form(triggered: Any, calls: Any) -> None:
    calls.register("pre-sign-up", answering(autoConfirmUser=True))
    calls.register("pre-token", answering())
    dp = domain_pool_with(triggered, {"PreSignUp": arn("pre-sign-up"), "PreTokenGeneration": arn("pre-token")})
    client_id = dp.client()["ClientId"]
    username = unique("auto")
    with new_browser() as browser:
        form = browser.get(url(dp, "/signup", client_id))
        done = browser.post(url(dp, "/signup", client_id), data={
            "_csrf": csrf_of(form.text), "username": username, "password": PASSWORD,
            "requiredAttributes[email]": f"{username}@example.com"})
    assert redeem(dp, client_id, code_from(done)).status_code == 200
    [event] = received(calls, "pre-sign-up")
    assert event["triggerSource"] == "PreSignUp_SignUp" and event["userName"] == username
    assert {e["triggerSource"] for e in received(calls, "pre-token")} == {"TokenGeneration_HostedAuth"}


def test_a_pre_sign_up_refusal_is_shown_on_the_form(triggered: Any, calls: Any) -> None:
    calls.register("pre-sign-up", raising("Invitations only"))
    dp = domain_pool_with(triggered, {"PreSignUp": arn("pre-sign-up")})
    client_id = dp.client()["ClientId"]
    with new_browser() as browser:
        form = browser.get(url(dp, "/signup", client_id))
        refused = browser.post(url(dp, "/signup", client_id), data={
            "_csrf": csrf_of(form.text), "username": unique(), "password": PASSWORD})
    assert refused.status_code == 400
    assert 'class="banner' in refused.text and "Invitations only" in refused.text


def test_post_confirmation_runs_after_the_password_is_reset_on_the_page(triggered: Any, calls: Any) -> None:
    calls.register("post-confirm", answering())
    dp = domain_pool_with(triggered, {"PostConfirmation": arn("post-confirm")})
    client_id = dp.client()["ClientId"]
    username = make_user(dp.cognito, dp.pool_id, attributes={"email": "pc@example.com", "email_verified": "true"})
    with new_browser() as browser:
        form = browser.get(url(dp, "/forgotPassword", client_id))
        sent = browser.post(url(dp, "/forgotPassword", client_id), data={"_csrf": csrf_of(form.text),
                                                                          "username": username})
        step = sent.headers["location"]
        page = browser.get(step)
        code = latest_code(dp.server, dp.pool_id, username)
        done = browser.post(step, data={"_csrf": csrf_of(page.text), "code": code, "password": "Another-Horse-5",
                                        "confirmPassword": "Another-Horse-5"})
    code_from(done)
    assert [e["triggerSource"] for e in received(calls, "post-confirm")] == ["PostConfirmation_ConfirmForgotPassword"]

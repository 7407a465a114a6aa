"""``serve --signing-process``: the tokens' RS256 signatures computed by a helper process beside the event
loop (crypto.signing_process). Every token it signs verifies against the pool's JWKS and names its own user;
a server whose helper dies goes on signing on its loop; the helper goes when the server does. (The OAuth
tests' authorization codes and refreshes go through it too wherever the default turns it on.)"""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from accounts import make_client, make_user, sign_in, unique
from test_auth import decode

HELPER = "userpools.crypto.signing_process"


def helpers(pid: int) -> list[int]:
    """The server's children that are signing helpers."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children
            if HELPER in Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace")]


def verified(srv: Any, pool_id: str, token: str) -> dict[str, Any]:
    return decode(srv, pool_id, token, issuer=f"{srv.url}/{pool_id}")


def sign_in_many(srv: Any, count: int = 12) -> tuple[str, str, list[tuple[str, dict[str, Any]]]]:
    """Concurrent sign-ins of ``count`` users; each one's tokens checked against the JWKS."""
    cognito = srv.client()
    pool_id = cognito.create_user_pool(PoolName=unique("signer"))["UserPool"]["Id"]
    client_id = make_client(cognito, pool_id)["ClientId"]
    names = [make_user(cognito, pool_id) for _ in range(count)]
    with ThreadPoolExecutor(6) as threads:
        results = list(threads.map(lambda name: (name, sign_in(cognito, client_id, name)), names))
    for name, result in results:
        tokens = result["AuthenticationResult"]
        assert verified(srv, pool_id, tokens["IdToken"])["cognito:username"] == name
        assert verified(srv, pool_id, tokens["AccessToken"])["username"] == name
    return pool_id, client_id, results


def test_tokens_signed_by_the_helper_process_verify_refresh_and_serve_the_token_endpoint(
    server_factory: Any,
) -> None:
    srv = server_factory("sqlite", extra_args=["--signing-process"])
    assert srv.proc is not None and len(helpers(srv.proc.pid)) == 1
    pool_id, client_id, results = sign_in_many(srv)
    cognito = srv.client()
    name, first = results[0]
    refreshed = cognito.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                      AuthParameters={"REFRESH_TOKEN": first["AuthenticationResult"]["RefreshToken"]})
    access = refreshed["AuthenticationResult"]["AccessToken"]
    assert verified(srv, pool_id, access)["username"] == name
    assert cognito.get_user(AccessToken=access)["Username"] == name
    # /oauth2/token beside it: client_credentials (a lone token, signed on the loop) with a custom scope
    domain = unique("signer-domain").lower()
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    cognito.create_resource_server(UserPoolId=pool_id, Identifier="orders", Name="orders",
                                   Scopes=[{"ScopeName": "read", "ScopeDescription": "read orders"}])
    machine = make_client(cognito, pool_id, GenerateSecret=True, AllowedOAuthFlowsUserPoolClient=True,
                          AllowedOAuthFlows=["client_credentials"], AllowedOAuthScopes=["orders/read"])
    answers = [
        httpx.post(f"{srv.url}/domain/{domain}/oauth2/token", data={"grant_type": "client_credentials"},
                   auth=(machine["ClientId"], machine["ClientSecret"]))
        for _ in range(3)
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        claims = verified(srv, pool_id, answer.json()["access_token"])
        assert (claims["client_id"], claims["scope"]) == (machine["ClientId"], "orders/read")
    assert len({answer.json()["access_token"] for answer in answers}) == 3


def test_a_server_whose_helper_dies_signs_on_its_loop(server_factory: Any) -> None:
    srv = server_factory("sqlite", extra_args=["--signing-process"])
    assert srv.proc is not None
    (helper,) = helpers(srv.proc.pid)
    os.kill(helper, signal.SIGKILL)  # its end of the socketpair closes; the server reaps it when it stops
    sign_in_many(srv, count=4)
    assert any("the signing process stopped" in line for line in srv.output)


def test_no_helper_when_turned_off_or_when_threads_sign(server_factory: Any) -> None:
    for args in (["--no-signing-process"], ["--signing-threads", "2"]):
        srv = server_factory("sqlite", extra_args=args)
        assert srv.proc is not None and helpers(srv.proc.pid) == []
        sign_in_many(srv, count=2)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="the default is on only with more than one CPU")
def test_by_default_one_server_process_on_several_cpus_has_a_helper_that_ends_with_it(server_factory: Any) -> None:
    srv = server_factory("sqlite")
    assert srv.proc is not None
    (helper,) = helpers(srv.proc.pid)
    srv.stop()  # SIGTERM: the server closes its end, waits for the helper to exit and reaps it
    assert not Path(f"/proc/{helper}").exists()

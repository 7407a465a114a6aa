"""The time of a federated sign-in round trip: ``/oauth2/authorize?identity_provider=…`` → the upstream → its
answer at ``/oauth2/idpresponse`` (the code redeemed upstream, the ID token checked against its JWKS, the
attributes read, the user written) → the app's code → ``/oauth2/token``.

The upstream is oidc-provider (npm, the OpenID-certified reference provider, run by
``tests/node/oidc-provider-upstream.mjs``; ``make node`` installs it), the broker a userpools server of its
own, both on loopback; httpx plays the browser. Two kinds of round trip, each timed from the first request to
the token answer:

- ``first``: a fresh browser, so the upstream shows its login and consent forms (posted by the script);
- ``session``: the browser already signed in upstream, so the upstream answers at once (the broker's own part
  and the upstream's code exchange, with no forms).

    .venv/bin/python bench/federation.py [--rounds 30] [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import boto3
import httpx

if __package__ in (None, ""):  # run as a script: make ``bench`` importable from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import LocalServer, free_port

NODE_DIR = Path(__file__).resolve().parent.parent / "tests" / "node"
CALLBACK = "http://localhost:3000/callback"
ACCOUNT = "bench-user"


def start_upstream(redirect_uri: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    client = {"client_id": "bench-broker", "client_secret": secrets.token_urlsafe(32), "redirect_uris": [redirect_uri]}
    config = {"port": free_port(), "client": client,
              "accounts": {ACCOUNT: {"email": "bench@example.com", "email_verified": True, "name": "Bench"}}}
    proc = subprocess.Popen([shutil.which("node") or "node", str(NODE_DIR / "oidc-provider-upstream.mjs"),
                             json.dumps(config)], cwd=NODE_DIR, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("oidc-provider did not start: run `make node` (npm ci --prefix tests/node)")
    return proc, {"issuer": json.loads(line)["issuer"], **client}


def form_fields(page: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form[^>]*action="([^"]+)"', page)
    assert action, page
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    return action.group(1), fields


def round_trip(browser: httpx.Client, start: str, base: str, client_id: str) -> float:
    began = time.perf_counter()
    response = browser.get(start)
    for _ in range(20):
        if response.status_code == 200:  # oidc-provider's login, then its consent
            action, fields = form_fields(response.text)
            if fields.get("prompt") == "login":
                fields |= {"login": ACCOUNT, "password": "any"}
            response = browser.post(urljoin(str(response.url), action), data=fields)
            continue
        assert response.status_code in (302, 303), (response.status_code, response.text)
        location = urljoin(str(response.url), response.headers["location"])
        if location.startswith(CALLBACK):
            break
        response = browser.get(location)
    else:
        raise AssertionError("too many redirects")
    code = parse_qs(urlsplit(location).query)["code"][0]
    tokens = httpx.post(f"{base}/oauth2/token", data={"grant_type": "authorization_code", "code": code,
                                                      "client_id": client_id, "redirect_uri": CALLBACK})
    assert tokens.status_code == 200, tokens.text
    return time.perf_counter() - began


def summary(seconds: list[float]) -> dict[str, Any]:
    ordered = sorted(seconds)
    return {"rounds": len(ordered), "median_ms": round(statistics.median(ordered) * 1000, 1),
            "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 1),
            "min_ms": round(ordered[0] * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    server = LocalServer(database_url=args.database_url).start()
    upstream_proc = None
    try:
        cognito = boto3.client("cognito-idp", endpoint_url=server.url, region_name="us-east-1",
                               aws_access_key_id="bench", aws_secret_access_key="bench")
        pool_id = cognito.create_user_pool(PoolName="federation-bench")["UserPool"]["Id"]
        domain = f"fed-{uuid.uuid4().hex[:10]}"
        cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=domain)
        base = f"{server.url}/domain/{domain}"
        upstream_proc, upstream = start_upstream(f"{base}/oauth2/idpresponse")
        cognito.create_identity_provider(
            UserPoolId=pool_id, ProviderName="Upstream", ProviderType="OIDC",
            ProviderDetails={"client_id": upstream["client_id"], "client_secret": upstream["client_secret"],
                             "authorize_scopes": "openid email profile", "attributes_request_method": "GET",
                             "oidc_issuer": upstream["issuer"]},
            AttributeMapping={"email": "email", "email_verified": "email_verified", "name": "name"})
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName="app", AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=["openid", "email", "profile"], CallbackURLs=[CALLBACK],
            SupportedIdentityProviders=["Upstream"])["UserPoolClient"]["ClientId"]
        start = (f"{base}/oauth2/authorize?client_id={client_id}&response_type=code&scope=openid+email+profile"
                 f"&redirect_uri={CALLBACK}&identity_provider=Upstream&state=s")
        with httpx.Client() as warm:  # the first request of each process pays imports and connections
            round_trip(warm, start, base, client_id)
        first, session = [], []
        for _ in range(args.rounds):
            with httpx.Client() as browser:
                first.append(round_trip(browser, start, base, client_id))
                session.append(round_trip(browser, start, base, client_id))
        print(json.dumps({"database": "postgresql" if args.database_url else "sqlite",
                          "first (upstream login + consent forms)": summary(first),
                          "session (upstream already signed in)": summary(session)}, indent=2))
    finally:
        if upstream_proc is not None:
            upstream_proc.terminate()
            upstream_proc.wait(timeout=10)
        server.stop()


if __name__ == "__main__":
    main()

"""The README's Authlib block, run as written against a live server: it registers the pool as an OIDC
provider from its discovery document, and the registered client then signs a user in through the pool's
domain (authorization URL → the hosted form → code → tokens, the ID token checked against the pool's JWKS)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from accounts import PASSWORD
from oauthkit import CALLBACK, DomainPool, csrf_of, domain_pool, query_of
from test_readme import README_URL, blocks

__all__ = ["domain_pool"]  # the fixture, used by name

README = Path(__file__).resolve().parents[2] / "README.md"
README_POOL = "us-east-1_AbCdEfGhI"
README_CLIENT_ID = "1example23456789abcdefghij"
README_SECRET = "the client secret"


def authlib_block() -> str:
    (block,) = [b for b in blocks(README.read_text()) if b.lang == "python" and "authlib" in b.text]
    for placeholder in (README_URL, README_POOL, README_CLIENT_ID, README_SECRET):
        assert placeholder in block.text, placeholder
    return block.text


def test_the_authlib_block_signs_a_user_in_through_the_pool_domain(domain_pool: DomainPool) -> None:
    dp = domain_pool
    made = dp.client(secret=True)
    username = dp.user(email="reader@example.com")
    source = (
        authlib_block()
        .replace(README_URL, dp.server.url)
        .replace(README_POOL, dp.pool_id)
        .replace(README_CLIENT_ID, made["ClientId"])
        .replace(README_SECRET, made["ClientSecret"])
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, "README.md (Authlib)", "exec"), namespace)  # noqa: S102 - the README's own code
    cognito = namespace["oauth"].cognito

    async def sign_in() -> tuple[dict[str, Any], dict[str, Any]]:
        metadata = await cognito.load_server_metadata()
        assert metadata["authorization_endpoint"] == f"{dp.base}/oauth2/authorize"
        request = await cognito.create_authorization_url(CALLBACK)
        with httpx.Client(follow_redirects=False) as browser:
            login = browser.get(request["url"])
            assert login.status_code == 302, login.text
            form = browser.get(login.headers["location"])
            answer = browser.post(login.headers["location"], data={
                "_csrf": csrf_of(form.text), "username": username, "password": PASSWORD,
            })
        assert answer.status_code == 302, answer.text
        back = query_of(answer.headers["location"])
        assert back["state"] == request["state"]
        token = await cognito.fetch_access_token(code=back["code"], redirect_uri=CALLBACK)
        claims = await cognito.parse_id_token(token, nonce=request.get("nonce"))
        return token, dict(claims)

    token, claims = asyncio.run(sign_in())
    assert {"access_token", "id_token", "refresh_token"} <= set(token)
    assert claims["cognito:username"] == username
    assert claims["email"] == "reader@example.com"
    assert claims["iss"] == f"{dp.server.url}/{dp.pool_id}"

"""A pool domain's token side: /oauth2/token (authorization_code, refresh_token, client_credentials),
/oauth2/userInfo and /oauth2/revoke. Each function is one transaction and raises ``domain.oauth.OAuthError``
for the HTTP handler to answer as JSON.

Reference: AWS "user pool endpoints and managed login reference" (token, userInfo, revoke endpoints).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from userpools.crypto.jwt import DeferredToken, TokenError, peek
from userpools.domain import clients as client_domain
from userpools.domain import oauth as rules
from userpools.domain import tokens as token_domain
from userpools.domain.records import ClientRecord, PoolRecord
from userpools.errors import CognitoError
from userpools.operations import auth
from userpools.operations.common import client_secret
from userpools.operations.context import Context
from userpools.operations.oauth import (
    CODE,
    HOSTED_SOURCE,
    defined_custom_scopes,
    grant_key,
    pool_of_domain_in,
)
from userpools.operations.tokens import issue_in_family, new_family
from userpools.storage.ports import Transaction

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def authenticate_client(ctx: Context, tx: Transaction, pool: PoolRecord,
                              creds: rules.ClientCredentials) -> ClientRecord:
    """The app client of this pool the caller proves to be: a client with a secret must send it (Basic or
    form); a public client sends its id alone [C]. Anything else → invalid_client."""
    client = await tx.clients.get(creds.client_id)
    if client is None or client.pool_id != pool.id:
        raise rules.InvalidClient()
    secret = client_secret(ctx, client)
    if secret is None:
        if creds.secret:
            raise rules.InvalidClient()  # [U] a secret for a client that has none
        return client
    if not creds.secret or not hmac.compare_digest(creds.secret.encode(), secret.encode()):
        raise rules.InvalidClient()
    return client


def _token_response(result: Mapping[str, Any]) -> dict[str, Any]:
    """AuthenticationResult → the token endpoint's JSON, in Cognito's member order [O]."""
    out: dict[str, Any] = {}
    if "IdToken" in result:
        out["id_token"] = str(result["IdToken"])
    out["access_token"] = str(result["AccessToken"])
    if "RefreshToken" in result:
        out["refresh_token"] = result["RefreshToken"]
    out["expires_in"] = result["ExpiresIn"]
    out["token_type"] = "Bearer"
    return out


def _require(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise rules.InvalidRequest(f"Missing required parameter {name}")  # [U] description
    return value


Grant = Callable[[Context, Transaction, PoolRecord, ClientRecord, Mapping[str, str]], Awaitable[dict[str, Any]]]


async def _authorization_code(ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord,
                              form: Mapping[str, str]) -> dict[str, Any]:
    """A code from /oauth2/authorize: once, within 5 minutes, by its client, with its redirect_uri and (when
    the request had a challenge) the PKCE verifier."""
    code = _require(form, "code")
    redirect_uri = _require(form, "redirect_uri")
    if "code" not in rules.allowed_flows(client.settings):
        raise rules.UnauthorizedClient()
    key = grant_key(ctx.cipher, CODE, code)
    grant = await tx.oauth_grants.get(CODE, key, for_update=True)
    now = ctx.clock.now()
    if grant is None or grant.pool_id != pool.id or grant.expires_at <= now:
        raise rules.InvalidGrant()
    document = grant.document
    if grant.used_at is not None:
        # RFC 6749 §4.1.2: a code used twice: refuse, and revoke the tokens it gave (the family). Raised once
        # the revocation has committed.
        if document.get("origin_jti"):
            await tx.auth_sessions.revoke(str(document["origin_jti"]), now)
        return {"failure": rules.InvalidGrant()}
    if document.get("client_id") != client.id:
        raise rules.InvalidGrant()
    if document.get("redirect_uri") != redirect_uri:
        # [O: a redirect_uri differing from the authorization request's (a trailing slash) answers
        # unauthorized_client, StackOverflow 50264679]
        raise rules.UnauthorizedClient()
    challenge = document.get("code_challenge")
    if challenge and not rules.verifier_matches(str(challenge), form.get("code_verifier")):
        raise rules.InvalidGrant()
    user = await tx.users.get(pool.id, str(document.get("username_key")))
    if user is None or user.sub != document.get("sub") or not user.enabled:
        raise rules.InvalidGrant()
    auth_time = EPOCH + timedelta(microseconds=int(document["auth_time"]))
    family = await new_family(ctx, tx, pool, client, user, auth_time=auth_time)
    if not await tx.oauth_grants.use(CODE, key, now, {**document, "origin_jti": family.origin_jti}):
        raise rules.InvalidGrant()  # redeemed meanwhile by a concurrent request
    oauth = token_domain.OAuthGrant(tuple(document.get("scopes") or ()), document.get("nonce"))
    result = await issue_in_family(ctx, tx, pool, client, user, family, with_refresh=True, source=HOSTED_SOURCE,
                                   client_metadata=None, oauth=oauth)
    return _token_response(result)


async def _refresh_token(ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord,
                         form: Mapping[str, str]) -> dict[str, Any]:
    """The API's refresh logic (revocation, rotation with its grace period); the tokens keep the scopes of the
    grant that gave the refresh token."""
    token = _require(form, "refresh_token")
    if "ALLOW_REFRESH_TOKEN_AUTH" not in client_domain.explicit_auth_flows(client.settings):
        raise rules.UnauthorizedClient()  # [C] "Client is not allowed ... for refreshing tokens"
    rotate = (client.settings.get("RefreshTokenRotation") or {}).get("Feature") == "ENABLED"
    try:
        out = await auth.refresh_tokens(ctx, tx, pool, client, token, rotate=rotate)
    except CognitoError:
        raise rules.InvalidGrant() from None
    return _token_response(out["AuthenticationResult"])


async def _client_credentials(ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord,
                              form: Mapping[str, str]) -> dict[str, Any]:
    """Machine to machine: a client with a secret whose AllowedOAuthFlows has client_credentials; custom scopes
    only; an access token alone [C]."""
    if client.secret_ciphertext is None or "client_credentials" not in rules.allowed_flows(client.settings):
        raise rules.UnauthorizedClient()
    scopes = rules.granted_scopes(
        rules.parse_scopes(form.get("scope")), rules.allowed_scopes(client.settings),
        await defined_custom_scopes(tx, pool.id), user_grant=False,
    )
    if not scopes:
        raise rules.InvalidScope()  # [U] every scope the client names is gone from its resource servers
    keys = await ctx.keyring.for_pool(tx, pool.id)
    if keys is None:
        raise RuntimeError(f"pool {pool.id} has no signing keys")
    now = int(ctx.clock.now().timestamp())
    validity = client_domain.token_validity_seconds(client.settings)["AccessToken"]
    claims = token_domain.client_credentials_claims(
        client_id=client.id, issuer=_issuer(ctx, pool.id), scopes=scopes, iat=now, exp=now + validity
    )
    kid, key = keys.for_purpose("access")
    # signed after the (read-only) transaction, when the answer is serialised
    return {"access_token": DeferredToken(claims, kid, key), "expires_in": validity, "token_type": "Bearer"}


#: Grants that write nothing (they run in a read-only transaction: on SQLite, beside the writer)
READ_ONLY_GRANTS = frozenset({"client_credentials"})
GRANTS: dict[str, Grant] = {
    "authorization_code": _authorization_code,
    "refresh_token": _refresh_token,
    "client_credentials": _client_credentials,
}


class NoSuchDomain(Exception):
    """``token`` was given a domain that no pool has."""


async def token(ctx: Context, pool: PoolRecord | str, form: Mapping[str, str], authorization: str | None
                ) -> dict[str, Any]:
    """POST /oauth2/token, for a pool, or for a domain (a str: its pool is looked up in the token's own
    transaction, one transaction per token instead of two; ``NoSuchDomain`` when no pool has it). Errors
    raised before the lookup (``InvalidRequest``, ``UnsupportedGrantType``, a malformed Basic header) do not
    say whether the domain exists: the caller checks it when it has to answer."""
    grant_type = form.get("grant_type")
    if not grant_type:
        raise rules.InvalidRequest("Missing required parameter grant_type")
    grant = GRANTS.get(grant_type)
    if grant is None:
        raise rules.UnsupportedGrantType()
    creds = rules.client_credentials(authorization, form)
    async with ctx.store.transaction(readonly=grant_type in READ_ONLY_GRANTS) as tx:
        if isinstance(pool, str):
            found = await pool_of_domain_in(tx, pool)
            if found is None:
                raise NoSuchDomain(pool)
            pool = found
        client = await authenticate_client(ctx, tx, pool, creds)
        out = await grant(ctx, tx, pool, client, form)
    failure = out.get("failure")
    if isinstance(failure, rules.OAuthError):
        raise failure
    return {name: str(value) if isinstance(value, DeferredToken) else value for name, value in out.items()}


def _issuer(ctx: Context, pool_id: str) -> str:
    return token_domain.issuer(pool_id, public_url=ctx.settings.public_url,
                               aws_style=ctx.settings.aws_issuer, region=pool_id.split("_", 1)[0])


# --- /oauth2/userInfo ------------------------------------------------------------------------------------


async def userinfo(ctx: Context, pool: PoolRecord, access_token: str) -> dict[str, Any]:
    """The signed-in user's claims by the access token's scopes; the token must be this pool's, valid,
    unrevoked and have ``openid`` [C]."""
    async with ctx.store.transaction(readonly=True) as tx:
        keys = await ctx.keyring.for_pool(tx, pool.id)
        try:
            claims = token_domain.verify_access_token(
                access_token, keys_for_pool=lambda pid: keys if pid == pool.id else None, now=ctx.clock.now(),
                required_scope=None,
            )
        except CognitoError as exc:
            raise rules.InvalidToken(exc.message) from None
        if claims.get("iss") != _issuer(ctx, pool.id):
            raise rules.InvalidToken("Invalid Access Token")
        scopes = str(claims.get("scope", "")).split()
        if rules.OPENID not in scopes:
            raise rules.InvalidToken("Access token does not contain openid scope")  # [O: simov/grant#189]
        session = await tx.auth_sessions.get(str(claims.get("origin_jti", "")))
        if session is None or session.revoked_at is not None:
            raise rules.InvalidToken(token_domain.ACCESS_TOKEN_REVOKED)
        user = await tx.users.get(pool.id, session.username_key)
        if user is None or user.sub != claims.get("sub") or not user.enabled:
            raise rules.InvalidToken("User does not exist.")
        client = await tx.clients.get(str(claims.get("client_id")))
        readable = client.settings.get("ReadAttributes") if client is not None else None
    return rules.userinfo_claims(sub=user.sub, username=user.username, attributes=user.attributes, scopes=scopes,
                                 readable=set(readable) if readable else None)


# --- /oauth2/revoke -----------------------------------------------------------------------------------------


async def revoke(ctx: Context, pool: PoolRecord, form: Mapping[str, str], authorization: str | None) -> None:
    """POST /oauth2/revoke: a refresh token, and every token of its family, as RevokeToken [C]. An unknown or
    already revoked token answers 200 as well (RFC 7009 §2.2) [C]."""
    token = _require(form, "token")
    creds = rules.client_credentials(authorization, form)
    async with ctx.store.transaction() as tx:
        client = await authenticate_client(ctx, tx, pool, creds)
        if client.settings.get("EnableTokenRevocation") is False:
            raise rules.InvalidRequest("Token revocation is not enabled for this client")  # [C] 400; [U] text
        try:
            peek(token)
        except TokenError:
            pass
        else:
            raise rules.UnsupportedTokenType()  # an access or ID token: only refresh tokens are revoked [C]
        claims = token_domain.open_refresh_token(token, ctx.cipher, EPOCH)
        if claims is None or claims.pool_id != pool.id or claims.client_id != client.id:
            return  # [U] another client's token is left alone, answered as an unknown one
        await tx.auth_sessions.revoke(claims.origin_jti, ctx.clock.now())

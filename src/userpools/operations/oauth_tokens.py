"""A pool domain's token side: /oauth2/token (authorization_code, refresh_token, client_credentials),
/oauth2/userInfo and /oauth2/revoke. Each function is one transaction and raises ``domain.oauth.OAuthError``
for the HTTP handler to answer as JSON.

Reference: AWS "user pool endpoints and managed login reference" (token, userInfo, revoke endpoints).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from userpools.crypto.jwt import DeferredToken, TokenError, peek
from userpools.domain import clients as client_domain
from userpools.domain import oauth as rules
from userpools.domain import token_customization
from userpools.domain import tokens as token_domain
from userpools.domain.cimd import is_metadata_url
from userpools.domain.records import ClientRecord, PoolRecord
from userpools.errors import CognitoError
from userpools.operations import auth, cimd_clients, hooks, oauth_limits, token_exchange
from userpools.operations.common import matches_a_secret
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
from userpools.triggers import events

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def authenticate_client(ctx: Context, tx: Transaction, pool: PoolRecord,
                              creds: rules.ClientCredentials) -> ClientRecord:
    """The app client of this pool the caller proves to be: a client with a secret must send it (Basic or
    form); a public client sends its id alone [C]. Anything else → invalid_client."""
    if is_metadata_url(creds.client_id):
        client = await cimd_clients.client_for(tx, pool, creds.client_id)
    else:
        client = await tx.clients.get(creds.client_id)
    if client is None or client.pool_id != pool.id:
        raise rules.InvalidClient()
    if client.secret_ciphertext is None:
        if creds.secret:
            raise rules.InvalidClient()  # [U] a secret for a client that has none
        return client
    # either secret of a client in the middle of a rotation (AddUserPoolClientSecret) [C]
    if not creds.secret or not matches_a_secret(ctx, client, creds.secret):
        raise rules.InvalidClient()
    return client


def _token_response(result: Mapping[str, Any]) -> dict[str, Any]:
    """AuthenticationResult → the token endpoint's JSON, in Cognito's member order [O]; its tokens signed by
    ``token`` once the transaction is over."""
    out: dict[str, Any] = {}
    if "IdToken" in result:
        out["id_token"] = result["IdToken"]
    out["access_token"] = result["AccessToken"]
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
    sso = document.get("sso")
    family = await new_family(ctx, tx, pool, client, user, auth_time=auth_time,
                              origin_sso=str(sso) if sso else None)
    if not await tx.oauth_grants.use(CODE, key, now, {**document, "origin_jti": family.origin_jti}):
        raise rules.InvalidGrant()  # redeemed meanwhile by a concurrent request
    amr = document.get("amr")
    oauth = token_domain.OAuthGrant(tuple(document.get("scopes") or ()), document.get("nonce"), document.get("acr"),
                                    None if amr is None else tuple(amr))
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
    minted = await mint_client_token(ctx, tx, pool, client, rules.parse_scopes(form.get("scope")),
                                     rules.allowed_scopes(client.settings), client_metadata=None)
    out: dict[str, Any] = {"access_token": minted.token, "expires_in": minted.expires_in, "token_type": "Bearer"}
    if minted.grant is not None:
        out[_MACHINE_GRANT] = minted.grant
    return out


@dataclass(frozen=True, slots=True)
class MachineGrant:
    """All that the configuration decides of a client_credentials token (every claim but its times and id),
    for a pool without a PreTokenGeneration function that could change it. Kept in the configuration's memo
    (``Store.config_memo``) under the request it answered (``machine_request_key``): the same request again
    (same domain, client credentials and body) then reads and checks nothing until the configuration
    changes, which empties the memo (a deleted client or domain, a new secret, a scope gone)."""

    client_id: str
    issuer: str
    scopes: tuple[str, ...]
    validity: int
    kid: str
    key: RSAPrivateKey

    def answer(self, now: int) -> dict[str, Any]:
        claims = token_domain.client_credentials_claims(
            client_id=self.client_id, issuer=self.issuer, scopes=self.scopes, iat=now, exp=now + self.validity
        )
        return {"access_token": DeferredToken(claims, self.kid, self.key), "expires_in": self.validity,
                "token_type": "Bearer"}


@dataclass(frozen=True)
class ClientToken:
    token: DeferredToken
    expires_in: int
    scopes: tuple[str, ...]
    #: what made it, when nothing but the configuration did (no PreTokenGeneration function ran)
    grant: MachineGrant | None = None


async def mint_client_token(ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord,
                            requested: tuple[str, ...], client_scopes: tuple[str, ...], *,
                            client_metadata: Mapping[str, str] | None) -> ClientToken:
    """The M2M access token of the client_credentials grant and of GetClientToken: the requested custom
    scopes (or, none requested, every one the client allows) that its resource servers still define; the
    pool's PreTokenGeneration runs when its LambdaVersion is V3_0 [C] with TokenGeneration_ClientCredentials.
    Raises InvalidScope; signed after the transaction, when the answer is serialised."""
    scopes = rules.granted_scopes(requested, client_scopes, await defined_custom_scopes(tx, pool.id),
                                  user_grant=False)
    if not scopes:
        raise rules.InvalidScope()  # [U] every scope the client names is gone from its resource servers
    keys = await ctx.keyring.for_pool(tx, pool.id)
    if keys is None:
        raise RuntimeError(f"pool {pool.id} has no signing keys")
    now = int(ctx.clock.now().timestamp())
    validity = client_domain.token_validity_seconds(client.settings)["AccessToken"]
    kid, key = keys.for_purpose("access")
    if not (hooks.has(pool, "PreTokenGeneration") and hooks.pre_token_generation_version(pool) == "V3_0"):
        grant = MachineGrant(client.id, _issuer(ctx, pool), scopes, validity, kid, key)
        return ClientToken(grant.answer(now)["access_token"], validity, scopes, grant)
    claims = token_domain.client_credentials_claims(
        client_id=client.id, issuer=_issuer(ctx, pool), scopes=scopes, iat=now, exp=now + validity
    )
    event = events.pre_token_generation_m2m(hooks.caller(pool, "", client.id), scopes=scopes,
                                            client_metadata=client_metadata)
    response = await hooks.run(ctx, pool, "PreTokenGeneration", event)
    overrides = token_customization.read_overrides(response or {}, "V3_0")
    overrides = dataclasses.replace(overrides, group_override=None)  # no user, no groups
    claims = token_customization.customize_access_claims(claims, overrides, client_id=client.id)
    granted = tuple(str(claims.get("scope", "")).split())
    return ClientToken(DeferredToken(claims, kid, key), validity, granted)


TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
_EXCHANGE_ERRORS: dict[str, type[rules.OAuthError]] = {
    "invalid_request": rules.InvalidRequest, "invalid_grant": rules.InvalidGrant,
    "unauthorized_client": rules.UnauthorizedClient, "invalid_scope": rules.InvalidScope,
    "invalid_target": rules.InvalidTarget,
}


def _token_type(form: Mapping[str, str], name: str, *, required: bool) -> str | None:
    value = form.get(name)
    if not value:
        if required:
            raise rules.InvalidRequest(f"Missing required parameter {name}")
        return None
    kind = token_exchange.URN_TYPES.get(value)
    if kind is None:
        raise rules.InvalidRequest(f"Unsupported {name}")
    return kind


async def _token_exchange(ctx: Context, tx: Transaction, pool: PoolRecord, client: ClientRecord,
                          form: Mapping[str, str]) -> dict[str, Any]:
    """RFC 8693 with its own parameter names (subject_token, subject_token_type, actor_token,
    actor_token_type, scope, audience, resource, requested_token_type) [U: Cognito's are presumably the
    RFC's]; the answer is RFC 8693 §2.2.1's, no refresh token [C]."""
    subject = _require(form, "subject_token")
    subject_type = _token_type(form, "subject_token_type", required=True)
    actor_type = _token_type(form, "actor_token_type", required=bool(form.get("actor_token")))
    requested = _token_type(form, "requested_token_type", required=False) or token_exchange.ACCESS_TOKEN
    request = token_exchange.ExchangeRequest(
        subject_token=subject, subject_type=str(subject_type), actor_token=form.get("actor_token") or None,
        actor_type=actor_type, scopes=rules.parse_scopes(form.get("scope")),
        audience=form.get("audience") or None, resource=form.get("resource") or None, requested_type=requested,
    )
    try:
        out = await token_exchange.exchange(ctx, tx, pool, client, request, _issuer(ctx, pool))
    except token_exchange.ExchangeError as exc:
        raise _EXCHANGE_ERRORS[exc.kind](exc.message) from None
    body: dict[str, Any] = {"access_token": out.token,
                            "issued_token_type": token_exchange.TYPE_URNS[out.token_type],
                            "token_type": "Bearer" if out.token_type == token_exchange.ACCESS_TOKEN else "N_A",
                            "expires_in": out.expires_in}
    if out.scopes:
        body["scope"] = " ".join(out.scopes)
    return body


#: Grants that write nothing (they run in a read-only transaction: on SQLite, beside the writer)
READ_ONLY_GRANTS = frozenset({"client_credentials", TOKEN_EXCHANGE})
GRANTS: dict[str, Grant] = {
    "authorization_code": _authorization_code,
    "refresh_token": _refresh_token,
    "client_credentials": _client_credentials,
    TOKEN_EXCHANGE: _token_exchange,
}


class NoSuchDomain(Exception):
    """``token`` was given a domain that no pool has."""


async def token(ctx: Context, pool: PoolRecord | str, form: Mapping[str, str], authorization: str | None,
                *, request_key: Hashable | None = None) -> dict[str, Any]:
    """POST /oauth2/token, for a pool, or for a domain (a str: its pool is looked up in the token's own
    transaction, one transaction per token instead of two; ``NoSuchDomain`` when no pool has it). Errors
    raised before the lookup (``InvalidRequest``, ``UnsupportedGrantType``, a malformed Basic header) do not
    say whether the domain exists: the caller checks it when it has to answer.

    ``request_key`` (``machine_request_key``): a client_credentials grant that succeeds is remembered under
    it for ``remembered_machine_token``."""
    grant_type = form.get("grant_type")
    if not grant_type:
        raise rules.InvalidRequest("Missing required parameter grant_type")
    grant = GRANTS.get(grant_type)
    if grant is None:
        raise rules.UnsupportedGrantType()
    creds = rules.client_credentials(authorization, form)
    if isinstance(pool, str) and is_metadata_url(creds.client_id):
        # a metadata document client: its document may need fetching before the transaction, which needs the
        # pool (one more read-only transaction, for these clients only)
        async with ctx.store.transaction(readonly=True) as tx:
            found = await pool_of_domain_in(tx, pool)
        if found is None:
            raise NoSuchDomain(pool)
        pool = found
    try:
        if not isinstance(pool, str):
            await _ensure(ctx, pool, creds.client_id)
        async with ctx.store.transaction(readonly=grant_type in READ_ONLY_GRANTS) as tx:
            if isinstance(pool, str):
                found = await pool_of_domain_in(tx, pool)
                if found is None:
                    raise NoSuchDomain(pool)
                pool = found
            client = await authenticate_client(ctx, tx, pool, creds)
            out = await grant(ctx, tx, pool, client, form)
            machine = out.pop(_MACHINE_GRANT, None)
            if machine is not None and request_key is not None and not is_metadata_url(client.id):
                memo = await tx.config_memo()
                if memo is not None:
                    memo.remember(request_key, machine)
        failure = out.get("failure")
        if isinstance(failure, rules.OAuthError):
            raise failure
    except (rules.InvalidClient, rules.InvalidGrant):
        # wrong credentials: counted per address after the failed transaction; past the limit, 429 instead
        assert not isinstance(pool, str)  # the domain was found before any credential was checked
        await oauth_limits.count_token_failure(ctx, pool.id)
        raise
    deferred = [value for value in out.values() if isinstance(value, DeferredToken)]
    if deferred and ctx.signer.active:
        await ctx.signer.sign(deferred)  # after the transaction, beside the loop
    return {name: str(value) if isinstance(value, DeferredToken) else value for name, value in out.items()}


#: where a client_credentials grant hands its MachineGrant to ``token`` (never part of the answer)
_MACHINE_GRANT = "_machine_grant"


def machine_request_key(domain: str, content_type: str | None, authorization: str | None, body: bytes
                        ) -> tuple[str, str | None, bytes]:
    """What identifies a token request for ``remembered_machine_token``: the domain, the Content-Type and a
    SHA-256 digest of the Authorization header and the body (so the memo holds no client secret)."""
    return domain, content_type, hashlib.sha256((authorization or "").encode() + b"\n" + body).digest()


async def remembered_machine_token(ctx: Context, request_key: Hashable) -> dict[str, Any] | None:
    """The answer to a client_credentials request that succeeded before under the configuration that is still
    the last committed one (``token`` remembered it): a new token for the same grant, read from memory after
    one read of the configuration's generation. None when there is no such grant: ``token`` then decides."""
    memo = await ctx.store.config_memo()
    grant = None if memo is None else memo.get(request_key)
    if grant is None:
        return None
    answer = grant.answer(int(ctx.clock.now().timestamp()))
    answer["access_token"] = str(answer["access_token"])  # one token: on the loop (crypto.jwt.Signer.sign)
    return answer


async def _ensure(ctx: Context, pool: PoolRecord, client_id: str) -> None:
    try:
        await cimd_clients.ensure(ctx, pool, client_id)  # a metadata document expired since authorize
    except cimd_clients.FetchError:
        raise rules.InvalidClient() from None


def _issuer(ctx: Context, pool: PoolRecord) -> str:
    return token_domain.issuer(pool.id, public_url=ctx.settings.public_url,
                               aws_style=ctx.settings.aws_issuer, region=pool.id.split("_", 1)[0],
                               updated=token_domain.issuer_updated(pool.settings))


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
        if claims.get("iss") != _issuer(ctx, pool):
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
        client_id = str(claims.get("client_id"))
        client = (await cimd_clients.client_for(tx, pool, client_id) if is_metadata_url(client_id)
                  else await tx.clients.get(client_id))
        readable = client.settings.get("ReadAttributes") if client is not None else None
    return rules.userinfo_claims(sub=user.sub, username=user.username, attributes=user.attributes, scopes=scopes,
                                 readable=set(readable) if readable else None)


# --- /oauth2/revoke -----------------------------------------------------------------------------------------


async def revoke(ctx: Context, pool: PoolRecord, form: Mapping[str, str], authorization: str | None) -> None:
    """POST /oauth2/revoke: a refresh token, and every token of its family, as RevokeToken [C]. An unknown or
    already revoked token answers 200 as well (RFC 7009 §2.2) [C]."""
    token = _require(form, "token")
    creds = rules.client_credentials(authorization, form)
    await _ensure(ctx, pool, creds.client_id)
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

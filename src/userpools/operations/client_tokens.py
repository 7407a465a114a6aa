"""Tokens for app clients through the API, no domain needed: GetClientToken (machine to machine) and
GetDerivedToken (RFC 8693 token exchange). They share their minting with the /oauth2/token grants
(``oauth_tokens.mint_client_token``, ``token_exchange.exchange``).

Both are authorized by the client's own credentials, not by IAM: the dispatcher ignores their SigV4
signature [C: "Amazon Cognito doesn't evaluate IAM policies in requests for this API operation"; for
GetDerivedToken, IAM credentials *or* the client's id and secret, so a caller without IAM credentials must be
served too].

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
"""

from __future__ import annotations

from typing import Any

from userpools.domain import clients as client_domain
from userpools.domain import oauth as rules
from userpools.domain import tokens as token_domain
from userpools.domain.records import ClientRecord
from userpools.domain.resource_servers import STANDARD_SCOPES
from userpools.errors import InvalidParameterException, NotAuthorizedException
from userpools.operations import token_exchange
from userpools.operations.common import load_client, matches_a_secret
from userpools.operations.context import Context
from userpools.operations.oauth_tokens import mint_client_token


def _check_secret(ctx: Context, client: ClientRecord, given: str | None) -> None:
    """Either secret of a client in the middle of a rotation is accepted [C: AddUserPoolClientSecret]. [U] the
    wording: Cognito's API says "Unable to verify secret hash for client …" for SECRET_HASH."""
    if client.secret_ciphertext is None:
        if given:
            raise NotAuthorizedException(f"Client {client.id} is not configured with a secret")
        return
    if not given or not matches_a_secret(ctx, client, given):
        raise NotAuthorizedException(f"Unable to verify secret for client {client.id}")


async def get_client_token(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetClientToken: a client with a secret whose only ExplicitAuthFlows value is ALLOW_CLIENT_TOKEN_AUTH
    [C]; Scopes, or every custom scope the client allows [C]; an access token alone. AllowedOAuthFlows need
    not include client_credentials [U: the guide's example sets none]."""
    async with ctx.store.transaction(readonly=True) as tx:
        client, pool = await load_client(tx, req["ClientId"])
        if client.secret_ciphertext is None:
            raise NotAuthorizedException(f"Client {client.id} is not configured with a secret")  # [U] wording
        _check_secret(ctx, client, req["Secret"])
        if client_domain.CLIENT_TOKEN_FLOW not in client_domain.explicit_auth_flows(client.settings):
            # [U] the wording of InitiateAuth's "USER_PASSWORD_AUTH flow not enabled for this client"
            raise InvalidParameterException("ALLOW_CLIENT_TOKEN_AUTH flow not enabled for this client")
        client_scopes = tuple(client.settings.get("AllowedOAuthScopes") or ())
        requested = tuple(req.get("Scopes") or ()) or tuple(s for s in client_scopes if s not in STANDARD_SCOPES)
        try:
            minted = await mint_client_token(ctx, tx, pool, client, requested, client_scopes,
                                             client_metadata=req.get("ClientMetadata"))
        except rules.InvalidScope:
            raise InvalidParameterException("Invalid scope requested") from None  # [U] wording
    return {"ClientAuthenticationResult": {"AccessToken": minted.token, "ExpiresIn": minted.expires_in,
                                           "TokenType": "Bearer"}}


_API_ERRORS = {"invalid_grant": NotAuthorizedException, "unauthorized_client": NotAuthorizedException}


async def get_derived_token(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetDerivedToken (see ``token_exchange`` for the rules and the choices made)."""
    request = token_exchange.ExchangeRequest(
        subject_token=req["SubjectToken"], subject_type=req["SubjectTokenType"],
        actor_token=req.get("ActorToken") or None, actor_type=req.get("ActorTokenType"),
        scopes=tuple(req.get("Scopes") or ()), audience=next(iter(req.get("Audiences") or []), None),
        resource=next(iter(req.get("Resources") or []), None),
        requested_type=req.get("RequestedTokenType") or token_exchange.ACCESS_TOKEN,
        provider=req.get("SubjectTokenProviderName") or req.get("ActorTokenProviderName"),
    )
    if req.get("Audiences") and req.get("Resources"):
        raise InvalidParameterException("Audiences and Resources can not both be specified.")  # [C] exclusive
    async with ctx.store.transaction(readonly=True) as tx:
        client, pool = await load_client(tx, req["ClientId"])
        _check_secret(ctx, client, req.get("ClientSecret"))
        issuer = token_domain.issuer(pool.id, public_url=ctx.settings.public_url,
                                     aws_style=ctx.settings.aws_issuer, region=pool.id.split("_", 1)[0],
                                     updated=token_domain.issuer_updated(pool.settings))
        try:
            out = await token_exchange.exchange(ctx, tx, pool, client, request, issuer)
        except token_exchange.ExchangeError as exc:
            raise _API_ERRORS.get(exc.kind, InvalidParameterException)(exc.message) from None
    result: dict[str, Any] = {
        "IssuedToken": out.token,
        "IssuedTokenType": out.token_type,
        "TokenType": "Bearer" if out.token_type == token_exchange.ACCESS_TOKEN else "N_A",
        "ExpiresIn": out.expires_in,
    }
    if out.scopes:
        result["Scopes"] = list(out.scopes)
    return result

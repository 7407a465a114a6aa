"""The broker: sign-in through a pool's OIDC identity provider (and the social types that follow the same code
flow), from ``/oauth2/authorize?identity_provider=…`` (or ``idp_identifier=…``, or a button of the sign-in page)
to the upstream's authorize URL, back at ``/oauth2/idpresponse``, and on to the app with userpools' own code.

The upstream round trip is bound to the original authorization request by a one-time ``state``: an
``oauth_grants`` record of kind ``idp_state`` found by the keyed hash of the state (the browser carries the
state, the database only its hash), holding the request's parameters and the nonce sent upstream; it lives
5 minutes (Cognito's limit for the round trip [C: DG23]) and is used once.

At /oauth2/idpresponse: the code is redeemed at the upstream's token_url (client_secret_post [C]); the ID token
is verified (signature against the upstream JWKS, issuer, audience, expiry, our nonce); the attributes come from
attributes_url with attributes_request_method; then the user: a native user the identity was linked to
(AdminLinkProviderForUser), else the federated user ``<provider>_<sub>`` (EXTERNAL_PROVIDER), made at the first
sign-in; mapped attributes are written at every sign-in; the user joins ``<poolId>_<ProviderName>``.

The social types on the same path [C: each provider's documented endpoints]: Facebook's code is exchanged with
GET and its Graph API asked for the mapped fields (token and appsecret_proof in the query); Amazon's profile is
read with the Bearer token; Apple answers with a form POST (response_mode=form_post), its client secret is an
ES256 JWT made from the provider's private key, and its ``user`` field names the user at the first sign-in.

Deviation, said in docs/compatibility.md: Cognito sends no nonce upstream [O: va.gov-team#36369]; userpools sends
its own and checks it (replay protection the issue asks for; upstreams ignore a nonce they do not need).
Network calls happen outside the transactions. Every upstream failure becomes a redirect to the app with
``error`` and ``error_description`` [O: aws-sdk-js-v3#6201 for the form; the codes are U], never a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
import jwt
import orjson
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from userpools.domain import identity_providers as idp
from userpools.domain import oauth as rules
from userpools.domain.records import OAuthGrantRecord, PoolRecord, PoolResource
from userpools.domain.resources import IDENTITY_PROVIDER, identity_provider_key
from userpools.operations import saml
from userpools.operations.common import answers_held
from userpools.operations.context import Context
from userpools.operations.federated_users import AccessDenied, ServerError, UpstreamFailure, complete, fail
from userpools.operations.identity_providers import provider_by_identifier
from userpools.operations.oauth import (
    Redirect,
    check_authorize,
    ensure_client,
    grant_key,
    with_params,
)
from userpools.storage.ports import Transaction

IDP_STATE = "idp_state"
ROUND_TRIP_SECONDS = 300  # [C: DG23 "within 5 minutes"]
FETCH_TIMEOUT_SECONDS = 10.0
LEEWAY_SECONDS = 60  # clock skew allowed on the upstream's exp/iat [U]
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512")
HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")  # [C: DG23 "HMAC-SHA, ECDSA or RSA"], keyed by client_secret
#: The social types' signing keys, used when the operator gave no jwks_uri (Describe does not show them) [C:
#: Google's and Apple's published JWKS URLs]
SOCIAL_JWKS = {idp.GOOGLE: "https://www.googleapis.com/oauth2/v3/certs", idp.APPLE: "https://appleid.apple.com/auth/keys"}
CODE_FLOW_TYPES = (idp.OIDC, idp.GOOGLE, idp.APPLE, idp.FACEBOOK, idp.AMAZON)
APPLE_ISSUER = "https://appleid.apple.com"  # [C: Apple's ID tokens' iss and its client secrets' aud]
APPLE_SECRET_SECONDS = 300  # the lifetime of the client secret JWT made for each token request [U]
ERROR_REASON_CHARS = 200  # how much of an upstream's error reason the app's error_description carries [U]
#: upstream error codes passed on to the app as access_denied: the user said no [U: Cognito's mapping]
DENIALS = ("access_denied", "user_cancelled_authorize")  # OAuth's; Apple's [C: Apple's authorization errors]


async def _provider(tx: Transaction, pool: PoolRecord, params: dict[str, str]) -> PoolResource | None:
    identifier = params.get("idp_identifier")
    if identifier and not params.get("identity_provider"):
        return await provider_by_identifier(tx, pool.id, identifier)
    return await tx.resources.get(IDENTITY_PROVIDER, identity_provider_key(pool.id, params.get("identity_provider", "")))


def is_federated(params: dict[str, str]) -> bool:
    provider = params.get("identity_provider")
    return (bool(provider) and provider != "COGNITO") or (not provider and bool(params.get("idp_identifier")))


# --- /oauth2/authorize → the upstream -------------------------------------------------------------------------


async def start(ctx: Context, pool: PoolRecord, params: dict[str, str], callback: str, acs: str) -> Redirect:
    """The upstream authorize URL for this authorization request (a SAML provider's: ``operations.saml``).
    ``callback`` is the domain's /oauth2/idpresponse, ``acs`` its /saml2/idpresponse. Raises PageError or
    AuthorizeRedirect as /oauth2/authorize does."""
    await ensure_client(ctx, pool, params.get("client_id"))
    async with ctx.store.transaction() as tx:
        client, request = await check_authorize(tx, pool, params)
        provider = await _provider(tx, pool, params)
        supported = client.settings.get("SupportedIdentityProviders") or []
        if provider is None or provider.document["ProviderName"] not in supported:
            # [U] Cognito's answer to a provider the client does not support
            raise fail(request, rules.InvalidRequest("Unsupported identity provider"))
        document = provider.document
        kept = {k: v for k, v in params.items() if k not in ("identity_provider", "idp_identifier")}
        if document["ProviderType"] not in (*CODE_FLOW_TYPES, idp.SAML):
            raise fail(request, ServerError(f"{document['ProviderType']} sign-in is not supported by this server"))
        if document["ProviderType"] != idp.SAML:
            details = idp.derived_details(document)
            state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
            now = ctx.clock.now()
            await tx.oauth_grants.insert(OAuthGrantRecord(
                IDP_STATE, grant_key(ctx.cipher, IDP_STATE, state), pool.id, now,
                now + timedelta(seconds=ROUND_TRIP_SECONDS), None,
                {"params": kept, "provider": document["ProviderName"], "nonce": nonce, "callback": callback},
            ))
    if document["ProviderType"] == idp.SAML:
        return await saml.start(ctx, pool, kept, provider, request, acs)
    scopes = " ".join(details.get("authorize_scopes", "openid").replace(",", " ").split())
    query = {"response_type": "code", "client_id": details["client_id"], "redirect_uri": callback,
             "scope": scopes, "state": state}
    if details.get("oidc_issuer"):
        query["nonce"] = nonce
    if document["ProviderType"] == idp.APPLE:
        # Apple posts its answer (code, state, and at the first sign-in the user's name) to the redirect URI
        # when name or email is asked for [C: Apple's "Request an authorization"]
        query["response_mode"] = "form_post"
    return Redirect(with_params(details["authorize_url"], query))


# --- /oauth2/idpresponse --------------------------------------------------------------------------------------


async def _fetch_json(response_call: Any, what: str) -> dict[str, Any]:
    try:
        response = await response_call
    except (httpx.HTTPError, OSError) as exc:
        raise UpstreamFailure(f"Unable to reach the identity provider's {what}: {type(exc).__name__}") from None
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    if response.status_code != 200:
        raise UpstreamFailure(f"The identity provider's {what} answered {response.status_code}{_said(body)}")
    if body is None:
        raise UpstreamFailure(f"The identity provider's {what} did not answer JSON")
    if not isinstance(body, dict):
        raise UpstreamFailure(f"The identity provider's {what} did not answer a JSON object")
    return body


def _said(body: Any) -> str:
    """The upstream's own reason in an error answer, cut short: OAuth's ``error`` (RFC 6749 §5.2) or the Graph
    API's ``{"error": {"type", "message"}}`` [C: Facebook's Graph API errors]."""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        reason = ": ".join(str(error[k]) for k in ("type", "message") if isinstance(error.get(k), str))
    elif isinstance(error, str):
        reason = error
    else:
        return ""
    return f" ({reason[:ERROR_REASON_CHARS]})" if reason else ""


def _verify_id_token(token: str, details: dict[str, str], jwks: dict[str, Any], nonce: str, now: float
                     ) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise UpstreamFailure("The ID token is not a JWT") from None
    algorithm = header.get("alg")
    key: Any
    if algorithm in HMAC_ALGORITHMS:
        key = details.get("client_secret", "").encode()
    elif algorithm in SIGNING_ALGORITHMS:
        try:
            keys = [k for k in jwt.PyJWKSet.from_dict(jwks).keys if header.get("kid") in (None, k.key_id)]
        except jwt.PyJWTError:
            raise UpstreamFailure("The identity provider's JWKS has no usable key") from None
        if not keys:
            raise UpstreamFailure("The ID token's key is not in the identity provider's JWKS")
        key = keys[0].key
    else:
        raise UpstreamFailure(f"The ID token's algorithm {algorithm} is not accepted")
    try:
        claims = jwt.decode(
            token, key, algorithms=[algorithm], audience=details["client_id"], issuer=details.get("oidc_issuer"),
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "require": ["sub", "exp"]},
        )
    except jwt.PyJWTError as exc:
        raise UpstreamFailure(f"Invalid ID token: {exc}") from None
    try:
        expires = float(claims["exp"])
    except (TypeError, ValueError):
        raise UpstreamFailure("Invalid ID token: exp is not a number") from None
    if expires + LEEWAY_SECONDS < now:  # the server's clock (tests move it), not time.time()
        raise UpstreamFailure("Invalid ID token: the token has expired")
    if claims.get("nonce") != nonce:
        raise UpstreamFailure("Invalid ID token: the nonce does not match")
    return dict(claims)


def apple_client_secret(details: dict[str, str], now: float) -> str:
    """Sign in with Apple's client_secret: a JWT signed ES256 with the provider's private key (the .p8 file's
    PEM), ``kid`` the key_id, ``iss`` the team_id, ``sub`` the client_id (the Services ID), ``aud`` Apple's
    issuer [C: Apple's "Creating a client secret"]; made for each token request, short-lived [U: Apple allows
    up to 6 months]. ``aud`` is the provider's oidc_issuer, Apple's own unless pointed at a stand-in."""
    try:
        key = serialization.load_pem_private_key(details.get("private_key", "").encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise UpstreamFailure("The SignInWithApple private_key is not a PEM private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise UpstreamFailure("The SignInWithApple private_key is not a P-256 (ES256) key")
    issued = int(now)
    claims = {"iss": details.get("team_id", ""), "iat": issued, "exp": issued + APPLE_SECRET_SECONDS,
              "aud": details.get("oidc_issuer") or APPLE_ISSUER, "sub": details["client_id"]}
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": details.get("key_id", "")})


def apple_user_claims(text: str | None) -> dict[str, str]:
    """Apple's ``user`` form field, sent at a user's first authorization only: ``{"name": {"firstName",
    "lastName"}, "email"}`` [C: Apple's "Request an authorization"], read as the claims ``firstName``,
    ``lastName`` and ``name`` (the two joined) [O: the Apple attribute names of CDK's ProviderAttribute]. It is
    not signed, so its email is never used (the ID token's is); a field that is not that JSON is ignored [U]."""
    try:
        value = orjson.loads(text or "")
    except orjson.JSONDecodeError:
        return {}
    name = value.get("name") if isinstance(value, dict) else None
    if not isinstance(name, dict):
        return {}
    out = {k: v for k in ("firstName", "lastName") if isinstance(v := name.get(k), str) and v}
    if out:
        out["name"] = " ".join(out[k] for k in ("firstName", "lastName") if k in out)
    return out


async def _attributes(http: httpx.AsyncClient, provider_type: str, details: dict[str, str],
                      mapping: Mapping[str, str], access_token: str, id_claims: Mapping[str, Any]) -> dict[str, Any]:
    """The user's attributes from attributes_url: with the access token as a Bearer header [C: DG23 for OIDC;
    Amazon's "Obtain Customer Profile"]; Facebook's Graph API gets the token, its appsecret_proof and, with
    attributes_url_add_attributes, the fields the mapping names (and ``id``) in the query [C: Facebook's Graph
    API "Securing requests" and "fields"]. Google's People API (an attributes_url ending ``personFields=``) is
    asked only for the mapped claims the ID token does not carry, and not at all when it carries them all [U:
    Cognito's use of it; an empty personFields is refused by Google]."""
    url = httpx.URL(details["attributes_url"])
    headers = {"Authorization": f"Bearer {access_token}"}
    if provider_type == idp.GOOGLE and details["attributes_url"].endswith("personFields="):
        wanted = sorted({c for a, c in mapping.items() if a != "username"} - set(id_claims))
        if not wanted:
            return {}
        url = httpx.URL(details["attributes_url"] + ",".join(wanted))
    if provider_type == idp.FACEBOOK:
        proof = hmac.new(details.get("client_secret", "").encode(), access_token.encode(), hashlib.sha256)
        params = {"access_token": access_token, "appsecret_proof": proof.hexdigest()}
        if details.get("attributes_url_add_attributes") == "true":
            fields = [idp.SUBJECT_CLAIM[idp.FACEBOOK]] + sorted(c for a, c in mapping.items() if a != "username")
            params["fields"] = ",".join(dict.fromkeys(fields))
        url, headers = url.copy_merge_params(params), {}
    if details.get("attributes_request_method") == "POST":
        return await _fetch_json(http.post(url, headers=headers), "attributes URL")
    return await _fetch_json(http.get(url, headers=headers), "attributes URL")


async def upstream_claims(provider_type: str, details: dict[str, str], mapping: Mapping[str, str], code: str,
                          callback: str, nonce: str, now: float, answer_params: Mapping[str, str]
                          ) -> dict[str, Any]:
    """The code redeemed upstream, the ID token verified, the attributes read: the identity's claims."""
    try:
        return await _upstream_claims(provider_type, details, mapping, code, callback, nonce, now, answer_params)
    except httpx.InvalidURL:
        raise UpstreamFailure("An identity provider URL is not valid") from None


async def _upstream_claims(provider_type: str, details: dict[str, str], mapping: Mapping[str, str], code: str,
                           callback: str, nonce: str, now: float, answer_params: Mapping[str, str]
                           ) -> dict[str, Any]:
    headers = {"User-Agent": "Amazon/Cognito", "Accept": "application/json"}  # [C: DG23 the User-Agent]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": callback,
            "client_id": details["client_id"]}
    if provider_type == idp.APPLE:
        form["client_secret"] = apple_client_secret(details, now)
    elif details.get("client_secret"):
        form["client_secret"] = details["client_secret"]  # client_secret_post only [C: DG23]
    async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False, headers=headers) as http:
        if details.get("token_request_method") == "GET":  # Facebook's [C: BC]: the form in the query
            token_url = httpx.URL(details["token_url"]).copy_merge_params(form)
            tokens = await _fetch_json(http.get(token_url), "token endpoint")
        else:
            tokens = await _fetch_json(http.post(details["token_url"], data=form), "token endpoint")
        claims: dict[str, Any] = {}
        if details.get("oidc_issuer"):
            id_token = tokens.get("id_token")
            if not isinstance(id_token, str):
                raise UpstreamFailure("The identity provider returned no ID token")
            jwks = await _fetch_json(http.get(details["jwks_uri"]), "JWKS") if details.get("jwks_uri") else {}
            claims = _verify_id_token(id_token, details, jwks, nonce, now)
        access_token = tokens.get("access_token")
        if details.get("attributes_url") and isinstance(access_token, str) and access_token:
            info = await _attributes(http, provider_type, details, mapping, access_token, claims)
            if "sub" in claims and "sub" in info and str(info["sub"]) != str(claims["sub"]):
                raise UpstreamFailure("The attributes are not the ID token's subject")
            claims = info | claims  # the verified ID token wins over the attributes endpoint
        elif not claims:
            raise UpstreamFailure("The identity provider returned no access token")
    if provider_type == idp.APPLE:
        claims = apple_user_claims(answer_params.get("user")) | claims
    return claims


def _subject(provider_type: str, claims: dict[str, Any]) -> str:
    value = claims.get(idp.SUBJECT_CLAIM.get(provider_type, "sub"))
    if value is None or str(value) == "":
        raise UpstreamFailure("The identity provider returned no subject")
    return str(value)


@answers_held
async def finish(ctx: Context, pool: PoolRecord, answer_params: dict[str, str]) -> Redirect:
    """GET /oauth2/idpresponse: ``code`` and ``state`` from the upstream → the app's redirect. A missing,
    unknown, used or expired state → PageError (there is no request to answer safely)."""
    state = answer_params.get("state") or ""
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        key = grant_key(ctx.cipher, IDP_STATE, state)
        grant = await tx.oauth_grants.get(IDP_STATE, key, for_update=True)
        if (not state or grant is None or grant.pool_id != pool.id or grant.used_at is not None
                or grant.expires_at <= now or not await tx.oauth_grants.use(IDP_STATE, key, now, grant.document)):
            raise rules.PageError("invalid_request", "Invalid state")  # [U] Cognito's page for it
        params = dict(grant.document["params"])
        _, request = await check_authorize(tx, pool, params)
        provider = await tx.resources.get(IDENTITY_PROVIDER, identity_provider_key(pool.id, grant.document["provider"]))
    if provider is None:
        raise fail(request, ServerError("The identity provider no longer exists"))
    if answer_params.get("error"):
        # the upstream's refusal, passed on [U: Cognito's mapping of upstream errors]
        description = (answer_params.get("error_description") or answer_params["error"])[:ERROR_REASON_CHARS]
        denied = answer_params["error"] in DENIALS
        raise fail(request, AccessDenied(description) if denied else ServerError(description))
    details = idp.derived_details(provider.document)
    if provider.document["ProviderType"] in SOCIAL_JWKS:
        details.setdefault("jwks_uri", SOCIAL_JWKS[provider.document["ProviderType"]])
    mapping = provider.document.get("AttributeMapping") or {}
    try:
        claims = await upstream_claims(provider.document["ProviderType"], details, mapping,
                                       answer_params.get("code") or "", grant.document["callback"],
                                       grant.document["nonce"], now.timestamp(), answer_params)
        subject = _subject(provider.document["ProviderType"], claims)
    except UpstreamFailure as exc:
        raise fail(request, exc) from None
    return await complete(ctx, pool, params, provider, subject, claims, details.get("oidc_issuer"))

"""The SAML broker: sign-in through a pool's SAML identity provider, SP-initiated and IdP-initiated, and SAML
sign-out. The SAML messages themselves are pysaml2's (``operations.saml_sp``); this module binds them to the
authorization request, the federated user (``operations.federated_users``) and the domain's sessions.

- SP-initiated: ``/oauth2/authorize?identity_provider=<name>`` (or ``idp_identifier=``) → an AuthnRequest to the
  IdP (``start``); the RelayState is a one-time state: an ``oauth_grants`` record of kind ``saml_state`` found
  by the keyed hash of the state, holding the authorization request, the provider and the AuthnRequest's ID
  (the response must answer it: InResponseTo), living 5 minutes [C: DG23 the round trip] and used once.
- IdP-initiated: a response with no InResponseTo posted with a RelayState that holds the authorization request's
  parameters as a query string (response_type, client_id, redirect_uri, identity_provider or idp_identifier,
  scope, state) [C: DG23 saml2-idpresponse-endpoint]; only for a provider whose IDPInit is "true".
- ``/saml2/idpresponse`` (``receive``): the response verified by pysaml2 (signature against the metadata's
  certificates, audience ``urn:amazon:cognito:sp:<poolId>``, Destination and Recipient = the URL it arrived at,
  InResponseTo), decrypted with the pool's encryption key when EncryptedResponses is "true"; the time window
  checked again on the server's clock; the assertion's ID recorded (kind ``saml_assertion``, kept until the
  assertion expires) so an assertion is never accepted twice. The subject is the NameID; attributes are mapped
  from the SAML attribute names.
- Sign-out, for providers whose IDPSignout is "true": the sign-in records the NameID and SessionIndex beside
  the hosted session (kind ``saml_login``); ``/logout`` then sends a LogoutRequest to the IdP's SLO endpoint
  (``sign_out``), and ``/saml2/logout`` takes the LogoutResponse on to the logout's destination
  (``logged_out``), or answers an IdP-initiated LogoutRequest by ending the user's sessions.

Every failure is the app's redirect with ``error`` and ``error_description`` ("Invalid SAML response received:
…" [O: aws-sdk-js-v3#6201]) once the authorization request is known, the domain's error page before.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from userpools.domain import identity_providers as idp
from userpools.domain import oauth as rules
from userpools.domain import users as user_domain
from userpools.domain.records import OAuthGrantRecord, PoolRecord, PoolResource
from userpools.domain.resources import IDENTITY_PROVIDER, SAML_ENCRYPTION, SAML_SIGNING, identity_provider_key
from userpools.operations import saml_sp
from userpools.operations.common import answers_held
from userpools.operations.context import Context
from userpools.operations.federated_users import UpstreamFailure, complete, fail, linked_user
from userpools.operations.identity_providers import key_pair, provider_by_identifier
from userpools.operations.idp_lookup import all_providers
from userpools.operations.oauth import (
    SESSION,
    AuthorizeRequest,
    Redirect,
    check_authorize,
    grant_key,
)
from userpools.storage.ports import Conflict, Transaction

SAML_STATE = "saml_state"
SAML_ASSERTION = "saml_assertion"
SAML_LOGIN = "saml_login"
SAML_LOGOUT = "saml_logout"
ROUND_TRIP_SECONDS = 300  # [C: DG23 "within 5 minutes"]
MAX_RESPONSE_CHARS = 100_000  # [C: DG23 saml2-idpresponse "up to 100,000 characters"]
INVALID = "Invalid SAML response received: "  # [O: aws-sdk-js-v3#6201]


@dataclass(frozen=True)
class FormPost:
    """The HTTP-POST binding: a form the browser posts to ``url`` (an IdP with no HTTP-Redirect endpoint)."""

    url: str
    fields: dict[str, str]


def entity_id(pool_id: str) -> str:
    return f"urn:amazon:cognito:sp:{pool_id}"  # [C: DG23 saml-idp]


def metadata_of(document: dict[str, Any]) -> str:
    details = document["ProviderDetails"]
    return str(details.get("MetadataFile") or (document.get("Derived") or {}).get("Metadata") or "")


async def _sp(ctx: Context, tx: Transaction, pool: PoolRecord, document: dict[str, Any], acs: str) -> saml_sp.Sp:
    details = document["ProviderDetails"]
    certificate, private = await key_pair(ctx, tx, pool, SAML_SIGNING)
    keys = saml_sp.SpKeys(private, saml_sp.pem_certificate(certificate))
    if details.get("EncryptedResponses") == "true":
        certificate, private = await key_pair(ctx, tx, pool, SAML_ENCRYPTION)
        keys = saml_sp.SpKeys(keys.signing_key, keys.signing_cert, private, saml_sp.pem_certificate(certificate))
    slo = acs.removesuffix("/saml2/idpresponse") + "/saml2/logout"
    return saml_sp.Sp(entity_id(pool.id), acs, slo, metadata_of(document), keys,
                      sign_requests=details.get("RequestSigningAlgorithm") == "rsa-sha256")


# --- /oauth2/authorize → the IdP ------------------------------------------------------------------------------


async def start(ctx: Context, pool: PoolRecord, params: dict[str, str], provider: PoolResource,
                request: AuthorizeRequest, acs: str) -> Redirect | FormPost:
    """The AuthnRequest for a checked authorization request (``operations.federation.start`` checked the
    client and the provider). Raises AuthorizeRedirect."""
    async with ctx.store.transaction() as tx:
        sp = await _sp(ctx, tx, pool, provider.document, acs)
    state, request_id = secrets.token_urlsafe(32), "_" + secrets.token_hex(20)
    try:
        outgoing = await asyncio.to_thread(saml_sp.authn_request, sp, state, request_id)
    except saml_sp.SamlError as exc:
        raise fail(request, UpstreamFailure(str(exc))) from None
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        await tx.oauth_grants.insert(OAuthGrantRecord(
            SAML_STATE, grant_key(ctx.cipher, SAML_STATE, state), pool.id, now,
            now + timedelta(seconds=ROUND_TRIP_SECONDS), None,
            {"params": params, "provider": provider.document["ProviderName"], "request_id": request_id, "acs": acs},
        ))
    if outgoing.fields:
        return FormPost(outgoing.url, outgoing.fields)
    return Redirect(outgoing.url)


# --- /saml2/idpresponse ---------------------------------------------------------------------------------------


async def _provider_named(tx: Transaction, pool: PoolRecord, params: dict[str, str]) -> PoolResource | None:
    name, identifier = params.get("identity_provider"), params.get("idp_identifier")
    if not name and identifier:
        return await provider_by_identifier(tx, pool.id, identifier)
    return await tx.resources.get(IDENTITY_PROVIDER, identity_provider_key(pool.id, name or ""))


@answers_held
async def receive(ctx: Context, pool: PoolRecord, form: dict[str, str], acs: str) -> Redirect:
    """POST /saml2/idpresponse: ``SAMLResponse`` and ``RelayState`` → the app's redirect. Raises PageError
    (no authorization request to answer) or AuthorizeRedirect."""
    encoded, relay = form.get("SAMLResponse") or "", form.get("RelayState") or ""
    if not encoded:
        raise rules.PageError("invalid_request", "Missing SAMLResponse")  # [U] the page's words
    if len(encoded) > MAX_RESPONSE_CHARS:
        raise rules.PageError("invalid_request", "The SAML response is too large")  # [U]
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        key = grant_key(ctx.cipher, SAML_STATE, relay)
        grant = await tx.oauth_grants.get(SAML_STATE, key, for_update=True) if relay else None
        request_id: str | None = None
        if grant is not None:
            if (grant.pool_id != pool.id or grant.used_at is not None or grant.expires_at <= now
                    or not await tx.oauth_grants.use(SAML_STATE, key, now, grant.document)):
                raise rules.PageError("invalid_request", "Invalid RelayState")  # [U] Cognito's page for it
            params = dict(grant.document["params"])
            request_id = str(grant.document["request_id"])
            provider = await tx.resources.get(IDENTITY_PROVIDER,
                                              identity_provider_key(pool.id, grant.document["provider"]))
            client, request = await check_authorize(tx, pool, params)
        else:  # IdP-initiated: the RelayState is the authorization request's query [C]
            params = dict(parse_qsl(relay, keep_blank_values=True))
            if not params.get("client_id"):
                raise rules.PageError("invalid_request", "Invalid RelayState")  # [U]
            client, request = await check_authorize(tx, pool, params)
            provider = await _provider_named(tx, pool, params)
        supported = client.settings.get("SupportedIdentityProviders") or []
        if (provider is None or provider.document["ProviderType"] != idp.SAML
                or provider.document["ProviderName"] not in supported):
            raise fail(request, rules.InvalidRequest("Unsupported identity provider"))  # [U]
        if request_id is None and provider.document["ProviderDetails"].get("IDPInit") != "true":
            # [U] the words; Cognito refuses IdP-initiated responses unless IDPInit is on [C]
            raise fail(request, UpstreamFailure(INVALID + "IdP-initiated sign-in is not enabled for "
                                                f"{provider.document['ProviderName']}.", "invalid_request"))
        sp = await _sp(ctx, tx, pool, provider.document, acs)
    params = {k: v for k, v in params.items() if k not in ("identity_provider", "idp_identifier")}
    try:
        assertion = await asyncio.to_thread(saml_sp.parse_response, sp, encoded, request_id)
        _check_time(assertion, ctx.clock.now())
        if request_id is None and assertion.in_response_to:
            raise saml_sp.SamlError("An unsolicited response must not have InResponseTo.")  # [U]
    except saml_sp.SamlError as exc:
        raise fail(request, UpstreamFailure(INVALID + str(exc))) from None
    await _record(ctx, pool, assertion, request)
    claims: dict[str, Any] = {name: values[0] if len(values) == 1 else values
                              for name, values in assertion.attributes.items() if values}
    answer = await complete(ctx, pool, params, provider, assertion.name_id, claims, assertion.issuer)
    if provider.document["ProviderDetails"].get("IDPSignout") == "true" and answer.session_secret:
        await _remember_login(ctx, pool, provider, assertion, answer.session_secret)
    return answer


def _check_time(assertion: saml_sp.Assertion, now: datetime) -> None:
    skew = timedelta(seconds=saml_sp.SKEW_SECONDS)
    if assertion.not_before is not None and now + skew < assertion.not_before:
        raise saml_sp.SamlError("The assertion is not yet valid.")  # [U] the words
    if assertion.not_on_or_after is not None and now - skew >= assertion.not_on_or_after:
        raise saml_sp.SamlError("The assertion has expired.")  # [U]


async def _record(ctx: Context, pool: PoolRecord, assertion: saml_sp.Assertion, request: AuthorizeRequest) -> None:
    """The assertion's ID, kept until it expires (then the time check refuses it): never accepted twice."""
    now = ctx.clock.now()
    until = (assertion.not_on_or_after or now + timedelta(days=1)) + timedelta(seconds=2 * saml_sp.SKEW_SECONDS)
    key = grant_key(ctx.cipher, SAML_ASSERTION, f"{pool.id}\x1f{assertion.issuer}\x1f{assertion.assertion_id}")
    try:
        async with ctx.store.transaction() as tx:
            await tx.oauth_grants.insert(OAuthGrantRecord(SAML_ASSERTION, key, pool.id, now, max(until, now), None, {}))
    except Conflict:
        raise fail(request, UpstreamFailure(INVALID + "The assertion has already been used.")) from None  # [U]


# --- sign-out -------------------------------------------------------------------------------------------------


async def _remember_login(ctx: Context, pool: PoolRecord, provider: PoolResource, assertion: saml_sp.Assertion,
                          session_secret: str) -> None:
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        await tx.oauth_grants.insert(OAuthGrantRecord(
            SAML_LOGIN, grant_key(ctx.cipher, SESSION, session_secret), pool.id, now,
            now + timedelta(seconds=rules.SESSION_LIFETIME_SECONDS), None,
            {"provider": provider.document["ProviderName"], "name_id": assertion.name_id,
             "format": assertion.name_id_format, "session_index": assertion.session_index},
        ))


async def sign_out(ctx: Context, pool: PoolRecord, session_secret: str, outcome: Redirect, acs: str) -> Redirect:
    """/logout of a session signed in through a SAML provider with IDPSignout "true": a LogoutRequest to the
    IdP's SLO endpoint, whose LogoutResponse at /saml2/logout goes on to ``outcome`` (the logout's own
    destination). Any other session: ``outcome`` unchanged. (The session itself is already ended.)"""
    key = grant_key(ctx.cipher, SESSION, session_secret)
    async with ctx.store.transaction() as tx:
        login = await tx.oauth_grants.get(SAML_LOGIN, key)
        if login is None or login.pool_id != pool.id:
            return outcome
        await tx.oauth_grants.delete(SAML_LOGIN, key)
        provider = await tx.resources.get(IDENTITY_PROVIDER, identity_provider_key(pool.id, login.document["provider"]))
        if (provider is None or provider.document["ProviderType"] != idp.SAML
                or provider.document["ProviderDetails"].get("IDPSignout") != "true"):
            return outcome
        sp = await _sp(ctx, tx, pool, provider.document, acs)
    state, request_id = secrets.token_urlsafe(32), "_" + secrets.token_hex(20)
    try:
        outgoing = await asyncio.to_thread(
            saml_sp.logout_request, sp, login.document["name_id"], login.document["format"],
            login.document.get("session_index"), state, request_id)
    except saml_sp.SamlError:
        return outcome  # [U] the IdP cannot be told: the sign-out here is done all the same
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        await tx.oauth_grants.insert(OAuthGrantRecord(
            SAML_LOGOUT, grant_key(ctx.cipher, SAML_LOGOUT, state), pool.id, now,
            now + timedelta(seconds=ROUND_TRIP_SECONDS), None,
            {"location": outcome.location, "request_id": request_id, "provider": login.document["provider"]},
        ))
    return Redirect(outgoing.url)


async def logout_message(ctx: Context, pool: PoolRecord, query: dict[str, str], acs: str) -> Redirect:
    """GET /saml2/logout: a LogoutResponse (→ the logout's destination) or an IdP's LogoutRequest (the user's
    sessions of this domain end; → the LogoutResponse to the IdP). Raises PageError."""
    if query.get("SAMLResponse"):
        return await _logout_response(ctx, pool, query, acs)
    if query.get("SAMLRequest"):
        return await _logout_request(ctx, pool, query, acs)
    raise rules.PageError("invalid_request", "Missing SAMLResponse or SAMLRequest")  # [U]


async def _logout_response(ctx: Context, pool: PoolRecord, query: dict[str, str], acs: str) -> Redirect:
    relay, now = query.get("RelayState") or "", ctx.clock.now()
    async with ctx.store.transaction() as tx:
        key = grant_key(ctx.cipher, SAML_LOGOUT, relay)
        grant = await tx.oauth_grants.get(SAML_LOGOUT, key, for_update=True) if relay else None
        if (grant is None or grant.pool_id != pool.id or grant.used_at is not None or grant.expires_at <= now
                or not await tx.oauth_grants.use(SAML_LOGOUT, key, now, grant.document)):
            raise rules.PageError("invalid_request", "Invalid RelayState")  # [U]
        provider = await tx.resources.get(IDENTITY_PROVIDER, identity_provider_key(pool.id, grant.document["provider"]))
        if provider is None:
            raise rules.PageError("invalid_request", "The identity provider no longer exists")  # [U]
        sp = await _sp(ctx, tx, pool, provider.document, acs)
    try:
        answered = await asyncio.to_thread(saml_sp.parse_logout_response, sp, query["SAMLResponse"])
    except saml_sp.SamlError as exc:
        raise rules.PageError("invalid_request", f"Invalid SAML logout response: {exc}") from None  # [U]
    if answered != grant.document["request_id"]:
        raise rules.PageError("invalid_request", "Invalid SAML logout response: InResponseTo")  # [U]
    return Redirect(str(grant.document["location"]))


async def _logout_request(ctx: Context, pool: PoolRecord, query: dict[str, str], acs: str) -> Redirect:
    try:
        issuer = saml_sp.logout_request_issuer(query["SAMLRequest"])
    except saml_sp.SamlError as exc:
        raise rules.PageError("invalid_request", f"Invalid SAML logout request: {exc}") from None  # [U]
    async with ctx.store.transaction() as tx:
        provider = next((p for p in await all_providers(tx, pool.id)
                         if p.document["ProviderType"] == idp.SAML
                         and p.document["ProviderDetails"].get("IDPSignout") == "true"
                         and idp.saml_entity_id(metadata_of(p.document)) == issuer), None)
        if provider is None:
            raise rules.PageError("invalid_request", "Invalid SAML logout request: unknown issuer")  # [U]
        sp = await _sp(ctx, tx, pool, provider.document, acs)
    try:
        name_id, _, outgoing = await asyncio.to_thread(
            saml_sp.answer_logout_request, sp, query["SAMLRequest"], query.get("RelayState"), query)
    except saml_sp.SamlError as exc:
        raise rules.PageError("invalid_request", f"Invalid SAML logout request: {exc}") from None  # [U]
    name = provider.document["ProviderName"]
    async with ctx.store.transaction() as tx:
        user = await linked_user(tx, pool, name, name_id, {})
        if user is None:
            user = await tx.users.get(pool.id, user_domain.username_key(pool.settings,
                                                                        idp.federated_username(name, name_id)))
        if user is not None:
            for session in await tx.oauth_grants.live(SESSION, pool.id, ctx.clock.now()):
                if session.document.get("username_key") == user.username_key:
                    await tx.oauth_grants.delete(SESSION, session.key)
                    await tx.oauth_grants.delete(SAML_LOGIN, session.key)
    return Redirect(outgoing.url)

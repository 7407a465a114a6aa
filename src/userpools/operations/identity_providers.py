"""Identity providers (federation): CreateIdentityProvider, DescribeIdentityProvider, UpdateIdentityProvider,
DeleteIdentityProvider, ListIdentityProviders, GetIdentityProviderByIdentifier, AdminLinkProviderForUser,
AdminDisableProviderForUser, GetSigningCertificate.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html

Kept in ``tx.resources`` (see ``domain.resources``): the provider document, one index entry per IdpIdentifier,
one per linked identity, and the pool's SAML signing certificate (its private key encrypted under the data key).
An OIDC provider's endpoints are discovered from ``oidc_issuer`` when not all are given, before the
transaction (Cognito fails the creation when the issuer cannot be read [U: wording]); a SAML MetadataURL is read
through the SSRF guard (``operations.guarded_fetch``; the OIDC discovery is not guarded: the operator
configures it through SigV4 admin calls).
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import timedelta
from typing import Any

import httpx
import orjson
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from userpools.domain import identity_providers as domain
from userpools.domain import users as user_domain
from userpools.domain.records import PoolRecord, UserRecord
from userpools.domain.resources import (
    IDENTITY_PROVIDER,
    IDP_IDENTIFIER,
    IDP_LINK,
    SAML_ENCRYPTION,
    SAML_SIGNING,
    PoolResource,
    identity_provider_key,
    idp_identifier_key,
    idp_link_key,
    saml_signing_key,
)
from userpools.errors import (
    AliasExistsException,
    DuplicateProviderException,
    InvalidParameterException,
    LimitExceededException,
    ResourceNotFoundException,
)
from userpools.operations import guarded_fetch, paging
from userpools.operations.common import find_user, user_not_found
from userpools.operations.context import Context
from userpools.operations.idp_lookup import all_providers
from userpools.operations.pools import get_pool_or_raise
from userpools.storage.ports import Conflict, Transaction

DEFAULT_PAGE = 60  # [U] the model allows 0–60
FETCH_TIMEOUT_SECONDS = 10.0
CERTIFICATE_YEARS = 10  # [C: valid 10 years]
MAX_METADATA_BYTES = 1_000_000  # [U] Cognito's limit is unpublished


def _not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Identity provider {name} does not exist.")  # [U] wording


async def provider_or_raise(tx: Transaction, pool_id: str, name: str, *, for_update: bool = False) -> PoolResource:
    found = await tx.resources.get(IDENTITY_PROVIDER, identity_provider_key(pool_id, name), for_update=for_update)
    if found is None:
        raise _not_found(name)
    return found


def _describe(found: PoolResource) -> dict[str, Any]:
    return domain.describe(found.document, found.pool_id, found.created_at, found.updated_at)


# --- fetching what the provider publishes ---------------------------------------------------------------------


async def _get(url: str, what: str) -> httpx.Response:
    try:
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=True) as client:
            response = await client.get(url, headers={"User-Agent": "Amazon/Cognito"})
    except (httpx.HTTPError, OSError):
        raise InvalidParameterException(f"Unable to contact the {what} at {url}.") from None  # [U] wording
    if response.status_code != 200:
        raise InvalidParameterException(f"Unable to read the {what} at {url}.")  # [U] wording
    return response


async def discover(issuer: str) -> dict[str, str]:
    """The OIDC endpoints from ``<issuer>/.well-known/openid-configuration``."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        document = orjson.loads((await _get(url, "OIDC discovery document")).content)
    except orjson.JSONDecodeError:
        raise InvalidParameterException(f"The OIDC discovery document at {url} is not JSON.") from None
    if not isinstance(document, dict):
        raise InvalidParameterException(f"The OIDC discovery document at {url} is not an object.")
    out = {}
    for key, member in (("authorize_url", "authorization_endpoint"), ("token_url", "token_endpoint"),
                        ("attributes_url", "userinfo_endpoint"), ("jwks_uri", "jwks_uri")):
        if isinstance(document.get(member), str):
            out[key] = document[member]
    return out


async def saml_metadata(url: str, *, allow_loopback: bool) -> str:
    """A SAML MetadataURL's document, fetched through the SSRF guard (``operations.guarded_fetch``): https to a
    public address; a loopback address (and http there) only with ``--cimd-allow-loopback``."""
    try:
        response, body = await guarded_fetch.get(url, allow_loopback=allow_loopback, max_bytes=MAX_METADATA_BYTES,
                                                 timeout=FETCH_TIMEOUT_SECONDS, accept="application/xml, text/xml",
                                                 http_on_loopback=True)
    except guarded_fetch.FetchError as exc:
        raise InvalidParameterException(f"Unable to read the SAML metadata at {url}: {exc}.") from None  # [U]
    if response.status_code != 200:
        raise InvalidParameterException(f"Unable to read the SAML metadata at {url}.")  # [U] wording
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidParameterException(f"The SAML metadata at {url} is not UTF-8.") from None  # [U]


async def _derived(provider_type: str, details: dict[str, str], *, allow_loopback: bool) -> dict[str, str]:
    """What is read from the provider at creation: an OIDC issuer's endpoints (unless all are given), a SAML
    MetadataURL's document."""
    if provider_type == domain.OIDC:
        wanted = ("authorize_url", "token_url", "attributes_url", "jwks_uri")
        if all(details.get(k) for k in wanted):
            return {}
        found = await discover(details["oidc_issuer"])
        for key in ("authorize_url", "token_url", "jwks_uri"):
            if not details.get(key) and not found.get(key):
                raise InvalidParameterException(f"The OIDC discovery document has no {key}.")  # [U]
        return found
    if provider_type == domain.SAML and details.get("MetadataURL"):
        metadata = await saml_metadata(details["MetadataURL"], allow_loopback=allow_loopback)
        return domain.saml_endpoints(metadata) | {"Metadata": metadata}
    return {}


# --- CRUD ------------------------------------------------------------------------------------------------------


async def _index_identifiers(tx: Transaction, pool: PoolRecord, name: str, identifiers: list[str], now: Any) -> None:
    for identifier in identifiers:
        try:
            await tx.resources.insert(PoolResource(
                IDP_IDENTIFIER, idp_identifier_key(pool.id, identifier), pool.id, now, now, {"ProviderName": name}
            ))
        except Conflict:
            # [U] the exception and wording for an identifier another provider has
            raise InvalidParameterException(f"Duplicate identifier {identifier}.") from None


async def key_pair(ctx: Context, tx: Transaction, pool: PoolRecord, kind: str = SAML_SIGNING) -> tuple[str, bytes]:
    """One of the pool's SAML key pairs (``kind`` SAML_SIGNING or SAML_ENCRYPTION): its certificate (base64
    DER) and private key (PEM), made at first need; the private key is kept encrypted under the data key."""
    key = saml_signing_key(pool.id)
    context = f"{kind.replace('_', '-')}:{pool.id}".encode()
    found = await tx.resources.get(kind, key)
    if found is None:
        found = await _new_key_pair(ctx, tx, pool, kind, context)
    sealed = base64.b64decode(found.document["PrivateKey"])
    return str(found.document["Certificate"]), ctx.cipher.decrypt(sealed, context=context)


async def _new_key_pair(ctx: Context, tx: Transaction, pool: PoolRecord, kind: str, context: bytes) -> PoolResource:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = ctx.clock.now()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"urn:amazon:cognito:sp:{pool.id}")])
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * CERTIFICATE_YEARS)).sign(private, hashes.SHA256())
    )
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    sealed = ctx.cipher.encrypt(pem, context=context)
    text = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
    made = PoolResource(kind, saml_signing_key(pool.id), pool.id, now, now, {
        "Certificate": text, "PrivateKey": base64.b64encode(sealed).decode(),
    })
    try:
        await tx.resources.insert(made)
    except Conflict:  # made by a concurrent request: that one is the pool's
        again = await tx.resources.get(kind, made.key)
        assert again is not None
        return again
    return made


async def _certificate(ctx: Context, tx: Transaction, pool: PoolRecord, kind: str = SAML_SIGNING) -> str:
    """The pool's SAML signing (or encryption) certificate (base64 DER), made at first need."""
    found = await tx.resources.get(kind, saml_signing_key(pool.id))
    if found is not None:
        return str(found.document["Certificate"])
    return (await key_pair(ctx, tx, pool, kind))[0]


async def create_identity_provider(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_CreateIdentityProvider: at most 300 per pool; the name is unique in the pool."""
    provider_type, name = req["ProviderType"], req["ProviderName"]
    domain.check_name(name, provider_type)
    details = domain.check_details(provider_type, req["ProviderDetails"])
    identifiers = domain.check_identifiers(list(req.get("IdpIdentifiers") or []))
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        if await tx.resources.get(IDENTITY_PROVIDER, identity_provider_key(pool.id, name)) is not None:
            raise DuplicateProviderException(f"A provider with the name {name} already exists in this user pool.")
    mapping = domain.check_mapping(req.get("AttributeMapping") or {}, provider_type,
                                   user_domain.schema(pool.settings))
    # outside the transaction: it may wait on the network
    derived = await _derived(provider_type, details, allow_loopback=ctx.settings.cimd_allow_loopback)
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"], for_update=True)
        domain.check_quota(len(await all_providers(tx, pool.id)))
        if provider_type == domain.SAML and details.get("EncryptedResponses") == "true":
            derived["ActiveEncryptionCertificate"] = await _certificate(ctx, tx, pool, SAML_ENCRYPTION)
        document = {"ProviderName": name, "ProviderType": provider_type, "ProviderDetails": details,
                    "AttributeMapping": mapping, "IdpIdentifiers": identifiers, "Derived": derived}
        found = PoolResource(IDENTITY_PROVIDER, identity_provider_key(pool.id, name), pool.id, now, now, document)
        try:
            await tx.resources.insert(found)
        except Conflict:
            raise DuplicateProviderException(
                f"A provider with the name {name} already exists in this user pool."  # [U] wording
            ) from None
        await _index_identifiers(tx, pool, name, identifiers, now)
    return {"IdentityProvider": _describe(found)}


async def describe_identity_provider(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DescribeIdentityProvider."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        found = await provider_or_raise(tx, pool.id, req["ProviderName"])
    return {"IdentityProvider": _describe(found)}


async def update_identity_provider(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_UpdateIdentityProvider: ProviderDetails given are merged over the kept ones [U: Cognito documents
    "the scopes, URLs … that you want to change"], AttributeMapping and IdpIdentifiers given replace theirs."""
    name = req["ProviderName"]
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        current = await provider_or_raise(tx, pool.id, name)
    provider_type = current.document["ProviderType"]
    details = current.document["ProviderDetails"]
    derived = current.document.get("Derived") or {}
    if "ProviderDetails" in req:
        details = domain.check_details(provider_type, req["ProviderDetails"], previous=details)
        derived = await _derived(provider_type, details, allow_loopback=ctx.settings.cimd_allow_loopback)
    mapping = current.document.get("AttributeMapping") or {}
    if "AttributeMapping" in req:
        mapping = domain.check_mapping(req["AttributeMapping"], provider_type, user_domain.schema(pool.settings))
    identifiers = list(current.document.get("IdpIdentifiers") or [])
    if "IdpIdentifiers" in req:
        identifiers = domain.check_identifiers(list(req["IdpIdentifiers"]))
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        found = await provider_or_raise(tx, pool.id, name, for_update=True)
        if provider_type == domain.SAML and details.get("EncryptedResponses") == "true":
            derived = derived | {"ActiveEncryptionCertificate": await _certificate(ctx, tx, pool, SAML_ENCRYPTION)}
        now = ctx.clock.now()
        for old in found.document.get("IdpIdentifiers") or []:
            await tx.resources.delete(IDP_IDENTIFIER, idp_identifier_key(pool.id, old))
        await _index_identifiers(tx, pool, name, identifiers, now)
        document = found.document | {"ProviderDetails": details, "AttributeMapping": mapping,
                                     "IdpIdentifiers": identifiers, "Derived": derived}
        found = dataclasses.replace(found, document=document, updated_at=now)
        await tx.resources.update(found)
    return {"IdentityProvider": _describe(found)}


async def delete_identity_provider(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_DeleteIdentityProvider: its identifiers and links go with it (a provider made again under the name
    starts unlinked [U]); its users stay [U] (Cognito keeps them)."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        found = await provider_or_raise(tx, pool.id, req["ProviderName"], for_update=True)
        for identifier in found.document.get("IdpIdentifiers") or []:
            await tx.resources.delete(IDP_IDENTIFIER, idp_identifier_key(pool.id, identifier))
        prefix = f"{pool.id}/{found.document['ProviderName']}/"
        while True:
            links = [r for r in await tx.resources.list(pool.id, IDP_LINK, limit=100, after_key=prefix)
                     if r.key.startswith(prefix)]
            for link in links:
                await tx.resources.delete(IDP_LINK, link.key)
            if len(links) < 100:
                break
        await tx.resources.delete(IDENTITY_PROVIDER, found.key)
    return {}


async def list_identity_providers(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListIdentityProviders: ProviderDescription per provider, in name order, MaxResults per page."""
    limit = int(req.get("MaxResults") or DEFAULT_PAGE)
    after = paging.decode("identity-providers", req.get("NextToken"))
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        after_key = None if after is None else identity_provider_key(pool.id, after)
        page = list(await tx.resources.list(pool.id, IDENTITY_PROVIDER, limit=limit + 1, after_key=after_key))
    out: dict[str, Any] = {"Providers": [
        {"ProviderName": p.document["ProviderName"], "ProviderType": p.document["ProviderType"],
         "LastModifiedDate": p.updated_at, "CreationDate": p.created_at} for p in page[:limit]
    ]}
    if len(page) > limit:
        out["NextToken"] = paging.encode("identity-providers", page[limit - 1].document["ProviderName"])
    return out


async def provider_by_identifier(tx: Transaction, pool_id: str, identifier: str) -> PoolResource | None:
    index = await tx.resources.get(IDP_IDENTIFIER, idp_identifier_key(pool_id, identifier))
    if index is None:
        return None
    return await tx.resources.get(IDENTITY_PROVIDER, identity_provider_key(pool_id, index.document["ProviderName"]))


async def get_identity_provider_by_identifier(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetIdentityProviderByIdentifier."""
    async with ctx.store.transaction(readonly=True) as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        found = await provider_by_identifier(tx, pool.id, req["IdpIdentifier"])
    if found is None:
        raise ResourceNotFoundException(f"Identity provider with identifier {req['IdpIdentifier']} "
                                        "does not exist.")  # [U] wording
    return {"IdentityProvider": _describe(found)}


async def get_signing_certificate(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetSigningCertificate: the pool's SAML request-signing certificate, base64 DER without PEM armour
    [U: the format], made at the first call and kept (one per pool; Cognito's yearly renewal is not done)."""
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        return {"Certificate": await _certificate(ctx, tx, pool)}


# --- linking ---------------------------------------------------------------------------------------------------


def _provider_user(member: dict[str, Any], role: str) -> tuple[str, str, str]:
    name = member.get("ProviderName")
    value = member.get("ProviderAttributeValue")
    if not name or not value:
        raise InvalidParameterException(f"{role} must have ProviderName and ProviderAttributeValue.")  # [U]
    return str(name), str(member.get("ProviderAttributeName") or ""), str(value)


async def _link_identity(tx: Transaction, pool: PoolRecord, provider: PoolResource, attribute: str, value: str,
                         user: UserRecord, now: Any) -> UserRecord:
    name, provider_type = provider.document["ProviderName"], provider.document["ProviderType"]
    key = idp_link_key(pool.id, name, attribute, value)
    existing = await tx.resources.get(IDP_LINK, key)
    if existing is not None:
        if existing.document["username_key"] == user.username_key:
            return user
        raise AliasExistsException("The source user is already linked to another user.")  # [U] wording
    entries = domain.identities_of(user.attributes.get("identities"))
    if len(entries) >= domain.MAX_LINKS:
        raise LimitExceededException(f"A user can be linked to at most {domain.MAX_LINKS} identities.")  # [U]
    await tx.resources.insert(PoolResource(IDP_LINK, key, pool.id, now, now,
                                           {"username_key": user.username_key, "sub": user.sub}))
    issuer = provider.document["ProviderDetails"].get("oidc_issuer")
    entries.append(domain.identity(name, provider_type, value, issuer, int(now.timestamp() * 1000), primary=False))
    updated = dataclasses.replace(user, attributes=user.attributes | {"identities": domain.identities_text(entries)},
                                  updated_at=now)
    await tx.users.update(updated)
    return updated


async def admin_link_provider_for_user(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminLinkProviderForUser: the source identity (not signed in yet) will sign in as the destination,
    an existing local user. Social sources use Cognito_Subject; OIDC/SAML a mapped attribute or Cognito_Subject."""
    dest_provider, _, dest_name = _provider_user(req["DestinationUser"], "DestinationUser")
    source_provider, source_attribute, source_value = _provider_user(req["SourceUser"], "SourceUser")
    if dest_provider != "Cognito":
        raise InvalidParameterException("DestinationUser must be a Cognito user (ProviderName Cognito).")  # [U]
    if source_provider == "Cognito":
        raise InvalidParameterException("SourceUser cannot be a Cognito user.")  # [U]
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        provider = await provider_or_raise(tx, pool.id, source_provider)
        provider_type = provider.document["ProviderType"]
        mapping = provider.document.get("AttributeMapping") or {}
        if source_attribute != domain.COGNITO_SUBJECT and (
                provider_type in domain.SOCIAL or source_attribute not in mapping):
            raise InvalidParameterException(  # [C: the rule; U: wording]
                f"ProviderAttributeName {source_attribute} must be Cognito_Subject or a mapped attribute.")
        user = await find_user(tx, pool, dest_name, for_update=True, by_alias=False, by_sub=False)
        if user is None:
            raise user_not_found()
        if user.status == "EXTERNAL_PROVIDER":
            raise InvalidParameterException("DestinationUser must be a native user.")  # [U]
        if source_attribute == domain.COGNITO_SUBJECT:
            federated = await tx.users.get(pool.id, user_domain.username_key(
                pool.settings, domain.federated_username(source_provider, source_value)))
            if federated is not None:
                # [O: the message reported from Cognito when the federated user already signed in]
                raise InvalidParameterException(
                    "Merging is not currently supported, provide a SourceUser and DestinationUser pair that "
                    "are not already linked")
        await _link_identity(tx, pool, provider, source_attribute, source_value, user, ctx.clock.now())
    return {}


async def admin_disable_provider_for_user(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminDisableProviderForUser: a linked identity is unlinked (its next sign-in makes a new user); a
    federated user is disabled; a native user (ProviderName Cognito) can no longer sign in with its password."""
    provider_name, attribute, value = _provider_user(req["User"], "User")
    async with ctx.store.transaction() as tx:
        pool = await get_pool_or_raise(tx, req["UserPoolId"])
        now = ctx.clock.now()
        if provider_name == "Cognito":
            user = await find_user(tx, pool, value, for_update=True, by_alias=False)
            if user is None:
                raise user_not_found()
            # the password stops working [C]: the verifier goes (AdminSetUserPassword can give a new one [U])
            await tx.users.update(dataclasses.replace(user, password_ciphertext=None, updated_at=now))
            return {}
        provider = await provider_or_raise(tx, pool.id, provider_name)
        key = idp_link_key(pool.id, provider_name, attribute or domain.COGNITO_SUBJECT, value)
        link = await tx.resources.get(IDP_LINK, key, for_update=True)
        if link is not None:
            await tx.resources.delete(IDP_LINK, key)
            linked = await tx.users.get(pool.id, link.document["username_key"], for_update=True)
            if linked is not None:
                entries = [e for e in domain.identities_of(linked.attributes.get("identities"))
                           if not (e.get("providerName") == provider_name and e.get("userId") == value)]
                attributes = dict(linked.attributes)
                if entries:
                    attributes["identities"] = domain.identities_text(entries)
                else:
                    attributes.pop("identities", None)
                await tx.users.update(dataclasses.replace(linked, attributes=attributes, updated_at=now))
            return {}
        federated = await tx.users.get(pool.id, user_domain.username_key(
            pool.settings, domain.federated_username(provider.document["ProviderName"], value)), for_update=True)
        if federated is None:
            raise user_not_found()
        await tx.users.update(dataclasses.replace(federated, enabled=False, updated_at=now))
    return {}

"""A pool's identity providers (federation): Cognito's rules per ProviderType for CreateIdentityProvider and
UpdateIdentityProvider, the document kept (``domain.resources`` kind ``identity_provider``), what Describe shows
(the derived ProviderDetails keys, never Apple's private key), and the federated user's name and ``identities``.

Facts: shared/cognito/groups-federation-oauth.md §2 ([C] botocore and the developer guide; [U] marked here).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote
from xml.etree import ElementTree

import orjson
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from userpools.domain.pools import DEFAULT_ACR_NAMES
from userpools.errors import InvalidParameterException, LimitExceededException

OIDC: Final = "OIDC"
SAML: Final = "SAML"
GOOGLE: Final = "Google"
FACEBOOK: Final = "Facebook"
AMAZON: Final = "LoginWithAmazon"
APPLE: Final = "SignInWithApple"
SOCIAL: Final = (GOOGLE, FACEBOOK, AMAZON, APPLE)
MAX_PROVIDERS: Final = 300  # per pool [C: quotas]
MAX_LINKS: Final = 5  # federated identities linked to one user [C]
COGNITO_SUBJECT: Final = "Cognito_Subject"

#: What each type must be given [C: BC CreateIdentityProvider's ProviderDetails list].
REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    OIDC: ("client_id", "authorize_scopes", "attributes_request_method", "oidc_issuer"),
    GOOGLE: ("client_id", "client_secret", "authorize_scopes"),
    FACEBOOK: ("client_id", "client_secret", "authorize_scopes"),
    AMAZON: ("client_id", "client_secret", "authorize_scopes"),
    APPLE: ("client_id", "team_id", "key_id", "private_key", "authorize_scopes"),
    SAML: (),
}

#: The documented endpoints Describe adds for the social types [C: BC]. A key the operator gives wins: that is
#: how a test (or an air-gapped deployment) points a social type at a local stand-in (a userpools extension).
_SOCIAL_DERIVED: Final[dict[str, dict[str, str]]] = {
    GOOGLE: {
        "attributes_url": "https://people.googleapis.com/v1/people/me?personFields=",
        "attributes_url_add_attributes": "true",
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "oidc_issuer": "https://accounts.google.com",
        "token_request_method": "POST",
        "token_url": "https://www.googleapis.com/oauth2/v4/token",
    },
    AMAZON: {
        "attributes_url": "https://api.amazon.com/user/profile",
        "attributes_url_add_attributes": "false",
        "authorize_url": "https://www.amazon.com/ap/oa",
        "token_request_method": "POST",
        "token_url": "https://api.amazon.com/auth/o2/token",
    },
    APPLE: {
        "authorize_url": "https://appleid.apple.com/auth/authorize",
        "oidc_issuer": "https://appleid.apple.com",
        "token_request_method": "POST",
        "token_url": "https://appleid.apple.com/auth/token",
    },
}
FACEBOOK_DEFAULT_VERSION: Final = "v17.0"  # [C: BC's example]

#: The claim the username (the user's subject) comes from [C: AdminLinkProviderForUser; Facebook "id" O;
#: Google and Apple "sub" U].
SUBJECT_CLAIM: Final = {OIDC: "sub", GOOGLE: "sub", APPLE: "sub", FACEBOOK: "id", AMAZON: "user_id"}

#: Cognito's refusal of a SignInWithApple private_key it cannot sign with [O: amplify-cli#8939]
APPLE_KEY_REFUSED: Final = "Provided private key cannot be used for Sign in with Apple."
#: AcrMapping is for OIDC providers only [C: BC IdentityProviderType.AcrMapping]; the words are [U]
ACR_MAPPING_OIDC_ONLY: Final = "AcrMapping is supported only for OIDC identity providers."
ACR_LEVELS: Final = ("Level1", "Level2", "Level3", "Level4")

_NAME = re.compile(r"^[^_\s][^\s]*[^_\s]$|^[^_\s]$")
_IDENTIFIER = re.compile(r"^[\w\s+=.@-]{1,40}$")
_SAML_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"


def _invalid(message: str) -> InvalidParameterException:
    return InvalidParameterException(message)


# --- validation ---------------------------------------------------------------------------------------------


def check_name(name: str, provider_type: str) -> None:
    """ProviderName: no leading/trailing ``_`` or space [C: model pattern]; social providers are named by their
    type [C: "Google", "Facebook", …; the message is U]; COGNITO and Cognito are reserved [U]."""
    if not _NAME.match(name):
        raise _invalid(f"Provider name {name} is not valid.")  # [U] wording
    if provider_type in SOCIAL and name != provider_type:
        raise _invalid(f"Provider name must be {provider_type} for provider type {provider_type}.")  # [U]
    if name.lower() == "cognito":
        raise _invalid(f"Provider name {name} is reserved.")  # [U]


def check_identifiers(identifiers: list[str]) -> list[str]:
    if len(identifiers) > 50:
        raise _invalid("IdpIdentifiers can contain at most 50 identifiers.")  # [C] 0–50; wording U
    for identifier in identifiers:
        if not _IDENTIFIER.match(identifier):
            raise _invalid(f"Invalid IdpIdentifier: {identifier}")  # [U] wording
    if len(set(identifiers)) != len(identifiers):
        raise _invalid("Duplicate IdpIdentifiers are not allowed.")  # [U]
    return identifiers


def check_mapping(mapping: Mapping[str, str], provider_type: str, schema: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """AttributeMapping: pool attribute → IdP claim. Keys are the pool's attributes or ``username``; a mapped
    custom attribute must be mutable [C: DG23 specifying-attribute-mapping]; ``username`` maps to the type's
    subject claim for the social types (it names the user) [U: userpools refuses another claim for them]."""
    out: dict[str, str] = {}
    for name, claim in mapping.items():
        if not claim or len(claim) > 2048:  # [U] limit of the claim name
            raise _invalid(f"Invalid attribute mapping for {name}.")
        if name == "username":
            if provider_type in SUBJECT_CLAIM and provider_type != OIDC and claim != SUBJECT_CLAIM[provider_type]:
                raise _invalid(f"username can only be mapped to {SUBJECT_CLAIM[provider_type]} for "
                               f"{provider_type}.")  # [U]
        elif name == "sub" or name == "identities":
            raise _invalid(f"Attribute {name} cannot be mapped.")  # [C: read-only; wording U]
        elif name not in schema:
            raise _invalid(f"Invalid attribute mapping. Attribute {name} doesn't exist in the user pool.")  # [U]
        elif name.startswith("custom:") and not schema[name].get("Mutable", True):
            raise _invalid(f"Invalid attribute mapping. Attribute {name} is not mutable.")  # [U]
        out[name] = claim
    return out


def default_mapping(provider_type: str) -> dict[str, str]:
    """Describe shows ``username`` → the subject claim [C: OIDC sub, O: Facebook id; U for the others]."""
    claim = SUBJECT_CLAIM.get(provider_type)
    return {} if claim is None else {"username": claim}


def check_details(provider_type: str, details: Mapping[str, str], *, previous: Mapping[str, str] | None = None
                  ) -> dict[str, str]:
    """The ProviderDetails as kept (what was given, on an update merged over what was kept, keys derived by
    ``derived_details`` left out). Raises InvalidParameterException for a missing or bad key."""
    kept = dict(previous or {})
    for key in _derivable(provider_type):
        kept.pop(key, None)
    kept.update(details)
    missing = [key for key in REQUIRED[provider_type] if not kept.get(key)]
    if missing:
        # [U] wording; Cognito names the first missing key
        raise _invalid(f"{missing[0]} is required for provider type {provider_type}.")
    if provider_type == OIDC:
        method = kept["attributes_request_method"]
        if method not in ("GET", "POST"):
            raise _invalid("attributes_request_method must be GET or POST.")  # [U] wording
        if "openid" not in kept["authorize_scopes"].replace(",", " ").split():
            raise _invalid("authorize_scopes must include openid.")  # [C: OIDC IdPs need openid; wording U]
    if provider_type == SAML:
        # an update that gives one of the two replaces the other kept before
        for given, other in (("MetadataURL", "MetadataFile"), ("MetadataFile", "MetadataURL")):
            if given in details and other not in details:
                kept.pop(other, None)
        has_url, has_file = bool(kept.get("MetadataURL")), bool(kept.get("MetadataFile"))
        if has_url == has_file:
            raise _invalid("Exactly one of MetadataURL or MetadataFile must be provided.")  # [U] wording
        for flag in ("IDPInit", "IDPSignout", "EncryptedResponses"):
            if flag in kept and kept[flag] not in ("true", "false"):
                raise _invalid(f"{flag} must be true or false.")  # [U]
        if kept.get("RequestSigningAlgorithm", "rsa-sha256") != "rsa-sha256":
            raise _invalid("RequestSigningAlgorithm must be rsa-sha256.")  # [C] the only value
        if has_file:
            saml_endpoints(kept["MetadataFile"])  # refuses metadata that is not an IdP's
    if provider_type == APPLE and "private_key" in details:
        apple_private_key(kept["private_key"])  # refused now rather than at every sign-in [O]
    return kept


def apple_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    """The .p8 key of a SignInWithApple provider: a PEM private key, or its base64 body alone on one line (what
    Amplify's CLI has users paste [O: aws-amplify/docs#5018]); Apple's keys are P-256 (ES256) [C: Apple's
    "Creating a client secret"]. Anything else → InvalidParameterException with Cognito's words [O]."""
    body = text.strip()
    if "-----BEGIN" not in body:
        compact = "".join(body.split())
        body = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(
            compact[i:i + 64] for i in range(0, len(compact), 64)) + "\n-----END PRIVATE KEY-----\n"
    try:
        key = serialization.load_pem_private_key(body.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise _invalid(APPLE_KEY_REFUSED) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise _invalid(APPLE_KEY_REFUSED)
    return key


def check_acr_mapping(mapping: Mapping[str, str], provider_type: str) -> dict[str, str]:
    """AcrMapping: pool ACR level (Level1–Level4, checked with each value's form by the model) → the ACR value
    the IdP uses; only OIDC providers take one [C]. An empty mapping clears it."""
    if mapping and provider_type != OIDC:
        raise _invalid(ACR_MAPPING_OIDC_ONLY)
    return {level: mapping[level] for level in ACR_LEVELS if level in mapping}


def _derivable(provider_type: str) -> tuple[str, ...]:
    if provider_type == SAML:
        return ("ActiveEncryptionCertificate", "SLORedirectBindingURI", "SSORedirectBindingURI")
    return ()


def saml_endpoints(metadata: str) -> dict[str, str]:
    """SSORedirectBindingURI and SLORedirectBindingURI of an IdP's metadata (HTTP-Redirect binding)."""
    if "<!DOCTYPE" in metadata.upper() or "<!ENTITY" in metadata.upper():
        raise _invalid("Invalid SAML metadata: document type declarations are not allowed.")  # entity expansion
    try:
        root = ElementTree.fromstring(metadata)
    except ElementTree.ParseError:
        raise _invalid("Invalid SAML metadata: the document is not XML.") from None  # [U] wording
    idp = root.find(f".//{{{_SAML_MD}}}IDPSSODescriptor")
    if idp is None:
        raise _invalid("Invalid SAML metadata: no IDPSSODescriptor.")  # [U] wording
    out: dict[str, str] = {}
    for tag, key in (("SingleSignOnService", "SSORedirectBindingURI"), ("SingleLogoutService", "SLORedirectBindingURI")):
        for service in idp.findall(f"{{{_SAML_MD}}}{tag}"):
            if service.get("Binding") == _REDIRECT and service.get("Location"):
                out[key] = str(service.get("Location"))
                break
    return out


#: How often metadata read from a MetadataURL is read again [C: DG "every 6 hours or before the metadata
#: expires, whichever is earlier"]; a failed read is tried again after RETRY [U]
METADATA_REFRESH_SECONDS: Final = 6 * 3600
METADATA_RETRY_SECONDS: Final = 300
#: a response whose signature the kept metadata does not verify has it read again, at most once a minute (so
#: forged responses cannot make the server hammer the IdP) [U]
METADATA_REREAD_SECONDS: Final = 60


def metadata_refresh_due(now: float, metadata: str) -> float:
    """When metadata read now from a MetadataURL is read again: in 6 hours, or when its ``validUntil`` comes if
    that is sooner (never sooner than the retry delay, so metadata that has already expired is not read at
    every sign-in)."""
    due = now + METADATA_REFRESH_SECONDS
    until = _valid_until(metadata)
    if until is not None:
        due = min(due, max(until, now + METADATA_RETRY_SECONDS))
    return due


def _metadata_root(metadata: str) -> ElementTree.Element | None:
    """The metadata's XML root; None for empty or unparseable text, or one with a DTD (no entity expansion)."""
    if not metadata or "<!DOCTYPE" in metadata.upper() or "<!ENTITY" in metadata.upper():
        return None
    try:
        return ElementTree.fromstring(metadata)
    except ElementTree.ParseError:
        return None


def _valid_until(metadata: str) -> float | None:
    root = _metadata_root(metadata)
    if root is None:
        return None
    found = [root.get("validUntil")] + [e.get("validUntil") for e in root.iter(f"{{{_SAML_MD}}}EntityDescriptor")]
    moments = []
    for text in (t for t in found if t):
        try:
            moment = datetime.fromisoformat(text)
            moments.append((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())
        except ValueError:
            continue
    return min(moments) if moments else None


def saml_entity_id(metadata: str) -> str | None:
    """The entityID of an IdP's metadata (its EntityDescriptor's, or the first one's with an IDPSSODescriptor)."""
    root = _metadata_root(metadata)
    if root is None:
        return None
    for entity in root.iter(f"{{{_SAML_MD}}}EntityDescriptor"):
        if entity.find(f"{{{_SAML_MD}}}IDPSSODescriptor") is not None:
            return entity.get("entityID")
    return None


def check_quota(count: int) -> None:
    if count >= MAX_PROVIDERS:
        raise LimitExceededException(f"The user pool can have at most {MAX_PROVIDERS} identity providers.")  # [U]


# --- what Describe shows ------------------------------------------------------------------------------------


def derived_details(document: Mapping[str, Any]) -> dict[str, str]:
    """The kept details with the derived keys (the discovery's URLs for OIDC are kept at creation)."""
    provider_type = document["ProviderType"]
    details = dict(document["ProviderDetails"])
    if provider_type == OIDC:
        for key, value in (document.get("Derived") or {}).items():
            details.setdefault(key, value)  # the discovery's URLs; the ones given win
        details.setdefault("attributes_url_add_attributes", "false")
    elif provider_type == FACEBOOK:
        version = details.setdefault("api_version", FACEBOOK_DEFAULT_VERSION)
        for key, value in {
            "attributes_url": f"https://graph.facebook.com/{version}/me?fields=",
            "attributes_url_add_attributes": "true",
            "authorize_url": f"https://www.facebook.com/{version}/dialog/oauth",
            "token_request_method": "GET",
            "token_url": f"https://graph.facebook.com/{version}/oauth/access_token",
        }.items():
            details.setdefault(key, value)
    elif provider_type in _SOCIAL_DERIVED:
        for key, value in _SOCIAL_DERIVED[provider_type].items():
            details.setdefault(key, value)
    elif provider_type == SAML:
        if details.get("MetadataFile"):
            details.update(saml_endpoints(details["MetadataFile"]))
        derived = document.get("Derived") or {}  # the metadata read from MetadataURL itself is not shown
        details.update({k: v for k, v in derived.items() if v and k in _derivable(SAML)})
    return details


def describe(document: Mapping[str, Any], pool_id: str, created: datetime, modified: datetime) -> dict[str, Any]:
    """IdentityProviderType as DescribeIdentityProvider shows it; Apple's private_key never leaves [C]."""
    details = derived_details(document)
    details.pop("private_key", None)
    mapping = default_mapping(document["ProviderType"]) | dict(document.get("AttributeMapping") or {})
    shown = {
        "UserPoolId": pool_id, "ProviderName": document["ProviderName"], "ProviderType": document["ProviderType"],
        "ProviderDetails": details, "AttributeMapping": mapping,
        "IdpIdentifiers": list(document.get("IdpIdentifiers") or []),
        "LastModifiedDate": modified, "CreationDate": created,
    }
    if document.get("AcrMapping"):  # shown when set [U: absent, not empty, otherwise]
        shown["AcrMapping"] = dict(document["AcrMapping"])
    return shown


# --- ACR levels through an OIDC provider ---------------------------------------------------------------------


def level_names(pool_settings: Mapping[str, Any]) -> dict[str, str]:
    """The pool's name of each ACR level: its AcrConfiguration's, else ``urn:cognito:loa:<n>`` [C]."""
    configured = pool_settings.get("AcrConfiguration") or {}
    return {level: str((configured.get(level) or {}).get("AcrValue") or DEFAULT_ACR_NAMES[level])
            for level in ACR_LEVELS}


def requested_levels(acr_values: str | None, pool_settings: Mapping[str, Any]) -> list[str]:
    """The pool levels an authorization request's ``acr_values`` names (the pool's level names, in order; names
    the pool does not know are left out [U])."""
    by_name = {name: level for level, name in level_names(pool_settings).items()}
    return list(dict.fromkeys(by_name[v] for v in (acr_values or "").split() if v in by_name))


def upstream_acr_values(levels: list[str], acr_mapping: Mapping[str, str]) -> str | None:
    """The ``acr_values`` sent to the IdP: each requested level translated by the AcrMapping, in the order
    asked [C: "translate a requested user pool ACR level to the value that the IdP expects"]; a level the
    mapping leaves out is not sent [U]; None when nothing is left."""
    values = list(dict.fromkeys(acr_mapping[level] for level in levels if level in acr_mapping))
    return " ".join(values) or None


def reached_level(upstream_acr: Any, acr_mapping: Mapping[str, str]) -> str:
    """The pool level an IdP's ``acr`` claim maps back to; a value the mapping does not name (or none) is the
    lowest level [C]. A value two levels share is the lower of them [U: never overstate]."""
    for level in ACR_LEVELS:
        if isinstance(upstream_acr, str) and acr_mapping.get(level) == upstream_acr:
            return level
    return ACR_LEVELS[0]


def upstream_amr(claims: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The IdP's ``amr`` claim, passed on when it is a list of strings [C: taken from the IdP's response]."""
    value = claims.get("amr")
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


# --- the federated user --------------------------------------------------------------------------------------


def federated_username(provider_name: str, subject: str) -> str:
    """``<provider>_<subject>``; recent Cognito lower-cases the provider part [O: real tokens 2023–2024]."""
    return f"{provider_name.lower()}_{subject}"


def auto_group(pool_id: str, provider_name: str) -> str:
    """The group every user of a provider joins, the provider name's case kept [O]."""
    return f"{pool_id}_{provider_name}"


def identity(provider_name: str, provider_type: str, subject: str, issuer: str | None, created_ms: int, *,
             primary: bool) -> dict[str, Any]:
    """One entry of ``identities`` in the form of real ID tokens (``primary`` and ``dateCreated`` strings) [O]."""
    return {"userId": subject, "providerName": provider_name, "providerType": provider_type,
            "issuer": issuer if provider_type in (OIDC, SAML) else None,
            "primary": "true" if primary else "false", "dateCreated": str(created_ms)}


def identities_of(text: str | None) -> list[dict[str, Any]]:
    if not text:
        return []
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return []
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def identities_text(entries: list[dict[str, Any]]) -> str:
    return orjson.dumps(entries).decode()


def mapped_attributes(mapping: Mapping[str, str], claims: Mapping[str, Any]) -> dict[str, str]:
    """The pool attributes a sign-in writes: each mapped claim present (a vanished one is left as is [C]);
    lists are URL-form-encoded joined [C: multi-valued], booleans lower-case, values ≤2048 [C]."""
    out: dict[str, str] = {}
    for attribute, claim in mapping.items():
        if attribute == "username" or claim not in claims or claims[claim] is None:
            continue
        value = claims[claim]
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list):  # an element that is not a string is its JSON (never Python's repr)
            text = ",".join(quote(v if isinstance(v, str) else orjson.dumps(v).decode(), safe="") for v in value)
        elif isinstance(value, dict):
            text = orjson.dumps(value).decode()
        else:
            text = str(value)
        out[attribute] = text[:2048]
    return out

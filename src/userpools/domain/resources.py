"""A pool's OAuth configuration documents: domains, resource servers, classic hosted-UI customizations.

They are kept by one store port (``tx.resources``) as ``PoolResource`` records: a ``kind``, a ``key`` unique
within the kind, the pool they belong to (deleting the pool deletes them), and a JSON ``document`` in
Cognito's own member names, so the operations show it as stored and the OAuth endpoints read it directly.

Kinds and keys (the helpers below build them; nothing else should):

- ``domain``: key = the ``Domain`` string as given to CreateUserPoolDomain, the prefix alone for a prefix
  domain (``myapp``: served as ``myapp.auth.<region>.amazoncognito.com``), the full name for a custom domain
  (``auth.example.com``). The key is the whole namespace: a domain belongs to one pool at most (a prefix has
  no dot, a custom domain has one, so the two never collide). Document: DomainDescriptionType as
  DescribeUserPoolDomain shows it (see ``domain.domains``).
- ``resource_server``: key = ``<pool id>/<Identifier>``. Document: ResourceServerType (UserPoolId, Identifier,
  Name, Scopes [{ScopeName, ScopeDescription}]).
- ``ui_customization``: key = ``<pool id>/<client id or ALL>``. Document: see ``domain.ui_customization``.
"""

from __future__ import annotations

from typing import Final

from userpools.domain.records import PoolResource

__all__ = ["PoolResource"]

DOMAIN: Final = "domain"
RESOURCE_SERVER: Final = "resource_server"
UI_CUSTOMIZATION: Final = "ui_customization"
KINDS: Final = (DOMAIN, RESOURCE_SERVER, UI_CUSTOMIZATION)


def domain_key(domain: str) -> str:
    return domain


def resource_server_key(pool_id: str, identifier: str) -> str:
    return f"{pool_id}/{identifier}"


def ui_customization_key(pool_id: str, client_id: str | None) -> str:
    return f"{pool_id}/{client_id or 'ALL'}"


# --- terms, managed login branding, client ID metadata documents (branch oauth-terms) ---------------------
#
# - ``terms``: key = ``<pool id>/<TermsId>``. Document: TermsType without the dates (see ``domain.terms``).
# - ``terms_name``: key = ``<pool id>/<client id>/<TermsName>``; document ``{"TermsId"}``. The index that makes
#   a TermsName unique per app client and serves DescribeTermsByClient.
# - ``managed_login_branding``: key = ``<pool id>/<ManagedLoginBrandingId>``. Document: see ``domain.branding``.
# - ``managed_login_branding_client``: key = ``<pool id>/<client id>``; document ``{"ManagedLoginBrandingId"}``.
#   One style per app client, and DescribeManagedLoginBrandingByClient.
# - ``cimd_policy``: key = ``<pool id>/<CIMDPolicyId>``. Document: see ``domain.cimd``.
# - ``cimd_url``: key = ``<pool id>/<CIMDPolicyId>/<URL>``: a client metadata document URL the authorization
#   endpoint met under the policy, with its cached document (see ``domain.cimd``).

TERMS: Final = "terms"
TERMS_NAME: Final = "terms_name"
MANAGED_LOGIN_BRANDING: Final = "managed_login_branding"
MANAGED_LOGIN_BRANDING_CLIENT: Final = "managed_login_branding_client"
CIMD_POLICY: Final = "cimd_policy"
CIMD_URL: Final = "cimd_url"


def terms_key(pool_id: str, terms_id: str) -> str:
    return f"{pool_id}/{terms_id}"


def terms_name_key(pool_id: str, client_id: str, terms_name: str) -> str:
    return f"{pool_id}/{client_id}/{terms_name}"


def branding_key(pool_id: str, branding_id: str) -> str:
    return f"{pool_id}/{branding_id}"


def branding_client_key(pool_id: str, client_id: str) -> str:
    return f"{pool_id}/{client_id}"


def cimd_policy_key(pool_id: str, policy_id: str) -> str:
    return f"{pool_id}/{policy_id}"


def cimd_url_key(pool_id: str, policy_id: str, url: str) -> str:
    return f"{pool_id}/{policy_id}/{url}"


# --- threat protection and log delivery (branch risk) ------------------------------------------------------
#
# - ``risk_configuration``: key = ``<pool id>/<client id or ALL>``. Document: SetRiskConfiguration's
#   CompromisedCredentialsRiskConfiguration, AccountTakeoverRiskConfiguration and RiskExceptionConfiguration as
#   given (see ``domain.risk``); ALL is the pool's own, a client's replaces it for that client.
# - ``log_delivery``: key = ``<pool id>``. Document: ``{"LogConfigurations": [...]}`` as
#   SetLogDeliveryConfiguration gave them (see ``operations.log_delivery``).

RISK_CONFIGURATION: Final = "risk_configuration"
LOG_DELIVERY: Final = "log_delivery"


def risk_configuration_key(pool_id: str, client_id: str | None) -> str:
    return f"{pool_id}/{client_id or 'ALL'}"


def log_delivery_key(pool_id: str) -> str:
    return pool_id


# --- federation (branch federation) ---------------------------------------------------------------------------
#
# - ``identity_provider``: key = ``<pool id>/<ProviderName>``. Document: ProviderName, ProviderType,
#   ProviderDetails (as given, secrets included: Describe leaves Apple's private_key out), AttributeMapping,
#   IdpIdentifiers, Derived (what was read from the provider: an OIDC issuer's endpoints, SAML metadata).
# - ``idp_identifier``: key = ``<pool id>/<IdpIdentifier>``; document ``{"ProviderName"}``. Makes an
#   identifier unique in the pool and serves GetIdentityProviderByIdentifier and ``idp_identifier=``.
# - ``idp_link``: key = ``<pool id>/<ProviderName>/<attribute>/<value>`` (attribute Cognito_Subject or a mapped
#   pool attribute); document ``{"username_key", "sub"}``: AdminLinkProviderForUser's link to a native user.
# - ``saml_signing``: key = ``<pool id>``; document ``{"Certificate"}`` (base64 DER) and ``{"PrivateKey"}``
#   (base64 of the key's PEM encrypted under the data key): GetSigningCertificate; it signs AuthnRequests and
#   LogoutRequests.
# - ``saml_encryption``: the same shape, a second key pair: ActiveEncryptionCertificate of SAML providers with
#   EncryptedResponses, whose key decrypts their assertions (one key per purpose).
# - ``saml_state`` and ``saml_assertion``: not resources: ``oauth_grants`` kinds (see ``operations.saml``).
# - ``idp_state``: not a resource: the broker's pending upstream sign-ins are ``oauth_grants`` (kind
#   ``idp_state``, see ``operations.federation``).

IDENTITY_PROVIDER: Final = "identity_provider"
IDP_IDENTIFIER: Final = "idp_identifier"
IDP_LINK: Final = "idp_link"
SAML_SIGNING: Final = "saml_signing"
SAML_ENCRYPTION: Final = "saml_encryption"


def identity_provider_key(pool_id: str, name: str) -> str:
    return f"{pool_id}/{name}"


def idp_identifier_key(pool_id: str, identifier: str) -> str:
    return f"{pool_id}/{identifier}"


def idp_link_key(pool_id: str, provider_name: str, attribute: str, value: str) -> str:
    return f"{pool_id}/{provider_name}/{attribute}/{value}"


def saml_signing_key(pool_id: str) -> str:
    return pool_id


# --- replicas (branch replicas) -------------------------------------------------------------------------------
#
# - ``replica_lockout``: key = ``<pool id>/<region>/<username key>``; document ``{"failed_attempts": int,
#   "locked_until": ISO 8601 or null}``: a secondary Region's own sign-in failure counters (Cognito keeps lockout
#   counters per replica [DG-mrr]); the primary's stay on the user record. Not cached (not configuration).

REPLICA_LOCKOUT: Final = "replica_lockout"


def replica_lockout_key(pool_id: str, region: str, username_key: str) -> str:
    return f"{pool_id}/{region}/{username_key}"

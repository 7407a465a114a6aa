"""Identity provider operations through boto3 against a live server (SQLite and PostgreSQL): per-type validation,
the derived ProviderDetails, identifiers, mappings, linking, disabling and the signing certificate."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from accounts import PASSWORD, make_client, make_user
from botocore.exceptions import ClientError
from cryptography import x509
from test_pools import error_of

OIDC_URLS = {
    "authorize_url": "https://idp.example.com/authorize",
    "token_url": "https://idp.example.com/token",
    "attributes_url": "https://idp.example.com/userinfo",
    "jwks_uri": "https://idp.example.com/jwks",
}
OIDC = {"client_id": "cid", "client_secret": "csecret", "authorize_scopes": "openid email",
        "attributes_request_method": "GET", "oidc_issuer": "https://idp.example.com"} | OIDC_URLS
SAML_METADATA = """<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://saml.example.com">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://saml.example.com/slo"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://saml.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""
SOCIAL = {"client_id": "cid", "client_secret": "csecret", "authorize_scopes": "openid email profile"}
APPLE = {"client_id": "com.example.app", "team_id": "TEAM123456", "key_id": "KEY1234567",
         "private_key": "-----BEGIN PRIVATE KEY-----\nMIGTAgEA\n-----END PRIVATE KEY-----",
         "authorize_scopes": "email name"}


def create(cognito: Any, pool_id: str, name: str = "MyOIDC", provider_type: str = "OIDC",
           details: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    return cognito.create_identity_provider(
        UserPoolId=pool_id, ProviderName=name, ProviderType=provider_type,
        ProviderDetails=OIDC if details is None else details, **extra,
    )["IdentityProvider"]


def refused(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as failed:
        call(**kwargs)
    return error_of(failed)


def test_an_oidc_provider_is_described_as_created(cognito: Any, pool: dict[str, Any]) -> None:
    created = create(cognito, pool["Id"], AttributeMapping={"email": "email"}, IdpIdentifiers=["example.com"])
    assert created["ProviderName"] == "MyOIDC" and created["ProviderType"] == "OIDC"
    assert created["ProviderDetails"] == OIDC | {"attributes_url_add_attributes": "false"}
    assert created["AttributeMapping"] == {"email": "email", "username": "sub"}
    assert created["IdpIdentifiers"] == ["example.com"]
    described = cognito.describe_identity_provider(UserPoolId=pool["Id"], ProviderName="MyOIDC")
    assert described["IdentityProvider"] == created


def test_oidc_discovery_fills_the_endpoints(server: Any, cognito: Any, pool: dict[str, Any]) -> None:
    upstream = cognito.create_user_pool(PoolName="upstream")["UserPool"]["Id"]
    cognito.create_user_pool_domain(UserPoolId=upstream, Domain=f"up-{upstream.split('_')[1].lower()}")
    try:
        issuer = f"{server.url}/{upstream}"
        details = {k: v for k, v in OIDC.items() if k not in OIDC_URLS} | {"oidc_issuer": issuer}
        created = create(cognito, pool["Id"], details=details)["ProviderDetails"]
        assert created["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
        assert created["authorize_url"].endswith("/oauth2/authorize")
        assert created["token_url"].endswith("/oauth2/token")
        assert "attributes_url" in created
    finally:
        cognito.delete_user_pool_domain(UserPoolId=upstream, Domain=f"up-{upstream.split('_')[1].lower()}")
        cognito.delete_user_pool(UserPoolId=upstream)


def test_an_unreachable_issuer_is_refused(cognito: Any, pool: dict[str, Any]) -> None:
    details = {k: v for k, v in OIDC.items() if k not in OIDC_URLS} | {"oidc_issuer": "http://127.0.0.1:9/x"}
    code, _ = refused(cognito.create_identity_provider, UserPoolId=pool["Id"], ProviderName="Down",
                      ProviderType="OIDC", ProviderDetails=details)
    assert code == "InvalidParameterException"
    assert cognito.list_identity_providers(UserPoolId=pool["Id"])["Providers"] == []


@pytest.mark.parametrize(("provider_type", "details", "derived"), [
    ("Google", SOCIAL, {"authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
                        "oidc_issuer": "https://accounts.google.com", "token_request_method": "POST"}),
    ("Facebook", SOCIAL | {"api_version": "v17.0"}, {
        "attributes_url": "https://graph.facebook.com/v17.0/me?fields=", "token_request_method": "GET"}),
    ("LoginWithAmazon", SOCIAL, {"authorize_url": "https://www.amazon.com/ap/oa",
                                 "token_url": "https://api.amazon.com/auth/o2/token"}),
    ("SignInWithApple", APPLE, {"authorize_url": "https://appleid.apple.com/auth/authorize",
                                "oidc_issuer": "https://appleid.apple.com"}),
])
def test_social_providers_show_their_documented_endpoints(
    cognito: Any, pool: dict[str, Any], provider_type: str, details: dict[str, str], derived: dict[str, str]
) -> None:
    created = create(cognito, pool["Id"], provider_type, provider_type, details)
    shown = created["ProviderDetails"]
    assert derived.items() <= shown.items()
    assert "private_key" not in shown
    assert created["AttributeMapping"]["username"] in ("sub", "id", "user_id")


def test_apples_private_key_is_never_echoed(cognito: Any, pool: dict[str, Any]) -> None:
    create(cognito, pool["Id"], "SignInWithApple", "SignInWithApple", APPLE)
    described = cognito.describe_identity_provider(UserPoolId=pool["Id"], ProviderName="SignInWithApple")
    assert "private_key" not in described["IdentityProvider"]["ProviderDetails"]
    assert described["IdentityProvider"]["ProviderDetails"]["key_id"] == APPLE["key_id"]


def test_a_saml_provider_shows_the_metadata_endpoints(cognito: Any, pool: dict[str, Any]) -> None:
    created = create(cognito, pool["Id"], "Corp", "SAML", {"MetadataFile": SAML_METADATA, "IDPSignout": "true"})
    details = created["ProviderDetails"]
    assert details["SSORedirectBindingURI"] == "https://saml.example.com/sso"
    assert details["SLORedirectBindingURI"] == "https://saml.example.com/slo"


@pytest.mark.parametrize(("name", "provider_type", "details"), [
    ("MyOIDC", "OIDC", {k: v for k, v in OIDC.items() if k != "client_id"}),
    ("MyOIDC", "OIDC", OIDC | {"attributes_request_method": "PUT"}),
    ("MyOIDC", "OIDC", OIDC | {"authorize_scopes": "email"}),
    ("Google", "Google", {"client_id": "cid", "authorize_scopes": "email"}),
    ("Gmail", "Google", SOCIAL),
    ("SignInWithApple", "SignInWithApple", {k: v for k, v in APPLE.items() if k != "private_key"}),
    ("Corp", "SAML", {}),
    ("Corp", "SAML", {"MetadataFile": SAML_METADATA, "MetadataURL": "https://saml.example.com/md"}),
    ("Corp", "SAML", {"MetadataFile": "not xml"}),
    ("Corp", "SAML", {"MetadataFile": SAML_METADATA, "IDPInit": "yes"}),
    ("_bad", "OIDC", OIDC),
    ("COGNITO", "OIDC", OIDC),
])
def test_invalid_providers_are_refused(
    cognito: Any, pool: dict[str, Any], name: str, provider_type: str, details: dict[str, str]
) -> None:
    code, _ = refused(cognito.create_identity_provider, UserPoolId=pool["Id"], ProviderName=name,
                      ProviderType=provider_type, ProviderDetails=details)
    assert code == "InvalidParameterException"
    assert cognito.list_identity_providers(UserPoolId=pool["Id"])["Providers"] == []


@pytest.mark.parametrize("mapping", [
    {"nonexistent": "x"}, {"sub": "sub"}, {"identities": "x"}, {"custom:missing": "x"},
])
def test_invalid_attribute_mappings_are_refused(cognito: Any, pool: dict[str, Any], mapping: dict[str, str]) -> None:
    code, _ = refused(cognito.create_identity_provider, UserPoolId=pool["Id"], ProviderName="MyOIDC",
                      ProviderType="OIDC", ProviderDetails=OIDC, AttributeMapping=mapping)
    assert code == "InvalidParameterException"


def test_a_social_username_maps_only_to_its_subject(cognito: Any, pool: dict[str, Any]) -> None:
    code, _ = refused(cognito.create_identity_provider, UserPoolId=pool["Id"], ProviderName="Facebook",
                      ProviderType="Facebook", ProviderDetails=SOCIAL, AttributeMapping={"username": "email"})
    assert code == "InvalidParameterException"


def test_the_same_name_twice_is_a_duplicate_provider(cognito: Any, pool: dict[str, Any]) -> None:
    create(cognito, pool["Id"])
    code, _ = refused(cognito.create_identity_provider, UserPoolId=pool["Id"], ProviderName="MyOIDC",
                      ProviderType="OIDC", ProviderDetails=OIDC)
    assert code == "DuplicateProviderException"


def test_an_identifier_belongs_to_one_provider(cognito: Any, pool: dict[str, Any]) -> None:
    create(cognito, pool["Id"], "One", IdpIdentifiers=["corp.example"])
    code, _ = refused(cognito.create_identity_provider, UserPoolId=pool["Id"], ProviderName="Two",
                      ProviderType="OIDC", ProviderDetails=OIDC, IdpIdentifiers=["corp.example"])
    assert code == "InvalidParameterException"
    found = cognito.get_identity_provider_by_identifier(UserPoolId=pool["Id"], IdpIdentifier="corp.example")
    assert found["IdentityProvider"]["ProviderName"] == "One"
    code, _ = refused(cognito.get_identity_provider_by_identifier, UserPoolId=pool["Id"], IdpIdentifier="nope")
    assert code == "ResourceNotFoundException"


def test_update_merges_details_and_moves_identifiers(cognito: Any, pool: dict[str, Any]) -> None:
    create(cognito, pool["Id"], IdpIdentifiers=["old.example"])
    updated = cognito.update_identity_provider(
        UserPoolId=pool["Id"], ProviderName="MyOIDC", ProviderDetails={"authorize_scopes": "openid profile"},
        IdpIdentifiers=["new.example"], AttributeMapping={"name": "name"},
    )["IdentityProvider"]
    assert updated["ProviderDetails"]["authorize_scopes"] == "openid profile"
    assert updated["ProviderDetails"]["client_id"] == "cid"
    assert updated["AttributeMapping"] == {"name": "name", "username": "sub"}
    assert updated["LastModifiedDate"] >= updated["CreationDate"]
    new = cognito.get_identity_provider_by_identifier(UserPoolId=pool["Id"], IdpIdentifier="new.example")
    assert new["IdentityProvider"]["ProviderName"] == "MyOIDC"
    code, _ = refused(cognito.get_identity_provider_by_identifier, UserPoolId=pool["Id"], IdpIdentifier="old.example")
    assert code == "ResourceNotFoundException"


def test_delete_removes_the_provider_and_its_identifiers(cognito: Any, pool: dict[str, Any]) -> None:
    create(cognito, pool["Id"], IdpIdentifiers=["corp.example"])
    cognito.delete_identity_provider(UserPoolId=pool["Id"], ProviderName="MyOIDC")
    for call, kwargs in (
        (cognito.describe_identity_provider, {"ProviderName": "MyOIDC"}),
        (cognito.delete_identity_provider, {"ProviderName": "MyOIDC"}),
        (cognito.update_identity_provider, {"ProviderName": "MyOIDC", "ProviderDetails": OIDC}),
        (cognito.get_identity_provider_by_identifier, {"IdpIdentifier": "corp.example"}),
    ):
        assert refused(call, UserPoolId=pool["Id"], **kwargs)[0] == "ResourceNotFoundException"
    create(cognito, pool["Id"], "Other", IdpIdentifiers=["corp.example"])  # the identifier is free again


def test_deleting_a_provider_forgets_its_links(cognito: Any, pool: dict[str, Any]) -> None:
    create(cognito, pool["Id"])
    first = make_user(cognito, pool["Id"])
    link(cognito, pool["Id"], first)
    cognito.delete_identity_provider(UserPoolId=pool["Id"], ProviderName="MyOIDC")
    create(cognito, pool["Id"])
    link(cognito, pool["Id"], make_user(cognito, pool["Id"]))  # the identity is free to link again


def test_list_pages_through_the_providers_in_name_order(cognito: Any, pool: dict[str, Any]) -> None:
    for name in ("Ccc", "Aaa", "Bbb"):
        create(cognito, pool["Id"], name)
    first = cognito.list_identity_providers(UserPoolId=pool["Id"], MaxResults=2)
    assert [p["ProviderName"] for p in first["Providers"]] == ["Aaa", "Bbb"]
    assert set(first["Providers"][0]) == {"ProviderName", "ProviderType", "LastModifiedDate", "CreationDate"}
    rest = cognito.list_identity_providers(UserPoolId=pool["Id"], MaxResults=2, NextToken=first["NextToken"])
    assert [p["ProviderName"] for p in rest["Providers"]] == ["Ccc"] and "NextToken" not in rest
    paginated = cognito.get_paginator("list_identity_providers").paginate(UserPoolId=pool["Id"], MaxResults=1)
    assert [p["ProviderName"] for page in paginated for p in page["Providers"]] == ["Aaa", "Bbb", "Ccc"]


def test_an_unknown_pool_is_resource_not_found(cognito: Any) -> None:
    code, _ = refused(cognito.list_identity_providers, UserPoolId="us-east-1_nope12345")
    assert code == "ResourceNotFoundException"


def test_clients_may_support_existing_providers_only(cognito: Any, pool: dict[str, Any]) -> None:
    code, message = refused(cognito.create_user_pool_client, UserPoolId=pool["Id"], ClientName="app",
                            SupportedIdentityProviders=["COGNITO", "MyOIDC"])
    assert code == "InvalidParameterException" and "MyOIDC" in message
    create(cognito, pool["Id"])
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="app",
                                             SupportedIdentityProviders=["COGNITO", "MyOIDC"])["UserPoolClient"]
    assert client["SupportedIdentityProviders"] == ["COGNITO", "MyOIDC"]
    updated = cognito.update_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"],
                                              SupportedIdentityProviders=["MyOIDC"])["UserPoolClient"]
    assert updated["SupportedIdentityProviders"] == ["MyOIDC"]


def test_the_signing_certificate_is_one_per_pool(cognito: Any, pool: dict[str, Any]) -> None:
    first = cognito.get_signing_certificate(UserPoolId=pool["Id"])["Certificate"]
    assert cognito.get_signing_certificate(UserPoolId=pool["Id"])["Certificate"] == first
    certificate = x509.load_der_x509_certificate(base64.b64decode(first))
    assert pool["Id"] in certificate.subject.rfc4514_string()
    assert (certificate.not_valid_after_utc - certificate.not_valid_before_utc).days >= 3650
    code, _ = refused(cognito.get_signing_certificate, UserPoolId="us-east-1_nope12345")
    assert code == "ResourceNotFoundException"


def test_encrypted_saml_responses_show_the_pools_encryption_certificate(cognito: Any, pool: dict[str, Any]) -> None:
    created = create(cognito, pool["Id"], "Corp", "SAML", {"MetadataFile": SAML_METADATA, "EncryptedResponses": "true"})
    signing = cognito.get_signing_certificate(UserPoolId=pool["Id"])["Certificate"]
    encryption = created["ProviderDetails"]["ActiveEncryptionCertificate"]
    assert encryption != signing  # a key pair of its own, the same for every provider of the pool
    again = create(cognito, pool["Id"], "Other", "SAML", {"MetadataFile": SAML_METADATA, "EncryptedResponses": "true"})
    assert again["ProviderDetails"]["ActiveEncryptionCertificate"] == encryption


# --- linking and disabling --------------------------------------------------------------------------------------


def link(cognito: Any, pool_id: str, username: str, provider: str = "MyOIDC", subject: str = "abc",
         attribute: str = "Cognito_Subject") -> Any:
    return cognito.admin_link_provider_for_user(
        UserPoolId=pool_id, DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": username},
        SourceUser={"ProviderName": provider, "ProviderAttributeName": attribute, "ProviderAttributeValue": subject},
    )


def identities_of(cognito: Any, pool_id: str, username: str) -> list[dict[str, Any]]:
    import json

    user = cognito.admin_get_user(UserPoolId=pool_id, Username=username)
    text = {a["Name"]: a["Value"] for a in user["UserAttributes"]}.get("identities")
    return json.loads(text) if text else []


def test_linking_records_the_identity_on_the_native_user(cognito: Any, pool: dict[str, Any]) -> None:
    create(cognito, pool["Id"])
    username = make_user(cognito, pool["Id"])
    link(cognito, pool["Id"], username)
    [entry] = identities_of(cognito, pool["Id"], username)
    assert entry["providerName"] == "MyOIDC" and entry["userId"] == "abc" and entry["providerType"] == "OIDC"
    assert entry["primary"] == "false" and entry["dateCreated"].isdigit()
    # the same identity to another user: already linked
    other = make_user(cognito, pool["Id"])
    assert refused(link, cognito=cognito, pool_id=pool["Id"], username=other)[0] == "AliasExistsException"


def test_link_errors(cognito: Any, pool: dict[str, Any]) -> None:
    create(cognito, pool["Id"])
    username = make_user(cognito, pool["Id"])
    assert refused(link, cognito=cognito, pool_id=pool["Id"], username="nobody")[0] == "UserNotFoundException"
    assert refused(link, cognito=cognito, pool_id=pool["Id"], username=username,
                   provider="Nope")[0] == "ResourceNotFoundException"
    assert refused(link, cognito=cognito, pool_id=pool["Id"], username=username,
                   attribute="email")[0] == "InvalidParameterException"  # not mapped
    for subject in ("s1", "s2", "s3", "s4", "s5"):
        link(cognito, pool["Id"], username, subject=subject)
    assert refused(link, cognito=cognito, pool_id=pool["Id"], username=username,
                   subject="s6")[0] == "LimitExceededException"


def test_disabling_a_link_removes_it(cognito: Any, pool: dict[str, Any]) -> None:
    create(cognito, pool["Id"])
    username = make_user(cognito, pool["Id"])
    link(cognito, pool["Id"], username)
    cognito.admin_disable_provider_for_user(UserPoolId=pool["Id"], User={
        "ProviderName": "MyOIDC", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": "abc"})
    assert identities_of(cognito, pool["Id"], username) == []
    link(cognito, pool["Id"], make_user(cognito, pool["Id"]))  # free to link elsewhere now


def test_disabling_a_native_user_stops_its_password(cognito: Any, pool: dict[str, Any]) -> None:
    client = make_client(cognito, pool["Id"])
    username = make_user(cognito, pool["Id"])
    cognito.admin_disable_provider_for_user(UserPoolId=pool["Id"], User={
        "ProviderName": "Cognito", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": username})
    code, _ = refused(cognito.initiate_auth, ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                      AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD})
    assert code == "NotAuthorizedException"


def test_disabling_an_unknown_identity_is_user_not_found(cognito: Any, pool: dict[str, Any]) -> None:
    create(cognito, pool["Id"])
    code, _ = refused(cognito.admin_disable_provider_for_user, UserPoolId=pool["Id"], User={
        "ProviderName": "MyOIDC", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": "zzz"})
    assert code == "UserNotFoundException"

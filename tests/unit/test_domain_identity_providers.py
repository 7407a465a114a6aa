"""domain.identity_providers: the federated user's name, identities and mapped attributes, Describe's details."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from userpools.domain import identity_providers as idp
from userpools.errors import InvalidParameterException


def test_the_federated_username_lower_cases_the_provider_and_keeps_the_subject() -> None:
    assert idp.federated_username("MyIDP", "Bob@Example.com") == "myidp_Bob@Example.com"
    assert idp.auto_group("us-east-1_abc", "MyIDP") == "us-east-1_abc_MyIDP"


def test_mapped_attributes_encode_lists_and_booleans_and_skip_absent_claims() -> None:
    mapping = {"email": "mail", "custom:roles": "groups", "email_verified": "verified", "name": "missing",
               "username": "sub"}
    claims = {"mail": "a@example.com", "groups": ["a b", "c,d"], "verified": True, "sub": "x"}
    assert idp.mapped_attributes(mapping, claims) == {
        "email": "a@example.com", "custom:roles": "a%20b,c%2Cd", "email_verified": "true"}


def test_mapped_list_elements_that_are_not_strings_are_json() -> None:
    claims = {"genders": [{"value": "female"}], "ids": [7, True]}
    assert idp.mapped_attributes({"gender": "genders", "custom:ids": "ids"}, claims) == {
        "gender": "%7B%22value%22%3A%22female%22%7D", "custom:ids": "7,true"}


def test_identities_have_string_primary_and_date_and_no_issuer_for_social_types() -> None:
    entry = idp.identity("Google", "Google", "123", "https://accounts.google.com", 1682704282933, primary=True)
    assert entry == {"userId": "123", "providerName": "Google", "providerType": "Google", "issuer": None,
                     "primary": "true", "dateCreated": "1682704282933"}
    assert idp.identities_of(idp.identities_text([entry])) == [entry]
    assert idp.identities_of("not json") == []


def test_describe_never_shows_apples_private_key_and_adds_the_documented_endpoints() -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    document = {"ProviderName": "SignInWithApple", "ProviderType": "SignInWithApple",
                "ProviderDetails": {"client_id": "c", "team_id": "t", "key_id": "k", "private_key": "secret",
                                    "authorize_scopes": "email"}}
    shown = idp.describe(document, "us-east-1_abc", moment, moment)
    assert "private_key" not in shown["ProviderDetails"]
    assert shown["ProviderDetails"]["authorize_url"] == "https://appleid.apple.com/auth/authorize"
    assert shown["AttributeMapping"] == {"username": "sub"}


def test_saml_metadata_with_a_doctype_is_refused() -> None:
    with pytest.raises(InvalidParameterException):
        idp.saml_endpoints('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')


def test_an_update_giving_a_metadata_url_drops_the_kept_file() -> None:
    kept = idp.check_details("SAML", {"MetadataURL": "https://idp.example.com/md"},
                             previous={"MetadataFile": "<x/>", "IDPInit": "true"})
    assert kept == {"MetadataURL": "https://idp.example.com/md", "IDPInit": "true"}

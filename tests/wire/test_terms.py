"""Terms documents through boto3 against a live server (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from server_db import resources_of
from test_pools import error_of

from userpools.domain.resources import TERMS, TERMS_NAME

LINKS = {"cognito:default": "https://example.com/terms", "cognito:spanish": "https://example.com/es/terms"}
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture
def client(cognito: Any, pool: dict[str, Any]) -> dict[str, Any]:
    return cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")["UserPoolClient"]


def create(cognito: Any, client: dict[str, Any], name: str = "terms-of-use", **extra: Any) -> dict[str, Any]:
    kwargs = {"Links": LINKS, **extra}
    return cognito.create_terms(
        UserPoolId=client["UserPoolId"], ClientId=client["ClientId"], TermsName=name,
        TermsSource="LINK", Enforcement="NONE", **kwargs,
    )["Terms"]


def test_create_then_describe_shows_the_terms_as_created(cognito: Any, client: dict[str, Any]) -> None:
    created = create(cognito, client)
    assert UUID4.match(created["TermsId"])
    assert {k: v for k, v in created.items() if not k.endswith("Date")} == {
        "TermsId": created["TermsId"],
        "UserPoolId": client["UserPoolId"],
        "ClientId": client["ClientId"],
        "TermsName": "terms-of-use",
        "TermsSource": "LINK",
        "Enforcement": "NONE",
        "Links": LINKS,
    }
    assert created["CreationDate"] == created["LastModifiedDate"]
    described = cognito.describe_terms(UserPoolId=client["UserPoolId"], TermsId=created["TermsId"])["Terms"]
    assert described == created
    by_client = cognito.describe_terms_by_client(
        UserPoolId=client["UserPoolId"], ClientId=client["ClientId"], TermsName="terms-of-use"
    )["Terms"]
    assert by_client == created


def test_a_client_holds_one_document_of_each_name(cognito: Any, client: dict[str, Any]) -> None:
    create(cognito, client, "terms-of-use")
    privacy = create(cognito, client, "privacy-policy")
    with pytest.raises(ClientError) as twice:
        create(cognito, client, "privacy-policy")
    assert error_of(twice) == (
        "TermsExistsException", f"Terms privacy-policy already exist for app client {client['ClientId']}."
    )
    # another client of the pool has names of its own
    other = cognito.create_user_pool_client(UserPoolId=client["UserPoolId"], ClientName="other")["UserPoolClient"]
    create(cognito, other, "privacy-policy")
    described = cognito.describe_terms_by_client(
        UserPoolId=client["UserPoolId"], ClientId=client["ClientId"], TermsName="privacy-policy"
    )["Terms"]
    assert described["TermsId"] == privacy["TermsId"]


@pytest.mark.parametrize(
    ("member", "value", "message"),
    [
        ("Links", {"cognito:default": "http://example.com/terms"},
         "The URL for cognito:default must be an absolute https URL: http://example.com/terms"),
        ("Links", {"cognito:default": "terms.html"},
         "The URL for cognito:default must be an absolute https URL: terms.html"),
        ("Links", None, "Links must contain at least one language and URL."),
        ("Links", {"cognito:default": "https://[::1/x"},
         "The URL for cognito:default must be an absolute https URL: https://[::1/x"),
    ],
)
def test_links_must_be_https_urls(
    raw_cognito: Any, client: dict[str, Any], member: str, value: Any, message: str
) -> None:
    request = {"UserPoolId": client["UserPoolId"], "ClientId": client["ClientId"], "TermsName": "terms-of-use",
               "TermsSource": "LINK", "Enforcement": "NONE"}
    if value is not None:
        request[member] = value
    with pytest.raises(ClientError) as refused:
        raw_cognito.create_terms(**request)
    assert error_of(refused) == ("InvalidParameterException", message)


@pytest.mark.parametrize(
    ("member", "value", "fragment"),
    [
        ("TermsName", "cookie-policy", "at 'termsName' failed to satisfy constraint: Member must satisfy regular"),
        ("TermsSource", "FILE", "at 'termsSource' failed to satisfy constraint: Member must satisfy enum value set"),
        ("Enforcement", "STRICT", "at 'enforcement' failed to satisfy constraint: Member must satisfy enum value"),
        ("Links", {"cognito:klingon": "https://example.com"}, "at 'links' failed to satisfy constraint: Map keys"),
        ("Links", {f"cognito:{k}": "https://e.com" for k in (
            "default", "dutch", "english", "french", "spanish", "german", "bahasa-indonesia", "italian",
            "japanese", "korean", "portuguese-brazil", "chinese-simplified", "chinese-traditional")} | {"x": "y"},
         "at 'links' failed to satisfy constraint"),
    ],
)
def test_the_model_constraints_are_checked(
    raw_cognito: Any, client: dict[str, Any], member: str, value: Any, fragment: str
) -> None:
    request = {"UserPoolId": client["UserPoolId"], "ClientId": client["ClientId"], "TermsName": "terms-of-use",
               "TermsSource": "LINK", "Enforcement": "NONE", "Links": LINKS, member: value}
    with pytest.raises(ClientError) as refused:
        raw_cognito.create_terms(**request)
    code, message = error_of(refused)
    assert code == "InvalidParameterException"
    assert fragment in message


def test_an_unknown_client_or_pool_is_resource_not_found(cognito: Any, client: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as no_client:
        create(cognito, {**client, "ClientId": "nosuchclient0000000000000a"})
    assert error_of(no_client) == ("ResourceNotFoundException", "User pool client nosuchclient0000000000000a does not exist.")
    with pytest.raises(ClientError) as no_pool:
        create(cognito, {**client, "UserPoolId": "us-east-1_Nope12345"})
    assert error_of(no_pool)[0] == "ResourceNotFoundException"


def test_update_replaces_the_given_members_only(cognito: Any, client: dict[str, Any], server: Any) -> None:
    created = create(cognito, client)
    updated = cognito.update_terms(
        UserPoolId=client["UserPoolId"], TermsId=created["TermsId"], Links={"cognito:default": "https://e.com/v2"}
    )["Terms"]
    assert updated["Links"] == {"cognito:default": "https://e.com/v2"}
    assert updated["TermsName"] == "terms-of-use" and updated["CreationDate"] == created["CreationDate"]
    assert updated["LastModifiedDate"] >= created["LastModifiedDate"]
    assert cognito.describe_terms(UserPoolId=client["UserPoolId"], TermsId=created["TermsId"])["Terms"] == updated


def test_update_may_rename_to_a_free_name_only(cognito: Any, client: dict[str, Any]) -> None:
    terms = create(cognito, client, "terms-of-use")
    renamed = cognito.update_terms(UserPoolId=client["UserPoolId"], TermsId=terms["TermsId"], TermsName="privacy-policy")
    assert renamed["Terms"]["TermsName"] == "privacy-policy"
    # the old name is free again, the new one is taken
    again = create(cognito, client, "terms-of-use")
    with pytest.raises(ClientError) as taken:
        cognito.update_terms(UserPoolId=client["UserPoolId"], TermsId=again["TermsId"], TermsName="privacy-policy")
    assert error_of(taken)[0] == "TermsExistsException"
    by_client = cognito.describe_terms_by_client(
        UserPoolId=client["UserPoolId"], ClientId=client["ClientId"], TermsName="privacy-policy"
    )["Terms"]
    assert by_client["TermsId"] == terms["TermsId"]


def test_unknown_terms_are_resource_not_found(cognito: Any, client: dict[str, Any]) -> None:
    missing_id = str(uuid.uuid4())
    for call, extra in (
        (cognito.describe_terms, {}),
        (cognito.update_terms, {"Links": LINKS}),
        (cognito.delete_terms, {}),
    ):
        with pytest.raises(ClientError) as missing:
            call(UserPoolId=client["UserPoolId"], TermsId=missing_id, **extra)
        assert error_of(missing) == (
            "ResourceNotFoundException", f"Terms {missing_id} do not exist in user pool {client['UserPoolId']}."
        )
    with pytest.raises(ClientError) as by_client:
        cognito.describe_terms_by_client(
            UserPoolId=client["UserPoolId"], ClientId=client["ClientId"], TermsName="terms-of-use"
        )
    assert error_of(by_client) == (
        "ResourceNotFoundException", f"Terms terms-of-use do not exist for app client {client['ClientId']}."
    )


def test_a_terms_id_of_another_pool_is_not_found(cognito: Any, client: dict[str, Any]) -> None:
    terms = create(cognito, client)
    other = cognito.create_user_pool(PoolName="other")["UserPool"]
    try:
        with pytest.raises(ClientError) as missing:
            cognito.describe_terms(UserPoolId=other["Id"], TermsId=terms["TermsId"])
        assert error_of(missing)[0] == "ResourceNotFoundException"
    finally:
        cognito.delete_user_pool(UserPoolId=other["Id"])


def test_delete_removes_the_terms_and_frees_the_name(cognito: Any, client: dict[str, Any]) -> None:
    terms = create(cognito, client)
    assert cognito.delete_terms(UserPoolId=client["UserPoolId"], TermsId=terms["TermsId"])["ResponseMetadata"]
    with pytest.raises(ClientError) as gone:
        cognito.describe_terms(UserPoolId=client["UserPoolId"], TermsId=terms["TermsId"])
    assert error_of(gone)[0] == "ResourceNotFoundException"
    assert create(cognito, client)["TermsId"] != terms["TermsId"]


def test_list_pages_through_every_clients_terms(cognito: Any, pool: dict[str, Any]) -> None:
    made = []
    for i in range(3):
        client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName=f"c{i}")["UserPoolClient"]
        made += [create(cognito, client, "terms-of-use"), create(cognito, client, "privacy-policy")]
    seen: list[dict[str, Any]] = []
    token = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"UserPoolId": pool["Id"], "MaxResults": 4}
        if token:
            kwargs["NextToken"] = token
        page = cognito.list_terms(**kwargs)
        pages += 1
        seen += page["Terms"]
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 2
    assert [t["TermsId"] for t in seen] == sorted(t["TermsId"] for t in made)
    first = next(t for t in made if t["TermsId"] == seen[0]["TermsId"])
    assert seen[0] == {k: first[k] for k in ("TermsId", "TermsName", "Enforcement", "CreationDate", "LastModifiedDate")}
    everything = cognito.list_terms(UserPoolId=pool["Id"])["Terms"]
    assert [t["TermsId"] for t in everything] == [t["TermsId"] for t in seen]
    with pytest.raises(ClientError) as foreign:
        cognito.list_terms(UserPoolId=pool["Id"], NextToken="bm90LWEtdG9rZW4=")
    assert error_of(foreign) == ("InvalidParameterException", "Invalid pagination token.")


def test_deleting_the_client_deletes_its_terms(cognito: Any, client: dict[str, Any], server: Any) -> None:
    terms = create(cognito, client)
    privacy = create(cognito, client, "privacy-policy")
    cognito.delete_user_pool_client(UserPoolId=client["UserPoolId"], ClientId=client["ClientId"])
    for gone in (terms, privacy):
        with pytest.raises(ClientError) as missing:
            cognito.describe_terms(UserPoolId=client["UserPoolId"], TermsId=gone["TermsId"])
        assert error_of(missing)[0] == "ResourceNotFoundException"
    assert cognito.list_terms(UserPoolId=client["UserPoolId"])["Terms"] == []
    assert resources_of(server, client["UserPoolId"], TERMS, TERMS_NAME) == []


def test_deleting_the_pool_deletes_its_terms(cognito: Any, server: Any) -> None:
    pool = cognito.create_user_pool(PoolName="doomed")["UserPool"]
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")["UserPoolClient"]
    terms = create(cognito, client)
    assert len(resources_of(server, pool["Id"], TERMS, TERMS_NAME)) == 2
    cognito.delete_user_pool(UserPoolId=pool["Id"])
    assert resources_of(server, pool["Id"], TERMS, TERMS_NAME) == []
    with pytest.raises(ClientError) as missing:
        cognito.describe_terms(UserPoolId=pool["Id"], TermsId=terms["TermsId"])
    assert error_of(missing)[0] == "ResourceNotFoundException"

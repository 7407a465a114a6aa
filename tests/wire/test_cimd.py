"""Client ID metadata document policies through boto3 against a live server (SQLite and PostgreSQL).

The URLs a policy lists are those the authorization endpoint fetched; until a test can drive that endpoint,
the tests record fetches into the server's own database with the function the endpoint calls
(``operations.cimd.record_fetch``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from server_db import in_transaction, resources_of
from test_pools import error_of

from userpools.domain import cimd as domain
from userpools.domain.resources import CIMD_POLICY, CIMD_URL, cimd_policy_key
from userpools.operations.cimd import record_fetch
from userpools.storage.ports import Transaction

PATTERNS = ["https://apps.example.com/*/client.json", "https://*.example.org/cimd.json"]


@pytest.fixture
def client(cognito: Any, pool: dict[str, Any]) -> dict[str, Any]:
    return cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")["UserPoolClient"]


def create(cognito: Any, client: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    request = {"PolicyName": "partners", "URLPatterns": PATTERNS, **kwargs}
    return cognito.create_cimd_policy(UserPoolId=client["UserPoolId"], ClientId=client["ClientId"], **request)[
        "CIMDPolicy"
    ]


def fetched(server: Any, pool_id: str, policy_id: str, url: str, max_age: int | None = None) -> None:
    """What the authorization endpoint does after fetching ``url``: records it in the server's database."""

    async def record(tx: Transaction) -> None:
        policy = await tx.resources.get(CIMD_POLICY, cimd_policy_key(pool_id, policy_id))
        assert policy is not None
        metadata = {"client_id": url, "redirect_uris": ["https://app.example/cb"]}
        await record_fetch(tx, pool_id, policy.document, url, metadata, datetime.now(UTC), max_age)

    in_transaction(server, record)


def test_create_then_describe_shows_the_policy_as_created(cognito: Any, client: dict[str, Any]) -> None:
    created = create(cognito, client)
    assert created["CIMDPolicyId"].isalnum() and created["CIMDPolicyId"] == created["CIMDPolicyId"].lower()
    assert {k: v for k, v in created.items() if not k.endswith("Date")} == {
        "CIMDPolicyId": created["CIMDPolicyId"],
        "UserPoolId": client["UserPoolId"],
        "ClientId": client["ClientId"],
        "PolicyName": "partners",
        "CacheDuration": 86400,
        "URLPatterns": PATTERNS,
    }
    described = cognito.describe_cimd_policy(UserPoolId=client["UserPoolId"], CIMDPolicyId=created["CIMDPolicyId"])
    assert described["CIMDPolicy"] == created


@pytest.mark.parametrize(
    ("member", "value", "fragment"),
    [
        ("URLPatterns", ["http://apps.example.com/x"], "at 'uRLPatterns' failed to satisfy constraint"),
        ("URLPatterns", ["https://a.example/?q=1"], "at 'uRLPatterns' failed to satisfy constraint"),
        ("URLPatterns", [], "at 'uRLPatterns' failed to satisfy constraint: Member must have length greater"),
        ("URLPatterns", [f"https://a{i}.example.com" for i in range(6)], "at 'uRLPatterns' failed to satisfy"),
        ("CacheDuration", 3600, "at 'cacheDuration' failed to satisfy constraint: Member must have value greater"),
        ("CacheDuration", 31556953, "at 'cacheDuration' failed to satisfy constraint: Member must have value less"),
        ("PolicyName", "x" * 33, "at 'policyName' failed to satisfy constraint: Member must have length less"),
    ],
)
def test_the_model_constraints_are_checked(
    raw_cognito: Any, client: dict[str, Any], member: str, value: Any, fragment: str
) -> None:
    with pytest.raises(ClientError) as refused:
        create(raw_cognito, client, **{member: value})
    code, message = error_of(refused)
    assert code == "InvalidParameterException"
    assert fragment in message


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        (["https:///////////x"], "URL pattern https:///////////x has no host."),
        (["https://[::1/client"], "URL pattern https://[::1/client has no host."),
        (["https://a.example.com/x", "https://a.example.com/x"], "URL patterns must be unique."),
    ],
)
def test_invalid_patterns_are_refused(cognito: Any, client: dict[str, Any], patterns: list[str], message: str) -> None:
    with pytest.raises(ClientError) as refused:
        create(cognito, client, URLPatterns=patterns)
    assert error_of(refused) == ("InvalidParameterException", message)


def test_a_pattern_belongs_to_one_policy(cognito: Any, client: dict[str, Any]) -> None:
    first = create(cognito, client)
    with pytest.raises(ClientError) as taken:
        create(cognito, client, URLPatterns=[PATTERNS[1]])
    assert error_of(taken) == (
        "InvalidParameterException", f"URL pattern {PATTERNS[1]} is already in CIMD policy {first['CIMDPolicyId']}."
    )
    # the policy itself may keep it when updated
    cognito.update_cimd_policy(
        UserPoolId=client["UserPoolId"], CIMDPolicyId=first["CIMDPolicyId"], ClientId=client["ClientId"],
        URLPatterns=[PATTERNS[1]],
    )
    create(cognito, client, URLPatterns=[PATTERNS[0]])


def test_a_pool_holds_10_policies(cognito: Any, client: dict[str, Any]) -> None:
    made = [create(cognito, client, URLPatterns=[f"https://p{i}.example.com/*"]) for i in range(10)]
    with pytest.raises(ClientError) as full:
        create(cognito, client, URLPatterns=["https://p10.example.com/*"])
    assert error_of(full) == ("LimitExceededException", "The user pool has reached its limit of 10 CIMD policies.")
    cognito.delete_cimd_policy(UserPoolId=client["UserPoolId"], CIMDPolicyId=made[0]["CIMDPolicyId"])
    create(cognito, client, URLPatterns=["https://p10.example.com/*"])


def test_the_lite_plan_has_no_cimd(cognito: Any) -> None:
    pool = cognito.create_user_pool(PoolName="lite", UserPoolTier="LITE")["UserPool"]
    try:
        client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")["UserPoolClient"]
        with pytest.raises(ClientError) as refused:
            create(cognito, client)
        assert error_of(refused) == (
            "FeatureUnavailableInTierException",
            "Client ID metadata documents require the Essentials or Plus feature plan.",
        )
    finally:
        cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_update_replaces_client_and_patterns_and_keeps_what_is_not_given(cognito: Any, pool: dict[str, Any]) -> None:
    one = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="one")["UserPoolClient"]
    two = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="two")["UserPoolClient"]
    policy = create(cognito, one, CacheDuration=172800)
    updated = cognito.update_cimd_policy(
        UserPoolId=pool["Id"], CIMDPolicyId=policy["CIMDPolicyId"], ClientId=two["ClientId"],
        URLPatterns=["https://new.example.com/*"],
    )["CIMDPolicy"]
    assert (updated["ClientId"], updated["URLPatterns"]) == (two["ClientId"], ["https://new.example.com/*"])
    assert (updated["PolicyName"], updated["CacheDuration"]) == ("partners", 172800)
    assert updated["CreationDate"] == policy["CreationDate"]
    renamed = cognito.update_cimd_policy(
        UserPoolId=pool["Id"], CIMDPolicyId=policy["CIMDPolicyId"], ClientId=two["ClientId"],
        URLPatterns=["https://new.example.com/*"], PolicyName="renamed", CacheDuration=86400,
    )["CIMDPolicy"]
    assert (renamed["PolicyName"], renamed["CacheDuration"]) == ("renamed", 86400)
    described = cognito.describe_cimd_policy(UserPoolId=pool["Id"], CIMDPolicyId=policy["CIMDPolicyId"])
    assert described["CIMDPolicy"] == renamed


def test_unknown_policies_and_clients_are_resource_not_found(cognito: Any, client: dict[str, Any]) -> None:
    pool_id = client["UserPoolId"]
    for call, extra in (
        (cognito.describe_cimd_policy, {}),
        (cognito.update_cimd_policy, {"ClientId": client["ClientId"], "URLPatterns": PATTERNS}),
        (cognito.delete_cimd_policy, {}),
        (cognito.list_client_metadata_urls, {}),
        (cognito.update_client_metadata_url_state, {"URL": "https://a.example.com/x", "Action": "REFRESH"}),
    ):
        with pytest.raises(ClientError) as missing:
            call(UserPoolId=pool_id, CIMDPolicyId="nosuchpolicy", **extra)
        assert error_of(missing) == ("ResourceNotFoundException", f"CIMD policy nosuchpolicy does not exist in user pool {pool_id}.")
    with pytest.raises(ClientError) as no_client:
        create(cognito, {**client, "ClientId": "nosuchclient0000000000000a"})
    assert error_of(no_client) == ("ResourceNotFoundException", "User pool client nosuchclient0000000000000a does not exist.")


def test_a_policy_outlives_its_client_without_its_client_id(cognito: Any, client: dict[str, Any]) -> None:
    policy = create(cognito, client)
    cognito.delete_user_pool_client(UserPoolId=client["UserPoolId"], ClientId=client["ClientId"])
    described = cognito.describe_cimd_policy(UserPoolId=client["UserPoolId"], CIMDPolicyId=policy["CIMDPolicyId"])
    assert "ClientId" not in described["CIMDPolicy"]
    assert described["CIMDPolicy"]["URLPatterns"] == PATTERNS
    listed = cognito.list_cimd_policies(UserPoolId=client["UserPoolId"])["CIMDPolicies"]
    assert [p.get("ClientId") for p in listed] == [None]


def test_list_pages_through_every_policy_as_summaries(cognito: Any, client: dict[str, Any]) -> None:
    made = [create(cognito, client, PolicyName=f"p{i}", URLPatterns=[f"https://p{i}.example.com/*"]) for i in range(5)]
    pages = list(cognito.get_paginator("list_cimd_policies").paginate(UserPoolId=client["UserPoolId"], MaxResults=2))
    assert [len(p["CIMDPolicies"]) for p in pages] == [2, 2, 1]
    seen = [s for p in pages for s in p["CIMDPolicies"]]
    assert [s["CIMDPolicyId"] for s in seen] == sorted(p["CIMDPolicyId"] for p in made)
    first = next(p for p in made if p["CIMDPolicyId"] == seen[0]["CIMDPolicyId"])
    assert seen[0] == {k: first[k] for k in ("CIMDPolicyId", "ClientId", "PolicyName", "CacheDuration",
                                              "CreationDate", "LastModifiedDate")}
    with pytest.raises(ClientError) as foreign:
        cognito.list_cimd_policies(UserPoolId=client["UserPoolId"], NextToken="bm90LWEtdG9rZW4=")
    assert error_of(foreign) == ("InvalidParameterException", "Invalid pagination token.")


def test_fetched_urls_are_listed_with_their_cache_dates(cognito: Any, client: dict[str, Any], server: Any) -> None:
    policy = create(cognito, client, CacheDuration=172800)
    other = create(cognito, client, URLPatterns=["https://other.example.net/*"])
    urls = [f"https://apps.example.com/app{i}/client.json" for i in range(3)]
    for url in urls:
        fetched(server, client["UserPoolId"], policy["CIMDPolicyId"], url)
    fetched(server, client["UserPoolId"], policy["CIMDPolicyId"], "https://x.example.org/cimd.json", max_age=7 * 86400)
    fetched(server, client["UserPoolId"], other["CIMDPolicyId"], "https://other.example.net/c")
    pages = list(cognito.get_paginator("list_client_metadata_urls").paginate(
        UserPoolId=client["UserPoolId"], CIMDPolicyId=policy["CIMDPolicyId"], MaxResults=3
    ))
    assert [len(p["ClientMetadataURLs"]) for p in pages] == [3, 1]
    listed = [u for p in pages for u in p["ClientMetadataURLs"]]
    assert [u["URL"] for u in listed] == sorted([*urls, "https://x.example.org/cimd.json"])
    durations = {u["URL"]: u["ExpirationDate"] - u["CachedDate"] for u in listed}
    assert durations[urls[0]] == timedelta(seconds=172800)  # the policy's CacheDuration
    assert durations["https://x.example.org/cimd.json"] == timedelta(days=7)  # the document's max-age


def test_invalidate_drops_the_cached_document_and_refresh_expires_it(
    cognito: Any, client: dict[str, Any], server: Any
) -> None:
    policy = create(cognito, client)
    pool_id, policy_id = client["UserPoolId"], policy["CIMDPolicyId"]
    url = "https://apps.example.com/a/client.json"
    fetched(server, pool_id, policy_id, url)
    cognito.update_client_metadata_url_state(UserPoolId=pool_id, CIMDPolicyId=policy_id, URL=url, Action="REFRESH")
    [refreshed] = cognito.list_client_metadata_urls(UserPoolId=pool_id, CIMDPolicyId=policy_id)["ClientMetadataURLs"]
    assert refreshed["ExpirationDate"] <= datetime.now(UTC) + timedelta(seconds=1)
    cognito.update_client_metadata_url_state(UserPoolId=pool_id, CIMDPolicyId=policy_id, URL=url, Action="INVALIDATE")
    listed = cognito.list_client_metadata_urls(UserPoolId=pool_id, CIMDPolicyId=policy_id)["ClientMetadataURLs"]
    assert listed == [{"URL": url}]
    for action in ("INVALIDATE", "REFRESH"):
        with pytest.raises(ClientError) as nothing:
            cognito.update_client_metadata_url_state(UserPoolId=pool_id, CIMDPolicyId=policy_id, URL=url, Action=action)
        assert error_of(nothing) == (
            "CachedCIMDURLDoesNotExistException",
            f"No cached client metadata document exists for {url} in CIMD policy {policy_id}.",
        )
    with pytest.raises(ClientError) as never:
        cognito.update_client_metadata_url_state(
            UserPoolId=pool_id, CIMDPolicyId=policy_id, URL="https://never.example.com/x", Action="REFRESH"
        )
    assert error_of(never)[0] == "CachedCIMDURLDoesNotExistException"


def test_deleting_a_policy_deletes_its_urls(cognito: Any, client: dict[str, Any], server: Any) -> None:
    policy = create(cognito, client)
    fetched(server, client["UserPoolId"], policy["CIMDPolicyId"], "https://apps.example.com/a/client.json")
    cognito.delete_cimd_policy(UserPoolId=client["UserPoolId"], CIMDPolicyId=policy["CIMDPolicyId"])
    with pytest.raises(ClientError) as gone:
        cognito.describe_cimd_policy(UserPoolId=client["UserPoolId"], CIMDPolicyId=policy["CIMDPolicyId"])
    assert error_of(gone)[0] == "ResourceNotFoundException"
    assert cognito.list_cimd_policies(UserPoolId=client["UserPoolId"])["CIMDPolicies"] == []
    assert resources_of(server, client["UserPoolId"], CIMD_POLICY, CIMD_URL) == []


def test_deleting_the_pool_deletes_its_policies(cognito: Any, server: Any) -> None:
    pool = cognito.create_user_pool(PoolName="doomed")["UserPool"]
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")["UserPoolClient"]
    policy = create(cognito, client)
    fetched(server, pool["Id"], policy["CIMDPolicyId"], "https://apps.example.com/a/client.json")
    assert len(resources_of(server, pool["Id"], CIMD_POLICY, CIMD_URL)) == 2
    cognito.delete_user_pool(UserPoolId=pool["Id"])
    assert resources_of(server, pool["Id"], CIMD_POLICY, CIMD_URL) == []
    with pytest.raises(ClientError) as gone:
        cognito.describe_cimd_policy(UserPoolId=pool["Id"], CIMDPolicyId=policy["CIMDPolicyId"])
    assert error_of(gone)[0] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("pattern", "url", "matched"),
    [
        ("https://apps.example.com/*/client.json", "https://apps.example.com/abc/client.json", True),
        ("https://apps.example.com/*/client.json", "https://apps.example.com/a/b/client.json", False),
        ("https://apps.example.com/*/client.json", "https://apps.example.com//client.json", False),
        ("https://*.example.org/cimd.json", "https://tenant.example.org/cimd.json", True),
        ("https://*.example.org/cimd.json", "https://evil.com/x.example.org/cimd.json", False),
        ("https://*.example.org/cimd.json", "https://evil.com?.example.org/cimd.json", False),
        ("https://a.example.com/c.json", "https://a.example.com/c.json", True),
        ("https://a.example.com/c.json", "https://a.example.com/c.jsonx", False),
    ],
)
def test_url_patterns_match_within_a_segment(pattern: str, url: str, matched: bool) -> None:
    assert domain.matches(pattern, url) is matched

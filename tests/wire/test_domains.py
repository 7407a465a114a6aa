"""User pool domains through boto3 against a live server (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from test_pools import error_of

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"


def prefix() -> str:
    return f"app-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def domains(cognito: Any) -> Iterator[list[tuple[str, str]]]:
    """(pool id, domain) pairs a test created, deleted before its pool is (Cognito refuses it otherwise)."""
    made: list[tuple[str, str]] = []
    yield made
    for pool_id, name in made:
        try:
            cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain=name)
        except ClientError:
            pass


def create(
    cognito: Any, domains: list[tuple[str, str]], pool_id: str, name: str, **extra: Any
) -> dict[str, Any]:
    out = cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=name, **extra)
    domains.append((pool_id, name))
    return dict(out)


def test_a_prefix_domain_is_described_like_cognitos(cognito: Any, pool: dict[str, Any], domains: Any) -> None:
    name = prefix()
    created = create(cognito, domains, pool["Id"], name)
    assert created["ManagedLoginVersion"] == 1
    assert "CloudFrontDomain" not in created  # only for custom domains
    described = cognito.describe_user_pool_domain(Domain=name)["DomainDescription"]
    assert described["UserPoolId"] == pool["Id"]
    assert described["Domain"] == name
    assert described["AWSAccountId"] == pool["Arn"].split(":")[4]
    assert described["Status"] == "ACTIVE"
    assert described["CustomDomainConfig"] == {}
    assert described["ManagedLoginVersion"] == 1
    assert re.fullmatch(r"d[0-9a-z]{13}\.cloudfront\.net", described["CloudFrontDistribution"])
    assert re.fullmatch(r"\d{14}", described["Version"])
    assert described["S3Bucket"]
    assert cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["Domain"] == name


def test_a_custom_domain_returns_its_cloudfront_domain(
    cognito: Any, pool: dict[str, Any], domains: Any
) -> None:
    name = f"auth-{uuid.uuid4().hex[:8]}.example.com"
    created = create(
        cognito, domains, pool["Id"], name, CustomDomainConfig={"CertificateArn": CERT}, ManagedLoginVersion=2
    )
    assert created["ManagedLoginVersion"] == 2
    described = cognito.describe_user_pool_domain(Domain=name)["DomainDescription"]
    assert created["CloudFrontDomain"] == described["CloudFrontDistribution"]
    assert described["CustomDomainConfig"] == {"CertificateArn": CERT}
    assert described["ManagedLoginVersion"] == 2
    shown = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert shown["CustomDomain"] == name and "Domain" not in shown


def test_a_pool_has_one_prefix_and_one_custom_domain_at_most(
    cognito: Any, pool: dict[str, Any], domains: Any
) -> None:
    create(cognito, domains, pool["Id"], prefix())
    create(
        cognito,
        domains,
        pool["Id"],
        f"a{uuid.uuid4().hex[:8]}.example.org",
        CustomDomainConfig={"CertificateArn": CERT},
    )
    with pytest.raises(ClientError) as second_prefix:
        create(cognito, domains, pool["Id"], prefix())
    assert error_of(second_prefix)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as second_custom:
        create(cognito, domains, pool["Id"], "b.example.org", CustomDomainConfig={"CertificateArn": CERT})
    assert error_of(second_custom)[0] == "InvalidParameterException"


def test_a_domain_of_another_pool_is_refused(cognito: Any, pool: dict[str, Any], domains: Any) -> None:
    name = prefix()
    create(cognito, domains, pool["Id"], name)
    other = cognito.create_user_pool(PoolName="other")["UserPool"]
    try:
        with pytest.raises(ClientError) as taken:
            cognito.create_user_pool_domain(UserPoolId=other["Id"], Domain=name)
        assert error_of(taken) == (
            "InvalidParameterException",
            "Domain already associated with another user pool.",
        )
    finally:
        cognito.delete_user_pool(UserPoolId=other["Id"])


@pytest.mark.parametrize(
    "name", ["My-App", "-app", "app-", "my_app", "my.app", "a" * 64, "aws-login", "myamazon", "cognito1"]
)
def test_invalid_or_reserved_prefixes_are_refused(cognito: Any, pool: dict[str, Any], name: str) -> None:
    with pytest.raises(ClientError) as refused:
        cognito.create_user_pool_domain(UserPoolId=pool["Id"], Domain=name)
    assert error_of(refused)[0] == "InvalidParameterException"
    assert cognito.describe_user_pool_domain(Domain=name)["DomainDescription"] == {}


def test_a_dotted_name_without_a_certificate_gets_cognitos_prefix_message(
    cognito: Any, pool: dict[str, Any]
) -> None:
    with pytest.raises(ClientError) as refused:
        cognito.create_user_pool_domain(UserPoolId=pool["Id"], Domain="auth.example.com")
    code, message = error_of(refused)
    assert code == "InvalidParameterException"
    assert message.startswith("The domain name contains an invalid character.")


def test_a_custom_domain_needs_a_certificate_arn(raw_cognito: Any, pool: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as refused:
        raw_cognito.create_user_pool_domain(
            UserPoolId=pool["Id"], Domain="auth.example.net", CustomDomainConfig={}
        )
    assert error_of(refused)[0] == "InvalidParameterException"


def test_managed_login_version_2_needs_a_plan_above_lite(cognito: Any, domains: Any) -> None:
    lite = cognito.create_user_pool(PoolName="lite", UserPoolTier="LITE")["UserPool"]
    try:
        with pytest.raises(ClientError) as refused:
            cognito.create_user_pool_domain(UserPoolId=lite["Id"], Domain=prefix(), ManagedLoginVersion=2)
        assert error_of(refused)[0] == "FeatureUnavailableInTierException"
        with pytest.raises(ClientError) as bad:
            cognito.create_user_pool_domain(UserPoolId=lite["Id"], Domain=prefix(), ManagedLoginVersion=3)
        assert error_of(bad)[0] == "InvalidParameterException"
    finally:
        cognito.delete_user_pool(UserPoolId=lite["Id"])


def test_describing_an_unknown_domain_answers_an_empty_description(cognito: Any) -> None:
    assert cognito.describe_user_pool_domain(Domain=prefix())["DomainDescription"] == {}
    assert cognito.describe_user_pool_domain(Domain="nothing.example.com")["DomainDescription"] == {}


def test_update_changes_managed_login_version_and_certificate(
    cognito: Any, pool: dict[str, Any], domains: Any
) -> None:
    name = f"login-{uuid.uuid4().hex[:8]}.example.com"
    create(cognito, domains, pool["Id"], name, CustomDomainConfig={"CertificateArn": CERT})
    new_cert = CERT.replace("11111111", "99999999")
    out = cognito.update_user_pool_domain(
        UserPoolId=pool["Id"],
        Domain=name,
        ManagedLoginVersion=2,
        CustomDomainConfig={"CertificateArn": new_cert},
    )
    assert out["ManagedLoginVersion"] == 2 and out["CloudFrontDomain"].endswith(".cloudfront.net")
    described = cognito.describe_user_pool_domain(Domain=name)["DomainDescription"]
    assert described["ManagedLoginVersion"] == 2
    assert described["CustomDomainConfig"]["CertificateArn"] == new_cert


def test_update_or_delete_with_another_pool_is_refused(
    cognito: Any, pool: dict[str, Any], domains: Any
) -> None:
    name = prefix()
    create(cognito, domains, pool["Id"], name)
    other = cognito.create_user_pool(PoolName="other")["UserPool"]
    try:
        for call in (cognito.update_user_pool_domain, cognito.delete_user_pool_domain):
            with pytest.raises(ClientError) as refused:
                call(UserPoolId=other["Id"], Domain=name)
            assert error_of(refused)[0] == "InvalidParameterException"
    finally:
        cognito.delete_user_pool(UserPoolId=other["Id"])
    assert cognito.describe_user_pool_domain(Domain=name)["DomainDescription"]["UserPoolId"] == pool["Id"]


def test_delete_frees_the_domain_and_the_pool(cognito: Any, domains: Any) -> None:
    first = cognito.create_user_pool(PoolName="first")["UserPool"]
    name = prefix()
    cognito.create_user_pool_domain(UserPoolId=first["Id"], Domain=name)
    with pytest.raises(ClientError) as blocked:
        cognito.delete_user_pool(UserPoolId=first["Id"])
    assert error_of(blocked) == (
        "InvalidParameterException",
        "User pool cannot be deleted. It has a domain configured that should be deleted first.",
    )
    cognito.delete_user_pool_domain(UserPoolId=first["Id"], Domain=name)
    assert cognito.describe_user_pool_domain(Domain=name)["DomainDescription"] == {}
    assert "Domain" not in cognito.describe_user_pool(UserPoolId=first["Id"])["UserPool"]
    cognito.delete_user_pool(UserPoolId=first["Id"])
    second = cognito.create_user_pool(PoolName="second")["UserPool"]
    create(cognito, domains, second["Id"], name)
    assert cognito.describe_user_pool_domain(Domain=name)["DomainDescription"]["UserPoolId"] == second["Id"]
    cognito.delete_user_pool_domain(UserPoolId=second["Id"], Domain=name)
    cognito.delete_user_pool(UserPoolId=second["Id"])


def test_update_user_pool_keeps_the_domain(cognito: Any, pool: dict[str, Any], domains: Any) -> None:
    name = prefix()
    create(cognito, domains, pool["Id"], name)
    cognito.update_user_pool(UserPoolId=pool["Id"], MfaConfiguration="OFF")
    assert cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["Domain"] == name


def test_an_unknown_pool_is_resource_not_found(cognito: Any) -> None:
    with pytest.raises(ClientError) as missing:
        cognito.create_user_pool_domain(UserPoolId="us-east-1_Nope12345", Domain=prefix())
    assert error_of(missing)[0] == "ResourceNotFoundException"

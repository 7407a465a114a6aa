"""Pool domains and classic-UI branding: the pure rules (domain.domains, domain.ui_customization)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from userpools.domain import domains, ui_customization
from userpools.errors import InvalidParameterException

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("myapp.auth.us-east-1.amazoncognito.com", "myapp"),
        ("MyApp.Auth.eu-west-1.AmazonCognito.com:443", "myapp"),
        ("myapp.auth-fips.us-gov-west-1.amazoncognito.com", "myapp"),
        ("auth.example.com", "auth.example.com"),
        ("auth.example.com.:8443", "auth.example.com"),
    ],
)
def test_a_host_names_its_domain_key(host: str, key: str) -> None:
    assert domains.key_for_host(host) == key


def test_hostname_of_prefix_and_custom_domains() -> None:
    prefix = domains.new_domain_document(
        {"Domain": "myapp", "UserPoolId": "eu-west-1_A"}, region="eu-west-1", account_id="1", now=NOW
    )
    custom = domains.new_domain_document(
        {
            "Domain": "auth.example.com",
            "UserPoolId": "eu-west-1_A",
            "CustomDomainConfig": {"CertificateArn": CERT},
        },
        region="eu-west-1",
        account_id="1",
        now=NOW,
    )
    assert domains.hostname(prefix, "eu-west-1") == "myapp.auth.eu-west-1.amazoncognito.com"
    assert domains.hostname(custom, "eu-west-1") == "auth.example.com"
    assert prefix["Version"] == "20260102030405" and prefix["ManagedLoginVersion"] == 1
    assert domains.create_response(custom)["CloudFrontDomain"] == custom["CloudFrontDistribution"]
    assert "CloudFrontDomain" not in domains.create_response(prefix)


@pytest.mark.parametrize(
    ("domain", "config"),
    [
        ("auth.example.com", None),
        ("aws", None),
        ("x" * 64, None),
        ("single", {"CertificateArn": CERT}),
        ("Auth.Example.com", {"CertificateArn": CERT}),
        ("login.amazoncognito.com", {"CertificateArn": CERT}),
        ("-bad.example.com", {"CertificateArn": CERT}),
    ],
)
def test_invalid_domains(domain: str, config: dict[str, str] | None) -> None:
    with pytest.raises(InvalidParameterException):
        domains.check_domain(domain, config)


def test_a_certificate_must_be_an_acm_arn() -> None:
    request = {
        "Domain": "auth.example.com",
        "UserPoolId": "p",
        "CustomDomainConfig": {"CertificateArn": "arn:aws:iam::123456789012:server-certificate/x"},
    }
    with pytest.raises(InvalidParameterException):
        domains.new_domain_document(request, region="us-east-1", account_id="1", now=NOW)


@pytest.mark.parametrize(
    "css",
    [
        "",
        "/* only a comment */",
        ".label-customizable{font-weight:400}",
        ".idpButton-customizable:hover , .submitButton-customizable:hover { color: red; }",
        '.banner-customizable { background-image: url("data:image/png;base64,AAAA"); }',
    ],
)
def test_allowed_css(css: str) -> None:
    ui_customization.check_css(css)


@pytest.mark.parametrize(
    "css",
    [
        "div { color: red }",
        ".label-customizable .inner { color: red }",
        ".label-customizable:active { color: red }",
        "@font-face { font-family: x; }",
        ".label-customizable { width: expression(alert(1)); }",
        ".label-customizable { color: red; } }",
        "</style><script>alert(1)</script>",
    ],
)
def test_refused_css(css: str) -> None:
    with pytest.raises(InvalidParameterException):
        ui_customization.check_css(css)


def test_images_are_recognised_by_their_bytes() -> None:
    jpeg = base64.b64encode(b"\xff\xd8\xff\xe0" + b"\x00" * 10).decode()
    assert ui_customization.image(jpeg)[1:] == ("image/jpeg", "jpg")
    with pytest.raises(InvalidParameterException):
        ui_customization.image(base64.b64encode(b"<svg/>").decode())
    with pytest.raises(InvalidParameterException):
        ui_customization.image("not base64!")


def test_a_document_without_css_or_image_describes_as_ids_and_dates() -> None:
    document = ui_customization.document("p", "ALL", None, None, now=NOW)
    assert document == {"UserPoolId": "p", "ClientId": "ALL"}
    described = ui_customization.describe(document, base_url="http://x", created=NOW, modified=NOW)
    assert described == {"UserPoolId": "p", "ClientId": "ALL", "LastModifiedDate": NOW, "CreationDate": NOW}

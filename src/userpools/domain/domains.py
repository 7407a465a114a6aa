"""User pool domains: what CreateUserPoolDomain accepts, stores and shows.

A pool has at most one prefix domain (``myapp`` → ``myapp.auth.<region>.amazoncognito.com``) and at most one
custom domain (``auth.example.com``, with ``CustomDomainConfig.CertificateArn``). Each is a ``domain``
resource (see ``domain.resources``) whose document is DomainDescriptionType exactly as
DescribeUserPoolDomain shows it:

    {"UserPoolId", "AWSAccountId", "Domain", "S3Bucket", "CloudFrontDistribution", "Version", "Status": "ACTIVE",
     "CustomDomainConfig": {} | {"CertificateArn", "SecurityPolicy"?}, "ManagedLoginVersion": 1 | 2,
     "Routing"?: {...}}

``CustomDomainConfig`` is ``{}`` for a prefix domain [O: aws-cli describe-user-pool-domain.rst], so
``is_custom(document)`` tells the two apart. The pool's settings also carry ``Domain`` (the prefix) and
``CustomDomain`` (the custom name), which DescribeUserPool shows [C: UserPoolType].

Source marks as in ``domain.pools``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from userpools.errors import FeatureUnavailableInTierException, InvalidParameterException

Document = dict[str, Any]

PREFIX_PATTERN = r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$"  # [C] DomainType
_PREFIX = re.compile(PREFIX_PATTERN)
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?")
# [C: "Using the Amazon Cognito prefix domain": a prefix can't contain aws, amazon or cognito]; [U] that the
# words are refused anywhere in the prefix and with which message.
RESERVED_WORDS = ("aws", "amazon", "cognito")
MANAGED_LOGIN_VERSIONS = (1, 2)
DEFAULT_MANAGED_LOGIN_VERSION = 1  # [U] without ManagedLoginVersion a new domain gets the classic hosted UI


def is_custom(document: Mapping[str, Any]) -> bool:
    return bool(document.get("CustomDomainConfig"))


def hostname(document: Mapping[str, Any], region: str) -> str:
    """The name the domain answers to: ``<prefix>.auth.<region>.amazoncognito.com`` or the custom name."""
    domain = str(document["Domain"])
    return domain if is_custom(document) else f"{domain}.auth.{region}.amazoncognito.com"


_COGNITO_HOST = re.compile(
    r"([a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?)\.auth(?:-fips)?\.[a-z0-9-]+\.amazoncognito\.com"
)


def key_for_host(host: str) -> str:
    """The ``domain`` resource key a request's Host names: the prefix of ``<prefix>.auth.<region>.amazoncognito.com``,
    else the host itself (a custom domain); any port and a trailing dot are ignored, case is folded. The caller
    checks that the domain found belongs to a pool of that region."""
    name = host.strip().lower()
    if name.startswith("["):  # an IPv6 literal names no domain
        return name
    name = name.rsplit(":", 1)[0] if ":" in name else name
    name = name.rstrip(".")
    match = _COGNITO_HOST.fullmatch(name)
    return match.group(1) if match else name


def _invalid_prefix() -> InvalidParameterException:
    # [O: mineiros-io/terraform-aws-cognito-user-pool#69 quotes it for a dotted name without CustomDomainConfig]
    return InvalidParameterException(
        "The domain name contains an invalid character. Domain names can only contain lower-case letters, "
        f"numbers, and hyphens. Please enter a different name that follows this format: {PREFIX_PATTERN}"
    )


def check_domain(domain: str, custom_domain_config: Mapping[str, Any] | None) -> None:
    """A prefix (no CustomDomainConfig) or a custom domain's fully qualified name."""
    if not custom_domain_config:
        if not _PREFIX.fullmatch(domain):
            raise _invalid_prefix()
        for word in RESERVED_WORDS:
            if word in domain:
                raise InvalidParameterException(  # [U] wording
                    f"Domain prefix cannot contain reserved word: {word}"
                )
        return
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        # [U] Cognito's check of a custom domain's name and its wording; a lower-case FQDN is asked for, as
        # the prefix rule's characters are.
        raise InvalidParameterException(
            f"The custom domain {domain} is not a valid fully qualified domain name."
        )
    if domain.endswith(".amazoncognito.com"):
        raise InvalidParameterException(  # [U] names under Cognito's own parent domains stay Cognito's
            f"The custom domain {domain} cannot be a subdomain of amazoncognito.com."
        )


def _check_certificate(custom_domain_config: Mapping[str, Any]) -> None:
    arn = str(custom_domain_config.get("CertificateArn", ""))
    if not arn.startswith("arn:") or ":acm:" not in arn:
        # [C] the certificate is an ACM certificate ARN; [U] the check (userpools has no ACM: the certificate
        # the server presents is its own --tls-cert) and the wording
        raise InvalidParameterException(f"The certificate ARN {arn} is not a valid ACM certificate ARN.")


def check_managed_login_version(version: int | None, pool_settings: Mapping[str, Any]) -> None:
    if version is None:
        return
    if version not in MANAGED_LOGIN_VERSIONS:
        raise InvalidParameterException(  # [U] wording; [C] only 1 (classic) and 2 (managed login) exist
            "ManagedLoginVersion must be 1 or 2."
        )
    if version == 2 and pool_settings.get("UserPoolTier") == "LITE":
        # [C] managed login needs the Essentials or Plus plan; [U] wording
        raise FeatureUnavailableInTierException("Managed login requires the Essentials or Plus feature plan.")


def _distribution(domain: str) -> str:
    """A CloudFront-like name (``d`` and 13 characters), the same for the same domain [O: real outputs show
    ``<14 characters>.cloudfront.net``]; userpools serves the domain itself, there is no distribution."""
    digest = hashlib.sha256(domain.encode()).hexdigest()
    return f"d{digest[:13]}.cloudfront.net"


def new_domain_document(
    request: Mapping[str, Any], *, region: str, account_id: str, now: datetime
) -> Document:
    """CreateUserPoolDomain input (checked) → the stored DomainDescriptionType."""
    domain = request["Domain"]
    config = request.get("CustomDomainConfig")
    check_domain(domain, config)
    if config:
        _check_certificate(config)
    document: Document = {
        "UserPoolId": request["UserPoolId"],
        "AWSAccountId": account_id,
        "Domain": domain,
        # [O: "aws-cognito-prod-pdx-assets" in the CLI example]; [U] the region name in place of the airport code
        "S3Bucket": f"aws-cognito-prod-{region}-assets",
        "CloudFrontDistribution": _distribution(domain),
        "Version": now.strftime("%Y%m%d%H%M%S"),  # [O: "20190128175402"]
        "Status": "ACTIVE",  # created at once: there is no distribution to wait for
        "CustomDomainConfig": dict(config) if config else {},
        "ManagedLoginVersion": request.get("ManagedLoginVersion") or DEFAULT_MANAGED_LOGIN_VERSION,
    }
    if request.get("Routing"):
        document["Routing"] = dict(request["Routing"])
    return document


def updated_domain_document(
    document: Mapping[str, Any], request: Mapping[str, Any], *, now: datetime
) -> Document:
    """UpdateUserPoolDomain: a new certificate (custom domains), ManagedLoginVersion, Routing; members not given
    stay as they are [U: the API reference describes the update of each one alone]."""
    updated = dict(document)
    config = request.get("CustomDomainConfig")
    if config:
        if not is_custom(document):
            # [U] wording: a prefix domain has no certificate to change
            raise InvalidParameterException("CustomDomainConfig can only be updated for a custom domain.")
        _check_certificate(config)
        updated["CustomDomainConfig"] = dict(config)
    if request.get("ManagedLoginVersion") is not None:
        updated["ManagedLoginVersion"] = request["ManagedLoginVersion"]
    if request.get("Routing") is not None:
        updated["Routing"] = dict(request["Routing"])
    updated["Version"] = now.strftime("%Y%m%d%H%M%S")
    return updated


def create_response(document: Mapping[str, Any]) -> Document:
    """CreateUserPoolDomain/UpdateUserPoolDomain output: ManagedLoginVersion, CloudFrontDomain for a custom
    domain only [C], Routing when set."""
    out: Document = {"ManagedLoginVersion": document["ManagedLoginVersion"]}
    if is_custom(document):
        out["CloudFrontDomain"] = document["CloudFrontDistribution"]
    if document.get("Routing"):
        out["Routing"] = document["Routing"]
    return out


def pool_settings_member(document: Mapping[str, Any]) -> str:
    """The member of the pool's settings (UserPoolType) that shows this domain."""
    return "CustomDomain" if is_custom(document) else "Domain"

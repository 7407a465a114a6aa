"""botocore's cognito-idp service model: the schema of every operation, loaded once at run time."""

from __future__ import annotations

from functools import cache

import botocore.loaders
from botocore.model import OperationModel, ServiceModel

TARGET_PREFIX = "AWSCognitoIdentityProviderService"


@cache
def service_model() -> ServiceModel:
    """Read with botocore's loader as a session would (same search path), without importing the session's
    client machinery (a tenth of a second of a server's start-up)."""
    return ServiceModel(botocore.loaders.Loader().load_service_model("cognito-idp", "service-2"), "cognito-idp")


@cache
def operation_names() -> frozenset[str]:
    return frozenset(service_model().operation_names)


@cache
def operation_model(name: str) -> OperationModel:
    return service_model().operation_model(name)


@cache
def is_unsigned(name: str) -> bool:
    """True for the operations botocore sends without a signature (``authtype: none``)."""
    return operation_model(name).auth_type == "none"

"""botocore's cognito-idp service model: the schema of every operation, loaded once at run time."""

from __future__ import annotations

from functools import cache

import botocore.session
from botocore.model import OperationModel, ServiceModel

TARGET_PREFIX = "AWSCognitoIdentityProviderService"


@cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("cognito-idp")


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

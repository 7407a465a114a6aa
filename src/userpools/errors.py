"""Cognito's error catalogue: one small class per error code.

The hierarchy::

    CognitoError                      code, HTTP status and default message as class attributes
     ├─ <the 60 exceptions of botocore's cognito-idp model>   (400; 500 for the two server faults)
     └─ the protocol-level errors AWS's front door sends before any Cognito code runs:
        SerializationException, RequestEntityTooLargeException (413), UnknownOperationException,
        MissingAuthenticationTokenException, IncompleteSignatureException, InvalidSignatureException,
        UnrecognizedClientException,
        and our own NotImplementedException for model operations userpools does not serve yet.

Status codes: real Cognito traffic answers 400 for every client fault, whatever the Smithy ``httpError``
traits say (see shared/cognito/recovery.md §6.3), and 500 only for InternalErrorException; 413 only for a
body over the size the server reads.
``userpools.protocol.json11.error_response`` is the one place that turns these into HTTP responses.
"""

from __future__ import annotations

from typing import ClassVar


class CognitoError(Exception):
    code: ClassVar[str] = "InternalErrorException"
    status: ClassVar[int] = 400
    default_message: ClassVar[str] = ""

    def __init__(self, message: str | None = None) -> None:
        self.message = self.default_message if message is None else message
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


# --- the exceptions of the cognito-idp model (botocore 1.44.8) ---------------------------------------

class AccessDeniedException(CognitoError):
    code = "AccessDeniedException"


class AliasExistsException(CognitoError):
    code = "AliasExistsException"


class CachedCIMDURLDoesNotExistException(CognitoError):
    code = "CachedCIMDURLDoesNotExistException"


class CodeDeliveryFailureException(CognitoError):
    code = "CodeDeliveryFailureException"


class CodeMismatchException(CognitoError):
    code = "CodeMismatchException"


class ConcurrentModificationException(CognitoError):
    code = "ConcurrentModificationException"


class DeviceKeyExistsException(CognitoError):
    code = "DeviceKeyExistsException"


class DuplicateProviderException(CognitoError):
    code = "DuplicateProviderException"


class EnableSoftwareTokenMFAException(CognitoError):
    code = "EnableSoftwareTokenMFAException"


class ExpiredCodeException(CognitoError):
    code = "ExpiredCodeException"


class FeatureUnavailableInTierException(CognitoError):
    code = "FeatureUnavailableInTierException"


class ForbiddenException(CognitoError):
    code = "ForbiddenException"


class GroupExistsException(CognitoError):
    code = "GroupExistsException"


class InternalErrorException(CognitoError):
    code = "InternalErrorException"
    status = 500


class InternalServerException(CognitoError):
    code = "InternalServerException"
    status = 500


class InvalidEmailRoleAccessPolicyException(CognitoError):
    code = "InvalidEmailRoleAccessPolicyException"


class InvalidLambdaResponseException(CognitoError):
    code = "InvalidLambdaResponseException"


class InvalidOAuthFlowException(CognitoError):
    code = "InvalidOAuthFlowException"


class InvalidParameterException(CognitoError):
    code = "InvalidParameterException"


class InvalidPasswordException(CognitoError):
    code = "InvalidPasswordException"


class InvalidSmsRoleAccessPolicyException(CognitoError):
    code = "InvalidSmsRoleAccessPolicyException"


class InvalidSmsRoleTrustRelationshipException(CognitoError):
    code = "InvalidSmsRoleTrustRelationshipException"


class InvalidUserPoolConfigurationException(CognitoError):
    code = "InvalidUserPoolConfigurationException"


class LimitExceededException(CognitoError):
    code = "LimitExceededException"


class MFAMethodNotFoundException(CognitoError):
    code = "MFAMethodNotFoundException"


class ManagedLoginBrandingExistsException(CognitoError):
    code = "ManagedLoginBrandingExistsException"


class NotAuthorizedException(CognitoError):
    code = "NotAuthorizedException"


class OperationNotEnabledException(CognitoError):
    code = "OperationNotEnabledException"


class PasswordHistoryPolicyViolationException(CognitoError):
    code = "PasswordHistoryPolicyViolationException"


class PasswordResetRequiredException(CognitoError):
    code = "PasswordResetRequiredException"


class PreconditionNotMetException(CognitoError):
    code = "PreconditionNotMetException"


class RefreshTokenReuseException(CognitoError):
    code = "RefreshTokenReuseException"


class ResourceNotFoundException(CognitoError):
    code = "ResourceNotFoundException"


class ScopeDoesNotExistException(CognitoError):
    code = "ScopeDoesNotExistException"


class ServiceQuotaExceededException(CognitoError):
    code = "ServiceQuotaExceededException"


class SoftwareTokenMFANotFoundException(CognitoError):
    code = "SoftwareTokenMFANotFoundException"


class TermsExistsException(CognitoError):
    code = "TermsExistsException"


class TierChangeNotAllowedException(CognitoError):
    code = "TierChangeNotAllowedException"


class TooManyFailedAttemptsException(CognitoError):
    code = "TooManyFailedAttemptsException"


class TooManyRequestsException(CognitoError):
    code = "TooManyRequestsException"


class UnauthorizedException(CognitoError):
    code = "UnauthorizedException"


class UnexpectedLambdaException(CognitoError):
    code = "UnexpectedLambdaException"


class UnsupportedIdentityProviderException(CognitoError):
    code = "UnsupportedIdentityProviderException"


class UnsupportedOperationException(CognitoError):
    code = "UnsupportedOperationException"


class UnsupportedTokenTypeException(CognitoError):
    code = "UnsupportedTokenTypeException"


class UnsupportedUserStateException(CognitoError):
    code = "UnsupportedUserStateException"


class UserImportInProgressException(CognitoError):
    code = "UserImportInProgressException"


class UserLambdaValidationException(CognitoError):
    code = "UserLambdaValidationException"


class UserNotConfirmedException(CognitoError):
    code = "UserNotConfirmedException"


class UserNotFoundException(CognitoError):
    code = "UserNotFoundException"


class UserPoolAddOnNotEnabledException(CognitoError):
    code = "UserPoolAddOnNotEnabledException"


class UserPoolTaggingException(CognitoError):
    code = "UserPoolTaggingException"


class UsernameExistsException(CognitoError):
    code = "UsernameExistsException"


class WebAuthnChallengeNotFoundException(CognitoError):
    code = "WebAuthnChallengeNotFoundException"


class WebAuthnClientMismatchException(CognitoError):
    code = "WebAuthnClientMismatchException"


class WebAuthnConfigurationMissingException(CognitoError):
    code = "WebAuthnConfigurationMissingException"


class WebAuthnCredentialNotSupportedException(CognitoError):
    code = "WebAuthnCredentialNotSupportedException"


class WebAuthnNotEnabledException(CognitoError):
    code = "WebAuthnNotEnabledException"


class WebAuthnOriginNotAllowedException(CognitoError):
    code = "WebAuthnOriginNotAllowedException"


class WebAuthnRelyingPartyMismatchException(CognitoError):
    code = "WebAuthnRelyingPartyMismatchException"


# --- the front door: errors AWS answers before the operation runs ------------------------------------


class SerializationException(CognitoError):
    """The body is not JSON, or a member has the wrong JSON type (AWS's JSON 1.1 front door)."""

    code = "SerializationException"


class RequestEntityTooLargeException(CognitoError):
    """The request body is larger than the server reads (``userpools.protocol.json11.MAX_BODY_BYTES``).

    Unconfirmed for Cognito, which documents no request size: the code and the 413 status are those of
    AWS Lambda's JSON front door for an oversized payload (botocore raises the code unretried).
    """

    code = "RequestEntityTooLargeException"
    status = 413


class UnknownOperationException(CognitoError):
    """X-Amz-Target names no operation of AWSCognitoIdentityProviderService."""

    code = "UnknownOperationException"


class MissingAuthenticationTokenException(CognitoError):
    """No signature on an operation that needs one. AWS's Coral JSON front door (the one Cognito shares
    with DynamoDB) answers 400 "Request is missing Authentication Token" (observed on DynamoDB,
    aws-sdk-ios-samples#111; the 403 "Missing Authentication Token" is API Gateway's). Unconfirmed for
    cognito-idp itself."""

    code = "MissingAuthenticationTokenException"
    default_message = "Request is missing Authentication Token"


class IncompleteSignatureException(CognitoError):
    code = "IncompleteSignatureException"


class InvalidSignatureException(CognitoError):
    code = "InvalidSignatureException"
    default_message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    )


class UnrecognizedClientException(CognitoError):
    code = "UnrecognizedClientException"
    default_message = "The security token included in the request is invalid."


class NotImplementedException(CognitoError):
    """userpools' own answer for an operation of the model that it does not serve yet.

    No AWS service sends this code, so a client can always tell "not yet" from "wrong input". The status
    is 501, which neither botocore's legacy nor its standard retry mode retries.
    """

    code = "NotImplementedException"
    status = 501


def all_error_classes() -> dict[str, type[CognitoError]]:
    """Every concrete error class by code (used by the tests that compare the catalogue with the model)."""
    found: dict[str, type[CognitoError]] = {}
    stack: list[type[CognitoError]] = list(CognitoError.__subclasses__())
    while stack:
        cls = stack.pop()
        found[cls.code] = cls
        stack.extend(cls.__subclasses__())
    return found

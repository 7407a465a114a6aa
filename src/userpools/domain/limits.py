"""Cognito's request-rate categories (quotas.md's "API operation categories and request rate quotas"): which
category every operation belongs to, each category's default rate and whether UpdateProvisionedLimit may
change it. Pure data; ``operations.limits`` enforces it.

The defaults are AWS's (newest-operations.md §6). Where an operation's category is not in the documentation
we have (the operations added after it: CIMD, terms, point-in-time recovery, replicas, GetDerivedToken) the
category follows the pattern of its siblings: reads of a pool's resources are UserPoolResourceRead, their
changes UserPoolResourceUpdate. Unconfirmed, and said so in docs/compatibility.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

#: Category → (default requests per second, adjustable through UpdateProvisionedLimit).
CATEGORIES: Mapping[str, tuple[int, bool]] = {
    "UserAuthentication": (120, True),
    "UserCreation": (50, True),
    "UserFederation": (25, True),
    "UserAccountRecovery": (30, False),
    "UserRead": (120, True),
    "UserUpdate": (25, False),
    "UserToken": (120, True),
    "UserResourceRead": (50, True),
    "UserResourceUpdate": (25, False),
    "UserList": (30, False),
    "UserPoolRead": (15, False),
    "UserPoolUpdate": (15, False),
    "UserPoolResourceRead": (20, False),
    "UserPoolResourceUpdate": (15, False),
    "UserPoolClientRead": (15, False),
    "UserPoolClientUpdate": (15, False),
    "ClientAuthentication": (150, False),
    "LimitManagement": (1, False),
}

#: The highest rate UpdateProvisionedLimit accepts (AWS's is the account's Service Quotas maximum, which it
#: does not publish; unconfirmed): above it, ServiceQuotaExceededException.
MAXIMUM = 10_000

#: The operations whose category is named explicitly; every other operation's follows from its name
#: (``category_of``).
_EXPLICIT: Mapping[str, tuple[str, ...]] = {
    "UserAuthentication": (
        "InitiateAuth", "AdminInitiateAuth", "RespondToAuthChallenge", "AdminRespondToAuthChallenge",
        "AssociateSoftwareToken", "VerifySoftwareToken",
    ),
    "UserCreation": ("SignUp", "ConfirmSignUp", "AdminCreateUser", "AdminConfirmSignUp", "ResendConfirmationCode"),
    "UserFederation": ("AdminLinkProviderForUser", "AdminDisableProviderForUser"),
    "UserAccountRecovery": ("ForgotPassword", "ConfirmForgotPassword"),
    "UserRead": ("GetUser", "AdminGetUser", "GetUserAuthFactors", "AdminGetUserAuthFactors", "AdminListUserSessions"),
    "UserToken": ("GetTokensFromRefreshToken", "RevokeToken", "GetDerivedToken"),
    "UserResourceRead": (
        "AdminGetDevice", "GetDevice", "AdminListDevices", "ListDevices", "AdminListGroupsForUser",
        "AdminListUserAuthEvents", "ListWebAuthnCredentials",
    ),
    "UserResourceUpdate": (
        "AdminForgetDevice", "ForgetDevice", "ConfirmDevice", "UpdateDeviceStatus", "AdminUpdateDeviceStatus",
        "AdminAddUserToGroup", "AdminRemoveUserFromGroup", "AdminUpdateAuthEventFeedback",
        "UpdateAuthEventFeedback", "StartWebAuthnRegistration", "CompleteWebAuthnRegistration",
        "DeleteWebAuthnCredential",
    ),
    "UserList": ("ListUsers", "ListUsersInGroup"),
    "UserPoolRead": ("DescribeUserPool", "ListUserPools", "GetUserPoolMfaConfig"),
    "UserPoolUpdate": ("CreateUserPool", "UpdateUserPool", "DeleteUserPool", "SetUserPoolMfaConfig",
                       "AddCustomAttributes"),
    "ClientAuthentication": ("GetClientToken",),
    "LimitManagement": ("GetProvisionedLimit", "UpdateProvisionedLimit"),
}

_BY_NAME = {operation: category for category, names in _EXPLICIT.items() for operation in names}
_READS = ("Describe", "Get", "List")


def category_of(operation: str) -> str:
    """The request-rate category of an operation of botocore's cognito-idp model."""
    explicit = _BY_NAME.get(operation)
    if explicit is not None:
        return explicit
    reads = operation.startswith(_READS)
    if "UserPoolClient" in operation or "ClientMetadataURL" in operation:
        return "UserPoolClientRead" if reads else "UserPoolClientUpdate"
    if operation in _ABOUT_A_USER or ("User" in operation and "UserPool" not in operation
                                      and "UserImport" not in operation):
        return "UserRead" if reads else "UserUpdate"
    return "UserPoolResourceRead" if reads else "UserPoolResourceUpdate"


#: Operations on one user whose names do not say "User".
_ABOUT_A_USER = frozenset({"ChangePassword", "GlobalSignOut", "AdminDeleteSoftwareToken"})


def categories_of(operations: Iterable[str]) -> dict[str, str]:
    return {operation: category_of(operation) for operation in operations}

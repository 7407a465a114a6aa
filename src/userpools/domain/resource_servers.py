"""Resource servers: a pool's custom OAuth scopes.

Each is a ``resource_server`` resource (key ``<pool id>/<Identifier>``, see ``domain.resources``) whose document
is ResourceServerType as DescribeResourceServer shows it::

    {"UserPoolId", "Identifier", "Name", "Scopes": [{"ScopeName", "ScopeDescription"}, ...]}

A client names a scope as ``<Identifier>/<ScopeName>`` (``custom_scopes`` lists them). ``ManagedBy`` is only
for the servers Cognito manages itself and is never set here. The model checks Identifier, Name and ScopeName
patterns and lengths and at most 100 scopes; here live the quota and the rules the model cannot express.
Source marks as in ``domain.pools``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from userpools.errors import InvalidParameterException, LimitExceededException

Document = dict[str, Any]

#: [C: quotas page, "Resource servers per user pool: 25" (adjustable); auth.md §7]
MAX_RESOURCE_SERVERS = 25
#: The standard scopes an app client may allow besides its resource servers' [C: CreateUserPoolClient]
STANDARD_SCOPES = frozenset({"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"})
#: The system-managed scope of dynamic client registration's initial access tokens: an app client may allow
#: it with no resource server defining it [C: developer guide, "Dynamic client registration"]
DCR_SCOPE = "aws.cognito/dcr/register"


def document(request: Mapping[str, Any]) -> Document:
    """Create/UpdateResourceServer input (shape-checked) → the stored ResourceServerType."""
    scopes = [
        {"ScopeName": s["ScopeName"], "ScopeDescription": s["ScopeDescription"]}
        for s in request.get("Scopes") or []
    ]
    names = [s["ScopeName"] for s in scopes]
    if len(set(names)) != len(names):
        # [U] wording: a scope name twice in one server is refused
        duplicate = next(n for n in names if names.count(n) > 1)
        raise InvalidParameterException(f"Duplicate scope names are not allowed: {duplicate}")
    return {
        "UserPoolId": request["UserPoolId"],
        "Identifier": request["Identifier"],
        "Name": request["Name"],
        "Scopes": scopes,
    }


def check_quota(existing: int) -> None:
    if existing >= MAX_RESOURCE_SERVERS:
        # [C] the quota; [U] wording
        raise LimitExceededException(
            f"The user pool has reached its limit of {MAX_RESOURCE_SERVERS} resource servers."
        )


def custom_scopes(servers: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every ``<Identifier>/<ScopeName>`` the servers define."""
    return {
        f"{server['Identifier']}/{scope['ScopeName']}"
        for server in servers
        for scope in server.get("Scopes") or []
    }

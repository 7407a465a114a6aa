"""The console's admin actions: each a form on a user's page (or the pool's, to create a user) turned into one
API operation's request, run through the same handler as the API (``views`` calls it). A table, not an
if-chain: the form's ``action`` names the row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Form = Mapping[str, str]


@dataclass(frozen=True)
class Action:
    operation: str
    #: The request's members besides UserPoolId and Username, read from the form.
    members: Callable[[Form], dict[str, Any]]
    #: What the page says once it is done.
    done: str
    #: Where the browser goes next: back to the user's page, or (the user is gone) to the pool's.
    leaves_user: bool = False


def _nothing(_form: Form) -> dict[str, Any]:
    return {}


def _group(form: Form) -> dict[str, Any]:
    return {"GroupName": form.get("group", "")}


def _password(form: Form) -> dict[str, Any]:
    return {"Password": form.get("password", ""), "Permanent": form.get("permanent") == "on"}


#: The user page's actions, by the form's ``action`` value.
USER_ACTIONS: dict[str, Action] = {
    "set-password": Action("AdminSetUserPassword", _password, "Password set."),
    "reset-password": Action("AdminResetUserPassword", _nothing,
                             "Password reset: the user must set a new one (a code was sent)."),
    "enable": Action("AdminEnableUser", _nothing, "User enabled."),
    "disable": Action("AdminDisableUser", _nothing, "User disabled."),
    "confirm-sign-up": Action("AdminConfirmSignUp", _nothing, "Sign-up confirmed."),
    "add-to-group": Action("AdminAddUserToGroup", _group, "Added to the group."),
    "remove-from-group": Action("AdminRemoveUserFromGroup", _group, "Removed from the group."),
    "sign-out": Action("AdminUserGlobalSignOut", _nothing, "Signed out everywhere: every refresh token revoked."),
    "delete": Action("AdminDeleteUser", _nothing, "User deleted.", leaves_user=True),
}


def create_user_request(pool_id: str, form: Form) -> dict[str, Any]:
    """AdminCreateUser's request from the pool page's form: a username, optionally an email (verified when
    the box is ticked), a temporary password (else Cognito's generated one) and whether to send the invitation."""
    attributes = []
    email = form.get("email", "").strip()
    if email:
        attributes.append({"Name": "email", "Value": email})
        if form.get("email_verified") == "on":
            attributes.append({"Name": "email_verified", "Value": "true"})
    request: dict[str, Any] = {"UserPoolId": pool_id, "Username": form.get("username", "")}
    if attributes:
        request["UserAttributes"] = attributes
    if form.get("temporary_password"):
        request["TemporaryPassword"] = form["temporary_password"]
    if form.get("invite") != "on":
        request["MessageAction"] = "SUPPRESS"
    elif email:
        request["DesiredDeliveryMediums"] = ["EMAIL"]
    return request

"""What a secondary Region serves: the allow-lists name real operations, reads and sign-in pass, writes do not."""

from __future__ import annotations

from userpools.operations import replica_guard
from userpools.protocol.model import operation_names


def test_the_lists_name_operations_of_the_model() -> None:
    known = set(operation_names())
    assert replica_guard.END_USER_SIGN_IN <= known
    assert replica_guard._ADMIN_ALLOWED <= known


def test_reads_and_sign_in_pass_and_writes_are_refused() -> None:
    allowed = {name for name in operation_names() if replica_guard.allowed_on_secondary(name)}
    assert {"InitiateAuth", "RespondToAuthChallenge", "AdminInitiateAuth", "GetUser", "AdminGetUser", "ListUsers",
            "DescribeUserPool", "ListUserPoolReplicas", "UpdateUserPoolReplica", "GetTokensFromRefreshToken"} <= allowed
    refused = {"SignUp", "AdminCreateUser", "UpdateUserPool", "UpdateUserAttributes", "AdminUpdateUserAttributes",
               "ForgotPassword", "ChangePassword", "AdminDeleteUser", "CreateUserPoolReplica", "DeleteUserPoolReplica",
               "AssociateSoftwareToken", "VerifySoftwareToken", "CreateGroup", "GetCSVHeader",
               "GetUserAttributeVerificationCode"}
    assert not refused & allowed
    # every operation that is allowed is a read or in one of the lists (no write slips in through a prefix)
    for name in allowed:
        assert name.startswith(("Describe", "List", "Get", "Admin")) or name in replica_guard.END_USER_SIGN_IN \
            or name in replica_guard._ADMIN_ALLOWED, name

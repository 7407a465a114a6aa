"""What a secondary Region (a replica) of a pool serves: read and sign-in only.

The operations table wraps each handler so that it names the running operation and this server's Region in
``RUNNING`` (one ContextVar set per call). Every place an operation loads its pool (``pools.get_pool_or_raise``,
``common.load_client``, ``tokens.authenticate``, the MFA-setup session) then calls ``check(pool)``: a pool
without replicas costs one dict lookup; a pool whose replica list names this server's Region refuses every
operation but the reads, the sign-in and the replica operations (OperationNotEnabledException), and an
INACTIVE replica also refuses the end users' operations. No I/O: the decision is on the pool record the
operation loaded anyway (cached per process).
"""

from __future__ import annotations

from contextvars import ContextVar

from userpools.domain.records import PoolRecord
from userpools.domain.replicas import REPLICAS, home_region
from userpools.errors import OperationNotEnabledException

#: (operation, this server's Region) while an API operation runs; None outside one (the hosted pages)
RUNNING: ContextVar[tuple[str, str] | None] = ContextVar("userpools_replica_running", default=None)

#: What end users call (no SigV4): refused by an INACTIVE replica [C: UserPoolReplicaType.Status INACTIVE
#: "not accepting requests for end-users"]
END_USER_SIGN_IN = frozenset({
    "InitiateAuth", "RespondToAuthChallenge", "GetUser", "GlobalSignOut", "RevokeToken", "GetTokensFromRefreshToken",
    "ConfirmDevice", "ForgetDevice", "GetDevice", "ListDevices", "UpdateDeviceStatus", "GetUserAuthFactors",
    "ListWebAuthnCredentials", "GetClientToken", "GetDerivedToken", "AssociateSoftwareToken",
})
#: Admin operations a secondary serves besides reads (Describe*/List*/Get*/AdminGet*/AdminList*): sign-in,
#: sign-out and the replica operations [DG-mrr: "end-user operations that don't create or change user
#: attributes"; the exact list is UNCONFIRMED: ours is reads + sign-in]
_ADMIN_ALLOWED = frozenset({
    "AdminInitiateAuth", "AdminRespondToAuthChallenge", "AdminUserGlobalSignOut", "AdminGetDevice",
    "AdminListDevices", "AdminForgetDevice", "AdminUpdateDeviceStatus", "UpdateUserPoolReplica",
    "ListUserPoolReplicas", "AdminListUserAuthEvents",
})
_READ_PREFIXES = ("Describe", "List", "Get", "AdminGet", "AdminList")


def allowed_on_secondary(operation: str) -> bool:
    if operation in END_USER_SIGN_IN or operation in _ADMIN_ALLOWED:
        return operation not in ("AssociateSoftwareToken",)  # no TOTP MFA set-up in a secondary [DG-mrr]
    # GetCSVHeader starts an import; GetUserAttributeVerificationCode sends a code to verify (change) an attribute
    return operation.startswith(_READ_PREFIXES) and operation not in ("GetCSVHeader", "GetUserAttributeVerificationCode")


def check(pool: PoolRecord) -> None:
    """Raises OperationNotEnabledException when the running operation may not run on this Region's replica."""
    replicas = pool.settings.get(REPLICAS)
    if not replicas:
        return
    running = RUNNING.get()
    if running is not None:
        check_operation(pool, *running)


def check_operation(pool: PoolRecord, operation: str, region: str) -> None:
    """``check`` for an operation named by its caller (the hosted pages and the OAuth endpoints, which run
    the operations' logic outside the operations table)."""
    replicas = pool.settings.get(REPLICAS)
    if not replicas or region == home_region(pool.id):
        return
    for replica in replicas:
        if replica["RegionName"] == region:
            if not allowed_on_secondary(operation):
                # [U] message wording
                raise OperationNotEnabledException(
                    f"{operation} is not enabled on the secondary replica of user pool {pool.id} in {region}."
                )
            if operation in END_USER_SIGN_IN and replica["Status"] != "ACTIVE":
                raise OperationNotEnabledException(
                    f"The replica of user pool {pool.id} in {region} is {replica['Status']}."
                )
            return

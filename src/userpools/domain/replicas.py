"""Multi-Region replication (replicas): one pool, the same pool id and signing keys, served by a secondary
Region read and sign-in only.

The replica list is kept in the pool's settings under ``Replicas`` (not a UserPoolType member, so
DescribeUserPool leaves it out and UpdateUserPool keeps it): ``[{"RegionName", "Status"}]``, Status
``ACTIVE`` or ``INACTIVE``. The primary (home) Region is the pool id's prefix. Every decision here is on
the already-loaded pool record: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from userpools.domain.records import PoolRecord

REPLICAS = "Replicas"
#: Cognito allows at most one secondary per pool [DG-mrr]
MAX_SECONDARIES = 1


def home_region(pool_id: str) -> str:
    return pool_id.split("_", 1)[0]


def replicas_of(pool: PoolRecord) -> list[Mapping[str, Any]]:
    return list(pool.settings.get(REPLICAS) or [])


def replica_in(pool: PoolRecord, region: str) -> Mapping[str, Any] | None:
    """The pool's secondary in ``region``, or None (the home Region, or not replicated there)."""
    for replica in pool.settings.get(REPLICAS) or ():
        if replica["RegionName"] == region:
            return replica  # type: ignore[no-any-return]
    return None


def replica_regions(pool: PoolRecord) -> list[str]:
    return [r["RegionName"] for r in replicas_of(pool)]


def arn(pool_id: str, region: str, account_id: str) -> str:
    return f"arn:aws:cognito-idp:{region}:{account_id}:userpool/{pool_id}"


def described(pool_id: str, replica: Mapping[str, Any], *, role: str, account_id: str) -> dict[str, Any]:
    """UserPoolReplicaType."""
    return {
        "RegionName": replica["RegionName"],
        "Status": replica["Status"],
        "Role": role,
        "UserPoolArn": arn(pool_id, replica["RegionName"], account_id),
    }

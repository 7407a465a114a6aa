"""User pool tags (TagResource, UntagResource, ListTagsForResource, and UserPoolTags in Create/Update/
DescribeUserPool): one map kept in the pool's settings as ``UserPoolTags``.

Sources: [C] documented, [O] observed, [U] unconfirmed choice; see shared/cognito/admin-misc.md §2.

- Only user pools can be tagged [C: TagResource doc]; their ARN is
  ``arn:aws:cognito-idp:<region>:<account>:userpool/<poolId>`` [O]. Any other ARN, or one of another account
  or region, names nothing here: ResourceNotFoundException [U message].
- At most 50 tags per pool [C]; keys 1–128 and values 0–256 characters (the model's constraints, checked by the
  protocol layer). Beyond 50: InvalidParameterException, the only fitting error TagResource models [U]. Keys
  starting with ``aws:`` are reserved by AWS for its own tags and refused [U: AWS's general tagging rule].
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from userpools.errors import InvalidParameterException

MAX_TAGS: Final = 50
_POOL_ARN = re.compile(r"arn:aws:cognito-idp:([a-z0-9-]+):(\d{12}):userpool/([\w-]+_[0-9a-zA-Z]+)")


def pool_id_of(arn: str, *, account_id: str) -> str | None:
    """The pool id a user pool ARN of this deployment names (its region the pool id's own), or None."""
    match = _POOL_ARN.fullmatch(arn)
    if match is None or match.group(2) != account_id:
        return None
    region, pool_id = match.group(1), match.group(3)
    return pool_id if pool_id.split("_", 1)[0] == region else None


def check_tags(tags: Mapping[str, str]) -> None:
    """Raises InvalidParameterException for more than 50 tags or a reserved key."""
    if len(tags) > MAX_TAGS:
        raise InvalidParameterException(f"A user pool can have at most {MAX_TAGS} tags.")  # [U] wording
    for key in tags:
        if key.lower().startswith("aws:"):
            raise InvalidParameterException(f"Tag keys starting with 'aws:' are reserved: {key}")  # [U] wording

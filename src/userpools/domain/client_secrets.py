"""An app client's secrets: up to two at once, for rotation without downtime (AddUserPoolClientSecret,
DeleteUserPoolClientSecret, ListUserPoolClientSecrets).

Sources: [C] the API reference / botocore model, [U] unconfirmed choice; see shared/cognito/admin-misc.md §8.

Where they are kept: the client record's ``secret_ciphertext`` column holds the oldest active secret (so
everything that asks "has this client a secret" or shows ``ClientSecret`` keeps working), and the client's
settings document holds every active secret under ``SECRETS_KEY``: its id, creation time and ciphertext (the
same encryption under the data key as the column, base64). That member is not in UserPoolClientType, so
DescribeUserPoolClient never shows it, and UpdateUserPoolClient keeps it (it keeps stored keys that are not
its own members). A client made before this (or by CreateUserPoolClient) has no such member: its one secret
is the column's, created with the client.

- ``ClientSecretId`` is ``<client-id>--<epoch-create-time>`` [C]; the epoch time is taken in milliseconds [U:
  the unit is unstated; seconds would give two secrets added in one second the same id].
- Both secrets are accepted wherever a secret is (SECRET_HASH, ClientSecret of GetTokensFromRefreshToken and
  RevokeToken) [U, implied by "zero-downtime credential rotation"]. DescribeUserPoolClient shows the oldest
  as ``ClientSecret`` [U].
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

MAX_SECRETS: Final = 2
SECRETS_KEY: Final = "_ClientSecrets"


@dataclass(frozen=True)
class StoredSecret:
    id: str
    created_at: datetime
    ciphertext: bytes


def epoch_millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def secret_id(client_id: str, created_at: datetime) -> str:
    return f"{client_id}--{epoch_millis(created_at)}"


def stored_secrets(
    settings: Mapping[str, Any], *, client_id: str, created_at: datetime, column: bytes | None
) -> list[StoredSecret]:
    """The client's active secrets, oldest first."""
    entries = settings.get(SECRETS_KEY)
    if not isinstance(entries, list) or not entries:
        if column is None:
            return []
        return [StoredSecret(secret_id(client_id, created_at), created_at, column)]
    return [
        StoredSecret(
            str(entry["Id"]),
            datetime.fromtimestamp(int(entry["Created"]) / 1000, UTC),
            base64.b64decode(entry["Ciphertext"]),
        )
        for entry in entries
    ]


def with_secrets(settings: Mapping[str, Any], secrets: list[StoredSecret]) -> dict[str, Any]:
    """The settings document holding ``secrets`` (oldest first)."""
    out = dict(settings)
    out[SECRETS_KEY] = [
        {
            "Id": s.id,
            "Created": epoch_millis(s.created_at),
            "Ciphertext": base64.b64encode(s.ciphertext).decode("ascii"),
        }
        for s in secrets
    ]
    return out


def descriptor(secret: StoredSecret, value: str | None = None) -> dict[str, Any]:
    """ClientSecretDescriptorType; the value only when Cognito generated it, at creation [C]."""
    out: dict[str, Any] = {"ClientSecretId": secret.id}
    if value is not None:
        out["ClientSecretValue"] = value
    out["ClientSecretCreateDate"] = secret.created_at
    return out

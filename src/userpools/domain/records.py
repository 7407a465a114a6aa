"""The records the store keeps, as the domain works on them: frozen dataclasses, no behaviour.

They belong to the domain (``domain/`` and ``crypto/`` compute on them); ``storage.ports`` declares the
Protocols that keep and return them, and the storage implementations map them to rows. Nothing here
imports anything of userpools, so every layer may use them.

Datetimes are timezone-aware UTC.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

_R = TypeVar("_R")


def replace(record: _R, /, **changes: Any) -> _R:
    """``dataclasses.replace(record, **changes)`` for a record of this module (frozen, its fields all
    ``__init__``'s, no ``__post_init__``, no slots, nothing cached on it): the same new record, made by
    copying the old one's attributes, where dataclasses.replace walks the fields and calls the generated
    ``__init__`` (about 600 Python steps for a UserRecord: 3% of a TOTP sign-in's). Any other dataclass, or
    a name that is no field, goes to dataclasses.replace (and its TypeError)."""
    cls = type(record)
    names = _PLAIN_FIELDS.get(cls)
    if names is None:
        names = _plain_fields(cls)
    if not names or not names.issuperset(changes):
        return dataclasses.replace(record, **changes)  # type: ignore[type-var]
    new = object.__new__(cls)
    object.__setattr__(new, "__dict__", {**record.__dict__, **changes})
    return new


def made(cls: type[_R], fields: dict[str, Any]) -> _R:
    """``cls(**fields)`` for a record class of this module and a value for each of its fields: the instance
    made with ``fields`` as its attributes (the dict becomes its ``__dict__``), without the frozen
    ``__init__``'s ``object.__setattr__`` for each field (the store makes a record of every row it reads).
    A dict that is not exactly the fields, or another class, goes to ``cls(**fields)``."""
    names = _PLAIN_FIELDS.get(cls)
    if names is None:
        names = _plain_fields(cls)
    if not names or names != fields.keys():
        return cls(**fields)
    new = object.__new__(cls)
    object.__setattr__(new, "__dict__", fields)
    return new


#: record class → its field names, when ``replace`` and ``made`` may set its instances' attributes directly
#: (an empty set when they may not)
_PLAIN_FIELDS: dict[type, frozenset[str]] = {}


def _plain_fields(cls: type) -> frozenset[str]:
    """The class's ``_PLAIN_FIELDS`` entry, found out and kept on first use."""
    names: frozenset[str] = frozenset()
    params = getattr(cls, "__dataclass_params__", None)
    if (params is not None and params.frozen and not hasattr(cls, "__post_init__")
            and not hasattr(cls, "__slots__") and cls.__module__ == __name__):
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        # a ClassVar or InitVar among the annotations, or a field outside __init__: the dataclass decides
        if all(f.init for f in fields) and set(vars(cls).get("__annotations__", {})) == {f.name for f in fields}:
            names = frozenset(f.name for f in fields)
    _PLAIN_FIELDS[cls] = names
    return names


@dataclass(frozen=True)
class PoolRecord:
    """A user pool.

    ``settings`` is the pool's configuration document in Cognito's own member names (Policies,
    LambdaConfig, SchemaAttributes, AutoVerifiedAttributes, …: every member of UserPoolType except Id,
    Name, Arn, the dates and the counters), exactly as DescribeUserPool will show it. It is one document
    because Cognito treats it as one (UpdateUserPool replaces it as a whole); domains that need typed
    views of a part parse that part.
    """

    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClientRecord:
    """An app client. ``id`` is unique across all pools (public operations find the pool from it).

    ``secret_ciphertext`` is the client secret encrypted under the deployment's data key (None when the
    client has no secret). ``settings`` holds every other member of UserPoolClientType in Cognito's names.
    """

    id: str
    pool_id: str
    name: str
    created_at: datetime
    updated_at: datetime
    secret_ciphertext: bytes | None = None
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SigningKeyRecord:
    """One RSA signing key of a pool. ``purpose`` is "id" or "access" (Cognito signs each token type with
    its own kid). The private key is PEM encrypted under the data key; ``public_jwk`` is what JWKS serves."""

    kid: str
    pool_id: str
    purpose: str
    private_key_ciphertext: bytes
    public_jwk: dict[str, Any]
    created_at: datetime
    active: bool = True


#: Names ListUsers can filter on (Cognito's list). The store keeps an index of exactly these per user, so
#: a filtered listing never scans a pool: the attributes of the same names, plus
#: ``cognito:user_status`` (the user's status) and ``status`` ("Enabled" / "Disabled").
FILTERABLE_ATTRIBUTES = (
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
)


@dataclass(frozen=True)
class UserRecord:
    """A user of a pool.

    ``username`` is the name as created (case kept); ``username_key`` is its lookup form, unique in the pool
    (lower-cased when the pool's UsernameConfiguration.CaseSensitive is false; the domain decides).
    ``attributes`` holds every attribute except ``sub``, with string values as Cognito keeps them
    (``"email_verified": "true"``). ``password_ciphertext`` is the encrypted SRP salt and verifier (never
    the password); ``password_history_ciphertext`` the encrypted list of earlier ones. ``extra`` holds what
    later domains keep per user (MFA settings, preferences) as a small document.
    """

    pool_id: str
    username: str
    username_key: str
    sub: str
    status: str
    enabled: bool
    created_at: datetime
    updated_at: datetime
    attributes: dict[str, str] = field(default_factory=dict)
    password_ciphertext: bytes | None = None
    password_changed_at: datetime | None = None
    password_history_ciphertext: bytes | None = None
    failed_attempts: int = 0
    locked_until: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UserFilter:
    """One ListUsers filter: ``name = "value"`` (exact) or ``name ^= "value"`` (prefix)."""

    name: str
    value: str
    prefix: bool = False


@dataclass(frozen=True)
class CodeRecord:
    """A one-time code (sign-up confirmation, attribute verification, password reset). Only its keyed
    hash is kept; there is at most one per (pool, user, purpose), so a new code replaces the old one."""

    pool_id: str
    username_key: str
    purpose: str
    code_hash: bytes
    created_at: datetime
    expires_at: datetime
    attempts: int = 0


@dataclass(frozen=True)
class AuthSessionRecord:
    """One sign-in's token family: the refresh token and every access/ID token issued from it share
    ``origin_jti``. Revoking it (RevokeToken, GlobalSignOut) revokes all of them."""

    origin_jti: str
    pool_id: str
    client_id: str
    username_key: str
    auth_time: datetime
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    generation: int = 0
    """Refresh-token rotation: the generation of the family's current refresh token (0 until rotated)."""
    rotated_at: datetime | None = None
    last_used_at: datetime | None = None
    """User sessions: the last refresh of the family (None: never refreshed since the sign-in)."""
    last_ip: str | None = None
    """The caller's address at the sign-in or the last refresh."""
    user_agent: str | None = None
    """The caller's User-Agent at the sign-in or the last refresh."""
    origin_sso: str | None = None
    """The stored key of the hosted-UI session (OAuthGrantRecord kind "session") the family came through."""


@dataclass(frozen=True)
class OutboxRecord:
    """A message the pool sent. ``payload_ciphertext`` is the encrypted JSON of subject, body and code:
    a copy of the database must not reveal codes."""

    id: str
    pool_id: str
    username: str
    destination: str
    delivery_medium: str
    trigger_source: str
    created_at: datetime
    payload_ciphertext: bytes


@dataclass(frozen=True)
class AuthEventRecord:
    """One entry of a user's auth-event history (AdminListUserAuthEvents): what was asked, when, how it ended,
    and the context the client sent (UserContextData: IP address, device data)."""

    id: str
    pool_id: str
    username_key: str
    event_type: str  # SignIn | SignUp | ForgotPassword | PasswordChange | ResendCode
    created_at: datetime
    response: str  # Pass | Fail | InProgress
    challenge_responses: list[dict[str, str]] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    feedback: dict[str, Any] | None = None


@dataclass(frozen=True)
class PoolResource:
    """One configuration document of a pool: kinds, keys and documents are described in ``domain.resources``."""

    kind: str
    key: str
    pool_id: str
    created_at: datetime
    updated_at: datetime
    document: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OAuthGrantRecord:
    """Short-lived OAuth state of a pool's domain, found by the keyed hash of a secret someone holds.

    ``kind`` "code": an authorization code (the client holds the code); ``document`` binds it to the client,
    redirect_uri, PKCE challenge, nonce, scopes and the signed-in user; ``used_at`` is set when it is redeemed
    (single use), with the token family it gave in the document (for what RFC 6749 §4.1.2 advises on replay).
    ``kind`` "session": a hosted-UI sign-in session (the browser's cookie holds the secret); ``document``
    names the user and the time of the sign-in."""

    kind: str
    key: str
    pool_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    document: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GroupRecord:
    """One group of a pool. ``name_key`` is ``group_key(name)``, unique in the pool."""

    pool_id: str
    name: str
    name_key: str
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    role_arn: str | None = None
    precedence: int | None = None


@dataclass(frozen=True)
class WebAuthnCredentialRecord:
    """One passkey of a user (``domain.passkeys``): the credential id (base64url), its COSE public key, the
    signature counter last seen, and what ListWebAuthnCredentials shows."""

    pool_id: str
    username_key: str
    credential_id: str
    public_key: bytes
    sign_count: int
    relying_party_id: str
    friendly_name: str
    transports: tuple[str, ...]
    created_at: datetime
    attachment: str | None = None


@dataclass(frozen=True)
class JournalEntry:
    """One row of point-in-time recovery's change journal of a user (``storage.sql_journal``), at ``at``
    (microseconds since the epoch): ``kind`` "user" (``state`` the UserRecord as written, None: deleted),
    "group" (``key`` the group's name key; ``state`` True, None: the membership removed) or "passkey" (``key``
    the credential id; ``state`` the WebAuthnCredentialRecord, None: deleted)."""

    kind: str
    key: str
    at: int
    state: UserRecord | WebAuthnCredentialRecord | bool | None


@dataclass(frozen=True)
class DeviceRecord:
    """One device of a user (remembered devices, ``domain.devices``). ``verifier_ciphertext``: the device's
    SRP salt and verifier (ConfirmDevice), encrypted under the data key; None until the device is confirmed.
    ``status``: ``remembered`` or ``not_remembered``."""

    pool_id: str
    username_key: str
    device_key: str
    group_key: str
    status: str
    created_at: datetime
    updated_at: datetime
    verifier_ciphertext: bytes | None = None
    name: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    last_authenticated_at: datetime | None = None


#: What a sign-in needs of each of the user's groups: (name, role ARN, precedence), as the store reads it.
TokenGroup = tuple[str, str | None, int | None]


@dataclass(frozen=True)
class ImportJobRecord:
    """A user import job (CreateUserImportJob). ``progress_line`` is the last line of the CSV whose outcome is
    committed (the header is line 1): a resumed job goes on after it, so no line is imported twice. ``owner``
    is the server process working on the job and ``heartbeat_at`` when it last said so (a claim others may
    take over once stale); ``uploaded_at`` is set once the CSV is in the store (``import_job_files``)."""

    id: str
    pool_id: str
    name: str
    status: str
    role_arn: str
    created_at: datetime
    password_hashing: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    imported: int = 0
    skipped: int = 0
    failed: int = 0
    message: str | None = None
    progress_line: int = 1
    owner: str | None = None
    heartbeat_at: datetime | None = None
    uploaded_at: datetime | None = None


@dataclass(frozen=True)
class ImportLogLine:
    """One line's outcome in an import job's log: ``outcome`` SUCCEEDED, SKIPPED or FAILED, ``message`` the
    reason as Cognito's CloudWatch lines word it (never user data)."""

    job_id: str
    line: int
    outcome: str
    message: str

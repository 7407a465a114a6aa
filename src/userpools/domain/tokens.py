"""The tokens a sign-in returns, the access-token check every token-authorized operation makes, and the two
opaque strings this server hands out and takes back: the refresh token and the challenge ``Session``.

Sources: [C] documented (Cognito developer guide, API reference, aws-jwt-verify's source), [O] observed in
real Cognito tokens or error messages quoted in public issues, [U] unconfirmed choice. Details in
shared/cognito/auth.md §4.

Claim order [O]: Cognito builds the claims in a Java ``HashMap`` and serializes it, so keys come out in hash
bucket order: by Java's ``String.hashCode`` (spread as ``HashMap.hash`` does) modulo the table size, insertion
order within a bucket. The table starts at 16 buckets and doubles past a 0.75 load — except that every
API-flow access token seen since 2022 shows a table of at least 32 even with 12 claims (one more entry put and
removed, presumably). This reproduces the key order of 17 of the 18 real tokens examined (2019–2025: ID and
access, with and without groups, revocation, custom and phone attributes), e.g. ``sub, email_verified, iss,
phone_number_verified, cognito:username, origin_jti, aud, event_id, token_use, auth_time, name, phone_number,
exp, iat, jti, email``. The 18th differs only inside one bucket (a custom attribute before ``sub``), so the
insertion order used here — Cognito's own claims, with the verification flags after the groups, then the
other attributes — is [U] where two claims share a bucket.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from userpools import ids
from userpools.crypto.datakey import DataKeyCipher, DataKeyError
from userpools.crypto.jwt import DeferredToken, ExpiredToken, SigningKeys, TokenError, peek, sign, verify
from userpools.domain.clients import token_validity_seconds
from userpools.domain.records import ClientRecord, UserRecord
from userpools.errors import NotAuthorizedException

ADMIN_SCOPE = "aws.cognito.signin.user.admin"  # the only scope of API-flow access tokens [C]

# NotAuthorizedException messages for access tokens [O: amplify-js#974, aws-sdk-ios#1376 (expired);
# aws-amplify-identity-broker#538 (invalid); amplify-js#2205 (revoked); amplify-js#1906 (scopes)].
INVALID_ACCESS_TOKEN = "Invalid Access Token"
ACCESS_TOKEN_EXPIRED = "Access Token has expired"
ACCESS_TOKEN_REVOKED = "Access Token has been revoked"
ACCESS_TOKEN_SCOPES = "Access Token does not have required scopes"

_POOL_REGION = re.compile(r"^([a-z]{2}-(?:gov-)?[a-z]+-\d)_[A-Za-z0-9]+$")  # aws-jwt-verify's [C]
_POOL_ID = re.compile(r"^[\w-]+_[0-9a-zA-Z]+$")
_VERIFIED_FLAGS = ("email_verified", "phone_number_verified")  # JSON booleans in ID tokens [O]
# Claims Cognito sets itself; an attribute never overrides one ("sub" is never emitted twice).
_RESERVED = frozenset(
    [
        "sub",
        "cognito:groups",
        "cognito:roles",
        "cognito:preferred_role",
        "iss",
        "cognito:username",
        "origin_jti",
        "aud",
        "event_id",
        "token_use",
        "auth_time",
        "exp",
        "iat",
        "jti",
        "client_id",
        "scope",
        "username",
    ]
)


@dataclass(frozen=True)
class Issued:
    #: text, or (``deferred=True``) a token signed when first serialised
    access_token: str | DeferredToken
    id_token: str | DeferredToken | None  # None: an OAuth grant without the openid scope
    expires_in: int
    refresh_token: str | None


@dataclass(frozen=True)
class OAuthGrant:
    """What makes tokens of the OAuth endpoints differ from the API's: the granted ``scopes`` (the access
    token's ``scope``, and sealed in the refresh token so a refresh keeps them), ``"version": 2`` in the access
    token [O: hosted-UI tokens, groups-federation-oauth.md §3], the ``nonce`` of the authorization request and
    ``at_hash`` in the ID token [C: auth.md §4], and no ID token without ``openid`` [C: token endpoint]."""

    scopes: tuple[str, ...]
    nonce: str | None = None
    #: the authentication level reached and the methods used, when the authorization request asked for a level
    #: (``acr_values``): today only a federated sign-in through an OIDC provider with an AcrMapping reports them
    acr: str | None = None
    amr: tuple[str, ...] | None = None

    @property
    def with_id_token(self) -> bool:
        return "openid" in self.scopes


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: base64url of the left half of SHA-256 over the access token's ASCII (RS256)."""
    return _b64(hashlib.sha256(access_token.encode("ascii")).digest()[:16])


def _fill_at_hash(claims: dict[str, Any], access_token: str) -> None:
    claims["at_hash"] = at_hash(access_token)


def issuer_updated(pool_settings: Mapping[str, Any]) -> bool:
    """IssuerConfiguration Type UPDATED: ``https://issuer-cognito-idp.<primary Region>.amazonaws.com/<poolId>``,
    the one issuer every replica's tokens carry [C: IssuerConfigurationType]."""
    return (pool_settings.get("IssuerConfiguration") or {}).get("Type") == "UPDATED"


def issuer(pool_id: str, *, public_url: str, aws_style: bool, region: str, updated: bool = False) -> str:
    """``<public_url>/<poolId>``, or AWS's ``https://cognito-idp.<region>.amazonaws.com/<poolId>``.

    For the AWS form the region is the pool id's own prefix whenever it has one: aws-jwt-verify derives the
    expected issuer from the pool id alone [C], so ``region`` only serves pool ids without a region prefix.
    ``updated`` (the pool's IssuerConfiguration UPDATED) names AWS's ``issuer-cognito-idp`` host instead; the
    ``public_url`` form is the same either way (replicas share it by sharing ``--public-url``)."""
    if not aws_style:
        return f"{public_url.rstrip('/')}/{pool_id}"
    match = _POOL_REGION.match(pool_id)
    host = "issuer-cognito-idp" if updated else "cognito-idp"
    return f"https://{host}.{match.group(1) if match else region}.amazonaws.com/{pool_id}"


# --- claims -------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _java_hash(text: str) -> int:
    """``String.hashCode`` (over UTF-16 code units) with ``HashMap.hash``'s spreading of the high bits.

    Cached: it runs for every claim name of every token (some 25 per sign-in, 2 µs each in pure Python), and
    the names are few — Cognito's own and the pool's attributes — so a bounded cache answers nearly all."""
    h = 0
    units = text.encode("utf-16-be")
    for i in range(0, len(units), 2):
        h = (31 * h + (units[i] << 8 | units[i + 1])) & 0xFFFFFFFF
    return h ^ (h >> 16)


def cognito_order(claims: Mapping[str, Any], *, buckets: int = 16) -> dict[str, Any]:
    """The claims in the order Cognito's serializer emits them (see the module docstring) [O]."""
    order = _order(tuple(claims), buckets)
    return dict(zip(order, map(claims.__getitem__, order)))  # C-level: a token has some twenty claims


@functools.lru_cache(maxsize=1024)
def _order(names: tuple[str, ...], buckets: int) -> tuple[str, ...]:
    """The order of a set of claim names, inserted in this order: the same few sets come again and again (an
    access token's, an ID token's for a pool's attributes), so each is worked out once."""
    capacity = buckets
    while len(names) > capacity * 3 // 4:
        capacity *= 2
    mask = capacity - 1
    order = sorted(enumerate(names), key=lambda item: (_java_hash(item[1]) & mask, item[0]))
    return tuple(name for _, name in order)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _attribute_claim(name: str, value: str) -> Any:
    if name in _VERIFIED_FLAGS:
        return value.lower() == "true"  # [O: real tokens carry true/false, the API keeps "true"/"false"]
    if name == "identities":
        try:  # a JSON array in real ID tokens [O: Google and SAML federated tokens]
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    if name == "address":
        return {"formatted": value}  # [O: amplify-js#4935, the address claim as Cognito emits it]
    if name == "updated_at" and value.isdigit():
        return int(value)  # [U: OIDC makes updated_at a JSON number; floci does the same]
    return value  # every other attribute, custom:* included, is a string [C]


def _readable(user: UserRecord, readable_attributes: Collection[str] | None) -> list[tuple[str, str]]:
    """The user's attributes the client may read: ReadAttributes when the client set them, else all [C].
    The verification flags first, then the rest in stored order (the flags come before other attributes
    that share their hash bucket in real tokens [O])."""
    items = [
        (name, value)
        for name, value in user.attributes.items()
        if name not in _RESERVED and (readable_attributes is None or name in readable_attributes)
    ]
    return sorted(items, key=lambda item: item[0] not in _VERIFIED_FLAGS)


def id_token_claims(
    *,
    client_id: str,
    user: UserRecord,
    groups: Iterable[str],
    issuer: str,
    origin_jti: str,
    event_id: str,
    auth_time: int,
    iat: int,
    exp: int,
    readable_attributes: Collection[str] | None,
    jti: str | None = None,
    roles: Sequence[str] = (),
    preferred_role: str | None = None,
) -> dict[str, Any]:
    """``roles`` and ``preferred_role``: the groups' IAM roles (``domain.groups.group_claims``), claimed in the ID
    token only [C: developer guide, "Adding groups to a user pool"], as a JSON array [O: real tokens]."""
    attributes = _readable(user, readable_attributes)
    claims: dict[str, Any] = {"sub": user.sub}
    if group_list := list(groups):
        claims["cognito:groups"] = group_list  # only when the user is in a group [O]
    if roles:
        claims["cognito:roles"] = list(roles)
    if preferred_role is not None:
        claims["cognito:preferred_role"] = preferred_role
    claims.update((n, _attribute_claim(n, v)) for n, v in attributes if n in _VERIFIED_FLAGS)
    claims.update(
        {
            "iss": issuer,
            "cognito:username": user.username,
            "origin_jti": origin_jti,
            "aud": client_id,
            "event_id": event_id,
            "token_use": "id",
            "auth_time": auth_time,
            "exp": exp,
            "iat": iat,
            "jti": jti or ids.new_uuid(),
        }
    )
    claims.update((n, _attribute_claim(n, v)) for n, v in attributes if n not in _VERIFIED_FLAGS)
    return cognito_order(claims)


def access_token_claims(
    *,
    client_id: str,
    user: UserRecord,
    groups: Iterable[str],
    issuer: str,
    origin_jti: str,
    event_id: str,
    auth_time: int,
    iat: int,
    exp: int,
    scope: str = ADMIN_SCOPE,
    jti: str | None = None,
    device_key: str | None = None,
) -> dict[str, Any]:
    """``device_key``: the tracked device the tokens were issued to (remembered devices) [C: auth.md §4]."""
    claims: dict[str, Any] = {"sub": user.sub}
    if group_list := list(groups):
        claims["cognito:groups"] = group_list
    if device_key is not None:
        claims["device_key"] = device_key
    claims.update(
        {
            "iss": issuer,
            "client_id": client_id,  # access tokens name the client here and carry no aud [C]
            "origin_jti": origin_jti,
            "event_id": event_id,
            "token_use": "access",
            "scope": scope,
            "auth_time": auth_time,
            "exp": exp,
            "iat": iat,
            "jti": jti or ids.new_uuid(),
            "username": user.username,
        }
    )
    return cognito_order(claims, buckets=32)


def client_credentials_claims(
    *, client_id: str, issuer: str, scopes: Iterable[str], iat: int, exp: int, jti: str | None = None
) -> dict[str, Any]:
    """A machine-to-machine access token (client_credentials): ``sub`` and ``client_id`` are the app client;
    no username, groups, event_id or origin_jti; ``version: 2`` [U: the widely reported pattern,
    groups-federation-oauth.md §3; no authoritative sample]."""
    return cognito_order(
        {
            "sub": client_id,
            "token_use": "access",
            "scope": " ".join(scopes),
            "auth_time": iat,
            "iss": issuer,
            "exp": exp,
            "iat": iat,
            "version": 2,
            "jti": jti or ids.new_uuid(),
            "client_id": client_id,
        }
    )


def issue_tokens(
    *,
    pool_id: str,
    client: ClientRecord,
    user: UserRecord,
    groups: list[str],
    keys: SigningKeys,
    now: datetime,
    auth_time: datetime,
    origin_jti: str,
    issuer: str,
    readable_attributes: Collection[str] | None,
    with_refresh: bool,
    refresh_expires_at: datetime | None,
    cipher: DataKeyCipher,
    refresh_generation: int = 0,
    roles: Sequence[str] = (),
    preferred_role: str | None = None,
    scope: str = ADMIN_SCOPE,
    customize: Callable[[dict[str, Any], dict[str, Any]], tuple[dict[str, Any], dict[str, Any]]] | None = None,
    deferred: bool = False,
    oauth: OAuthGrant | None = None,
    device_key: str | None = None,
) -> Issued:
    """An ID token and an access token (signed with the pool's "id" and "access" keys, so their kids differ
    [C]) sharing event_id, origin_jti, auth_time and iat; a refresh token too when ``with_refresh`` (not on
    REFRESH_TOKEN_AUTH [O]). Lifetimes come from the client [C]; ``refresh_expires_at`` defaults to now plus
    the client's RefreshTokenValidity (pass the auth session's own expiry so the two agree)."""
    validity = token_validity_seconds(client.settings)
    iat, event_id, auth = _epoch(now), ids.new_uuid(), _epoch(auth_time)
    id_kid, id_key = keys.for_purpose("id")
    access_kid, access_key = keys.for_purpose("access")
    id_claims = id_token_claims(
        client_id=client.id,
        user=user,
        groups=groups,
        issuer=issuer,
        origin_jti=origin_jti,
        event_id=event_id,
        auth_time=auth,
        iat=iat,
        exp=iat + validity["IdToken"],
        readable_attributes=readable_attributes,
        roles=roles,
        preferred_role=preferred_role,
    )
    access_claims = access_token_claims(
        client_id=client.id,
        user=user,
        groups=groups,
        issuer=issuer,
        origin_jti=origin_jti,
        event_id=event_id,
        auth_time=auth,
        iat=iat,
        exp=iat + validity["AccessToken"],
        scope=" ".join(oauth.scopes) if oauth is not None else scope,
        device_key=device_key,
    )
    if oauth is not None:
        access_claims = cognito_order({**access_claims, "version": 2}, buckets=32)
        if oauth.nonce is not None:
            id_claims = cognito_order({**id_claims, "nonce": oauth.nonce})
        if oauth.acr is not None:  # [C: "adds two claims to the tokens that it issues"; U: their place]
            reached = {"acr": oauth.acr} | ({"amr": list(oauth.amr)} if oauth.amr is not None else {})
            id_claims = cognito_order({**id_claims, **reached})
            access_claims = cognito_order({**access_claims, **reached}, buckets=32)
    if customize is not None:  # a PreTokenGeneration answer (domain.token_customization)
        id_claims, access_claims = customize(id_claims, access_claims)
    id_token: str | DeferredToken | None
    if oauth is not None:
        # at_hash needs the access token's text first
        id_token = None
        if not deferred:
            access_token: str | DeferredToken = sign(access_claims, access_kid, access_key)
            id_claims = cognito_order({**id_claims, "at_hash": at_hash(access_token)})
            if oauth.with_id_token:
                id_token = sign(id_claims, id_kid, id_key)
        else:
            # Both wait, and the ID token's at_hash (its place kept) is filled in as the access token is signed:
            # the two signatures then run back to back, after the transaction. An RSA signature right after
            # other Python work costs about a tenth more than the next one (bench/README, "The interpreter").
            access_token = DeferredToken(access_claims, access_kid, access_key)
            if oauth.with_id_token:
                id_claims = cognito_order({**id_claims, "at_hash": ""})
                id_token = DeferredToken(id_claims, id_kid, id_key, after=(access_token, _fill_at_hash))
    elif deferred:  # signed when the response is serialised, after the transaction (crypto.jwt.DeferredToken)
        id_token = DeferredToken(id_claims, id_kid, id_key)
        access_token = DeferredToken(access_claims, access_kid, access_key)
    else:
        id_token = sign(id_claims, id_kid, id_key)
        access_token = sign(access_claims, access_kid, access_key)
    refresh_token = None
    if with_refresh:
        refresh_token = seal_refresh_token(
            pool_id=pool_id,
            client_id=client.id,
            username_key=user.username_key,
            origin_jti=origin_jti,
            auth_time=auth_time,
            issued_at=now,
            expires_at=refresh_expires_at or now + timedelta(seconds=validity["RefreshToken"]),
            cipher=cipher,
            generation=refresh_generation,
            scopes=oauth.scopes if oauth is not None else None,
        )
    return Issued(access_token, id_token, validity["AccessToken"], refresh_token)


# --- the access-token check ---------------------------------------------------------------------------


def verify_access_token(
    token: str,
    *,
    keys_for_pool: Callable[[str], SigningKeys | None],
    now: datetime,
    required_scope: str | None = ADMIN_SCOPE,
) -> dict[str, Any]:
    """The claims of a valid access token of this server. Raises NotAuthorizedException with Cognito's
    message: expired → "Access Token has expired"; malformed, unknown pool or kid, bad signature, an ID
    token, missing claims → "Invalid Access Token" [U: what Cognito says for an ID token]; without
    ``required_scope`` → "Access Token does not have required scopes".

    Revocation (origin_jti), the user's state and the pool's existence are the caller's checks."""
    try:
        _, unverified = peek(token)
        pool_id = str(unverified.get("iss", "")).rsplit("/", 1)[-1]
        keys = keys_for_pool(pool_id) if _POOL_ID.match(pool_id) else None
        if keys is None:
            raise NotAuthorizedException(INVALID_ACCESS_TOKEN)
        claims = verify(token, keys, now=now)
    except ExpiredToken:
        raise NotAuthorizedException(ACCESS_TOKEN_EXPIRED) from None
    except TokenError:
        raise NotAuthorizedException(INVALID_ACCESS_TOKEN) from None
    if claims.get("token_use") != "access" or not all(
        isinstance(claims.get(name), str) for name in ("sub", "client_id", "username", "iss")
    ):
        raise NotAuthorizedException(INVALID_ACCESS_TOKEN)
    if required_scope is not None and required_scope not in str(claims.get("scope", "")).split():
        raise NotAuthorizedException(ACCESS_TOKEN_SCOPES)
    return claims


# --- refresh tokens -----------------------------------------------------------------------------------

# Cognito's refresh token is a JWE compact string under this protected header [O: many real tokens]. Ours
# has the same shape — header.encrypted_key.iv.ciphertext.tag — but is sealed with the deployment's data key
# (AES-256-GCM, the protected header bound as associated data, as JWE does): only this deployment opens it.
# The encrypted_key slot carries the data-key ciphertext's version byte (no per-token key is wrapped).
_JWE_HEADER = base64.urlsafe_b64encode(b'{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}').rstrip(b"=")
_REFRESH_CONTEXT = b"refresh-token:" + _JWE_HEADER
_SESSION_CONTEXT = b"auth-session"
SESSION_MIN, SESSION_MAX = 20, 4096  # SessionType [C]


def _b64(data: bytes) -> str:
    return ids.b64url(data).decode("ascii")


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def _unb64(text: str) -> bytes:
    if not _BASE64URL.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _moment(value: Any) -> datetime:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("not an epoch second")
    return datetime.fromtimestamp(value, UTC)


@dataclass(frozen=True)
class RefreshClaims:
    pool_id: str
    client_id: str
    username_key: str
    origin_jti: str
    auth_time: datetime
    issued_at: datetime
    expires_at: datetime
    generation: int = 0  # refresh-token rotation: the family's generation this token belongs to
    scopes: tuple[str, ...] | None = None  # the OAuth grant's scopes (None: a token of the API's flows)


def seal_refresh_token(
    *,
    pool_id: str,
    client_id: str,
    username_key: str,
    origin_jti: str,
    auth_time: datetime,
    issued_at: datetime,
    expires_at: datetime,
    cipher: DataKeyCipher,
    generation: int = 0,
    scopes: tuple[str, ...] | None = None,
) -> str:
    extra: dict[str, Any] = {} if scopes is None else {"scope": " ".join(scopes)}
    body = orjson.dumps(
        {
            **extra,
            "v": 1,
            "pool": pool_id,
            "client": client_id,
            "user": username_key,
            "origin_jti": origin_jti,
            "auth_time": _epoch(auth_time),
            "iat": _epoch(issued_at),
            "exp": _epoch(expires_at),
            "gen": generation,
        }
    )
    sealed = cipher.encrypt(body, context=_REFRESH_CONTEXT)  # version(1) ‖ nonce(12) ‖ ciphertext ‖ tag(16)
    parts = (sealed[:1], sealed[1:13], sealed[13:-16], sealed[-16:])
    return _JWE_HEADER.decode("ascii") + "." + ".".join(_b64(part) for part in parts)


def open_refresh_token(token: str, cipher: DataKeyCipher, now: datetime) -> RefreshClaims | None:
    """The claims of a refresh token this deployment sealed and that has not expired; None otherwise
    (malformed, tampered, another deployment's, expired). Revocation is the caller's check (origin_jti)."""
    try:
        header, *parts = token.split(".")
        if header != _JWE_HEADER.decode("ascii") or len(parts) != 4:
            return None
        version, nonce, body, tag = (_unb64(part) for part in parts)
        data = orjson.loads(cipher.decrypt(version + nonce + body + tag, context=_REFRESH_CONTEXT))
        claims = RefreshClaims(
            pool_id=str(data["pool"]),
            client_id=str(data["client"]),
            username_key=str(data["user"]),
            origin_jti=str(data["origin_jti"]),
            auth_time=_moment(data["auth_time"]),
            issued_at=_moment(data["iat"]),
            expires_at=_moment(data["exp"]),
            generation=int(data.get("gen", 0)),
            scopes=tuple(str(data["scope"]).split()) if "scope" in data else None,
        )
    except (AttributeError, ValueError, KeyError, TypeError, binascii.Error, DataKeyError, OverflowError):
        return None
    return claims if now < claims.expires_at else None


# --- challenge sessions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionClaims:
    """What a challenge's ``Session`` carries. ``nonce`` is unique per session (a caller that wants sessions
    single-use records it); ``data`` is the challenge's own small state (CUSTOM_AUTH history, MFA, …)."""

    pool_id: str
    client_id: str
    username: str
    challenge_name: str
    issued_at: datetime
    expires_at: datetime
    nonce: str
    data: dict[str, Any] = field(default_factory=dict)


def seal_session(
    *,
    pool_id: str,
    client_id: str,
    username: str,
    challenge_name: str,
    now: datetime,
    validity_minutes: int,
    cipher: DataKeyCipher,
    data: Mapping[str, Any] | None = None,
) -> str:
    """The opaque ``Session`` of a challenge, valid ``validity_minutes`` (the client's AuthSessionValidity,
    3–15, default 3 [C]). Raises ValueError if ``data`` makes it longer than SessionType allows (4096)."""
    body = orjson.dumps(
        {
            "v": 1,
            "pool": pool_id,
            "client": client_id,
            "user": username,
            "challenge": challenge_name,
            "iat": _epoch(now),
            "exp": _epoch(now + timedelta(minutes=validity_minutes)),
            "nonce": _b64(ids.random_bytes(16)),
            "data": dict(data or {}),
        }
    )
    session = _b64(cipher.encrypt(body, context=_SESSION_CONTEXT))
    if not SESSION_MIN <= len(session) <= SESSION_MAX:
        raise ValueError(
            f"a Session must be {SESSION_MIN}–{SESSION_MAX} characters, this one is {len(session)}"
        )
    return session


def open_session(session: str, *, cipher: DataKeyCipher, now: datetime) -> SessionClaims | None:
    """The claims of an unexpired Session this deployment sealed; None otherwise. The caller compares
    pool, client, username and challenge with the request."""
    try:
        if not SESSION_MIN <= len(session) <= SESSION_MAX:
            return None
        data = orjson.loads(cipher.decrypt(_unb64(session), context=_SESSION_CONTEXT))
        extra = data["data"]
        if not isinstance(extra, dict):
            return None
        claims = SessionClaims(
            pool_id=str(data["pool"]),
            client_id=str(data["client"]),
            username=str(data["user"]),
            challenge_name=str(data["challenge"]),
            issued_at=_moment(data["iat"]),
            expires_at=_moment(data["exp"]),
            nonce=str(data["nonce"]),
            data=extra,
        )
    except (AttributeError, ValueError, KeyError, TypeError, binascii.Error, DataKeyError, OverflowError):
        return None
    return claims if now < claims.expires_at else None

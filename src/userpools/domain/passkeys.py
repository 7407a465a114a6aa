"""Passkeys (WebAuthn): the relying party a pool signs in for, the options given to the browser, and the
checks of what the authenticator answers — all by the ``webauthn`` library (py_webauthn), which verifies the
attestation, the signature, the RP id hash, the origin, the challenge and the user-verification flag.

Behaviour: shared/cognito/mfa-passwordless.md §3. A user's passkeys are ``WebAuthnCredentialRecord``s (the
store's ``webauthn_credentials``), at most ``MAX_CREDENTIALS``; the pending registration (a challenge and
who started it) is kept in ``UserRecord.extra`` under ``WebAuthnRegistration``.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from userpools.domain.records import WebAuthnCredentialRecord

if TYPE_CHECKING:
    from webauthn.helpers.cose import COSEAlgorithmIdentifier
    from webauthn.helpers.structs import UserVerificationRequirement

# The ``webauthn`` library (with pyasn1 and its attestation formats: about 70 ms of CPU) is imported by the
# functions that use it, at the first passkey operation, not at every server's start-up (docs/architecture.md).

REGISTRATION = "WebAuthnRegistration"
MAX_CREDENTIALS = 20  # [U] Cognito's per-user passkey quota is not documented
REGISTRATION_TIMEOUT_MS = 60000  # [O: AMP6 fixture]
AUTHENTICATION_TIMEOUT_MS = 180000  # [O: AMP6 fixture]


def algorithms() -> list[COSEAlgorithmIdentifier]:
    """ES256 and RS256 [O: AMP6]."""
    from webauthn.helpers.cose import COSEAlgorithmIdentifier

    return [COSEAlgorithmIdentifier.ECDSA_SHA_256, COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256]


class OriginNotAllowed(Exception):
    pass


class RelyingPartyMismatch(Exception):
    pass


class NotVerified(Exception):
    pass


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def relying_party_id(settings: Mapping[str, Any], region: str) -> str | None:
    """WebAuthnConfiguration.RelyingPartyId, else the pool's custom domain, else its prefix domain; None when
    there is none [C: BC WebAuthnConfigurationType: "defaults to the user pool domain"; a custom domain takes
    precedence over the prefix one]."""
    configured = (settings.get("WebAuthnConfiguration") or {}).get("RelyingPartyId")
    if configured:
        return str(configured)
    if settings.get("CustomDomain"):
        return str(settings["CustomDomain"])
    if settings.get("Domain"):
        return f"{settings['Domain']}.auth.{region}.amazoncognito.com"
    return None


def user_verification(settings: Mapping[str, Any]) -> str:
    """"required" or "preferred" (the default) [C: BC WebAuthnConfigurationType]."""
    value = (settings.get("WebAuthnConfiguration") or {}).get("UserVerification") or "preferred"
    return "required" if str(value).lower() == "required" else "preferred"


def new_challenge() -> bytes:
    return secrets.token_bytes(16)  # [O: AMP6 fixture: 16 bytes]


def _uv(value: str) -> UserVerificationRequirement:
    from webauthn.helpers.structs import UserVerificationRequirement

    return UserVerificationRequirement.REQUIRED if value == "required" else UserVerificationRequirement.PREFERRED


def creation_options(*, rp_id: str, sub: str, username: str, challenge: bytes, uv: str,
                     existing: Sequence[str]) -> dict[str, Any]:
    """CredentialCreationOptions: a discoverable credential (resident key required), ES256 or RS256, the
    user's passkeys excluded; user.id the sub's text, as Cognito's [O: AMP6 fixture]."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
    )

    options = generate_registration_options(
        rp_id=rp_id, rp_name=rp_id, user_id=sub.encode(), user_name=username, user_display_name="",
        challenge=challenge, timeout=REGISTRATION_TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, require_resident_key=True,
            user_verification=_uv(uv),
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=unb64url(c)) for c in existing],
        supported_pub_key_algs=algorithms(),
    )
    document: dict[str, Any] = orjson.loads(options_to_json(options))
    return document


def request_options(*, rp_id: str, challenge: bytes, uv: str, existing: Sequence[str]) -> dict[str, Any]:
    """CREDENTIAL_REQUEST_OPTIONS's document: the user's passkeys allowed."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

    options = generate_authentication_options(
        rp_id=rp_id, challenge=challenge, timeout=AUTHENTICATION_TIMEOUT_MS, user_verification=_uv(uv),
        allow_credentials=[PublicKeyCredentialDescriptor(id=unb64url(c)) for c in existing],
    )
    document: dict[str, Any] = orjson.loads(options_to_json(options))
    return document


def _client_origin(credential: Mapping[str, Any]) -> str:
    try:
        client_data = orjson.loads(unb64url(str(credential["response"]["clientDataJSON"])))
        return str(client_data["origin"])
    except (KeyError, TypeError, ValueError, orjson.JSONDecodeError):
        raise NotVerified("The credential's client data cannot be read.") from None


def allowed_origin(credential: Mapping[str, Any], rp_id: str) -> str:
    """The origin the browser reports, if it may sign in for ``rp_id``: https on the RP id or a name under it,
    or http on localhost (browsers treat it as secure) [U: Cognito's origin rule is not documented; this is
    the WebAuthn rule for a browser]."""
    origin = _client_origin(credential)
    parts = urlsplit(origin)
    host = (parts.hostname or "").lower()
    if host != rp_id and not host.endswith("." + rp_id):
        raise OriginNotAllowed(origin)
    if parts.scheme != "https" and not (parts.scheme == "http" and host == "localhost"):
        raise OriginNotAllowed(origin)
    return origin


def verify_registration(credential: Mapping[str, Any], *, challenge: bytes, rp_id: str, uv: str,
                        owner: tuple[str, str], now: datetime) -> WebAuthnCredentialRecord:
    """The stored form of a new passkey, after the library has verified the registration."""
    from webauthn import verify_registration_response
    from webauthn.helpers.exceptions import WebAuthnException

    origin = allowed_origin(credential, rp_id)
    try:
        verified = verify_registration_response(
            credential=dict(credential), expected_challenge=challenge, expected_rp_id=rp_id,
            expected_origin=origin, require_user_verification=uv == "required",
            supported_pub_key_algs=algorithms(),
        )
    except WebAuthnException as exc:
        if "RP ID" in str(exc) or "rp id" in str(exc).lower():
            raise RelyingPartyMismatch(str(exc)) from None
        raise NotVerified(str(exc)) from None
    transports = tuple(str(t) for t in ((credential.get("response") or {}).get("transports") or []))
    attachment = credential.get("authenticatorAttachment")
    return WebAuthnCredentialRecord(
        pool_id=owner[0], username_key=owner[1], credential_id=b64url(verified.credential_id),
        public_key=verified.credential_public_key, sign_count=verified.sign_count, relying_party_id=rp_id,
        # [U] Cognito names a passkey after its authenticator (by AAGUID); without that table, one name.
        friendly_name="Passkey", transports=transports, created_at=now,
        attachment=attachment if attachment in ("platform", "cross-platform") else None,
    )


def verify_assertion(credential: Mapping[str, Any], *, challenge: bytes, stored: WebAuthnCredentialRecord,
                     uv: str) -> int:
    """The new signature counter of a verified assertion by ``stored``; a counter that did not grow (when
    either is non-zero) is refused by the library as a possible clone."""
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import WebAuthnException

    rp_id = stored.relying_party_id
    origin = allowed_origin(credential, rp_id)
    try:
        verified = verify_authentication_response(
            credential=dict(credential), expected_challenge=challenge, expected_rp_id=rp_id,
            expected_origin=origin, credential_public_key=stored.public_key,
            credential_current_sign_count=stored.sign_count,
            require_user_verification=uv == "required",
        )
    except WebAuthnException as exc:
        raise NotVerified(str(exc)) from None
    return int(verified.new_sign_count)


def listed(credential: WebAuthnCredentialRecord) -> dict[str, Any]:
    """A WebAuthnCredentialDescription [C: BC]."""
    out: dict[str, Any] = {
        "CredentialId": credential.credential_id,
        "FriendlyCredentialName": credential.friendly_name,
        "RelyingPartyId": credential.relying_party_id,
        "AuthenticatorTransports": list(credential.transports),
        "CreatedAt": credential.created_at,
    }
    if credential.attachment:
        out["AuthenticatorAttachment"] = credential.attachment
    return out

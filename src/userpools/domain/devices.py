"""Remembered devices: the pool's DeviceConfiguration, device keys, the device's SRP verifier as the clients
send it, and the Device shape of GetDevice / ListDevices.

Facts: shared/cognito/mfa-passwordless.md §4. [C: BC DeviceConfigurationType] Setting DeviceConfiguration
turns device tracking on; ``ChallengeRequiredOnNewDevice`` lets a remembered device do device SRP in place of
the MFA challenge; ``DeviceOnlyRememberedOnUserPrompt`` makes ConfirmDevice answer
``UserConfirmationNecessary=true`` (the app then calls UpdateDeviceStatus) instead of remembering the device
at once.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import string
import struct
from datetime import datetime
from typing import Any

from userpools import ids
from userpools.crypto.datakey import DataKeyCipher
from userpools.domain.records import DeviceRecord

REMEMBERED = "remembered"
NOT_REMEMBERED = "not_remembered"
NOT_FOUND = "Device does not exist."  # [C: Amplify v6 and amazon-cognito-identity-js match this text]
_CONTEXT = b"device-verifier:"
_GROUP_ALPHABET = string.ascii_letters + string.digits


def config(pool_settings: dict[str, Any]) -> dict[str, Any] | None:
    """The pool's DeviceConfiguration, or None when device tracking is off."""
    value = pool_settings.get("DeviceConfiguration")
    return value if isinstance(value, dict) else None


def tracking_on(pool_settings: dict[str, Any]) -> bool:
    return config(pool_settings) is not None


def challenge_replaces_mfa(pool_settings: dict[str, Any]) -> bool:
    """ChallengeRequiredOnNewDevice: a remembered device signs in with device SRP instead of MFA."""
    return bool((config(pool_settings) or {}).get("ChallengeRequiredOnNewDevice"))


def only_remembered_on_prompt(pool_settings: dict[str, Any]) -> bool:
    return bool((config(pool_settings) or {}).get("DeviceOnlyRememberedOnUserPrompt"))


def new_device_key(region: str) -> str:
    """``<region>_<uuid>`` [C: BC NewDeviceMetadataType; pattern ``[\\w-]+_[0-9a-f-]+``]."""
    return f"{region}_{ids.new_uuid()}"


def new_group_key() -> str:
    """DeviceGroupKey: its format is not documented [U]; real ones look like ``-`` and 9 letters/digits [O],
    which is what this makes."""
    return "-" + "".join(secrets.choice(_GROUP_ALPHABET) for _ in range(9))


# --- the verifier ----------------------------------------------------------------------------------------


def parse_verifier_config(config_value: dict[str, Any]) -> tuple[bytes, int] | None:
    """DeviceSecretVerifierConfig {PasswordVerifier, Salt} as amazon-cognito-identity-js and Amplify send it:
    each the base64 of the bytes of a padded hex number [C: ACIJ CognitoUser.confirmDevice /
    AuthenticationHelper.generateHashDevice]. (salt bytes, verifier); None when either is missing or not
    base64 of a non-zero number."""
    try:
        salt = base64.b64decode(str(config_value.get("Salt") or ""), validate=True)
        verifier_bytes = base64.b64decode(str(config_value.get("PasswordVerifier") or ""), validate=True)
    except (binascii.Error, ValueError):
        return None
    verifier = int.from_bytes(verifier_bytes, "big")
    if not salt or not verifier_bytes or verifier == 0 or len(verifier_bytes) > 1024 or len(salt) > 1024:
        return None
    return salt, verifier


def _context(device: DeviceRecord) -> bytes:
    return _CONTEXT + f"{device.pool_id}/{device.username_key}/{device.device_key}".encode()


def seal_verifier(device: DeviceRecord, salt: bytes, verifier: int, cipher: DataKeyCipher) -> bytes:
    """The salt and verifier encrypted under the data key, bound to this device's row."""
    number = verifier.to_bytes((verifier.bit_length() + 7) // 8, "big")
    return cipher.encrypt(struct.pack(">H", len(salt)) + salt + number, context=_context(device))


def open_verifier(device: DeviceRecord, cipher: DataKeyCipher) -> tuple[bytes, int]:
    assert device.verifier_ciphertext is not None
    plain = cipher.decrypt(device.verifier_ciphertext, context=_context(device))
    (length,) = struct.unpack(">H", plain[:2])
    return plain[2:2 + length], int.from_bytes(plain[2 + length:], "big")


# --- the wire shape --------------------------------------------------------------------------------------


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def device_type(device: DeviceRecord, *, username: str, region: str, account: str) -> dict[str, Any]:
    """DeviceType [C: BC], with the attributes real pools show [O: AWS CLI list-devices example]."""
    owner = f"{username}.{device.pool_id}"
    attributes = {
        "device_status": "valid",
        "dev:device_arn": f"arn:aws:cognito-idp:{region}:{account}:owner/{owner}/device/{device.device_key}",
        "dev:device_owner": owner,
        "dev:device_remembered_status": device.status,
        "dev:device_sdk": "aws-sdk",
        **({"device_name": device.name} if device.name else {}),
        **device.attributes,
    }
    out: dict[str, Any] = {
        "DeviceKey": device.device_key,
        "DeviceAttributes": [{"Name": k, "Value": v} for k, v in attributes.items()],
        "DeviceCreateDate": _epoch(device.created_at),
        "DeviceLastModifiedDate": _epoch(device.updated_at),
    }
    if device.last_authenticated_at is not None:
        out["DeviceLastAuthenticatedDate"] = _epoch(device.last_authenticated_at)
    return out

"""Remembered devices at sign-in: the DEVICE_KEY a client sends is checked after the first factor, and a
remembered device answers DEVICE_SRP_AUTH → DEVICE_PASSWORD_VERIFIER in place of the MFA challenge.

[C: ACIJ CognitoUser.getDeviceResponse; AMP6 handleDeviceSRPAuth; mfa-passwordless.md §4] The client sends
DEVICE_KEY in AuthParameters (or in the PASSWORD_VERIFIER answer); after the password, the server answers
DEVICE_SRP_AUTH with a Session; the client sends {USERNAME, DEVICE_KEY, SRP_A}; the server answers
DEVICE_PASSWORD_VERIFIER {SRP_B, SALT, SECRET_BLOCK, USERNAME, DEVICE_KEY}; the client signs as in
PASSWORD_VERIFIER with the DeviceGroupKey as the pool's name and the DeviceKey as the user; tokens follow,
without NewDeviceMetadata.

When [U]: Cognito's exact trigger is not documented. Here the device challenge is issued only when MFA would
otherwise be asked, the device is remembered and has a verifier, and the pool's ChallengeRequiredOnNewDevice
is true (the documented purpose: a remembered device signs in with device authentication instead of SMS and
TOTP). A device that is tracked but not remembered gets the MFA challenge; a pool without MFA due signs in at
once, the tokens carrying the device's key. An unknown or forgotten DEVICE_KEY answers ResourceNotFoundException
"Device does not exist." [C: the clients match this text, drop their key and sign in again]; a wrong device
signature NotAuthorizedException "Incorrect username or password." [U: wording].
"""

from __future__ import annotations

import dataclasses
from typing import Any

from userpools.crypto import srp
from userpools.domain import devices as device_domain
from userpools.domain import tokens as token_domain
from userpools.domain import users as user_domain
from userpools.domain.records import DeviceRecord, UserRecord
from userpools.errors import NotAuthorizedException
from userpools.operations import signin
from userpools.operations.common import check_secret_hash
from userpools.operations.devices import not_found
from userpools.operations.signin import Attempt

FLOW = "device"
SRP_AUTH = "DEVICE_SRP_AUTH"
PASSWORD_VERIFIER = "DEVICE_PASSWORD_VERIFIER"


async def known_device(a: Attempt, user: UserRecord) -> DeviceRecord | None:
    """The device named by DEVICE_KEY, when the client sent one and the pool tracks devices; raises
    ResourceNotFoundException "Device does not exist." for a key the user has no device under."""
    key = a.params.get("DEVICE_KEY")
    if not key or not device_domain.tracking_on(a.pool.settings):
        return None
    device = await a.tx.devices.get(a.pool.id, user.username_key, key, for_update=True)
    if device is None:
        raise not_found()
    return device


def replaces_mfa(a: Attempt, device: DeviceRecord) -> bool:
    return (device.status == device_domain.REMEMBERED and device.verifier_ciphertext is not None
            and device_domain.challenge_replaces_mfa(a.pool.settings))


def _seal(a: Attempt, user: UserRecord, challenge: str, data: dict[str, Any]) -> str:
    return token_domain.seal_session(
        pool_id=a.pool.id, client_id=a.client.id, username=user.username, challenge_name=challenge,
        now=a.ctx.clock.now(), validity_minutes=a.session_minutes(), cipher=a.ctx.cipher, data=data,
    )


def challenge(a: Attempt, user: UserRecord, device: DeviceRecord, source: str) -> dict[str, Any]:
    """DEVICE_SRP_AUTH, issued after the first factor in place of MFA."""
    data = {"flow": FLOW, "source": source, "device": device.device_key}
    return {
        "ChallengeName": SRP_AUTH,
        "Session": _seal(a, user, SRP_AUTH, data),
        "ChallengeParameters": {"USERNAME": user.username, "USER_ID_FOR_SRP": user.username},
    }


async def _open(a: Attempt, session: str | None,
                name: str) -> tuple[token_domain.SessionClaims, UserRecord, DeviceRecord]:
    """The Session of this device challenge, spent, with its user and device, after the checks every answer
    gets (the DEVICE_KEY answered is the one the Session was issued for)."""
    opened = signin.open_session(a, session)
    if opened is None or opened.challenge_name != name or opened.data.get("flow") != FLOW:
        raise NotAuthorizedException(signin.SESSION_EXPIRED)
    given = signin.require(a.params, "USERNAME")
    key = signin.require(a.params, "DEVICE_KEY")
    user = await a.tx.users.get(a.pool.id, user_domain.username_key(a.pool.settings, opened.username),
                                for_update=True)
    if user is None:
        raise NotAuthorizedException(signin.SESSION_EXPIRED)
    check_secret_hash(a.ctx, a.client, a.params.get("SECRET_HASH"), given, user.username)
    await signin.check_state(a, user)
    if key != opened.data.get("device"):
        raise not_found()
    device = await a.tx.devices.get(a.pool.id, user.username_key, key, for_update=True)
    if device is None:  # forgotten meanwhile
        raise not_found()
    if device.verifier_ciphertext is None or device.status != device_domain.REMEMBERED:
        raise NotAuthorizedException(signin.INCORRECT)
    await signin.spend_session(a.tx, opened)
    return opened, user, device


async def _device_srp_auth(a: Attempt, session: str | None) -> dict[str, Any]:
    """DEVICE_SRP_AUTH answered with the device's SRP_A: the server's B and the device's salt."""
    opened, user, device = await _open(a, session, SRP_AUTH)
    big_a = signin.parse_srp_a(signin.require(a.params, "SRP_A"))
    salt, verifier = device_domain.open_verifier(device, a.ctx.cipher)
    b, big_b = srp.server_ephemeral(verifier)
    state = srp.SrpState(pool_id=a.pool.id, client_id=a.client.id, username=device.device_key, A=big_a, b=b,
                         B=big_b, issued_at=a.ctx.clock.now())
    return {
        "ChallengeName": PASSWORD_VERIFIER,
        "Session": _seal(a, user, PASSWORD_VERIFIER, opened.data),
        "ChallengeParameters": {
            "DEVICE_KEY": device.device_key,
            "SALT": srp.salt_hex(salt),
            "SECRET_BLOCK": srp.seal_state(state, a.ctx.cipher),
            "SRP_B": srp.to_pad_hex(big_b),
            "USERNAME": user.username,
        },
    }


async def _device_password_verifier(a: Attempt, session: str | None) -> dict[str, Any]:
    """DEVICE_PASSWORD_VERIFIER: the device's signature checked against the key derived from its verifier;
    tokens (with the device's key) when right."""
    opened, user, device = await _open(a, session, PASSWORD_VERIFIER)
    block = signin.require(a.params, "PASSWORD_CLAIM_SECRET_BLOCK")
    signature = signin.require(a.params, "PASSWORD_CLAIM_SIGNATURE")
    timestamp = signin.require(a.params, "TIMESTAMP")
    state = srp.open_state(block, a.ctx.cipher, now=a.ctx.clock.now(), max_age=signin.SRP_STATE_MAX_AGE)
    if (state is None or state.client_id != a.client.id or state.pool_id != a.pool.id
            or state.username != device.device_key or srp.parse_timestamp(timestamp) is None):
        raise NotAuthorizedException(signin.INCORRECT)
    _salt, verifier = device_domain.open_verifier(device, a.ctx.cipher)
    try:
        key = srp.session_key(state.A, state.B, state.b, verifier)
    except ValueError:
        raise NotAuthorizedException(signin.INCORRECT) from None
    if not srp.check_device_signature(key, device.group_key, device.device_key, block, timestamp, signature):
        raise NotAuthorizedException(signin.INCORRECT)
    now = a.ctx.clock.now()
    await a.tx.devices.update(dataclasses.replace(device, last_authenticated_at=now))
    a.device_key = device.device_key
    return await signin.signed_in(a, user, source=str(opened.data.get("source") or "TokenGeneration_Authentication"))


CHALLENGES = {
    SRP_AUTH: _device_srp_auth,
    PASSWORD_VERIFIER: _device_password_verifier,
}

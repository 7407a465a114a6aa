"""Remembered devices: ConfirmDevice, GetDevice, ListDevices, ForgetDevice, UpdateDeviceStatus and the admin
AdminGetDevice, AdminListDevices, AdminForgetDevice, AdminUpdateDeviceStatus; and the new device a sign-in
registers when the pool tracks devices (``new_device``, which ``operations.signin`` calls).

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html
Behaviour: shared/cognito/mfa-passwordless.md §4; the rules in ``domain.devices``, the device SRP challenges in
``operations.device_signin``.

[U] With device tracking off (no DeviceConfiguration) these operations answer as for a user without devices
(an empty list, "Device does not exist."), not InvalidUserPoolConfigurationException: devices tracked before
tracking was turned off stay listed and can be forgotten.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from userpools.domain import devices as device_domain
from userpools.domain.records import DeviceRecord, PoolRecord, UserRecord
from userpools.errors import (
    DeviceKeyExistsException,
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
)
from userpools.operations import paging
from userpools.operations.common import find_user, user_not_found
from userpools.operations.context import Context
from userpools.operations.pools import get_pool_or_raise
from userpools.operations.tokens import INVALID_ACCESS_TOKEN, authenticate
from userpools.storage.ports import Conflict, Transaction

DEFAULT_LIMIT = 60  # [U] ListDevices' default page; 60 is the model's maximum
_PAGES = "devices"
_ALREADY_CONFIRMED = "Device key already exists."  # [U] wording
_BAD_VERIFIER = "Invalid DeviceSecretVerifierConfig."  # [U] wording


async def new_device(ctx: Context, tx: Transaction, pool: PoolRecord, user: UserRecord) -> DeviceRecord:
    """A device the user signed in from, tracked but not yet confirmed (NewDeviceMetadata): no verifier until
    ConfirmDevice, not remembered."""
    now = ctx.clock.now()
    region = pool.id.split("_", 1)[0]
    while True:
        device = DeviceRecord(
            pool_id=pool.id, username_key=user.username_key, device_key=device_domain.new_device_key(region),
            group_key=device_domain.new_group_key(), status=device_domain.NOT_REMEMBERED, created_at=now,
            updated_at=now, last_authenticated_at=now,
        )
        try:
            await tx.devices.insert(device)
        except Conflict:  # a UUID drawn twice: draw again
            continue
        return device


def not_found() -> ResourceNotFoundException:
    return ResourceNotFoundException(device_domain.NOT_FOUND)


async def _device(tx: Transaction, user: UserRecord, key: str, *, for_update: bool = False) -> DeviceRecord:
    device = await tx.devices.get(user.pool_id, user.username_key, key, for_update=for_update)
    if device is None:
        raise not_found()
    return device


def _shape(ctx: Context, user: UserRecord, device: DeviceRecord) -> dict[str, Any]:
    return device_domain.device_type(device, username=user.username, region=device.pool_id.split("_", 1)[0],
                                     account=ctx.settings.account_id)


async def _caller(ctx: Context, tx: Transaction, req: dict[str, Any]) -> UserRecord:
    token = req.get("AccessToken")
    if not token:  # optional in GetDevice's and ForgetDevice's shapes, yet the only way to name the user [U]
        raise NotAuthorizedException(INVALID_ACCESS_TOKEN)
    return (await authenticate(ctx, tx, token)).user


async def _admin_user(tx: Transaction, req: dict[str, Any]) -> UserRecord:
    pool = await get_pool_or_raise(tx, req["UserPoolId"])
    user = await find_user(tx, pool, req["Username"])
    if user is None:
        raise user_not_found()
    return user


# --- the operations ----------------------------------------------------------------------------------------


async def confirm_device(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ConfirmDevice: the device's SRP salt and verifier are stored (encrypted under the data key) and its
    name; it is remembered at once, or — with DeviceOnlyRememberedOnUserPrompt — only when the app calls
    UpdateDeviceStatus, which ``UserConfirmationNecessary`` tells it [C: BC DeviceConfigurationType]."""
    async with ctx.store.transaction() as tx:
        caller = await authenticate(ctx, tx, req["AccessToken"])
        device = await _device(tx, caller.user, req["DeviceKey"], for_update=True)
        if device.verifier_ciphertext is not None:
            raise DeviceKeyExistsException(_ALREADY_CONFIRMED)
        prompt = device_domain.only_remembered_on_prompt(caller.pool.settings)
        device = dataclasses.replace(
            device, name=req.get("DeviceName") or device.name, updated_at=ctx.clock.now(),
            status=device_domain.NOT_REMEMBERED if prompt else device_domain.REMEMBERED,
        )
        config = req.get("DeviceSecretVerifierConfig")
        if config is not None:
            parsed = device_domain.parse_verifier_config(config)
            if parsed is None:
                raise InvalidParameterException(_BAD_VERIFIER)
            salt, verifier = parsed
            device = dataclasses.replace(
                device, verifier_ciphertext=device_domain.seal_verifier(device, salt, verifier, ctx.cipher)
            )
        await tx.devices.update(device)
    return {"UserConfirmationNecessary": prompt}


async def get_device(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_GetDevice."""
    async with ctx.store.transaction(readonly=True) as tx:
        user = await _caller(ctx, tx, req)
        device = await _device(tx, user, req["DeviceKey"])
    return {"Device": _shape(ctx, user, device)}


async def admin_get_device(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminGetDevice."""
    async with ctx.store.transaction(readonly=True) as tx:
        user = await _admin_user(tx, req)
        device = await _device(tx, user, req["DeviceKey"])
    return {"Device": _shape(ctx, user, device)}


async def _list(ctx: Context, tx: Transaction, user: UserRecord, req: dict[str, Any]) -> dict[str, Any]:
    limit = int(req.get("Limit") or DEFAULT_LIMIT)
    after = paging.decode(_PAGES, req.get("PaginationToken"))
    page = await tx.devices.list(user.pool_id, user.username_key, limit=limit + 1, after_key=after)
    out: dict[str, Any] = {"Devices": [_shape(ctx, user, d) for d in page[:limit]]}
    if len(page) > limit:
        out["PaginationToken"] = paging.encode(_PAGES, page[limit - 1].device_key)
    return out


async def list_devices(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ListDevices: the user's devices, remembered or not, in device-key order."""
    async with ctx.store.transaction(readonly=True) as tx:
        user = await _caller(ctx, tx, req)
        return await _list(ctx, tx, user, req)


async def admin_list_devices(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminListDevices."""
    async with ctx.store.transaction(readonly=True) as tx:
        user = await _admin_user(tx, req)
        return await _list(ctx, tx, user, req)


async def forget_device(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_ForgetDevice: the device is deleted; its key then answers "Device does not exist." everywhere,
    including at sign-in (the clients drop the key and sign in afresh)."""
    async with ctx.store.transaction() as tx:
        user = await _caller(ctx, tx, req)
        if not await tx.devices.delete(user.pool_id, user.username_key, req["DeviceKey"]):
            raise not_found()
    return {}


async def admin_forget_device(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminForgetDevice."""
    async with ctx.store.transaction() as tx:
        user = await _admin_user(tx, req)
        if not await tx.devices.delete(user.pool_id, user.username_key, req["DeviceKey"]):
            raise not_found()
    return {}


async def _update_status(ctx: Context, tx: Transaction, user: UserRecord, req: dict[str, Any]) -> None:
    device = await _device(tx, user, req["DeviceKey"], for_update=True)
    status = req.get("DeviceRememberedStatus")
    if status is None:  # optional in the model: nothing to change
        return
    await tx.devices.update(dataclasses.replace(device, status=status, updated_at=ctx.clock.now()))


async def update_device_status(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_UpdateDeviceStatus: remembered or not_remembered (the enum is checked against the model)."""
    async with ctx.store.transaction() as tx:
        user = await _caller(ctx, tx, req)
        await _update_status(ctx, tx, user, req)
    return {}


async def admin_update_device_status(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """API_AdminUpdateDeviceStatus."""
    async with ctx.store.transaction() as tx:
        user = await _admin_user(tx, req)
        await _update_status(ctx, tx, user, req)
    return {}

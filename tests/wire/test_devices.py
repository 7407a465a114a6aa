"""Remembered devices through boto3: device tracking at sign-in (NewDeviceMetadata, the access token's
device_key), ConfirmDevice with the verifier a client computes, the device operations and their errors, device
SRP (DEVICE_SRP_AUTH → DEVICE_PASSWORD_VERIFIER) in place of MFA, and DEVICE_KEY with refresh.

The device's client maths are pycognito's port of amazon-cognito-identity-js (``generate_hash_device``,
``AWSSRP.process_device_challenge``): an implementation independent of the server's.
"""

from __future__ import annotations

import re
from typing import Any

import jwt
import pytest
from accounts import PASSWORD, attrs, make_user, outbox, sign_in, unique
from botocore.exceptions import ClientError
from mfa_support import client_of, mfa_pool
from pycognito.aws_srp import AWSSRP, generate_hash_device

DEVICE_NOT_FOUND = "Device does not exist."
ALWAYS = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False}
OPT_IN = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True}
PHONE = "+15555550123"


def claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def tracked_pool(cognito: Any, config: dict[str, Any] | None = None) -> dict[str, Any]:
    return dict(cognito.create_user_pool(PoolName=unique("devices"), DeviceConfiguration=config or ALWAYS)["UserPool"])


def confirm(cognito: Any, result: dict[str, Any], name: str = "laptop") -> tuple[str, str, str, dict[str, Any]]:
    """ConfirmDevice as the clients do it: (device key, group key, device password, the answer)."""
    metadata = result["NewDeviceMetadata"]
    password, config = generate_hash_device(metadata["DeviceGroupKey"], metadata["DeviceKey"])
    answer = cognito.confirm_device(AccessToken=result["AccessToken"], DeviceKey=metadata["DeviceKey"],
                                    DeviceSecretVerifierConfig=config, DeviceName=name)
    return metadata["DeviceKey"], metadata["DeviceGroupKey"], password, answer


def device_attributes(device: dict[str, Any]) -> dict[str, str]:
    return attrs(device["DeviceAttributes"])


# --- tracking at sign-in ---------------------------------------------------------------------------------


def test_sign_in_without_device_tracking_has_no_device_metadata(cognito: Any, pool: dict[str, Any]) -> None:
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])
    result = sign_in(cognito, client, name)["AuthenticationResult"]
    assert "NewDeviceMetadata" not in result
    assert "device_key" not in claims(result["AccessToken"])


def test_sign_in_with_device_tracking_returns_new_device_metadata_and_claims_its_key(cognito: Any) -> None:
    pool = tracked_pool(cognito)
    assert cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["DeviceConfiguration"] == ALWAYS
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])
    result = sign_in(cognito, client, name)["AuthenticationResult"]
    metadata = result["NewDeviceMetadata"]
    region = pool["Id"].split("_")[0]
    assert re.fullmatch(rf"{region}_[0-9a-f-]{{36}}", metadata["DeviceKey"])
    assert metadata["DeviceGroupKey"]
    assert claims(result["AccessToken"])["device_key"] == metadata["DeviceKey"]
    # Tracked, not yet confirmed: listed, not remembered.
    devices = cognito.list_devices(AccessToken=result["AccessToken"])["Devices"]
    assert [d["DeviceKey"] for d in devices] == [metadata["DeviceKey"]]
    assert device_attributes(devices[0])["dev:device_remembered_status"] == "not_remembered"
    # Every sign-in without DEVICE_KEY is a new device.
    again = sign_in(cognito, client, name)["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"]
    assert again != metadata["DeviceKey"]


# --- ConfirmDevice and the device operations -------------------------------------------------------------


def test_confirm_device_remembers_at_once_unless_the_user_must_opt_in(cognito: Any) -> None:
    pool = tracked_pool(cognito)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])
    result = sign_in(cognito, client, name)["AuthenticationResult"]
    key, _group, _password, answer = confirm(cognito, result, "Firefox on Linux")
    assert answer["UserConfirmationNecessary"] is False
    device = cognito.get_device(AccessToken=result["AccessToken"], DeviceKey=key)["Device"]
    shown = device_attributes(device)
    assert shown["dev:device_remembered_status"] == "remembered"
    assert shown["device_name"] == "Firefox on Linux"
    assert shown["dev:device_owner"] == f"{name}.{pool['Id']}"
    assert shown["dev:device_arn"].endswith(f"/device/{key}")
    assert device["DeviceCreateDate"] <= device["DeviceLastModifiedDate"]
    admin = cognito.admin_get_device(UserPoolId=pool["Id"], Username=name, DeviceKey=key)["Device"]
    assert admin["DeviceKey"] == key and device_attributes(admin) == shown

    opt_in = tracked_pool(cognito, OPT_IN)
    client = client_of(cognito, opt_in)
    name = make_user(cognito, opt_in["Id"])
    result = sign_in(cognito, client, name)["AuthenticationResult"]
    key, _group, _password, answer = confirm(cognito, result)
    assert answer["UserConfirmationNecessary"] is True
    status = device_attributes(cognito.get_device(AccessToken=result["AccessToken"], DeviceKey=key)["Device"])
    assert status["dev:device_remembered_status"] == "not_remembered"
    cognito.update_device_status(AccessToken=result["AccessToken"], DeviceKey=key,
                                 DeviceRememberedStatus="remembered")
    status = device_attributes(cognito.admin_get_device(UserPoolId=opt_in["Id"], Username=name,
                                                        DeviceKey=key)["Device"])
    assert status["dev:device_remembered_status"] == "remembered"
    cognito.admin_update_device_status(UserPoolId=opt_in["Id"], Username=name, DeviceKey=key,
                                       DeviceRememberedStatus="not_remembered")
    status = device_attributes(cognito.get_device(AccessToken=result["AccessToken"], DeviceKey=key)["Device"])
    assert status["dev:device_remembered_status"] == "not_remembered"


def test_confirm_device_errors(cognito: Any, raw_cognito: Any) -> None:
    pool = tracked_pool(cognito)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])
    result = sign_in(cognito, client, name)["AuthenticationResult"]
    token, key = result["AccessToken"], result["NewDeviceMetadata"]["DeviceKey"]
    _password, config = generate_hash_device("-group", key)
    with pytest.raises(ClientError) as unknown:
        cognito.confirm_device(AccessToken=token, DeviceKey=f"{key[:-1]}0" if key[-1] != "0" else f"{key[:-1]}1",
                               DeviceSecretVerifierConfig=config)
    assert error(unknown) == ("ResourceNotFoundException", DEVICE_NOT_FOUND)
    with pytest.raises(ClientError) as bad:
        cognito.confirm_device(AccessToken=token, DeviceKey=key,
                               DeviceSecretVerifierConfig={"PasswordVerifier": "not base64!", "Salt": "AA=="})
    assert error(bad)[0] == "InvalidParameterException"
    confirm(cognito, result)
    with pytest.raises(ClientError) as twice:
        confirm(cognito, result)
    assert error(twice)[0] == "DeviceKeyExistsException"
    with pytest.raises(ClientError) as bad_status:
        raw_cognito.update_device_status(AccessToken=token, DeviceKey=key, DeviceRememberedStatus="forever")
    assert error(bad_status)[0] in ("InvalidParameterException", "ValidationException")
    with pytest.raises(ClientError) as bad_token:
        cognito.list_devices(AccessToken="not-a-token")
    assert error(bad_token)[0] == "NotAuthorizedException"


def test_list_devices_pages_and_admin_operations_name_the_user(cognito: Any) -> None:
    pool = tracked_pool(cognito)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])
    keys = sorted(sign_in(cognito, client, name)["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"]
                  for _ in range(3))
    token = sign_in(cognito, client, name)["AuthenticationResult"]["AccessToken"]
    seen: list[str] = []
    page = cognito.list_devices(AccessToken=token, Limit=2)
    seen += [d["DeviceKey"] for d in page["Devices"]]
    assert len(page["Devices"]) == 2 and "PaginationToken" in page
    page = cognito.list_devices(AccessToken=token, Limit=2, PaginationToken=page["PaginationToken"])
    seen += [d["DeviceKey"] for d in page["Devices"]]
    assert "PaginationToken" not in page
    assert len(seen) == 4 and set(keys) <= set(seen) and seen == sorted(seen)
    admin = cognito.admin_list_devices(UserPoolId=pool["Id"], Username=name, Limit=3)
    assert [d["DeviceKey"] for d in admin["Devices"]] == seen[:3]
    with pytest.raises(ClientError) as nobody:
        cognito.admin_list_devices(UserPoolId=pool["Id"], Username="nobody")
    assert error(nobody) == ("UserNotFoundException", "User does not exist.")
    with pytest.raises(ClientError) as no_device:
        cognito.admin_get_device(UserPoolId=pool["Id"], Username=name, DeviceKey=f"{pool['Id'].split('_')[0]}_"
                                 "00000000-0000-4000-8000-000000000000")
    assert error(no_device) == ("ResourceNotFoundException", DEVICE_NOT_FOUND)


def test_forgotten_device_does_not_exist_anywhere(cognito: Any) -> None:
    pool = tracked_pool(cognito)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])
    result = sign_in(cognito, client, name)["AuthenticationResult"]
    key, _group, _password, _answer = confirm(cognito, result)
    other = sign_in(cognito, client, name)["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"]
    cognito.forget_device(AccessToken=result["AccessToken"], DeviceKey=key)
    cognito.admin_forget_device(UserPoolId=pool["Id"], Username=name, DeviceKey=other)
    for call in (
        lambda: cognito.get_device(AccessToken=result["AccessToken"], DeviceKey=key),
        lambda: cognito.forget_device(AccessToken=result["AccessToken"], DeviceKey=key),
        lambda: cognito.admin_forget_device(UserPoolId=pool["Id"], Username=name, DeviceKey=other),
        lambda: cognito.update_device_status(AccessToken=result["AccessToken"], DeviceKey=key,
                                             DeviceRememberedStatus="remembered"),
        # the clients match this text at sign-in, drop their key and sign in again without it
        lambda: cognito.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
            "USERNAME": name, "PASSWORD": PASSWORD, "DEVICE_KEY": key}),
        lambda: cognito.initiate_auth(ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={
            "REFRESH_TOKEN": result["RefreshToken"], "DEVICE_KEY": key}),
    ):
        with pytest.raises(ClientError) as gone:
            call()
        assert error(gone) == ("ResourceNotFoundException", DEVICE_NOT_FOUND)
    assert cognito.list_devices(AccessToken=result["AccessToken"])["Devices"] == []


def test_deleting_a_user_deletes_its_devices(cognito: Any) -> None:
    pool = tracked_pool(cognito)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])
    sign_in(cognito, client, name)
    assert len(cognito.admin_list_devices(UserPoolId=pool["Id"], Username=name)["Devices"]) == 1
    cognito.admin_delete_user(UserPoolId=pool["Id"], Username=name)
    make_user(cognito, pool["Id"], name)
    assert cognito.admin_list_devices(UserPoolId=pool["Id"], Username=name)["Devices"] == []


def test_refresh_with_device_key_claims_the_device(cognito: Any) -> None:
    pool = tracked_pool(cognito)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])
    result = sign_in(cognito, client, name)["AuthenticationResult"]
    key = result["NewDeviceMetadata"]["DeviceKey"]
    refreshed = cognito.initiate_auth(ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={
        "REFRESH_TOKEN": result["RefreshToken"], "DEVICE_KEY": key})["AuthenticationResult"]
    assert claims(refreshed["AccessToken"])["device_key"] == key
    assert "NewDeviceMetadata" not in refreshed


# --- device SRP in place of MFA --------------------------------------------------------------------------


def _srp_to_second_step(cognito: Any, pool: dict[str, Any], client: str, name: str,
                        device: tuple[str, str, str] | None = None) -> tuple[AWSSRP, dict[str, Any]]:
    """USER_SRP_AUTH and PASSWORD_VERIFIER (with DEVICE_KEY when ``device``): the challenge that follows."""
    extra = {} if device is None else {"device_key": device[0], "device_group_key": device[1],
                                       "device_password": device[2]}
    srp = AWSSRP(username=name, password=PASSWORD, pool_id=pool["Id"], client_id=client, client=cognito, **extra)
    params = srp.get_auth_params()
    verifier = cognito.initiate_auth(ClientId=client, AuthFlow="USER_SRP_AUTH", AuthParameters=params)
    claim = srp.process_challenge(verifier["ChallengeParameters"], params)
    return srp, dict(cognito.respond_to_auth_challenge(ClientId=client, ChallengeName="PASSWORD_VERIFIER",
                                                       ChallengeResponses=claim))


def _device_srp(cognito: Any, client: str, srp: AWSSRP, name: str, challenge: dict[str, Any]) -> dict[str, Any]:
    assert challenge["ChallengeName"] == "DEVICE_SRP_AUTH"
    from pycognito.aws_srp import long_to_hex
    step = cognito.respond_to_auth_challenge(
        ClientId=client, ChallengeName="DEVICE_SRP_AUTH", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": name, "DEVICE_KEY": srp.device_key, "SRP_A": long_to_hex(srp.large_a_value)})
    assert step["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    assert set(step["ChallengeParameters"]) >= {"SRP_B", "SALT", "SECRET_BLOCK", "USERNAME"}
    answer = srp.process_device_challenge(step["ChallengeParameters"])
    return dict(cognito.respond_to_auth_challenge(ClientId=client, ChallengeName="DEVICE_PASSWORD_VERIFIER",
                                                  Session=step["Session"], ChallengeResponses=answer))


def _sms_pool(cognito: Any, config: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    pool = mfa_pool(cognito, "ON", sms=True, DeviceConfiguration=config)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"], attributes={"phone_number": PHONE, "phone_number_verified": "true"})
    cognito.admin_set_user_mfa_preference(UserPoolId=pool["Id"], Username=name,
                                          SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    return pool, client, name


def _sms_answer(cognito: Any, server: Any, pool: dict[str, Any], client: str, name: str,
                challenge: dict[str, Any], **extra: str) -> dict[str, Any]:
    assert challenge["ChallengeName"] == "SMS_MFA"
    code = outbox(server, pool["Id"], name)[0]["code"]
    return dict(cognito.respond_to_auth_challenge(
        ClientId=client, ChallengeName="SMS_MFA", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": name, "SMS_MFA_CODE": code, **extra}))


def test_remembered_device_signs_in_with_device_srp_instead_of_mfa(cognito: Any, server: Any) -> None:
    pool, client, name = _sms_pool(cognito, ALWAYS)
    _srp, first = _srp_to_second_step(cognito, pool, client, name)
    result = _sms_answer(cognito, server, pool, client, name, first)["AuthenticationResult"]
    key, group, password, answer = confirm(cognito, result)
    assert answer["UserConfirmationNecessary"] is False
    sent = len(outbox(server, pool["Id"], name))

    srp, challenge = _srp_to_second_step(cognito, pool, client, name, (key, group, password))
    tokens = _device_srp(cognito, client, srp, name, challenge)["AuthenticationResult"]
    assert "NewDeviceMetadata" not in tokens
    assert claims(tokens["AccessToken"])["device_key"] == key
    assert claims(tokens["AccessToken"])["username"] == name
    assert len(outbox(server, pool["Id"], name)) == sent  # no SMS code: the device replaced MFA
    device = cognito.get_device(AccessToken=tokens["AccessToken"], DeviceKey=key)["Device"]
    assert "DeviceLastAuthenticatedDate" in device

    # A wrong device secret fails the device step.
    srp, challenge = _srp_to_second_step(cognito, pool, client, name, (key, group, "wrong" + password))
    with pytest.raises(ClientError) as wrong:
        _device_srp(cognito, client, srp, name, challenge)
    assert error(wrong) == ("NotAuthorizedException", "Incorrect username or password.")
    # Each device Session is good for one answer.
    srp, challenge = _srp_to_second_step(cognito, pool, client, name, (key, group, password))
    _device_srp(cognito, client, srp, name, challenge)
    with pytest.raises(ClientError) as reused:
        _device_srp(cognito, client, srp, name, challenge)
    assert error(reused)[0] == "NotAuthorizedException"


def test_device_not_remembered_still_gets_mfa_and_keeps_its_key(cognito: Any, server: Any) -> None:
    pool, client, name = _sms_pool(cognito, OPT_IN)
    _srp, first = _srp_to_second_step(cognito, pool, client, name)
    result = _sms_answer(cognito, server, pool, client, name, first)["AuthenticationResult"]
    key, group, password, answer = confirm(cognito, result)
    assert answer["UserConfirmationNecessary"] is True  # not remembered until the user opts in
    _srp, challenge = _srp_to_second_step(cognito, pool, client, name, (key, group, password))
    tokens = _sms_answer(cognito, server, pool, client, name, challenge)["AuthenticationResult"]
    assert "NewDeviceMetadata" not in tokens
    assert claims(tokens["AccessToken"])["device_key"] == key
    cognito.update_device_status(AccessToken=tokens["AccessToken"], DeviceKey=key,
                                 DeviceRememberedStatus="remembered")
    srp, challenge = _srp_to_second_step(cognito, pool, client, name, (key, group, password))
    assert "AuthenticationResult" in _device_srp(cognito, client, srp, name, challenge)


def test_without_challenge_required_on_new_device_a_remembered_device_still_gets_mfa(cognito: Any,
                                                                                      server: Any) -> None:
    pool, client, name = _sms_pool(cognito, {"ChallengeRequiredOnNewDevice": False,
                                             "DeviceOnlyRememberedOnUserPrompt": False})
    _srp, first = _srp_to_second_step(cognito, pool, client, name)
    result = _sms_answer(cognito, server, pool, client, name, first)["AuthenticationResult"]
    key, group, password, _answer = confirm(cognito, result)
    _srp, challenge = _srp_to_second_step(cognito, pool, client, name, (key, group, password))
    assert challenge["ChallengeName"] == "SMS_MFA"

"""Software-token MFA through real clients against a live server: AssociateSoftwareToken and
VerifySoftwareToken with an access token, SOFTWARE_TOKEN_MFA after USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH
and SRP (pycognito's whole flow: associate, verify, preference, SRP, MFA), RFC 6238 with one step of skew,
and a used step refused. The authenticator is pyotp in the test, at the server's (frozen) time."""

from __future__ import annotations

import re
from typing import Any

import pytest
from accounts import PASSWORD, make_user, sign_in
from botocore.config import Config
from botocore.exceptions import ClientError
from mfa_support import ServerClock, client_of, mfa_pool, register_totp, server_clock
from pycognito import Cognito
from pycognito.exceptions import SoftwareTokenMFAChallengeException
from test_auth import decode
from test_pools import error_of

MISMATCH = ("CodeMismatchException", "Invalid code or auth state for the user.")
USED = ("ExpiredCodeException", "Your software token has already been used once.")


@pytest.fixture
def clock(server: Any) -> Any:
    with server_clock(server) as frozen:
        yield frozen


def totp_user(cognito: Any, clock: ServerClock, pool: dict[str, Any], client: str) -> tuple[str, str]:
    """A user with a verified, preferred software token: (username, secret)."""
    name = make_user(cognito, pool["Id"])
    token = sign_in(cognito, client, name)["AuthenticationResult"]["AccessToken"]
    secret = register_totp(cognito, clock, token)
    cognito.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    return name, secret


def answer(cognito: Any, client: str, name: str, session: str, code: str) -> dict[str, Any]:
    return cognito.respond_to_auth_challenge(
        ClientId=client, ChallengeName="SOFTWARE_TOKEN_MFA", Session=session,
        ChallengeResponses={"USERNAME": name, "SOFTWARE_TOKEN_MFA_CODE": code},
    )


def test_associate_gives_a_base32_secret_and_verify_registers_it(cognito: Any, clock: ServerClock) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", totp=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])
    token = sign_in(cognito, client, name)["AuthenticationResult"]["AccessToken"]
    associated = cognito.associate_software_token(AccessToken=token)
    assert "Session" not in associated
    secret = associated["SecretCode"]
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    with pytest.raises(ClientError) as excinfo:
        cognito.verify_software_token(AccessToken=token, UserCode="000000" if clock.code(secret) != "000000" else "111111")
    assert error_of(excinfo) == ("EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA")
    verified = cognito.verify_software_token(AccessToken=token, UserCode=clock.code(secret), FriendlyDeviceName="phone")
    assert verified["Status"] == "SUCCESS" and "Session" not in verified
    assert cognito.get_user(AccessToken=token)["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]


def test_a_new_association_replaces_the_token_only_once_verified(cognito: Any, clock: ServerClock) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", totp=True)
    client = client_of(cognito, pool)
    name, old = totp_user(cognito, clock, pool, client)
    challenge = sign_in(cognito, client, name)
    tokens = answer(cognito, client, name, challenge["Session"], clock.code(old))["AuthenticationResult"]
    clock.next_step()
    new = cognito.associate_software_token(AccessToken=tokens["AccessToken"])["SecretCode"]
    assert new != old
    challenge = sign_in(cognito, client, name)  # the old token still signs in: the new one is not verified
    assert "AuthenticationResult" in answer(cognito, client, name, challenge["Session"], clock.code(old))
    clock.next_step()
    cognito.verify_software_token(AccessToken=tokens["AccessToken"], UserCode=clock.code(new))
    clock.next_step()
    challenge = sign_in(cognito, client, name)
    with pytest.raises(ClientError) as excinfo:
        answer(cognito, client, name, challenge["Session"], clock.code(old))
    assert error_of(excinfo) == MISMATCH
    assert "AuthenticationResult" in answer(cognito, client, name, challenge["Session"], clock.code(new))


def test_software_token_refused_when_the_pool_does_not_offer_it(cognito: Any) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", sms=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])
    token = sign_in(cognito, client, name)["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as excinfo:
        cognito.associate_software_token(AccessToken=token)
    assert error_of(excinfo) == ("SoftwareTokenMFANotFoundException",
                                 "Software Token MFA has not been enabled by the userPool")
    with pytest.raises(ClientError) as excinfo:
        cognito.verify_software_token(AccessToken=token, UserCode="123456")
    assert error_of(excinfo)[0] == "SoftwareTokenMFANotFoundException"
    with pytest.raises(ClientError) as excinfo:
        cognito.associate_software_token(AccessToken=token, Session="x" * 40)
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_password_sign_in_then_software_token_mfa_gives_tokens(cognito: Any, server: Any, clock: ServerClock) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", totp=True)
    client = client_of(cognito, pool)
    name, secret = totp_user(cognito, clock, pool, client)
    challenge = sign_in(cognito, client, name)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert challenge["ChallengeParameters"] == {"USER_ID_FOR_SRP": name}
    assert 20 <= len(challenge["Session"]) <= 4096 and "AuthenticationResult" not in challenge
    tokens = answer(cognito, client, name, challenge["Session"], clock.code(secret))["AuthenticationResult"]
    claims = decode(server, pool["Id"], tokens["AccessToken"], leeway=300)  # the clock runs ahead
    assert claims["username"] == name and claims["token_use"] == "access"
    assert "RefreshToken" in tokens


def test_admin_password_sign_in_then_admin_respond(cognito: Any, clock: ServerClock) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", totp=True)
    client = client_of(cognito, pool)
    name, secret = totp_user(cognito, clock, pool, client)
    challenge = cognito.admin_initiate_auth(UserPoolId=pool["Id"], ClientId=client, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                            AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD})
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = cognito.admin_respond_to_auth_challenge(
        UserPoolId=pool["Id"], ClientId=client, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": name, "SOFTWARE_TOKEN_MFA_CODE": clock.code(secret)},
    )
    assert "AccessToken" in done["AuthenticationResult"]


def test_one_step_of_skew_either_way_and_no_more(cognito: Any, clock: ServerClock) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", totp=True)
    client = client_of(cognito, pool)
    name, secret = totp_user(cognito, clock, pool, client)
    for offset in (2, -2):
        challenge = sign_in(cognito, client, name)
        code = clock.code(secret, offset_steps=offset)
        if code in {clock.code(secret, offset_steps=o) for o in (-1, 0, 1)}:
            continue  # the rare collision of two steps' codes
        with pytest.raises(ClientError) as excinfo:
            answer(cognito, client, name, challenge["Session"], code)
        assert error_of(excinfo) == MISMATCH
    for offset in (-1, 1):
        clock.move(90)
        challenge = sign_in(cognito, client, name)
        assert "AuthenticationResult" in answer(cognito, client, name, challenge["Session"],
                                                clock.code(secret, offset_steps=offset))


def test_a_used_step_is_refused_even_on_a_new_sign_in(cognito: Any, clock: ServerClock) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", totp=True)
    client = client_of(cognito, pool)
    name, secret = totp_user(cognito, clock, pool, client)
    code = clock.code(secret)
    assert "AuthenticationResult" in answer(cognito, client, name, sign_in(cognito, client, name)["Session"], code)
    with pytest.raises(ClientError) as excinfo:
        answer(cognito, client, name, sign_in(cognito, client, name)["Session"], code)
    assert error_of(excinfo) == USED
    clock.move(30)  # the previous step's code is still within the skew, but used
    with pytest.raises(ClientError) as excinfo:
        answer(cognito, client, name, sign_in(cognito, client, name)["Session"], code)
    assert error_of(excinfo) == USED


def test_the_code_verify_used_cannot_sign_in(cognito: Any, clock: ServerClock) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", totp=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])
    token = sign_in(cognito, client, name)["AuthenticationResult"]["AccessToken"]
    secret = cognito.associate_software_token(AccessToken=token)["SecretCode"]
    code = clock.code(secret)
    cognito.verify_software_token(AccessToken=token, UserCode=code)
    challenge = sign_in(cognito, client, name)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    with pytest.raises(ClientError) as excinfo:
        answer(cognito, client, name, challenge["Session"], code)
    assert error_of(excinfo) == USED


def test_pycognito_registers_a_token_and_signs_in_with_srp_then_totp(cognito: Any, server: Any,
                                                                     clock: ServerClock) -> None:
    pool = mfa_pool(cognito, "OPTIONAL", totp=True)
    client = client_of(cognito, pool)
    name = make_user(cognito, pool["Id"])

    def pycognito() -> Cognito:
        return Cognito(pool["Id"], client, username=name,
                       boto3_client_kwargs={"endpoint_url": server.url, "aws_access_key_id": "AKIDEXAMPLE",
                                            "aws_secret_access_key": "secret"},
                       botocore_config=Config(retries={"mode": "standard", "max_attempts": 1}))

    user = pycognito()
    user.authenticate(password=PASSWORD)
    secret = user.associate_software_token()
    assert user.verify_software_token(clock.code(secret), device_name="pyotp")
    user.set_user_mfa_preference(sms_mfa=False, software_token_mfa=True, preferred="SOFTWARE_TOKEN")
    again = pycognito()
    with pytest.raises(SoftwareTokenMFAChallengeException) as excinfo:
        again.authenticate(password=PASSWORD)
    # The next step's code (within the skew; the current one was used by the verification), so the server's
    # clock stays where pycognito's token checks expect it.
    again.respond_to_software_token_mfa_challenge(clock.code(secret, offset_steps=1), excinfo.value.get_tokens())
    assert decode(server, pool["Id"], again.access_token)["username"] == name

"""Helpers for the MFA wire tests: pools with MFA factors, the server's clock (frozen, read and moved
through the development endpoint), and a TOTP authenticator computed with pyotp at the server's time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pyotp
from accounts import make_client, unique

SMS_CONFIGURATION = {"SnsCallerArn": "arn:aws:iam::123456789012:role/cognito-sms", "ExternalId": "userpools-tests"}
EMAIL_CONFIGURATION = {"EmailSendingAccount": "DEVELOPER", "From": "id@example.com",
                       "SourceArn": "arn:aws:ses:us-east-1:123456789012:identity/id@example.com"}


class ServerClock:
    """The server's development clock, frozen for the test: ``now`` is the server's time."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.now = self._post({"freeze": True})

    def _post(self, body: dict[str, Any]) -> datetime:
        response = httpx.post(f"{self.url}/_userpools/clock", json=body)
        response.raise_for_status()
        return datetime.fromisoformat(response.json()["now"])

    def move(self, seconds: float) -> None:
        self.now = self._post({"advanceSeconds": seconds})

    def code(self, secret: str, *, offset_steps: int = 0) -> str:
        """What an authenticator app shows at the server's time (``offset_steps`` 30-second steps away)."""
        return pyotp.TOTP(secret).at(self.now + timedelta(seconds=30 * offset_steps))

    def next_step(self) -> None:
        """Moves the clock to the start of the next 30-second step."""
        self.move(30 - self.now.timestamp() % 30)


@contextmanager
def server_clock(server: Any) -> Iterator[ServerClock]:
    clock = ServerClock(server.url)
    try:
        yield clock
    finally:
        httpx.post(f"{server.url}/_userpools/clock", json={"reset": True}).raise_for_status()


def mfa_pool(cognito: Any, mode: str = "OPTIONAL", *, sms: bool = False, totp: bool = False,
             email: bool = False, **pool_settings: Any) -> dict[str, Any]:
    """A pool with the MFA factors asked for, set by SetUserPoolMfaConfig."""
    if email:
        pool_settings.setdefault("EmailConfiguration", EMAIL_CONFIGURATION)
    pool = cognito.create_user_pool(PoolName=unique("mfa"), **pool_settings)["UserPool"]
    config: dict[str, Any] = {"UserPoolId": pool["Id"], "MfaConfiguration": mode}
    if sms:
        config["SmsMfaConfiguration"] = {"SmsAuthenticationMessage": "Your code is {####}",
                                         "SmsConfiguration": SMS_CONFIGURATION}
    if totp:
        config["SoftwareTokenMfaConfiguration"] = {"Enabled": True}
    if email:
        config["EmailMfaConfiguration"] = {"Message": "Sign-in code: {####}", "Subject": "Your sign-in code"}
    cognito.set_user_pool_mfa_config(**config)
    return pool


def client_of(cognito: Any, pool: dict[str, Any], **kwargs: Any) -> str:
    return str(make_client(cognito, pool["Id"], **kwargs)["ClientId"])


def register_totp(cognito: Any, clock: ServerClock, access_token: str) -> str:
    """AssociateSoftwareToken + VerifySoftwareToken with an access token; the secret."""
    secret = cognito.associate_software_token(AccessToken=access_token)["SecretCode"]
    answer = cognito.verify_software_token(AccessToken=access_token, UserCode=clock.code(secret),
                                           FriendlyDeviceName="phone")
    assert answer["Status"] == "SUCCESS"
    clock.next_step()  # the step just used cannot sign in
    return str(secret)

"""The MFA sign-in scenarios: their fixtures (software tokens enrolled through the API; a pool and client
that allow USER_AUTH with EMAIL_OTP) and one iteration of each.

``sign_in_totp``: InitiateAuth USER_PASSWORD_AUTH → SOFTWARE_TOKEN_MFA challenge → RespondToAuthChallenge
with a code the load generator computes (pyotp, RFC 6238) from the secret AssociateSoftwareToken gave.

A server that follows Cognito refuses a time step a user has already used, so a user can sign in at most
once per 30-second step (twice around a step change: the step before, the one after, within the ±1 step of
skew). The load generator keeps, per user, the last step it used and takes users in turn, each with the
oldest step still open to it (now or now + 1). When every user has used both, it moves the server's clock on
by 30 s (development mode: ``POST /_userpools/clock {"advanceSeconds": 30}``, one request outside the
counted ones) and goes on; the codes in flight (of the step before) stay inside the skew. A server with no
such clock (ministack, which also keeps no record of used steps) gets codes of the real current step, the
users taken in turn, a user's step used again: its sign-ins are then never held back by the 30-second step,
which favours it.

``sign_in_email_otp``: InitiateAuth USER_AUTH PREFERRED_CHALLENGE=EMAIL_OTP → EMAIL_OTP challenge → the
code read from the development outbox (``GET /_userpools/outbox``: one more request per sign-in, counted
under its own name) → RespondToAuthChallenge EMAIL_OTP_CODE. Users are taken in turn, so no two sign-ins in
flight share a user (and an outbox).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import orjson
import pyotp

from bench.scenarios import AUTH_FLOWS, Fixtures, SetupError, _bounded, _must, _tokens_or_unexpected
from bench.wire import CognitoWire

if TYPE_CHECKING:
    from bench.scenarios import Run

STEP = 30


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class TotpUsers:
    """Each enrolled user's secret and the last step it used; the clock the codes are computed on."""

    secrets: dict[str, pyotp.TOTP]
    has_clock: bool  # the server's development clock can be moved
    offset_s: float = 0.0  # the server's clock minus ours
    last_step: dict[str, int] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    cursor: int = 0
    advances: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def step_now(self) -> int:
        return int((time.time() + self.offset_s) // STEP)

    def take(self) -> tuple[str, int] | None:
        """The next user with a step open to it and that step (marked used), or None when none has one."""
        now = self.step_now()
        for _ in range(len(self.order)):
            username = self.order[self.cursor]
            self.cursor = (self.cursor + 1) % len(self.order)
            if not self.has_clock:
                return username, now
            step = max(now, self.last_step.get(username, now - 1) + 1)
            if step <= now + 1:
                self.last_step[username] = step
                return username, step
        return None

    def code(self, username: str, step: int) -> str:
        return self.secrets[username].at(step * STEP)


async def _clock(wire: CognitoWire, advance: float) -> dict[str, Any] | None:
    exchange, error, _ = await wire.send(
        "POST",
        wire.url + "_userpools/clock",
        orjson.dumps({"advanceSeconds": advance}),
        {"Content-Type": "application/json"},
    )
    if error or exchange is None or exchange.status != 200:
        return None
    try:
        return orjson.loads(exchange.body)
    except orjson.JSONDecodeError:
        return None


async def enroll_totp(wire: CognitoWire, fixtures: Fixtures, concurrency: int) -> TotpUsers:
    """Software-token MFA on (OPTIONAL) in the pool; each user signs in once, associates a token, verifies
    it with the current code and makes it its preferred MFA: every sign-in after that is challenged."""
    started = time.perf_counter()
    await _must(
        wire,
        "SetUserPoolMfaConfig",
        {
            "UserPoolId": fixtures.pool_id,
            "SoftwareTokenMfaConfiguration": {"Enabled": True},
            "MfaConfiguration": "OPTIONAL",
        },
    )
    probe = await _clock(wire, 0)
    offset = 0.0
    if probe and "now" in probe:
        from datetime import datetime

        offset = datetime.fromisoformat(probe["now"]).timestamp() - time.time()
    users = TotpUsers({}, has_clock=probe is not None, offset_s=offset)

    async def enroll(username: str) -> None:
        body = await _must(
            wire,
            "InitiateAuth",
            {
                "ClientId": fixtures.client_id,
                "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": username, "PASSWORD": fixtures.password},
            },
        )
        access = (body.get("AuthenticationResult") or {}).get("AccessToken")
        if not access:
            raise SetupError(f"InitiateAuth answered no tokens: {body.get('ChallengeName') or body}")
        secret = (await _must(wire, "AssociateSoftwareToken", {"AccessToken": access}))["SecretCode"]
        totp = pyotp.TOTP(secret)
        step = users.step_now()
        await _must(wire, "VerifySoftwareToken", {"AccessToken": access, "UserCode": totp.at(step * STEP)})
        await _must(
            wire,
            "SetUserMFAPreference",
            {"AccessToken": access, "SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}},
        )
        users.secrets[username] = totp
        users.last_step[username] = step  # a server may count the verification's step as used

    await _bounded(concurrency, [lambda u=u: enroll(u) for u in fixtures.usernames])  # type: ignore[misc]
    users.order = list(fixtures.usernames)
    random.Random(fixtures.run_id).shuffle(users.order)
    _log(
        f"setup: {len(users.secrets)} software tokens in {time.perf_counter() - started:.1f} s; "
        + ("steps: the server's development clock moves on when every user has used one" if users.has_clock
           else "no development clock: codes of the real step, a user's step used again")
    )
    return users


async def enable_email_otp(wire: CognitoWire, fixtures: Fixtures) -> None:
    """USER_AUTH with EMAIL_OTP as a first factor: the Essentials tier, the sign-in policy, ALLOW_USER_AUTH."""
    await _must(
        wire,
        "UpdateUserPool",
        {
            "UserPoolId": fixtures.pool_id,
            "AutoVerifiedAttributes": ["email"],  # UpdateUserPool resets what it is not given
            "UserPoolTier": "ESSENTIALS",
            "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}},
        },
    )
    await _must(
        wire,
        "UpdateUserPoolClient",
        {
            "UserPoolId": fixtures.pool_id,
            "ClientId": fixtures.client_id,
            "ClientName": "loadgen",
            "ExplicitAuthFlows": [*AUTH_FLOWS, "ALLOW_USER_AUTH"],
        },
    )


# --- scenarios ---------------------------------------------------------------------------------------------


async def sign_in_totp(run: Run, rng: random.Random) -> str | None:
    users: TotpUsers = run.mfa
    taken = users.take()
    while taken is None:  # every user has used the steps open to it
        if not users.has_clock:
            return "client:no user with an unused step"
        async with users.lock:
            taken = users.take()
            if taken is None:
                if await _clock(run.wire, STEP) is None:
                    return "client:clock refused"
                users.offset_s += STEP
                users.advances += 1
                taken = users.take()
    username, step = taken
    body, error = await run.call(
        "InitiateAuth",
        {
            "ClientId": run.fixtures.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": username, "PASSWORD": run.fixtures.password},
        },
    )
    if error:
        return error
    if body.get("ChallengeName") != "SOFTWARE_TOKEN_MFA":
        return f"unexpected:{body.get('ChallengeName') or 'no SOFTWARE_TOKEN_MFA challenge'}"
    body, error = await run.call(
        "RespondToAuthChallenge",
        {
            "ClientId": run.fixtures.client_id,
            "ChallengeName": "SOFTWARE_TOKEN_MFA",
            "Session": body.get("Session", ""),
            "ChallengeResponses": {"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": users.code(username, step)},
        },
    )
    return error or _tokens_or_unexpected(body, refresh_expected=True)


_email_turn = itertools.count()


async def sign_in_email_otp(run: Run, rng: random.Random) -> str | None:
    usernames = run.fixtures.usernames
    username = usernames[next(_email_turn) % len(usernames)]
    body, error = await run.call(
        "InitiateAuth",
        {
            "ClientId": run.fixtures.client_id,
            "AuthFlow": "USER_AUTH",
            "AuthParameters": {"USERNAME": username, "PREFERRED_CHALLENGE": "EMAIL_OTP"},
        },
    )
    if error:
        return error
    if body.get("ChallengeName") != "EMAIL_OTP":
        return f"unexpected:{body.get('ChallengeName') or 'no EMAIL_OTP challenge'}"
    query = urlencode({"userPoolId": run.fixtures.pool_id, "username": username, "limit": 1})
    exchange, error, latency = await run.wire.send("GET", f"{run.wire.url}_userpools/outbox?{query}")
    if error is None and (exchange is None or exchange.status != 200):
        error = f"http:{exchange.status if exchange else 0}"
    run.recorder.operation("GET /_userpools/outbox", latency, error)
    if error:
        return error
    messages = orjson.loads(exchange.body).get("messages") or []  # type: ignore[union-attr]
    if not messages or not messages[0].get("code"):
        return "unexpected:no code in the outbox"
    body, error = await run.call(
        "RespondToAuthChallenge",
        {
            "ClientId": run.fixtures.client_id,
            "ChallengeName": "EMAIL_OTP",
            "Session": body.get("Session", ""),
            "ChallengeResponses": {"USERNAME": username, "EMAIL_OTP_CODE": messages[0]["code"]},
        },
    )
    return error or _tokens_or_unexpected(body, refresh_expected=True)

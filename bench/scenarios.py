"""The fixtures a run needs, made through the API itself, and the scenarios: a table from name to one
iteration (one sign-in, one SRP sign-in's two calls, one mixed pick).

Each scenario returns None on success or the error that ended the iteration: the Cognito error code, or
``unexpected:<what>`` when a 200 answer does not have the shape the operation promises (a challenge where
tokens were due, tokens missing).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import secrets
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bench import oauth
from bench.measure import Recorder
from bench.srp_client import SrpClient
from bench.wire import CognitoWire

PASSWORD = "Bench-Passw0rd!"  # meets Cognito's default policy: 8+, upper, lower, digit, symbol
AUTH_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


class SetupError(RuntimeError):
    """A fixture could not be made; the message says which operation answered what."""


@dataclass
class Fixtures:
    run_id: str
    pool_id: str
    client_id: str
    usernames: list[str]
    password: str = PASSWORD
    tokens: list[tuple[str, str]] = field(default_factory=list)  # (access token, refresh token)
    tokens_error: str | None = None


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def _must(wire: CognitoWire, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
    reply = await wire.call(operation, payload)
    for attempt in range(50):  # a server enforcing Cognito's request rates (AWS, userpools --rate-limits on)
        if reply.error != "TooManyRequestsException":
            break
        await asyncio.sleep(0.05 * min(attempt + 1, 10))
        reply = await wire.call(operation, payload)
    if reply.error is not None:
        raise SetupError(
            f"{operation} answered HTTP {reply.status} {reply.error}: {reply.body.get('message', '')}"
        )
    return reply.body


async def _bounded(limit: int, jobs: Iterable[Callable[[], Awaitable[Any]]]) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with semaphore:
            return await job()

    try:
        async with asyncio.TaskGroup() as group:  # the first failure cancels the rest
            tasks = [group.create_task(one(job)) for job in jobs]
    except* SetupError as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]


async def create_fixtures(wire: CognitoWire, users: int, concurrency: int) -> Fixtures:
    """A pool that auto-verifies email, a client without a secret allowing password, SRP and refresh-token
    sign-in, and ``users`` confirmed users with a verified email and a permanent password."""
    run_id = secrets.token_hex(4)
    started = time.perf_counter()
    pool = (
        await _must(
            wire,
            "CreateUserPool",
            {
                "PoolName": f"bench-{run_id}",
                "AutoVerifiedAttributes": ["email"],
            },
        )
    )["UserPool"]
    client = (
        await _must(
            wire,
            "CreateUserPoolClient",
            {
                "UserPoolId": pool["Id"],
                "ClientName": "loadgen",
                "GenerateSecret": False,
                "ExplicitAuthFlows": AUTH_FLOWS,
            },
        )
    )["UserPoolClient"]
    fixtures = Fixtures(
        run_id, pool["Id"], client["ClientId"], [f"bench-{run_id}-{i:06d}" for i in range(users)]
    )

    async def make_user(username: str) -> None:
        await _must(
            wire,
            "AdminCreateUser",
            {
                "UserPoolId": fixtures.pool_id,
                "Username": username,
                "MessageAction": "SUPPRESS",
                "UserAttributes": [
                    {"Name": "email", "Value": f"{username}@example.com"},
                    {"Name": "email_verified", "Value": "true"},
                ],
            },
        )
        await _must(
            wire,
            "AdminSetUserPassword",
            {
                "UserPoolId": fixtures.pool_id,
                "Username": username,
                "Password": fixtures.password,
                "Permanent": True,
            },
        )

    try:
        await _bounded(concurrency, [lambda u=u: make_user(u) for u in fixtures.usernames])  # type: ignore[misc]
    except SetupError:
        await delete_fixtures(wire, fixtures)  # leave no half-made pool behind on a shared endpoint
        raise
    _log(
        f"setup: pool {fixtures.pool_id}, client {fixtures.client_id}, {users} users "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return fixtures


async def collect_tokens(wire: CognitoWire, fixtures: Fixtures, count: int, concurrency: int) -> None:
    """Signs in the first ``count`` users once (USER_PASSWORD_AUTH) for get_user and refresh. A failure is
    kept in ``tokens_error`` (the scenarios that need tokens are then skipped), not raised."""
    started = time.perf_counter()

    async def sign_in(username: str) -> tuple[str, str]:
        body = await _must(
            wire,
            "InitiateAuth",
            {
                "ClientId": fixtures.client_id,
                "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": username, "PASSWORD": fixtures.password},
            },
        )
        result = body.get("AuthenticationResult") or {}
        if "AccessToken" not in result or "RefreshToken" not in result:
            raise SetupError(f"InitiateAuth answered no tokens: {body.get('ChallengeName') or body}")
        return result["AccessToken"], result["RefreshToken"]

    try:
        fixtures.tokens = await _bounded(
            concurrency,
            [
                lambda u=u: sign_in(u)
                for u in fixtures.usernames[:count]  # type: ignore[misc]
            ],
        )
        _log(f"setup: {len(fixtures.tokens)} sign-ins for tokens in {time.perf_counter() - started:.1f} s")
    except SetupError as exc:
        fixtures.tokens_error = str(exc)
        _log(f"setup: no tokens: {exc}")


async def delete_fixtures(wire: CognitoWire, fixtures: Fixtures) -> None:
    reply = await wire.call("DeleteUserPool", {"UserPoolId": fixtures.pool_id})
    if reply.error:
        _log(f"cleanup: DeleteUserPool answered {reply.error}")


# --- scenarios -------------------------------------------------------------------------------------------


@dataclass
class Run:
    """What a scenario iteration has at hand."""

    wire: CognitoWire
    fixtures: Fixtures
    recorder: Recorder
    srp: SrpClient
    sign_ups: itertools.count[int] = field(default_factory=itertools.count)
    oauth: oauth.OAuthFixtures | None = None
    mfa: Any = None  # bench.mfa.TotpUsers for sign_in_totp

    async def call(self, operation: str, payload: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        reply = await self.wire.call(operation, payload)
        self.recorder.operation(operation, reply.latency_ns, reply.error)
        return reply.body, reply.error

    def user(self, rng: random.Random) -> str:
        return rng.choice(self.fixtures.usernames)

    def tokens(self, rng: random.Random) -> tuple[str, str]:
        return rng.choice(self.fixtures.tokens)


Iteration = Callable[[Run, random.Random], Awaitable[str | None]]


def _tokens_or_unexpected(body: dict[str, Any], *, refresh_expected: bool) -> str | None:
    result = body.get("AuthenticationResult")
    if not result:
        return f"unexpected:{body.get('ChallengeName') or 'no AuthenticationResult'}"
    if "AccessToken" not in result or "IdToken" not in result:
        return "unexpected:tokens missing"
    if refresh_expected and "RefreshToken" not in result:
        return "unexpected:no RefreshToken"
    return None


async def sign_in(run: Run, rng: random.Random) -> str | None:
    body, error = await run.call(
        "InitiateAuth",
        {
            "ClientId": run.fixtures.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": run.user(rng), "PASSWORD": run.fixtures.password},
        },
    )
    return error or _tokens_or_unexpected(body, refresh_expected=True)


async def sign_in_srp(run: Run, rng: random.Random) -> str | None:
    ephemeral = run.srp.ephemeral()
    body, error = await run.call(
        "InitiateAuth",
        {
            "ClientId": run.fixtures.client_id,
            "AuthFlow": "USER_SRP_AUTH",
            "AuthParameters": {"USERNAME": run.user(rng), "SRP_A": ephemeral.srp_a},
        },
    )
    if error:
        return error
    if body.get("ChallengeName") != "PASSWORD_VERIFIER":
        return f"unexpected:{body.get('ChallengeName') or 'no PASSWORD_VERIFIER challenge'}"
    params = body.get("ChallengeParameters") or {}
    try:
        responses = run.srp.respond(ephemeral, params, run.fixtures.password)
    except (KeyError, ValueError) as exc:
        return f"unexpected:bad challenge ({type(exc).__name__}: {exc})"
    request: dict[str, Any] = {
        "ClientId": run.fixtures.client_id,
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeResponses": responses,
    }
    if body.get("Session"):  # Cognito sends none with PASSWORD_VERIFIER; pass one on if a server does
        request["Session"] = body["Session"]
    body, error = await run.call("RespondToAuthChallenge", request)
    return error or _tokens_or_unexpected(body, refresh_expected=True)


async def get_user(run: Run, rng: random.Random) -> str | None:
    body, error = await run.call("GetUser", {"AccessToken": run.tokens(rng)[0]})
    return error or (None if "Username" in body else "unexpected:no Username")


async def refresh(run: Run, rng: random.Random) -> str | None:
    body, error = await run.call(
        "InitiateAuth",
        {
            "ClientId": run.fixtures.client_id,
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "AuthParameters": {"REFRESH_TOKEN": run.tokens(rng)[1]},
        },
    )
    return error or _tokens_or_unexpected(body, refresh_expected=False)


async def sign_up(run: Run, rng: random.Random) -> str | None:
    username = f"signup-{run.fixtures.run_id}-{next(run.sign_ups)}"
    body, error = await run.call(
        "SignUp",
        {
            "ClientId": run.fixtures.client_id,
            "Username": username,
            "Password": run.fixtures.password,
            "UserAttributes": [{"Name": "email", "Value": f"{username}@example.com"}],
        },
    )
    return error or (None if "UserSub" in body else "unexpected:no UserSub")


async def forgot_password(run: Run, rng: random.Random) -> str | None:
    body, error = await run.call(
        "ForgotPassword", {"ClientId": run.fixtures.client_id, "Username": run.user(rng)}
    )
    return error or (None if "CodeDeliveryDetails" in body else "unexpected:no CodeDeliveryDetails")


async def sign_in_totp(run: Run, rng: random.Random) -> str | None:
    from bench import mfa  # bench.mfa builds on this module

    return await mfa.sign_in_totp(run, rng)


async def sign_in_email_otp(run: Run, rng: random.Random) -> str | None:
    from bench import mfa

    return await mfa.sign_in_email_otp(run, rng)


MIXED: tuple[tuple[Iteration, float], ...] = ((sign_in, 0.70), (get_user, 0.20), (forgot_password, 0.10))


async def mixed(run: Run, rng: random.Random) -> str | None:
    pick = rng.random()
    for iteration, weight in MIXED:
        if pick < weight:
            return await iteration(run, rng)
        pick -= weight
    return await MIXED[-1][0](run, rng)


@dataclass(frozen=True)
class Scenario:
    name: str
    iteration: Iteration
    needs_users: bool
    needs_tokens: bool
    about: str
    needs_oauth: bool = False
    #: what the scenario can be run against: "cognito" (Cognito's API and, for OAuth, a pool's domain),
    #: "oidc-provider" (bench/oidc_provider_server.mjs)
    targets: frozenset[str] = frozenset({"cognito"})
    #: more set-up through the API (bench/mfa.py): "totp" (software tokens enrolled), "email_otp"
    mfa_setup: str | None = None


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("sign_in", sign_in, True, False, "InitiateAuth USER_PASSWORD_AUTH, random user"),
        Scenario(
            "sign_in_srp",
            sign_in_srp,
            True,
            False,
            "InitiateAuth USER_SRP_AUTH + RespondToAuthChallenge PASSWORD_VERIFIER, random user",
        ),
        Scenario(
            "sign_in_totp",
            sign_in_totp,
            True,
            False,
            "InitiateAuth USER_PASSWORD_AUTH + RespondToAuthChallenge SOFTWARE_TOKEN_MFA (pyotp code), "
            "users in turn, each step used once (bench/mfa.py)",
            mfa_setup="totp",
        ),
        Scenario(
            "sign_in_email_otp",
            sign_in_email_otp,
            True,
            False,
            "InitiateAuth USER_AUTH EMAIL_OTP + GET /_userpools/outbox (the code) + RespondToAuthChallenge "
            "EMAIL_OTP, users in turn",
            mfa_setup="email_otp",
        ),
        Scenario("get_user", get_user, True, True, "GetUser with an access token from set-up"),
        Scenario(
            "refresh", refresh, True, True, "InitiateAuth REFRESH_TOKEN_AUTH with a refresh token from set-up"
        ),
        Scenario(
            "sign_up",
            sign_up,
            False,
            False,
            "SignUp of a fresh username (email auto-verified: a code is sent)",
        ),
        Scenario(
            "forgot_password", forgot_password, True, False, "ForgotPassword, random user (a code is sent)"
        ),
        Scenario("mixed", mixed, True, True, "70% sign_in, 20% get_user, 10% forgot_password"),
        Scenario(
            "client_credentials",
            oauth.client_credentials,
            False,
            False,
            "POST /oauth2/token grant_type=client_credentials (HTTP Basic, one custom scope): an RS256 access token",
            needs_oauth=True,
            targets=frozenset({"cognito", "oidc-provider"}),
        ),
        Scenario(
            "authorization_code",
            oauth.authorization_code,
            True,
            False,
            "hosted sign-in of a random user: GET /oauth2/authorize → GET /login → POST /login → "
            "POST /oauth2/token with the code",
            needs_oauth=True,
        ),
    )
}

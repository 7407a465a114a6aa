"""Rate limits on a pool domain's endpoints: failed /oauth2/token requests and failed /login sign-ins, per
pool and client IP address, in fixed one-minute windows counted in the store's shared counters (so every
server process sees the same count, as the API's recovery limits do).

- ``/oauth2/token``: a failure is an answer to wrong credentials, ``invalid_client`` (an unknown client or a
  wrong secret) or ``invalid_grant`` (a code, verifier or refresh token that does not hold). Only failures
  are counted, after their transaction, so a request that succeeds (the benchmarked client_credentials
  grant) stays one read-only transaction with no counter read or written. Past the limit a failure is
  answered 429 instead of its own error; a request with the right credentials is never refused, by design:
  client secrets, codes and refresh tokens are random and long, so there is nothing to guess, and refusing
  the right secret would let anyone who knows a machine client's id lock it out by sending wrong ones.
- ``/login`` (POST): a failure is a sign-in the API answers NotAuthorizedException or UserNotFoundException
  (a wrong password, an unknown user, a locked or disabled one). Each user is already protected by the
  API's lockout; this limit is for one address trying many users (credential stuffing), so past it every
  sign-in from the address is refused, the right password too, until the window ends: the count is read
  (one primary-key read in the sign-in's own transaction) before the password is checked.

Cognito's own answer is [U]: it throttles these endpoints (its ClientAuthentication quota for
client_credentials, and the "Rate exceeded" 429 users report from its hosted sign-in) but documents neither
the body nor per-address limits. See docs/compatibility.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from userpools.domain import oauth as rules
from userpools.errors import TooManyRequestsException
from userpools.operations.context import CALLER, Context
from userpools.storage.ports import Transaction

WINDOW = timedelta(minutes=1)
RATE_EXCEEDED = "Rate exceeded"  # Cognito's throttling message (TooManyRequestsException)


def window_of(now: datetime) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=now.tzinfo)
    return epoch + ((now - epoch) // WINDOW) * WINDOW


def retry_after(now: datetime) -> int:
    """Whole seconds until the current window ends (at least 1): the Retry-After of a refused request."""
    left = window_of(now) + WINDOW - now
    return max(1, int(left.total_seconds() + 0.999))


def _address() -> str:
    return CALLER.get().ip or "-"


class LoginThrottled(TooManyRequestsException):
    """Sign-ins from the address are refused until the window ends (``retry_after`` seconds)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(RATE_EXCEEDED)
        self.retry_after = retry_after


async def count_token_failure(ctx: Context, pool_id: str) -> None:
    """One more failed token request from the caller's address, in a transaction of its own (the failed
    request's has rolled back). Raises ``rules.Throttled`` when the address is past the limit."""
    limit = ctx.settings.token_failures_per_minute
    if not limit:
        return
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        count = await tx.counters.hit(f"oauth-token-fail:{pool_id}:{_address()}", window_of(now),
                                      expires_at=now + 2 * WINDOW)
    if count > limit:
        raise rules.Throttled(RATE_EXCEEDED, retry_after=retry_after(now))


async def refuse_throttled_login(ctx: Context, tx: Transaction, pool_id: str) -> None:
    """Raises LoginThrottled when the caller's address has had too many failed sign-ins in this window."""
    limit = ctx.settings.login_failures_per_minute
    if not limit:
        return
    now = ctx.clock.now()
    if await tx.counters.peek(f"oauth-login-fail:{pool_id}:{_address()}", window_of(now)) >= limit:
        raise LoginThrottled(retry_after(now))


async def count_login_failure(ctx: Context, pool_id: str) -> None:
    """One more failed sign-in from the caller's address, in a transaction of its own."""
    if not ctx.settings.login_failures_per_minute:
        return
    now = ctx.clock.now()
    async with ctx.store.transaction() as tx:
        await tx.counters.hit(f"oauth-login-fail:{pool_id}:{_address()}", window_of(now),
                              expires_at=now + 2 * WINDOW)

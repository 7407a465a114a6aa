"""The state of a CUSTOM_AUTH sign-in between two requests, and what DefineAuthChallenge's answer means.

A custom sign-in is a list of challenges already answered — DefineAuthChallenge's ``request.session`` —
plus, while a CUSTOM_CHALLENGE waits for its answer, the private parameters and metadata
CreateAuthChallenge gave it. All of it travels in the sealed ``Session`` string (``domain.tokens``), so any
server process can take the next step; nothing about a sign-in in progress is stored, except that a spent
Session is remembered (operations.custom_auth).

Sources: [C] Developer Guide (define/create/verify auth challenge pages, "Custom authentication flow and
challenges"), API reference; [O] observed; [U] unconfirmed choice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from userpools.errors import InvalidLambdaResponseException
from userpools.triggers.answers import UNRECOGNIZABLE
from userpools.triggers.events import challenge_result

FLOW = "CUSTOM_AUTH"
SRP_A = "SRP_A"
PASSWORD_VERIFIER = "PASSWORD_VERIFIER"
CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"
NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"


@dataclass(frozen=True)
class Progress:
    """One custom sign-in so far. ``username`` is the internal username, or, for a name no user has (only
    carried on when the client hides user existence), the submitted name with ``unknown`` set."""

    username: str
    unknown: bool = False
    history: tuple[tuple[str, bool, str | None], ...] = ()
    private: Mapping[str, str] = field(default_factory=dict)
    metadata: str | None = None
    srp_block: str | None = None  # the digest of the SECRET_BLOCK a PASSWORD_VERIFIER must answer with

    def then(self, name: str, result: bool, metadata: str | None = None) -> Progress:
        return Progress(self.username, self.unknown, (*self.history, (name, result, metadata)))

    def session_list(self) -> list[dict[str, Any]]:
        """``request.session`` as DefineAuthChallenge and CreateAuthChallenge receive it."""
        return [challenge_result(name, result, metadata) for name, result, metadata in self.history]

    def waiting(self, *, private: Mapping[str, str] | None = None, metadata: str | None = None,
                srp_block: str | None = None) -> Progress:
        return Progress(self.username, self.unknown, self.history, dict(private or {}), metadata, srp_block)

    def to_data(self) -> dict[str, Any]:
        """The Session's ``data`` (kept short: a Session holds at most 4096 characters)."""
        data: dict[str, Any] = {"flow": FLOW, "h": [list(item) for item in self.history]}
        if self.unknown:
            data["u"] = True
        if self.private:
            data["p"] = dict(self.private)
        if self.metadata is not None:
            data["m"] = self.metadata
        if self.srp_block is not None:
            data["s"] = self.srp_block
        return data

    @classmethod
    def from_data(cls, username: str, data: Mapping[str, Any]) -> Progress | None:
        """The progress a Session carries, or None when it is not a custom sign-in's."""
        if data.get("flow") != FLOW:
            return None
        try:
            history = tuple((str(n), bool(r), None if m is None else str(m)) for n, r, m in data.get("h") or [])
            private = {str(k): str(v) for k, v in (data.get("p") or {}).items()}
        except (TypeError, ValueError, AttributeError):
            return None
        metadata = data.get("m")
        block = data.get("s")
        return cls(username, bool(data.get("u")), history, private,
                   None if metadata is None else str(metadata), None if block is None else str(block))


Step = Literal["fail", "tokens", "challenge"]


@dataclass(frozen=True)
class Decision:
    step: Step
    challenge: str | None = None


def decide(response: Mapping[str, Any] | None, history: Sequence[tuple[str, bool, str | None]]) -> Decision:
    """What DefineAuthChallenge's ``response`` asks for. failAuthentication wins over issueTokens, which wins
    over a challenge name [U]. The challenges a custom sign-in can present here: CUSTOM_CHALLENGE, and
    PASSWORD_VERIFIER right after SRP_A [C]. Anything else — no decision at all, or a challenge this server
    cannot present there — is an answer Cognito could not use: InvalidLambdaResponseException [U]."""
    response = response or {}
    if response.get("failAuthentication"):
        return Decision("fail")
    if response.get("issueTokens"):
        return Decision("tokens")
    name = response.get("challengeName")
    if name == CUSTOM_CHALLENGE:
        return Decision("challenge", name)
    if name == PASSWORD_VERIFIER and history and history[-1][0] == SRP_A:
        return Decision("challenge", name)
    raise InvalidLambdaResponseException(UNRECOGNIZABLE)

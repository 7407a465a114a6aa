"""Trigger functions that the sign-in wire tests configure as callables (``callable =
"trigger_functions:<name>"``), so they run inside the server process, written as Lambda handlers are.

Each one appends what it received (and what it answered) as one JSON line to the file named by the
``TRIGGER_EVENTS_FILE`` environment variable, so a test can assert the exact event. The magic-code
functions are also registered, unchanged, on the test's Lambda Invoke API server. This module holds no
tests and imports nothing from them.
"""

from __future__ import annotations

import json
import os
import secrets
from typing import Any

MAX_TRIES = 3


def _record(event: dict[str, Any]) -> None:
    path = os.environ.get("TRIGGER_EVENTS_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(event) + "\n")


def record(event: dict[str, Any]) -> dict[str, Any]:
    """Answers with the event unchanged (the trigger's defaults)."""
    _record(event)
    return event


def refuse(event: dict[str, Any]) -> dict[str, Any]:
    _record(event)
    raise ValueError("Sign-in is closed for maintenance")


def define_magic(event: dict[str, Any]) -> dict[str, Any]:
    """DefineAuthChallenge for a one-time code: SRP first if the client started with it, then a
    CUSTOM_CHALLENGE, tokens once one is answered right, failure after three wrong answers."""
    session = event["request"]["session"]
    response = event["response"]
    last = session[-1] if session else None
    wrong = sum(1 for item in session if item["challengeName"] == "CUSTOM_CHALLENGE" and not item["challengeResult"])
    if last and last["challengeName"] == "SRP_A" and len(session) == 1:
        response.update(challengeName="PASSWORD_VERIFIER", issueTokens=False, failAuthentication=False)
    elif last and last["challengeName"] == "CUSTOM_CHALLENGE" and last["challengeResult"] is True:
        response.update(issueTokens=True, failAuthentication=False)
    elif wrong >= MAX_TRIES:
        response.update(issueTokens=False, failAuthentication=True)
    else:
        response.update(challengeName="CUSTOM_CHALLENGE", issueTokens=False, failAuthentication=False)
    _record(event)
    return event


def create_magic(event: dict[str, Any]) -> dict[str, Any]:
    """CreateAuthChallenge: a fresh six-digit code, kept private; the client only learns where it went."""
    code = f"{secrets.randbelow(10**6):06d}"
    event["response"].update(
        publicChallengeParameters={"delivery": "EMAIL", "attempt": str(len(event["request"]["session"]))},
        privateChallengeParameters={"code": code},
        challengeMetadata="MAGIC_CODE",
    )
    _record(event)
    return event


def verify_magic(event: dict[str, Any]) -> dict[str, Any]:
    request = event["request"]
    event["response"]["answerCorrect"] = request["challengeAnswer"] == request["privateChallengeParameters"]["code"]
    _record(event)
    return event


def code_of(create_event: dict[str, Any]) -> str:
    """The code a create_magic answer holds (for tests reading it from the recorded answer)."""
    return str(create_event["response"]["privateChallengeParameters"]["code"])

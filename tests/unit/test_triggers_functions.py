"""Trigger functions the invoker tests load as callables (``test_triggers_functions:<name>``), written as
their authors would write them for Lambda. This module holds no tests."""

from __future__ import annotations

import asyncio
from typing import Any

CALLS: list[tuple[str, Any]] = []


def auto_confirm(event: dict[str, Any]) -> dict[str, Any]:
    event["response"]["autoConfirmUser"] = True
    return event


async def auto_verify_email(event: dict[str, Any]) -> dict[str, Any]:
    await asyncio.sleep(0)
    event["response"]["autoVerifyEmail"] = True
    return event


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A Lambda handler as AWS's blueprints write it: (event, context)."""
    CALLS.append(("lambda_handler", context))
    return event


def reject(event: dict[str, Any]) -> dict[str, Any]:
    raise ValueError("Email domain not allowed")


def return_nothing(event: dict[str, Any]) -> None:
    CALLS.append(("return_nothing", event))


def return_a_set(event: dict[str, Any]) -> Any:
    return {"response": {1, 2}}


def mutate_and_answer(event: dict[str, Any]) -> dict[str, Any]:
    event["request"]["userAttributes"]["email"] = "changed@example.com"
    return event


async def never_answers(event: dict[str, Any]) -> dict[str, Any]:
    await asyncio.Event().wait()
    return event


class Handlers:
    @staticmethod
    def nested(event: dict[str, Any]) -> dict[str, Any]:
        return event


NOT_CALLABLE = 42

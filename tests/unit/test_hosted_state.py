"""hosted_ui.pages.state_value reads what Starlette's request.state holds, from the dict behind it."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from userpools.hosted_ui.pages import state_value


def _request(**scope: Any) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/login", "headers": [], **scope})


def test_a_value_set_on_request_state_is_read() -> None:
    request = _request()
    request.state.passkey = True
    assert state_value(request, "passkey", False) is True
    assert state_value(request, "idp_buttons", []) == []


def test_a_value_set_in_the_scope_state_is_request_states() -> None:
    request = _request(state={"app": "lifespan"})
    request.scope.setdefault("state", {})["password_form"] = False
    assert request.state.password_form is False and request.state.app == "lifespan"
    assert state_value(request, "password_form", True) is False
    assert state_value(request, "app", None) == "lifespan"


def test_the_default_without_any_state() -> None:
    assert state_value(_request(), "passkey", False) is False

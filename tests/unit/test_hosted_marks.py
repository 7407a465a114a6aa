"""A sign-in page kept with marks for the request's own values (``hosted_ui.views``) is, once filled, the page the
template renders with those values: the same bytes, whatever the values hold."""

from __future__ import annotations

from typing import Any

import pytest

from userpools.hosted_ui.pages import page_for, render_text
from userpools.hosted_ui.views import _filled, _kept, _marked

BASE = "https://auth.example.com"
AWKWARD = 'a"b<c>&d\'e upMark7qCsrf upMark7qAction {{ x }} %41'


def values(**changes: Any) -> dict[str, Any]:
    return {"action": f"{BASE}/login?client_id=c&state=s%26t&redirect_uri=https%3A%2F%2Fapp", "csrf": "tok-en_1",
            "errors": {}, "banner": None, "username": None, "notice": None,
            "links": {"forgot": f"{BASE}/forgotPassword?a=1&b=<2>", "signup": f"{BASE}/signup?a=1"},
            "confirm_link": None, "idp_buttons": [("Google", f"{BASE}/oauth2/authorize?identity_provider=Google&x=1"),
                                                  ("Corp", f"{BASE}/oauth2/authorize?identity_provider=Corp")],
            "password_form": True, "passkey": False} | changes


@pytest.mark.parametrize("own", [
    values(),
    values(username="ada"),
    values(username=AWKWARD, action=f"{BASE}/login?u={AWKWARD}", csrf='x"<y>' * 5),
    values(links={"forgot": AWKWARD}, idp_buttons=[(f"P{i}", f"{BASE}/i{i}?{AWKWARD}") for i in range(12)]),
    values(notice="Your password was changed.", passkey=True, idp_buttons=[]),
])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_filled_kept_page_is_the_rendered_page(own: dict[str, Any], lang: str) -> None:
    page = page_for(lang, BASE)
    rendered, headers = render_text(page, "login.html", **own)
    kept, kept_headers = render_text(page, "login.html", **_marked(own))
    assert _filled(_kept(kept), own) == rendered.encode() and kept_headers == headers

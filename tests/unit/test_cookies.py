"""The domain's cookies and redirects (``oauth.responses``) are what Starlette's ``Response.set_cookie`` and
``RedirectResponse`` write for the same arguments, whatever the value."""

from __future__ import annotations

import pytest
from starlette.responses import Response

from userpools.oauth.responses import set_cookie


@pytest.mark.parametrize("value", ["AbC_-09xyzAbC_-09xyz", "x" * 43, 'with space;"quote"', "é", ""])
@pytest.mark.parametrize("secure", [False, True])
@pytest.mark.parametrize("max_age", [None, 3600])
def test_a_cookie_is_the_header_starlette_writes(value: str, secure: bool, max_age: int | None) -> None:
    ours, starlettes = Response(), Response()
    set_cookie(ours, "XSRF-TOKEN", value, path="/domain/d/", secure=secure, max_age=max_age)
    starlettes.set_cookie("XSRF-TOKEN", value, max_age=max_age, path="/domain/d/", secure=secure, httponly=True,
                          samesite="lax")
    assert ours.raw_headers == starlettes.raw_headers


@pytest.mark.parametrize("location", ["https://app.example.com/cb?code=abc&state=x%20y", "/domain/d/login?a=1",
                                      "https://app.example.com/cb#access_token=t&state=é ü", ""])
def test_a_redirect_is_the_response_starlette_writes(location: str) -> None:
    from starlette.responses import RedirectResponse

    from userpools.oauth.responses import SECURITY_HEADERS, redirect

    ours, starlettes = redirect(location), RedirectResponse(location, status_code=302, headers=SECURITY_HEADERS)
    assert (ours.status_code, ours.raw_headers, ours.body) == (starlettes.status_code, starlettes.raw_headers,
                                                               starlettes.body)

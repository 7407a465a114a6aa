"""CSRF protection of the hosted forms: a double-submit token.

The page's GET sets a random token in an HttpOnly, SameSite=Lax cookie (``XSRF-TOKEN``, Cognito's name [O])
and puts the same token in the form's hidden ``_csrf`` field (Cognito's field name [O]); a POST is accepted only
when the two are equal (constant-time). A cross-site form can neither read the cookie nor set it.
"""

from __future__ import annotations

import hmac

from userpools import ids

COOKIE = "XSRF-TOKEN"
FIELD = "_csrf"


def new_token() -> str:
    return ids.token_urlsafe(32)


def token_for(cookie_value: str | None) -> tuple[str, bool]:
    """The token a page's form carries: the browser's own when it has one; else a new one (True: set it)."""
    if cookie_value and 20 <= len(cookie_value) <= 100:
        return cookie_value, False
    return new_token(), True


def valid(cookie_value: str | None, field_value: str | None) -> bool:
    if not cookie_value or not field_value:
        return False
    return hmac.compare_digest(cookie_value.encode(), field_value.encode())

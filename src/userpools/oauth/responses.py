"""What every answer of a pool's domain carries: the browser-facing security headers, and the redirect.

The OAuth endpoints and the hosted pages (``hosted_ui``, which builds on this package) share them.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.responses import Response

#: Every hosted page and redirect: no framing (clickjacking), no caching (codes, CSRF tokens), no sniffing.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    # form-action is left out on purpose: browsers apply it to the redirect that follows a sign-in, which goes
    # to the client's own callback URL.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


_SECURITY_RAW = tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items())
#: what Starlette's RedirectResponse leaves unquoted in a location
_LOCATION_SAFE = ":/%#?=@[]!$&'()*+,;"


def redirect(location: str) -> Response:
    """``RedirectResponse(location, 302, headers=SECURITY_HEADERS)``: the same headers, in the same order, from
    the security headers encoded once."""
    response = Response(status_code=302)
    response.raw_headers = [*_SECURITY_RAW, (b"content-length", b"0"),
                            (b"location", quote(location, safe=_LOCATION_SAFE).encode("latin-1"))]
    return response


#: the characters of this server's cookie values (``secrets.token_urlsafe``), which a cookie carries unquoted
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_-]+")


def set_cookie(response: Response, name: str, value: str, *, path: str, secure: bool,
               max_age: int | None = None) -> None:
    """``response.set_cookie(name, value, max_age=, path=, secure=, httponly=True, samesite="lax")``: the same
    header, written directly for a value of URL-safe characters (SimpleCookie's work, which Starlette's goes
    through, was about 15 µs a cookie); any other value through Starlette's."""
    if not _PLAIN_VALUE.fullmatch(value):
        response.set_cookie(name, value, max_age=max_age, path=path, secure=secure, httponly=True, samesite="lax")
        return
    header = f"{name}={value}; HttpOnly"
    if max_age is not None:
        header += f"; Max-Age={max_age}"
    header += f"; Path={path}; SameSite=lax"
    if secure:
        header += "; Secure"
    response.raw_headers.append((b"set-cookie", header.encode("latin-1")))

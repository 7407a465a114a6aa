"""What every answer of a pool's domain carries: the browser-facing security headers, and the redirect.

The OAuth endpoints and the hosted pages (``hosted_ui``, which builds on this package) share them.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

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


def redirect(location: str) -> Response:
    return RedirectResponse(location, status_code=302, headers=SECURITY_HEADERS)

"""Where a pool's domain is served, with no DNS needed.

- On the server's own address, under a path: ``<public URL>/domain/<domain>/oauth2/authorize`` (the domain as
  given to CreateUserPoolDomain: the prefix, or the custom name). ``/domain/`` collides with no other route:
  the API is ``POST /``, pools' own documents are ``/<poolId>/.well-known/…`` (a pool id has an underscore,
  ``domain`` has none), the server's own are ``/_userpools/…``.
- At the root, when the request's Host is Cognito's name for the domain, ``<prefix>.auth.<region>.amazoncognito.com``,
  or a custom domain's name: the exact URLs of Cognito (``https://<domain>/oauth2/authorize``). The ASGI app
  rewrites such a request's path to the first form before routing (``rewrite``), marking the scope so the
  URLs the endpoints hand out keep the Host's form.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.types import Scope

from userpools.domain.records import PoolRecord
from userpools.operations.context import Context
from userpools.operations.oauth import decisive, pool_of_domain

PREFIX = "/domain"
HOST_KEY = "userpools.domain_host"
SESSION_COOKIE = "cognito"  # the managed-login session cookie's name [O]
#: The paths a domain serves at its root (Host form); everything else stays the server's own.
DOMAIN_PATHS = ("/oauth2/", "/saml2/", "/login", "/logout", "/error", "/signup", "/confirm", "/resendcode", "/forgotPassword",
                "/.well-known/openid-configuration", "/.well-known/jwks.json")


def domain_of_host(host: str, own_hosts: frozenset[str]) -> str | None:
    """The domain key a Host names, or None for the server's own names (loopback, IPs, the public URL's)."""
    name = host.rsplit(":", 1)[0].lower().strip("[]") if not host.startswith("[") else host[1:].split("]")[0]
    if not name or name in own_hosts or name == "localhost":
        return None
    try:
        ipaddress.ip_address(name)
        return None
    except ValueError:
        pass
    labels = name.split(".")
    if len(labels) == 5 and labels[1] == "auth" and name.endswith(".amazoncognito.com"):
        return labels[0]
    return name if "." in name else None


def rewrite(scope: Scope, own_hosts: frozenset[str]) -> None:
    """A request for a domain's root path under the domain's own Host → ``/domain/<domain>/…`` (in place)."""
    path = scope["path"]
    if not path.startswith(DOMAIN_PATHS) or path.startswith(PREFIX + "/"):
        return
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
    domain = domain_of_host(host, own_hosts)
    if domain is None:
        return
    scope[HOST_KEY] = host
    scope["path"] = f"{PREFIX}/{domain}{path}"
    scope["raw_path"] = scope["path"].encode()


def memo_key(kind: str, request: Request, params: dict[str, str]) -> tuple[Any, ...]:
    """What a domain request's checks are kept under in the configuration's memo: ``kind``, the domain as
    addressed (its name, the Host it came by, the scheme) and the parameters the authorization request's checks
    decide by (``oauth.decisive``: not state, nonce or code_challenge, which each sign-in draws anew)."""
    scope = request.scope
    return (kind, request.path_params["domain"], scope.get(HOST_KEY), scope["scheme"], decisive(params))


@dataclass(frozen=True)
class Site:
    """One request's domain: its pool, the URL its endpoints answer at, and the session cookie's scope."""

    pool: PoolRecord
    domain: str
    base: str
    cookie_path: str
    secure: bool

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


async def site_of(request: Request, ctx: Context) -> Site | None:
    domain = request.path_params["domain"]
    pool = await pool_of_domain(ctx, domain)
    if pool is None:
        return None
    host = request.scope.get(HOST_KEY)
    if host:
        base, cookie_path = f"{request.url.scheme}://{host}", "/"
    else:
        base = f"{ctx.settings.public_url}{PREFIX}/{domain}"
        cookie_path = f"{PREFIX}/{domain}/"
    return Site(pool, domain, base, cookie_path, secure=base.startswith("https://"))


def base_url(public_url: str, domain: str) -> str:
    """The domain's endpoints on the server's own address (discovery from the pool's own document)."""
    return f"{public_url}{PREFIX}/{domain}"

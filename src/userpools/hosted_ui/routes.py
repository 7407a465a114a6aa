"""The routes of a pool's domain, OAuth endpoints and hosted pages together, mounted by app.py under
``/domain/{domain}`` (see ``oauth.site``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from userpools.hosted_ui.accounts import AccountPages
from userpools.hosted_ui.views import HostedPages
from userpools.oauth.endpoints import Endpoints, GetContext
from userpools.oauth.site import PREFIX
from userpools.operations import hosted

#: A handler of a domain's request, as a Route calls it.
Handler = Callable[[Request], Awaitable[Response]]


def domain_mount(context: GetContext, endpoints: Endpoints | None = None) -> Mount:
    return domain_routes(context, endpoints)[0]


def domain_routes(context: GetContext, endpoints: Endpoints | None = None
                  ) -> tuple[Mount, dict[tuple[str, str], Handler]]:
    """The domain's Mount, and the handlers of a hosted sign-in's own requests by (method, path under the
    domain): app.py hands a browser's such request (no Origin header) straight to its handler."""
    endpoints, pages, accounts = endpoints or Endpoints(context), HostedPages(context), AccountPages(context)
    sign_in = {("GET", "/oauth2/authorize"): endpoints.authorize, ("GET", "/login"): pages.login,
               ("POST", "/login"): pages.login}
    return _mount(endpoints, pages, accounts), sign_in


def _mount(endpoints: Endpoints, pages: HostedPages, accounts: AccountPages) -> Mount:
    # A request is matched against the routes in turn: the sign-in's own first (every hosted sign-in is an
    # authorize, a GET and a POST of /login, and a token request), the rest after.
    return Mount(f"{PREFIX}/{{domain}}", routes=[
        Route("/oauth2/authorize", endpoints.authorize, methods=["GET"]),
        Route("/login", pages.login, methods=["GET", "POST"]),
        Route("/oauth2/token", endpoints.token, methods=["POST"]),
        Route("/oauth2/idpresponse", endpoints.idpresponse, methods=["GET", "POST"]),
        Route("/saml2/idpresponse", endpoints.saml_response, methods=["POST"]),
        Route("/saml2/logout", endpoints.saml_logout, methods=["GET"]),
        # Cognito's path is /oauth2/userInfo [C]; OIDC libraries read it from discovery, some lower-case it
        Route("/oauth2/userInfo", endpoints.userinfo, methods=["GET", "POST"]),
        Route("/oauth2/userinfo", endpoints.userinfo, methods=["GET", "POST"]),
        Route("/oauth2/revoke", endpoints.revoke, methods=["POST"]),
        Route("/oauth2/register", endpoints.register, methods=["POST"]),
        Route("/logout", endpoints.logout, methods=["GET"]),
        Route("/error", pages.error, methods=["GET"]),
        Route(hosted.ASSETS_PATH + "/{client_id}/{name}", pages.asset, methods=["GET"]),
        Route("/signup", accounts.signup, methods=["GET", "POST"]),
        Route("/confirm", accounts.confirm, methods=["GET", "POST"]),
        Route("/resendcode", accounts.resend_code, methods=["GET", "POST"]),
        Route("/forgotPassword", accounts.forgot_password, methods=["GET", "POST"]),
        Route("/confirmForgotPassword", accounts.confirm_forgot_password, methods=["GET", "POST"]),
        Route("/.well-known/openid-configuration", endpoints.openid_configuration, methods=["GET"]),
        Route("/.well-known/jwks.json", endpoints.jwks, methods=["GET"]),
    ])

"""A pool domain's OAuth 2.0 / OpenID Connect endpoints, as Starlette handlers (HTTP in and out only):
``site`` finds the domain of a request (``/domain/<domain>/…`` on the server's own address, or the Host
``<prefix>.auth.<region>.amazoncognito.com`` / a custom domain at the root), ``endpoints`` serves
/oauth2/authorize, /oauth2/token, /oauth2/userInfo, /oauth2/revoke, /logout and the domain's discovery
document; ``routes`` lists them with the hosted pages. The rules live in ``operations.oauth`` and
``operations.oauth_tokens``.
"""

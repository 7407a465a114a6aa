"""A pool's OAuth configuration documents: domains, resource servers, classic hosted-UI customizations.

They are kept by one store port (``tx.resources``) as ``PoolResource`` records: a ``kind``, a ``key`` unique
within the kind, the pool they belong to (deleting the pool deletes them), and a JSON ``document`` in
Cognito's own member names, so the operations show it as stored and the OAuth endpoints read it directly.

Kinds and keys (the helpers below build them; nothing else should):

- ``domain``: key = the ``Domain`` string as given to CreateUserPoolDomain, the prefix alone for a prefix
  domain (``myapp``: served as ``myapp.auth.<region>.amazoncognito.com``), the full name for a custom domain
  (``auth.example.com``). The key is the whole namespace: a domain belongs to one pool at most (a prefix has
  no dot, a custom domain has one, so the two never collide). Document: DomainDescriptionType as
  DescribeUserPoolDomain shows it (see ``domain.domains``).
- ``resource_server``: key = ``<pool id>/<Identifier>``. Document: ResourceServerType (UserPoolId, Identifier,
  Name, Scopes [{ScopeName, ScopeDescription}]).
- ``ui_customization``: key = ``<pool id>/<client id or ALL>``. Document: see ``domain.ui_customization``.
"""

from __future__ import annotations

from typing import Final

from userpools.domain.records import PoolResource

__all__ = ["PoolResource"]

DOMAIN: Final = "domain"
RESOURCE_SERVER: Final = "resource_server"
UI_CUSTOMIZATION: Final = "ui_customization"
KINDS: Final = (DOMAIN, RESOURCE_SERVER, UI_CUSTOMIZATION)


def domain_key(domain: str) -> str:
    return domain


def resource_server_key(pool_id: str, identifier: str) -> str:
    return f"{pool_id}/{identifier}"


def ui_customization_key(pool_id: str, client_id: str | None) -> str:
    return f"{pool_id}/{client_id or 'ALL'}"

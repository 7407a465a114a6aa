"""Finding an app client of a pool, for every operation that takes a ClientId beside a UserPoolId.

Its own module so that the operations on what a client owns (terms, branding, UI customization, CIMD) and
``operations.clients``, which deletes those with the client, import it without importing each other.
"""

from __future__ import annotations

from userpools.domain.records import ClientRecord
from userpools.errors import ResourceNotFoundException
from userpools.storage.ports import Transaction


def client_not_found(client_id: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"User pool client {client_id} does not exist.")


async def get_client_or_raise(
    tx: Transaction, pool_id: str, client_id: str, *, for_update: bool = False
) -> ClientRecord:
    client = await tx.clients.get(client_id, for_update=for_update)
    if client is None or client.pool_id != pool_id:
        raise client_not_found(client_id)
    return client

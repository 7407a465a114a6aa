"""The operations table: every implemented AWS operation, by name, to its handler.

Explicit on purpose (no reflection): a test compares it with botocore's 153 operations and writes the list
to docs/compatibility.md. An operation of the model that is not here answers NotImplementedException.
"""

from __future__ import annotations

from collections.abc import Mapping

from userpools.operations import clients, pools
from userpools.protocol.dispatch import Handler

OPERATIONS: Mapping[str, Handler] = {
    # user pools
    "CreateUserPool": pools.create_user_pool,
    "DescribeUserPool": pools.describe_user_pool,
    "UpdateUserPool": pools.update_user_pool,
    "DeleteUserPool": pools.delete_user_pool,
    "ListUserPools": pools.list_user_pools,
    "AddCustomAttributes": pools.add_custom_attributes,
    # app clients
    "CreateUserPoolClient": clients.create_user_pool_client,
    "DescribeUserPoolClient": clients.describe_user_pool_client,
    "UpdateUserPoolClient": clients.update_user_pool_client,
    "DeleteUserPoolClient": clients.delete_user_pool_client,
    "ListUserPoolClients": clients.list_user_pool_clients,
}

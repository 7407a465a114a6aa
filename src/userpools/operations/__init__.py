"""The operations table: every implemented AWS operation, by name, to its handler.

Explicit on purpose (no reflection): a test compares it with botocore's 153 operations and writes the list
to docs/compatibility.md. An operation of the model that is not here answers NotImplementedException.
"""

from __future__ import annotations

from collections.abc import Mapping

from userpools.operations import (
    auth,
    auth_events,
    clients,
    domains,
    pools,
    recovery,
    resource_servers,
    self_service,
    signup,
    ui_customization,
    user_import,
    users,
)
from userpools.operations.context import Handler

OPERATIONS: Mapping[str, Handler] = {
    # user import jobs
    "GetCSVHeader": user_import.get_csv_header,
    "CreateUserImportJob": user_import.create_user_import_job,
    "StartUserImportJob": user_import.start_user_import_job,
    "StopUserImportJob": user_import.stop_user_import_job,
    "DescribeUserImportJob": user_import.describe_user_import_job,
    "ListUserImportJobs": user_import.list_user_import_jobs,
    # user pools
    "CreateUserPool": pools.create_user_pool,
    "DescribeUserPool": pools.describe_user_pool,
    "UpdateUserPool": pools.update_user_pool,
    "DeleteUserPool": pools.delete_user_pool,
    "ListUserPools": pools.list_user_pools,
    "AddCustomAttributes": pools.add_custom_attributes,
    # domains
    "CreateUserPoolDomain": domains.create_user_pool_domain,
    "DescribeUserPoolDomain": domains.describe_user_pool_domain,
    "UpdateUserPoolDomain": domains.update_user_pool_domain,
    "DeleteUserPoolDomain": domains.delete_user_pool_domain,
    # resource servers
    "CreateResourceServer": resource_servers.create_resource_server,
    "DescribeResourceServer": resource_servers.describe_resource_server,
    "UpdateResourceServer": resource_servers.update_resource_server,
    "DeleteResourceServer": resource_servers.delete_resource_server,
    "ListResourceServers": resource_servers.list_resource_servers,
    # the classic hosted UI's branding
    "SetUICustomization": ui_customization.set_ui_customization,
    "GetUICustomization": ui_customization.get_ui_customization,
    # app clients
    "CreateUserPoolClient": clients.create_user_pool_client,
    "DescribeUserPoolClient": clients.describe_user_pool_client,
    "UpdateUserPoolClient": clients.update_user_pool_client,
    "DeleteUserPoolClient": clients.delete_user_pool_client,
    "ListUserPoolClients": clients.list_user_pool_clients,
    # users, administered
    "AdminCreateUser": users.admin_create_user,
    "AdminGetUser": users.admin_get_user,
    "AdminDeleteUser": users.admin_delete_user,
    "AdminSetUserPassword": users.admin_set_user_password,
    "AdminUpdateUserAttributes": users.admin_update_user_attributes,
    "AdminDeleteUserAttributes": users.admin_delete_user_attributes,
    "AdminDisableUser": users.admin_disable_user,
    "AdminEnableUser": users.admin_enable_user,
    "AdminConfirmSignUp": users.admin_confirm_sign_up,
    "AdminUserGlobalSignOut": users.admin_user_global_sign_out,
    "ListUsers": users.list_users,
    # users, self-service with an access token
    "GetUser": self_service.get_user,
    "UpdateUserAttributes": self_service.update_user_attributes,
    "DeleteUserAttributes": self_service.delete_user_attributes,
    "DeleteUser": self_service.delete_user,
    "ChangePassword": self_service.change_password,
    "GetUserAttributeVerificationCode": self_service.get_user_attribute_verification_code,
    "VerifyUserAttribute": self_service.verify_user_attribute,
    "GlobalSignOut": self_service.global_sign_out,
    "RevokeToken": self_service.revoke_token,
    # sign-up
    "SignUp": signup.sign_up,
    "ConfirmSignUp": signup.confirm_sign_up,
    "ResendConfirmationCode": signup.resend_confirmation_code,
    # sign-in
    "InitiateAuth": auth.initiate_auth,
    "AdminInitiateAuth": auth.admin_initiate_auth,
    "RespondToAuthChallenge": auth.respond_to_auth_challenge,
    "AdminRespondToAuthChallenge": auth.admin_respond_to_auth_challenge,
    "GetTokensFromRefreshToken": auth.get_tokens_from_refresh_token,
    # account recovery
    "ForgotPassword": recovery.forgot_password,
    "ConfirmForgotPassword": recovery.confirm_forgot_password,
    "AdminResetUserPassword": recovery.admin_reset_user_password,
    "AdminListUserAuthEvents": auth_events.list_events,
}

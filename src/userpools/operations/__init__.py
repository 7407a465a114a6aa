"""The operations table: every implemented AWS operation, by name, to its handler.

Explicit on purpose (no reflection): a test compares it with botocore's 153 operations and writes the list
to docs/compatibility.md. An operation of the model that is not here answers NotImplementedException.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from userpools.operations import (
    auth,
    auth_events,
    branding,
    cimd,
    client_secrets,
    client_tokens,
    clients,
    devices,
    domains,
    groups,
    identity_providers,
    log_delivery,
    mfa,
    passkeys,
    pools,
    provisioned,
    recovery,
    recovery_points,
    replicas,
    resource_servers,
    risk,
    self_service,
    sessions,
    signup,
    tags,
    terms,
    ui_customization,
    user_import,
    users,
)
from userpools.operations.common import held_error
from userpools.operations.context import Context, Handler
from userpools.operations.replica_guard import RUNNING
from userpools.storage.ports import WritesHeld

_HANDLERS: Mapping[str, Handler] = {
    # multi-Region replication
    "CreateUserPoolReplica": replicas.create_user_pool_replica,
    "UpdateUserPoolReplica": replicas.update_user_pool_replica,
    "DeleteUserPoolReplica": replicas.delete_user_pool_replica,
    "ListUserPoolReplicas": replicas.list_user_pool_replicas,
    # federation
    "CreateIdentityProvider": identity_providers.create_identity_provider,
    "DescribeIdentityProvider": identity_providers.describe_identity_provider,
    "UpdateIdentityProvider": identity_providers.update_identity_provider,
    "DeleteIdentityProvider": identity_providers.delete_identity_provider,
    "ListIdentityProviders": identity_providers.list_identity_providers,
    "GetIdentityProviderByIdentifier": identity_providers.get_identity_provider_by_identifier,
    "AdminLinkProviderForUser": identity_providers.admin_link_provider_for_user,
    "AdminDisableProviderForUser": identity_providers.admin_disable_provider_for_user,
    "GetSigningCertificate": identity_providers.get_signing_certificate,
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
    # tags
    "TagResource": tags.tag_resource,
    "UntagResource": tags.untag_resource,
    "ListTagsForResource": tags.list_tags_for_resource,
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
    # terms documents
    "CreateTerms": terms.create_terms,
    "DescribeTerms": terms.describe_terms,
    "DescribeTermsByClient": terms.describe_terms_by_client,
    "UpdateTerms": terms.update_terms,
    "DeleteTerms": terms.delete_terms,
    "ListTerms": terms.list_terms,
    # managed login branding
    "CreateManagedLoginBranding": branding.create_managed_login_branding,
    "DescribeManagedLoginBranding": branding.describe_managed_login_branding,
    "DescribeManagedLoginBrandingByClient": branding.describe_managed_login_branding_by_client,
    "UpdateManagedLoginBranding": branding.update_managed_login_branding,
    "DeleteManagedLoginBranding": branding.delete_managed_login_branding,
    # client ID metadata document policies
    "CreateCIMDPolicy": cimd.create_cimd_policy,
    "DescribeCIMDPolicy": cimd.describe_cimd_policy,
    "UpdateCIMDPolicy": cimd.update_cimd_policy,
    "DeleteCIMDPolicy": cimd.delete_cimd_policy,
    "ListCIMDPolicies": cimd.list_cimd_policies,
    "ListClientMetadataURLs": cimd.list_client_metadata_urls,
    "UpdateClientMetadataURLState": cimd.update_client_metadata_url_state,
    # app clients
    "CreateUserPoolClient": clients.create_user_pool_client,
    "DescribeUserPoolClient": clients.describe_user_pool_client,
    "UpdateUserPoolClient": clients.update_user_pool_client,
    "DeleteUserPoolClient": clients.delete_user_pool_client,
    "ListUserPoolClients": clients.list_user_pool_clients,
    "AddUserPoolClientSecret": client_secrets.add_user_pool_client_secret,
    "DeleteUserPoolClientSecret": client_secrets.delete_user_pool_client_secret,
    "ListUserPoolClientSecrets": client_secrets.list_user_pool_client_secrets,
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
    # groups
    "CreateGroup": groups.create_group,
    "GetGroup": groups.get_group,
    "UpdateGroup": groups.update_group,
    "DeleteGroup": groups.delete_group,
    "ListGroups": groups.list_groups,
    "ListUsersInGroup": groups.list_users_in_group,
    "AdminAddUserToGroup": groups.admin_add_user_to_group,
    "AdminRemoveUserFromGroup": groups.admin_remove_user_from_group,
    "AdminListGroupsForUser": groups.admin_list_groups_for_user,
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
    # tokens for app clients: machine to machine, and token exchange
    "GetClientToken": client_tokens.get_client_token,
    "GetDerivedToken": client_tokens.get_derived_token,
    # account recovery
    "ForgotPassword": recovery.forgot_password,
    "ConfirmForgotPassword": recovery.confirm_forgot_password,
    "AdminResetUserPassword": recovery.admin_reset_user_password,
    "AdminListUserAuthEvents": auth_events.list_events,
    # threat protection
    "SetRiskConfiguration": risk.set_risk_configuration,
    "DescribeRiskConfiguration": risk.describe_risk_configuration,
    "AdminUpdateAuthEventFeedback": risk.admin_update_auth_event_feedback,
    "UpdateAuthEventFeedback": risk.update_auth_event_feedback,
    # log delivery
    "SetLogDeliveryConfiguration": log_delivery.set_log_delivery_configuration,
    "GetLogDeliveryConfiguration": log_delivery.get_log_delivery_configuration,
    "GetProvisionedLimit": provisioned.get_provisioned_limit,
    "UpdateProvisionedLimit": provisioned.update_provisioned_limit,
    "InitiatePointInTimeRecovery": recovery_points.initiate_point_in_time_recovery,
    "StartPointInTimeRecovery": recovery_points.start_point_in_time_recovery,
    "CancelPointInTimeRecovery": recovery_points.cancel_point_in_time_recovery,
    "DescribePointInTimeRecovery": recovery_points.describe_point_in_time_recovery,
    "ListPointInTimeRecoveries": recovery_points.list_point_in_time_recoveries,
    # multi-factor authentication
    "SetUserPoolMfaConfig": mfa.set_user_pool_mfa_config,
    "GetUserPoolMfaConfig": mfa.get_user_pool_mfa_config,
    "AssociateSoftwareToken": mfa.associate_software_token,
    "VerifySoftwareToken": mfa.verify_software_token,
    "AdminDeleteSoftwareToken": mfa.admin_delete_software_token,
    "SetUserMFAPreference": mfa.set_user_mfa_preference,
    "AdminSetUserMFAPreference": mfa.admin_set_user_mfa_preference,
    "SetUserSettings": mfa.set_user_settings,
    "AdminSetUserSettings": mfa.admin_set_user_settings,
    "StartWebAuthnRegistration": passkeys.start_web_authn_registration,
    "CompleteWebAuthnRegistration": passkeys.complete_web_authn_registration,
    "ListWebAuthnCredentials": passkeys.list_web_authn_credentials,
    "DeleteWebAuthnCredential": passkeys.delete_web_authn_credential,
    "GetUserAuthFactors": passkeys.get_user_auth_factors,
    "AdminGetUserAuthFactors": passkeys.admin_get_user_auth_factors,
    # remembered devices
    "ConfirmDevice": devices.confirm_device,
    "GetDevice": devices.get_device,
    "ListDevices": devices.list_devices,
    "ForgetDevice": devices.forget_device,
    "UpdateDeviceStatus": devices.update_device_status,
    "AdminGetDevice": devices.admin_get_device,
    "AdminListDevices": devices.admin_list_devices,
    "AdminForgetDevice": devices.admin_forget_device,
    "AdminUpdateDeviceStatus": devices.admin_update_device_status,
    # user sessions
    "SetUserPoolSessionConfiguration": sessions.set_user_pool_session_configuration,
    "GetUserPoolSessionConfiguration": sessions.get_user_pool_session_configuration,
    "SetUserPoolClientSessionConfiguration": sessions.set_user_pool_client_session_configuration,
    "GetUserPoolClientSessionConfiguration": sessions.get_user_pool_client_session_configuration,
    "ListUserSessions": sessions.list_user_sessions,
    "AdminListUserSessions": sessions.admin_list_user_sessions,
    "RevokeUserSession": sessions.revoke_user_session,
    "AdminRevokeUserSession": sessions.admin_revoke_user_session,
}


def _naming(name: str, handler: Handler) -> Handler:
    """The handler with the running operation and the server's Region named in ``replica_guard.RUNNING``, which
    the pool loads check (a secondary Region serves a pool read and sign-in only), and the store's
    ``WritesHeld`` answered as Cognito's error (``common.held_error``)."""

    async def run(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
        token = RUNNING.set((name, ctx.settings.region))
        try:
            return await handler(ctx, req)
        except WritesHeld as held:
            raise held_error(held) from None
        finally:
            RUNNING.reset(token)

    run.__name__ = getattr(handler, "__name__", name)
    run.__doc__ = handler.__doc__
    return run


OPERATIONS: Mapping[str, Handler] = {name: _naming(name, handler) for name, handler in _HANDLERS.items()}

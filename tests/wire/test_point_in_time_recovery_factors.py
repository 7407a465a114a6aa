"""Point-in-time recovery of what a user signs in with, through boto3 on both backends: MFA settings (the
preferred factor, a TOTP secret registered with pyotp's codes), group memberships and passkeys (made by
Chromium's virtual authenticator) changed after a point, previewed per entity, and recovered to it; the pool
compared with a snapshot taken at the point, and the restored TOTP secret and passkey used to sign in. Time
moves on the server's development clock."""

from __future__ import annotations

import json
from typing import Any

import pytest
from accounts import PASSWORD, make_client, make_user
from botocore.exceptions import ClientError
from mfa_support import register_totp, server_clock
from test_passkeys import Authenticator, access_token, authenticator, chromium, register
from test_user_auth import FLOWS, passwordless_pool, respond, user_auth

__all__ = ["authenticator", "chromium"]  # the fixtures, used by name


def _snapshot(cognito: Any, pool_id: str, tokens: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for user in cognito.list_users(UserPoolId=pool_id)["Users"]:
        name = user["Username"]
        got = cognito.admin_get_user(UserPoolId=pool_id, Username=name)
        got.pop("ResponseMetadata")
        groups = sorted(g["GroupName"] for g in
                        cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username=name)["Groups"])
        passkeys = cognito.list_web_authn_credentials(AccessToken=tokens[name])["Credentials"] if name in tokens \
            else None
        out[name] = (got, groups, passkeys)
    return out


def test_recovery_restores_mfa_settings_memberships_and_passkeys(cognito: Any, server: Any,
                                                                  authenticator: Authenticator) -> None:
    with server_clock(server) as clock:
        pool_id = passwordless_pool(cognito, ["PASSWORD", "WEB_AUTHN"])["Id"]
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool_id, MfaConfiguration="OPTIONAL", SoftwareTokenMfaConfiguration={"Enabled": True},
            WebAuthnConfiguration={"RelyingPartyId": "localhost", "UserVerification": "required"},
        )
        client = make_client(cognito, pool_id, ExplicitAuthFlows=FLOWS)["ClientId"]
        for group in ("staff", "admins"):
            cognito.create_group(UserPoolId=pool_id, GroupName=group)
        tokens = {}
        for name in ("alice", "bob", "carol"):
            make_user(cognito, pool_id, name)
            tokens[name] = access_token(cognito, client, name)  # good for the hour the test lasts

        # Before the point: alice has TOTP, preferred, a passkey and the staff group; bob a passkey.
        alice_secret = register_totp(cognito, clock, tokens["alice"])
        cognito.set_user_mfa_preference(AccessToken=tokens["alice"],
                                        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
        alice_key = register(cognito, authenticator, tokens["alice"])
        bob_key = register(cognito, authenticator, tokens["bob"])
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="alice", GroupName="staff")
        clock.move(600)
        point = clock.now
        before = _snapshot(cognito, pool_id, tokens)
        clock.move(60)

        # After it: alice's MFA off, groups swapped, passkey replaced; bob's passkey deleted; carol sets up
        # TOTP; dave arrives, in staff.
        cognito.admin_set_user_mfa_preference(UserPoolId=pool_id, Username="alice",
                                              SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False})
        cognito.admin_remove_user_from_group(UserPoolId=pool_id, Username="alice", GroupName="staff")
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="alice", GroupName="admins")
        cognito.delete_web_authn_credential(AccessToken=tokens["alice"], CredentialId=alice_key["id"])
        register(cognito, authenticator, tokens["alice"])
        cognito.delete_web_authn_credential(AccessToken=tokens["bob"], CredentialId=bob_key["id"])
        register_totp(cognito, clock, tokens["carol"])
        cognito.set_user_mfa_preference(AccessToken=tokens["carol"],
                                        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
        make_user(cognito, pool_id, "dave")
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="dave", GroupName="staff")
        clock.move(20 * 60)
        assert _snapshot(cognito, pool_id, tokens) != before

        restoration = cognito.initiate_point_in_time_recovery(UserPoolId=pool_id,
                                                               RestoreTimestamp=point)["Restoration"]
        assert restoration["RestorePreview"] == [
            {"Entity": "Users", "CreateCount": 0, "UpdateCount": 0, "DeleteCount": 1},  # dave
            # alice back in staff; alice out of admins, dave's staff membership gone
            {"Entity": "Groups", "CreateCount": 1, "UpdateCount": 0, "DeleteCount": 2},
            # alice's settings changed, carol's set up after the point
            {"Entity": "User MFAs", "CreateCount": 0, "UpdateCount": 1, "DeleteCount": 1},
            # alice's and bob's first passkeys back, alice's second gone
            {"Entity": "Passkeys", "CreateCount": 2, "UpdateCount": 0, "DeleteCount": 1},
        ]
        # The hold covers passkeys and MFA settings too.
        for call in (
            lambda: cognito.start_web_authn_registration(AccessToken=tokens["bob"]),
            lambda: cognito.set_user_mfa_preference(AccessToken=tokens["carol"],
                                                    SoftwareTokenMfaSettings={"Enabled": False}),
        ):
            with pytest.raises(ClientError) as held:
                call()
            assert held.value.response["Error"]["Code"] == "ConcurrentModificationException"

        cognito.start_point_in_time_recovery(UserPoolId=pool_id, RestoreId=restoration["RestoreId"])
        assert _snapshot(cognito, pool_id, tokens) == before

        # alice's TOTP secret is back and asked for; carol's is gone; bob's passkey signs him in again.
        clock.next_step()
        challenge = user_auth(cognito, client, "alice", PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
        assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        answer = respond(cognito, client, "SOFTWARE_TOKEN_MFA", challenge["Session"], USERNAME="alice",
                         SOFTWARE_TOKEN_MFA_CODE=clock.code(alice_secret))
        assert "AccessToken" in answer["AuthenticationResult"]
        carol = user_auth(cognito, client, "carol", PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
        assert "AuthenticationResult" in carol
        challenge = user_auth(cognito, client, "bob", PREFERRED_CHALLENGE="WEB_AUTHN")
        assert challenge["ChallengeName"] == "WEB_AUTHN"
        options = json.loads(challenge["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
        assert [c["id"] for c in options["allowCredentials"]] == [bob_key["id"]]
        answer = respond(cognito, client, "WEB_AUTHN", challenge["Session"], USERNAME="bob",
                         CREDENTIAL=json.dumps(authenticator.get(options)))
        assert "AccessToken" in answer["AuthenticationResult"]
        cognito.delete_user_pool(UserPoolId=pool_id)

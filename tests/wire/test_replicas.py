"""Multi-Region replication: Create/Update/Delete/ListUserPoolReplicas, ListUserPools' ReplicaRegions, and a
second server started with another --region on the same PostgreSQL database serving the pool's secondary."""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import pytest
from botocore.exceptions import ClientError

PASSWORD = "Passw0rd!Passw0rd"


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


def _pool(cognito: Any) -> str:
    return str(cognito.create_user_pool(PoolName=f"mrr-{secrets.token_hex(4)}")["UserPool"]["Id"])


def test_replica_lifecycle(cognito: Any) -> None:
    pool_id = _pool(cognito)
    home = pool_id.split("_")[0]
    created = cognito.create_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1",
                                               UserPoolTags={"team": "a"})["UserPoolReplica"]
    assert created["RegionName"] == "eu-west-1" and created["Status"] == "INACTIVE"
    assert created["Role"] == "SECONDARY"
    assert created["UserPoolArn"].startswith("arn:aws:cognito-idp:eu-west-1:") and created["UserPoolArn"].endswith(
        f":userpool/{pool_id}")
    listed = cognito.list_user_pool_replicas(UserPoolId=pool_id)["UserPoolReplicas"]
    assert [(r["RegionName"], r["Role"]) for r in listed] == [(home, "PRIMARY"), ("eu-west-1", "SECONDARY")]
    # every page: the suite's shared server holds many pools
    pages = cognito.get_paginator("list_user_pools").paginate(MaxResults=60)
    pools = {p["Id"]: p for page in pages for p in page["UserPools"]}
    assert pools[pool_id]["ReplicaRegions"] == ["eu-west-1"]
    assert "Replicas" not in cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]

    with pytest.raises(ClientError) as excinfo:  # at most one secondary
        cognito.create_user_pool_replica(UserPoolId=pool_id, RegionName="ap-south-1")
    assert _error(excinfo) == "LimitExceededException"
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1")
    assert _error(excinfo) == "InvalidParameterException"

    active = cognito.update_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1", Status="ACTIVE")
    assert active["UserPoolReplica"]["Status"] == "ACTIVE"
    with pytest.raises(ClientError) as excinfo:  # only an INACTIVE replica can be deleted
        cognito.delete_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1")
    assert _error(excinfo) == "InvalidParameterException"
    cognito.update_user_pool(UserPoolId=pool_id)  # the replica list survives UpdateUserPool
    assert cognito.list_user_pool_replicas(UserPoolId=pool_id)["UserPoolReplicas"][1]["Status"] == "ACTIVE"
    cognito.update_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1", Status="INACTIVE")
    deleted = cognito.delete_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1")["UserPoolReplica"]
    assert deleted["Status"] == "DELETING"
    assert [r["Role"] for r in cognito.list_user_pool_replicas(UserPoolId=pool_id)["UserPoolReplicas"]] == ["PRIMARY"]
    pages = cognito.get_paginator("list_user_pools").paginate(MaxResults=60)
    assert "ReplicaRegions" not in {p["Id"]: p for page in pages for p in page["UserPools"]}[pool_id]


def test_replica_errors(cognito: Any) -> None:
    pool_id = _pool(cognito)
    home = pool_id.split("_")[0]
    for call in (
        lambda: cognito.update_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1", Status="ACTIVE"),
        lambda: cognito.delete_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1"),
        lambda: cognito.list_user_pool_replicas(UserPoolId=f"{home}_nothere00"),
        lambda: cognito.create_user_pool_replica(UserPoolId=f"{home}_nothere00", RegionName="eu-west-1"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert _error(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:  # the primary Region is not a replica
        cognito.create_user_pool_replica(UserPoolId=pool_id, RegionName=home)
    assert _error(excinfo) == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool_replica(UserPoolId=pool_id, RegionName=home, Status="INACTIVE")
    assert _error(excinfo) == "InvalidParameterException"
    lite = cognito.create_user_pool(PoolName=f"lite-{secrets.token_hex(4)}", UserPoolTier="LITE")["UserPool"]["Id"]
    with pytest.raises(ClientError) as excinfo:  # Essentials or Plus only
        cognito.create_user_pool_replica(UserPoolId=lite, RegionName="eu-west-1")
    assert _error(excinfo) == "FeatureUnavailableInTierException"
    with pytest.raises(ClientError) as excinfo:  # the model's enum
        cognito.update_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1", Status="DELETING")
    assert _error(excinfo) in ("InvalidParameterException", "ValidationException")


def test_secondary_region_serves_read_and_sign_in_only(server_factory: Any) -> None:
    env = {"USERPOOLS_DATA_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
    # --aws-issuer and IssuerConfiguration UPDATED: one issuer for both Regions
    # (https://issuer-cognito-idp.<primary>.amazonaws.com/<pool id>, the Region read from the pool id), so a
    # token from either verifies in either
    primary = server_factory("postgresql", env=env, extra_args=["--region", "us-east-1", "--aws-issuer"])
    secondary = server_factory("postgresql", env=env, database=primary.database_url,
                               extra_args=["--region", "eu-west-1", "--aws-issuer"])
    a, b = primary.client(), secondary.client()
    pool_id = a.create_user_pool(PoolName="replicated", IssuerConfiguration={"Type": "UPDATED"})["UserPool"]["Id"]
    assert pool_id.startswith("us-east-1_")
    client_id = a.create_user_pool_client(UserPoolId=pool_id, ClientName="app",
                                          ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH",
                                                             "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
    a.admin_create_user(UserPoolId=pool_id, Username="alice", MessageAction="SUPPRESS")
    a.admin_set_user_password(UserPoolId=pool_id, Username="alice", Password=PASSWORD, Permanent=True)
    a.create_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1")

    def sign_in(via: Any) -> dict[str, Any]:
        return dict(via.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD})["AuthenticationResult"])

    # INACTIVE: end users refused in the secondary, admin reads served, the primary unaffected
    with pytest.raises(ClientError) as excinfo:
        sign_in(b)
    assert _error(excinfo) == "OperationNotEnabledException"
    assert b.admin_get_user(UserPoolId=pool_id, Username="alice")["Username"] == "alice"
    sign_in(a)

    # Update from the secondary Region is allowed; Create/Delete are the primary's
    assert b.update_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1",
                                      Status="ACTIVE")["UserPoolReplica"]["Status"] == "ACTIVE"
    with pytest.raises(ClientError) as excinfo:
        b.delete_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1")
    assert _error(excinfo) == "OperationNotEnabledException"

    tokens = sign_in(b)
    assert b.get_user(AccessToken=tokens["AccessToken"])["Username"] == "alice"
    assert a.get_user(AccessToken=tokens["AccessToken"])["Username"] == "alice"
    # the same keys: the secondary's token verifies against the primary's JWKS, and both serve one JWKS
    jwks = httpx.get(f"{primary.url}/{pool_id}/.well-known/jwks.json").json()
    assert jwks == httpx.get(f"{secondary.url}/{pool_id}/.well-known/jwks.json").json()
    kid = jwt.get_unverified_header(tokens["AccessToken"])["kid"]
    key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid))
    claims = jwt.decode(tokens["AccessToken"], key.key, algorithms=["RS256"])
    assert claims["username"] == "alice" and claims["iss"] == f"https://issuer-cognito-idp.us-east-1.amazonaws.com/{pool_id}"
    assert jwt.decode(sign_in(a)["AccessToken"], key.key, algorithms=["RS256"])["iss"] == claims["iss"]

    # lockout counters are per Region: the secondary locks alice out, the primary still signs her in
    def wrong(via: Any) -> str:
        with pytest.raises(ClientError) as excinfo:
            via.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                              AuthParameters={"USERNAME": "alice", "PASSWORD": "Wrong0!wrong"})
        return str(excinfo.value.response["Error"]["Message"])

    messages = [wrong(b) for _ in range(7)]
    assert "Password attempts exceeded" in messages[-1]
    sign_in(a)
    assert "Incorrect username or password." in wrong(a)  # the primary's count starts from its own

    # writes refused in the secondary
    for call in (
        lambda: b.admin_create_user(UserPoolId=pool_id, Username="bob", MessageAction="SUPPRESS"),
        lambda: b.sign_up(ClientId=client_id, Username="carol", Password=PASSWORD),
        lambda: b.update_user_pool(UserPoolId=pool_id),
        lambda: b.update_user_attributes(AccessToken=tokens["AccessToken"],
                                         UserAttributes=[{"Name": "name", "Value": "A"}]),
        lambda: b.create_user_pool_replica(UserPoolId=pool_id, RegionName="ap-south-1"),
        lambda: b.forgot_password(ClientId=client_id, Username="alice"),
        lambda: b.associate_software_token(AccessToken=tokens["AccessToken"]),  # no TOTP set-up there
        lambda: b.admin_delete_user(UserPoolId=pool_id, Username="alice"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert _error(excinfo) == "OperationNotEnabledException"
    a.admin_create_user(UserPoolId=pool_id, Username="bob", MessageAction="SUPPRESS")  # the primary writes

    # INACTIVE again (set from the primary): sign-in refused in the secondary once more
    a.update_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1", Status="INACTIVE")
    with pytest.raises(ClientError) as excinfo:
        sign_in(b)
    assert _error(excinfo) == "OperationNotEnabledException"
    with pytest.raises(ClientError) as excinfo:
        b.get_user(AccessToken=tokens["AccessToken"])
    assert _error(excinfo) == "OperationNotEnabledException"
    a.delete_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1")
    sign_in(b)  # no longer a replica: served as any pool of the shared database


def test_secondary_region_hosted_pages_sign_in_but_do_not_sign_up(server_factory: Any) -> None:
    import uuid

    from oauthkit import CALLBACK, DomainPool, code_from, csrf_of, new_browser, redeem, sign_in_through_form

    env = {"USERPOOLS_DATA_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
    primary = server_factory("postgresql", env=env, extra_args=["--region", "us-east-1"])
    secondary = server_factory("postgresql", env=env, database=primary.database_url,
                               extra_args=["--region", "eu-west-1"])
    a = primary.client()
    pool_id = a.create_user_pool(PoolName="hosted-replica")["UserPool"]["Id"]
    domain = f"auth-{uuid.uuid4().hex[:12]}"
    a.create_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    on_primary = DomainPool(primary, a, pool_id, domain)
    client_id = on_primary.client()["ClientId"]
    name = on_primary.user()
    a.create_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1")
    on_secondary = DomainPool(secondary, a, pool_id, domain)
    with new_browser() as browser:  # INACTIVE: the form answers the error, no code
        refused = sign_in_through_form(browser, on_secondary, client_id, name)
        assert refused.status_code != 302 and "eu-west-1" in refused.text
    a.update_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1", Status="ACTIVE")
    with new_browser() as browser:
        assert redeem(on_secondary, client_id, code_from(sign_in_through_form(
            browser, on_secondary, client_id, name))).status_code == 200
        query = urlencode({"client_id": client_id, "response_type": "code", "redirect_uri": CALLBACK})
        url = f"{on_secondary.base}/signup?{query}"
        form = browser.get(url)
        answer = browser.post(url, data={"_csrf": csrf_of(form.text), "username": "newcomer",
                                         "password": PASSWORD})
        assert answer.status_code != 302 and "not enabled" in answer.text

"""Pools as code: the [[pools]] tables of userpools.toml (--config), applied at start-up with fixed ids,
idempotently across restarts, and refused with the line named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bcrypt
import pytest

from conftest import BACKENDS

pytest_plugins = ["pytester"]

POOL_ID = "us-east-1_PoolsCode1"
CLIENT_ID = "poolsascodeclient000000001"
SECRET_CLIENT_ID = "poolsascodeclient000000002"
SECRET = "thefixedsecretofthesecondclient0000000000000000001"

CONFIG = f"""
[lambda]
endpoint = "http://127.0.0.1:9"     # the trigger sections keep working beside the pools

[[pools]]
Id = "{POOL_ID}"
PoolName = "app"
Policies = {{ PasswordPolicy = {{ MinimumLength = 8 }} }}

[[pools.resource_servers]]
Identifier = "https://api.example.com"
Name = "api"
Scopes = [{{ ScopeName = "read", ScopeDescription = "read things" }}]

[[pools.clients]]
ClientId = "{CLIENT_ID}"
ClientName = "web"
ExplicitAuthFlows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]

[[pools.clients]]
ClientId = "{SECRET_CLIENT_ID}"
ClientName = "backend"
ClientSecret = "{SECRET}"

[[pools.groups]]
GroupName = "admins"
Precedence = 1

[[pools.groups]]
GroupName = "readers"

[[pools.users]]
Username = "alice"
Password = "Passw0rd!"
Attributes = {{ email = "alice@example.com", email_verified = "true" }}
Groups = ["admins"]

[[pools.domains]]
Domain = "poolsascode-app"
"""


def test_user_with_an_imported_hash_signs_in_with_its_password_and_an_unchanged_restart_changes_nothing(
    server_factory: Any, tmp_path: Path
) -> None:
    hashed = bcrypt.hashpw(b"Hashed-passw0rd", bcrypt.gensalt(rounds=4)).decode()
    text = CONFIG + f"""
[[pools.users]]
Username = "carol"
PasswordHash = "{hashed}"
PasswordHashAlgorithm = "BCRYPT"
"""
    config = _write(tmp_path, text)
    srv = server_factory("sqlite", extra_args=["--config", str(config)])
    cognito = srv.client()
    assert any(f"userpools: created pool {POOL_ID}" in line for line in srv.output)
    assert cognito.admin_get_user(UserPoolId=POOL_ID, Username="carol")["UserStatus"] == "CONFIRMED"
    tokens = cognito.initiate_auth(ClientId=CLIENT_ID, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "carol", "PASSWORD": "Hashed-passw0rd"})
    assert tokens["AuthenticationResult"]["AccessToken"]
    before = (cognito.describe_user_pool(UserPoolId=POOL_ID)["UserPool"]["LastModifiedDate"],
              cognito.describe_user_pool_client(UserPoolId=POOL_ID, ClientId=CLIENT_ID)["UserPoolClient"][
                  "LastModifiedDate"],
              cognito.admin_get_user(UserPoolId=POOL_ID, Username="alice")["UserLastModifiedDate"])
    srv.stop()
    srv.start()  # the same file again: nothing differs, nothing is written
    after = (cognito.describe_user_pool(UserPoolId=POOL_ID)["UserPool"]["LastModifiedDate"],
             cognito.describe_user_pool_client(UserPoolId=POOL_ID, ClientId=CLIENT_ID)["UserPoolClient"][
                 "LastModifiedDate"],
             cognito.admin_get_user(UserPoolId=POOL_ID, Username="alice")["UserLastModifiedDate"])
    assert after == before
    assert not any("userpools: created" in line or "userpools: updated" in line for line in srv.output)
    # carol's hash became an SRP verifier at her first sign-in: the restart kept that password.
    assert cognito.initiate_auth(ClientId=CLIENT_ID, AuthFlow="USER_PASSWORD_AUTH",
                                 AuthParameters={"USERNAME": "carol", "PASSWORD": "Hashed-passw0rd"})[
        "AuthenticationResult"]["AccessToken"]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "userpools.toml"
    path.write_text(text)
    return path


def _sign_in(cognito: Any, password: str) -> dict[str, Any]:
    return cognito.initiate_auth(
        ClientId=CLIENT_ID, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": password},
    )["AuthenticationResult"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_configured_pool_is_created_with_fixed_ids_and_updated_on_restart(
    backend: str, server_factory: Any, tmp_path: Path
) -> None:
    config = _write(tmp_path, CONFIG)
    srv = server_factory(backend, extra_args=["--config", str(config)])
    cognito = srv.client()

    pool = cognito.describe_user_pool(UserPoolId=POOL_ID)["UserPool"]
    assert pool["Name"] == "app"
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
    client = cognito.describe_user_pool_client(UserPoolId=POOL_ID, ClientId=CLIENT_ID)["UserPoolClient"]
    assert client["ClientName"] == "web"
    backend_client = cognito.describe_user_pool_client(UserPoolId=POOL_ID, ClientId=SECRET_CLIENT_ID)
    assert backend_client["UserPoolClient"]["ClientSecret"] == SECRET
    user = cognito.admin_get_user(UserPoolId=POOL_ID, Username="alice")
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "email", "Value": "alice@example.com"} in user["UserAttributes"]
    groups = cognito.admin_list_groups_for_user(UserPoolId=POOL_ID, Username="alice")["Groups"]
    assert [g["GroupName"] for g in groups] == ["admins"]
    assert cognito.describe_user_pool_domain(Domain="poolsascode-app")["DomainDescription"]["UserPoolId"] == POOL_ID
    servers = cognito.list_resource_servers(UserPoolId=POOL_ID, MaxResults=10)["ResourceServers"]
    assert [s["Identifier"] for s in servers] == ["https://api.example.com"]
    tokens = _sign_in(cognito, "Passw0rd!")
    assert tokens["AccessToken"]

    # A restart with a changed file: updates applied, nothing duplicated.
    srv.stop()
    changed = (CONFIG.replace("MinimumLength = 8", "MinimumLength = 10")
               .replace('ClientName = "web"', 'ClientName = "web-app"')
               .replace('Password = "Passw0rd!"', 'Password = "NewPassw0rd!"')
               .replace('alice@example.com', 'alice@example.org')
               .replace('Groups = ["admins"]', 'Groups = ["readers"]'))
    _write(tmp_path, changed)
    srv.start()
    pool = cognito.describe_user_pool(UserPoolId=POOL_ID)["UserPool"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 10
    assert [p["Id"] for p in cognito.list_user_pools(MaxResults=60)["UserPools"]] == [POOL_ID]
    clients = cognito.list_user_pool_clients(UserPoolId=POOL_ID, MaxResults=60)["UserPoolClients"]
    assert sorted((c["ClientId"], c["ClientName"]) for c in clients) == [
        (CLIENT_ID, "web-app"), (SECRET_CLIENT_ID, "backend")
    ]
    assert len(cognito.list_users(UserPoolId=POOL_ID)["Users"]) == 1
    user = cognito.admin_get_user(UserPoolId=POOL_ID, Username="alice")
    assert {"Name": "email", "Value": "alice@example.org"} in user["UserAttributes"]
    groups = cognito.admin_list_groups_for_user(UserPoolId=POOL_ID, Username="alice")["Groups"]
    assert [g["GroupName"] for g in groups] == ["readers"]
    assert len(cognito.list_groups(UserPoolId=POOL_ID)["Groups"]) == 2
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        _sign_in(cognito, "Passw0rd!")
    assert _sign_in(cognito, "NewPassw0rd!")["AccessToken"]


def _refused(server_factory: Any, tmp_path: Path, text: str) -> str:
    config = _write(tmp_path, text)
    srv = server_factory("sqlite", start=False, extra_args=["--config", str(config)])
    result = srv.run_to_exit()
    assert result.returncode == 2, result.stderr
    return result.stderr


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_unknown_key_stops_the_start_naming_its_line(server_factory: Any, tmp_path: Path) -> None:
    text = CONFIG.replace('GroupName = "readers"', 'GroupName = "readers"\nColour = "blue"')
    stderr = _refused(server_factory, tmp_path, text)
    assert f"userpools.toml:{_line_of(text, 'Colour')}: pools[0].groups[1].Colour: unknown key" in stderr


def test_unknown_nested_key_stops_the_start_naming_its_line(server_factory: Any, tmp_path: Path) -> None:
    text = CONFIG.replace("MinimumLength = 8", "MinimumLength = 8, MinimumLenght = 9")
    stderr = _refused(server_factory, tmp_path, text)
    assert f"userpools.toml:{_line_of(text, 'MinimumLenght')}: pools[0].Policies.PasswordPolicy.MinimumLenght: " \
           "unknown key" in stderr


def test_client_id_given_twice_stops_the_start_naming_both_lines(server_factory: Any, tmp_path: Path) -> None:
    text = CONFIG.replace(SECRET_CLIENT_ID, CLIENT_ID)
    stderr = _refused(server_factory, tmp_path, text)
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if f'ClientId = "{CLIENT_ID}"' in line]
    assert f"userpools.toml:{lines[1]}: pools[0].clients[1].ClientId: {CLIENT_ID} is already the id of the " \
           f"client at line {lines[0]}" in stderr


def test_invalid_member_is_refused_with_the_api_error_and_the_line(server_factory: Any, tmp_path: Path) -> None:
    text = CONFIG.replace("MinimumLength = 8", "MinimumLength = 2")
    stderr = _refused(server_factory, tmp_path, text)
    assert f"userpools.toml:{_line_of(text, '[[pools]]')} (pool {POOL_ID}): CreateUserPool: " \
           "InvalidParameterException" in stderr


def test_client_id_of_another_pool_is_a_conflict(server_factory: Any, tmp_path: Path) -> None:
    config = _write(tmp_path, CONFIG)
    srv = server_factory("sqlite", extra_args=["--config", str(config)])
    srv.stop()
    other = CONFIG.replace(POOL_ID, "us-east-1_OtherPool1")
    _write(tmp_path, other)
    result = srv.run_to_exit()
    assert result.returncode == 2
    line = _line_of(other, "[[pools.clients]]")
    assert f"userpools.toml:{line} (client {CLIENT_ID}): ClientId {CLIENT_ID} belongs to another pool " \
           f"({POOL_ID})" in result.stderr


def test_the_pytest_plugins_server_applies_the_pools_of_its_config(pytester: pytest.Pytester) -> None:
    config = pytester.path / "userpools.toml"
    config.write_text(CONFIG)
    pytester.makepyfile(test_fixed_ids=f'''
def test_the_configured_pool_is_there(cognito_idp):
    assert cognito_idp.describe_user_pool(UserPoolId="{POOL_ID}")["UserPool"]["Name"] == "app"
    tokens = cognito_idp.initiate_auth(ClientId="{CLIENT_ID}", AuthFlow="USER_PASSWORD_AUTH",
                                       AuthParameters={{"USERNAME": "alice", "PASSWORD": "Passw0rd!"}})
    assert tokens["AuthenticationResult"]["AccessToken"]
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--userpools-arg=--config={config}",
                                           timeout=180)
    result.assert_outcomes(passed=1)


def test_the_readme_example_gives_its_ids_and_its_user_signs_in(server_factory: Any, tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Pools as code, export, import and clone", 1)[1].split("\n## ", 1)[0]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    config = _write(tmp_path, example)
    cognito = server_factory("sqlite", extra_args=["--config", str(config)]).client()
    client = cognito.describe_user_pool_client(UserPoolId="us-east-1_Example01", ClientId="exampleappclient000000001")
    assert client["UserPoolClient"]["ClientName"] == "web"
    tokens = cognito.initiate_auth(ClientId="exampleappclient000000001", AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "alice@example.com", "PASSWORD": "Passw0rd!"})
    assert tokens["AuthenticationResult"]["AccessToken"]


def test_with_workers_the_pools_are_applied_once_before_they_fork(server_factory: Any, tmp_path: Path) -> None:
    config = _write(tmp_path, CONFIG)
    srv = server_factory("sqlite", extra_args=["--config", str(config), "--workers", "2"])
    cognito = srv.client()
    assert cognito.describe_user_pool(UserPoolId=POOL_ID)["UserPool"]["Name"] == "app"
    assert sum(f"userpools: created pool {POOL_ID}" in line for line in srv.output) == 1
    assert _sign_in(cognito, "Passw0rd!")["AccessToken"]

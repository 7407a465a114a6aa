"""The [[pools]] tables of userpools.toml as read before anything is applied: every mistake names its line."""

from __future__ import annotations

import tomllib

import pytest

from userpools.provisioning import PoolsConfigError, parse_pools

CONFIG = """\
# a comment
[lambda]
endpoint = "http://127.0.0.1:9"

[[pools]]
Id = "us-east-1_First0001"
PoolName = "first"
Policies = { PasswordPolicy = { MinimumLength = 8 } }

[[pools.clients]]
ClientId = "firstclient"
ClientName = "web"

[[pools]]
Id = "us-east-1_Second001"
PoolName = "second"

[[pools.clients]]
ClientId = "secondclient"
ClientName = "web"

[[pools.users]]
Username = "alice"
Password = "Passw0rd!"
Groups = []
"""


def parse(text: str) -> list:  # type: ignore[type-arg]
    return parse_pools(text, tomllib.loads(text), source="userpools.toml")


def line_of(text: str, needle: str, occurrence: int = 0) -> int:
    return [n for n, line in enumerate(text.splitlines(), start=1) if needle in line][occurrence]


def test_each_table_knows_its_line_and_its_pool() -> None:
    specs = parse(CONFIG)
    assert [spec.pool.members["Id"] for spec in specs] == ["us-east-1_First0001", "us-east-1_Second001"]
    assert [spec.pool.line for spec in specs] == [line_of(CONFIG, "[[pools]]"), line_of(CONFIG, "[[pools]]", 1)]
    second_client = specs[1].children["clients"][0]
    assert second_client.members["ClientId"] == "secondclient"
    assert second_client.line == line_of(CONFIG, "[[pools.clients]]", 1)
    assert specs[1].children["users"][0].key_lines["Password"] == line_of(CONFIG, "Password =")


def test_a_file_without_pools_has_none() -> None:
    assert parse('[lambda]\nendpoint = "http://127.0.0.1:9"\n') == []


@pytest.mark.parametrize(("change", "needle", "message"), [
    (("ClientName = \"web\"\n\n[[pools.users]]", "ClientName = \"web\"\nColor = 1\n\n[[pools.users]]"),
     "Color", "pools[1].clients[0].Color: unknown key"),
    (("MinimumLength = 8", "MinimumLength = 8, Minimum = 2"), "Minimum = 2",
     "pools[0].Policies.PasswordPolicy.Minimum: unknown key"),
    (('Id = "us-east-1_Second001"', 'Id = "us-east-1_First0001"'), 'Id = "us-east-1_First0001"',
     "pools[1].Id: us-east-1_First0001 is already the id of the pool at line 6"),
    (('Id = "us-east-1_Second001"', 'Id = "not an id"'), 'Id = "not an id"', "pools[1].Id: expected a pool id"),
    (('ClientId = "secondclient"', 'ClientId = "firstclient"'), 'ClientId = "firstclient"',
     "pools[1].clients[0].ClientId: firstclient is already the id of the client at line 11"),
    (('Password = "Passw0rd!"', 'Password = "Passw0rd!"\nPasswordHash = "$2b$04$x"'), "PasswordHash",
     "pools[1].users[0].PasswordHash: give Password or PasswordHash, not both"),
    (('Password = "Passw0rd!"', 'PasswordHash = "$2b$04$x"\nPasswordHashAlgorithm = "MD5"'),
     "PasswordHashAlgorithm", "pools[1].users[0].PasswordHashAlgorithm: expected one of BCRYPT"),
    (('Password = "Passw0rd!"', 'PasswordHash = "nope"\nPasswordHashAlgorithm = "BCRYPT"'),
     "PasswordHash =", "pools[1].users[0].PasswordHash: not a well-formed BCRYPT hash"),
    (("Groups = []", 'Groups = "admins"'), "Groups", "pools[1].users[0].Groups: expected a list of group names"),
])
def test_a_mistake_names_the_file_the_line_and_the_key(change: tuple[str, str], needle: str, message: str) -> None:
    text = CONFIG.replace(*change)
    assert text != CONFIG
    with pytest.raises(PoolsConfigError) as caught:
        parse(text)
    assert str(caught.value).startswith(f"userpools.toml:{line_of(text, needle, -1)}: {message}")

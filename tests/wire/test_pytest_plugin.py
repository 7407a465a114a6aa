"""The pytest plugin (userpools.pytest_plugin), as a user meets it: a test file of theirs that uses the
fixtures, run by pytest (pytester, in a subprocess: the plugin comes from the installed package's
``pytest11`` entry point) on SQLite and on PostgreSQL. And the development-only reset endpoint it relies on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import pg
from conftest import create_pg_database

pytest_plugins = ["pytester"]

EXAMPLE = '''
import pytest

PASSWORD = "Corr3ct-horse!"


def sign_up_and_confirm(userpools, cognito_idp, user_pool, username):
    cognito_idp.sign_up(ClientId=user_pool.client_id, Username=username, Password=PASSWORD,
                        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}])
    code = userpools.latest_code(user_pool.pool_id, username)
    cognito_idp.confirm_sign_up(ClientId=user_pool.client_id, Username=username, ConfirmationCode=code)


def test_sign_up_confirm_and_sign_in(userpools, cognito_idp, user_pool):
    sign_up_and_confirm(userpools, cognito_idp, user_pool, "ana")
    result = cognito_idp.initiate_auth(ClientId=user_pool.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                       AuthParameters={"USERNAME": "ana", "PASSWORD": PASSWORD})
    assert result["AuthenticationResult"]["TokenType"] == "Bearer"
    user = cognito_idp.get_user(AccessToken=result["AuthenticationResult"]["AccessToken"])
    assert user["Username"] == "ana"


def test_a_code_expires_when_the_clock_moves_past_a_day(userpools, cognito_idp, user_pool):
    cognito_idp.sign_up(ClientId=user_pool.client_id, Username="ben", Password=PASSWORD,
                        UserAttributes=[{"Name": "email", "Value": "ben@example.com"}])
    code = userpools.latest_code(user_pool.pool_id, "ben")
    userpools.advance_clock(25 * 3600)
    with pytest.raises(cognito_idp.exceptions.ExpiredCodeException):
        cognito_idp.confirm_sign_up(ClientId=user_pool.client_id, Username="ben", ConfirmationCode=code)


def test_the_clock_was_reset_after_the_previous_test_and_can_be_frozen(userpools, cognito_idp, user_pool):
    sign_up_and_confirm(userpools, cognito_idp, user_pool, "cleo")  # a fresh code is valid again
    frozen = userpools.freeze_clock()
    assert userpools.advance_clock(0) == frozen
    assert userpools.advance_clock(60) > frozen


def test_a_temporary_password_is_a_latest_code(userpools, cognito_idp, user_pool):
    cognito_idp.admin_create_user(UserPoolId=user_pool.pool_id, Username="dan",
                                  UserAttributes=[{"Name": "email", "Value": "dan@example.com"}])
    temporary = userpools.latest_code(user_pool.pool_id, "dan")
    challenge = cognito_idp.initiate_auth(ClientId=user_pool.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                          AuthParameters={"USERNAME": "dan", "PASSWORD": temporary})
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_a_test_without_user_pool_moves_the_clock(userpools):
    userpools.advance_clock(3 * 3600)


def test_and_the_next_one_sees_the_systems_time_again(userpools, cognito_idp):
    import datetime
    pool = cognito_idp.create_user_pool(PoolName="clock")["UserPool"]
    drift = abs(pool["CreationDate"] - datetime.datetime.now(datetime.timezone.utc))
    cognito_idp.delete_user_pool(UserPoolId=pool["Id"])
    assert drift < datetime.timedelta(minutes=5)


def test_each_test_gets_a_pool_of_its_own(cognito_idp, user_pool):
    assert cognito_idp.list_users(UserPoolId=user_pool.pool_id)["Users"] == []


def test_reset_deletes_every_pool(userpools, cognito_idp):
    cognito_idp.create_user_pool(PoolName="left-over")
    assert userpools.reset()["deletedPools"] >= 1
    assert cognito_idp.list_user_pools(MaxResults=60)["UserPools"] == []
    with pytest.raises(LookupError):
        userpools.latest_code("us-east-1_nothere", "ana")


def test_the_server_is_the_one_the_options_asked_for(userpools):
    import httpx
    assert httpx.get(userpools.endpoint + "/_userpools/health").json()["status"] == "ok"
    print("USERPOOLS-STARTUP-SECONDS", userpools.startup_seconds)
'''


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    url = create_pg_database()
    yield url
    pg.drop_database(url)


def test_a_users_test_file_runs_with_the_fixtures(pytester: pytest.Pytester, database_url: str | None) -> None:
    pytester.makepyfile(test_app=EXAMPLE)
    args = ["-s", "-p", "no:cacheprovider"]
    if database_url:
        args += ["--userpools-database-url", database_url]
    result = pytester.runpytest_subprocess(*args, timeout=180)
    result.assert_outcomes(passed=9)
    if database_url:  # the server's tables are in that database
        assert pg.table_names(database_url) >= {"user_pools", "users", "outbox"}


def test_the_readme_example_passes(pytester: pytest.Pytester) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Testing your app with pytest", 1)[1].split("\n## ", 1)[0]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    pytester.makepyfile(test_sign_up=example)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=180)
    result.assert_outcomes(passed=2)


def test_server_options_come_from_the_ini_file_too(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nuserpools_args = --region eu-west-1 --request-log\n")
    pytester.makepyfile(test_region='''
def test_the_region_is_the_ini_files(cognito_idp, user_pool):
    assert user_pool.pool_id.startswith("eu-west-1_")
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=180)
    result.assert_outcomes(passed=1)


def test_a_server_option_it_cannot_honour_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_secured='''
def test_needs_the_server(userpools):
    pass
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--userpools-arg=--admin-credentials=AK:SK",
                                           timeout=180)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*development mode*"])


# --- POST /_userpools/reset on the wire tests' own servers ---------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_reset_deletes_every_pool_with_its_users_and_messages(server_factory: Any, backend: str) -> None:
    server = server_factory(backend)  # its own: the shared servers' pools belong to other tests
    cognito = server.client()
    pool_id = cognito.create_user_pool(PoolName=f"reset-{uuid.uuid4().hex[:6]}", AutoVerifiedAttributes=["email"],
                                       DeletionProtection="ACTIVE")["UserPool"]["Id"]
    cognito.admin_create_user(UserPoolId=pool_id, Username="eve",
                              UserAttributes=[{"Name": "email", "Value": "eve@example.com"}])
    assert httpx.get(f"{server.url}/_userpools/outbox", params={"userPoolId": pool_id}).json()["messages"]
    answer = httpx.post(f"{server.url}/_userpools/reset")
    assert answer.status_code == 200 and answer.json()["deletedPools"] >= 1
    assert cognito.list_user_pools(MaxResults=60)["UserPools"] == []
    with pytest.raises(cognito.exceptions.ResourceNotFoundException):
        cognito.admin_get_user(UserPoolId=pool_id, Username="eve")
    assert httpx.get(f"{server.url}/_userpools/outbox").json()["messages"] == []


def test_reset_is_not_there_outside_development_mode(server_factory: Any) -> None:
    secured = server_factory("sqlite", extra_args=["--admin-credentials", "AKIDRESET:resetsecret"])
    answer = httpx.post(f"{secured.url}/_userpools/reset")
    assert answer.status_code == 404 and answer.json()["__type"] == "ResourceNotFoundException"

from pathlib import Path

import pytest

from userpools.config import ConfigError, Settings, is_loopback
from userpools.errors import InvalidParameterException
from userpools.operations import paging
from userpools.protocol.sigv4 import AdminCredentials


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost"])
def test_loopback_hosts_need_no_credentials(host: str) -> None:
    assert is_loopback(host)
    Settings(host=host).check()


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "::", "example.com"])
def test_other_hosts_are_refused_without_credentials_and_allowed_with_them(host: str) -> None:
    with pytest.raises(ConfigError, match="admin credentials"):
        Settings(host=host).check()
    Settings(host=host, admin_credentials=(AdminCredentials("AKID", "SECRET"),)).check()


def test_default_database_is_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    url = Settings(data_dir=tmp_path).effective_database_url
    assert url == f"sqlite:///{tmp_path.resolve()}/userpools.db"
    assert Settings(database_url="postgresql://x/y").effective_database_url == "postgresql://x/y"


def test_paging_tokens_round_trip_and_refuse_tokens_of_another_listing() -> None:
    token = paging.encode("pools", "us-east-1_abc")
    assert paging.decode("pools", token) == "us-east-1_abc"
    assert paging.decode("pools", None) is None
    for bad in (paging.encode("clients", "x"), "%%%", "bm9jb2xvbg=="):
        with pytest.raises(InvalidParameterException):
            paging.decode("pools", bad)


def test_rate_limits_are_off_in_development_and_on_with_admin_credentials_unless_told() -> None:
    admin = (AdminCredentials("AKID", "SECRET"),)
    assert Settings().effective_rate_limits is False
    assert Settings(admin_credentials=admin).effective_rate_limits is True
    assert Settings(rate_limits=True).effective_rate_limits is True
    assert Settings(admin_credentials=admin, rate_limits=False).effective_rate_limits is False


def test_serve_signs_in_a_helper_process_with_one_process_and_cpus_to_spare(monkeypatch: pytest.MonkeyPatch) -> None:
    from userpools.cli import serve, settings_from_options

    def settings(*args: str) -> Settings:
        with serve.make_context("serve", list(args)) as ctx:
            return settings_from_options(ctx.params)

    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    assert settings().signing_process is True
    assert settings("--workers", "2").signing_process is False  # as many processes as CPUs: nothing to spare
    assert settings("--signing-threads", "2").signing_process is False
    assert settings("--no-signing-process").signing_process is False
    assert settings("--workers", "2", "--signing-process").signing_process is True
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0})
    assert settings().signing_process is False
    assert Settings().signing_process is False  # embedded servers and tests: on the loop unless told

"""The Dockerfile and compose.yaml, checked without a container engine (none runs here): the Dockerfile's
instructions parsed (non-root USER, HEALTHCHECK on /_userpools/health, the data volume), its ENTRYPOINT + CMD
run through click's own parser of the real CLI, and compose.yaml's services read with PyYAML."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from userpools.cli import main, serve

ROOT = Path(__file__).resolve().parents[2]


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order: comments dropped, backslash continuations joined."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def final_stage(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last = max(i for i, (keyword, _) in enumerate(found) if keyword == "FROM")
    return found[last:]


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(item, str) for item in value), arguments
    return value


def serve_envvars() -> set[str]:
    return {param.envvar for param in serve.params if isinstance(param.envvar, str)} | {"USERPOOLS_DATA_DIR"}


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return final_stage(instructions((ROOT / "Dockerfile").read_text()))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_the_image_runs_as_a_user_that_is_not_root(dockerfile: list[tuple[str, str]]) -> None:
    users = [args for keyword, args in dockerfile if keyword == "USER"]
    assert users, "the final stage sets no USER: the server would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    keywords = [keyword for keyword, _ in dockerfile]
    # Nothing after USER needs root, and the server starts after it.
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")


def test_the_health_check_asks_the_health_endpoint_on_the_served_port(dockerfile: list[tuple[str, str]]) -> None:
    checks = [args for keyword, args in dockerfile if keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    options, _, command = checks[0].partition("CMD")
    assert re.search(r"--interval=\d+s", options) and re.search(r"--timeout=\d+s", options)
    check = exec_form(command.strip())
    served = serve_args(dockerfile)
    port = served[served.index("--port") + 1]
    assert f"http://127.0.0.1:{port}/_userpools/health" in " ".join(check)


def serve_args(dockerfile: list[tuple[str, str]]) -> list[str]:
    entrypoint = exec_form(next(args for keyword, args in dockerfile if keyword == "ENTRYPOINT"))
    cmd = exec_form(next(args for keyword, args in dockerfile if keyword == "CMD"))
    assert entrypoint == ["userpools"]  # the console script of pyproject's [project.scripts]
    return cmd


def test_the_command_is_one_the_cli_accepts(dockerfile: list[tuple[str, str]]) -> None:
    args = serve_args(dockerfile)
    with main.make_context("userpools", list(args), resilient_parsing=True) as group:
        name, command, rest = main.resolve_command(group, list(args))
    assert name == "serve" and command is serve
    with serve.make_context("serve", rest) as ctx:
        assert ctx.params["host"] == "0.0.0.0"
        assert str(ctx.params["data_dir"]) == "/data"
    with pytest.raises(click.UsageError):  # the parser does refuse what it does not know
        serve.make_context("serve", [*args[1:], "--no-such-option"])


def test_the_data_directory_is_a_volume_owned_by_the_user(dockerfile: list[tuple[str, str]]) -> None:
    volumes = [exec_form(args) for keyword, args in dockerfile if keyword == "VOLUME"]
    assert ["/data"] in volumes
    env = " ".join(args for keyword, args in dockerfile if keyword == "ENV")
    assert "USERPOOLS_DATA_DIR=/data" in env
    assert any("chown userpools:userpools /data" in args for keyword, args in dockerfile if keyword == "RUN")
    names = set(re.findall(r"\b(USERPOOLS_[A-Z_]+)=", env))
    assert names <= serve_envvars(), names - serve_envvars()


def test_the_image_is_built_in_two_stages_from_a_slim_base() -> None:
    found = instructions((ROOT / "Dockerfile").read_text())
    bases = [args for keyword, args in found if keyword == "FROM"]
    assert len(bases) == 2 and all("slim" in base for base in bases)
    assert "--no-cache-dir" in " ".join(args for keyword, args in final_stage(found) if keyword == "RUN")
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", "tests"} <= set(ignored)


def test_compose_runs_userpools_on_its_postgresql(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "userpools"}
    db, app = services["postgres"], services["userpools"]
    assert app["build"] == "."
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    env = app["environment"]
    pg_env = db["environment"]
    expected = (f"postgresql://{pg_env['POSTGRES_USER']}:{pg_env['POSTGRES_PASSWORD']}@postgres:5432/"
                f"{pg_env['POSTGRES_DB']}")
    assert env["USERPOOLS_DATABASE_URL"] == expected
    # Bound to 0.0.0.0 in the image: admin credentials are required, and compose refuses to start without them.
    assert env["USERPOOLS_ADMIN_CREDENTIALS"].startswith("${USERPOOLS_ADMIN_CREDENTIALS:?")
    assert set(env) <= serve_envvars(), set(env) - serve_envvars()
    assert "userpools-data:/data" in app["volumes"]
    assert set(compose["volumes"]) == {"postgres-data", "userpools-data"}
    assert "9229:9229" in app["ports"]

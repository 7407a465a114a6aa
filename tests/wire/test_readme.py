"""The README's first commands, run as a new user would run them on a machine that has never seen AWS.

The shell blocks marked ``<!-- readme-test … -->`` are run with bash as one script (``set -euo pipefail``,
so shell variables carry from one command to the next) against a fresh server, in an environment without
any ``AWS_*`` variable and with ``HOME`` an empty folder (no ``~/.aws``). A comment ``# → text`` after a
command is the output the README promises: ``…`` stands for one word, and the rest must equal one line of
what the command printed (ignoring the line's surrounding spaces and box borders).

What the test provides itself, and so skips in the block: ``make …`` (the server is started by the fixture,
the dev extras are what this test runs in) and ``source .venv/bin/activate`` (the running interpreter's
``bin`` folder is put first on PATH). The README's address ``http://127.0.0.1:9229`` is rewritten to the
test server's, and ``USERPOOLS_URL`` points ``userpools outbox``'s default there.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from server import ServerProcess

from userpools.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"
README_URL = "http://127.0.0.1:9229"
MARKER = "<!-- readme-test"
SETUP = re.compile(r"^(make|source \.venv/bin/activate|\. \.venv/bin/activate)(\s|$)")
EXPECT = re.compile(r"\s#\s*→\s*(?P<expect>.+?)\s*$")


@dataclass(frozen=True)
class Block:
    lang: str
    text: str
    marked: bool
    line: int  # where the fence opens in README.md, for messages


@dataclass(frozen=True)
class Command:
    text: str  # as written, continuation lines kept (bash joins them)
    expect: str | None


def blocks(markdown: str) -> list[Block]:
    found: list[Block] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        found.append(Block(fence.group(1), "\n".join(lines[i + 1:end]), before.startswith(MARKER), i + 1))
        i = end + 1
    return found


def commands(block: str) -> list[Command]:
    """One entry per shell command: physical lines ending in a backslash continue the command."""
    found: list[Command] = []
    pending: list[str] = []
    for line in block.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending.append(line)
        if line.endswith("\\"):
            continue
        match = EXPECT.search(line)
        found.append(Command("\n".join(pending), match.group("expect") if match else None))
        pending = []
    assert not pending, f"a command ends in a continuation: {pending}"
    return found


def printed(expect: str, output: str) -> bool:
    pattern = r"\S+".join(re.escape(part) for part in expect.split("…"))
    return any(re.fullmatch(pattern, line.strip(" \t│")) for line in output.splitlines())


def clean_env(tmp_path: Path, server: ServerProcess) -> dict[str, str]:
    """No AWS_* variable, no ~/.aws, no USERPOOLS_* but the outbox CLI's address; our interpreter's bin first."""
    home = tmp_path / "home"
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "USERPOOLS_"))}
    bin_dir = str(Path(sys.executable).parent)
    return env | {"HOME": str(home), "PATH": bin_dir + os.pathsep + env.get("PATH", "/usr/bin:/bin"),
                  "USERPOOLS_URL": server.url}


@pytest.fixture(scope="module")
def readme() -> list[Block]:
    return blocks(README.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def fresh(server_factory: Any) -> ServerProcess:
    return server_factory("sqlite")


def test_the_first_commands_after_make_serve_are_a_block_this_test_runs(readme: list[Block]) -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    anchor = next(i for i, line in enumerate(lines, start=1) if "in another terminal" in line)
    first = next(b for b in readme if b.lang == "sh" and b.line > anchor)
    assert first.marked, f"README.md:{first.line}: the commands after `make serve` must be marked {MARKER} -->"


def test_the_marked_shell_blocks_run_as_written_without_any_aws_configuration(
    readme: list[Block], fresh: ServerProcess, tmp_path: Path
) -> None:
    marked = [b for b in readme if b.marked]
    assert marked and all(b.lang == "sh" for b in marked)
    for block in marked:
        assert README_URL in block.text, f"README.md:{block.line}: the block never names the server's address"
        run = [c for c in commands(block.text) if not SETUP.match(c.text)]
        assert any(c.expect for c in run), f"README.md:{block.line}: no command says what it prints"
        script = ["set -euo pipefail"]
        for i, command in enumerate(run):
            script += [command.text.replace(README_URL, fresh.url),
                       f"printf '\\n@@readme %d@@\\n' {i}", f"printf '\\n@@readme %d@@\\n' {i} >&2"]
        result = subprocess.run(["bash", "-c", "\n".join(script)], capture_output=True, text=True,
                                env=clean_env(tmp_path / str(block.line), fresh), cwd=tmp_path, timeout=300,
                                check=False)
        outputs = re.split(r"\n@@readme \d+@@\n", result.stdout)
        errors = re.split(r"\n@@readme \d+@@\n", result.stderr)
        done = len(outputs) - 1
        if result.returncode != 0:
            failed = run[done] if done < len(run) else None
            pytest.fail(f"README.md:{block.line}: exit {result.returncode} from\n{failed and failed.text}\n"
                        f"stdout:\n{outputs[-1]}\nstderr:\n{errors[-1]}", pytrace=False)
        assert done == len(run)
        wrong = [f"{c.text}\nshould print {c.expect!r}, printed:\n{output}"
                 for c, output in zip(run, outputs, strict=False) if c.expect and not printed(c.expect, output)]
        if wrong:
            pytest.fail(f"README.md:{block.line}:\n" + "\n".join(wrong), pytrace=False)


def test_the_boto3_block_creates_a_pool_and_a_client_on_the_server(
    readme: list[Block], fresh: ServerProcess, tmp_path: Path
) -> None:
    # The first steps' block (the pytest section's test file is run by test_pytest_plugin.py, the OAuth
    # section's by test_readme_oauth.py).
    (block,) = [b for b in readme if b.lang == "python" and "import boto3" in b.text and README_URL in b.text]
    # The block names its results `pool` and `client`; print them to check them against the server.
    source = block.text.replace(README_URL, fresh.url) + (
        '\nimport json\nprint(json.dumps({"pool": pool["Id"], "client": client["ClientId"]}))\n'
    )
    result = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True,
                            env=clean_env(tmp_path, fresh), cwd=tmp_path, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    made = json.loads(result.stdout)
    described = fresh.client().describe_user_pool_client(UserPoolId=made["pool"], ClientId=made["client"])
    assert described["UserPoolClient"]["ClientName"] == "web"


def test_every_userpools_command_in_the_shell_blocks_parses(readme: list[Block]) -> None:
    lines = [c.text for b in readme if b.lang == "sh" for c in commands(b.text)]
    uses = [shlex.split(line, comments=True) for line in lines if line.startswith("userpools ")]
    assert uses
    for args in uses:
        name, *rest = args[1:]
        command = main.commands[name]
        command.make_context(name, rest, parent=main.make_context("userpools", [name]))


def test_userpools_outbox_looks_where_the_readme_says_the_server_is() -> None:
    (url,) = [p.default for p in main.commands["outbox"].params if p.name == "url"]
    (port,) = [p.default for p in main.commands["serve"].params if p.name == "port"]
    assert url == README_URL and port == int(README_URL.rsplit(":", 1)[1])

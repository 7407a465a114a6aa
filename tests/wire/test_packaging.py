"""Packaging, as a user meets it: ``python -m build`` makes an sdist and a wheel (the wheel built from the
sdist, so the sdist is complete); the wheel holds the migrations and the pytest plugin's entry point; installed
with its dependencies into a fresh virtualenv (pip's cache and the configured index), its ``userpools serve``
answers /_userpools/health with the version of the package metadata.

Slow (about a minute: a build environment and a virtualenv): marked ``slow``, and still part of ``make test``."""

from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from server import free_port

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.mark.slow
def test_the_built_wheel_installs_in_a_fresh_virtualenv_and_serves(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "build", "--outdir", dist, ROOT)
    wheels = list(dist.glob("userpools-*.whl"))
    sdists = list(dist.glob("userpools-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    version = wheels[0].name.split("-")[1]

    with zipfile.ZipFile(wheels[0]) as wheel:
        names = set(wheel.namelist())
        entry_points = wheel.read(f"userpools-{version}.dist-info/entry_points.txt").decode()
    migrations = {n for n in names if n.startswith("userpools/storage/migrations/versions/") and n.endswith(".py")}
    source_migrations = {f"userpools/storage/migrations/versions/{p.name}"
                         for p in (ROOT / "src/userpools/storage/migrations/versions").glob("*.py")}
    assert migrations == source_migrations
    assert {"userpools/storage/migrations/env.py", "userpools/storage/migrations/script.py.mako",
            "userpools/py.typed", "userpools/pytest_plugin.py"} <= names
    assert "[pytest11]\nuserpools = userpools.pytest_plugin" in entry_points
    assert "[console_scripts]\nuserpools = userpools.cli:main" in entry_points

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheels[0], timeout=600)
    assert run(venv / "bin" / "userpools", "--version").stdout.strip().endswith(version)

    port = free_port()
    server = subprocess.Popen([venv / "bin" / "userpools", "serve", "--port", str(port), "--data-dir",
                               tmp_path / "data"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/_userpools/health", timeout=5)
                break
            except httpx.HTTPError:
                assert server.poll() is None, server.communicate()[0]
                assert time.monotonic() < deadline, "the installed server did not answer"
                time.sleep(0.1)
        assert answer.status_code == 200
        assert answer.json() == {"status": "ok", "version": version}
    finally:
        server.terminate()
        server.wait(timeout=30)

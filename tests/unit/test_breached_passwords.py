"""The breached-password file: read into a set, or (past the in-memory limit) searched in place."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from userpools.operations.breached import BreachedPasswords


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest().upper()


@pytest.mark.parametrize("limit", [10**9, 0], ids=["in-memory", "sorted-file"])
def test_every_listed_password_is_found_and_no_other(tmp_path: Path, limit: int) -> None:
    listed = [f"breached-{i}" for i in range(300)]
    lines = sorted(f"{sha1(p)}:{i + 1}" for i, p in enumerate(listed))
    (tmp_path / "list.txt").write_text("\n".join(lines) + "\n")
    found = BreachedPasswords(str(tmp_path / "list.txt"), in_memory_limit=limit)

    async def check() -> None:
        for password in listed:
            assert await found.contains(password), password
        for password in ("not-listed", "breached-300", ""):
            assert not await found.contains(password)

    asyncio.run(check())


def test_plain_hash_lines_without_counts(tmp_path: Path) -> None:
    (tmp_path / "list.txt").write_text(sha1("a") + "\n" + sha1("b").lower() + "\n")
    found = BreachedPasswords(str(tmp_path / "list.txt"))
    assert asyncio.run(found.contains("a")) and asyncio.run(found.contains("b"))


def test_no_list_finds_nothing() -> None:
    assert not BreachedPasswords().configured
    assert not asyncio.run(BreachedPasswords().contains("password"))

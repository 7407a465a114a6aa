"""Identifiers: Cognito's formats, and UUIDs that any UUID parser accepts."""

from __future__ import annotations

import re
import uuid

import pytest

from userpools import ids

TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_new_uuid_is_a_random_version_4_uuid_in_its_usual_text() -> None:
    seen = {ids.new_uuid() for _ in range(2000)}
    assert len(seen) == 2000
    for text in seen:
        parsed = uuid.UUID(text)
        assert TEXT.fullmatch(text) and str(parsed) == text
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_new_ordered_uuid_is_version_7_with_the_time_in_front(monkeypatch: pytest.MonkeyPatch) -> None:
    moment = [1_795_000_000_123_456_789]
    monkeypatch.setattr(ids.time, "time_ns", lambda: moment[0])
    first = ids.new_ordered_uuid()
    moment[0] += 1_000_000  # one millisecond later
    second = ids.new_ordered_uuid()
    for text in (first, second):
        parsed = uuid.UUID(text)
        assert TEXT.fullmatch(text) and str(parsed) == text
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert uuid.UUID(first).int >> 80 == 1_795_000_000_123  # the Unix time in milliseconds
    assert first < second  # text order is time order: appends at the end of an index
    assert len({ids.new_ordered_uuid() for _ in range(2000)}) == 2000  # the same millisecond: random after it


def test_cognito_formats() -> None:
    assert re.fullmatch(r"eu-west-1_[A-Za-z0-9]{9}", ids.new_pool_id("eu-west-1"))
    assert re.fullmatch(r"[a-z0-9]{26}", ids.new_client_id())
    assert re.fullmatch(r"[a-z0-9]{51}", ids.new_client_secret())


def test_random_bytes_are_handed_out_once_across_chunks_and_threads() -> None:
    import threading

    drawn: list[bytes] = []

    def draw() -> None:
        drawn.extend(ids.random_bytes(n) for n in (1, 12, 16, 32, 700) * 40)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(drawn) == 4 * 200 and sorted(map(len, drawn)) == sorted((1, 12, 16, 32, 700) * 160)
    long_ones = [b for b in drawn if len(b) >= 12]  # 12+ random bytes: any repeat means bytes handed out twice
    assert len(set(long_ones)) == len(long_ones)
    assert len(ids.random_bytes(10_000)) == 10_000  # more than a chunk at once


def test_a_forked_child_never_hands_out_its_parents_bytes() -> None:
    import os

    ids.random_bytes(1)  # the buffer holds bytes the parent has not handed out yet
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, ids.random_bytes(32))
        os._exit(0)
    os.close(write)
    child = os.read(read, 64)
    os.waitpid(pid, 0)
    os.close(read)
    assert len(child) == 32 and child != ids.random_bytes(32)


def test_randbelow_and_token_urlsafe() -> None:
    assert {ids.randbelow(64) for _ in range(3000)} == set(range(64))
    assert {ids.randbelow(3) for _ in range(300)} == {0, 1, 2}
    assert ids.randbelow(1) == 0
    with pytest.raises(ValueError):
        ids.randbelow(0)
    token = ids.token_urlsafe(32)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)


def test_b64url_is_base64url_without_padding() -> None:
    import base64

    for n in range(70):
        data = ids.random_bytes(n)
        assert ids.b64url(data) == base64.urlsafe_b64encode(data).rstrip(b"=")
    assert ids.b64url(b"\xfb\xff\xbf") == b"-_-_"  # the two characters that differ from base64

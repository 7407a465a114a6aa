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

"""The windows of the domain's rate limits (operations.oauth_limits)."""

from __future__ import annotations

from datetime import UTC, datetime

from userpools.operations.oauth_limits import retry_after, window_of


def test_a_window_starts_on_the_minute() -> None:
    assert window_of(datetime(2026, 1, 2, 3, 4, 59, 999999, tzinfo=UTC)) == datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    assert window_of(datetime(2026, 1, 2, 3, 5, tzinfo=UTC)) == datetime(2026, 1, 2, 3, 5, tzinfo=UTC)


def test_retry_after_is_the_whole_seconds_left_in_the_window_and_at_least_one() -> None:
    assert retry_after(datetime(2026, 1, 2, 3, 4, 0, tzinfo=UTC)) == 60
    assert retry_after(datetime(2026, 1, 2, 3, 4, 30, 500000, tzinfo=UTC)) == 30
    assert retry_after(datetime(2026, 1, 2, 3, 4, 59, 999999, tzinfo=UTC)) == 1

"""domain.sessions: session ids, DeviceType from a User-Agent, the MaxPerUser eviction order."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from userpools.domain import sessions

SESSION_ID = re.compile(r"^(tkn|sso)[a-z0-9]{25}$")  # botocore's SessionIdType pattern


@given(st.uuids())
def test_a_token_session_id_has_cognitos_form_and_names_its_family_again(value: uuid.UUID) -> None:
    session_id = sessions.token_session_id(str(value))
    assert SESSION_ID.match(session_id) and session_id.startswith("tkn")
    assert sessions.origin_jti_of(session_id) == str(value)


def test_an_sso_session_id_has_cognitos_form_and_is_not_a_token_session_id() -> None:
    session_id = sessions.sso_session_id("f" * 64)
    assert SESSION_ID.match(session_id) and session_id.startswith("sso")
    assert sessions.origin_jti_of(session_id) is None
    assert sessions.origin_jti_of("tkn" + "z" * 25) is None  # beyond 128 bits: no family


def test_device_type_names_browser_and_system_or_the_app() -> None:
    assert sessions.device_type(None) == "unknown"
    assert sessions.device_type(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Safari/537.36") == "Chrome on Windows"
    assert sessions.device_type(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1") == "Safari on iOS"
    assert sessions.device_type("Boto3/1.40.0 md/Botocore#1.40.0 os/linux#6.1") == "Boto3"


def test_eviction_takes_the_least_recently_used_to_make_room_for_one() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    live = [("a", t0 + timedelta(minutes=3)), ("b", t0), ("c", t0 + timedelta(minutes=1))]
    assert sessions.to_evict(live, 5) == []
    assert sessions.to_evict(live, 3) == ["b"]
    assert sessions.to_evict(live, 1) == ["b", "c", "a"]

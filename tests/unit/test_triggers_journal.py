"""The trigger journal the console shows: newest first, bounded, by pool, passwords never kept."""

from __future__ import annotations

from datetime import UTC, datetime

from userpools.triggers.journal import HIDDEN, TriggerJournal

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _event(pool: str, source: str = "PreSignUp_SignUp", **request: object) -> dict[str, object]:
    return {"version": "1", "userPoolId": pool, "triggerSource": source, "userName": "ann",
            "request": request, "response": {}}


def test_the_journal_keeps_the_newest_first_up_to_its_capacity() -> None:
    journal = TriggerJournal(capacity=3)
    for n in range(5):
        journal.record(at=T0, trigger="PreSignUp", function=f"fn{n}", event=_event("us-east-1_A"), answer={},
                       error=None, seconds=0.001)
    assert [e.function for e in journal.recent()] == ["fn4", "fn3", "fn2"]
    assert [e.number for e in journal.recent()] == [5, 4, 3]


def test_the_journal_filters_by_pool_and_keeps_errors() -> None:
    journal = TriggerJournal()
    journal.record(at=T0, trigger="PreSignUp", function="a", event=_event("us-east-1_A"), answer=None,
                   error="UserLambdaValidationException: PreSignUp failed with error no.", seconds=0.0)
    journal.record(at=T0, trigger="PreSignUp", function="b", event=_event("us-east-1_B"), answer={}, error=None,
                   seconds=0.0)
    [only] = journal.recent("us-east-1_A")
    assert only.function == "a" and only.answer is None and only.error.startswith("UserLambdaValidationException")
    assert only.trigger_source == "PreSignUp_SignUp" and only.pool_id == "us-east-1_A"


def test_a_password_in_an_event_is_never_kept() -> None:
    journal = TriggerJournal()
    event = _event("us-east-1_A", "UserMigration_Authentication", password="Hunter2-secret!", validationData=None)
    journal.record(at=T0, trigger="UserMigration", function="m", event=event,
                   answer={**event, "response": {"userAttributes": {"email": "ann@example.com"}}}, error=None,
                   seconds=0.0)
    [kept] = journal.recent()
    assert kept.event["request"] == {"password": HIDDEN, "validationData": None}
    assert kept.answer is not None and kept.answer["request"]["password"] == HIDDEN
    assert "Hunter2-secret!" not in repr(kept)
    assert event["request"]["password"] == "Hunter2-secret!"  # the caller's event is not changed

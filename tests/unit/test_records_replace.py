"""``records.replace`` makes what ``dataclasses.replace`` makes, for every record class of domain.records."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, datetime

import pytest

from userpools.domain import records

RECORD_CLASSES = [cls for _, cls in inspect.getmembers(records, inspect.isclass)
                  if dataclasses.is_dataclass(cls) and cls.__module__ == records.__name__]


def _sample(cls: type, marker: str) -> object:
    """An instance with a distinct value in every field (the type matters not to a dataclass)."""
    return cls(**{f.name: f"{marker}-{f.name}" for f in dataclasses.fields(cls)})


@pytest.mark.parametrize("cls", RECORD_CLASSES, ids=lambda cls: cls.__name__)
def test_replace_answers_as_dataclasses_replace(cls: type) -> None:
    record = _sample(cls, "old")
    names = [f.name for f in dataclasses.fields(cls)]
    for changed in (names[:1], names[-2:], names, []):
        changes = {name: f"new-{name}" for name in changed}
        made = records.replace(record, **changes)
        expected = dataclasses.replace(record, **changes)
        assert type(made) is cls and made == expected and hash(made) == hash(expected)
        assert repr(made) == repr(expected)
        assert made is not record and record == _sample(cls, "old")  # the old one untouched
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.__setattr__(names[0], "x")


def test_a_name_that_is_no_field_is_refused_as_dataclasses_replace_refuses_it() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    user = records.UserRecord("p", "U", "u", "s", "CONFIRMED", True, now, now)
    with pytest.raises(TypeError):
        records.replace(user, not_a_field=1)


def test_another_dataclass_goes_to_dataclasses_replace() -> None:
    @dataclasses.dataclass(frozen=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            if self.value < 0:
                raise ValueError("negative")

    assert records.replace(Checked(1), value=2) == Checked(2)
    with pytest.raises(ValueError, match="negative"):
        records.replace(Checked(1), value=-1)


def test_the_store_s_records_take_the_copy() -> None:
    for cls in RECORD_CLASSES:
        records.replace(_sample(cls, "x"))
    assert records._PLAIN_FIELDS[records.UserRecord] == {f.name for f in dataclasses.fields(records.UserRecord)}
    assert all(records._PLAIN_FIELDS[cls] for cls in RECORD_CLASSES), [
        cls.__name__ for cls in RECORD_CLASSES if not records._PLAIN_FIELDS[cls]]


@pytest.mark.parametrize("cls", RECORD_CLASSES, ids=lambda cls: cls.__name__)
def test_made_answers_as_the_constructor(cls: type) -> None:
    fields = {f.name: f"v-{f.name}" for f in dataclasses.fields(cls)}
    built = records.made(cls, dict(fields))
    expected = cls(**fields)
    assert type(built) is cls and built == expected and hash(built) == hash(expected) and repr(built) == repr(expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.__setattr__(next(iter(fields)), "x")


def test_made_with_a_field_missing_or_unknown_goes_to_the_constructor() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    some = {"pool_id": "p", "username": "U", "username_key": "u", "sub": "s", "status": "CONFIRMED",
            "enabled": True, "created_at": now, "updated_at": now}
    assert records.made(records.UserRecord, dict(some)) == records.UserRecord(**some)  # defaults filled in
    with pytest.raises(TypeError):
        records.made(records.UserRecord, {**some, "not_a_field": 1})

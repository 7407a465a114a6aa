"""A custom sign-in's state (domain.custom_auth) and a migration answer read (domain.user_migration)."""

from __future__ import annotations

import pytest

from userpools.domain import custom_auth, user_migration
from userpools.domain.custom_auth import Decision, Progress, decide
from userpools.errors import InvalidLambdaResponseException, UserNotFoundException

SUB = "893a75fc-60f1-7096-5bbb-f43e009f2b3b"


def test_progress_round_trips_through_session_data() -> None:
    progress = Progress("jane").then("SRP_A", True).then("PASSWORD_VERIFIER", True)
    waiting = progress.waiting(private={"code": "123456"}, metadata="MAGIC")
    back = Progress.from_data("jane", waiting.to_data())
    assert back == waiting
    assert back is not None and back.session_list() == [
        {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None},
        {"challengeName": "PASSWORD_VERIFIER", "challengeResult": True, "challengeMetadata": None},
    ]
    assert back.then("CUSTOM_CHALLENGE", False, "MAGIC").private == {}  # the next step starts clean
    unknown = Progress("no-one", unknown=True).waiting(srp_block="abc")
    assert Progress.from_data("no-one", unknown.to_data()) == unknown
    assert Progress.from_data("jane", {}) is None  # not a custom sign-in's Session
    assert Progress.from_data("jane", {"flow": custom_auth.FLOW, "h": [["x"]]}) is None


def test_define_auth_challenge_answers() -> None:
    after_srp = (("SRP_A", True, None),)
    assert decide({"failAuthentication": True, "issueTokens": True}, ()) == Decision("fail")
    assert decide({"issueTokens": True, "challengeName": "CUSTOM_CHALLENGE"}, ()) == Decision("tokens")
    assert decide({"challengeName": "CUSTOM_CHALLENGE"}, ()) == Decision("challenge", "CUSTOM_CHALLENGE")
    assert decide({"challengeName": "PASSWORD_VERIFIER"}, after_srp) == Decision("challenge", "PASSWORD_VERIFIER")
    for response, history in (({}, ()), (None, ()), ({"challengeName": "PASSWORD_VERIFIER"}, ()),
                              ({"challengeName": "SMS_MFA"}, after_srp), ({"issueTokens": False}, ())):
        with pytest.raises(InvalidLambdaResponseException):
            decide(response, history)


def test_a_migration_answer_makes_a_user_or_says_why_not() -> None:
    plain: dict[str, object] = {}
    assert user_migration.read_answer(plain, "ann", {}, sub=SUB) is None
    assert user_migration.read_answer(plain, "ann", {"userAttributes": {}}, sub=SUB) is None
    user = user_migration.read_answer(plain, "ann", {"userAttributes": {"email": "a@example.com", "sub": "x"}},
                                      sub=SUB)
    assert user is not None and user.username == "ann" and user.status == "CONFIRMED"
    assert user.attributes == {"email": "a@example.com"} and not user.suppress_message
    assert user.delivery_mediums == ("SMS",)
    by_email = user_migration.read_answer({"UsernameAttributes": ["email"]}, "a@example.com",
                                          {"userAttributes": {"name": "A"}, "messageAction": "SUPPRESS",
                                           "finalUserStatus": "RESET_REQUIRED"}, sub=SUB)
    assert by_email is not None and by_email.username == SUB and by_email.status == "RESET_REQUIRED"
    assert by_email.attributes["email"] == "a@example.com" and by_email.suppress_message
    for bad, message in (({"finalUserStatus": "UNCONFIRMED"}, "Error during migration: Invalid finalUserStatus"),
                         ({"messageAction": "RESEND"}, "Error during migration: Invalid messageAction"),
                         ({"desiredDeliveryMediums": ["FAX"]}, "Error during migration: Invalid desiredDeliveryMediums")):
        with pytest.raises(UserNotFoundException) as excinfo:
            user_migration.read_answer(plain, "ann", {"userAttributes": {"email": "a@example.com"}, **bad}, sub=SUB)
        assert excinfo.value.message == message
    with pytest.raises(UserNotFoundException) as excinfo:
        user_migration.read_answer({"AliasAttributes": ["email"]}, "a@example.com",
                                   {"userAttributes": {"email": "a@example.com"}}, sub=SUB)
    assert excinfo.value.message == (
        "Username cannot be of email format, since user pool is configured for email alias.")

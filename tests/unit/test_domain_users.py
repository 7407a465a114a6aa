"""The user domain: username keys and case sensitivity, sign-in aliases, the username of SignUp/AdminCreateUser in
UsernameAttributes and AliasAttributes pools, the schema rules for new users, updates and deletions (with
Cognito's texts), client read/write permissions, and the UserType / AdminGetUser / GetUser views with Cognito's
attribute order, and the media of AdminCreateUser's invitation."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from userpools.domain.pools import new_pool_settings
from userpools.domain.records import UserRecord
from userpools.domain.users import (
    admin_get_user,
    alias_key,
    aliases_for,
    get_user,
    invitation_mediums,
    ordered_attributes,
    readable_attributes,
    resolve_sign_up_username,
    user_type,
    username_key,
    validate_attribute_deletion,
    validate_attribute_update,
    validate_new_user_attributes,
    writable_attributes,
)
from userpools.errors import InvalidParameterException, NotAuthorizedException

SUB = "4320de44-2322-4620-999b-5e2e1c8df013"
CREATED = datetime(2019, 1, 21, 22, 8, 29, 537000, tzinfo=UTC)
MODIFIED = datetime(2019, 1, 22, 8, 0, 0, tzinfo=UTC)
CUSTOM = [
    {
        "Name": "tier",
        "AttributeDataType": "String",
        "StringAttributeConstraints": {"MinLength": "2", "MaxLength": "5"},
    },
    {
        "Name": "age",
        "AttributeDataType": "Number",
        "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "150"},
    },
    {"Name": "member", "AttributeDataType": "Boolean"},
    {"Name": "joined", "AttributeDataType": "DateTime"},
    {"Name": "secret", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
    {"Name": "tenant", "AttributeDataType": "String", "Mutable": False},
]


def pool(**request) -> dict:
    return new_pool_settings(request)


PLAIN = pool()
SCHEMA_POOL = pool(Schema=[*CUSTOM, {"Name": "email", "Required": True}, {"Name": "name", "Required": True}])
EMAIL_POOL = pool(UsernameAttributes=["email"], UsernameConfiguration={"CaseSensitive": False})
PHONE_POOL = pool(UsernameAttributes=["phone_number"])
BOTH_POOL = pool(UsernameAttributes=["email", "phone_number"])
ALIAS_POOL = pool(AliasAttributes=["email", "phone_number", "preferred_username"])
VERIFYING = pool(AutoVerifiedAttributes=["email", "phone_number"])
HOLDING = pool(
    AutoVerifiedAttributes=["email"],
    UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
)


def attrs(**values) -> list[dict]:
    return [{"Name": k.replace("__", ":"), "Value": v} for k, v in values.items()]


def refused(message: str, exc: type[Exception] = InvalidParameterException):
    return pytest.raises(exc, match=f"^{re.escape(message)}$")


def user(attributes: dict | None = None, **fields) -> UserRecord:
    values = {
        "pool_id": "us-west-2_aaaaaaaaa",
        "username": "jane",
        "username_key": "jane",
        "sub": SUB,
        "status": "CONFIRMED",
        "enabled": True,
        "created_at": CREATED,
        "updated_at": MODIFIED,
        "attributes": attributes if attributes is not None else {"email": "jane@example.com"},
    }
    values.update(fields)
    return UserRecord(**values)


# --- usernames ------------------------------------------------------------------------------------------------


def test_username_key_keeps_case_when_pool_has_no_username_configuration():
    assert username_key(PLAIN, "Jane.Doe") == "Jane.Doe"


def test_username_key_keeps_case_when_case_sensitive():
    assert username_key(pool(UsernameConfiguration={"CaseSensitive": True}), "Jane") == "Jane"


def test_username_key_is_lower_case_when_case_insensitive():
    assert username_key(pool(UsernameConfiguration={"CaseSensitive": False}), "Jane.DOE") == "jane.doe"


# --- aliases --------------------------------------------------------------------------------------------------


def test_plain_pool_gives_no_aliases():
    assert aliases_for(PLAIN, {"email": "a@example.com", "email_verified": "true"}) == {}


def test_alias_pool_email_is_an_alias_only_when_verified():
    assert aliases_for(ALIAS_POOL, {"email": "a@example.com"}) == {}
    assert aliases_for(ALIAS_POOL, {"email": "a@example.com", "email_verified": "false"}) == {}
    assert aliases_for(ALIAS_POOL, {"email": "a@example.com", "email_verified": "true"}) == {
        "email": "a@example.com"
    }


def test_alias_pool_phone_is_an_alias_only_when_verified():
    assert aliases_for(ALIAS_POOL, {"phone_number": "+15555551212"}) == {}
    verified = {"phone_number": "+15555551212", "phone_number_verified": "true"}
    assert aliases_for(ALIAS_POOL, verified) == {"phone_number": "+15555551212"}


def test_alias_pool_preferred_username_is_always_an_alias():
    assert aliases_for(ALIAS_POOL, {"preferred_username": "jd"}) == {"preferred_username": "jd"}


def test_only_configured_alias_kinds_count():
    email_only = pool(AliasAttributes=["email"])
    assert (
        aliases_for(
            email_only, {"preferred_username": "jd", "phone_number": "+1555", "phone_number_verified": "true"}
        )
        == {}
    )


def test_aliases_are_folded_when_the_pool_is_case_insensitive():
    folded = pool(
        AliasAttributes=["email", "preferred_username"], UsernameConfiguration={"CaseSensitive": False}
    )
    held = aliases_for(
        folded, {"email": "Jane@Example.COM", "email_verified": "true", "preferred_username": "JD"}
    )
    assert held == {"email": "jane@example.com", "preferred_username": "jd"}


def test_aliases_keep_case_when_the_pool_is_case_sensitive():
    held = aliases_for(ALIAS_POOL, {"email": "Jane@Example.COM", "email_verified": "true"})
    assert held == {"email": "Jane@Example.COM"}


def test_alias_key_never_folds_phone_numbers():
    assert alias_key(EMAIL_POOL, "phone_number", "+15555551212") == "+15555551212"


def test_username_attributes_pool_signs_in_by_unverified_email():
    assert aliases_for(EMAIL_POOL, {"email": "Jane@Example.com"}) == {"email": "jane@example.com"}


def test_username_attributes_pool_with_both_kinds_holds_both():
    held = aliases_for(BOTH_POOL, {"email": "j@example.com", "phone_number": "+15555551212"})
    assert held == {"email": "j@example.com", "phone_number": "+15555551212"}


def test_username_attributes_pool_ignores_the_other_kind():
    assert aliases_for(EMAIL_POOL, {"phone_number": "+15555551212", "phone_number_verified": "true"}) == {}


# --- SignUp / AdminCreateUser usernames -------------------------------------------------------------------------


def test_plain_pool_keeps_the_username_and_attributes():
    assert resolve_sign_up_username(PLAIN, "diego", attrs(email="d@example.com"), sub=SUB) == (
        "diego",
        attrs(email="d@example.com"),
    )


def test_email_alias_pool_refuses_an_email_shaped_username():
    with refused("Username cannot be of email format, since user pool is configured for email alias."):
        resolve_sign_up_username(ALIAS_POOL, "jane@example.com", [], sub=SUB)


def test_phone_alias_pool_refuses_a_phone_shaped_username():
    with refused(
        "Username cannot be of phone number format, since user pool is configured for phone number alias."
    ):
        resolve_sign_up_username(ALIAS_POOL, "+15555551212", [], sub=SUB)


def test_alias_pool_accepts_an_ordinary_username():
    assert resolve_sign_up_username(ALIAS_POOL, "jane", [], sub=SUB) == ("jane", [])


def test_email_pool_stores_the_sub_as_username_and_the_email_as_attribute():
    username, attributes = resolve_sign_up_username(
        EMAIL_POOL, "jane@example.com", attrs(name="Jane"), sub=SUB
    )
    assert username == SUB
    assert attributes == attrs(name="Jane", email="jane@example.com")


def test_email_pool_refuses_a_username_that_is_not_an_email():
    with refused("Username should be an email."):
        resolve_sign_up_username(EMAIL_POOL, "jane", [], sub=SUB)


def test_phone_pool_refuses_a_username_that_is_not_a_phone_number():
    with refused("Username should be a phone number."):
        resolve_sign_up_username(PHONE_POOL, "jane@example.com", [], sub=SUB)


def test_email_and_phone_pool_refuses_a_username_that_is_neither():
    with refused("Username should be either an email or a phone number."):
        resolve_sign_up_username(BOTH_POOL, "jane", [], sub=SUB)


def test_email_and_phone_pool_stores_a_phone_username_as_phone_number():
    assert resolve_sign_up_username(BOTH_POOL, "+15555551212", [], sub=SUB) == (
        SUB,
        attrs(phone_number="+15555551212"),
    )


def test_email_pool_refuses_a_different_email_attribute():
    with refused("User email should be empty or same as username, since username attribute is email."):
        resolve_sign_up_username(EMAIL_POOL, "jane@example.com", attrs(email="other@example.com"), sub=SUB)


def test_phone_pool_refuses_a_different_phone_attribute():
    with refused(
        "User phone_number should be empty or same as username, since username attribute is phone_number."
    ):
        resolve_sign_up_username(PHONE_POOL, "+15555551212", attrs(phone_number="+15555550000"), sub=SUB)


def test_email_pool_accepts_the_same_email_attribute_once():
    _, attributes = resolve_sign_up_username(
        EMAIL_POOL, "j@example.com", attrs(email="j@example.com"), sub=SUB
    )
    assert attributes == attrs(email="j@example.com")


def test_email_pool_fills_an_empty_email_attribute():
    _, attributes = resolve_sign_up_username(EMAIL_POOL, "j@example.com", attrs(email=""), sub=SUB)
    assert attributes == attrs(email="j@example.com")


def test_case_insensitive_email_pool_accepts_the_email_in_another_case():
    _, attributes = resolve_sign_up_username(
        EMAIL_POOL, "J@Example.com", attrs(email="j@example.com"), sub=SUB
    )
    assert attributes == attrs(email="J@Example.com")


def test_email_pool_keeps_a_phone_number_attribute():
    _, attributes = resolve_sign_up_username(
        EMAIL_POOL, "j@example.com", attrs(phone_number="+1555"), sub=SUB
    )
    assert attributes == attrs(phone_number="+1555", email="j@example.com")


# --- attributes of a new user -----------------------------------------------------------------------------------


def test_new_user_attributes_are_returned_as_a_dict():
    assert validate_new_user_attributes(PLAIN, attrs(email="j@example.com", name="J"), for_admin=True) == {
        "email": "j@example.com",
        "name": "J",
    }


def test_unknown_attribute_is_refused_with_the_schema_message():
    with refused(
        "Attributes did not conform to the schema: favorite_flavor: Attribute does not exist in the schema.\n"
    ):
        validate_new_user_attributes(PLAIN, attrs(favorite_flavor="x"), for_admin=False)


def test_every_unknown_attribute_gets_its_own_line():
    with refused(
        "Attributes did not conform to the schema: custom:firstName: Attribute does not exist in the schema.\n"
        "custom:lastName: Attribute does not exist in the schema.\n"
    ):
        validate_new_user_attributes(
            PLAIN, attrs(custom__firstName="a", custom__lastName="b"), for_admin=False
        )


def test_custom_attribute_needs_its_prefix():
    with refused("Attributes did not conform to the schema: tier: Attribute does not exist in the schema.\n"):
        validate_new_user_attributes(SCHEMA_POOL, attrs(tier="gold"), for_admin=True)
    assert validate_new_user_attributes(SCHEMA_POOL, attrs(custom__tier="gold"), for_admin=True) == {
        "custom:tier": "gold"
    }


def test_sub_cannot_be_given():
    with refused("Attributes did not conform to the schema: sub: Attribute cannot be updated.\n"):
        validate_new_user_attributes(PLAIN, attrs(sub=SUB), for_admin=True)


def test_sign_up_without_a_required_attribute_is_refused():
    with refused("Attributes did not conform to the schema: name: The attribute is required\n"):
        validate_new_user_attributes(SCHEMA_POOL, attrs(email="j@example.com"), for_admin=False)


def test_sign_up_without_several_required_attributes_lists_each_in_schema_order():
    with refused(
        "Attributes did not conform to the schema: name: The attribute is required\nemail: The attribute is required\n"
    ):
        validate_new_user_attributes(SCHEMA_POOL, [], for_admin=False)


def test_empty_value_does_not_satisfy_a_required_attribute():
    with refused("Attributes did not conform to the schema: name: The attribute is required\n"):
        validate_new_user_attributes(SCHEMA_POOL, attrs(email="j@example.com", name=""), for_admin=False)


def test_admin_create_user_may_leave_required_attributes_out():
    assert validate_new_user_attributes(SCHEMA_POOL, [], for_admin=True) == {}


def test_empty_values_are_not_stored():
    assert validate_new_user_attributes(PLAIN, attrs(name="", nickname="n"), for_admin=True) == {
        "nickname": "n"
    }


def test_repeated_attribute_keeps_the_last_value():
    given = [{"Name": "name", "Value": "a"}, {"Name": "name", "Value": "b"}]
    assert validate_new_user_attributes(PLAIN, given, for_admin=True) == {"name": "b"}


def test_string_longer_than_max_length_is_refused():
    with refused(
        "Attributes did not conform to the schema: custom:tier: String must be no longer than 5 characters\n"
    ):
        validate_new_user_attributes(SCHEMA_POOL, attrs(custom__tier="platinum"), for_admin=True)


def test_string_shorter_than_min_length_is_refused():
    with refused(
        "Attributes did not conform to the schema: custom:tier: String must be no shorter than 2 characters\n"
    ):
        validate_new_user_attributes(SCHEMA_POOL, attrs(custom__tier="a"), for_admin=True)


def test_birthdate_must_be_ten_characters():
    with refused(
        "Attributes did not conform to the schema: birthdate: String must be no longer than 10 characters\n"
    ):
        validate_new_user_attributes(PLAIN, attrs(birthdate="1990-01-011"), for_admin=True)
    assert validate_new_user_attributes(PLAIN, attrs(birthdate="1990-01-01"), for_admin=True)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("old", "Number must be an integer"),
        ("1.5", "Number must be an integer"),
        ("-1", "Number must be no less than 0"),
        ("151", "Number must be no greater than 150"),
    ],
)
def test_number_attribute_must_be_an_integer_in_range(value, reason):
    with refused(f"Attributes did not conform to the schema: custom:age: {reason}\n"):
        validate_new_user_attributes(SCHEMA_POOL, attrs(custom__age=value), for_admin=True)


def test_number_attribute_in_range_is_accepted():
    assert validate_new_user_attributes(SCHEMA_POOL, attrs(custom__age="42"), for_admin=True) == {
        "custom:age": "42"
    }


def test_updated_at_must_be_a_number():
    with refused("Attributes did not conform to the schema: updated_at: Number must be an integer\n"):
        validate_new_user_attributes(PLAIN, attrs(updated_at="yesterday"), for_admin=True)


def test_boolean_attribute_must_be_true_or_false():
    with refused("Attributes did not conform to the schema: custom:member: Boolean must be true or false\n"):
        validate_new_user_attributes(SCHEMA_POOL, attrs(custom__member="yes"), for_admin=True)
    assert validate_new_user_attributes(SCHEMA_POOL, attrs(custom__member="true"), for_admin=True)


def test_datetime_attribute_must_be_iso_8601():
    with refused(
        "Attributes did not conform to the schema: custom:joined: DateTime must be in ISO 8601 format\n"
    ):
        validate_new_user_attributes(SCHEMA_POOL, attrs(custom__joined="last tuesday"), for_admin=True)
    assert validate_new_user_attributes(
        SCHEMA_POOL, attrs(custom__joined="2024-05-01T10:00:00Z"), for_admin=True
    )


def test_every_value_problem_is_reported_together():
    with refused(
        "Attributes did not conform to the schema: custom:tier: String must be no longer than 5 characters\n"
        "custom:age: Number must be an integer\n"
    ):
        validate_new_user_attributes(
            SCHEMA_POOL, attrs(custom__tier="platinum", custom__age="x"), for_admin=True
        )


@pytest.mark.parametrize("email", ["asdf", "a@", "@example.com", "a b@example.com", "a@b@c"])
def test_malformed_email_is_refused(email):
    with refused("Invalid email address format."):
        validate_new_user_attributes(PLAIN, attrs(email=email), for_admin=True)


@pytest.mark.parametrize(
    "phone", ["5555551212", "+1 555 555 1212", "+1-555-5551212", "+", "+1234567890123456"]
)
def test_malformed_phone_number_is_refused(phone):
    with refused("Invalid phone number format."):
        validate_new_user_attributes(PLAIN, attrs(phone_number=phone), for_admin=True)


def test_e164_phone_number_is_accepted():
    assert validate_new_user_attributes(PLAIN, attrs(phone_number="+01115551212"), for_admin=True)


def test_admin_may_mark_email_and_phone_verified():
    values = attrs(
        email="j@example.com",
        email_verified="True",
        phone_number="+15555551212",
        phone_number_verified="false",
    )
    assert validate_new_user_attributes(PLAIN, values, for_admin=True) == {
        "email": "j@example.com",
        "email_verified": "true",
        "phone_number": "+15555551212",
        "phone_number_verified": "false",
    }


def test_verified_flag_must_be_a_boolean():
    with refused("Attributes did not conform to the schema: email_verified: Boolean must be true or false\n"):
        validate_new_user_attributes(
            PLAIN, attrs(email="j@example.com", email_verified="yes"), for_admin=True
        )


def test_email_verified_without_an_email_is_refused():
    with refused(
        "Attributes did not conform to the schema: email_verified: email must have a value to be set as verified\n"
    ):
        validate_new_user_attributes(PLAIN, attrs(email_verified="true"), for_admin=True)


def test_sign_up_cannot_mark_the_email_verified():
    values = validate_new_user_attributes(
        PLAIN, attrs(email="j@example.com", email_verified="true"), for_admin=False
    )
    assert values == {"email": "j@example.com"}


def test_sign_up_cannot_write_a_developer_only_attribute():
    with refused("A client attempted to write unauthorized attribute", NotAuthorizedException):
        validate_new_user_attributes(
            SCHEMA_POOL, attrs(email="j@example.com", name="J", dev__custom__secret="s"), for_admin=False
        )


def test_admin_create_user_may_write_a_developer_only_attribute():
    assert validate_new_user_attributes(SCHEMA_POOL, attrs(dev__custom__secret="s"), for_admin=True) == {
        "dev:custom:secret": "s"
    }


def test_sign_up_cannot_write_an_attribute_outside_the_clients_write_attributes():
    with refused("A client attempted to write unauthorized attribute", NotAuthorizedException):
        validate_new_user_attributes(
            PLAIN, attrs(email="j@example.com", name="J"), for_admin=False, write_attributes=["email"]
        )


def test_sign_up_may_write_custom_attributes_when_the_client_lists_no_write_attributes():
    values = validate_new_user_attributes(
        SCHEMA_POOL, attrs(email="j@example.com", name="J", custom__tier="gold"), for_admin=False
    )
    assert values == {"email": "j@example.com", "name": "J", "custom:tier": "gold"}


def test_immutable_attribute_can_be_set_at_creation():
    assert validate_new_user_attributes(SCHEMA_POOL, attrs(custom__tenant="acme"), for_admin=True) == {
        "custom:tenant": "acme"
    }


# --- client permissions -----------------------------------------------------------------------------------------


def test_default_readable_attributes_are_standard_ones_and_the_verified_flags():
    readable = readable_attributes(SCHEMA_POOL, None)
    assert {"sub", "email", "email_verified", "phone_number_verified", "updated_at"} <= readable
    assert not any(name.startswith(("custom:", "dev:")) for name in readable)


def test_explicit_readable_attributes_are_the_list_plus_sub():
    assert readable_attributes(SCHEMA_POOL, ["email", "custom:tier"]) == {"sub", "email", "custom:tier"}


def test_default_writable_attributes_exclude_sub_verified_flags_and_developer_only():
    writable = writable_attributes(SCHEMA_POOL, None)
    assert "custom:tier" in writable and "email" in writable
    assert not writable & {"sub", "email_verified", "phone_number_verified", "dev:custom:secret"}


# --- updates ----------------------------------------------------------------------------------------------------


def update(settings, current, updates, *, for_admin=True, write_attributes=None):
    return validate_attribute_update(
        settings, current, updates, for_admin=for_admin, write_attributes=write_attributes
    )


def test_update_sets_new_values():
    result = update(PLAIN, {"name": "a"}, attrs(name="b", nickname="n"))
    assert result == {"attributes": {"name": "b", "nickname": "n"}, "pending": {}, "verify": []}


def test_update_of_unknown_attribute_names_it_with_user_prefix():
    with refused("user.update_email: Attribute does not exist in the schema.\n"):
        update(PLAIN, {}, attrs(update_email="x@example.com"), for_admin=False)


def test_update_of_immutable_attribute_is_refused_even_with_the_same_value():
    with refused("user.custom:tenant: Attribute cannot be updated.\n"):
        update(SCHEMA_POOL, {"custom:tenant": "acme"}, attrs(custom__tenant="acme"))


def test_update_of_immutable_attribute_is_refused_even_when_never_set():
    with refused("user.custom:tenant: Attribute cannot be updated.\n"):
        update(SCHEMA_POOL, {}, attrs(custom__tenant="acme"))


def test_update_of_immutable_standard_attribute_is_refused():
    immutable_email = pool(Schema=[{"Name": "email", "Mutable": False}])
    with refused("user.email: Attribute cannot be updated.\n"):
        update(immutable_email, {"email": "a@example.com"}, attrs(email="b@example.com"))


def test_update_of_sub_is_refused():
    with refused("user.sub: Attribute cannot be updated.\n"):
        update(PLAIN, {}, attrs(sub=SUB))


def test_blank_value_deletes_the_attribute():
    assert update(PLAIN, {"name": "a", "nickname": "n"}, attrs(name=""))["attributes"] == {"nickname": "n"}


def test_blank_value_for_a_required_attribute_is_refused():
    with refused("user.email: The attribute is required\n"):
        update(SCHEMA_POOL, {"email": "a@example.com", "name": "A"}, attrs(email=""))


def test_deleting_the_email_by_update_removes_its_verified_flag():
    current = {"email": "a@example.com", "email_verified": "true"}
    assert update(PLAIN, current, attrs(email=""))["attributes"] == {}


def test_update_value_problems_use_the_user_prefix():
    with refused("user.custom:age: Number must be no greater than 150\n"):
        update(SCHEMA_POOL, {}, attrs(custom__age="200"))


def test_update_with_malformed_email_is_refused():
    with refused("Invalid email address format."):
        update(PLAIN, {}, attrs(email="nope"))


def test_changed_email_becomes_unverified():
    result = update(PLAIN, {"email": "a@example.com", "email_verified": "true"}, attrs(email="b@example.com"))
    assert result["attributes"] == {"email": "b@example.com", "email_verified": "false"}
    assert result["verify"] == []


def test_changed_email_gets_a_code_when_the_pool_auto_verifies_it():
    result = update(
        VERIFYING,
        {"email": "a@example.com", "email_verified": "true"},
        attrs(email="b@example.com"),
        for_admin=False,
    )
    assert result == {
        "attributes": {"email": "b@example.com", "email_verified": "false"},
        "pending": {},
        "verify": ["email"],
    }


def test_changed_phone_number_becomes_unverified_and_gets_a_code():
    current = {"phone_number": "+15555550000", "phone_number_verified": "true"}
    result = update(VERIFYING, current, attrs(phone_number="+15555551212"), for_admin=False)
    assert result["attributes"] == {"phone_number": "+15555551212", "phone_number_verified": "false"}
    assert result["verify"] == ["phone_number"]


def test_unchanged_email_keeps_its_verification():
    current = {"email": "a@example.com", "email_verified": "true"}
    assert update(VERIFYING, current, attrs(email="a@example.com"), for_admin=False) == {
        "attributes": current,
        "pending": {},
        "verify": [],
    }


def test_email_requiring_verification_before_update_is_held_back():
    current = {"email": "a@example.com", "email_verified": "true"}
    result = update(HOLDING, current, attrs(email="b@example.com"), for_admin=False)
    assert result == {"attributes": current, "pending": {"email": "b@example.com"}, "verify": ["email"]}


def test_admin_update_with_email_verified_true_skips_the_code():
    current = {"email": "a@example.com", "email_verified": "false"}
    result = update(HOLDING, current, attrs(email="b@example.com", email_verified="true"))
    assert result == {
        "attributes": {"email": "b@example.com", "email_verified": "true"},
        "pending": {},
        "verify": [],
    }


def test_admin_may_mark_the_current_email_verified():
    current = {"email": "a@example.com", "email_verified": "false"}
    result = update(VERIFYING, current, attrs(email_verified="TRUE"))
    assert result["attributes"] == {"email": "a@example.com", "email_verified": "true"}


def test_admin_flag_sent_with_the_unchanged_email_is_applied():
    current = {"email": "a@example.com", "email_verified": "false"}
    result = update(VERIFYING, current, attrs(email="a@example.com", email_verified="true"))
    assert result["attributes"] == {"email": "a@example.com", "email_verified": "true"}


def test_user_cannot_mark_their_own_email_verified():
    current = {"email": "a@example.com", "email_verified": "false"}
    assert update(VERIFYING, current, attrs(email_verified="true"), for_admin=False)["attributes"] == current


def test_user_update_outside_the_clients_write_attributes_is_refused():
    with refused("A client attempted to write unauthorized attribute", NotAuthorizedException):
        update(PLAIN, {}, attrs(name="x"), for_admin=False, write_attributes=["email"])


def test_user_cannot_update_a_developer_only_attribute():
    with refused("A client attempted to write unauthorized attribute", NotAuthorizedException):
        update(SCHEMA_POOL, {}, attrs(dev__custom__secret="x"), for_admin=False)


def test_admin_may_update_a_developer_only_attribute():
    assert update(SCHEMA_POOL, {}, attrs(dev__custom__secret="x"))["attributes"] == {"dev:custom:secret": "x"}


# --- deletions --------------------------------------------------------------------------------------------------


def test_deletion_removes_the_named_attributes():
    assert validate_attribute_deletion(PLAIN, {"name": "a", "nickname": "n"}, ["name"]) == {"nickname": "n"}


def test_deleting_an_attribute_the_user_lacks_is_a_no_op():
    assert validate_attribute_deletion(PLAIN, {"name": "a"}, ["nickname"]) == {"name": "a"}


def test_deleting_the_phone_number_removes_its_verified_flag():
    current = {"phone_number": "+15555551212", "phone_number_verified": "true", "name": "a"}
    assert validate_attribute_deletion(PLAIN, current, ["phone_number"]) == {"name": "a"}


def test_deleting_a_required_attribute_is_refused():
    with refused("user.name: The attribute is required\n"):
        validate_attribute_deletion(SCHEMA_POOL, {"name": "A"}, ["name"])


def test_deleting_an_immutable_attribute_is_refused():
    with refused("user.custom:tenant: Attribute cannot be updated.\n"):
        validate_attribute_deletion(SCHEMA_POOL, {"custom:tenant": "acme"}, ["custom:tenant"])


def test_deleting_an_unknown_attribute_is_refused():
    with refused("user.favorite_flavor: Attribute does not exist in the schema.\n"):
        validate_attribute_deletion(PLAIN, {}, ["favorite_flavor"])


def test_user_deleting_a_developer_only_attribute_is_refused():
    with refused("A client attempted to write unauthorized attribute", NotAuthorizedException):
        validate_attribute_deletion(
            SCHEMA_POOL, {"dev:custom:secret": "s"}, ["dev:custom:secret"], for_admin=False
        )


def test_user_deleting_their_verified_flag_changes_nothing():
    current = {"email": "a@example.com", "email_verified": "true"}
    assert validate_attribute_deletion(PLAIN, current, ["email_verified"], for_admin=False) == current


# --- attribute order ----------------------------------------------------------------------------------------------


def test_attribute_order_matches_aws_cli_admin_create_user_output():
    listed = ordered_attributes({"sub": SUB, "email": "diego@example.com", "phone_number": "+15555551212"})
    assert [a["Name"] for a in listed] == ["sub", "phone_number", "email"]


def test_attribute_order_matches_aws_cli_admin_get_user_output():
    given = {
        "sub": SUB,
        "email": "e",
        "phone_number": "p",
        "phone_number_verified": "true",
        "email_verified": "true",
    }
    names = [a["Name"] for a in ordered_attributes(given)]
    assert names == ["sub", "email_verified", "phone_number_verified", "phone_number", "email"]


def test_attribute_order_matches_get_user_output_seen_by_boto3_users():
    names = [a["Name"] for a in ordered_attributes({"sub": SUB, "email": "e", "email_verified": "true"})]
    assert names == ["sub", "email_verified", "email"]


def test_attribute_order_matches_aws_cli_get_user_output():
    given = ["sub", "email", "locale", "preferred_username", "phone_number", "phone_number_verified", "name"]
    given += ["email_verified", "identities"]
    names = [a["Name"] for a in ordered_attributes(dict.fromkeys(given, "v"))]
    expected = ["sub", "email_verified", "identities", "name", "phone_number_verified", "phone_number"]
    assert names == [*expected, "preferred_username", "locale", "email"]


def test_attribute_order_puts_sub_first_and_keeps_every_attribute_when_the_table_grows():
    given = {"sub": SUB, **{f"custom:a{i}": str(i) for i in range(30)}}
    listed = ordered_attributes(given)
    assert listed[0] == {"Name": "sub", "Value": SUB}
    assert sorted(a["Name"] for a in listed) == sorted(given)


# --- views --------------------------------------------------------------------------------------------------------


def test_user_type_has_cognitos_members():
    assert user_type(user()) == {
        "Username": "jane",
        "Attributes": [{"Name": "sub", "Value": SUB}, {"Name": "email", "Value": "jane@example.com"}],
        "UserCreateDate": CREATED,
        "UserLastModifiedDate": MODIFIED,
        "Enabled": True,
        "UserStatus": "CONFIRMED",
    }


def test_user_type_members_are_in_model_order():
    assert list(
        user_type(user(extra={"MFAOptions": [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]}))
    ) == [
        "Username",
        "Attributes",
        "UserCreateDate",
        "UserLastModifiedDate",
        "Enabled",
        "UserStatus",
        "MFAOptions",
    ]


def test_user_type_shows_mfa_options_only_when_set():
    assert "MFAOptions" not in user_type(user(extra={"MFAOptions": []}))


def test_user_type_with_attributes_to_get_lists_only_those():
    record = user({"email": "j@example.com", "name": "J"})
    assert user_type(record, attributes_to_get=["email"])["Attributes"] == [
        {"Name": "email", "Value": "j@example.com"}
    ]


def test_user_type_with_empty_attributes_to_get_lists_none():
    assert user_type(user(), attributes_to_get=[])["Attributes"] == []


def test_user_type_leaves_out_a_missing_searchable_attribute():
    assert user_type(user(), attributes_to_get=["given_name"])["Attributes"] == []


def test_user_type_refuses_a_missing_attribute_that_cannot_be_searched():
    with refused("One or more requested attributes do not exist."):
        user_type(user(), attributes_to_get=["custom:tier"])


def test_disabled_user_type_says_so():
    assert user_type(user(enabled=False, status="FORCE_CHANGE_PASSWORD"))["Enabled"] is False


def test_admin_get_user_lists_user_attributes_not_attributes():
    document = admin_get_user(user())
    assert list(document) == [
        "Username",
        "UserAttributes",
        "UserCreateDate",
        "UserLastModifiedDate",
        "Enabled",
        "UserStatus",
    ]
    assert document["UserAttributes"][0] == {"Name": "sub", "Value": SUB}


def test_admin_get_user_shows_mfa_settings_when_set():
    document = admin_get_user(
        user(
            extra={"PreferredMfaSetting": "SOFTWARE_TOKEN_MFA", "UserMFASettingList": ["SOFTWARE_TOKEN_MFA"]}
        )
    )
    assert document["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    assert document["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]


def test_get_user_has_username_and_user_attributes_only():
    assert get_user(user()) == {
        "Username": "jane",
        "UserAttributes": [{"Name": "sub", "Value": SUB}, {"Name": "email", "Value": "jane@example.com"}],
    }


def test_get_user_leaves_out_what_the_client_cannot_read():
    record = user({"email": "j@example.com", "email_verified": "true", "custom:tier": "gold"})
    document = get_user(record, readable=readable_attributes(SCHEMA_POOL, None))
    assert [a["Name"] for a in document["UserAttributes"]] == ["sub", "email_verified", "email"]


def test_get_user_shows_mfa_preferences_when_set():
    document = get_user(user(extra={"PreferredMfaSetting": "SMS_MFA", "UserMFASettingList": ["SMS_MFA"]}))
    assert list(document) == ["Username", "UserAttributes", "PreferredMfaSetting", "UserMFASettingList"]


def test_admin_changing_the_email_while_deleting_its_flag_leaves_it_unverified():
    current = {"email": "a@example.com", "email_verified": "true"}
    result = update(PLAIN, current, attrs(email="b@example.com", email_verified=""))
    assert result["attributes"] == {"email": "b@example.com", "email_verified": "false"}


# --- AdminCreateUser's invitation ------------------------------------------------------------------------------

EMAIL_ONLY = {"email": "ada@example.com", "email_verified": "true"}
PHONE_ONLY = {"phone_number": "+14325551212"}
BOTH = EMAIL_ONLY | PHONE_ONLY


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [({}, []), ({"given_name": "Ada"}, []), (EMAIL_ONLY, ["EMAIL"]), (PHONE_ONLY, ["SMS"]), (BOTH, ["SMS"])],
)
def test_default_medium_is_sms_then_email_then_nothing(attributes, expected):
    assert invitation_mediums(None, attributes) == expected
    assert invitation_mediums([], attributes) == expected


@pytest.mark.parametrize(
    ("requested", "attributes", "expected"),
    [
        (["EMAIL"], EMAIL_ONLY, ["EMAIL"]),
        (["SMS"], PHONE_ONLY, ["SMS"]),
        (["EMAIL", "SMS"], BOTH, ["EMAIL", "SMS"]),
        (["SMS", "SMS"], BOTH, ["SMS"]),
    ],
)
def test_requested_media_are_all_sent(requested, attributes, expected):
    assert invitation_mediums(requested, attributes) == expected


@pytest.mark.parametrize(
    ("requested", "attributes", "message"),
    [
        (["EMAIL"], {}, "No email provided but desired delivery medium was Email"),
        (["EMAIL"], PHONE_ONLY, "No email provided but desired delivery medium was Email"),
        (["EMAIL", "SMS"], PHONE_ONLY, "No email provided but desired delivery medium was Email"),
        (["SMS"], EMAIL_ONLY, "No phone_number provided but desired delivery medium was SMS"),
        (["EMAIL", "SMS"], EMAIL_ONLY, "No phone_number provided but desired delivery medium was SMS"),
    ],
)
def test_a_requested_medium_without_its_attribute_is_refused(requested, attributes, message):
    with refused(message):
        invitation_mediums(requested, attributes)

"""Request validation against botocore's cognito-idp model: Cognito's own error messages.

Expected messages are AWS's forms (src/userpools/protocol/validation.py says which are seen in real
responses and which are our choice); every operation and shape here is a real one of the model.
"""

from __future__ import annotations

import re
import time
from typing import Any

import botocore.session
import pytest
import regex
from botocore.model import OperationModel, Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from userpools.errors import InvalidParameterException, SerializationException
from userpools.protocol import validation
from userpools.protocol.validation import java_pattern, validate_input

MODEL = botocore.session.get_session().get_service_model("cognito-idp")
ALL_OPERATIONS = sorted(MODEL.operation_names)

POOL = {"PoolName": "pool"}
CLIENT = {"UserPoolId": "us-east-1_abc123", "ClientName": "web"}
FORGOT = {"ClientId": "client1", "Username": "alice"}
AUTH = {"ClientId": "client1", "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "alice"}}


def op(name: str) -> OperationModel:
    return MODEL.operation_model(name)


def invalid(operation: str, params: object) -> str:
    with pytest.raises(InvalidParameterException) as raised:
        validate_input(op(operation), params)
    return raised.value.message


def unreadable(operation: str, params: object) -> str:
    with pytest.raises(SerializationException) as raised:
        validate_input(op(operation), params)
    return raised.value.message


def one(error: str) -> str:
    return f"1 validation error detected: {error}"


# --- valid input ------------------------------------------------------------------------------------


def test_valid_request_is_returned_with_its_members() -> None:
    body = {**CLIENT, "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH"], "AccessTokenValidity": 60}
    assert validate_input(op("CreateUserPoolClient"), body) == body


def test_unknown_members_are_ignored_and_left_out() -> None:
    assert validate_input(op("CreateUserPool"), {**POOL, "Colour": [1, {"x": None}]}) == POOL


def test_null_member_counts_as_absent() -> None:
    assert validate_input(op("CreateUserPool"), {**POOL, "Policies": None, "Schema": None}) == POOL


def test_null_list_items_are_skipped() -> None:
    body = {**CLIENT, "ExplicitAuthFlows": [None, "ALLOW_USER_SRP_AUTH", None]}
    assert validate_input(op("CreateUserPoolClient"), body)["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH"]


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("CreateUserPool", {"PoolName": "a\x00b"}),
        ("CreateUserPool", {**POOL, "UserPoolTags": {"k\x00": "v"}}),
        ("ForgotPassword", {**FORGOT, "ClientMetadata": {"k": "\x00"}}),
        ("AdminUpdateUserAttributes", {"UserPoolId": "us-east-1_abc", "Username": "alice",
                                       "UserAttributes": [{"Name": "name", "Value": "nul\x00"}]}),
    ],
)
def test_string_holding_nul_raises_serialization_exception(operation: str, body: dict[str, Any]) -> None:
    assert unreadable(operation, body) == "STRING_VALUE can not contain the character U+0000"


def test_whole_number_written_as_a_float_is_read_as_the_integer() -> None:
    body = {**POOL, "Policies": {"PasswordPolicy": {"MinimumLength": 8.0}}}
    value = validate_input(op("CreateUserPool"), body)["Policies"]["PasswordPolicy"]["MinimumLength"]
    assert value == 8 and type(value) is int


@pytest.mark.parametrize("fraction", [8.9, 1.5, -0.5, 1e-300])
def test_fraction_given_for_an_integer_raises_serialization_exception(fraction: float) -> None:
    body = {**POOL, "Policies": {"PasswordPolicy": {"MinimumLength": fraction}}}
    assert unreadable("CreateUserPool", body) == "NUMBER_VALUE can not be converted to an Integer"


@pytest.mark.parametrize("number", [2**31, -(2**31) - 1, 2**63, 1e30, -1e30, 1e300])
def test_integer_beyond_java_int_range_without_a_bound_to_catch_it_raises_serialization_exception(
    number: float,
) -> None:
    body = {"LimitDefinition": {"LimitClass": "API_CATEGORY", "Attributes": {}}, "RequestedLimitValue": number}
    assert unreadable("UpdateProvisionedLimit", body) == "NUMBER_VALUE can not be converted to an Integer"


def test_integer_beyond_java_int_range_past_the_only_bound_is_reported_by_that_bound() -> None:
    group = {"GroupName": "g", "UserPoolId": "us-east-1_abc"}
    assert unreadable("CreateGroup", {**group, "Precedence": 2**40}) == "NUMBER_VALUE can not be converted to an Integer"
    assert invalid("CreateGroup", {**group, "Precedence": -(2**40)}) == one(
        "Value at 'precedence' failed to satisfy constraint: Member must have value greater than or equal to 0"
    )


def test_huge_float_for_a_bounded_integer_is_reported_by_the_bound_without_echo() -> None:
    assert invalid("ListUserPools", {"MaxResults": 1e30}) == one(
        "Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60"
    )


def test_operation_is_compiled_once_and_reused() -> None:
    assert validation._validator(op("SignUp")) is validation._validator(op("SignUp"))


# --- Member must not be null ------------------------------------------------------------------------


def test_missing_required_member_reports_member_must_not_be_null() -> None:
    assert invalid("CreateUserPool", {}) == one(
        "Value null at 'poolName' failed to satisfy constraint: Member must not be null"
    )


def test_required_member_given_as_null_reports_member_must_not_be_null() -> None:
    assert invalid("ListUserPools", {"MaxResults": None}) == one(
        "Value null at 'maxResults' failed to satisfy constraint: Member must not be null"
    )


def test_several_errors_are_counted_and_joined_in_member_order() -> None:
    assert invalid("CreateUserPoolClient", {}) == (
        "2 validation errors detected: "
        "Value null at 'userPoolId' failed to satisfy constraint: Member must not be null; "
        "Value null at 'clientName' failed to satisfy constraint: Member must not be null"
    )


def test_required_member_of_a_list_item_is_reported_at_its_indexed_path() -> None:
    body = {**POOL, "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1}]}}
    assert invalid("CreateUserPool", body) == one(
        "Value null at 'accountRecoverySetting.recoveryMechanisms.1.member.name' "
        "failed to satisfy constraint: Member must not be null"
    )


# --- strings ----------------------------------------------------------------------------------------


def test_empty_string_reports_length_then_pattern_and_echoes_the_value() -> None:
    assert invalid("ForgotPassword", {**FORGOT, "ClientId": ""}) == (
        "2 validation errors detected: "
        "Value '' at 'clientId' failed to satisfy constraint: Member must have length greater than or equal to 1; "
        "Value '' at 'clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+]+"
    )


def test_pool_name_longer_than_128_reports_member_must_have_length_less_than_or_equal_to_128() -> None:
    name = "p" * 129
    assert invalid("CreateUserPool", {"PoolName": name}) == one(
        f"Value '{name}' at 'poolName' failed to satisfy constraint: "
        "Member must have length less than or equal to 128"
    )


def test_pool_name_outside_its_pattern_reports_the_java_pattern() -> None:
    assert invalid("CreateUserPool", {"PoolName": "pool#1"}) == one(
        "Value 'pool#1' at 'poolName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+"
    )


def test_user_pool_id_outside_its_pattern_is_reported() -> None:
    assert invalid("CreateUserPoolClient", {**CLIENT, "UserPoolId": "nounderscore"}) == one(
        "Value 'nounderscore' at 'userPoolId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+"
    )


def test_sensitive_username_is_not_echoed_but_client_id_is() -> None:
    message = invalid("ForgotPassword", {"ClientId": "bad id", "Username": "two words"})
    assert message == (
        "2 validation errors detected: "
        "Value 'bad id' at 'clientId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+]+; "
        "Value at 'username' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"
    )
    assert "two words" not in message


def test_sensitive_password_is_not_echoed() -> None:
    assert invalid("SignUp", {**FORGOT, "Password": "has space"}) == one(
        "Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\S]+"
    )


def test_enum_member_reports_the_enum_value_set() -> None:
    expected = ", ".join(MODEL.shape_for("AuthFlowType").enum)
    assert invalid("InitiateAuth", {**AUTH, "AuthFlow": "NO_SUCH_FLOW"}) == one(
        "Value 'NO_SUCH_FLOW' at 'authFlow' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{expected}]"
    )


def test_length_counts_utf16_code_units_like_java() -> None:
    assert validate_input(op("CreateUserPool"), {"PoolName": "p" * 128})
    # U+1F600 is one code point but two UTF-16 units, as Java's String.length() counts them.
    assert "less than or equal to 140" in invalid(
        "CreateUserPool", {**POOL, "EmailVerificationSubject": "😀" * 71}
    )


# --- numbers ----------------------------------------------------------------------------------------


def test_nested_minimum_length_below_range_reports_value_greater_than_or_equal_to_6() -> None:
    body = {**POOL, "Policies": {"PasswordPolicy": {"MinimumLength": 5}}}
    assert invalid("CreateUserPool", body) == one(
        "Value '5' at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: "
        "Member must have value greater than or equal to 6"
    )


def test_nested_minimum_length_above_range_reports_value_less_than_or_equal_to_99() -> None:
    body = {**POOL, "Policies": {"PasswordPolicy": {"MinimumLength": 100}}}
    assert invalid("CreateUserPool", body) == one(
        "Value '100' at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: "
        "Member must have value less than or equal to 99"
    )


@pytest.mark.parametrize(
    ("max_results", "constraint"),
    [
        (0, "Member must have value greater than or equal to 1"),
        (61, "Member must have value less than or equal to 60"),
    ],
)
def test_list_user_pools_max_results_outside_1_to_60_is_reported(max_results: int, constraint: str) -> None:
    assert invalid("ListUserPools", {"MaxResults": max_results}) == one(
        f"Value '{max_results}' at 'maxResults' failed to satisfy constraint: {constraint}"
    )


def test_value_longer_than_256_characters_is_echoed_cut_with_an_ellipsis() -> None:
    name = "p" * 131_073
    assert invalid("CreateUserPool", {"PoolName": name}) == one(
        f"Value '{'p' * 256}...' at 'poolName' failed to satisfy constraint: "
        "Member must have length less than or equal to 128"
    )


def test_list_echo_longer_than_256_characters_is_cut_too() -> None:
    flows = ["ALLOW_NOTHING_" + "X" * 40] * 10
    message = invalid("CreateUserPoolClient", {**CLIENT, "ExplicitAuthFlows": flows})
    echoed = message.split("Value '", 1)[1].split("' at 'explicitAuthFlows'", 1)[0]
    assert echoed == str(flows).replace("'", "")[:256] + "..."


def test_blob_conversion_message_cuts_a_long_value() -> None:
    message = unreadable("SetUICustomization", {"UserPoolId": "us-east-1_abc", "ImageFile": "a" * 200_001})
    assert message == f"'{'a' * 256}...' can not be converted to a Blob: Base64 encoded length is expected a " \
        "multiple of 4 bytes but found: 200001"


def test_integer_beyond_java_int_range_is_not_echoed() -> None:
    assert invalid("ListUserPools", {"MaxResults": 99_999_999_999}) == one(
        "Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60"
    )


@pytest.mark.parametrize(
    ("member", "value", "constraint"),
    [
        ("AccessTokenValidity", 0, "Member must have value greater than or equal to 1"),
        ("IdTokenValidity", 86401, "Member must have value less than or equal to 86400"),
        ("RefreshTokenValidity", 315360001, "Member must have value less than or equal to 315360000"),
        ("AuthSessionValidity", 2, "Member must have value greater than or equal to 3"),
    ],
)
def test_token_validity_outside_its_range_is_reported(member: str, value: int, constraint: str) -> None:
    wire = member[0].lower() + member[1:]
    assert invalid("CreateUserPoolClient", {**CLIENT, member: value}) == one(
        f"Value '{value}' at '{wire}' failed to satisfy constraint: {constraint}"
    )


# --- lists ------------------------------------------------------------------------------------------


def test_explicit_auth_flows_with_unknown_value_reports_member_must_satisfy_constraint_on_the_list() -> None:
    flows = ", ".join(MODEL.shape_for("ExplicitAuthFlowsType").enum)
    body = {**CLIENT, "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ADMIN_USER_PASSWORD_AUTH"]}
    assert invalid("CreateUserPoolClient", body) == one(
        "Value '[ALLOW_USER_SRP_AUTH, ADMIN_USER_PASSWORD_AUTH]' at 'explicitAuthFlows' failed to satisfy "
        f"constraint: Member must satisfy constraint: [Member must satisfy enum value set: [{flows}]]"
    )


def test_alias_attributes_enum_list_is_reported_once_for_several_bad_items() -> None:
    assert invalid("CreateUserPool", {**POOL, "AliasAttributes": ["nickname", "email", "foo"]}) == one(
        "Value '[nickname, email, foo]' at 'aliasAttributes' failed to satisfy constraint: Member must satisfy "
        "constraint: [Member must satisfy enum value set: [phone_number, email, preferred_username]]"
    )


def test_list_items_with_length_and_pattern_list_every_rule_upper_bound_first() -> None:
    assert invalid("CreateUserPoolClient", {**CLIENT, "CallbackURLs": ["https://ok", ""]}) == one(
        "Value '[https://ok, ]' at 'callbackURLs' failed to satisfy constraint: Member must satisfy constraint: "
        "[Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, "
        "Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+]"
    )


def test_schema_item_is_reported_at_its_one_based_member_path() -> None:
    body = {**POOL, "Schema": [{"Name": "ok"}, {"Name": ""}]}
    assert invalid("CreateUserPool", body) == (
        "2 validation errors detected: "
        "Value '' at 'schema.2.member.name' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value '' at 'schema.2.member.name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"
    )


def test_schema_item_name_longer_than_20_is_reported() -> None:
    name = "n" * 21
    assert invalid("CreateUserPool", {**POOL, "Schema": [{"Name": name}]}) == one(
        f"Value '{name}' at 'schema.1.member.name' failed to satisfy constraint: "
        "Member must have length less than or equal to 20"
    )


def test_empty_schema_reports_list_length_without_echoing_structures() -> None:
    assert invalid("CreateUserPool", {**POOL, "Schema": []}) == one(
        "Value at 'schema' failed to satisfy constraint: Member must have length greater than or equal to 1"
    )


def test_list_longer_than_its_maximum_echoes_the_list() -> None:
    assert invalid("CreateUserPoolClient", {**CLIENT, "AllowedOAuthFlows": ["code"] * 4}) == one(
        "Value '[code, code, code, code]' at 'allowedOAuthFlows' failed to satisfy constraint: "
        "Member must have length less than or equal to 3"
    )


# --- maps -------------------------------------------------------------------------------------------


def test_user_pool_tags_with_empty_key_reports_map_keys_constraint() -> None:
    assert invalid("CreateUserPool", {**POOL, "UserPoolTags": {"team": "id", "": "x"}}) == one(
        "Value '{team=id, =x}' at 'userPoolTags' failed to satisfy constraint: Map keys must satisfy constraint: "
        "[Member must have length less than or equal to 128, Member must have length greater than or equal to 1]"
    )


def test_user_pool_tags_keys_are_reported_before_values() -> None:
    value = "v" * 257
    echo = f"{{={value}}}"[:256] + "..."  # an echo over 256 characters is cut
    assert invalid("CreateUserPool", {**POOL, "UserPoolTags": {"": value}}) == (
        "2 validation errors detected: "
        f"Value '{echo}' at 'userPoolTags' failed to satisfy constraint: Map keys must satisfy constraint: "
        "[Member must have length less than or equal to 128, Member must have length greater than or equal to 1]; "
        f"Value '{echo}' at 'userPoolTags' failed to satisfy constraint: Map value must satisfy constraint: "
        "[Member must have length less than or equal to 256, Member must have length greater than or equal to 0]"
    )


def test_sensitive_auth_parameters_map_is_not_echoed() -> None:
    secret = "s" * 131073
    message = invalid("InitiateAuth", {**AUTH, "AuthParameters": {"PASSWORD": secret}})
    assert message == one(
        "Value at 'authParameters' failed to satisfy constraint: Map value must satisfy constraint: "
        "[Member must have length less than or equal to 131072, Member must have length greater than or equal to 0]"
    )


def test_map_of_structures_reports_entries_by_key() -> None:
    assert invalid("CreateUserPool", {**POOL, "AcrConfiguration": {"Level1": {}}}) == one(
        "Value null at 'acrConfiguration.Level1.member.acrValue' failed to satisfy constraint: "
        "Member must not be null"
    )


# --- JSON types: SerializationException -------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "body", "message"),
    [
        ("ListUserPools", {"MaxResults": "10"}, "STRING_VALUE can not be converted to an Integer"),
        ("ListUserPools", {"MaxResults": True}, "TRUE_VALUE can not be converted to an Integer"),
        ("ListUserPools", {"MaxResults": [1]}, "Start of list found where not expected"),
        ("ListUserPools", {"MaxResults": {"a": 1}}, "Start of structure or map found where not expected."),
        ("CreateUserPool", {"PoolName": 7}, "NUMBER_VALUE can not be converted to a String"),
        ("CreateUserPool", {"PoolName": 1.5}, "NUMBER_VALUE can not be converted to a String"),
        ("CreateUserPool", {"PoolName": False}, "FALSE_VALUE can not be converted to a String"),
        ("CreateUserPool", {**POOL, "Schema": {}}, "Start of structure or map found where not expected."),
        ("CreateUserPool", {**POOL, "Schema": "x"}, "Expected list or null"),
        ("CreateUserPool", {**POOL, "Policies": "strict"}, "Expected null"),
        ("CreateUserPool", {**POOL, "Policies": []}, "Start of list found where not expected"),
        ("CreateUserPool", {**POOL, "UserPoolTags": 1}, "Expected map or null"),
        ("CreateUserPool", {**POOL, "UserPoolTags": []}, "Start of list found where not expected"),
        (
            "CreateUserPool",
            {**POOL, "UserPoolTags": {"k": 1}},
            "NUMBER_VALUE can not be converted to a String",
        ),
        (
            "CreateUserPoolClient",
            {**CLIENT, "GenerateSecret": 1},
            "NUMBER_VALUE can not be converted to a Boolean",
        ),
        (
            "CreateUserPoolClient",
            {**CLIENT, "GenerateSecret": "true"},
            "STRING_VALUE can not be converted to a Boolean",
        ),
        (
            "CreateUserPoolClient",
            {**CLIENT, "ExplicitAuthFlows": [1]},
            "NUMBER_VALUE can not be converted to a String",
        ),
        (
            "CreateUserPoolClient",
            {**CLIENT, "ExplicitAuthFlows": [["a"]]},
            "Start of list found where not expected",
        ),
        (
            "InitiatePointInTimeRecovery",
            {"UserPoolId": "us-east-1_abc", "RestoreTimestamp": "2024-01-01"},
            "STRING_VALUE can not be converted to a Timestamp",
        ),
    ],
)
def test_wrong_json_type_raises_serialization_exception(operation: str, body: Any, message: str) -> None:
    assert unreadable(operation, body) == message


def test_array_body_is_a_list_where_none_is_expected() -> None:
    assert unreadable("ListUserPools", []) == "Start of list found where not expected"


@pytest.mark.parametrize("body", [None, "x", 1, True])
def test_scalar_body_raises_serialization_exception_without_message(body: object) -> None:
    assert unreadable("ListUserPools", body) == ""


def test_type_error_wins_over_constraint_errors_that_come_first() -> None:
    assert unreadable("CreateUserPool", {"PoolName": "", "Schema": "x"}) == "Expected list or null"


def test_first_type_error_in_document_order_is_reported() -> None:
    assert unreadable("ListUserPools", {"NextToken": 1, "MaxResults": "1"}) == (
        "NUMBER_VALUE can not be converted to a String"
    )


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (
            "abc",
            "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3",
        ),
        ("=+/=", "'=+/=' can not be converted to a Blob: Invalid Base64 character: '='"),
        ("+/+=", "'+/+=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"),
        (1, "NUMBER_VALUE can not be converted to a Blob"),
    ],
)
def test_blob_must_be_base64_text(image: object, message: str) -> None:
    assert unreadable("SetUICustomization", {"UserPoolId": "us-east-1_abc", "ImageFile": image}) == message


def test_blob_stays_base64_text_and_timestamp_takes_epoch_seconds() -> None:
    image = {"UserPoolId": "us-east-1_abc", "ImageFile": "aGk="}
    assert validate_input(op("SetUICustomization"), image) == image
    restore = {"UserPoolId": "us-east-1_abc", "RestoreTimestamp": 1_700_000_000.5}
    assert validate_input(op("InitiatePointInTimeRecovery"), restore) == restore


def test_document_member_takes_any_json() -> None:
    body = {"AccessToken": "abc.def", "Credential": {"id": "x", "response": [1, None, {"a": True}]}}
    assert validate_input(op("CompleteWebAuthnRegistration"), body) == body


# --- Java patterns ----------------------------------------------------------------------------------


def test_pattern_must_match_the_whole_value() -> None:
    assert java_pattern("[0-9]+").fullmatch("12a") is None
    assert "regular expression pattern: [\\w-]+_[0-9a-zA-Z]+" in invalid(
        "CreateUserPoolClient", {**CLIENT, "UserPoolId": "us-east-1_abc!"}
    )


def test_java_word_class_is_ascii_but_unicode_properties_are_not() -> None:
    assert java_pattern(r"[\w+]+").fullmatch("é") is None
    assert java_pattern(r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+").fullmatch("José日本")
    assert validate_input(op("ForgotPassword"), {**FORGOT, "Username": "José"})


def test_java_non_space_class_takes_non_ascii_spaces() -> None:
    assert java_pattern(r"[\S]+").fullmatch("a\u00a0b")
    assert java_pattern(r"[\S]+").fullmatch("a b") is None
    assert java_pattern(r"[\S]+").fullmatch("a\x0bb") is None


def test_java_dot_stops_at_every_line_terminator() -> None:
    sms = java_pattern(r".*\{####\}.*")
    assert sms.fullmatch("Code {####}.")
    for terminator in "\n\r\x85\u2028\u2029":
        assert sms.fullmatch(f"Code{terminator} {{####}}") is None
    assert java_pattern("(?s).*").fullmatch("a\nb")


def model_patterns() -> set[str]:
    found: set[str] = set()
    seen: set[str] = set()

    def walk(shape: Shape) -> None:
        if shape.name in seen:
            return
        seen.add(shape.name)
        if "pattern" in shape.metadata:
            found.add(shape.metadata["pattern"])
        for child in _children(shape):
            walk(child)

    for name in ALL_OPERATIONS:
        walk(op(name).input_shape)
    return found


def _children(shape: Shape) -> list[Shape]:
    if shape.type_name == "structure":
        return list(shape.members.values())  # type: ignore[attr-defined]
    if shape.type_name == "list":
        return [shape.member]  # type: ignore[attr-defined]
    if shape.type_name == "map":
        return [shape.key, shape.value]  # type: ignore[attr-defined]
    return []


def test_every_distinct_pattern_of_the_model_compiles() -> None:
    patterns = model_patterns()
    assert len(patterns) >= 40
    for pattern in patterns:
        assert isinstance(java_pattern(pattern), regex.Pattern), pattern


MESSAGE_TEMPLATES = [
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{####\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*",
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{##[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*##\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*",
]


@pytest.mark.parametrize("pattern", MESSAGE_TEMPLATES)
def test_message_template_patterns_run_in_linear_time(pattern: str) -> None:
    assert pattern in model_patterns()
    started = time.perf_counter()
    assert java_pattern(pattern).fullmatch("{##" * 30_000 + "\x00") is None
    assert java_pattern(pattern).fullmatch("{####}" * 20_000 + "\x00") is None
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("pattern", MESSAGE_TEMPLATES)
@given(text=st.text(alphabet="{#}a *\t\x00\u3000\n", max_size=16))
def test_message_template_patterns_match_what_the_plain_translation_matches(pattern: str, text: str) -> None:
    plain = regex.compile(validation._translate(pattern))
    assert bool(java_pattern(pattern).fullmatch(text)) == bool(plain.fullmatch(text))


# --- the whole model --------------------------------------------------------------------------------

NULL_ERROR = re.compile(r"Value null at '(\w+)' failed to satisfy constraint: Member must not be null")


@pytest.mark.parametrize("name", ALL_OPERATIONS)
def test_empty_body_passes_or_names_each_required_member(name: str) -> None:
    operation = op(name)
    required = [
        m[0].lower() + m[1:]
        for m in operation.input_shape.members
        if m in operation.input_shape.required_members
    ]
    try:
        assert validate_input(operation, {}) == {}
        assert required == []
    except InvalidParameterException as error:
        head, _, errors = error.message.partition(": ")
        assert head == (
            "1 validation error detected"
            if len(required) == 1
            else f"{len(required)} validation errors detected"
        )
        assert [NULL_ERROR.fullmatch(part)[1] for part in errors.split("; ")] == required  # type: ignore[index]


def test_model_has_153_operations() -> None:
    assert len(ALL_OPERATIONS) == 153


# --- arbitrary input --------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

FUZZED = [
    "CreateUserPool",
    "CreateUserPoolClient",
    "InitiateAuth",
    "ForgotPassword",
    "ListUserPools",
    "AdminCreateUser",
    "SetUICustomization",
    "InitiatePointInTimeRecovery",
    "CompleteWebAuthnRegistration",
]


def shaped(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that follow the shape's outline, with arbitrary JSON mixed in at every level."""
    if depth > 4:
        return json_values
    kind = shape.type_name
    if kind == "structure" and not shape.metadata.get("document"):
        members = {name: shaped(member, depth + 1) for name, member in shape.members.items()}  # type: ignore[attr-defined]
        outline = st.fixed_dictionaries({}, optional=members)
    elif kind == "list":
        outline = st.lists(shaped(shape.member, depth + 1), max_size=3)  # type: ignore[attr-defined]
    elif kind == "map":
        outline = st.dictionaries(st.text(max_size=6), shaped(shape.value, depth + 1), max_size=3)  # type: ignore[attr-defined]
    elif kind == "string" and "enum" in shape.metadata:
        outline = st.sampled_from(shape.metadata["enum"]) | st.text(max_size=8)
    elif kind == "string":
        outline = st.text(max_size=30) | st.from_regex(r"[a-z]{1,8}(_[a-z0-9]{1,8})?", fullmatch=True)
    elif kind in ("integer", "long"):
        outline = st.integers(min_value=-5, max_value=400_000_000)
    elif kind == "blob":
        outline = st.binary(max_size=6).map(lambda b: __import__("base64").b64encode(b).decode()) | st.text(
            max_size=6
        )
    else:
        return json_values
    # Mostly the outline, so bodies reach deep members; now and then any JSON value at all.
    return st.integers(0, 11).flatmap(lambda roll: json_values if roll == 0 else outline)


def _validates_or_raises_a_cognito_error(name: str, body: object) -> None:
    try:
        result = validate_input(op(name), body)
    except (InvalidParameterException, SerializationException):
        return
    assert isinstance(result, dict)
    assert set(result) <= set(op(name).input_shape.members)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(FUZZED), body=json_values)
def test_arbitrary_json_returns_a_dict_or_raises_only_cognito_validation_errors(
    name: str, body: object
) -> None:
    _validates_or_raises_a_cognito_error(name, body)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(FUZZED))
def test_shape_following_noise_returns_a_dict_or_raises_only_cognito_validation_errors(
    data: st.DataObject, name: str
) -> None:
    body = data.draw(shaped(op(name).input_shape))
    _validates_or_raises_a_cognito_error(name, body)

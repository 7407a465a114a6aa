"""User pools: what Cognito stores, fills in by default, refuses, and shows.

Pure functions on the pool's settings document (``PoolRecord.settings``: UserPoolType in Cognito's own member
names, exactly as DescribeUserPool shows it). Types, lengths, patterns, enums and ranges of the botocore model
are checked before these functions run; here live only Cognito's business rules and defaults.

Source marks used in the comments:
  [C] documented: botocore 1.44.8 cognito-idp model docs / API reference
  [O] observed: real AWS output or error text (CLI examples built from real output, issue threads, IaC code
      that quotes the service's error)
  [U] unconfirmed: chosen for the reason given next to it
Sources: [cli-dup] aws-cli awscli/examples/cognito-idp/describe-user-pool.rst (2019 and 2024 versions),
create-user-pool.rst; [real23] a pool created through the CLI in 2023 (kengraf/nadialin "b");
[real25] a DescribeUserPool capture of May 2025 (us-east-1_iShbQMpc7); [moto] getmoto/moto cognitoidp
models.py and tests (the schema rules and texts come from moto#4493, researched against AWS but not marked
aws_verified); [tf] terraform-provider-aws code and acceptance tests quoting Cognito's errors.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import botocore.loaders
from botocore.model import ListShape, ServiceModel, Shape, StructureShape

from userpools.domain import tags
from userpools.domain.records import PoolRecord
from userpools.errors import FeatureUnavailableInTierException, InvalidParameterException

Settings = dict[str, Any]


# --- the model -----------------------------------------------------------------------------------------


@cache
def service_model() -> ServiceModel:
    """botocore's cognito-idp model (the domain loads it itself: it must not import the protocol layer), read
    with botocore's loader as a session would (same search path) without importing the session's client
    machinery (a tenth of a second of a server's start-up)."""
    return ServiceModel(botocore.loaders.Loader().load_service_model("cognito-idp", "service-2"), "cognito-idp")


@cache
def input_members(operation: str) -> tuple[str, ...]:
    return tuple(service_model().operation_model(operation).input_shape.members)


def order_by_shape(value: Any, shape: Shape) -> Any:
    """``value`` with every structure's keys in the shape's member order (Cognito's own output order:
    [cli-dup], [real25] list UserPoolType members in model order). Keys the shape does not know are dropped."""
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        return {
            name: order_by_shape(value[name], member)
            for name, member in shape.members.items()
            if name in value
        }
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [order_by_shape(item, shape.member) for item in value]
    if value is None or isinstance(value, (str, int, float)):  # immutable: nothing to copy
        return value
    return copy.deepcopy(value)


@cache
def shape_named(name: str) -> Shape:
    """The model's shape ``name``, built once: botocore builds a new Shape on every ``shape_for``, and a new
    one resolves its members again."""
    return service_model().shape_for(name)


# --- the standard schema -------------------------------------------------------------------------------


def _string(
    name: str, *, mutable: bool = True, required: bool = False, lo: str = "0", hi: str = "2048"
) -> Settings:
    return {
        "Name": name,
        "AttributeDataType": "String",
        "DeveloperOnlyAttribute": False,
        "Mutable": mutable,
        "Required": required,
        "StringAttributeConstraints": {"MinLength": lo, "MaxLength": hi},
    }


def _boolean(name: str) -> Settings:
    return {
        "Name": name,
        "AttributeDataType": "Boolean",
        "DeveloperOnlyAttribute": False,
        "Mutable": True,
        "Required": False,
    }


# The 20 standard attributes every pool shows, in Cognito's order [O: cli-dup create/describe, real23, boto3#2516].
STANDARD_ATTRIBUTES: tuple[Settings, ...] = (
    _string("sub", mutable=False, required=True, lo="1"),
    *(
        _string(n)
        for n in (
            "name",
            "given_name",
            "family_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "email",
        )
    ),
    _boolean("email_verified"),
    _string("gender"),
    _string("birthdate", lo="10", hi="10"),
    _string("zoneinfo"),
    _string("locale"),
    _string("phone_number"),
    _boolean("phone_number_verified"),
    _string("address"),
    {
        "Name": "updated_at",
        "AttributeDataType": "Number",
        "DeveloperOnlyAttribute": False,
        "Mutable": True,
        "Required": False,
        "NumberAttributeConstraints": {"MinValue": "0"},
    },
)
# `identities` is standard too, but shown only by pools that have it (console-made or federated pools,
# [O: cli-dup 2024, real25]); API-made pools show the 20 above [O: real23; floci#642]. A Schema entry naming
# it (people replay DescribeUserPool output into CreateUserPool) adds it as shown here.
IDENTITIES_ATTRIBUTE: Settings = {
    "Name": "identities",
    "AttributeDataType": "String",
    "DeveloperOnlyAttribute": False,
    "Mutable": True,
    "Required": False,
    "StringAttributeConstraints": {},
}
_STANDARD = {a["Name"]: a for a in (*STANDARD_ATTRIBUTES, IDENTITIES_ATTRIBUTE)}
MAX_CUSTOM_ATTRIBUTES = 50  # [C: Developer Guide quotas; auth.md §5]
_CONSTRAINTS = {"String": "StringAttributeConstraints", "Number": "NumberAttributeConstraints"}


def _invalid(message: str) -> InvalidParameterException:
    return InvalidParameterException(message)


def _as_int(text: Any, constraint_type: str, name: str, *, allow_negative: bool) -> int:
    try:
        number = int(str(text))
    except ValueError:
        number = None
    if number is None or (number < 0 and not allow_negative):
        raise _invalid(f"Invalid {constraint_type} for schema attribute {name}")  # [moto]
    return number


def _bounds(given: Mapping[str, Any], keys: tuple[str, str], name: str, data_type: str) -> list[int | None]:
    constraint_type = _CONSTRAINTS[data_type]
    # [U] negative bounds are accepted for numbers (moto refuses them; a Number can be negative).
    return [
        None
        if given.get(key) is None
        else _as_int(given[key], constraint_type, name, allow_negative=data_type == "Number")
        for key in keys
    ]


def _checked_constraints(name: str, data_type: str, given: Mapping[str, Any]) -> Settings:
    """Validates the constraints of ``data_type`` and returns them as given (partial ones stay partial:
    [O: cli-dup 2024 shows custom:accesstoken with MaxLength only])."""
    if data_type == "String":
        lo, hi = _bounds(given, ("MinLength", "MaxLength"), name, data_type)
        if max(lo or 0, hi or 0) > 2048:
            raise _invalid(f"user.{name}: String attributes cannot have a length of more than 2048")  # [moto]
        if lo is not None and hi is not None and lo > hi:
            raise _invalid(f"user.{name}: Max length cannot be less than min length.")  # [moto]
    else:
        lo, hi = _bounds(given, ("MinValue", "MaxValue"), name, data_type)
        if lo is not None and hi is not None and lo > hi:
            raise _invalid(f"user.{name}: Max value cannot be less than min value.")  # [moto]
    return {k: v for k, v in given.items() if v is not None}


def _standard_attribute(entry: Mapping[str, Any]) -> Settings:
    name = entry["Name"]
    default = _STANDARD[name]
    data_type = entry.get("AttributeDataType")
    if (data_type is not None and data_type != default["AttributeDataType"]) or entry.get(
        "DeveloperOnlyAttribute"
    ):
        # [O: terraform-provider-aws#23181 quotes this text from CreateUserPool]
        raise _invalid(
            f"You can not change AttributeDataType or set developerOnlyAttribute for standard schema "
            f"attribute {name}"
        )
    attribute = copy.deepcopy(default)
    attribute["Mutable"] = entry.get("Mutable", default["Mutable"])
    attribute["Required"] = entry.get("Required", default["Required"])
    key = _CONSTRAINTS.get(default["AttributeDataType"])
    # [moto] constraints are taken only when the entry names its AttributeDataType (a quirk moto observed).
    if key and data_type is not None and entry.get(key) is not None:
        attribute[key] = _checked_constraints(name, default["AttributeDataType"], entry[key])
    if name == "sub" and attribute != default:
        # [U] wording: sub is the user's immutable identifier; Cognito documents it as not configurable.
        raise _invalid("You can not change the schema of standard attribute sub")
    return attribute


def _custom_attribute(entry: Mapping[str, Any]) -> Settings:
    data_type = entry.get("AttributeDataType")
    if not data_type:
        # [O: amplify-backend#3299 quotes it from CloudFormation]
        raise _invalid("Invalid AttributeDataType input, consider using the provided AttributeDataType enum.")
    developer_only = bool(entry.get("DeveloperOnlyAttribute", False))
    # `dev:custom:<name>` for developer-only attributes [O: cli-dup 2024 "dev:custom:222"; the model's doc says
    # `dev:<name>`, the real output wins].
    name = ("dev:custom:" if developer_only else "custom:") + entry["Name"]
    if entry.get("Required"):  # [O: boto3#2317, serverless users]
        raise _invalid("Required custom attributes are not supported currently.")
    attribute: Settings = {
        "Name": name,
        "AttributeDataType": data_type,
        "DeveloperOnlyAttribute": developer_only,
        "Mutable": entry.get("Mutable", True),  # default [moto]
        "Required": False,
    }
    key = _CONSTRAINTS.get(data_type)
    if key == "StringAttributeConstraints":  # a String shows {} when none were given [moto; O: identities]
        attribute[key] = _checked_constraints(name, data_type, entry.get(key) or {})
    elif key and entry.get(key) is not None:  # a Number shows none unless given [moto]
        attribute[key] = _checked_constraints(name, data_type, entry[key])
    return attribute


def _base_name(full_name: str) -> str:
    return full_name.removeprefix("dev:").removeprefix("custom:")


def _add_custom(schema: list[Settings], new: Iterable[Mapping[str, Any]]) -> list[Settings]:
    result = copy.deepcopy(schema)
    for entry in new:
        attribute = _custom_attribute(entry)
        base = _base_name(attribute["Name"])
        for existing in result:
            if existing["Name"].startswith(("custom:", "dev:")) and _base_name(existing["Name"]) == base:
                # [moto test_add_custom_attributes_existing_attribute]
                raise _invalid(f"custom:{base}: Existing attribute already has name {existing['Name']}.")
        result.append(attribute)
    if sum(a["Name"].startswith(("custom:", "dev:")) for a in result) > MAX_CUSTOM_ATTRIBUTES:
        # [U] wording
        raise _invalid(f"A user pool can have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes.")
    return result


def _schema(entries: Iterable[Mapping[str, Any]]) -> list[Settings]:
    standard = {a["Name"]: copy.deepcopy(a) for a in STANDARD_ATTRIBUTES}
    custom = []
    for entry in entries:
        if entry["Name"] in _STANDARD:  # [U] a repeated standard entry: the last one wins
            standard[entry["Name"]] = _standard_attribute(entry)
        else:
            custom.append(entry)
    return _add_custom(list(standard.values()), custom)


# --- defaults --------------------------------------------------------------------------------------------

DEFAULT_PASSWORD_POLICY: Settings = {  # [O: real23, real25, cli-dup; C: TemporaryPasswordValidityDays 7]
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}
DEFAULT_SIGN_IN_POLICY: Settings = {"AllowedFirstAuthFactors": ["PASSWORD"]}  # [O: real25; cdkd#1395 live]
DEFAULT_ACR_NAMES = {f"Level{i}": f"urn:cognito:loa:{i}" for i in range(1, 5)}  # [C: AcrConfiguration doc]
# Shown for a pool created with only PoolName [O: real23 (API-made, 2023), moto#5965 (DeletionProtection),
# real25 (UserPoolTier); C: UserPoolTier "Defaults to ESSENTIALS"]. Absent unless given: AutoVerified-,
# Alias-, UsernameAttributes, the legacy message members, SmsAuthenticationMessage, UserAttributeUpdateSettings,
# DeviceConfiguration, SmsConfiguration, UserPoolAddOns, UsernameConfiguration (absent = case sensitive [C]),
# AccountRecoverySetting ([O: moto#4469 "AccountRecoverySetting not present for default pool"], absence
# means the legacy rule, phone before email [C]), Dcr-, Key-, Issuer-, AcrConfiguration ([U] absent until set).
_SIMPLE_DEFAULTS: Settings = {
    "DeletionProtection": "INACTIVE",
    "LambdaConfig": {},
    "MfaConfiguration": "OFF",
    "UserPoolTags": {},
    "UserPoolTier": "ESSENTIALS",
}
# Legacy message members and the template members Cognito keeps in step [O: cli-dup 2024 shows both equal;
# moto test_create_user_pool__overwrite_template_messages]. [U] when both are given, the template wins.
_LEGACY_MESSAGES = (
    ("SmsVerificationMessage", "SmsMessage"),
    ("EmailVerificationMessage", "EmailMessage"),
    ("EmailVerificationSubject", "EmailSubject"),
)
_IMMUTABLE = ("SchemaAttributes", "AliasAttributes", "UsernameAttributes", "UsernameConfiguration")
# UpdateUserPool members that keep their value when omitted: DcrConfiguration [C: its doc says so]; the
# feature plan, key, issuer and tags [U: chosen because a side effect that changes billing plan, token
# issuer or encryption key, or drops tags, on an unrelated update is implausible and would lose data].
_KEPT_WHEN_OMITTED = (
    "UserPoolTier",
    "DcrConfiguration",
    "KeyConfiguration",
    "IssuerConfiguration",
    "UserPoolTags",
)
_LINK = re.compile(r"\{##.+?##\}", re.DOTALL)
# Request members that are not copied as they are (the rest are stored as given).
_BUILT_MEMBERS = frozenset(
    {"PoolName", "UserPoolId", "Schema", "Policies", "AdminCreateUserConfig", "VerificationMessageTemplate"}
    | {legacy for legacy, _ in _LEGACY_MESSAGES}
)


def _policies(request: Mapping[str, Any]) -> Settings:
    policies = request.get("Policies") or {}
    given = policies.get("PasswordPolicy")
    if given is None:
        password = copy.deepcopy(DEFAULT_PASSWORD_POLICY)
        password["TemporaryPasswordValidityDays"] = 0
    else:
        # [U] within a given PasswordPolicy an omitted Require* is false (the API's boolean default) and an
        # omitted MinimumLength is the default 8; PasswordHistorySize is shown only when given ([O: real25]
        # shows none on an Essentials pool).
        password = {"MinimumLength": given.get("MinimumLength", 8)}
        for flag in ("RequireUppercase", "RequireLowercase", "RequireNumbers", "RequireSymbols"):
            password[flag] = bool(given.get(flag, False))
        if given.get("PasswordHistorySize") is not None:
            password["PasswordHistorySize"] = given["PasswordHistorySize"]
        password["TemporaryPasswordValidityDays"] = given.get("TemporaryPasswordValidityDays") or 0
    # 0 means the default 7 [C]; [U] the legacy UnusedAccountValidityDays fills in when it is given alone
    if not password["TemporaryPasswordValidityDays"]:
        legacy = (request.get("AdminCreateUserConfig") or {}).get("UnusedAccountValidityDays")
        password["TemporaryPasswordValidityDays"] = legacy or 7
    sign_in = copy.deepcopy(policies.get("SignInPolicy") or DEFAULT_SIGN_IN_POLICY)
    return {"PasswordPolicy": password, "SignInPolicy": sign_in}


def _messages(request: Mapping[str, Any], settings: Settings) -> None:
    template = dict(request.get("VerificationMessageTemplate") or {})
    for legacy, member in _LEGACY_MESSAGES:
        if template.get(member) is None and request.get(legacy) is not None:
            template[member] = request[legacy]
        if template.get(member) is not None:
            settings[legacy] = template[member]
    template.setdefault("DefaultEmailOption", "CONFIRM_WITH_CODE")  # [O: real23, real25]
    link = template.get("EmailMessageByLink")
    if link is not None and not _LINK.search(link):
        # [O: aws-cli#8280, amplify-cli#5907: a link message without {##text##} is refused with this text]
        raise _invalid("The message is invalid.")
    settings["VerificationMessageTemplate"] = template


def _lambda_config(given: Mapping[str, Any]) -> Settings:
    config = copy.deepcopy(dict(given))
    detailed = (config.get("PreTokenGenerationConfig") or {}).get("LambdaArn")
    legacy = config.get("PreTokenGeneration")
    if detailed and legacy and detailed != legacy:
        # [C] the two must be identical; [U] wording.
        raise _invalid("PreTokenGeneration and PreTokenGenerationConfig.LambdaArn must be the same.")
    if detailed:  # [O: cli-dup 2024 shows both equal; U that Cognito copies it]
        config["PreTokenGeneration"] = detailed
    return config


def _admin_create_user_config(request: Mapping[str, Any], temporary_days: int) -> Settings:
    given = request.get("AdminCreateUserConfig") or {}
    temporary_given = ((request.get("Policies") or {}).get("PasswordPolicy") or {}).get(
        "TemporaryPasswordValidityDays"
    )
    if given.get("UnusedAccountValidityDays") and temporary_given is not None:
        # [O: terraform-provider-aws retries on this exact text; [tf] linters quote it for create and update]
        raise _invalid(
            "Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays"
        )
    config = {
        "AllowAdminCreateUserOnly": bool(given.get("AllowAdminCreateUserOnly", False)),
        # mirrors the temporary-password validity [O: cli-dup 2024 shows 1 and 1, defaults show 7 and 7]
        "UnusedAccountValidityDays": temporary_days,
    }
    if given.get("InviteMessageTemplate") is not None:
        config["InviteMessageTemplate"] = copy.deepcopy(given["InviteMessageTemplate"])
    return config


def _acr_configuration(given: Mapping[str, Any]) -> Settings:
    # "Amazon Cognito always returns the effective configuration, with default names merged in" [C]
    merged = {level: {"AcrValue": name} for level, name in DEFAULT_ACR_NAMES.items()}
    merged.update(copy.deepcopy(dict(given)))
    names = [entry["AcrValue"] for entry in merged.values()]
    if len(set(names)) != len(names):  # [C] names unique across the four levels; [U] wording
        raise _invalid("Each ACR level name must be unique across all levels, including default names.")
    return merged


def _assemble(request: Mapping[str, Any]) -> Settings:
    """Settings from the given members of a Create/UpdateUserPool request, with every default filled in."""
    settings: Settings = {k: copy.deepcopy(v) for k, v in request.items() if k not in _BUILT_MEMBERS}
    for key, value in _SIMPLE_DEFAULTS.items():
        settings.setdefault(key, copy.deepcopy(value))
    settings["Policies"] = _policies(request)
    temporary_days = settings["Policies"]["PasswordPolicy"]["TemporaryPasswordValidityDays"]
    settings["AdminCreateUserConfig"] = _admin_create_user_config(request, temporary_days)
    _messages(request, settings)
    settings["LambdaConfig"] = _lambda_config(settings["LambdaConfig"])
    email = settings.setdefault("EmailConfiguration", {})
    email.setdefault("EmailSendingAccount", "COGNITO_DEFAULT")  # [O: real23]; [U] also when others are given
    if "AcrConfiguration" in settings:
        settings["AcrConfiguration"] = _acr_configuration(settings["AcrConfiguration"])
    return settings


# --- rules across members ----------------------------------------------------------------------------------


def _check_tier(settings: Mapping[str, Any]) -> None:
    tier = settings["UserPoolTier"]
    mode = (settings.get("UserPoolAddOns") or {}).get("AdvancedSecurityMode", "OFF")
    if mode != "OFF" and tier != "PLUS":
        # [C] threat protection: "your user pool must be on the Plus tier"; [U] wording
        raise FeatureUnavailableInTierException("Threat protection requires the Plus feature plan.")
    factors = settings["Policies"]["SignInPolicy"]["AllowedFirstAuthFactors"]
    if tier == "LITE" and set(factors) != {"PASSWORD"}:
        # [C] SignInPolicy needs the Essentials tier or higher; [U] wording
        raise FeatureUnavailableInTierException(
            "Choice-based sign-in requires the Essentials or Plus feature plan."
        )


def _check_sign_in_policy(settings: Mapping[str, Any]) -> None:
    factors = settings["Policies"]["SignInPolicy"]["AllowedFirstAuthFactors"]
    if "SOFTWARE_TOKEN" in factors:
        # [C] "SOFTWARE_TOKEN is not currently supported as a first auth factor"; [U] wording
        raise _invalid("SOFTWARE_TOKEN is not supported as a first authentication factor.")
    if set(factors) == {"WEB_AUTHN"}:
        # [C per the developer guide: passkeys need another first factor]; [U] wording
        raise _invalid("WEB_AUTHN must be accompanied by at least one other first authentication factor.")


def _check_account_recovery(settings: Mapping[str, Any], *, sms_mfa: bool) -> None:
    mechanisms = (settings.get("AccountRecoverySetting") or {}).get("RecoveryMechanisms") or []
    names = [m["Name"] for m in mechanisms]
    priorities = [m["Priority"] for m in mechanisms]
    prefix = (
        "Invalid account recovery setting parameter."  # the observed message's opening [O: aws-cdk#11478]
    )
    if len(set(names)) != len(names) or len(set(priorities)) != len(priorities):
        # [U] wording
        raise _invalid(f"{prefix} Recovery mechanisms must have distinct names and priorities.")
    if "admin_only" in names and len(names) > 1:
        # [C] admin_only turns self-service recovery off; [U] wording
        raise _invalid(f"{prefix} admin_only can not be used with another recovery mechanism.")
    if sms_mfa and "verified_phone_number" in names:
        # [O: aws-cdk#11478]
        raise _invalid(
            f"{prefix} Account Recovery Setting cannot use verified_phone_number as a recovery "
            "mechanism when SMS MFA is configured."
        )


def _check_create(settings: Mapping[str, Any]) -> None:
    if settings.get("AliasAttributes") and settings.get("UsernameAttributes"):
        # [O: the Serverless Programming Cookbook describes it; tf linters and emulators quote this text]
        raise _invalid("Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.")
    mfa_on = settings["MfaConfiguration"] != "OFF"
    if mfa_on and not settings.get("SmsConfiguration"):
        # CreateUserPool configures only SMS MFA: with ON or OPTIONAL "include an SmsConfiguration in the same
        # request … If you omit SmsConfiguration, the operation returns an InvalidParameterException" [C: BC
        # CreateUserPoolRequest.MfaConfiguration]; TOTP and email MFA come later through SetUserPoolMfaConfig
        # [C]. The text [O: aws-cdk#11478, #12075, CFN roadmap#769, #2221, panther-labs/panther#637, all
        # without an SmsConfiguration]. Despite the text, phone_number need not be auto-verified: moto's
        # aws_verified tests create pools with MFA ON and OPTIONAL, an SmsConfiguration and no
        # AutoVerifiedAttributes [O: tests/test_cognitoidp/__init__.py cognitoidp_aws_verified(with_mfa=…)].
        # Auto-verifying phone_number without MFA needs no SmsConfiguration here [U: chosen because
        # userpools sends SMS through its own pluggable sender, not an SNS role].
        raise _invalid(
            "SMS configuration and Auto verification for phone_number are required when MFA is "
            "required/optional"
        )
    _check_account_recovery(settings, sms_mfa=mfa_on)


def _check_common(settings: Mapping[str, Any]) -> None:
    _check_sign_in_policy(settings)
    _check_tier(settings)
    tags.check_tags(settings.get("UserPoolTags") or {})


# --- the API ---------------------------------------------------------------------------------------------


def new_pool_settings(request: Mapping[str, Any]) -> Settings:
    """CreateUserPool input (PoolName is ignored) → the settings with every default Cognito fills in."""
    settings = _assemble(request)
    settings["SchemaAttributes"] = _schema(request.get("Schema") or [])
    _check_create(settings)
    _check_common(settings)
    return settings


def updated_pool_settings(current: Mapping[str, Any], request: Mapping[str, Any]) -> Settings:
    """UpdateUserPool: every member of the request replaces the stored one and every member it omits returns
    to its default ("If you don't provide a value for an attribute, Amazon Cognito sets it to its default
    value" [C: UpdateUserPool doc]). Kept as they are: the members UpdateUserPool cannot change (Schema,
    Alias-/UsernameAttributes, UsernameConfiguration: not in its input [C: 1.44.8 model]), the ones listed in
    _KEPT_WHEN_OMITTED, and everything that is not an UpdateUserPool member (Domain, CustomDomain, …).
    PoolName is the handler's (it is the record's name, not a setting)."""
    updatable = set(input_members("UpdateUserPool")) - {"UserPoolId", "PoolName"}
    given = {k: v for k, v in request.items() if k in updatable}
    settings = _assemble(given)
    for key, value in current.items():
        if key not in updatable or key in _IMMUTABLE or (key in _KEPT_WHEN_OMITTED and key not in given):
            settings[key] = copy.deepcopy(value)
    _check_account_recovery(settings, sms_mfa=False)
    _check_common(settings)
    return settings


def with_custom_attributes(current: Mapping[str, Any], attributes: Iterable[Mapping[str, Any]]) -> Settings:
    """AddCustomAttributes: the settings with the new `custom:` (or `dev:custom:`) attributes appended."""
    settings = copy.deepcopy(dict(current))
    settings["SchemaAttributes"] = _add_custom(list(current.get("SchemaAttributes") or []), attributes)
    return settings


def pool_arn(pool_id: str, *, region: str, account_id: str) -> str:
    return f"arn:aws:cognito-idp:{region}:{account_id}:userpool/{pool_id}"  # [O: cli-dup, real23]


def describe_pool(pool: PoolRecord, *, region: str, account_id: str, estimated_users: int = 0) -> Settings:
    """UserPoolType for DescribeUserPool / CreateUserPool. `Status` ("no longer used" [C]) is not sent, as in
    every recent real output [O: real23, real25]. Dates are datetimes; the protocol layer encodes them."""
    document = dict(pool.settings)
    document.update(
        Id=pool.id,
        Name=pool.name,
        CreationDate=pool.created_at,
        LastModifiedDate=pool.updated_at,
        EstimatedNumberOfUsers=estimated_users,
        Arn=pool_arn(pool.id, region=region, account_id=account_id),
    )
    return order_by_shape(document, shape_named("UserPoolType"))  # type: ignore[no-any-return]


def pool_summary(pool: PoolRecord) -> Settings:
    """UserPoolDescriptionType for ListUserPools [O: a 2025 list-user-pools output shows exactly these]."""
    return {
        "Id": pool.id,
        "Name": pool.name,
        "LambdaConfig": copy.deepcopy(pool.settings.get("LambdaConfig", {})),
        "LastModifiedDate": pool.updated_at,
        "CreationDate": pool.created_at,
        **({"ReplicaRegions": [r["RegionName"] for r in pool.settings["Replicas"]]}
           if pool.settings.get("Replicas") else {}),
    }

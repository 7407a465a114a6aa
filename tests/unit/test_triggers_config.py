"""The trigger sections of userpools.toml: the ARN → target mapping, its fallback, and errors that name the
key at fault."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from userpools.triggers.config import (
    CallableTarget,
    LambdaApi,
    LambdaTarget,
    TriggerConfigError,
    WebhookTarget,
    load_triggers_config,
    parse_lambda_arn,
)

ARN = "arn:aws:lambda:us-east-1:123456789012:function:custom-message"
OTHER = "arn:aws:lambda:us-east-1:123456789012:function:elsewhere"
KEY = base64.b64encode(bytes(range(32))).decode()
POOL_KEY = base64.b64encode(bytes(range(32, 64))).decode()
KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

EXAMPLE = f'''
[server]                                  # another part of the server's: not read here
anything = "goes"

[lambda]
endpoint = "http://127.0.0.1:9001/"
region = "us-east-1"
access_key_id = "AKIDEXAMPLE"
secret_access_key = "secret"
session_token = "token"
invoke_by = "name"

[functions."{ARN}"]
webhook = "https://hooks.example.com/custom-message?tenant=1"
headers = {{ Authorization = "Bearer abc" }}

[functions."arn:aws:lambda:us-east-1:123456789012:function:pre-sign-up"]
callable = "mypkg.triggers:pre_sign_up"

[functions."arn:aws:lambda:us-east-1:123456789012:function:define-auth"]
endpoint = "http://127.0.0.1:9002"
function_name = "function"

[functions."arn:aws:lambda:us-east-1:123456789012:function:migrate"]
function_name = "migrate-v2"

[custom_senders]
key = "{KEY}"
[custom_senders.keys]
"{KMS}" = "{POOL_KEY}"
'''


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "userpools.toml"
    path.write_text(text)
    return path


def load(tmp_path: Path, text: str, **options: str) -> object:
    return load_triggers_config(write(tmp_path, text), **options)


def test_the_documented_example_loads(tmp_path):
    config = load_triggers_config(write(tmp_path, EXAMPLE))

    api = LambdaApi(
        "http://127.0.0.1:9001",
        region="us-east-1",
        access_key_id="AKIDEXAMPLE",
        secret_access_key="secret",
        session_token="token",
        invoke_by="name",
    )
    assert config.lambda_api == api
    assert config.target(ARN) == WebhookTarget(
        "https://hooks.example.com/custom-message?tenant=1", {"Authorization": "Bearer abc"}
    )
    assert config.target("arn:aws:lambda:us-east-1:123456789012:function:pre-sign-up") == CallableTarget(
        "mypkg.triggers:pre_sign_up"
    )
    define = config.target("arn:aws:lambda:us-east-1:123456789012:function:define-auth")
    assert define == LambdaTarget(
        LambdaApi(
            "http://127.0.0.1:9002",
            region="us-east-1",
            access_key_id="AKIDEXAMPLE",
            secret_access_key="secret",
            session_token="token",
            invoke_by="name",
        ),
        "function",
    )
    assert config.target("arn:aws:lambda:us-east-1:123456789012:function:migrate") == LambdaTarget(
        api, "migrate-v2"
    )
    assert config.target(OTHER) == LambdaTarget(api)
    assert config.sender_key_for(KMS) == bytes(range(32, 64))
    assert config.sender_key_for("arn:aws:kms:us-east-1:123456789012:key/other") == bytes(range(32))
    assert config.sender_key_for(None) == bytes(range(32))


def test_secrets_stay_out_of_reprs(tmp_path):
    config = load_triggers_config(write(tmp_path, EXAMPLE))

    assert "secret" not in repr(config) and "Bearer" not in repr(config) and "token" not in repr(config)


def test_without_file_or_endpoint_nothing_is_configured():
    config = load_triggers_config()

    assert config.target(ARN) is None
    assert config.sender_key_for(KMS) is None


def test_the_lambda_endpoint_setting_alone_serves_every_arn():
    config = load_triggers_config(lambda_endpoint="http://localhost:4566")

    assert config.target(ARN) == LambdaTarget(LambdaApi("http://localhost:4566"))
    assert config.target(ARN).api.access_key_id == "test"  # type: ignore[union-attr]


def test_the_lambda_endpoint_setting_replaces_the_files_endpoint_and_keeps_its_credentials(tmp_path):
    config = load(
        tmp_path,
        '[lambda]\nendpoint = "http://a:1"\naccess_key_id = "K"\nsecret_access_key = "S"\n',
        lambda_endpoint="http://b:2",
    )

    assert config.lambda_api == LambdaApi("http://b:2", access_key_id="K", secret_access_key="S")


def test_an_entry_without_a_target_needs_a_lambda_endpoint(tmp_path):
    with pytest.raises(
        TriggerConfigError, match=rf'^.*userpools.toml: functions."{ARN}": give webhook, callable'
    ):
        load(tmp_path, f'[functions."{ARN}"]\nfunction_name = "x"\n')


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('[lambda]\nendpoint = "ftp://x"\n', "lambda.endpoint", "expected an http:// or https:// URL"),
        ('[lambda]\nendpoint = "http://x/?a=1"\n', "lambda.endpoint", "without query or fragment"),
        ("[lambda]\nendpoint = 9001\n", "lambda.endpoint", "expected a non-empty string"),
        ('[lambda]\nregion = "us-east-1"\n', "lambda.endpoint", "missing"),
        ('[lambda]\nendpoint = "http://x"\nregion = "US EAST"\n', "lambda.region", "not a region name"),
        ('[lambda]\nendpoint = "http://x"\naccess_key_id = "K"\n', "lambda.secret_access_key", "go together"),
        (
            '[lambda]\nendpoint = "http://x"\ninvoke_by = "alias"\n',
            "lambda.invoke_by",
            'expected "arn" or "name"',
        ),
        ('[lambda]\nendpoint = "http://x"\nendpiont = "http://y"\n', "lambda.endpiont", "unknown key"),
        ('lambda = "http://x"\n', "lambda", "expected a table"),
        ('[functions."not-an-arn"]\nwebhook = "http://x"\n', 'functions."not-an-arn"', "not an ARN"),
        (
            f'[functions."{ARN}"]\nwebhook = "http://x"\ncallable = "a:b"\n',
            f'functions."{ARN}"',
            "not webhook and callable",
        ),
        (
            f'[functions."{ARN}"]\nwebhook = "mailto:x@y"\n',
            f'functions."{ARN}".webhook',
            "http:// or https://",
        ),
        (
            f'[functions."{ARN}"]\nwebhook = "http://x"\nheaders = "Authorization: x"\n',
            f'functions."{ARN}".headers',
            "expected a table",
        ),
        (
            f'[functions."{ARN}"]\nwebhook = "http://x"\nheaders = {{ "Bad Name" = "x" }}\n',
            f'functions."{ARN}".headers.Bad Name',
            "not a valid HTTP header name",
        ),
        (
            f'[functions."{ARN}"]\ncallable = "a:b"\nheaders = {{ A = "x" }}\n',
            f'functions."{ARN}".headers',
            "only a webhook takes headers",
        ),
        (
            f'[functions."{ARN}"]\ncallable = "mypkg.triggers"\n',
            f'functions."{ARN}".callable',
            "expected module:function",
        ),
        (
            f'[functions."{ARN}"]\ncallable = "a:b"\nfunction_name = "f"\n',
            f'functions."{ARN}".function_name',
            "only a Lambda endpoint",
        ),
        (f'[functions."{ARN}"]\nwebook = "http://x"\n', f'functions."{ARN}".webook', "unknown key"),
        (f'[functions]\n"{ARN}" = "http://x"\n', f'functions."{ARN}"', "expected a table"),
        (
            '[custom_senders]\nkey = "not base64!"\n',
            "custom_senders.key",
            "expected base64 of 32 random bytes",
        ),
        (
            '[custom_senders]\nkey = "AAAA"\n',
            "custom_senders.key",
            "expected 32 bytes once base64-decoded, got 3",
        ),
        (f'[custom_senders.keys]\n"{KMS}" = "AAAA"\n', f'custom_senders.keys."{KMS}"', "expected 32 bytes"),
        ('[custom_senders]\nkeys = "x"\n', "custom_senders.keys", "expected a table"),
        ('[custom_senders]\nkeyz = "x"\n', "custom_senders.keyz", "unknown key"),
    ],
)
def test_a_mistake_raises_a_value_error_naming_the_key(tmp_path, text, key, problem):
    with pytest.raises(TriggerConfigError) as raised:
        load(tmp_path, text)

    assert isinstance(raised.value, ValueError)
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / 'userpools.toml'}: {key}: "), message
    assert problem in message


def test_invalid_toml_names_the_file_and_the_line(tmp_path):
    with pytest.raises(TriggerConfigError, match=r"userpools.toml: not valid TOML: .*line 2"):
        load(tmp_path, '[lambda]\nendpoint = "http://x\n')


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(TriggerConfigError, match=r"nope.toml: no such file"):
        load_triggers_config(tmp_path / "nope.toml")


def test_a_bad_lambda_endpoint_setting_is_named():
    with pytest.raises(TriggerConfigError, match=r"^--lambda-endpoint: expected an http:// or https:// URL"):
        load_triggers_config(lambda_endpoint="localhost:9001")


def test_a_url_safe_base64_key_is_accepted(tmp_path):
    key = base64.urlsafe_b64encode(bytes([251] * 32)).decode()

    config = load(tmp_path, f'[custom_senders]\nkey = "{key}"\n')

    assert config.sender_key_for(None) == bytes([251] * 32)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("arn", "parts"),
    [
        ("arn:aws:lambda:eu-west-1:123456789012:function:f", ("eu-west-1", "f", None)),
        ("arn:aws:lambda:eu-west-1:123456789012:function:f:live", ("eu-west-1", "f", "live")),
        ("arn:aws-cn:lambda:cn-north-1:123456789012:function:f:7", ("cn-north-1", "f", "7")),
        ("arn:aws:iam::123456789012:role/r", (None, None, None)),
    ],
)
def test_parse_lambda_arn(arn, parts):
    assert parse_lambda_arn(arn) == parts

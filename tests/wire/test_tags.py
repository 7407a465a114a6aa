"""Tags on user pools through boto3: TagResource, UntagResource, ListTagsForResource, kept in step with
UserPoolTags in Create/Update/DescribeUserPool — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from accounts import unique
from botocore.exceptions import ClientError


def tags_of(cognito: Any, arn: str) -> dict[str, str]:
    return dict(cognito.list_tags_for_resource(ResourceArn=arn)["Tags"])


def test_tags_are_added_replaced_listed_and_removed(cognito: Any, pool: dict[str, Any]) -> None:
    arn = pool["Arn"]
    assert tags_of(cognito, arn) == {}
    cognito.tag_resource(ResourceArn=arn, Tags={"env": "test", "team": "id", "empty": ""})
    cognito.tag_resource(ResourceArn=arn, Tags={"env": "prod", "ünï": "ç"})
    assert tags_of(cognito, arn) == {"env": "prod", "team": "id", "empty": "", "ünï": "ç"}
    cognito.untag_resource(ResourceArn=arn, TagKeys=["team", "not-there"])
    assert tags_of(cognito, arn) == {"env": "prod", "empty": "", "ünï": "ç"}


def test_user_pool_tags_of_create_update_and_describe_are_the_same_map(cognito: Any) -> None:
    created = cognito.create_user_pool(PoolName=unique("tags"), UserPoolTags={"a": "1"})["UserPool"]
    try:
        arn = created["Arn"]
        assert created["UserPoolTags"] == {"a": "1"} and tags_of(cognito, arn) == {"a": "1"}
        cognito.tag_resource(ResourceArn=arn, Tags={"b": "2"})
        described = cognito.describe_user_pool(UserPoolId=created["Id"])["UserPool"]
        assert described["UserPoolTags"] == {"a": "1", "b": "2"}
        # an update without UserPoolTags keeps them; one with them replaces the map
        cognito.update_user_pool(UserPoolId=created["Id"], MfaConfiguration="OFF")
        assert tags_of(cognito, arn) == {"a": "1", "b": "2"}
        cognito.update_user_pool(UserPoolId=created["Id"], UserPoolTags={"c": "3"})
        assert tags_of(cognito, arn) == {"c": "3"}
        cognito.untag_resource(ResourceArn=arn, TagKeys=["c"])
        assert cognito.describe_user_pool(UserPoolId=created["Id"])["UserPool"]["UserPoolTags"] == {}
    finally:
        cognito.delete_user_pool(UserPoolId=created["Id"])


def test_an_unknown_or_foreign_arn_raises_resource_not_found(cognito: Any, pool: dict[str, Any]) -> None:
    region, account = pool["Arn"].split(":")[3:5]
    arns = [
        f"arn:aws:cognito-idp:{region}:{account}:userpool/{region}_Nowhere00",
        pool["Arn"].replace(f":{account}:", ":999999999999:"),
        pool["Arn"].replace(f":{region}:", ":eu-west-3:"),
        f"arn:aws:cognito-idp:{region}:{account}:identitypool/{pool['Id']}",
        f"arn:aws:s3:{region}:{account}:bucket/x",
    ]
    for arn in arns:
        for call in (
            lambda a=arn: cognito.tag_resource(ResourceArn=a, Tags={"k": "v"}),
            lambda a=arn: cognito.untag_resource(ResourceArn=a, TagKeys=["k"]),
            lambda a=arn: cognito.list_tags_for_resource(ResourceArn=a),
        ):
            with pytest.raises(ClientError) as exc:
                call()
            assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException", arn
    assert tags_of(cognito, pool["Arn"]) == {}


def test_at_most_50_tags_per_pool(cognito: Any, pool: dict[str, Any]) -> None:
    arn = pool["Arn"]
    cognito.tag_resource(ResourceArn=arn, Tags={f"k{i}": "v" for i in range(50)})
    cognito.tag_resource(ResourceArn=arn, Tags={"k0": "replaced"})  # replacing stays within the limit
    with pytest.raises(cognito.exceptions.InvalidParameterException):
        cognito.tag_resource(ResourceArn=arn, Tags={"one-more": "v"})
    assert len(tags_of(cognito, arn)) == 50 and tags_of(cognito, arn)["k0"] == "replaced"
    with pytest.raises(cognito.exceptions.InvalidParameterException):
        cognito.update_user_pool(UserPoolId=pool["Id"], UserPoolTags={f"k{i}": "v" for i in range(51)})
    with pytest.raises(cognito.exceptions.InvalidParameterException):
        cognito.create_user_pool(PoolName=unique("tags"), UserPoolTags={f"k{i}": "v" for i in range(51)})


def test_key_and_value_lengths_and_reserved_keys_are_refused(raw_cognito: Any, pool: dict[str, Any]) -> None:
    arn = pool["Arn"]
    for tags in ({"k" * 129: "v"}, {"": "v"}, {"k": "v" * 257}, {"aws:owner": "me"}):
        with pytest.raises(ClientError) as exc:
            raw_cognito.tag_resource(ResourceArn=arn, Tags=tags)
        assert exc.value.response["Error"]["Code"] == "InvalidParameterException", tags
    raw_cognito.tag_resource(ResourceArn=arn, Tags={"k" * 128: "v" * 256})
    assert tags_of(raw_cognito, arn) == {"k" * 128: "v" * 256}

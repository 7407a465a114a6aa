"""GetProvisionedLimit and UpdateProvisionedLimit, and the request-rate limits they set (--rate-limits on),
on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from test_pools import error_of

from userpools.domain.limits import CATEGORIES, MAXIMUM


def definition(category: str) -> dict[str, Any]:
    return {"LimitClass": "API_CATEGORY", "Attributes": {"Category": category}}


def limit_of(cognito: Any, category: str) -> dict[str, Any]:
    return cognito.get_provisioned_limit(LimitDefinition=definition(category))["Limit"]


@pytest.mark.parametrize("category", ["UserAuthentication", "UserAccountRecovery", "LimitManagement"])
def test_get_provisioned_limit_reports_the_categorys_default_rate(cognito: Any, category: str) -> None:
    limit = limit_of(cognito, category)
    free = CATEGORIES[category][0]
    assert limit == {"LimitDefinition": definition(category), "ProvisionedLimitValue": free, "FreeLimitValue": free}


def test_update_provisioned_limit_raises_an_adjustable_rate_and_get_reports_it(cognito: Any) -> None:
    answer = cognito.update_provisioned_limit(LimitDefinition=definition("UserRead"), RequestedLimitValue=480)
    assert answer["Limit"] == {"LimitDefinition": definition("UserRead"), "ProvisionedLimitValue": 480,
                               "FreeLimitValue": 120}
    assert limit_of(cognito, "UserRead")["ProvisionedLimitValue"] == 480
    cognito.update_provisioned_limit(LimitDefinition=definition("UserRead"), RequestedLimitValue=120)  # back
    assert limit_of(cognito, "UserRead")["ProvisionedLimitValue"] == 120


@pytest.mark.parametrize(("category", "value", "code"), [
    ("UserRead", 119, "InvalidParameterException"),  # below the default
    ("UserUpdate", 50, "InvalidParameterException"),  # a category that cannot be adjusted
    ("UserRead", MAXIMUM + 1, "ServiceQuotaExceededException"),
    ("NoSuchCategory", 200, "InvalidParameterException"),
])
def test_update_provisioned_limit_outside_the_allowed_range_is_refused(
    cognito: Any, category: str, value: int, code: str
) -> None:
    before = limit_of(cognito, "UserRead")["ProvisionedLimitValue"]
    with pytest.raises(ClientError) as excinfo:
        cognito.update_provisioned_limit(LimitDefinition=definition(category), RequestedLimitValue=value)
    assert error_of(excinfo)[0] == code
    assert limit_of(cognito, "UserRead")["ProvisionedLimitValue"] == before


def test_get_provisioned_limit_without_a_category_is_invalid(cognito: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        cognito.get_provisioned_limit(LimitDefinition={"LimitClass": "API_CATEGORY", "Attributes": {}})
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_unadjustable_category_accepts_its_own_default(cognito: Any) -> None:
    answer = cognito.update_provisioned_limit(LimitDefinition=definition("UserList"), RequestedLimitValue=30)
    assert answer["Limit"]["ProvisionedLimitValue"] == 30


@pytest.fixture(params=["sqlite", "postgresql"])
def limited(request: pytest.FixtureRequest, server_factory: Any) -> Any:
    """A server of its own with the rate limits on, its clock frozen (every request in one second until the
    test moves it)."""
    server = server_factory(request.param, extra_args=["--rate-limits", "on"])
    httpx.post(f"{server.url}/_userpools/clock", json={"freeze": True}).raise_for_status()
    return server


def next_second(server: Any) -> None:
    httpx.post(f"{server.url}/_userpools/clock", json={"advanceSeconds": 1}).raise_for_status()


def burst(server: Any, requests: int) -> list[str]:
    """InitiateAuth (category UserAuthentication) from 8 threads at once; the error code of each answer."""
    clients = [server.client() for _ in range(8)]

    def one(i: int) -> str:
        try:
            clients[i % 8].initiate_auth(ClientId="nosuchclient0000000000000a", AuthFlow="USER_PASSWORD_AUTH",
                                         AuthParameters={"USERNAME": "someone", "PASSWORD": "x"})
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return "ok"

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(requests)))


def test_a_limit_lowered_under_load_throttles_and_raised_again_does_not(limited: Any) -> None:
    cognito = limited.client()
    cognito.update_provisioned_limit(LimitDefinition=definition("UserAuthentication"), RequestedLimitValue=300)
    next_second(limited)
    assert burst(limited, 200).count("TooManyRequestsException") == 0

    next_second(limited)
    cognito.update_provisioned_limit(LimitDefinition=definition("UserAuthentication"), RequestedLimitValue=120)
    next_second(limited)
    codes = burst(limited, 200)
    assert codes.count("TooManyRequestsException") == 80  # one process: exactly the rate is let through
    assert codes.count("ResourceNotFoundException") == 120

    next_second(limited)
    cognito.update_provisioned_limit(LimitDefinition=definition("UserAuthentication"), RequestedLimitValue=400)
    next_second(limited)
    assert set(burst(limited, 200)) == {"ResourceNotFoundException"}


def test_limit_management_is_one_request_per_second(limited: Any) -> None:
    cognito = limited.client()
    assert limit_of(cognito, "UserToken")["ProvisionedLimitValue"] == 120
    with pytest.raises(ClientError) as excinfo:
        limit_of(cognito, "UserToken")
    assert error_of(excinfo) == ("TooManyRequestsException", "Rate exceeded")
    next_second(limited)
    assert limit_of(cognito, "UserToken")["ProvisionedLimitValue"] == 120

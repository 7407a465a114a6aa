"""Compromised credentials: a password in the operator's breached list (a file of SHA-1 hashes, or a
k-anonymity range service on loopback) refused at sign-up, sign-in and password change, per EventFilter and
EventAction."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from accounts import PASSWORD, make_client, make_user, sign_in, unique
from botocore.exceptions import ClientError
from test_pools import error_of

BREACHED = "Breached-Pass-42"


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest().upper()


class RangeService:
    """HIBP's /range/{first5} on loopback: answers the suffixes of the hashes it knows, with counts, padded
    with a zero-count line as the real service's Add-Padding does."""

    def __init__(self, passwords: list[str]) -> None:
        self.hashes = {sha1(p) for p in passwords}
        self.asked: list[str] = []
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                prefix = self.path.rsplit("/", 1)[-1].upper()
                service.asked.append(prefix)
                lines = [f"{h[5:]}:17" for h in service.hashes if h.startswith(prefix)]
                lines.append("0" * 35 + ":0")
                body = "\r\n".join(lines).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/range"


@pytest.fixture(scope="module")
def range_service() -> Iterator[RangeService]:
    service = RangeService([BREACHED])
    service.thread.start()
    yield service
    service.httpd.shutdown()


@pytest.fixture(scope="module", params=["sqlite-file", "postgresql-file", "sqlite-range", "postgresql-range"])
def checking(server_factory: Any, range_service: RangeService, tmp_path_factory: pytest.TempPathFactory,
             request: pytest.FixtureRequest) -> Any:
    backend, source = request.param.split("-")
    if source == "file":
        listing = Path(tmp_path_factory.mktemp("breached")) / "pwned.txt"
        listing.write_text(f"{sha1('password')}:999\n{sha1(BREACHED)}:3\n")
        args = ["--breached-passwords", str(listing)]
    else:
        args = ["--breached-passwords-url", range_service.url]
    return server_factory(backend, extra_args=args)


def enforced_pool(cognito: Any, events: list[str] | None = None, action: str = "BLOCK") -> str:
    pool_id = cognito.create_user_pool(
        PoolName=unique("cc"), UserPoolTier="PLUS", UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"},
    )["UserPool"]["Id"]
    config: dict[str, Any] = {"Actions": {"EventAction": action}}
    if events is not None:
        config["EventFilter"] = events
    cognito.set_risk_configuration(UserPoolId=pool_id, CompromisedCredentialsRiskConfiguration=config)
    return str(pool_id)


def test_breached_password_is_refused_at_sign_up(checking: Any) -> None:
    cognito = checking.client()
    pool_id = enforced_pool(cognito)
    client_id = make_client(cognito, pool_id)["ClientId"]
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client_id, Username=unique(), Password=BREACHED)
    assert error_of(excinfo)[0] == "InvalidPasswordException"
    assert cognito.sign_up(ClientId=client_id, Username=unique(), Password=PASSWORD)["UserConfirmed"] is False


def test_breached_password_blocks_sign_in_and_requires_a_reset(checking: Any) -> None:
    cognito = checking.client()
    pool_id = enforced_pool(cognito)
    client_id = make_client(cognito, pool_id)["ClientId"]
    name = make_user(cognito, pool_id, password=BREACHED)  # an administrator's password is not checked
    with pytest.raises(ClientError) as excinfo:
        sign_in(cognito, client_id, name, BREACHED)
    assert error_of(excinfo)[0] == "PasswordResetRequiredException"
    assert cognito.admin_get_user(UserPoolId=pool_id, Username=name)["UserStatus"] == "RESET_REQUIRED"
    event = cognito.admin_list_user_auth_events(UserPoolId=pool_id, Username=name)["AuthEvents"][0]
    assert event["EventResponse"] == "Fail"
    assert event["EventRisk"] == {"RiskDecision": "Block", "CompromisedCredentialsDetected": True}


def test_no_action_records_the_detection_and_lets_the_user_in(checking: Any) -> None:
    cognito = checking.client()
    pool_id = enforced_pool(cognito, action="NO_ACTION")
    client_id = make_client(cognito, pool_id)["ClientId"]
    name = make_user(cognito, pool_id, password=BREACHED)
    assert "AuthenticationResult" in sign_in(cognito, client_id, name, BREACHED)
    event = cognito.admin_list_user_auth_events(UserPoolId=pool_id, Username=name)["AuthEvents"][0]
    assert event["EventRisk"]["CompromisedCredentialsDetected"] is True
    assert event["EventRisk"]["RiskDecision"] == "NoRisk"


def test_event_filter_limits_the_check_and_password_change_is_refused(checking: Any) -> None:
    cognito = checking.client()
    pool_id = enforced_pool(cognito, events=["PASSWORD_CHANGE"])
    client_id = make_client(cognito, pool_id)["ClientId"]
    name = make_user(cognito, pool_id, password=BREACHED)
    tokens = sign_in(cognito, client_id, name, BREACHED)["AuthenticationResult"]  # SIGN_IN is not filtered
    with pytest.raises(ClientError) as excinfo:
        cognito.change_password(AccessToken=tokens["AccessToken"], PreviousPassword=BREACHED,
                                ProposedPassword="password")
    assert error_of(excinfo)[0] == "InvalidPasswordException"
    cognito.change_password(AccessToken=tokens["AccessToken"], PreviousPassword=BREACHED,
                            ProposedPassword="Fresh-Unlisted-9")


def test_the_range_service_only_sees_the_hash_prefix(server_factory: Any, range_service: RangeService) -> None:
    srv = server_factory("sqlite", extra_args=["--breached-passwords-url", range_service.url])
    cognito = srv.client()
    pool_id = enforced_pool(cognito)
    client_id = make_client(cognito, pool_id)["ClientId"]
    range_service.asked.clear()
    with pytest.raises(ClientError):
        cognito.sign_up(ClientId=client_id, Username=unique(), Password=BREACHED)
    assert range_service.asked == [sha1(BREACHED)[:5]]


def test_a_new_password_challenge_refuses_a_breached_password(checking: Any) -> None:
    cognito = checking.client()
    pool_id = enforced_pool(cognito)
    client_id = make_client(cognito, pool_id)["ClientId"]
    name = unique()
    cognito.admin_create_user(UserPoolId=pool_id, Username=name, TemporaryPassword="Temporary-Pass-1",
                              MessageAction="SUPPRESS")
    challenge = sign_in(cognito, client_id, name, "Temporary-Pass-1")
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    event = cognito.admin_list_user_auth_events(UserPoolId=pool_id, Username=name)["AuthEvents"][0]
    assert event["EventResponse"] == "InProgress"
    with pytest.raises(ClientError) as excinfo:
        cognito.respond_to_auth_challenge(ClientId=client_id, ChallengeName="NEW_PASSWORD_REQUIRED",
                                          Session=challenge["Session"],
                                          ChallengeResponses={"USERNAME": name, "NEW_PASSWORD": BREACHED})
    assert error_of(excinfo)[0] == "InvalidPasswordException"
    done = cognito.respond_to_auth_challenge(ClientId=client_id, ChallengeName="NEW_PASSWORD_REQUIRED",
                                             Session=challenge["Session"],
                                             ChallengeResponses={"USERNAME": name, "NEW_PASSWORD": PASSWORD})
    assert "AuthenticationResult" in done

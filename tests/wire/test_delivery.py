"""Real delivery: email through an SMTP server on loopback (aiosmtpd), SMS to a webhook; a failed delivery
answers CodeDeliveryFailureException and leaves nothing half-written; the outbox still records everything."""

from __future__ import annotations

import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from accounts import PASSWORD, make_client, outbox, unique
from botocore.exceptions import ClientError
from server import free_port
from smtp_server import SmtpServer
from test_pools import error_of


@pytest.fixture(scope="module")
def smtp() -> Any:
    with SmtpServer() as server:
        yield server


class _Hook(BaseHTTPRequestHandler):
    received: queue.Queue[dict[str, Any]]
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.put(json.loads(body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def sms_hook() -> Any:
    handler = type("Hook", (_Hook,), {"received": queue.Queue()})
    httpd = HTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{httpd.server_port}/sms"
    httpd.shutdown()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def delivering(server_factory: Any, smtp: Any, sms_hook: Any, request: pytest.FixtureRequest) -> Any:
    return server_factory(request.param, extra_args=["--smtp-url", smtp.url(), "--sms-webhook", sms_hook[1]])


def test_sign_up_code_arrives_by_email_with_the_pools_addresses(delivering: Any, smtp: Any) -> None:
    cognito = delivering.client()
    pool = cognito.create_user_pool(PoolName=unique("smtp"), AutoVerifiedAttributes=["email"],
                                    EmailConfiguration={"EmailSendingAccount": "COGNITO_DEFAULT",
                                                        "ReplyToEmailAddress": "help@example.com"})["UserPool"]
    client = make_client(cognito, pool["Id"])
    name = unique()
    cognito.sign_up(ClientId=client["ClientId"], Username=name, Password=PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": "mail@example.com"}])
    received = smtp.next_message()
    recorded = outbox(delivering, pool["Id"], name)[0]
    assert received.rcpt_tos == ("mail@example.com",)
    assert received.message["From"] == "no-reply@verificationemail.com"
    assert received.message["Reply-To"] == "help@example.com"
    assert received.message["To"] == "mail@example.com"
    assert received.message["Subject"] == "Your verification code"
    assert received.message["Message-ID"] and received.message["Date"]
    assert received.message.get_content().strip() == recorded["body"].strip()
    assert recorded["code"] in received.message.get_content()


def test_forgot_password_code_arrives_by_sms_webhook(delivering: Any, sms_hook: Any) -> None:
    cognito = delivering.client()
    pool = cognito.create_user_pool(PoolName=unique("sms"))["UserPool"]
    client = make_client(cognito, pool["Id"])
    name = unique()
    cognito.admin_create_user(UserPoolId=pool["Id"], Username=name, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "phone_number", "Value": "+14325550199"},
                                              {"Name": "phone_number_verified", "Value": "true"}])
    cognito.admin_set_user_password(UserPoolId=pool["Id"], Username=name, Password=PASSWORD, Permanent=True)
    cognito.forgot_password(ClientId=client["ClientId"], Username=name)
    posted = sms_hook[0].received.get(timeout=5)
    assert posted["to"] == "+14325550199" and posted["userPoolId"] == pool["Id"]
    assert posted["triggerSource"] == "CustomMessage_ForgotPassword"
    assert outbox(delivering, pool["Id"], name)[0]["code"] in posted["message"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_failed_delivery_answers_code_delivery_failure_and_changes_nothing(server_factory: Any, backend: str) -> None:
    broken = server_factory(backend, extra_args=["--smtp-url", f"smtp://127.0.0.1:{free_port()}"])
    cognito = broken.client()
    pool = cognito.create_user_pool(PoolName=unique("broken"), AutoVerifiedAttributes=["email"])["UserPool"]
    client = make_client(cognito, pool["Id"])
    name = unique()
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client["ClientId"], Username=name, Password=PASSWORD,
                        UserAttributes=[{"Name": "email", "Value": "lost@example.com"}])
    assert error_of(excinfo) == ("CodeDeliveryFailureException", "Invalid email provided/Unable to send the email")
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId=pool["Id"], Username=name)
    assert error_of(excinfo)[0] == "UserNotFoundException"
    assert outbox(broken, pool["Id"], name) == []


def test_forgot_password_code_arrives_by_real_smtp(delivering: Any, smtp: Any) -> None:
    cognito = delivering.client()
    pool = cognito.create_user_pool(PoolName=unique("smtp-reset"),
                                    VerificationMessageTemplate={"EmailSubject": "Reset your password",
                                                                 "EmailMessage": "Use {####} to reset it."})["UserPool"]
    client = make_client(cognito, pool["Id"])
    name = unique()
    cognito.admin_create_user(UserPoolId=pool["Id"], Username=name, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": "reset@example.com"},
                                              {"Name": "email_verified", "Value": "true"}])
    cognito.admin_set_user_password(UserPoolId=pool["Id"], Username=name, Password=PASSWORD, Permanent=True)
    while not smtp.received.empty():  # earlier tests' mail
        smtp.received.get_nowait()
    cognito.forgot_password(ClientId=client["ClientId"], Username=name)
    received = smtp.next_message()
    code = outbox(delivering, pool["Id"], name)[0]["code"]
    assert received.rcpt_tos == ("reset@example.com",)
    assert received.message["Subject"] == "Reset your password"
    assert received.message.get_content().strip() == f"Use {code} to reset it."
    cognito.confirm_forgot_password(ClientId=client["ClientId"], Username=name, ConfirmationCode=code,
                                    Password="Mailed-Reset-1")

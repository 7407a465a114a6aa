"""Email and SMS delivery against real servers on loopback: an aiosmtpd SMTP server (tests/wire/smtp_server.py)
and a small http.server webhook, both in background threads."""

from __future__ import annotations

import asyncio
import json
import queue
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from smtp_server import SmtpServer

from userpools.clock import FrozenClock
from userpools.delivery.messages import Message
from userpools.delivery.mime import html_to_text, looks_like_html
from userpools.delivery.senders import (
    ConsoleOnly,
    Delivery,
    DeliveryError,
    SmsWebhookSender,
    SmtpConfig,
    SmtpSender,
    sender_address,
)

POOL_ID = "us-east-1_AbCdEf123"
CLOCK = FrozenClock(datetime(2026, 1, 1, 9, 30, tzinfo=UTC))


def email_message(**changes: Any) -> Message:
    message = Message(
        pool_id=POOL_ID,
        username="alice",
        destination="alice@example.com",
        delivery_medium="EMAIL",
        subject="Your verification code",
        body="Your verification code is 123456. ",
        code="123456",
        trigger_source="CustomMessage_SignUp",
    )
    return replace(message, **changes)


def sms_message(**changes: Any) -> Message:
    message = Message(
        pool_id=POOL_ID,
        username="bob",
        destination="+15555550276",
        delivery_medium="SMS",
        subject=None,
        body="Your verification code is 654321. ",
        code="654321",
        trigger_source="CustomMessage_SignUp",
    )
    return replace(message, **changes)


def send(
    sender: SmtpSender,
    message: Message,
    *,
    from_address: str = "no-reply@verificationemail.com",
    reply_to: str | None = None,
) -> None:
    asyncio.run(sender.send(message, from_address=from_address, reply_to=reply_to))


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


# --- the email itself ----------------------------------------------------------------------------------


def test_smtp_sender_sends_every_header_cognito_users_expect(smtp: SmtpServer) -> None:
    send(
        SmtpSender(smtp.url(), clock=CLOCK),
        email_message(),
        from_address="Example App <hello@example.com>",
        reply_to="support@example.com",
    )

    received = smtp.next_message()
    assert received.mail_from == "hello@example.com"
    assert received.rcpt_tos == ("alice@example.com",)
    email = received.message
    assert email["From"] == "Example App <hello@example.com>"
    assert email["Reply-To"] == "support@example.com"
    assert email["To"] == "alice@example.com"
    assert email["Subject"] == "Your verification code"
    assert email["Date"] == "Thu, 01 Jan 2026 09:30:00 +0000"
    assert re.fullmatch(r"<[^<>@\s]+@example\.com>", email["Message-ID"])
    assert email.get_content_type() == "text/plain"
    assert email.get_content() == "Your verification code is 123456. \n"


def test_each_email_has_its_own_message_id(smtp: SmtpServer) -> None:
    sender = SmtpSender(smtp.url())
    send(sender, email_message())
    send(sender, email_message())
    assert smtp.next_message().message["Message-ID"] != smtp.next_message().message["Message-ID"]


def test_no_reply_to_header_without_a_reply_to_address(smtp: SmtpServer) -> None:
    send(SmtpSender(smtp.url()), email_message())
    email = smtp.next_message().message
    assert email["From"] == "no-reply@verificationemail.com"
    assert "Reply-To" not in email


def test_html_body_is_sent_with_a_plain_text_alternative(smtp: SmtpServer) -> None:
    body = (
        "<html><head><style>p {color: red}</style></head><body><p>Hello alice,</p>"
        '<p>Your code is <b>123456</b>.</p><p><a href="https://app.example.com/confirm?c=1">Confirm</a>'
        "</p><p>Tom &amp; Jerry</p></body></html>"
    )
    send(SmtpSender(smtp.url()), email_message(body=body))

    email = smtp.next_message().message
    assert email.get_content_type() == "multipart/alternative"
    plain = email.get_body(preferencelist=("plain",))
    html = email.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert plain.get_content() == (
        "Hello alice,\n\nYour code is 123456.\n\nConfirm (https://app.example.com/confirm?c=1)\n\nTom & Jerry\n"
    )
    assert html.get_content().rstrip("\n") == body


def test_non_ascii_subject_and_body_arrive_intact(smtp: SmtpServer) -> None:
    send(
        SmtpSender(smtp.url()),
        email_message(subject="Votre code de vérification ✓", body="Votre code est 123456 — merci."),
    )
    email = smtp.next_message().message
    assert email["Subject"] == "Votre code de vérification ✓"
    assert email.get_content() == "Votre code est 123456 — merci.\n"


def test_a_line_break_in_the_subject_cannot_add_headers(smtp: SmtpServer) -> None:
    send(SmtpSender(smtp.url()), email_message(subject="Your code\r\nBcc: victim@example.com"))
    email = smtp.next_message().message
    assert email["Subject"] == "Your code Bcc: victim@example.com"
    assert "Bcc" not in email


@pytest.mark.parametrize(
    "body, is_html",
    [
        ("Your verification code is {####}. ", False),
        ("Your code is 123456 and 1 < 2 > 0", False),
        ("Your code is <b>123456</b>", True),
        ("Line one<br/>line two", True),
        ('<a href="https://example.com">link</a>', True),
    ],
)
def test_html_is_recognised_by_its_tags(body: str, is_html: bool) -> None:
    assert looks_like_html(body) is is_html


def test_html_to_text_keeps_the_words_and_drops_scripts() -> None:
    assert html_to_text("<div>Code:<br>123456</div><script>alert(1)</script>") == "Code:\n123456\n"


# --- SMTP transport: AUTH, TLS and every way delivery fails ----------------------------------------------


def test_auth_logs_in_with_the_url_credentials() -> None:
    with SmtpServer(user="mailer", password="s3cret") as server:
        send(SmtpSender(server.url(starttls="false")), email_message())
        received = server.next_message()
    assert received.authenticated_as == "mailer"
    assert not received.tls


def test_wrong_password_raises_delivery_error_that_hides_the_password() -> None:
    with SmtpServer(user="mailer", password="s3cret") as server:
        url = f"smtp://mailer:wrong-pass-123@127.0.0.1:{server.port}?starttls=false"
        with pytest.raises(DeliveryError) as caught:
            send(SmtpSender(url), email_message())
        server.assert_nothing_received()
    assert "authentication failed" in str(caught.value)
    assert "wrong-pass-123" not in str(caught.value)
    assert caught.value.medium == "EMAIL"


def test_starttls_then_auth() -> None:
    with SmtpServer(user="mailer", password="s3cret", starttls=True) as server:
        sender = SmtpSender(server.url(starttls="true"), tls_context=server.client_tls_context())
        send(sender, email_message())
        received = server.next_message()
    assert received.tls
    assert received.authenticated_as == "mailer"


def test_a_server_that_requires_auth_refuses_a_sender_without_credentials() -> None:
    with SmtpServer(user="mailer", password="s3cret", starttls=True) as server:
        sender = SmtpSender(server.url(with_credentials=False), tls_context=server.client_tls_context())
        with pytest.raises(DeliveryError, match="530"):
            send(sender, email_message())
        server.assert_nothing_received()


def test_starttls_is_used_when_offered_even_unasked() -> None:
    with SmtpServer(starttls=True) as server:
        send(SmtpSender(server.url(), tls_context=server.client_tls_context()), email_message())
        assert server.next_message().tls


def test_starttls_with_an_untrusted_certificate_raises_delivery_error() -> None:
    with SmtpServer(starttls=True) as server:
        with pytest.raises(DeliveryError):
            send(SmtpSender(server.url(starttls="true")), email_message())  # the system CAs only
        server.assert_nothing_received()


def test_starttls_required_but_not_offered_raises_delivery_error(smtp: SmtpServer) -> None:
    with pytest.raises(DeliveryError):
        send(SmtpSender(smtp.url(starttls="true")), email_message())


def test_smtps_speaks_tls_from_the_first_byte() -> None:
    with SmtpServer(user="mailer", password="s3cret", implicit_tls=True) as server:
        assert server.url().startswith("smtps://")
        send(SmtpSender(server.url(), tls_context=server.client_tls_context()), email_message())
        received = server.next_message()
    assert received.tls
    assert received.authenticated_as == "mailer"


def test_refused_connection_raises_delivery_error() -> None:
    with socket.socket() as closed:  # bound, never listening: connections to it are refused
        closed.bind(("127.0.0.1", 0))
        url = f"smtp://mailer:hunter2@127.0.0.1:{closed.getsockname()[1]}"
        with pytest.raises(DeliveryError) as caught:
            send(SmtpSender(url), email_message())
    assert "cannot connect" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:  # the kernel accepts the connection; no greeting ever comes
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        sender = SmtpSender(f"smtp://127.0.0.1:{silent.getsockname()[1]}", timeout=0.3)
        with pytest.raises(DeliveryError, match="timed out after 0.3 s"):
            send(sender, email_message())


def test_rejected_recipient_raises_delivery_error() -> None:
    with SmtpServer(reject_recipients={"ghost@example.com"}) as server:
        with pytest.raises(DeliveryError, match=r"recipient refused \(550 "):
            send(SmtpSender(server.url()), email_message(destination="ghost@example.com"))
        server.assert_nothing_received()


def test_from_without_an_address_raises_delivery_error(smtp: SmtpServer) -> None:
    with pytest.raises(DeliveryError, match="From"):
        send(SmtpSender(smtp.url()), email_message(), from_address="Example App")
    smtp.assert_nothing_received()


# --- the SMTP URL --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smtp://mail.example.com", ("mail.example.com", 25, False, None, None, None, 10.0)),
        ("smtp://mail.example.com:2525", ("mail.example.com", 2525, False, None, None, None, 10.0)),
        ("smtp://u:p@mail.example.com?starttls=true", ("mail.example.com", 587, False, True, "u", "p", 10.0)),
        (
            "smtp://mail.example.com:25?starttls=false&timeout=2.5",
            ("mail.example.com", 25, False, False, None, None, 2.5),
        ),
        (
            "smtps://apikey:p%40ss%3Aword@smtp.example.com",
            ("smtp.example.com", 465, True, False, "apikey", "p@ss:word", 10.0),
        ),
        ("smtp://[::1]:1025", ("::1", 1025, False, None, None, None, 10.0)),
    ],
)
def test_smtp_url_is_read_into_settings(url: str, expected: tuple[Any, ...]) -> None:
    config = SmtpConfig.parse(url)
    assert (
        config.host,
        config.port,
        config.implicit_tls,
        config.starttls,
        config.username,
        config.password,
        config.timeout,
    ) == expected


@pytest.mark.parametrize(
    "url, problem",
    [
        ("http://mail.example.com", "smtp:// or smtps://"),
        ("smtp://:secret@:25", "no host"),
        ("smtp://u:secret@mail.example.com:99999", "port"),
        ("smtp://u:secret@mail.example.com?starttls=yes", "true or false"),
        ("smtp://u:secret@mail.example.com?tls=1", "unknown SMTP URL parameter 'tls'"),
        ("smtp://u:secret@mail.example.com?timeout=soon", "number of seconds"),
        ("smtps://u:secret@mail.example.com?starttls=true", "STARTTLS"),
    ],
)
def test_unusable_smtp_url_is_refused_without_echoing_the_password(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)) as caught:
        SmtpConfig.parse(url)
    assert "secret" not in str(caught.value)


def test_smtp_description_hides_the_password() -> None:
    config = SmtpConfig.parse("smtp://mailer:s3cret@mail.example.com:587?starttls=true")
    assert config.describe() == "smtp://mailer:***@mail.example.com:587?starttls=true"
    assert "s3cret" not in repr(config)


# --- SMS webhook ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookCall:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@contextmanager
def webhook(status: int = 200) -> Iterator[tuple[str, queue.Queue[WebhookCall]]]:
    """A real HTTP server on loopback that records each POST and answers ``status``."""
    calls: queue.Queue[WebhookCall] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            calls.put(
                WebhookCall(self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw))
            )
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # serve_forever notices shutdown() at its next poll: a short one keeps each test fast.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", calls
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_sms_webhook_receives_the_message_as_json() -> None:
    with webhook() as (url, calls):
        asyncio.run(SmsWebhookSender(f"{url}/sms?token=abc").send(sms_message()))
        call = calls.get(timeout=5)
    assert call.path == "/sms?token=abc"
    assert call.headers["content-type"] == "application/json"
    message_id = call.body.pop("messageId")
    assert uuid.UUID(message_id)
    assert call.body == {
        "to": "+15555550276",
        "message": "Your verification code is 654321. ",
        "userPoolId": POOL_ID,
        "username": "bob",
        "triggerSource": "CustomMessage_SignUp",
    }


@pytest.mark.parametrize("status", [201, 202, 204])
def test_any_2xx_from_the_sms_webhook_is_success(status: int) -> None:
    with webhook(status) as (url, calls):
        asyncio.run(SmsWebhookSender(url).send(sms_message()))
        calls.get(timeout=5)


@pytest.mark.parametrize("status", [302, 400, 429, 500, 503])
def test_non_2xx_from_the_sms_webhook_raises_delivery_error(status: int) -> None:
    with webhook(status) as (url, calls):
        with pytest.raises(DeliveryError) as caught:
            asyncio.run(
                SmsWebhookSender(f"http://user:pw-123@{url.removeprefix('http://')}/sms?token=t0k3n").send(
                    sms_message()
                )
            )
        calls.get(timeout=5)
    error = str(caught.value)
    assert f"answered {status}" in error
    assert caught.value.medium == "SMS"
    assert "t0k3n" not in error and "pw-123" not in error
    assert "+15555550276" not in error  # the number is masked


def test_unreachable_sms_webhook_raises_delivery_error() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        sender = SmsWebhookSender(f"http://127.0.0.1:{closed.getsockname()[1]}/sms")
        with pytest.raises(DeliveryError, match="ConnectError"):
            asyncio.run(sender.send(sms_message()))


def test_sms_webhook_must_be_http() -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        SmsWebhookSender("ftp://gateway.example.com/sms")


# --- Delivery: which sender, and which From ------------------------------------------------------------


@pytest.mark.parametrize(
    "email_configuration, expected",
    [
        (None, ("no-reply@verificationemail.com", None)),
        ({"EmailSendingAccount": "COGNITO_DEFAULT"}, ("no-reply@verificationemail.com", None)),
        (
            {"From": "Example <hello@example.com>", "ReplyToEmailAddress": "help@example.com"},
            ("Example <hello@example.com>", "help@example.com"),
        ),
        (
            {
                "SourceArn": "arn:aws:ses:us-east-1:123456789012:identity/ses@example.com",
                "EmailSendingAccount": "DEVELOPER",
            },
            ("ses@example.com", None),
        ),
        (
            {
                "SourceArn": "arn:aws:ses:us-east-1:123456789012:identity/ses@example.com",
                "From": "from@example.com",
            },
            ("from@example.com", None),
        ),
        (
            {"SourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com"},
            ("no-reply@verificationemail.com", None),
        ),
    ],
)
def test_from_and_reply_to_come_from_the_pool_email_configuration(
    email_configuration: dict[str, str] | None,
    expected: tuple[str, str | None],
) -> None:
    settings = {} if email_configuration is None else {"EmailConfiguration": email_configuration}
    assert sender_address(settings) == expected


def test_delivery_routes_by_medium_to_the_real_senders(smtp: SmtpServer) -> None:
    with webhook() as (url, calls):
        delivery = Delivery.from_settings(smtp.url(), url)
        settings = {
            "EmailConfiguration": {
                "From": "Example <hello@example.com>",
                "ReplyToEmailAddress": "help@example.com",
            }
        }

        asyncio.run(delivery.deliver(email_message(), settings))
        email = smtp.next_message().message
        assert (email["From"], email["Reply-To"], email["To"]) == (
            "Example <hello@example.com>",
            "help@example.com",
            "alice@example.com",
        )
        assert calls.empty()

        asyncio.run(delivery.deliver(sms_message(), settings))
        assert calls.get(timeout=5).body["to"] == "+15555550276"
        smtp.assert_nothing_received()


def test_delivery_uses_cognitos_default_sender_when_the_pool_names_none(smtp: SmtpServer) -> None:
    asyncio.run(Delivery(email=SmtpSender(smtp.url())).deliver(email_message(), {}))
    received = smtp.next_message()
    assert received.mail_from == "no-reply@verificationemail.com"
    assert received.message["From"] == "no-reply@verificationemail.com"
    assert "Reply-To" not in received.message


def test_without_senders_delivery_is_console_only() -> None:
    delivery = Delivery.from_settings(None, None)
    assert isinstance(delivery.email, ConsoleOnly) and isinstance(delivery.sms, ConsoleOnly)
    assert delivery.describe() == "email: console/outbox only; sms: console/outbox only"
    asyncio.run(delivery.deliver(email_message(), {}))
    asyncio.run(delivery.deliver(sms_message(), {}))


def test_email_only_delivery_leaves_sms_on_the_console(smtp: SmtpServer) -> None:
    delivery = Delivery.from_settings(smtp.url(), None)
    asyncio.run(delivery.deliver(sms_message(), {}))
    smtp.assert_nothing_received()
    assert delivery.describe() == f"email: smtp://127.0.0.1:{smtp.port}; sms: console/outbox only"


def test_delivery_failure_reaches_the_caller() -> None:
    with webhook(500) as (url, _), pytest.raises(DeliveryError) as caught:
        asyncio.run(Delivery.from_settings(None, url).deliver(sms_message(), {}))
    assert caught.value.medium == "SMS"


def test_delivery_refuses_an_unknown_medium() -> None:
    with pytest.raises(ValueError, match="unknown delivery medium"):
        asyncio.run(Delivery().deliver(email_message(delivery_medium="PIGEON"), {}))


def test_from_settings_refuses_a_bad_url() -> None:
    with pytest.raises(ValueError, match="smtp:// or smtps://"):
        Delivery.from_settings("mail.example.com:25", None)

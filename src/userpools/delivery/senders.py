"""Real delivery of a pool's messages, chosen by configuration: email over SMTP, SMS to an HTTP webhook.

Every message is also recorded in the outbox (``delivery.outbox``); a medium without a sender is
console/outbox only. The operations call ``Delivery.deliver`` inside the transaction, after
``Outbox.record``, so a ``DeliveryError`` rolls back the state change and its outbox record together (and
becomes Cognito's CodeDeliveryFailureException at the operations boundary).

- ``SmtpSender``: ``smtp://[user:password@]host[:port][?starttls=true|false&timeout=SECONDS]`` or
  ``smtps://…`` (TLS from the first byte). Without ``starttls`` the connection is upgraded when the server
  offers STARTTLS; ``starttls=true`` requires it, ``starttls=false`` never upgrades. Certificates are
  verified against the system's CAs (``SSL_CERT_FILE`` can point at a bundle with a private CA).
- ``SmsWebhookSender``: ``POST {url}`` with ``{"to", "message", "userPoolId", "username",
  "triggerSource", "messageId"}``; any 2xx is success.
- ``ConsoleOnly``: sends nothing.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

import aiosmtplib
import httpx

from userpools import __version__, ids, metrics
from userpools.clock import Clock, SystemClock
from userpools.delivery.messages import Message, mask_destination
from userpools.delivery.mime import DEFAULT_FROM, address_of, build_email

log = logging.getLogger("userpools.delivery")

SMTP_TIMEOUT = 10.0
"""Seconds for a whole SMTP delivery (connect, TLS, AUTH, DATA). The transaction waits this long at most."""

SMS_TIMEOUT = 5.0


class DeliveryError(Exception):
    """A message could not be handed to its gateway. The text says why, for logs and operators; it never
    holds credentials. ``medium`` is "EMAIL" or "SMS"."""

    def __init__(self, message: str, *, medium: str) -> None:
        super().__init__(message)
        self.medium = medium


class EmailSender(Protocol):
    async def send(self, message: Message, *, from_address: str, reply_to: str | None) -> None: ...

    def describe(self) -> str: ...


class SmsSender(Protocol):
    async def send(self, message: Message) -> None: ...

    def describe(self) -> str: ...


class ConsoleOnly:
    """No real delivery: the outbox (and, in development mode, the console) is where the message goes."""

    async def send(
        self, message: Message, *, from_address: str | None = None, reply_to: str | None = None
    ) -> None:
        return None

    def describe(self) -> str:
        return "console/outbox only"


# --- email over SMTP -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool | None  # None: upgrade when the server offers it
    timeout: float
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, url: str, *, timeout: float = SMTP_TIMEOUT) -> SmtpConfig:
        """Reads an ``smtp://`` or ``smtps://`` URL. Raises ValueError (whose text has no password)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("the SMTP URL must start with smtp:// or smtps://")
        if not parts.hostname:
            raise ValueError("the SMTP URL has no host (smtp://host:port)")
        try:
            port = parts.port
        except ValueError:
            raise ValueError("the SMTP URL's port is not a number from 1 to 65535") from None
        implicit_tls = parts.scheme == "smtps"
        starttls: bool | None = None
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key == "starttls":
                if value.lower() not in ("true", "false"):
                    raise ValueError("starttls in the SMTP URL must be true or false")
                starttls = value.lower() == "true"
            elif key == "timeout":
                try:
                    timeout = float(value)
                except ValueError:
                    raise ValueError("timeout in the SMTP URL must be a number of seconds") from None
                if not 0 < timeout <= 300:
                    raise ValueError("timeout in the SMTP URL must be between 0 and 300 seconds")
            else:
                raise ValueError(f"unknown SMTP URL parameter {key!r} (known: starttls, timeout)")
        if implicit_tls and starttls:
            raise ValueError("smtps:// is TLS from the start: use smtp://…?starttls=true for STARTTLS")
        if implicit_tls:
            starttls = False
        default_port = 465 if implicit_tls else 587 if starttls else 25
        return cls(
            host=parts.hostname,
            port=port or default_port,
            implicit_tls=implicit_tls,
            starttls=starttls,
            timeout=timeout,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )

    def describe(self) -> str:
        """The URL without its password, for logs."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}:***@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = (
            "" if self.starttls is None or self.implicit_tls else f"?starttls={str(self.starttls).lower()}"
        )
        return f"{scheme}://{user}{host}:{self.port}{query}"


class SmtpSender:
    """Sends each message as one email through an SMTP relay (a new connection per message)."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = SMTP_TIMEOUT,
        tls_context: ssl.SSLContext | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.config = SmtpConfig.parse(url, timeout=timeout)
        self._tls_context = tls_context
        self._clock = clock or SystemClock()

    def describe(self) -> str:
        return self.config.describe()

    async def send(self, message: Message, *, from_address: str, reply_to: str | None) -> None:
        config = self.config
        try:
            email = build_email(message, from_address=from_address, reply_to=reply_to, now=self._clock.now())
        except ValueError as exc:
            raise DeliveryError(f"cannot build the email: {exc}", medium="EMAIL") from None
        try:
            async with asyncio.timeout(config.timeout):
                await aiosmtplib.send(
                    email,
                    sender=address_of(from_address),
                    recipients=[message.destination],
                    hostname=config.host,
                    port=config.port,
                    username=config.username,
                    password=config.password,
                    use_tls=config.implicit_tls,
                    start_tls=config.starttls,
                    tls_context=self._tls_context,
                    timeout=config.timeout,
                )
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:  # TimeoutError is an OSError
            reason = self._scrub(_smtp_reason(exc, config.timeout))
            raise DeliveryError(
                f"email to {mask_destination('EMAIL', message.destination)} not delivered through "
                f"{config.host}:{config.port}: {reason}",
                medium="EMAIL",
            ) from None

    def _scrub(self, text: str) -> str:
        password = self.config.password
        return text.replace(password, "***") if password else text


def _smtp_reason(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = exc.recipients[0] if exc.recipients else None
        return f"recipient refused ({refused.code} {refused.message})" if refused else "recipient refused"
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        return f"recipient refused ({exc.code} {exc.message})"
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return f"sender refused ({exc.code} {exc.message})"
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return f"authentication failed ({exc.code} {exc.message})"
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return f"the server does not support what was asked ({exc})"
    if isinstance(exc, TimeoutError):  # also aiosmtplib's SMTPTimeoutError
        return f"timed out after {timeout:g} s"
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"the server answered {exc.code} {exc.message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or exc})"
    if isinstance(exc, aiosmtplib.SMTPConnectError | ConnectionError):
        return f"cannot connect ({exc})"
    return f"{type(exc).__name__}: {exc}"


# --- SMS through an HTTP webhook -----------------------------------------------------------------------


class SmsWebhookSender:
    """POSTs each SMS as JSON to a gateway of the operator's choosing; any 2xx answer means sent."""

    def __init__(
        self, url: str, *, timeout: float = SMS_TIMEOUT, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the SMS webhook must be an http:// or https:// URL")
        self.url = url
        self._timeout = timeout
        self._transport = transport
        # Without user:password@ and ?query, which may hold a token.
        self._safe_url = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"

    def describe(self) -> str:
        return f"webhook {self._safe_url}"

    async def send(self, message: Message) -> None:
        payload = {
            "to": message.destination,
            "message": message.body,
            "userPoolId": message.pool_id,
            "username": message.username,
            "triggerSource": message.trigger_source,
            "messageId": ids.new_uuid(),
        }
        where = (
            f"SMS to {mask_destination('SMS', message.destination)} not delivered through {self._safe_url}"
        )
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport, follow_redirects=False
            ) as client:
                response = await client.post(
                    self.url, json=payload, headers={"User-Agent": f"userpools/{__version__}"}
                )
        except httpx.TimeoutException:
            raise DeliveryError(f"{where}: timed out after {self._timeout:g} s", medium="SMS") from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{where}: {type(exc).__name__} ({exc})", medium="SMS") from None
        if not response.is_success:
            raise DeliveryError(f"{where}: the webhook answered {response.status_code}", medium="SMS")


# --- the choice ----------------------------------------------------------------------------------------


def sender_address(pool_settings: dict[str, Any]) -> tuple[str, str | None]:
    """From and Reply-To for a pool's email: EmailConfiguration.From, else the address of the SES identity
    in SourceArn (``arn:aws:ses:…:identity/user@example.com``, which Cognito uses as From), else
    Cognito's ``no-reply@verificationemail.com``; Reply-To is ReplyToEmailAddress when set."""
    config = pool_settings.get("EmailConfiguration") or {}
    identity = str(config.get("SourceArn") or "").rpartition(":identity/")[2]
    from_address = config.get("From") or (identity if "@" in identity else "") or DEFAULT_FROM
    return from_address, config.get("ReplyToEmailAddress") or None


class Delivery:
    """Routes each message to the sender for its medium. Without one, the medium is console/outbox only."""

    def __init__(self, email: EmailSender | None = None, sms: SmsSender | None = None) -> None:
        self.email: EmailSender = email or ConsoleOnly()
        self.sms: SmsSender = sms or ConsoleOnly()

    @classmethod
    def from_settings(cls, smtp_url: str | None, sms_webhook: str | None) -> Delivery:
        """Builds the senders from ``--smtp-url`` and ``--sms-webhook``. Raises ValueError for a URL that
        cannot be used (the text names the problem and holds no password)."""
        return cls(
            email=SmtpSender(smtp_url) if smtp_url else None,
            sms=SmsWebhookSender(sms_webhook) if sms_webhook else None,
        )

    def describe(self) -> str:
        return f"email: {self.email.describe()}; sms: {self.sms.describe()}"

    async def deliver(self, message: Message, pool_settings: dict[str, Any]) -> None:
        """Sends ``message`` by its medium; raises DeliveryError when the gateway does not take it."""
        medium = message.delivery_medium
        try:
            if medium == "EMAIL":
                from_address, reply_to = sender_address(pool_settings)
                await self.email.send(message, from_address=from_address, reply_to=reply_to)
                sender: EmailSender | SmsSender = self.email
            elif medium == "SMS":
                await self.sms.send(message)
                sender = self.sms
            else:
                raise ValueError(f"unknown delivery medium {medium!r}")
        except DeliveryError:
            metrics.METRICS.delivered(medium, "failed")
            raise
        metrics.METRICS.delivered(medium, "outbox" if isinstance(sender, ConsoleOnly) else "sent")
        if not isinstance(sender, ConsoleOnly):
            log.info(
                "%s for %s/%s sent to %s (%s)",
                message.trigger_source,
                message.pool_id,
                message.username,
                mask_destination(message.delivery_medium, message.destination),
                sender.describe(),
            )

"""A real SMTP server on loopback for tests (aiosmtpd in a background thread).

    with SmtpServer() as server:                       # plain SMTP
        ... send to server.url ...
        received = server.next_message(timeout=5)      # envelope and parsed email
    with SmtpServer(user="u", password="p", starttls=True) as server: ...   # AUTH after STARTTLS
    with SmtpServer(implicit_tls=True) as server: ...                     # smtps://
    with SmtpServer(reject_recipients={"x@example.com"}) as server: ...   # 550 for that RCPT

TLS uses a self-signed certificate for 127.0.0.1/localhost made at start; ``client_tls_context()`` trusts
exactly that certificate. The port is the kernel's choice on a socket bound before the server starts, so
parallel test runs never collide.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import queue
import socket
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes
    authenticated_as: str | None
    tls: bool


def self_signed_certificate() -> tuple[bytes, bytes]:
    """(certificate PEM, private key PEM) for CN=localhost, valid for localhost and 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


class _Handler:
    def __init__(self, received: queue.Queue[ReceivedMessage], reject: frozenset[str]) -> None:
        self._received = received
        self._reject = reject

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self._reject:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        # As a mail client sees it: SMTP's CRLF line ends read back as newlines.
        parsed = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        self._received.put(
            ReceivedMessage(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                message=parsed,
                raw=raw,
                authenticated_as=login.decode() if login else None,
                tls=session.ssl is not None
                or (
                    server.transport is not None and server.transport.get_extra_info("sslcontext") is not None
                ),
            )
        )
        return "250 Message accepted for delivery"


class _LoopbackController(Controller):
    """aiosmtpd's Controller on a socket bound up front to 127.0.0.1 and a free port."""

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen()
        super().__init__(handler, hostname="127.0.0.1", port=self._socket.getsockname()[1], **kwargs)

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._socket, ssl=self.ssl_context)


class SmtpServer:
    def __init__(
        self,
        *,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        implicit_tls: bool = False,
        reject_recipients: set[str] | None = None,
    ) -> None:
        self.user = user
        self.password = password
        self.received: queue.Queue[ReceivedMessage] = queue.Queue()
        self._starttls = starttls
        self._implicit_tls = implicit_tls
        self._reject = frozenset(a.lower() for a in reject_recipients or ())
        self._controller: _LoopbackController | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.certificate_pem: bytes | None = None

    # -- lifecycle --

    def start(self) -> Self:
        kwargs: dict[str, Any] = {}
        if self._starttls or self._implicit_tls:
            self.certificate_pem, key_pem = self_signed_certificate()
            self._tmp = tempfile.TemporaryDirectory(prefix="userpools-smtp-")
            cert_file, key_file = Path(self._tmp.name, "cert.pem"), Path(self._tmp.name, "key.pem")
            cert_file.write_bytes(self.certificate_pem)
            key_file.write_bytes(key_pem)
            server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_context.load_cert_chain(cert_file, key_file)
            if self._implicit_tls:
                kwargs["ssl_context"] = server_context
            else:
                kwargs["tls_context"] = server_context
                kwargs["require_starttls"] = True
        if self.user is not None:
            kwargs["authenticator"] = self._authenticate
            # aiosmtpd only knows about TLS it started itself (STARTTLS): there it offers AUTH after the
            # upgrade and requires it. Otherwise (plain, or smtps) it offers AUTH on the connection as is
            # and does not require it (requiring it there only makes aiosmtpd warn); ``authenticated_as``
            # tells the test whether the client logged in.
            kwargs["auth_require_tls"] = self._starttls
            kwargs["auth_required"] = self._starttls
        self._controller = _LoopbackController(_Handler(self.received, self._reject), **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- what tests use --

    @property
    def port(self) -> int:
        assert self._controller is not None, "the server is not running"
        return int(self._controller.port)

    def url(self, *, with_credentials: bool = True, **query: str) -> str:
        scheme = "smtps" if self._implicit_tls else "smtp"
        credentials = f"{self.user}:{self.password}@" if with_credentials and self.user is not None else ""
        params = "&".join(f"{k}={v}" for k, v in query.items())
        return f"{scheme}://{credentials}127.0.0.1:{self.port}" + (f"?{params}" if params else "")

    def client_tls_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's self-signed certificate (and nothing else)."""
        assert self.certificate_pem is not None, "the server has no TLS"
        return ssl.create_default_context(cadata=self.certificate_pem.decode())

    def next_message(self, timeout: float = 5.0) -> ReceivedMessage:
        try:
            return self.received.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no message reached the SMTP server within {timeout} s") from None

    def assert_nothing_received(self) -> None:
        assert self.received.empty(), f"unexpected message: {self.received.get_nowait()}"

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.user
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

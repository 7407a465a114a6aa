"""The server's settings: one frozen, documented object. Only the CLI builds it (from options and their
``USERPOOLS_*`` environment variables); nothing else reads os.environ."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from userpools.protocol.sigv4 import AdminCredentials


class ConfigError(ValueError):
    """The settings cannot be used as given; the message says why and what to do."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    """Address to bind. Any non-loopback address requires admin credentials."""

    port: int = 9229

    data_dir: Path = field(default_factory=lambda: Path(".userpools"))
    """Where the default SQLite database and the development data-key file live."""

    database_url: str | None = None
    """``sqlite:///path`` or ``postgresql://user@host:port/db``; default: SQLite under data_dir."""

    region: str = "us-east-1"
    """The region in new pool ids (``<region>_xxxxxxxxx``), ARNs and AWS-form issuers."""

    account_id: str = "000000000000"
    """The account in ARNs (``arn:aws:cognito-idp:<region>:<account>:userpool/<id>``)."""

    admin_credentials: tuple[AdminCredentials, ...] = ()
    """When set, every SigV4-signed operation's signature is verified against these."""

    data_key: str | None = None
    """Base64 of 32 bytes; encrypts secrets at rest. Default: a key file generated under data_dir."""

    public_url: str | None = None
    """The base URL clients reach this server at (issuer, jwks_uri). Default: http://host:port, or
    https://host:port when serving HTTPS."""

    config_file: Path | None = None
    """The configuration file (--config): trigger targets ([lambda], [functions."<arn>"], [custom_senders]),
    see userpools.triggers.config."""

    lambda_endpoint: str | None = None
    """AWS Lambda Invoke API endpoint for every trigger ARN the config file does not map; replaces the file's
    [lambda] endpoint."""

    smtp_url: str | None = None
    """``smtp://[user:password@]host[:port][?starttls=true|false&timeout=SECONDS]`` or ``smtps://…``: send
    email through this relay. Default: none (email is console/outbox only)."""

    sms_webhook: str | None = None
    """An http(s) URL that receives each SMS as JSON {to, message, userPoolId, username, triggerSource,
    messageId}. Default: none (SMS is console/outbox only)."""

    recovery_attempts_per_hour: int = 5
    """ForgotPassword and ConfirmForgotPassword attempts per user per hour, counted together, before
    LimitExceededException (Cognito allows "between 5 and 20"; 5 is what was observed)."""

    recovery_requests_per_second: int = 30
    """The default rate of the UserAccountRecovery request-rate category (ForgotPassword and
    ConfirmForgotPassword, per account and Region, like every category: see ``rate_limits``); 0 leaves the
    category unlimited."""

    rate_limits: bool | None = None
    """Enforce Cognito's request-rate categories (``domain.limits``: each operation's category, per second per
    account and Region, across the processes that share the store; TooManyRequestsException past it;
    Get/UpdateProvisionedLimit read and change the rates). None (the default): on with admin credentials,
    off in development mode, where nothing is counted."""

    token_failures_per_minute: int = 30
    """Failed /oauth2/token requests (invalid_client, invalid_grant) per pool and client IP address per
    minute; past them a failure is answered 429 (a request with the right credentials never is). 0 turns
    the limit off. See operations.oauth_limits."""

    login_failures_per_minute: int = 20
    """Failed hosted sign-ins (POST /login) per pool and client IP address per minute; past them every sign-in
    from the address is refused with 429 until the minute ends (each user also has the API's lockout). 0
    turns the limit off."""

    #: Server processes on this store (``serve --workers``): above 1, operations do their CPU-heavy checks
    #: before a SQLite write transaction rather than in it, as the write lock is shared by every process.
    workers: int = 1

    keep_alive_seconds: float = 5.0
    """How long an idle keep-alive connection stays open (uvicorn's ``timeout_keep_alive``; 5 s, its default).
    SDKs keep their connections in pools; a longer time spares them reconnecting after a pause."""

    signing_threads: int = 0
    """Threads per server process that compute the tokens' RS256 signatures beside the event loop
    (``crypto.jwt.Signer``); 0 signs on the loop. Each thread takes the GIL back to hand a signature over,
    which costs CPU and waits (on the 2-CPU VM two threads gave fewer sign-ins/s than none: 706 against 728,
    at 1.77 ms of CPU each against 1.38); ``signing_process`` is the better use of a spare CPU."""

    signing_process: bool = False
    """Compute the tokens' RS256 signatures in a helper process (``crypto.signing_process``), which shares
    no GIL with the event loop: one server process then uses a second CPU for them. ``serve`` turns it on
    by default when it runs one process on a machine with more than one CPU (``--signing-process`` /
    ``--no-signing-process`` decide); Settings' own default, for embedded servers and tests, is off."""

    aws_issuer: bool = False
    """Sign tokens with AWS's issuer (https://cognito-idp.<region>.amazonaws.com/<poolId>) instead of the
    server's own, for apps (aws-jwt-verify, Amplify's SSR adapters) that hard-code it."""

    tls_cert: Path | None = None
    """A PEM certificate file (the server's certificate first, then any intermediates): serve HTTPS with it
    and ``tls_key``. Checked at start-up (userpools.tls)."""

    tls_key: Path | None = None
    """The unencrypted PEM private key of ``tls_cert``."""

    tls_self_signed: bool = False
    """Development: serve HTTPS with a self-signed certificate made once under ``data_dir/tls`` (cert.pem,
    key.pem), for localhost, 127.0.0.1, ::1, ``*.auth.<region>.amazoncognito.com`` and ``tls_names``."""

    tls_names: tuple[str, ...] = ()
    """Extra DNS names or IP addresses for the self-signed certificate (a custom domain, a LAN name)."""

    trusted_proxies: tuple[str, ...] = ()
    """CIDR ranges of reverse proxies whose ``X-Forwarded-For`` header is believed: a request from one of
    them is taken to come from the last address of the header that is not itself a trusted proxy. Default:
    none (the peer address of the connection is the client's). Threat protection's IP ranges act on it."""

    breached_passwords: Path | None = None
    """A file of breached-password hashes for threat protection's compromised-credentials check: one
    upper-case SHA-1 hex per line, optionally ``HASH:count`` (the Have I Been Pwned download format). Files
    over 64 MiB are searched in place and must be sorted (as that download is)."""

    breached_passwords_url: str | None = None
    """A k-anonymity range service (``https://api.pwnedpasswords.com/range/``, or one of its own): GET
    ``<url>/<first five hex of the SHA-1>`` (or ``{prefix}`` in the URL replaced) answers ``SUFFIX:count``
    lines. Asked with a short timeout; an unreachable service finds nothing (the password is allowed)."""

    log_dir: Path | None = None
    """Where SetLogDeliveryConfiguration's destinations are written (JSON lines). Default: data_dir/logs."""

    cimd_allow_loopback: bool = False
    """Development and tests: let the authorization endpoint fetch client ID metadata documents from loopback
    addresses (127.0.0.0/8, ::1). Off, every private, loopback, link-local, multicast or reserved address is
    refused after DNS resolution (the SSRF guard)."""

    shared_signing_key: bool = False
    """Development only: every new pool signs its tokens with one RSA key pair per purpose made once per server
    process (each pool still has its own kid), so CreateUserPool takes milliseconds instead of the ~0.2 s of
    CPU two new 2048-bit keys take. For test suites (the pytest plugin turns it on); refused with admin
    credentials."""

    request_log: bool = False
    """One log line per API request (request id, operation, outcome, duration) on the logger
    ``userpools.requests`` at INFO. Off by default: a line costs about 25 µs, some 6% of a ForgotPassword's
    ~0.4 ms of server CPU (README, "Operating it")."""

    log_format: str = "text"
    """``text`` or ``json`` (one JSON object per line) for every log line (userpools.logs)."""

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'userpools.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def effective_log_dir(self) -> Path:
        return self.log_dir if self.log_dir is not None else self.data_dir / "logs"

    @property
    def tls(self) -> bool:
        """Serve HTTPS (a certificate given, or the self-signed development one)."""
        return self.tls_self_signed or self.tls_cert is not None

    @property
    def effective_tls_files(self) -> tuple[Path, Path] | None:
        """(certificate, key) to serve HTTPS with, or None for plain HTTP."""
        if self.tls_self_signed:
            folder = self.data_dir / "tls"
            return folder / "cert.pem", folder / "key.pem"
        if self.tls_cert is not None and self.tls_key is not None:
            return self.tls_cert, self.tls_key
        return None

    @property
    def development_mode(self) -> bool:
        """No admin credentials: any well-formed signature is accepted and the development endpoints are on."""
        return not self.admin_credentials

    @property
    def effective_rate_limits(self) -> bool:
        return (not self.development_mode) if self.rate_limits is None else self.rate_limits

    def check(self) -> None:
        """Refuses settings that would expose an unauthenticated admin API to other machines, and TLS options
        that do not go together."""
        if self.tls_self_signed and (self.tls_cert is not None or self.tls_key is not None):
            raise ConfigError(
                "--tls-self-signed makes its own certificate: give either it or --tls-cert/--tls-key, not both"
            )
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ConfigError("--tls-cert and --tls-key go together: give the certificate file and its private "
                              "key file")
        if self.tls_names and not self.tls_self_signed:
            raise ConfigError("--tls-name adds a name to the self-signed certificate: use it with "
                              "--tls-self-signed (a certificate given with --tls-cert already has its names)")
        for item in self.trusted_proxies:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ConfigError(f"--trusted-proxies: {item!r} is not an IP address or CIDR range") from None
        if self.shared_signing_key and not self.development_mode:
            raise ConfigError("--shared-signing-key is for development (tests): every pool would sign with the "
                              "same key; it cannot be used with --admin-credentials")
        if not is_loopback(self.host) and not self.admin_credentials:
            raise ConfigError(
                f"refusing to bind {self.host}: it is reachable from other machines, and without admin "
                "credentials anyone there could call the admin operations. Set --admin-credentials "
                "(or USERPOOLS_ADMIN_CREDENTIALS) to ACCESS_KEY_ID:SECRET_ACCESS_KEY, or bind 127.0.0.1."
            )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

"""HTTPS for ``userpools serve``.

Two ways to get a certificate, both settled before any server process starts:

- ``--tls-cert/--tls-key``: the operator's PEM files, checked here (readable, PEM, unencrypted key, the key
  belongs to the first certificate, and OpenSSL loads the pair) so a bad pair stops the start with a
  sentence instead of a traceback from inside uvicorn;
- ``--tls-self-signed`` (development): a self-signed certificate and key under ``<data-dir>/tls/``, made
  once and reused while its names are the ones asked for and it is valid for more than ``RENEW_BEFORE``.
  It names localhost, 127.0.0.1, ::1 and Cognito's domain form ``*.auth.<region>.amazoncognito.com`` (a
  pool's prefix domain), plus the operator's extra names (``--tls-name``: a custom domain, a LAN name).

The certificate is its own trust anchor: clients trust exactly this file (``curl --cacert``,
``AWS_CA_BUNDLE``, ``SSL_CERT_FILE``, ``NODE_EXTRA_CA_CERTS``), and it can vouch for nothing but its own
names, which is safer to trust than a development CA that could sign any name.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import re
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from userpools.config import ConfigError, Settings

log = logging.getLogger("userpools")

#: How long a new self-signed certificate is valid. Within Apple's 825-day limit for TLS server
#: certificates (which also applies to certificates trusted by hand) and browsers' expectations.
VALIDITY = timedelta(days=365)
#: A self-signed certificate that expires sooner than this is made again at start-up.
RENEW_BEFORE = timedelta(days=30)
#: Back-dating of a new certificate, so a client whose clock is a little behind still accepts it.
BACKDATE = timedelta(hours=1)

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DNS_NAME = re.compile(rf"^(?:\*\.)?(?:{_LABEL}\.)*{_LABEL}$")


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path


def default_names(region: str) -> tuple[str, ...]:
    """The names every self-signed certificate carries: this machine, and Cognito's prefix domains."""
    return ("localhost", "127.0.0.1", "::1", f"*.auth.{region}.amazoncognito.com")


def normalise_name(name: str) -> str:
    """A DNS name (``*.`` allowed as its first label) or an IP address, as it goes into subjectAltName."""
    text = name.strip().lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        pass
    try:
        text = text.encode("idna").decode("ascii")  # an internationalised name, as DNS carries it
    except UnicodeError:
        pass
    if len(text) > 253 or not _DNS_NAME.match(text):
        raise ConfigError(
            f"--tls-name {name!r} is not a host name or an IP address (letters, digits and hyphens in dot-"
            "separated labels; a leading '*.' for a wildcard)"
        )
    return text


def certificate_names(settings: Settings) -> tuple[str, ...]:
    """The self-signed certificate's names: the defaults, the bound address when it is one host, the public
    URL's host, then ``--tls-name``s; normalised, without repeats, in that order."""
    from urllib.parse import urlsplit

    extra: list[str] = []
    if settings.host not in ("0.0.0.0", "::", "[::]", ""):
        extra.append(settings.host)
    if settings.public_url:
        hostname = urlsplit(settings.public_url).hostname
        if hostname:
            extra.append(hostname)
    names: list[str] = []
    for name in (*default_names(settings.region), *extra, *settings.tls_names):
        normalised = normalise_name(name)
        if normalised not in names:
            names.append(normalised)
    return tuple(names)


def prepare(settings: Settings, *, now: datetime | None = None) -> TlsFiles | None:
    """The certificate and key to serve with (None: plain HTTP). Makes or reuses the self-signed pair, or
    checks the operator's; raises ConfigError saying what is wrong."""
    files = settings.effective_tls_files
    if files is None:
        return None
    chosen = TlsFiles(*files)
    if settings.tls_self_signed:
        try:
            made, reason = self_signed(chosen, certificate_names(settings), now=now)
        except OSError as exc:
            raise ConfigError(f"--tls-self-signed: cannot write the certificate under {chosen.cert.parent}: "
                              f"{exc.strerror or exc}") from None
        if made:
            log.info("made a self-signed certificate (%s): %s", reason, chosen.cert)
        else:
            log.info("reusing the self-signed certificate %s", chosen.cert)
        if not settings.development_mode:
            log.warning("--tls-self-signed is for development: clients must be told to trust %s by hand; "
                        "serve a certificate from your CA with --tls-cert/--tls-key", chosen.cert)
        return chosen
    leaf = check_pair(chosen)
    when = now or datetime.now(UTC)
    if leaf.not_valid_after_utc <= when:
        log.warning("the certificate %s expired on %s: clients will refuse it", chosen.cert,
                    leaf.not_valid_after_utc.isoformat())
    elif leaf.not_valid_before_utc > when:
        log.warning("the certificate %s is not valid before %s: clients will refuse it until then", chosen.cert,
                    leaf.not_valid_before_utc.isoformat())
    return chosen


def trust_hint(cert: Path) -> str:
    """What to tell clients so that they trust the self-signed certificate."""
    path = cert.resolve()
    return "\n".join((
        f"userpools: HTTPS with the self-signed certificate {path}",
        "  trust it in the clients that call this server:",
        f"    curl --cacert {path} …",
        f"    boto3 / AWS CLI: AWS_CA_BUNDLE={path} (or boto3.client(..., verify=\"{path}\"))",
        f"    Python requests / httpx / urllib: SSL_CERT_FILE={path} (requests: REQUESTS_CA_BUNDLE)",
        f"    Node.js (AWS SDK, Amplify on the server, fetch): NODE_EXTRA_CA_CERTS={path}",
        "    a browser: import the file into the system's or the browser's trusted certificates",
    ))


# --- the operator's certificate ---------------------------------------------------------------------------


def check_pair(files: TlsFiles) -> x509.Certificate:
    """Checks that ``files`` can serve HTTPS; returns the server's certificate (the file's first)."""
    certificates = _read_certificates(files.cert, option="--tls-cert")
    key = _read_key(files.key, option="--tls-key")
    if _public_der(key.public_key()) != _public_der(certificates[0].public_key()):
        raise ConfigError(
            f"--tls-key {files.key} does not match --tls-cert {files.cert}: it is not the private key of the "
            "certificate's public key (the server's own certificate must come first in the certificate file)"
        )
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(files.cert, files.key)
    except (ssl.SSLError, OSError) as exc:  # what uvicorn would stop on: say it now, as a sentence
        raise ConfigError(f"--tls-cert {files.cert} with --tls-key {files.key} cannot serve HTTPS: {exc}") from None
    return certificates[0]


def _read(path: Path, option: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{option} {path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{option} {path}: is a folder, not a PEM file") from None
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot be read ({exc.strerror or exc})") from None


def _read_certificates(path: Path, option: str) -> list[x509.Certificate]:
    data = _read(path, option)
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        raise ConfigError(
            f"{option} {path}: no PEM certificate in it (expected '-----BEGIN CERTIFICATE-----' blocks, the "
            "server's certificate first, then any intermediates)"
        ) from None


def _read_key(path: Path, option: str) -> PrivateKeyTypes:
    data = _read(path, option)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:  # a password-protected key
        raise ConfigError(f"{option} {path}: the key is encrypted; give it unencrypted (file mode 0600), e.g. "
                          "`openssl pkey -in KEY -out KEY.pem`") from None
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigError(f"{option} {path}: no PEM private key in it (expected '-----BEGIN PRIVATE KEY-----' "
                          "or '-----BEGIN RSA/EC PRIVATE KEY-----')") from None
    return key


def _public_der(public_key: object) -> bytes:
    return public_key.public_bytes(  # type: ignore[attr-defined,no-any-return]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# --- the self-signed development certificate ----------------------------------------------------------------


def self_signed(files: TlsFiles, names: Sequence[str], *, now: datetime | None = None) -> tuple[bool, str]:
    """Makes the self-signed pair at ``files`` unless a usable one for exactly ``names`` is there already.
    Returns (made, why it was made or "reused")."""
    when = now or datetime.now(UTC)
    files.cert.parent.mkdir(parents=True, exist_ok=True)
    with _locked(files.cert.parent / ".lock"):  # two servers starting on one data directory make one pair
        reason = _why_not_reusable(files, names, when)
        if reason is None:
            return False, "reused"
        _make(files, names, when)
        return True, reason


def _why_not_reusable(files: TlsFiles, names: Sequence[str], now: datetime) -> str | None:
    if not files.cert.exists() or not files.key.exists():
        return "none yet"
    try:
        leaf = x509.load_pem_x509_certificate(files.cert.read_bytes())
        key = serialization.load_pem_private_key(files.key.read_bytes(), password=None)
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm):
        return "the previous one could not be read"
    if _public_der(key.public_key()) != _public_der(leaf.public_key()):
        return "the previous key did not match its certificate"
    if set(subject_alt_names(leaf)) != set(names):
        return "the names changed"
    if leaf.not_valid_after_utc - now < RENEW_BEFORE:
        return f"the previous one expires on {leaf.not_valid_after_utc.date().isoformat()}"
    if leaf.not_valid_before_utc > now:
        return "the previous one is not valid yet"
    return None


def subject_alt_names(certificate: x509.Certificate) -> list[str]:
    """The DNS names and IP addresses a certificate is valid for, as text."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [*extension.get_values_for_type(x509.DNSName),
            *(str(ip) for ip in extension.get_values_for_type(x509.IPAddress))]


def _make(files: TlsFiles, names: Sequence[str], now: datetime) -> None:
    key = ec.generate_private_key(ec.SECP256R1())  # P-256: every TLS client speaks it; fast to make and use
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "userpools development certificate"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "userpools (self-signed)"),
    ])
    alt_names: list[x509.GeneralName] = []
    for entry in names:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(entry)))
        except ValueError:
            alt_names.append(x509.DNSName(entry))
    key_id = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(key_id, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(key_id), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    # The key first: until the new certificate replaces the old one, a reader sees a mismatch and makes a
    # pair again rather than serving a certificate with the wrong key.
    _replace(files.key, key_pem, mode=0o600)
    _replace(files.cert, certificate.public_bytes(serialization.Encoding.PEM), mode=0o644)


def _replace(path: Path, data: bytes, *, mode: int) -> None:
    """Writes ``data`` to ``path`` at once (a temporary file renamed over it), created with ``mode``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(temporary, mode)  # whatever the umask took away from a public certificate
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: no lock; a race between two first starts only makes the pair twice
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock

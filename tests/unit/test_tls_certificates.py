"""userpools.tls: the self-signed development certificate (names, reuse, regeneration) and the checks of an
operator's certificate and key."""

from __future__ import annotations

import ipaddress
import ssl
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from userpools import tls
from userpools.config import ConfigError, Settings

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
DEFAULTS = ["localhost", "127.0.0.1", "::1", "*.auth.us-east-1.amazoncognito.com"]


def files_in(folder: Path) -> tls.TlsFiles:
    return tls.TlsFiles(folder / "cert.pem", folder / "key.pem")


def load(files: tls.TlsFiles) -> x509.Certificate:
    return x509.load_pem_x509_certificate(files.cert.read_bytes())


def handshake(files: tls.TlsFiles, host: str) -> None:
    """A TLS handshake in memory: a server with ``files``, a client that trusts only the certificate file
    and checks ``host`` against it, as curl, Python and Node clients do."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(files.cert, files.key)
    client_context = ssl.create_default_context(cafile=str(files.cert))
    pipes = [ssl.MemoryBIO() for _ in range(4)]  # client→server, server→client
    client = client_context.wrap_bio(pipes[0], pipes[1], server_hostname=host)
    server = server_context.wrap_bio(pipes[2], pipes[3], server_side=True)
    done = {"client": False, "server": False}
    for _ in range(10):
        for side, connection in (("client", client), ("server", server)):
            if not done[side]:
                try:
                    connection.do_handshake()
                    done[side] = True
                except ssl.SSLWantReadError:
                    pass
        pipes[2].write(pipes[1].read())  # client's output → server's input
        pipes[0].write(pipes[3].read())  # server's output → client's input
        if all(done.values()):
            return
    raise AssertionError("the handshake did not finish")


# --- names ------------------------------------------------------------------------------------------------


def test_the_default_names_are_this_machine_and_cognitos_prefix_domains_of_the_region() -> None:
    assert list(tls.certificate_names(Settings(tls_self_signed=True))) == DEFAULTS
    assert tls.certificate_names(Settings(tls_self_signed=True, region="eu-west-3"))[-1] == (
        "*.auth.eu-west-3.amazoncognito.com"
    )


def test_extra_names_the_bound_host_and_the_public_urls_host_follow_the_defaults_without_repeats() -> None:
    settings = Settings(host="192.168.1.20", public_url="https://IdP.Example.test:8443/base", tls_self_signed=True,
                        tls_names=("auth.example.test", "LOCALHOST", "[fe80::1]", "idp.example.test."))
    assert list(tls.certificate_names(settings)) == [
        *DEFAULTS, "192.168.1.20", "idp.example.test", "auth.example.test", "fe80::1",
    ]


def test_an_unspecified_bind_address_is_no_name() -> None:
    assert list(tls.certificate_names(Settings(host="0.0.0.0", tls_self_signed=True))) == DEFAULTS


@pytest.mark.parametrize("name", ["bad name", "under_score.test", "-lead.test", "a..b", "*", "a.*.test",
                                  "x" * 64 + ".test", ""])
def test_a_name_that_is_neither_a_host_name_nor_an_ip_address_is_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="--tls-name"):
        tls.normalise_name(name)


def test_an_internationalised_name_goes_in_as_dns_carries_it() -> None:
    assert tls.normalise_name("bücher.example") == "xn--bcher-kva.example"


# --- the self-signed certificate -----------------------------------------------------------------------------


def test_the_self_signed_certificate_names_every_host_and_serves_tls_for_them(tmp_path: Path) -> None:
    files = files_in(tmp_path / "tls")
    names = [*DEFAULTS, "auth.example.test"]
    made, reason = tls.self_signed(files, names, now=NOW)

    assert (made, reason) == (True, "none yet")
    certificate = load(files)
    assert sorted(tls.subject_alt_names(certificate)) == sorted(names)
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("::1") in san.get_values_for_type(x509.IPAddress)  # an IP entry, not a DNS one
    assert "127.0.0.1" not in san.get_values_for_type(x509.DNSName)
    assert certificate.issuer == certificate.subject
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.SERVER_AUTH])
    assert certificate.not_valid_before_utc <= NOW
    assert certificate.not_valid_after_utc == NOW + tls.VALIDITY
    # A client that trusts the file completes a handshake for each name, and for no other.
    for host in ("localhost", "127.0.0.1", "::1", "mypool.auth.us-east-1.amazoncognito.com", "auth.example.test"):
        handshake(files, host)
    for host in ("example.test", "a.b.auth.us-east-1.amazoncognito.com", "x.auth.eu-west-1.amazoncognito.com"):
        with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
            handshake(files, host)


def test_the_key_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    files = files_in(tmp_path / "tls")
    tls.self_signed(files, DEFAULTS, now=NOW)
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.cert.stat().st_mode) == 0o644
    assert sorted(p.name for p in files.cert.parent.iterdir()) == [".lock", "cert.pem", "key.pem"]  # no leftovers


def test_the_next_start_reuses_the_certificate_with_the_same_names_in_any_order(tmp_path: Path) -> None:
    files = files_in(tmp_path)
    tls.self_signed(files, DEFAULTS, now=NOW)
    first = (files.cert.read_bytes(), files.key.read_bytes())

    assert tls.self_signed(files, list(reversed(DEFAULTS)), now=NOW + timedelta(days=300)) == (False, "reused")
    assert (files.cert.read_bytes(), files.key.read_bytes()) == first


def test_a_changed_name_makes_a_new_certificate_with_a_new_key(tmp_path: Path) -> None:
    files = files_in(tmp_path)
    tls.self_signed(files, [*DEFAULTS, "old.example.test"], now=NOW)
    old_key = files.key.read_bytes()

    assert tls.self_signed(files, [*DEFAULTS, "new.example.test"], now=NOW) == (True, "the names changed")
    assert "new.example.test" in tls.subject_alt_names(load(files))
    assert "old.example.test" not in tls.subject_alt_names(load(files))
    assert files.key.read_bytes() != old_key
    assert tls.self_signed(files, DEFAULTS, now=NOW)[0]  # a name removed is a change too


def test_a_certificate_expiring_within_thirty_days_is_made_again(tmp_path: Path) -> None:
    files = files_in(tmp_path)
    tls.self_signed(files, DEFAULTS, now=NOW)
    expires = NOW + tls.VALIDITY

    assert tls.self_signed(files, DEFAULTS, now=expires - timedelta(days=30, seconds=1)) == (False, "reused")
    made, reason = tls.self_signed(files, DEFAULTS, now=expires - timedelta(days=29))
    assert (made, reason) == (True, f"the previous one expires on {expires.date().isoformat()}")
    assert load(files).not_valid_after_utc == expires - timedelta(days=29) + tls.VALIDITY


def test_a_missing_or_foreign_key_makes_a_new_pair(tmp_path: Path) -> None:
    files = files_in(tmp_path)
    tls.self_signed(files, DEFAULTS, now=NOW)
    files.key.unlink()
    assert tls.self_signed(files, DEFAULTS, now=NOW) == (True, "none yet")

    files.key.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    assert tls.self_signed(files, DEFAULTS, now=NOW) == (True, "the previous key did not match its certificate")
    tls.check_pair(files)

    files.cert.write_text("not a certificate\n")
    assert tls.self_signed(files, DEFAULTS, now=NOW) == (True, "the previous one could not be read")
    tls.check_pair(files)


def test_prepare_makes_the_self_signed_pair_in_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, tls_self_signed=True, tls_names=("auth.example.test",))
    files = tls.prepare(settings, now=NOW)
    assert files == tls.TlsFiles(tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem")
    assert "auth.example.test" in tls.subject_alt_names(load(files))
    assert tls.prepare(Settings(data_dir=tmp_path)) is None  # plain HTTP: nothing made, nothing checked


def test_prepare_says_when_the_data_directory_cannot_hold_the_certificate(tmp_path: Path) -> None:
    (tmp_path / "tls").write_text("a file where the folder goes")
    with pytest.raises(ConfigError, match="--tls-self-signed: cannot write the certificate under"):
        tls.prepare(Settings(data_dir=tmp_path, tls_self_signed=True), now=NOW)


def test_the_trust_hint_names_the_file_for_curl_python_and_node(tmp_path: Path) -> None:
    hint = tls.trust_hint(tmp_path / "cert.pem")
    path = str((tmp_path / "cert.pem").resolve())
    for expected in (f"--cacert {path}", f"AWS_CA_BUNDLE={path}", f"SSL_CERT_FILE={path}",
                     f"NODE_EXTRA_CA_CERTS={path}"):
        assert expected in hint


# --- an operator's certificate and key ------------------------------------------------------------------------


def make_chain(folder: Path) -> tuple[tls.TlsFiles, rsa.RSAPrivateKey]:
    """A CA and a server certificate it signed; the certificate file holds the server's, then the CA's."""
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=9))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "srv")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=9))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    files = files_in(folder)
    files.cert.write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                            serialization.NoEncryption()))
    return files, key


def test_a_chain_with_the_servers_certificate_first_and_its_key_is_accepted(tmp_path: Path) -> None:
    files, _ = make_chain(tmp_path)
    assert tls.check_pair(files).subject.rfc4514_string() == "CN=srv"
    assert tls.prepare(Settings(tls_cert=files.cert, tls_key=files.key), now=NOW) == files


def test_a_missing_file_is_named_with_its_option(tmp_path: Path) -> None:
    files, _ = make_chain(tmp_path)
    with pytest.raises(ConfigError, match=r"^--tls-cert .*nothere.pem: no such file$"):
        tls.check_pair(tls.TlsFiles(tmp_path / "nothere.pem", files.key))
    with pytest.raises(ConfigError, match=r"^--tls-key .*nothere.key: no such file$"):
        tls.check_pair(tls.TlsFiles(files.cert, tmp_path / "nothere.key"))
    with pytest.raises(ConfigError, match="is a folder"):
        tls.check_pair(tls.TlsFiles(tmp_path, files.key))


def test_a_key_of_another_certificate_is_refused(tmp_path: Path) -> None:
    files, _ = make_chain(tmp_path)
    (tmp_path / "other").mkdir()
    other, _ = make_chain(tmp_path / "other")
    with pytest.raises(ConfigError, match="does not match --tls-cert"):
        tls.check_pair(tls.TlsFiles(files.cert, other.key))


def test_a_chain_in_the_wrong_order_is_refused_with_the_order_explained(tmp_path: Path) -> None:
    files, _ = make_chain(tmp_path)
    blocks = files.cert.read_text().split("-----END CERTIFICATE-----\n")
    files.cert.write_text(blocks[1] + "-----END CERTIFICATE-----\n" + blocks[0] + "-----END CERTIFICATE-----\n")
    with pytest.raises(ConfigError, match="must come first"):
        tls.check_pair(files)


def test_files_that_are_not_pem_or_an_encrypted_key_are_refused_saying_so(tmp_path: Path) -> None:
    files, key = make_chain(tmp_path)
    with pytest.raises(ConfigError, match="--tls-cert .*: no PEM certificate"):
        tls.check_pair(tls.TlsFiles(files.key, files.key))
    with pytest.raises(ConfigError, match="--tls-key .*: no PEM private key"):
        tls.check_pair(tls.TlsFiles(files.cert, files.cert))
    files.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.BestAvailableEncryption(b"secret")))
    with pytest.raises(ConfigError, match="--tls-key .*: the key is encrypted"):
        tls.check_pair(files)


# --- the settings --------------------------------------------------------------------------------------------


def test_the_public_url_is_https_when_serving_tls_unless_given() -> None:
    assert Settings(port=9443, tls_self_signed=True).effective_public_url == "https://127.0.0.1:9443"
    assert Settings(host="::1", tls_cert=Path("c"), tls_key=Path("k")).effective_public_url == "https://[::1]:9229"
    assert Settings().effective_public_url == "http://127.0.0.1:9229"
    assert Settings(tls_self_signed=True, public_url="https://idp.example.test/").effective_public_url == (
        "https://idp.example.test")


@pytest.mark.parametrize(("options", "message"), [
    ({"tls_self_signed": True, "tls_cert": Path("c"), "tls_key": Path("k")}, "not both"),
    ({"tls_self_signed": True, "tls_key": Path("k")}, "not both"),
    ({"tls_cert": Path("c")}, "go together"),
    ({"tls_key": Path("k")}, "go together"),
    ({"tls_names": ("a.test",)}, "use it with --tls-self-signed"),
    ({"tls_names": ("a.test",), "tls_cert": Path("c"), "tls_key": Path("k")}, "use it with --tls-self-signed"),
])
def test_tls_options_that_do_not_go_together_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings(**options).check()  # type: ignore[arg-type]


def test_a_self_signed_certificate_with_admin_credentials_is_allowed_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from userpools.protocol.sigv4 import AdminCredentials

    settings = Settings(data_dir=tmp_path, tls_self_signed=True, admin_credentials=(AdminCredentials("AK", "S"),))
    with caplog.at_level("WARNING", logger="userpools"):
        assert tls.prepare(settings, now=NOW) is not None
    cert = tmp_path / "tls" / "cert.pem"
    warning = (f"--tls-self-signed is for development: clients must be told to trust {cert} by hand; serve a "
               "certificate from your CA with --tls-cert/--tls-key")
    assert [r.getMessage() for r in caplog.records] == [warning]


def test_an_expired_or_not_yet_valid_operator_certificate_starts_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files, _ = make_chain(tmp_path)
    settings = Settings(tls_cert=files.cert, tls_key=files.key)
    with caplog.at_level("WARNING", logger="userpools"):
        tls.prepare(settings, now=NOW + timedelta(days=10))
        tls.prepare(settings, now=NOW - timedelta(days=2))
        tls.prepare(settings, now=NOW)
    assert [r.getMessage().split(": ")[-1] for r in caplog.records] == [
        "clients will refuse it", "clients will refuse it until then"]
    assert "expired on 2026-12-15" in caplog.records[0].getMessage()

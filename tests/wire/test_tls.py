"""``userpools serve`` over HTTPS: the self-signed development certificate (``--tls-self-signed``) and an
operator's certificate and key (``--tls-cert/--tls-key``, here through USERPOOLS_TLS_* and with two
workers), driven by boto3, httpx and Node clients that trust only the certificate they were given; and the
start-up refusals of files that cannot serve.
"""

from __future__ import annotations

import ipaddress
import ssl
import stat
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.exceptions
import httpx
import pytest
from clients import run_node, unverified_claims, verify_with_pyjwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from server import ServerProcess
from test_workers import WORKERS, pin_clients, wait_for

PASSWORD = "Correct-Horse-7-https"


# --- certificates a test makes itself --------------------------------------------------------------------


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca_and_server_pair(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate it signed for localhost and 127.0.0.1: (ca.pem, cert.pem, key.pem)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("userpools test CA")).issuer_name(_name("userpools test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(_name("userpools test server")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


# --- servers ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def self_signed(server_factory: Any) -> ServerProcess:
    """One process on SQLite with the development certificate, which also names auth.example.test."""
    srv: ServerProcess = server_factory("sqlite", start=False, scheme="https",
                                        extra_args=["--tls-self-signed", "--tls-name", "auth.example.test"])
    srv.cafile = srv.data_dir / "tls" / "cert.pem"
    return srv.start()


@pytest.fixture(scope="module")
def operator_pair(server_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> ServerProcess:
    """Two workers on PostgreSQL serving a certificate signed by a test CA, given through the environment."""
    ca, cert, key = make_ca_and_server_pair(tmp_path_factory.mktemp("operator-tls"))
    srv: ServerProcess = server_factory("postgresql", start=False, scheme="https", cafile=ca,
                                        extra_args=["--workers", str(WORKERS)],
                                        env={"USERPOOLS_TLS_CERT": str(cert), "USERPOOLS_TLS_KEY": str(key)})
    srv.start()
    wait_for(lambda: any(f"{WORKERS} workers serving on https://" in line for line in srv.output), "every worker")
    return srv


@pytest.fixture(params=["self_signed", "operator_pair"])
def tls_server(request: pytest.FixtureRequest) -> ServerProcess:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def https(srv: ServerProcess) -> httpx.Client:
    """An httpx client that trusts only the server's certificate (or its CA)."""
    return httpx.Client(base_url=srv.url, verify=ssl.create_default_context(cafile=str(srv.cafile)), timeout=30)


def sign_up_confirm_and_sign_in(signer_up: Any, confirmer: Any, srv: ServerProcess) -> tuple[str, dict[str, Any]]:
    """A pool that verifies email and a client, made through ``signer_up``; SignUp through it, the code read
    from the outbox over https, ConfirmSignUp and InitiateAuth through ``confirmer``: (pool id, tokens)."""
    pool_id = signer_up.create_user_pool(PoolName=f"tls-{uuid.uuid4().hex[:8]}",
                                         AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
    client_id = signer_up.create_user_pool_client(
        UserPoolId=pool_id, ClientName="tls-app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    username = f"rita-{uuid.uuid4().hex[:8]}"
    signed_up = signer_up.sign_up(ClientId=client_id, Username=username, Password=PASSWORD,
                                  UserAttributes=[{"Name": "email", "Value": "rita@example.com"}])
    assert signed_up["UserConfirmed"] is False
    with https(srv) as http:
        messages = http.get("/_userpools/outbox", params={"userPoolId": pool_id, "username": username}).json()
    confirmer.confirm_sign_up(ClientId=client_id, Username=username, ConfirmationCode=messages["messages"][0]["code"])
    tokens = confirmer.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD})
    return pool_id, dict(tokens["AuthenticationResult"])


# --- the self-signed development certificate -------------------------------------------------------------


def test_the_self_signed_server_says_where_its_certificate_is_and_how_to_trust_it(self_signed: ServerProcess) -> None:
    assert self_signed.cafile is not None
    cert = self_signed.cafile.resolve()
    log = "".join(self_signed.output)
    assert f"userpools: HTTPS with the self-signed certificate {cert}" in log
    for hint in (f"curl --cacert {cert}", f"AWS_CA_BUNDLE={cert}", f"SSL_CERT_FILE={cert}",
                 f"NODE_EXTRA_CA_CERTS={cert}"):
        assert hint in log
    assert f"serving on https://127.0.0.1:{self_signed.port}" in log
    key = cert.parent / "key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    names = x509.load_pem_x509_certificate(cert.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost", "*.auth.us-east-1.amazoncognito.com",
                                                       "auth.example.test"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]


def test_the_self_signed_certificate_is_reused_on_restart_and_made_again_for_new_names(tmp_path: Path) -> None:
    srv = ServerProcess(data_dir=tmp_path, scheme="https", extra_args=["--tls-self-signed"],
                        cafile=tmp_path / "tls" / "cert.pem")
    try:
        srv.start()
        first = srv.cafile.read_bytes()  # type: ignore[union-attr]
        srv.stop()
        srv.start()
        assert srv.cafile.read_bytes() == first  # type: ignore[union-attr]
        assert any("reusing the self-signed certificate" in line for line in srv.output)
        srv.client().list_user_pools(MaxResults=1)  # the reused pair still serves
        srv.stop()
        srv.extra_args = ["--tls-self-signed", "--tls-name", "idp.example.test"]
        srv.start()
        assert srv.cafile.read_bytes() != first  # type: ignore[union-attr]
        assert any("made a self-signed certificate (the names changed)" in line for line in srv.output)
        srv.client().list_user_pools(MaxResults=1)
    finally:
        srv.stop()


# --- both ways of serving https ----------------------------------------------------------------------------


def test_boto3_signs_up_and_signs_in_over_https_and_tokens_carry_the_https_issuer(tls_server: ServerProcess) -> None:
    cognito = tls_server.client()
    pool_id, tokens = sign_up_confirm_and_sign_in(cognito, cognito, tls_server)

    issuer = f"https://127.0.0.1:{tls_server.port}/{pool_id}"
    with https(tls_server) as http:
        discovery = http.get(f"/{pool_id}/.well-known/openid-configuration").json()
        jwks = http.get(f"/{pool_id}/.well-known/jwks.json").json()
    assert discovery["issuer"] == issuer
    assert discovery["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    for token in (tokens["IdToken"], tokens["AccessToken"]):
        _, claims = verify_with_pyjwt(token, jwks, issuer=issuer)
        assert claims["iss"].startswith("https://")


def test_a_client_that_does_not_trust_the_certificate_is_refused(tls_server: ServerProcess) -> None:
    with pytest.raises(botocore.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        tls_server.client(verify=True).list_user_pools(MaxResults=1)  # botocore's own CA bundle
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{tls_server.url}/_userpools/health")
    with pytest.raises(httpx.HTTPError):  # plain http to the https port gets no HTTP answer
        httpx.get(f"http://127.0.0.1:{tls_server.port}/_userpools/health")


def test_node_clients_trust_the_certificate_through_node_extra_ca_certs(tls_server: ServerProcess) -> None:
    cognito = tls_server.client()
    pool_id = cognito.create_user_pool(PoolName=f"tls-node-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="node", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    username = f"nora-{uuid.uuid4().hex[:8]}"
    args = {"endpoint": tls_server.url, "region": "us-east-1", "poolId": pool_id, "clientId": client_id,
            "username": username, "password": PASSWORD, "email": "nora@example.com"}
    trusting = {"NODE_EXTRA_CA_CERTS": str(tls_server.cafile)}

    refused = run_node("sdk-v3.mjs", args | {"steps": ["SignUp"]})
    assert not refused.ok
    assert refused.error["step"] == "SignUp"
    assert "certificate" in (refused.error["message"] or "").lower(), refused.output

    result = run_node("sdk-v3.mjs", args, env=trusting)  # the AWS SDK for JavaScript v3 over https
    assert result.ok, result.output
    auth = result.output["steps"]["InitiateAuth"]["AuthenticationResult"]
    issuer = f"https://127.0.0.1:{tls_server.port}/{pool_id}"
    assert unverified_claims(auth["IdToken"])["iss"] == issuer

    verified = run_node("verify-jwt.mjs", {  # aws-jwt-verify, fetching the JWKS over https with Node's fetch
        "mode": "generic", "userPoolId": pool_id, "clientId": client_id, "issuer": issuer,
        "jwksUri": f"{issuer}/.well-known/jwks.json",
        "tokens": [{"token": auth["IdToken"], "tokenUse": "id"}, {"token": auth["AccessToken"], "tokenUse": "access"}],
    }, env=trusting)
    assert verified.ok, verified.output
    assert [r["payload"]["iss"] for r in verified.output["results"]] == [issuer, issuer]


# --- two workers -------------------------------------------------------------------------------------------


def test_each_of_two_workers_serves_https_and_answers_for_the_other(operator_pair: ServerProcess) -> None:
    a, b = pin_clients(operator_pair)  # boto3 clients whose kept-alive TLS connections two workers hold
    assert a.worker != b.worker
    pool_id, tokens = sign_up_confirm_and_sign_in(a, b, operator_pair)
    assert unverified_claims(tokens["AccessToken"])["iss"] == f"https://127.0.0.1:{operator_pair.port}/{pool_id}"
    assert b.get_user(AccessToken=tokens["AccessToken"])["Username"].startswith("rita-")
    assert a.get_user(AccessToken=tokens["AccessToken"])["Username"].startswith("rita-")


# --- start-up refusals ---------------------------------------------------------------------------------------


def refused(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Runs ``serve`` with ``args``, expecting it to stop at once with status 2; returns what it printed."""
    done = ServerProcess(data_dir=tmp_path / "data", extra_args=args, env=env or {}).run_to_exit()
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output
    return done.stderr


def test_a_missing_certificate_or_key_file_stops_the_start_naming_it(tmp_path: Path) -> None:
    _, cert, key = make_ca_and_server_pair(tmp_path)
    assert refused(tmp_path, "--tls-cert", str(tmp_path / "missing.pem"), "--tls-key", str(key)) == (
        f"userpools: --tls-cert {tmp_path / 'missing.pem'}: no such file\n")
    assert refused(tmp_path, "--tls-cert", str(cert), "--tls-key", str(tmp_path / "missing.key")) == (
        f"userpools: --tls-key {tmp_path / 'missing.key'}: no such file\n")


def test_a_key_that_does_not_match_the_certificate_stops_the_start(tmp_path: Path) -> None:
    _, cert, _ = make_ca_and_server_pair(tmp_path / "one")
    _, _, other_key = make_ca_and_server_pair(tmp_path / "two")
    message = refused(tmp_path, "--workers", "2", env={"USERPOOLS_TLS_CERT": str(cert),
                                                      "USERPOOLS_TLS_KEY": str(other_key)})
    assert message.startswith(f"userpools: --tls-key {other_key} does not match --tls-cert {cert}:")


def test_tls_options_that_do_not_go_together_stop_the_start(tmp_path: Path) -> None:
    _, cert, key = make_ca_and_server_pair(tmp_path)
    assert "give either it or --tls-cert/--tls-key, not both" in refused(
        tmp_path, "--tls-cert", str(cert), "--tls-key", str(key), env={"USERPOOLS_TLS_SELF_SIGNED": "true"})
    assert "--tls-cert and --tls-key go together" in refused(tmp_path, "--tls-cert", str(cert))
    assert "use it with --tls-self-signed" in refused(tmp_path, "--tls-name", "auth.example.test")
    assert not (tmp_path / "data" / "tls").exists()  # nothing made for a refused start

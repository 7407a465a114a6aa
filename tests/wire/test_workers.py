"""``userpools serve --workers 2``: two server processes on one port and one store, driven through boto3.

Each test pins boto3 clients to workers: a boto3 client keeps its connection open (HTTP keep-alive), and
the kernel says which worker process holds the other end of that connection (/proc: the worker's socket
inodes against the established TCP connections). So "issued by one worker, accepted by the other" is
checked, not hoped for, and the server exposes nothing new to make it checkable.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from accounts import PASSWORD, latest_code, make_client, make_user, sign_in, unique
from botocore.exceptions import ClientError
from server import ServerProcess
from test_pools import error_of

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc (Linux)")

WORKERS = 2
ATTEMPTS = 3  # --recovery-attempts-per-hour
NEW_PASSWORD = "Recovered-Pass-9"
LIMIT = ("LimitExceededException", "Attempt limit exceeded, please try after some time.")
LOCKED = ("NotAuthorizedException", "Password attempts exceeded")
INCORRECT = ("NotAuthorizedException", "Incorrect username or password.")
REVOKED_REFRESH = ("NotAuthorizedException", "Refresh Token has been revoked")
FLOW_OFF = ("InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")


# --- processes and connections, from /proc ---------------------------------------------------------------


def children(pid: int) -> set[int]:
    """The live processes whose parent is ``pid``."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, …
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition: Any, what: str, timeout: float = 30.0, details: Any = None) -> Any:
    """Polls ``condition`` until it answers something true, or fails after ``timeout`` seconds (with what
    ``details()`` returns, the server's log for example)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}" + (f":\n{details()}" if details else ""))
        time.sleep(0.02)


def worker_holding(srv: ServerProcess, client_port: int) -> int:
    """The worker pid holding the server end of the connection from ``client_port``."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state = fields[1], fields[2], fields[3]
        if (state == "01" and int(local.split(":")[1], 16) == srv.port
                and int(remote.split(":")[1], 16) == client_port):
            inode = fields[9]
    assert inode is not None, f"no established connection from port {client_port}"
    assert srv.proc is not None
    for pid in children(srv.proc.pid):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                        return pid
    raise AssertionError(f"no worker holds the connection from port {client_port}")


def connection_port(client: Any) -> int:
    """The local port of the one kept-alive connection of a boto3 client (urllib3's pool, via botocore)."""
    manager = client._endpoint.http_session._manager
    ports = [
        conn.sock.getsockname()[1]
        for key in list(manager.pools.keys())
        for conn in list(manager.pools[key].pool.queue)
        if conn is not None and getattr(conn, "sock", None) is not None
    ]
    assert len(ports) == 1, ports
    return int(ports[0])


class Pinned:
    """A boto3 client whose connection is served by one known worker; every call checks it still is."""

    def __init__(self, client: Any, worker: int) -> None:
        self.client = client
        self.worker = worker
        self.port = connection_port(client)

    def __getattr__(self, name: str) -> Any:
        operation = getattr(self.client, name)

        def call(**kwargs: Any) -> Any:
            try:
                return operation(**kwargs)
            finally:  # answered on the same connection, so by the same worker
                assert connection_port(self.client) == self.port, "the connection moved to another worker"

        return call


def pin_clients(srv: ServerProcess) -> list[Pinned]:
    """One boto3 client per worker (new clients, so new connections, until every worker holds one)."""
    assert srv.proc is not None
    workers = children(srv.proc.pid)
    assert len(workers) == WORKERS
    pinned: dict[int, Pinned] = {}
    for _ in range(100):
        client = srv.client()
        client.list_user_pools(MaxResults=1)
        worker = worker_holding(srv, connection_port(client))
        if worker in pinned:
            client.close()
            continue
        pinned[worker] = Pinned(client, worker)
        if len(pinned) == WORKERS:
            return list(pinned.values())
    pytest.fail(f"100 new connections all went to {sorted(pinned)} of the workers {sorted(workers)}")


# --- servers -----------------------------------------------------------------------------------------------


def start_workers(server_factory: Any, backend: str, *more: str, by_env: bool = False) -> ServerProcess:
    # Pinned clients hold one connection per worker for a whole test: an idle keep-alive connection the server
    # closed (5 s by default; a loaded machine can pause a test that long) would reconnect to any worker.
    more = ("--keep-alive", "600", *more)
    if by_env:
        srv: ServerProcess = server_factory(backend, extra_args=more, env={"USERPOOLS_WORKERS": str(WORKERS)})
    else:
        srv = server_factory(backend, extra_args=["--workers", str(WORKERS), *more])
    def serving() -> bool:
        if srv.proc is None or srv.proc.poll() is not None:
            pytest.fail("the supervisor exited before every worker served:\n" + "".join(srv.output))
        return any(f"{WORKERS} workers serving on" in line for line in srv.output)

    wait_for(serving, "every worker", details=lambda: "".join(srv.output))
    return srv


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def workers(request: pytest.FixtureRequest, server_factory: Any) -> ServerProcess:
    return start_workers(server_factory, request.param, "--recovery-attempts-per-hour", str(ATTEMPTS))


@pytest.fixture
def a_b(workers: ServerProcess) -> list[Pinned]:
    return pin_clients(workers)


@pytest.fixture
def app(workers: ServerProcess) -> Iterator[tuple[str, str]]:
    """A pool that verifies email, and a client allowing every flow: (pool id, client id)."""
    admin = workers.client()
    pool = admin.create_user_pool(PoolName=unique("workers"), AutoVerifiedAttributes=["email"])["UserPool"]
    yield pool["Id"], make_client(admin, pool["Id"])["ClientId"]
    admin.delete_user_pool(UserPoolId=pool["Id"])


def verified_user(srv: ServerProcess, pool_id: str) -> str:
    return make_user(srv.client(), pool_id, attributes={"email": "rita@example.com", "email_verified": "true"})


# --- the store is shared ---------------------------------------------------------------------------------


def test_each_worker_serves_connections(workers: ServerProcess, a_b: list[Pinned]) -> None:
    assert len({p.worker for p in a_b}) == WORKERS
    for pinned in a_b:
        assert "UserPools" in pinned.list_user_pools(MaxResults=1)


def test_a_reset_code_issued_by_one_worker_is_accepted_by_the_other(
    workers: ServerProcess, a_b: list[Pinned], app: tuple[str, str]
) -> None:
    (pool_id, client_id), (a, b) = app, a_b
    name = verified_user(workers, pool_id)
    a.forgot_password(ClientId=client_id, Username=name)
    b.confirm_forgot_password(ClientId=client_id, Username=name, Password=NEW_PASSWORD,
                              ConfirmationCode=latest_code(workers, pool_id, name))
    assert a.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                           AuthParameters={"USERNAME": name, "PASSWORD": NEW_PASSWORD})["AuthenticationResult"]


def test_recovery_attempts_are_counted_across_workers(
    workers: ServerProcess, a_b: list[Pinned], app: tuple[str, str]
) -> None:
    (pool_id, client_id), (a, b) = app, a_b
    name = verified_user(workers, pool_id)
    for pinned in (a, b, a)[:ATTEMPTS]:  # one worker alone never reaches the limit
        pinned.forgot_password(ClientId=client_id, Username=name)
    for pinned in (b, a):
        with pytest.raises(ClientError) as excinfo:
            pinned.forgot_password(ClientId=client_id, Username=name)
        assert error_of(excinfo) == LIMIT


def test_global_sign_out_on_one_worker_revokes_the_refresh_token_on_every_worker(
    workers: ServerProcess, a_b: list[Pinned], app: tuple[str, str]
) -> None:
    (pool_id, client_id), (a, b) = app, a_b
    name = make_user(workers.client(), pool_id)
    tokens = sign_in(a, client_id, name)["AuthenticationResult"]
    refresh = {"REFRESH_TOKEN": tokens["RefreshToken"]}
    assert b.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=refresh)
    b.global_sign_out(AccessToken=tokens["AccessToken"])
    for pinned in (a, b):
        with pytest.raises(ClientError) as excinfo:
            pinned.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=refresh)
        assert error_of(excinfo) == REVOKED_REFRESH
        with pytest.raises(ClientError) as excinfo:
            pinned.get_user(AccessToken=tokens["AccessToken"])
        assert error_of(excinfo)[0] == "NotAuthorizedException"


def test_revoke_token_on_one_worker_revokes_it_on_every_worker(
    workers: ServerProcess, a_b: list[Pinned], app: tuple[str, str]
) -> None:
    (pool_id, client_id), (a, b) = app, a_b
    name = make_user(workers.client(), pool_id)
    tokens = sign_in(b, client_id, name)["AuthenticationResult"]
    a.revoke_token(ClientId=client_id, Token=tokens["RefreshToken"])
    for pinned in (a, b):
        with pytest.raises(ClientError) as excinfo:
            pinned.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                 AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})
        assert error_of(excinfo) == REVOKED_REFRESH


def test_wrong_passwords_on_both_workers_lock_the_user_on_both(
    workers: ServerProcess, a_b: list[Pinned], app: tuple[str, str]
) -> None:
    (pool_id, client_id), (a, b) = app, a_b
    name = make_user(workers.client(), pool_id)
    for pinned in (a, b, a, b, a):  # 3 + 2: neither worker saw five on its own
        with pytest.raises(ClientError) as excinfo:
            sign_in(pinned, client_id, name, "Wrong-Password-1")
        assert error_of(excinfo) == INCORRECT
    for pinned in (b, a):  # even the right password, while locked (2^(5-5) = 1 s)
        with pytest.raises(ClientError) as excinfo:
            sign_in(pinned, client_id, name, PASSWORD)
        assert error_of(excinfo) == LOCKED


def test_a_password_changed_on_one_worker_is_the_one_the_other_accepts(
    workers: ServerProcess, a_b: list[Pinned], app: tuple[str, str]
) -> None:
    """Each worker checks a password before the sign-in's transaction against the stored verifier it last
    found for that name (operations.verifiers): a verifier changed elsewhere is checked afresh."""
    (pool_id, client_id), (a, b) = app, a_b
    name = make_user(workers.client(), pool_id)
    assert sign_in(a, client_id, name, PASSWORD)["AuthenticationResult"]  # a now guesses the first verifier
    b.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=NEW_PASSWORD, Permanent=True)
    with pytest.raises(ClientError) as excinfo:
        sign_in(a, client_id, name, PASSWORD)
    assert error_of(excinfo) == INCORRECT
    assert sign_in(a, client_id, name, NEW_PASSWORD)["AuthenticationResult"]
    b.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True)
    assert sign_in(a, client_id, name, PASSWORD)["AuthenticationResult"]  # back: a's guess is stale again


def test_srp_sign_in_with_its_two_steps_on_different_workers(
    workers: ServerProcess, a_b: list[Pinned], app: tuple[str, str]
) -> None:
    """With several workers on SQLite the SRP work (g^b, then the session key) is done ahead of each step's
    transaction; the answers are the same: a right password signs in, a wrong one is refused and counted."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench.srp_client import SrpClient

    (pool_id, client_id), (a, b) = app, a_b
    name = make_user(workers.client(), pool_id)
    srp = SrpClient(pool_id)
    for first, second, password in ((a, b, PASSWORD), (b, a, PASSWORD), (a, b, "Wrong-Password-1")):
        eph = srp.ephemeral()
        started = first.initiate_auth(ClientId=client_id, AuthFlow="USER_SRP_AUTH",
                                      AuthParameters={"USERNAME": name, "SRP_A": eph.srp_a})
        assert started["ChallengeName"] == "PASSWORD_VERIFIER"
        reply = srp.respond(eph, started["ChallengeParameters"], password)
        if password != PASSWORD:
            with pytest.raises(ClientError) as excinfo:
                second.respond_to_auth_challenge(ClientId=client_id, ChallengeName="PASSWORD_VERIFIER",
                                                 ChallengeResponses=reply)
            assert error_of(excinfo) == INCORRECT
            continue
        tokens = second.respond_to_auth_challenge(ClientId=client_id, ChallengeName="PASSWORD_VERIFIER",
                                                  ChallengeResponses=reply)["AuthenticationResult"]
        assert first.get_user(AccessToken=tokens["AccessToken"])["Username"] == name


def pin_http(srv: ServerProcess) -> dict[int, http.client.HTTPConnection]:
    """One kept-alive plain HTTP connection per worker (for the server's own endpoints), by worker pid."""
    pinned: dict[int, http.client.HTTPConnection] = {}
    for _ in range(100):
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        get(conn, "/_userpools/health")  # answered: so accepted by a worker
        assert conn.sock is not None
        worker = worker_holding(srv, conn.sock.getsockname()[1])
        if worker in pinned:
            conn.close()
            continue
        pinned[worker] = conn
        if len(pinned) == WORKERS:
            return pinned
    pytest.fail(f"100 new connections all went to the workers {sorted(pinned)}")


def get(conn: http.client.HTTPConnection, path: str, body: Any = None) -> Any:
    conn.request("GET" if body is None else "POST", path, body=None if body is None else json.dumps(body),
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    answer = json.loads(response.read())
    assert response.status == 200, answer
    return answer


def test_the_development_clock_moved_through_one_worker_moves_in_every_worker(
    workers: ServerProcess, a_b: list[Pinned], app: tuple[str, str]
) -> None:
    (pool_id, client_id), (a, b) = app, a_b
    clocks = pin_http(workers)
    name = verified_user(workers, pool_id)
    a.forgot_password(ClientId=client_id, Username=name)
    code = latest_code(workers, pool_id, name)
    try:
        frozen = get(clocks[b.worker], "/_userpools/clock", {"freeze": True})["now"]
        assert get(clocks[a.worker], "/_userpools/clock", {"advanceSeconds": 0})["now"] == frozen
        moved = get(clocks[b.worker], "/_userpools/clock", {"advanceSeconds": 3601})["now"]  # codes last an hour
        assert get(clocks[a.worker], "/_userpools/clock", {"advanceSeconds": 0})["now"] == moved
        with pytest.raises(ClientError) as excinfo:
            a.confirm_forgot_password(ClientId=client_id, Username=name, Password=NEW_PASSWORD,
                                      ConfirmationCode=code)
        assert error_of(excinfo) == ("ExpiredCodeException", "Invalid code provided, please request a code again.")
    finally:
        get(clocks[a.worker], "/_userpools/clock", {"reset": True})
        for conn in clocks.values():
            conn.close()
    b.confirm_forgot_password(ClientId=client_id, Username=name, Password=NEW_PASSWORD,  # back to the real time
                              ConfirmationCode=code)


def test_connections_opened_together_are_spread_over_the_workers(workers: ServerProcess) -> None:
    """An SDK's connection pool or a load balancer opens its keep-alive connections together: each worker
    listens on its own socket (SO_REUSEPORT), so the kernel spreads them, rather than the first worker to
    wake accepting them all."""
    sockets = [socket.create_connection(("127.0.0.1", workers.port)) for _ in range(32)]
    try:
        for sock in sockets:
            sock.sendall(b"GET /_userpools/health HTTP/1.1\r\nHost: x\r\n\r\n")
        for sock in sockets:
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        held = Counter(worker_holding(workers, sock.getsockname()[1]) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()
    assert len(held) == WORKERS, held
    assert min(held.values()) >= 4, held  # by the kernel's hash of the addresses; fewer: about 1 in 10^5


# --- the processes ---------------------------------------------------------------------------------------


def test_a_worker_that_dies_is_replaced(server_factory: Any) -> None:
    srv = start_workers(server_factory, "sqlite")
    assert srv.proc is not None
    first = children(srv.proc.pid)
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    parent = srv.proc.pid

    def new_set() -> set[int] | None:
        now = children(parent)
        return now if len(now) == WORKERS and victim not in now else None

    replaced = wait_for(new_set, "a new worker")
    assert len(replaced & first) == 1
    wait_for(lambda: any(f"(pid {victim}) exited unexpectedly (killed by SIGKILL)" in line
                         for line in srv.output), "the log line")
    wait_for(lambda: httpx.get(f"{srv.url}/_userpools/health").status_code == 200, "an answer")
    assert {p.worker for p in pin_clients(srv)} == replaced


def test_sigterm_stops_every_worker_and_leaves_no_process(server_factory: Any) -> None:
    srv = start_workers(server_factory, "sqlite", by_env=True)  # USERPOOLS_WORKERS=2
    assert srv.proc is not None
    pids = children(srv.proc.pid)
    assert len(pids) == WORKERS
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=30) == 0
    assert not [pid for pid in pids if alive(pid)]
    srv.stop()  # reads the rest of the log
    output = "".join(srv.output)
    assert output.count("stopped (exit status 0)") == WORKERS and "all workers stopped" in output


def test_workers_stop_when_the_supervisor_is_killed(server_factory: Any) -> None:
    srv = start_workers(server_factory, "sqlite")
    assert srv.proc is not None
    pids = children(srv.proc.pid)
    srv.proc.kill()  # SIGKILL: the supervisor cannot forward anything; the kernel tells the workers (Linux)
    srv.proc.wait(timeout=30)
    wait_for(lambda: not [pid for pid in pids if alive(pid)], "the workers to exit")


def test_a_store_that_cannot_be_reached_stops_the_server(tmp_path: Path) -> None:
    srv = ServerProcess(data_dir=tmp_path, database_url="postgresql://postgres@127.0.0.1:1/nowhere",
                        extra_args=["--workers", "2"])
    result = srv.run_to_exit()
    assert result.returncode == 3, result.stderr
    assert "cannot prepare the store" in result.stderr


def test_workers_must_be_at_least_one(tmp_path: Path) -> None:
    result = ServerProcess(data_dir=tmp_path, extra_args=["--workers", "0"]).run_to_exit()
    assert result.returncode == 2 and "--workers" in result.stderr


def test_a_client_changed_on_one_worker_is_seen_by_the_other_at_its_next_request(
    workers: ServerProcess, a_b: list[Pinned], app: tuple[str, str]
) -> None:
    """Each worker caches pools and clients; a change made through one is checked for by the other's next
    transaction (SQLite's file header, PostgreSQL's config_generation row)."""
    (pool_id, client_id), (a, b) = app, a_b
    name = make_user(workers.client(), pool_id)
    for pinned in (a, b):  # both workers now hold the client in their caches
        assert sign_in(pinned, client_id, name)["AuthenticationResult"]
    a.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"])
    for pinned in (b, a):
        with pytest.raises(ClientError) as excinfo:
            sign_in(pinned, client_id, name)
        assert error_of(excinfo) == FLOW_OFF
    b.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    with pytest.raises(ClientError) as excinfo:
        sign_in(a, client_id, name)
    assert error_of(excinfo)[0] == "ResourceNotFoundException"

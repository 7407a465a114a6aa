"""The pytest plugin's costs, against moto's in-process ``mock_aws`` (a script, not a test).

1. **Start-up**: what the ``userpools`` fixture costs a session, measured in a fresh interpreter (as a new
   pytest run has, pytest itself already imported): importing the server and starting it until its first
   request (ListUserPools) is answered, median of ``--starts`` runs, wall clock and CPU (the CPU time is
   what a busy machine does not change). Run it with bytecode compiled (``python -m compileall src`` once
   when PYTHONDONTWRITEBYTECODE is set): an installed package has it, and compiling the sources adds a
   few tenths of a second that no user pays.
2. **Per test**: "pool + client + user + sign-in" as a test does it with the fixtures: CreateUserPool and
   CreateUserPoolClient (the ``user_pool`` fixture), AdminCreateUser (SUPPRESS), AdminSetUserPassword
   (permanent), InitiateAuth (USER_PASSWORD_AUTH), and DeleteUserPool at the fixture's teardown; the same
   calls with moto in its own virtualenv (``bench/.others/moto``, which ``make others`` installs; or
   ``--moto-python``), two ways: one ``mock_aws`` for the whole run (moto's cheapest), and ``mock_aws`` entered
   per test with a new client (how moto's documentation has tests use it).

    .venv/bin/python bench/plugin.py [--tests 200] [--starts 5] [--moto-python PATH] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STARTUP = """
import datetime, json, time, urllib.request
import pytest  # a pytest session has it loaded before any fixture starts
started, cpu = time.perf_counter(), time.process_time()
from userpools.pytest_plugin import UserPoolsServer
server = UserPoolsServer().start()
now = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
credential = f"AKIAUSERPOOLSTEST/{now[:8]}/us-east-1/cognito-idp/aws4_request"
request = urllib.request.Request(server.endpoint + "/", data=b'{"MaxResults": 1}', headers={
    "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools",
    "Content-Type": "application/x-amz-json-1.1", "X-Amz-Date": now,
    "Authorization": f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host;x-amz-date, Signature={'0' * 64}"})
assert urllib.request.urlopen(request).read() == b'{"UserPools":[]}'
ready, cpu = time.perf_counter() - started, time.process_time() - cpu
server.stop()
print(json.dumps({"startup": ready, "cpu": cpu, "imports": server.import_seconds}))
"""

#: One "test": the same boto3 calls for both; ``client`` is made by the caller.
STEPS = """
def one_test(client, i):
    pool = client.create_user_pool(PoolName=f"bench-{i}", AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
    app = client.create_user_pool_client(UserPoolId=pool, ClientName="app", ExplicitAuthFlows=[
        "ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
    client.admin_create_user(UserPoolId=pool, Username="ana", MessageAction="SUPPRESS",
                             UserAttributes=[{"Name": "email", "Value": "ana@example.com"}])
    client.admin_set_user_password(UserPoolId=pool, Username="ana", Password="Corr3ct-horse!", Permanent=True)
    tokens = client.initiate_auth(ClientId=app, AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": "ana", "PASSWORD": "Corr3ct-horse!"})
    assert tokens["AuthenticationResult"]["AccessToken"]
    client.delete_user_pool(UserPoolId=pool)
"""

USERPOOLS = STEPS + """
import json, sys, time
from userpools.pytest_plugin import UserPoolsServer
n = int(sys.argv[1])
server = UserPoolsServer().start()
client = server.client()
one_test(client, -1)  # warm: the shared signing keys, the connection
started = time.perf_counter()
for i in range(n):
    one_test(client, i)
per_test = (time.perf_counter() - started) / n
server.stop()
print(json.dumps({"per_test": per_test}))
"""

MOTO = STEPS + """
import json, sys, time
import boto3
from moto import mock_aws
n = int(sys.argv[1])

def make():
    return boto3.client("cognito-idp", region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")

with mock_aws():
    client = make()
    one_test(client, -1)
    started = time.perf_counter()
    for i in range(n):
        one_test(client, i)
    shared = (time.perf_counter() - started) / n
started = time.perf_counter()
for i in range(n):
    with mock_aws():
        one_test(make(), i)
fresh = (time.perf_counter() - started) / n
print(json.dumps({"per_test_shared_mock": shared, "per_test_mock_per_test": fresh}))
"""


def run_json(python: str, code: str, *args: str) -> dict[str, float]:
    done = subprocess.run([python, "-c", code, *args], capture_output=True, text=True, check=False, cwd=ROOT,
                          timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"{python} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=200, help="tests per measurement (default 200)")
    parser.add_argument("--starts", type=int, default=5, help="fixture start-ups to time (default 5)")
    parser.add_argument("--moto-python", default=str(ROOT / "bench/.others/moto/bin/python"),
                        help="a Python with moto and boto3 (default: bench/.others/moto, `make others`)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    starts = [run_json(sys.executable, STARTUP) for _ in range(args.starts)]
    startup = statistics.median(s["startup"] for s in starts)
    imports = statistics.median(s["imports"] for s in starts)
    cpu = statistics.median(s["cpu"] for s in starts)
    ours = run_json(sys.executable, USERPOOLS, str(args.tests))
    moto = run_json(args.moto_python, MOTO, str(args.tests))
    figures = {
        "startup_s": startup, "startup_imports_s": imports, "startup_cpu_s": cpu,
        "startup_runs_s": [s["startup"] for s in starts],
        "userpools_per_test_ms": ours["per_test"] * 1000,
        "moto_shared_mock_per_test_ms": moto["per_test_shared_mock"] * 1000,
        "moto_mock_per_test_ms": moto["per_test_mock_per_test"] * 1000,
        "tests": args.tests,
    }
    figures["ratio_to_moto_shared"] = figures["userpools_per_test_ms"] / figures["moto_shared_mock_per_test_ms"]
    figures["ratio_to_moto_per_test"] = figures["userpools_per_test_ms"] / figures["moto_mock_per_test_ms"]
    print(f"fixture start-up (fresh interpreter, imports included): median {startup:.2f} s "
          f"(runs: {', '.join(f'{s:.2f}' for s in figures['startup_runs_s'])}; of which imports {imports:.2f} s; "
          f"CPU {cpu:.2f} s)")
    print(f"per test, pool + client + user + sign-in ({args.tests} tests):")
    print(f"  userpools fixture server      {figures['userpools_per_test_ms']:7.1f} ms")
    print(f"  moto, one mock_aws            {figures['moto_shared_mock_per_test_ms']:7.1f} ms "
          f"(userpools/moto {figures['ratio_to_moto_shared']:.2f}x)")
    print(f"  moto, mock_aws per test       {figures['moto_mock_per_test_ms']:7.1f} ms "
          f"(userpools/moto {figures['ratio_to_moto_per_test']:.2f}x)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Group claims benchmark: does a user in 10 groups sign in as fast as a user in none?

    .venv/bin/python bench/group_claims.py                                  # SQLite
    .venv/bin/python bench/group_claims.py --database-url postgresql://postgres@127.0.0.1:5432/bench_groups
    .venv/bin/python bench/group_claims.py --rounds 2 --seconds 2          # a quick try

One server, one pool, one client; ``--users`` users in no group and as many in ``--groups`` groups (each group
with a RoleArn and a Precedence, so the ID token carries cognito:groups, cognito:roles and
cognito:preferred_role). Then ``--rounds`` rounds, each timing USER_PASSWORD_AUTH sign-ins of random users of
one kind and then of the other for ``--seconds`` (the order alternates between rounds, so a drift of the machine
falls on both), at ``--concurrency``. Reported per kind: sign-ins per second and the server's CPU per sign-in
(utime + stime of the server process tree). The verdict compares the server's CPU per sign-in of the grouped
users with that of the plain ones (the target: at most 5% more): on a shared machine the throughput moves
with whatever else runs (the load generator shares the CPUs too), so it is reported but not judged. The
figures go to stdout as JSON (and to ``--out``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import orjson

if __package__ in (None, ""):  # run as a script: make ``bench`` importable from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import sample
from bench.scenarios import PASSWORD, _must
from bench.server import LocalServer
from bench.wire import CognitoWire

TARGET_SLOWDOWN = 0.05


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def setup(wire: CognitoWire, users: int, groups: int) -> tuple[str, str, dict[str, list[str]]]:
    pool = await _must(wire, "CreateUserPool", {"PoolName": "group-claims"})
    pool_id = pool["UserPool"]["Id"]
    client = await _must(wire, "CreateUserPoolClient", {
        "UserPoolId": pool_id, "ClientName": "bench", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH",
                                                                           "ALLOW_REFRESH_TOKEN_AUTH"]})
    client_id = client["UserPoolClient"]["ClientId"]
    for g in range(groups):
        await _must(wire, "CreateGroup", {"UserPoolId": pool_id, "GroupName": f"group-{g:02d}", "Precedence": g,
                                          "RoleArn": f"arn:aws:iam::123456789012:role/group-{g:02d}"})
    names: dict[str, list[str]] = {"plain": [], "grouped": []}
    for kind, kind_names in names.items():
        for i in range(users):
            name = f"{kind}-{i:04d}"
            await _must(wire, "AdminCreateUser", {"UserPoolId": pool_id, "Username": name, "MessageAction": "SUPPRESS"})
            await _must(wire, "AdminSetUserPassword", {"UserPoolId": pool_id, "Username": name, "Password": PASSWORD,
                                                       "Permanent": True})
            if kind == "grouped":
                for g in range(groups):
                    await _must(wire, "AdminAddUserToGroup", {"UserPoolId": pool_id, "Username": name,
                                                              "GroupName": f"group-{g:02d}"})
            kind_names.append(name)
    return pool_id, client_id, names


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


async def sign_ins(wire: CognitoWire, client_id: str, names: list[str], *, seconds: float, concurrency: int,
                   seed: str) -> tuple[int, int, float]:
    """(successes, errors, elapsed seconds) of sign-ins of random users of ``names`` for ``seconds``."""
    rng = random.Random(seed)
    deadline = time.perf_counter() + seconds
    ok = errors = 0

    async def worker() -> None:
        nonlocal ok, errors
        while time.perf_counter() < deadline:
            reply = await wire.call("InitiateAuth", {
                "ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": rng.choice(names), "PASSWORD": PASSWORD}})
            if reply.error is None and "AuthenticationResult" in reply.body:
                ok += 1
            else:
                errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ok, errors, time.perf_counter() - start


async def run(args: argparse.Namespace) -> dict[str, Any]:
    server = LocalServer(database_url=args.database_url).start()
    wire = CognitoWire(server.url, connections=args.concurrency)
    try:
        log(f"setup: {args.users} users in no group, {args.users} in {args.groups} groups")
        _pool_id, client_id, names = await setup(wire, args.users, args.groups)
        check = await _must(wire, "InitiateAuth", {"ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                                                   "AuthParameters": {"USERNAME": names["grouped"][0],
                                                                      "PASSWORD": PASSWORD}})
        id_claims = claims_of(check["AuthenticationResult"]["IdToken"])
        if len(id_claims.get("cognito:groups", [])) != args.groups or (
            args.groups and "cognito:preferred_role" not in id_claims
        ):
            raise SystemExit(f"a grouped user's ID token lacks its group claims: {id_claims}")
        log(f"warm-up {args.warmup:g} s")
        await sign_ins(wire, client_id, names["plain"] + names["grouped"], seconds=args.warmup,
                       concurrency=args.concurrency, seed="warmup")
        totals = {kind: {"sign_ins": 0, "errors": 0, "seconds": 0.0, "server_cpu_s": 0.0} for kind in names}
        for r in range(args.rounds):
            order = ["plain", "grouped"] if r % 2 == 0 else ["grouped", "plain"]
            for kind in order:
                before = sample(server.pid).cpu_s
                ok, errors, elapsed = await sign_ins(wire, client_id, names[kind], seconds=args.seconds,
                                                     concurrency=args.concurrency, seed=f"{r}/{kind}")
                cpu = sample(server.pid).cpu_s - before
                t = totals[kind]
                t["sign_ins"] += ok
                t["errors"] += errors
                t["seconds"] += elapsed
                t["server_cpu_s"] += cpu
                log(f"round {r + 1}/{args.rounds} {kind}: {ok / elapsed:.1f} sign-ins/s, "
                    f"{cpu / max(ok, 1) * 1000:.3f} ms server CPU per sign-in, {errors} errors")
        out: dict[str, Any] = {"settings": vars(args), "kinds": {}}
        for kind, t in totals.items():
            out["kinds"][kind] = {
                **t,
                "sign_ins_per_s": t["sign_ins"] / t["seconds"],
                "server_cpu_ms_per_sign_in": t["server_cpu_s"] / max(t["sign_ins"], 1) * 1000,
            }
        plain, grouped = out["kinds"]["plain"], out["kinds"]["grouped"]
        slower_rate = 1 - grouped["sign_ins_per_s"] / plain["sign_ins_per_s"]
        more_cpu = grouped["server_cpu_ms_per_sign_in"] / plain["server_cpu_ms_per_sign_in"] - 1
        out["verdict"] = {
            "throughput_slowdown": round(slower_rate, 4),
            "cpu_per_sign_in_increase": round(more_cpu, 4),
            "target": TARGET_SLOWDOWN,
            "met": more_cpu <= TARGET_SLOWDOWN,
        }
        return out
    finally:
        await wire.aclose()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--users", type=int, default=50, help="users of each kind")
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=5.0, help="per round and kind")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    result = asyncio.run(run(args))
    text = json.dumps(result, indent=2, default=str)
    if args.out is not None:
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()

"""Does a second server process add throughput? ``userpools serve --workers 1`` against ``--workers 2`` on one
store, the same load from bench/loadgen.py, and where each CPU millisecond of an iteration went: the server's
processes, the load generator, and the rest of the machine (the database server, anything else running).

    .venv/bin/python bench/workers.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/workers.py --database-url sqlite --scenario get_user,refresh

With PostgreSQL, ``--database-url`` names a database to connect to for administration: each run gets a fresh
database of its own, dropped afterwards. ``sqlite`` runs on loadgen's temporary SQLite store.

What bounds the ratio. One worker that keeps one CPU busy does 1000 / W1 iterations per second (W1: its CPU ms
per iteration). N workers on a machine of C CPUs, which the load generator and the database share, spend
W2 + R2 ms of the machine per iteration (R2: the load generator and the rest), so they cannot exceed
C × 1000 / (W2 + R2), nor N × 1000 / W2. Their ratio to one worker is therefore at most
min(N × W1 / W2, C × W1 / (W2 + R2)): the "bound" column. When the measured ratio sits at the bound, the
machine is full and more workers cannot help on it; the faster a worker gets (smaller W), the lower the bound.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
CPU_BOUND = "sign_in,refresh,get_user,sign_in_srp"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", required=True,
                   help="postgresql://… (an administration database: each run gets a fresh one) or 'sqlite'")
    p.add_argument("--scenario", default=CPU_BOUND, help=f"comma-separated (default: {CPU_BOUND})")
    p.add_argument("--workers", type=int, default=2, help="compared with one worker (default: 2)")
    p.add_argument("--duration", type=float, default=15.0, help="seconds measured per run (default: 15)")
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--users", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    return p.parse_args(argv)


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _fresh_database(admin_url: str) -> tuple[str, str]:
    name = f"userpools_workers_{secrets.token_hex(4)}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    parts = urlsplit(admin_url)
    return name, urlunsplit(parts._replace(path=f"/{name}"))


def run_once(args: argparse.Namespace, scenario: str, workers: int) -> dict[str, Any]:
    postgres = args.database_url != "sqlite"
    database, url = _fresh_database(args.database_url) if postgres else ("", "")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "run.json"
            cmd = [
                sys.executable, str(ROOT / "bench" / "loadgen.py"), "--start-server",
                "--server-arg=--workers", f"--server-arg={workers}",
                # the recovery quotas off, as make bench does: forgot_password then measures the operation
                "--server-arg=--recovery-attempts-per-hour", "--server-arg=1000000",
                "--server-arg=--recovery-requests-per-second", "--server-arg=1000000",
                "--scenario", scenario, "--duration", str(args.duration), "--warmup", str(args.warmup),
                "--users", str(args.users), "--concurrency", str(args.concurrency), "--json", str(out),
            ]
            if postgres:
                cmd += ["--database-url", url]
            print(f"workers: {scenario} with --workers {workers}", file=sys.stderr, flush=True)
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
            return dict(json.loads(out.read_text())["scenarios"][scenario])
    finally:
        if postgres:
            asyncio.run(_admin(args.database_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


def account(result: dict[str, Any]) -> dict[str, float]:
    """ok/s and CPU ms per iteration: the server's processes, the load generator, the rest of the machine."""
    server, loadgen, machine = result["server"], result["loadgen"], result["machine"]
    rest_ms = machine["cpu_ms_per_iteration"] - server["cpu_ms_per_iteration"] - loadgen["cpu_ms_per_iteration"]
    return {
        "ok_per_s": result["iterations"]["ok_per_s"],
        "server_ms": server["cpu_ms_per_iteration"],
        "server_cores": server["cores"],
        "loadgen_ms": loadgen["cpu_ms_per_iteration"],
        "rest_ms": max(rest_ms, 0.0),
        "machine_cores": machine["cores"],
        "cpus": float(machine["cpus"] or 1),
    }


def bound(one: dict[str, float], many: dict[str, float], workers: int) -> float:
    """The highest ratio ``many`` could reach over ``one`` on this machine (see the module's docstring)."""
    w1 = one["server_ms"] / min(one["server_cores"], 1.0)  # CPU ms per iteration were one CPU kept busy
    w2, r2 = many["server_ms"], many["loadgen_ms"] + many["rest_ms"]
    return min(workers * w1 / w2, many["cpus"] * w1 / (w2 + r2))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scenarios = [name.strip() for name in args.scenario.split(",") if name.strip()]
    rows: list[dict[str, Any]] = []
    for scenario in scenarios:
        one = account(run_once(args, scenario, 1))
        many = account(run_once(args, scenario, args.workers))
        rows.append({"scenario": scenario, "one": one, "many": many,
                     "ratio": many["ok_per_s"] / one["ok_per_s"], "bound": bound(one, many, args.workers)})
    engine = "SQLite" if args.database_url == "sqlite" else "PostgreSQL"
    print(f"\n{engine}, concurrency {args.concurrency}, {args.duration:g} s per run, {os.cpu_count()} CPUs; "
          "CPU ms per iteration (cores busy)\n")
    print("| scenario | workers | ok/s | ratio | bound | server | load generator | rest (database, other) "
          "| machine busy |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        for label, figures in (("1", row["one"]), (str(args.workers), row["many"])):
            ratio = "–" if label == "1" else f"{row['ratio']:.2f}×"
            limit = "–" if label == "1" else f"{row['bound']:.2f}×"
            print(f"| {row['scenario']} | {label} | {figures['ok_per_s']:,.1f} | {ratio} | {limit} "
                  f"| {figures['server_ms']:.2f} ({figures['server_cores']:.2f}) | {figures['loadgen_ms']:.2f} "
                  f"| {figures['rest_ms']:.2f} | {figures['machine_cores']:.2f} of {figures['cpus']:.0f} |")
    if args.json:
        args.json.write_text(json.dumps({"engine": engine, "rows": rows}, indent=2) + "\n")
        print(f"\nwrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

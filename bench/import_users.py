"""Import a generated CSV of users through the real path and print users per second.

    python bench/import_users.py --url http://127.0.0.1:9229 [--users 100000]
    python bench/import_users.py --start-server [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
                                 [--repeat 3] [--json FILE]

Creates a pool (email auto-verified), a job, uploads the CSV to its pre-signed URL, starts the job, polls
DescribeUserImportJob until it ends, and prints the users imported per second (StartDate → CompletionDate
as the server reports them, and the wall time seen from here).

``--start-server`` runs each import against a server of its own (``bench/server.py``'s ``LocalServer``) on a
fresh store: SQLite in a temporary folder, or with ``--database-url`` a PostgreSQL database created for the
run (``bench_import_<random>`` on that server, dropped afterwards). ``--repeat N`` runs N imports and reports
their median and the load average before each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import LocalServer


def generate(header: list[str], users: int) -> bytes:
    index = {column: i for i, column in enumerate(header)}
    lines = [",".join(header)]
    for n in range(users):
        row = [""] * len(header)
        row[index["cognito:username"]] = f"user{n:07d}"
        row[index["email"]] = f"user{n:07d}@example.com"
        row[index["email_verified"]] = "true"
        row[index["cognito:mfa_enabled"]] = "false"
        row[index["given_name"]] = f"Given{n}"
        row[index["family_name"]] = "Family"
        lines.append(",".join(row))
    return ("\n".join(lines) + "\n").encode()


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """user + system CPU seconds of each live process (``/proc``; Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


async def _backends(admin_url: str, database: str) -> list[int]:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)
    finally:
        await conn.close()
    return [row["pid"] for row in rows]


class CpuMeter:
    """The CPU the server process (and, on PostgreSQL, the database's backends) spend between two readings: a
    figure the other work on a shared machine moves far less than the wall time."""

    def __init__(self, pid: int, admin_url: str | None = None, database: str | None = None) -> None:
        self.pid, self.admin_url, self.database = pid, admin_url, database

    def read(self) -> tuple[dict[int, float], dict[int, float]]:
        backends: list[int] = []
        if self.admin_url is not None and self.database is not None:
            backends = asyncio.run(_backends(self.admin_url, self.database))
        return _cpu_seconds([self.pid]), _cpu_seconds(backends)

    @staticmethod
    def spent(
        before: tuple[dict[int, float], dict[int, float]], after: tuple[dict[int, float], dict[int, float]]
    ) -> tuple[float, float]:
        def one(b: dict[int, float], a: dict[int, float]) -> float:
            return sum(seconds - b.get(pid, 0.0) for pid, seconds in a.items())

        return one(before[0], after[0]), one(before[1], after[1])


def run_import(url: str, users: int, meter: CpuMeter | None = None) -> dict[str, Any]:
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    pool = cognito.create_user_pool(
        PoolName=f"bench-import-{uuid.uuid4().hex[:6]}", AutoVerifiedAttributes=["email"]
    )["UserPool"]
    header = cognito.get_csv_header(UserPoolId=pool["Id"])["CSVHeader"]
    body = generate(header, users)
    job = cognito.create_user_import_job(
        JobName="bench", UserPoolId=pool["Id"], CloudWatchLogsRoleArn="arn:aws:iam::000000000000:role/bench"
    )["UserImportJob"]
    put = httpx.put(
        job["PreSignedUrl"], content=body, headers={"x-amz-server-side-encryption": "aws:kms"}, timeout=300
    )
    put.raise_for_status()
    cpu_before = meter.read() if meter else None
    began = time.monotonic()
    cognito.start_user_import_job(UserPoolId=pool["Id"], JobId=job["JobId"])
    while True:
        seen = cognito.describe_user_import_job(UserPoolId=pool["Id"], JobId=job["JobId"])["UserImportJob"]
        if seen["Status"] in ("Succeeded", "Failed", "Stopped"):
            break
        time.sleep(0.1)
    wall = time.monotonic() - began
    cpu: dict[str, float] = {}
    if meter and cpu_before:
        cpu["server_cpu_s"], cpu["database_cpu_s"] = CpuMeter.spent(cpu_before, meter.read())
    server = (seen["CompletionDate"] - seen["StartDate"]).total_seconds()
    print(
        f"status {seen['Status']}: imported {seen['ImportedUsers']}, skipped {seen['SkippedUsers']}, "
        f"failed {seen['FailedUsers']} of {users} ({len(body) / 1e6:.1f} MB)"
    )
    print(
        f"server time {server:.2f} s: {seen['ImportedUsers'] / server:,.0f} users/s; "
        f"wall time {wall:.2f} s: {seen['ImportedUsers'] / wall:,.0f} users/s",
        flush=True,
    )
    if cpu:
        print(
            f"CPU: server process {cpu['server_cpu_s']:.2f} s ({seen['ImportedUsers'] / cpu['server_cpu_s']:,.0f} "
            f"users per CPU second), database backends {cpu['database_cpu_s']:.2f} s",
            flush=True,
        )
    cognito.delete_user_pool(UserPoolId=pool["Id"])
    return {
        "status": seen["Status"],
        "imported": seen["ImportedUsers"],
        "server_s": server,
        "wall_s": wall,
        "server_users_per_s": seen["ImportedUsers"] / server,
        "wall_users_per_s": seen["ImportedUsers"] / wall,
        **cpu,
    }


async def _admin(url: str, statement: str) -> None:
    import asyncpg  # the postgresql extra's driver

    parts = urlsplit(url)
    conn = await asyncpg.connect(urlunsplit(parts._replace(scheme="postgresql", path="/postgres")))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def with_server(database_url: str | None, users: int) -> dict[str, Any]:
    """One import against a server of its own on a fresh store."""
    url = admin = None
    if database_url is not None:
        name = f"bench_import_{uuid.uuid4().hex[:8]}"
        asyncio.run(_admin(database_url, f"CREATE DATABASE {name}"))
        url = urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
        admin = urlunsplit(urlsplit(database_url)._replace(scheme="postgresql", path="/postgres"))
    server = LocalServer(database_url=url).start()
    try:
        meter = CpuMeter(server.pid, admin, name if database_url is not None else None)
        return run_import(server.url, users, meter)
    finally:
        server.stop()
        if database_url is not None:
            asyncio.run(_admin(database_url, f"DROP DATABASE {name}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:9229")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--start-server", action="store_true", help="a server of its own per run")
    parser.add_argument("--database-url", help="with --start-server: PostgreSQL (a database per run)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the runs and their median here")
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeat):
        load = os.getloadavg()
        print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
        run = (
            with_server(args.database_url, args.users)
            if args.start_server
            else run_import(args.url, args.users)
        )
        runs.append({**run, "load_average": load})
    median = statistics.median(run["server_users_per_s"] for run in runs)
    median_wall = statistics.median(run["wall_users_per_s"] for run in runs)
    print(f"median of {len(runs)}: server {median:,.0f} users/s, wall {median_wall:,.0f} users/s")
    if all("server_cpu_s" in run for run in runs):
        cpu = statistics.median(run["server_cpu_s"] for run in runs)
        db = statistics.median(run["database_cpu_s"] for run in runs)
        print(f"median CPU: server process {cpu:.2f} s, database backends {db:.2f} s")
    if args.json:
        backend = "PostgreSQL" if args.database_url else "SQLite"
        meta = {
            "backend": backend,
            "users": args.users,
            "cpu_count": os.cpu_count(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        }
        result = {
            "meta": meta,
            "runs": runs,
            "median_server_users_per_s": median,
            "median_wall_users_per_s": median_wall,
        }
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()

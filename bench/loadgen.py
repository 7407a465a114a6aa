"""Load generator for any Cognito User Pools-compatible endpoint (userpools, AWS, other emulators).

    python bench/loadgen.py --start-server --scenario sign_in --concurrency 32 --duration 10
    python bench/loadgen.py --endpoint http://127.0.0.1:9229 --server-pid 1234 --scenario all --json out.json

Fixtures (a pool, an app client, ``--users`` users with permanent passwords) are made through the API
before any timing; then each scenario runs ``--concurrency`` workers, each sending one request at a time
over a shared keep-alive connection pool, for ``--duration`` seconds (or ``--requests`` iterations) after
``--warmup`` seconds that are not counted. See bench/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import platform
import random
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.credentials import Credentials

if __package__ in (None, ""):  # run as a script: make ``bench`` importable from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import MachineCpu, ProcessWatch, Recorder, SelfCpu, cpu_figures, sample
from bench.mfa import enable_email_otp, enroll_totp
from bench.oauth import create_oauth_fixtures, oidc_provider_fixtures
from bench.scenarios import (
    SCENARIOS,
    Fixtures,
    Run,
    Scenario,
    SetupError,
    collect_tokens,
    create_fixtures,
    delete_fixtures,
)
from bench.server import LocalServer
from bench.srp_client import SrpClient
from bench.wire import DUMMY_CREDENTIALS, CognitoWire


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--endpoint", help="base URL of a running server, e.g. http://127.0.0.1:9229")
    target.add_argument(
        "--start-server",
        action="store_true",
        help="start `python -m userpools serve` on a free port with a temporary data directory",
    )
    p.add_argument(
        "--database-url",
        help="with --start-server: passed to the server (default: SQLite in the temporary data directory)",
    )
    p.add_argument(
        "--server-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="with --start-server: one more argument for `userpools serve` (repeatable)",
    )
    p.add_argument("--server-log-level", default="warning", help="with --start-server (default: %(default)s)")
    p.add_argument(
        "--keep-server-data", action="store_true", help="with --start-server: keep its data directory"
    )
    p.add_argument(
        "--server-pid",
        type=int,
        help="sample this process (and its children) for RSS and CPU; automatic with --start-server",
    )
    p.add_argument(
        "--scenario",
        default="sign_in",
        help=f"comma-separated, or 'all': {', '.join(SCENARIOS)} (default: %(default)s)",
    )
    p.add_argument(
        "--concurrency",
        type=int,
        default=16,
        help="workers, each with one request in flight (default: %(default)s)",
    )
    run_length = p.add_mutually_exclusive_group()
    run_length.add_argument(
        "--duration", type=float, default=10.0, help="seconds measured per scenario (default: %(default)s)"
    )
    run_length.add_argument("--requests", type=int, help="iterations per scenario instead of --duration")
    p.add_argument(
        "--warmup",
        type=float,
        default=1.0,
        help="seconds run but not counted, before each scenario (default: %(default)s)",
    )
    p.add_argument(
        "--slices",
        type=int,
        default=1,
        help="with --duration: measure it as this many equal slices, the load paused between them (and before "
        "the first, after the last) while --between-slices runs; each slice's server CPU per iteration is "
        "reported too (default: %(default)s)",
    )
    p.add_argument(
        "--between-slices",
        metavar="COMMAND",
        help="a shell command run in each pause of --slices, '{json}' in it replaced by a file it writes; the "
        "JSON files are kept in the report (compare.py: crypto_floor.py, so that each slice's CPU is judged "
        "against a floor measured within seconds of it)",
    )
    p.add_argument("--users", type=int, default=100, help="fixture users (default: %(default)s)")
    p.add_argument(
        "--token-users",
        type=int,
        default=500,
        help="users signed in during set-up for get_user/refresh/mixed, at most --users "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--setup-concurrency",
        type=int,
        default=32,
        help="requests in flight while making fixtures (default: %(default)s)",
    )
    p.add_argument(
        "--srp-a-bytes",
        type=int,
        default=32,
        help="bytes in the SRP client's secret a; real clients use 128, the server's work is the same "
        "(default: %(default)s)",
    )
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default: %(default)s)")
    p.add_argument(
        "--region", default="us-east-1", help="SigV4 region of the admin calls (default: %(default)s)"
    )
    p.add_argument(
        "--credentials",
        metavar="AKID:SECRET",
        help="SigV4 credentials of the admin calls, for a server that checks them (default: dummy ones)",
    )
    p.add_argument("--seed", type=int, help="seed for the workers' random picks (default: random)")
    p.add_argument(
        "--keep-fixtures",
        action="store_true",
        help="do not delete the pool at the end (it is deleted on --endpoint runs otherwise)",
    )
    p.add_argument(
        "--http",
        choices=("auto", "aiohttp", "httpx"),
        default="auto",
        help="HTTP client: auto = aiohttp (least CPU per request) when installed, else httpx "
        "(default: %(default)s)",
    )
    p.add_argument("--no-uvloop", action="store_true", help="use asyncio's own event loop")
    p.add_argument(
        "--target",
        choices=("cognito", "oidc-provider"),
        default="cognito",
        help="cognito: a Cognito-compatible server (fixtures made through its API); oidc-provider: "
        "bench/oidc_provider_server.mjs (client_credentials only, its fixed client) (default: %(default)s)",
    )
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    args = p.parse_args(argv)
    names = list(SCENARIOS) if args.scenario == "all" else [n.strip() for n in args.scenario.split(",") if n]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown or not names:
        p.error(
            f"unknown scenario {', '.join(unknown) or '(none)'}; choose from {', '.join(SCENARIOS)} or all"
        )
    args.scenarios = [SCENARIOS[n] for n in names]
    if any(args.target not in s.targets for s in args.scenarios):
        p.error(f"--target {args.target} runs only: {', '.join(n for n, s in SCENARIOS.items() if args.target in s.targets)}")
    if args.concurrency < 1 or args.users < 0 or (args.requests is not None and args.requests < 1):
        p.error("--concurrency and --requests must be at least 1, --users at least 0")
    if args.users == 0 and args.target == "cognito" and any(s.needs_users for s in args.scenarios):
        p.error("these scenarios sign existing users in: --users must be at least 1")
    if args.server_pid is not None and not Path(f"/proc/{args.server_pid}").exists():
        p.error(f"--server-pid {args.server_pid}: no such process here")
    if args.http == "aiohttp" and importlib.util.find_spec("aiohttp") is None:
        p.error("--http aiohttp: aiohttp is not installed (pip install aiohttp), or use --http httpx")
    if args.credentials is not None and ":" not in args.credentials:
        p.error("--credentials: ACCESS_KEY_ID:SECRET_ACCESS_KEY")
    if (args.database_url or args.server_arg) and not args.start_server:
        p.error("--database-url and --server-arg go with --start-server")
    return args


# --- running -----------------------------------------------------------------------------------------------


async def drive(
    run: Run, scenario: Scenario, *, concurrency: int, duration: float | None, requests: int | None, seed: str
) -> float:
    """Runs ``concurrency`` workers until the deadline or the iteration budget; returns the wall time."""
    deadline = time.perf_counter() + duration if duration is not None else None
    budget = [requests or 0]
    iteration, recorder = scenario.iteration, run.recorder

    async def worker(index: int) -> None:
        rng = random.Random(f"{seed}/{scenario.name}/{index}")
        while True:
            if deadline is not None:
                if time.perf_counter() >= deadline:
                    return
            elif budget[0] <= 0:
                return
            else:
                budget[0] -= 1
            started = time.perf_counter_ns()
            try:
                error = await iteration(run, rng)
            except Exception as exc:  # noqa: BLE001 - a scenario's bug shows in the report, not as a crash
                error = f"client:{type(exc).__name__}"
            recorder.iteration(time.perf_counter_ns() - started, error)

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return time.perf_counter() - started


async def measure(
    args: argparse.Namespace, run: Run, scenario: Scenario, pid: int | None, seed: str
) -> dict[str, Any]:
    result: dict[str, Any] = {"about": scenario.about, "skipped": None}
    if scenario.needs_tokens and not run.fixtures.tokens:
        result["skipped"] = f"no access/refresh tokens from set-up ({run.fixtures.tokens_error})"
        return result
    print(
        f"run: {scenario.name}: warm-up {args.warmup:g} s, then "
        f"{f'{args.requests} iterations' if args.requests else f'{args.duration:g} s'} "
        f"at concurrency {args.concurrency}",
        file=sys.stderr,
        flush=True,
    )
    run.recorder = Recorder(enabled=False)
    if args.warmup > 0:
        await drive(
            run,
            scenario,
            concurrency=args.concurrency,
            duration=args.warmup,
            requests=None,
            seed=seed + "/warmup",
        )
    run.recorder = recorder = Recorder()
    count = 1 if args.requests else max(1, args.slices)
    slices: list[dict[str, Any]] = []
    between: list[Any] = []
    own_s = machine_s = server_s = elapsed = 0.0
    with ProcessWatch(pid) if pid else contextlib.nullcontext() as watch:  # RSS over the whole phase
        for index in range(count):
            if count > 1:
                between.append(await _between_slices(args, scenario.name, index))
            done = recorder.iterations.count
            with SelfCpu() as own, MachineCpu() as machine:
                server_before = sample(pid).cpu_s if pid else 0.0
                part = await drive(
                    run,
                    scenario,
                    concurrency=args.concurrency,
                    duration=None if args.requests else args.duration / count,
                    requests=args.requests,
                    seed=seed if count == 1 else f"{seed}/{index}",
                )
                server_cpu = sample(pid).cpu_s - server_before if pid else 0.0
            elapsed += part
            own_s, machine_s, server_s = own_s + own.cpu_s, machine_s + machine.cpu_s, server_s + server_cpu
            in_slice = recorder.iterations.count - done
            slices.append(
                {
                    "elapsed_s": part,
                    "iterations": in_slice,
                    "server_cpu_s": server_cpu if pid else None,
                    "server_cpu_ms_per_iteration": server_cpu * 1000 / in_slice if pid and in_slice else None,
                }
            )
        if count > 1:
            between.append(await _between_slices(args, scenario.name, count))
    iterations = recorder.iterations.count
    requests = sum(series.count for series in recorder.operations.values())
    server = None
    if pid:
        # the slices' own CPU time (a pause's is neither the server's load nor the load generator's)
        server = {**watch.result(elapsed, iterations, requests), **cpu_figures(server_s, elapsed, iterations, requests)}
    result.update(
        {
            "elapsed_s": elapsed,
            "iterations": recorder.iterations.summary(elapsed),
            "operations": {
                name: series.summary(elapsed) for name, series in sorted(recorder.operations.items())
            },
            "http_requests": requests,
            "server": server,
            "loadgen": cpu_figures(own_s, elapsed, iterations, requests),
            "machine": cpu_figures(machine_s, elapsed, iterations, requests),
        }
    )
    if count > 1:
        result["slices"] = slices
        result["between_slices"] = between
    return result


async def _between_slices(args: argparse.Namespace, scenario: str, index: int) -> Any:
    """Runs --between-slices while no iteration is in flight; what it wrote to '{json}', or None."""
    if not args.between_slices:
        return None
    with tempfile.TemporaryDirectory(prefix="loadgen-") as work:
        out = Path(work) / f"{scenario}-{index}.json"
        command = args.between_slices.replace("{json}", shlex.quote(str(out)))
        proc = await asyncio.create_subprocess_shell(
            command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        _, stderr = await proc.communicate()
        if proc.returncode != 0 or not out.exists():
            said = stderr.decode(errors="replace").strip().splitlines()
            print(f"loadgen: --between-slices exited with {proc.returncode}: {said[-1] if said else ''}",
                  file=sys.stderr, flush=True)
            return None
        return json.loads(out.read_text())


async def bench(
    args: argparse.Namespace, endpoint: str, pid: int | None, started_here: bool
) -> dict[str, Any]:
    seed = str(args.seed if args.seed is not None else random.randrange(1 << 32))
    credentials = Credentials(*args.credentials.split(":", 1)) if args.credentials else DUMMY_CREDENTIALS
    wire = CognitoWire(
        endpoint,
        connections=max(args.concurrency, args.setup_concurrency),
        timeout=args.timeout,
        http=args.http,
        region=args.region,
        credentials=credentials,
    )
    results: dict[str, Any] = {}
    fixtures = None
    try:
        if args.target == "oidc-provider":  # nothing to make: its client is in its configuration
            run = Run(wire, Fixtures("peer", "", "", []), Recorder(), SrpClient("none_x", a_bytes=args.srp_a_bytes))
            run.oauth = oidc_provider_fixtures(endpoint)
        else:
            fixtures = await create_fixtures(wire, args.users, args.setup_concurrency)
            if any(s.needs_tokens for s in args.scenarios):
                await collect_tokens(wire, fixtures, min(args.token_users, args.users), args.setup_concurrency)
            run = Run(wire, fixtures, Recorder(), SrpClient(fixtures.pool_id, a_bytes=args.srp_a_bytes))
            # e-mail OTP's UpdateUserPool first: it resets the pool's MFA configuration
            if any(s.mfa_setup == "email_otp" for s in args.scenarios):
                await enable_email_otp(wire, fixtures)
            if any(s.mfa_setup == "totp" for s in args.scenarios):
                run.mfa = await enroll_totp(wire, fixtures, args.setup_concurrency)
            if any(s.needs_oauth for s in args.scenarios):
                run.oauth = await create_oauth_fixtures(wire, endpoint, fixtures)
        for scenario in args.scenarios:
            results[scenario.name] = await measure(args, run, scenario, pid, seed)
    finally:
        if fixtures is not None and not started_here and not args.keep_fixtures:
            await delete_fixtures(wire, fixtures)
        await wire.aclose()
    return {
        "meta": {
            "endpoint": endpoint,
            "target": args.target,
            "started_server": started_here,
            "database_url": args.database_url if started_here else None,
            "pool_id": fixtures.pool_id if fixtures else None,
            "seed": seed,
            "scenarios": [s.name for s in args.scenarios],
            "concurrency": args.concurrency,
            "duration_s": None if args.requests else args.duration,
            "requests": args.requests,
            "warmup_s": args.warmup,
            "users": args.users,
            "token_users": len(fixtures.tokens) if fixtures else 0,
            "srp_a_bytes": args.srp_a_bytes,
            "http_client": f"{wire.client_name} (HTTP/1.1, keep-alive)",
            "event_loop": type(asyncio.get_running_loop()).__module__.split(".")[0],
            "server_pid": pid,
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "host": platform.node(),
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        "scenarios": results,
    }


# --- the report --------------------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def render(report: dict[str, Any]) -> str:
    meta = report["meta"]
    lines = [
        f"endpoint {meta['endpoint']}"
        + (f" (started here, {meta['database_url'] or 'SQLite'})" if meta["started_server"] else ""),
        f"concurrency {meta['concurrency']}, "
        + (f"{meta['requests']} iterations" if meta["requests"] else f"{meta['duration_s']:g} s")
        + f" per scenario after {meta['warmup_s']:g} s warm-up, {meta['users']} users; "
        f"{meta['http_client']} on {meta['event_loop']}; {meta['cpu_count']} CPUs here",
        "",
    ]
    head = f"{'scenario':<28}{'count':>9}{'per s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
    lines += [head, "-" * len(head)]

    def row(label: str, s: dict[str, Any]) -> str:
        lat = s["latency_ms"]
        return (
            f"{label:<28}{s['count']:>9,}{s['per_s']:>10,.1f}{_num(lat['p50'], 2):>9}"
            f"{_num(lat['p95'], 2):>9}{_num(lat['p99'], 2):>9}{s['count'] - s['ok']:>8,}"
        )

    for name, result in report["scenarios"].items():
        if result["skipped"]:
            lines.append(f"{name:<28}skipped: {result['skipped']}")
            continue
        lines.append(row(name, result["iterations"]))
        ops = result["operations"]
        if len(ops) > 1 or (ops and next(iter(ops.values()))["count"] != result["iterations"]["count"]):
            lines += [row(f"  {op}", s) for op, s in ops.items()]
    measured = {n: r for n, r in report["scenarios"].items() if not r["skipped"]}
    if measured:
        lines += [
            "",
            (
                f"{'scenario':<16}{'server cores':>14}{'srv CPU ms/it':>15}{'peak RSS MiB':>14}"
                f"{'VmHWM MiB':>11}{'loadgen cores':>15}{'gen CPU ms/it':>15}"
            ),
        ]
        for name, r in measured.items():
            srv, gen = r["server"] or {}, r["loadgen"]
            lines.append(
                f"{name:<16}{_num(srv.get('cores'), 2):>14}{_num(srv.get('cpu_ms_per_iteration'), 2):>15}"
                f"{_num(srv.get('peak_rss_mib')):>14}{_num(srv.get('vm_hwm_mib')):>11}"
                f"{_num(gen['cores'], 2):>15}{_num(gen['cpu_ms_per_iteration'], 2):>15}"
            )
            per_slice = [part["server_cpu_ms_per_iteration"] for part in r.get("slices", ())]
            if any(value is not None for value in per_slice):
                lines.append(f"{'':<16}server CPU ms/it by slice: {', '.join(_num(v, 2) for v in per_slice)}")
            used = (srv.get("cores") or 0) + gen["cores"]
            if meta["cpu_count"] and used > 0.9 * meta["cpu_count"]:
                lines.append(
                    f"{'':<16}note: server + load generator used {used:.2f} of {meta['cpu_count']} "
                    "CPUs; the machine, not only the server, was the limit"
                )
    errors = [(n, r) for n, r in measured.items() if r["iterations"]["errors"]]
    if errors:
        lines += ["", "errors by type (per iteration; per HTTP operation in the JSON):"]
        for name, r in errors:
            for code, count in r["iterations"]["errors"].items():
                lines.append(f"  {name:<16}{code:<44}{count:>9,}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server = None
    pid = args.server_pid
    if args.start_server:
        server = LocalServer(
            database_url=args.database_url,
            log_level=args.server_log_level,
            extra_args=args.server_arg,
            keep_data=args.keep_server_data,
        )
        try:
            server.start()
        except RuntimeError as exc:
            print(f"loadgen: {exc}", file=sys.stderr)
            return 2
        pid = server.pid
        print(f"server: pid {pid} at {server.url}, data {server.data_dir}", file=sys.stderr, flush=True)
    endpoint = server.url if server else args.endpoint
    runner: Any = asyncio.run
    if not args.no_uvloop:
        try:
            import uvloop

            runner = uvloop.run
        except ImportError:
            pass
    try:
        report = runner(bench(args, endpoint, pid, server is not None))
    except SetupError as exc:
        print(f"loadgen: set-up failed: {exc}", file=sys.stderr)
        if server:
            print(f"server log (last lines):\n{server.log_tail()}", file=sys.stderr)
        return 1
    finally:
        if server:
            server.stop()
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""userpools against moto's server, cognito-local and (OAuth's client_credentials) oidc-provider: the same load generator, the same requests, the same
machine, one server at a time, and a report (docs/benchmarks.md) written from the results.

    python bench/compare.py [--scenario all] [--users 1000] [--concurrency 32] [--duration 20] …

``make bench`` installs the other servers (bench/.others/, see others.py) and runs this. For each scenario,
each server is started fresh on a free loopback port (userpools with its durable default: SQLite in WAL mode
in a temporary data directory, as ``loadgen.py --start-server`` does), ``loadgen.py --endpoint URL
--server-pid PID`` makes its fixtures and measures that one scenario, and the server is stopped. The order of
the servers rotates from one scenario to the next, so no server is always the first or the last to run. The
load generator gets the same arguments and the same seed for every server of a scenario.

Before the servers, ``crypto_floor.py`` measures the cryptography a sign-in cannot avoid on this machine, so
that the report can give userpools' sign-in throughput and CPU as a fraction of that floor.

The raw results go to ``--json`` (bench/results/latest.json), the report to ``--markdown``
(docs/benchmarks.md); ``--from-json FILE`` writes the report again from saved results without running.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import random
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` importable from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import others
from bench.others import ChildServer, CognitoLocalServer, MinistackServer, MotoServer, OidcProviderServer
from bench.report import CPU_TARGETS, FLOOR_OF, render_markdown

#: the scenarios whose userpools run is measured in slices (--floor-slices): those with a CPU target
SLICED = frozenset(scenario for scenario, _ in CPU_TARGETS)
from bench.server import LocalServer

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
SERVERS = ("userpools", "userpools-w2", "moto", "cognito-local", "oidc-provider", "ministack")
#: userpools-w2: the same server and store (SQLite, WAL) as userpools, with ``--workers 2``: two processes
#: on one port and one database file, which is how userpools uses a second core
WORKERS_VARIANT = {"userpools-w2": ["--workers", "2"]}
# the issue's order: the targets' scenarios first
SCENARIOS = (
    "forgot_password",
    "sign_up",
    "sign_in",
    "sign_in_srp",
    "get_user",
    "refresh",
    "mixed",
    "client_credentials",
    "authorization_code",
    "sign_in_totp",
    "sign_in_email_otp",
)
#: which servers each scenario runs on: Cognito's API on userpools, moto and cognito-local (oidc-provider has
#: none); the OAuth scenarios need a pool's domain (moto and cognito-local serve none), and oidc-provider runs
#: client_credentials only (its interactive sign-in is a flow of its own, not compared here)
COGNITO_SERVERS = frozenset({"userpools", "userpools-w2", "moto", "cognito-local"})
RUNS_ON = {name: COGNITO_SERVERS for name in SCENARIOS} | {
    "client_credentials": frozenset({"userpools", "userpools-w2", "oidc-provider"}),
    "authorization_code": frozenset({"userpools", "userpools-w2"}),
    # TOTP: ministack, the fastest emulator that serves it (the scenario moves userpools' development clock on,
    # bench/mfa.py: with --workers the workers share it)
    "sign_in_totp": frozenset({"userpools", "userpools-w2", "ministack"}),
    # e-mail OTP: the code is read from userpools' development outbox, which no other server has
    "sign_in_email_otp": frozenset({"userpools", "userpools-w2"}),
}
# userpools enforces Cognito's recovery quotas (5 ForgotPassword + ConfirmForgotPassword per user per hour;
# with --rate-limits on, which development mode leaves off, also the UserAccountRecovery rate of 30 requests
# per second); moto and cognito-local have none. A benchmark that sends
# thousands of ForgotPassword a second to 1,000 users would measure the quota, so by default the thresholds
# are set out of reach: the counters are still kept (the same work per request), they just never trip.
QUOTAS_OUT_OF_REACH = ["--recovery-attempts-per-hour", "1000000", "--recovery-requests-per-second", "1000000"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--server",
        default=",".join(SERVERS),
        help="comma-separated, from: %(default)s (default: all; each scenario runs on those that serve it)",
    )
    p.add_argument(
        "--scenario",
        default="all",
        help=f"comma-separated, or 'all': {', '.join(SCENARIOS)} (default: %(default)s)",
    )
    p.add_argument("--users", type=int, default=1000, help="fixture users (default: %(default)s)")
    p.add_argument(
        "--token-users",
        type=int,
        default=500,
        help="users signed in during set-up for get_user/refresh/mixed (default: %(default)s)",
    )
    p.add_argument(
        "--concurrency", type=int, default=32, help="load generator workers (default: %(default)s)"
    )
    p.add_argument(
        "--duration", type=float, default=20.0, help="seconds measured per scenario (default: %(default)s)"
    )
    p.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="seconds run but not counted before each (default: %(default)s)",
    )
    p.add_argument(
        "--setup-concurrency",
        type=int,
        default=32,
        help="requests in flight for fixtures (default: %(default)s)",
    )
    p.add_argument(
        "--order",
        choices=("rotate", "fixed"),
        default="rotate",
        help="rotate: each scenario starts with the next server; fixed: always the --server order "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--pause", type=float, default=2.0, help="seconds of rest between two runs (default: %(default)s)"
    )
    p.add_argument("--seed", type=int, help="the load generator's seed, the same for every server")
    p.add_argument(
        "--loadgen-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="one more argument for loadgen.py, for every run (repeatable; e.g. --loadgen-arg=--http=httpx)",
    )
    p.add_argument(
        "--crypto-seconds",
        type=float,
        default=1.0,
        help="crypto_floor.py --seconds; 0 leaves the floor out (default: %(default)s)",
    )
    p.add_argument(
        "--adjacent-floor-seconds",
        type=float,
        default=0.3,
        help=(
            "crypto_floor.py --seconds again right after each userpools run of a scenario that has a floor, which "
            "its CPU target is judged against (a VM's speed drifts between the start and that run); 0: only the "
            "floor measured at the start (default: %(default)s)"
        ),
    )
    p.add_argument(
        "--floor-slices",
        type=int,
        default=5,
        help=(
            "userpools' run of a scenario with a CPU target is measured in this many slices, the floor timed "
            "(--adjacent-floor-seconds per primitive) in the pauses before, between and after them: each "
            "slice's CPU is judged against the floors on either side of it, and the target by the median "
            "slice; 1: one stretch (default: %(default)s)"
        ),
    )
    p.add_argument(
        "--json",
        type=Path,
        default=BENCH_DIR / "results" / "latest.json",
        help="raw results (default: bench/results/latest.json)",
    )
    p.add_argument(
        "--markdown",
        type=Path,
        default=ROOT / "docs" / "benchmarks.md",
        help="the report (default: docs/benchmarks.md)",
    )
    p.add_argument(
        "--from-json",
        type=Path,
        metavar="FILE",
        help="run nothing: write --markdown again from these saved results",
    )
    p.add_argument(
        "--cognito-quotas",
        action="store_true",
        help="run userpools with its default (Cognito's) recovery quotas instead of setting them out of reach",
    )
    p.add_argument(
        "--userpools-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="one more argument for `userpools serve` (repeatable; e.g. --userpools-arg=--workers=2)",
    )
    p.add_argument("--keep-server-data", action="store_true", help="keep each server's temporary directory")
    args = p.parse_args(argv)
    args.servers = [s.strip() for s in args.server.split(",") if s.strip()]
    if not args.servers or any(s not in SERVERS for s in args.servers):
        p.error(f"--server: choose from {', '.join(SERVERS)}")
    args.scenarios = (
        list(SCENARIOS) if args.scenario == "all" else [s.strip() for s in args.scenario.split(",") if s]
    )
    if not args.scenarios or any(s not in SCENARIOS for s in args.scenarios):
        p.error(f"--scenario: choose from {', '.join(SCENARIOS)} or all")
    if args.users < 1 or args.concurrency < 1 or args.duration <= 0:
        p.error("--users and --concurrency must be at least 1, --duration above 0")
    args.userpools_args = ([] if args.cognito_quotas else QUOTAS_OUT_OF_REACH) + args.userpools_arg
    return args


# --- the machine and what runs on it -----------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _mem_total_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def load_average() -> list[float] | None:
    try:
        return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
    except (OSError, ValueError):
        return None


def _dist_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _mem_total_gib(),
        "kernel": f"{platform.system()} {platform.release()}",
        "host": platform.node(),
        "load_average_start": load_average(),
    }


def versions(servers: list[str]) -> dict[str, str | None]:
    found = {
        # the interpreter and where it lives: a distribution's (PGO and LTO) or an unoptimised build matters here
        "python": f"{platform.python_version()} ({os.path.realpath(sys.executable)})",
        "userpools": _dist_version("userpools"),
        "aiohttp": _dist_version("aiohttp"),
        "uvloop": _dist_version("uvloop"),
        "gmpy2": _dist_version("gmpy2"),
    }
    if "moto" in servers:
        found["moto"] = others.moto_version()
    if "cognito-local" in servers:
        found["cognito-local"] = others.cognito_local_version()
    if "ministack" in servers:
        found["ministack"] = others.ministack_version()
    if "oidc-provider" in servers:
        found["oidc-provider"] = others.oidc_provider_version()
    if {"cognito-local", "oidc-provider"} & set(servers):
        found["node"] = others.node_version()
    return found


def invocation(argv: list[str]) -> dict[str, str]:
    """The command line as run, and as `make bench` was given it when it came through make."""
    python = os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT)) else sys.executable
    script = shlex.join([python, "bench/compare.py", *argv])
    via_make = None
    if "MAKELEVEL" in os.environ:
        extra = os.environ.get("BENCH_ARGS", "").strip()
        via_make = "make bench" + (f" BENCH_ARGS={shlex.quote(extra)}" if extra else "")
    return {"script": script, "make": via_make} if via_make else {"script": script}


# --- running -----------------------------------------------------------------------------------------------


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def new_server(args: argparse.Namespace, name: str) -> LocalServer | ChildServer:
    if name in ("userpools", *WORKERS_VARIANT):  # SQLite (WAL) in a temporary data directory
        extra = args.userpools_args + WORKERS_VARIANT.get(name, [])
        return LocalServer(extra_args=extra, keep_data=args.keep_server_data)
    if name == "moto":
        return MotoServer(keep_data=args.keep_server_data)
    if name == "oidc-provider":
        return OidcProviderServer(keep_data=args.keep_server_data)
    if name == "ministack":
        return MinistackServer(keep_data=args.keep_server_data)
    return CognitoLocalServer(keep_data=args.keep_server_data)


def server_command(args: argparse.Namespace, name: str) -> str:
    """How the report says each server was started (the port and directory change with every run)."""
    if name in ("userpools", *WORKERS_VARIANT):
        extra = args.userpools_args + WORKERS_VARIANT.get(name, [])
        return shlex.join(
            LocalServer(port=0, data_dir=Path("TMPDIR"), python="python", extra_args=extra).command()
        ).replace("--port 0", "--port PORT")
    if name == "moto":
        return "bench/.others/moto/bin/moto_server -H 127.0.0.1 -p PORT"
    if name == "ministack":
        return (
            "AUTH=true GATEWAY_PORT=PORT BIND_HOST=127.0.0.1 STATE_DIR=TMPDIR TMPDIR=TMPDIR "
            "bench/.others/ministack/bin/ministack"
        )
    if name == "oidc-provider":
        return "PORT=PORT OIDC_PROVIDER_HOME=bench/.others/oidc-provider node bench/oidc_provider_server.mjs"
    return (
        "cd TMPDIR && HOST=127.0.0.1 PORT=PORT node "
        "bench/.others/cognito-local/node_modules/cognito-local/lib/bin/start.js "
        '(TMPDIR/.cognito/config.json: {"UserPoolDefaults": {"UsernameAttributes": []}})'
    )


def loadgen_command(
    args: argparse.Namespace, scenario: str, url: str, pid: int, out: Path, name: str = "userpools"
) -> list[str]:
    target = ["--target", "oidc-provider"] if name == "oidc-provider" else []
    if name == "ministack":  # with AUTH=true it knows one access key, its root's: "test"
        target = ["--credentials", "test:test"]
    if name == "userpools" and args.floor_slices > 1 and args.adjacent_floor_seconds > 0 and scenario in SLICED:
        floor = [sys.executable, str(BENCH_DIR / "crypto_floor.py"), "--seconds", f"{args.adjacent_floor_seconds:g}",
                 "--flows", FLOOR_OF[scenario]]
        target += ["--slices", str(args.floor_slices),
                   "--between-slices", f"{shlex.join(floor)} --json {{json}}"]
    return [
        sys.executable,
        str(BENCH_DIR / "loadgen.py"),
        "--endpoint",
        url,
        "--server-pid",
        str(pid),
        "--scenario",
        scenario,
        "--users",
        str(args.users),
        "--token-users",
        str(args.token_users),
        "--concurrency",
        str(args.concurrency),
        "--duration",
        f"{args.duration:g}",
        "--warmup",
        f"{args.warmup:g}",
        "--setup-concurrency",
        str(args.setup_concurrency),
        "--seed",
        str(args.seed),
        "--keep-fixtures",  # the server is thrown away afterwards
        "--json",
        str(out),
        *target,
        *args.loadgen_arg,
    ]


def run_one(args: argparse.Namespace, scenario: str, name: str, position: int, work: Path) -> dict[str, Any]:
    """One server, one scenario: start it, run the load generator against it, stop it."""
    record: dict[str, Any] = {
        "scenario": scenario,
        "server": name,
        "position": position,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "result": None,
        "loadgen_meta": None,
        "failed": None,
    }
    started = time.perf_counter()
    server = new_server(args, name)
    try:
        server.start()
    except RuntimeError as exc:
        said = [line for line in str(exc).splitlines() if line.strip()]
        record["failed"] = f"did not start: {said[-1] if said else 'no output'}"[:500]
        record["server_log_tail"] = str(exc)
        record["wall_s"] = time.perf_counter() - started
        _log(f"compare: {name} did not start: {exc}")
        return record
    out = work / f"{scenario}-{name}.json"
    try:
        _log(f"compare: {scenario} on {name} (pid {server.pid}, {server.url})")
        printed = work / f"{scenario}-{name}.txt"
        with printed.open("w") as stdout:
            proc = subprocess.Popen(
                loadgen_command(args, scenario, server.url, server.pid, out, name),
                cwd=ROOT,
                stdout=stdout,
                stderr=subprocess.PIPE,
                text=True,
            )
            assert proc.stderr is not None
            said = []
            for line in proc.stderr:  # its progress, shown as it comes
                sys.stderr.write(line)
                said.append(line.rstrip("\n"))
            returncode = proc.wait()
        print(printed.read_text(), flush=True)
        if returncode != 0 or not out.exists():
            lines = [ln for ln in said if ln.startswith("loadgen:")] or said
            record["failed"] = (lines[-1] if lines else f"loadgen exited with {returncode}")[:500]
            record["server_log_tail"] = server.log_tail(20)
        else:
            report = json.loads(out.read_text())
            record["result"] = report["scenarios"][scenario]
            record["loadgen_meta"] = report["meta"]
    finally:
        server.stop()
        record["wall_s"] = time.perf_counter() - started
    if name == "userpools" and record["result"] and scenario in FLOOR_OF and args.adjacent_floor_seconds > 0:
        # the floor this run's CPU is judged against, measured within seconds of it (the one at the start
        # can be minutes away: on a shared VM the two differed by a fifth within one run)
        record["crypto_floor"] = crypto_floor(args.adjacent_floor_seconds, work, quiet=True)
    return record


def crypto_floor(seconds: float, work: Path, *, quiet: bool = False) -> dict[str, Any] | None:
    if seconds <= 0:
        return None
    out = work / "crypto_floor.json"
    out.unlink(missing_ok=True)
    _log(f"compare: crypto floor ({seconds:g} s per primitive)")
    done = subprocess.run(
        [sys.executable, str(BENCH_DIR / "crypto_floor.py"), "--seconds", f"{seconds:g}", "--json", str(out)],
        cwd=ROOT,
        check=False,
        stdout=subprocess.PIPE,
        text=True,
    )
    if not quiet:
        print(done.stdout, flush=True)
    if done.returncode != 0 or not out.exists():
        _log(f"compare: crypto_floor.py exited with {done.returncode}; the report leaves the floor out")
        return None
    return json.loads(out.read_text())


def order_for(args: argparse.Namespace, index: int, scenario: str) -> list[str]:
    servers = [name for name in args.servers if name in RUNS_ON[scenario]]
    if args.order == "fixed" or not servers:
        return servers
    shift = index % len(servers)
    return servers[shift:] + servers[:shift]


def run_all(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    if args.seed is None:
        args.seed = random.randrange(1 << 32)
    results: dict[str, Any] = {
        "meta": {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": invocation(argv),
            "machine": machine(),
            "versions": versions(args.servers),
            "servers": args.servers,
            "server_commands": {name: server_command(args, name) for name in args.servers},
            "userpools_quotas": "cognito" if args.cognito_quotas else "out of reach",
            "scenarios": args.scenarios,
            "order": args.order,
            "workload": {
                "users": args.users,
                "token_users": min(args.token_users, args.users),
                "concurrency": args.concurrency,
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "setup_concurrency": args.setup_concurrency,
                "seed": args.seed,
                "loadgen_args": args.loadgen_arg,
            },
        },
        "crypto_floor": None,
        "runs": [],
    }
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="userpools-compare-") as tmp:
        work = Path(tmp)
        results["crypto_floor"] = crypto_floor(args.crypto_seconds, work)
        for index, scenario in enumerate(args.scenarios):
            for position, name in enumerate(order_for(args, index, scenario)):
                if results["runs"]:
                    time.sleep(args.pause)
                results["runs"].append(run_one(args, scenario, name, position, work))
    results["meta"]["machine"]["load_average_end"] = load_average()
    results["meta"]["wall_s"] = time.perf_counter() - started
    http = next((r["loadgen_meta"] for r in results["runs"] if r["loadgen_meta"]), None)
    if http:
        results["meta"]["http_client"] = f"{http['http_client']} on {http['event_loop']}"
    return results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.from_json:
        results = json.loads(args.from_json.read_text())
    else:
        running = {name for index, scenario in enumerate(args.scenarios) for name in order_for(args, index, scenario)}
        wanted = [m for m in others.missing() if m.split(":", 1)[0] in running]
        if wanted:
            _log("compare: not installed (run `make others`):\n  " + "\n  ".join(wanted))
            return 2
        results = run_all(args, argv)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
        _log(f"compare: wrote {args.json}")
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    raw = args.from_json or args.json
    args.markdown.write_text(render_markdown(results, raw_path=_shown(raw)))
    _log(f"compare: wrote {args.markdown}")
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())

"""docs/benchmarks.md from `compare.py`'s results: the machine, the command, the crypto floor, a table per
scenario with every server side by side and userpools' ratio to each, and the issue's targets marked met or
not met. Everything here is computed from the JSON, so the report can be written again from saved results
(``compare.py --from-json``).

Throughput is counted in *successful* iterations per second: a server that answers an error fast is not
faster. A ratio is ``n/a`` when either side completed no iteration; it is marked † when either side had
errors in 1% of its iterations or more (it then compares only the iterations that succeeded).
"""

from __future__ import annotations

import statistics
from typing import Any

# scenario → the flow of crypto_floor.py whose floor it has
FLOOR_OF = {
    "sign_in": "USER_PASSWORD_AUTH sign-in",
    "sign_in_srp": "USER_SRP_AUTH sign-in (both calls)",
    "refresh": "REFRESH_TOKEN_AUTH",
    "get_user": "GetUser",
    "client_credentials": "client_credentials token",
    "authorization_code": "hosted sign-in (authorization code)",
    "sign_in_totp": "SOFTWARE_TOKEN_MFA sign-in (both calls)",
    "sign_in_email_otp": "USER_AUTH EMAIL_OTP sign-in (both calls)",
}

# the issue's targets: (scenario, other server, minimum ratio of userpools' throughput to the other's)
RATIO_TARGETS = (
    ("forgot_password", "moto", 5.0),
    ("forgot_password", "cognito-local", 15.0),
    ("sign_up", "moto", 3.0),
    ("get_user", "cognito-local", 1.0),
    ("sign_in", "moto", 2.0),
    ("sign_in_totp", "ministack", 2.0),  # issue 14: the fastest emulator serving TOTP MFA
)
# issue 13: (scenario, userpools variant, other server, minimum ratio)
VARIANT_RATIO_TARGETS = (
    ("client_credentials", "userpools", "oidc-provider", 0.75),
    ("client_credentials", "userpools-w2", "oidc-provider", 1.0),
)
# userpools' server CPU per iteration, at most this many times the crypto floor: a USER_PASSWORD_AUTH
# sign-in (issue 6), a client_credentials token (one RS256 signature) and a hosted sign-in (issue 13)
# and an MFA sign-in, password + SOFTWARE_TOKEN_MFA (issue 14)
CPU_TARGETS = (
    ("sign_in", 1.5),
    ("client_credentials", 1.5),
    ("authorization_code", 1.5),
    ("sign_in_totp", 1.5),
)
DAGGER_ERROR_SHARE = 0.01

NOTES = """\
- **One machine.** The load generator (Python, aiohttp on uvloop) runs on the same CPUs as the server it
  measures; each table gives the server's own CPU (`server cores`, `CPU ms/it`: its whole process tree, from
  `/proc`), and the raw results the load generator's (`loadgen`). A server that could use more than the
  CPUs left to it is held back by the machine, not by itself.
- **Fresh servers.** Each server is started anew for each scenario (nothing carried over: no earlier
  sign-ups, caches or tokens) and makes its own fixtures through the API before any timing: one pool, one
  app client, the users (AdminCreateUser with MessageAction SUPPRESS, then AdminSetUserPassword Permanent)
  and, for get_user, refresh and mixed, a first sign-in of the token users.
- **The same requests.** Same scenario code, arguments and seed for every server; errors are counted by the
  `__type` each server answered, never retried or skipped.
- **What the others do per request** (read in their sources, for the versions above): moto keeps everything
  in process memory, compares passwords in plain text and signs tokens with RS256; its USER_SRP_AUTH answers
  random SALT and SRP_B and an internal id as USER_ID_FOR_SRP, so a client that follows the SRP protocol
  (responding with USERNAME = USER_ID_FOR_SRP, as amazon-cognito-identity-js and pycognito do) gets
  `UserNotFoundException`. cognito-local keeps each pool in a JSON file that it rewrites on every change,
  logs every request, and answers `Unsupported` to USER_SRP_AUTH. userpools stores in SQLite (WAL), keeps
  SRP verifiers (encrypted) rather than passwords, recomputes the verifier on USER_PASSWORD_AUTH, and signs
  RS256 tokens with keys kept in the database.
- **OAuth.** client_credentials runs on userpools (a pool's domain, `/domain/<domain>/oauth2/token`) and on
  oidc-provider, the OpenID-certified reference provider (`bench/oidc_provider_server.mjs`: in memory, one
  Node process, RS256 JWT access tokens for a resource indicator); the request is the same (HTTP Basic, one
  scope). authorization_code (a whole hosted sign-in, four requests) runs on userpools only: moto and
  cognito-local serve no pool domain, and oidc-provider's interactive sign-in is a flow of its own. On a
  machine shared with other work, tokens/s follow the CPU share each server got (see `server cores`);
  the server CPU per iteration does not, and the targets give the ratio by it too.
"""
QUOTAS_LIFTED = """\
- **Quotas.** userpools enforces Cognito's recovery quotas (5 ForgotPassword and ConfirmForgotPassword per
  user per hour; the request-rate categories, UserAccountRecovery's 30 per second among them, only with
  `--rate-limits on`, which development mode leaves off); moto and cognito-local have none. Here they are
  set out of reach (`--recovery-attempts-per-hour 1000000 --recovery-requests-per-second 1000000`, see the
  command above): userpools still counts every attempt, as it must, but never refuses one, so
  forgot_password and mixed measure the operation rather than the quota (`compare.py --cognito-quotas` keeps
  them).
"""
QUOTAS_KEPT = """\
- **Quotas.** userpools ran with Cognito's recovery quotas (5 ForgotPassword and ConfirmForgotPassword per
  user per hour, 30 recovery requests per pool per second), which moto and cognito-local do not have: its
  forgot_password and mixed figures are those of the quota (`TooManyRequestsException`,
  `LimitExceededException`).
"""


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _errors(result: dict[str, Any], limit: int = 3) -> str:
    it = result["iterations"]
    failed = it["count"] - it["ok"]
    if not failed:
        return "0"
    kinds = list(it["errors"].items())
    shown = ", ".join(f"{code} {count:,}" for code, count in kinds[:limit])
    if len(kinds) > limit:
        shown += f", {len(kinds) - limit} more"
    return f"{failed:,} ({failed / it['count']:.0%}): {shown}"


def _error_share(result: dict[str, Any]) -> float:
    it = result["iterations"]
    return (it["count"] - it["ok"]) / it["count"] if it["count"] else 1.0


def ratio(mine: dict[str, Any] | None, theirs: dict[str, Any] | None) -> tuple[float | None, bool]:
    """userpools' successful iterations per second over the other server's; None when either has none.
    The flag says either side had errors in at least 1% of its iterations."""
    if not mine or not theirs or mine.get("skipped") or theirs.get("skipped"):
        return None, False
    a, b = mine["iterations"]["ok_per_s"], theirs["iterations"]["ok_per_s"]
    if not a or not b:
        return None, False
    return a / b, max(_error_share(mine), _error_share(theirs)) >= DAGGER_ERROR_SHARE


def cpu_ratio(mine: dict[str, Any] | None, theirs: dict[str, Any] | None) -> float | None:
    """The other server's CPU per iteration over userpools': how many times userpools' throughput would be
    the other's if each had the same CPU time (None when either was not measured)."""
    a = ((mine or {}).get("server") or {}).get("cpu_ms_per_iteration")
    b = ((theirs or {}).get("server") or {}).get("cpu_ms_per_iteration")
    return b / a if a and b else None


def _ratio_text(value: float | None, flagged: bool) -> str:
    return "n/a" if value is None else f"{value:.2f}×" + (" †" if flagged else "")


def _by_scenario(results: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for run in results["runs"]:
        table.setdefault(run["scenario"], {})[run["server"]] = run
    return table


def _result(run: dict[str, Any] | None) -> dict[str, Any] | None:
    return run["result"] if run and run["result"] and not run["result"].get("skipped") else None


def _floor(results: dict[str, Any], scenario: str) -> dict[str, Any] | None:
    """The scenario's floor: as measured right after userpools' run of it (``compare.py
    --adjacent-floor-seconds``), else as measured at the start."""
    floor = _adjacent_floor(results, scenario) or results.get("crypto_floor")
    flow = FLOOR_OF.get(scenario)
    return floor["floors"].get(flow) if floor and flow else None


def _adjacent_floor(results: dict[str, Any], scenario: str) -> dict[str, Any] | None:
    run = _by_scenario(results).get(scenario, {}).get("userpools")
    return run.get("crypto_floor") if run else None


def slice_ratios(result: dict[str, Any], flow: str) -> list[float]:
    """Each slice's server CPU per iteration over the mean of the ``flow`` floors measured in the pauses on
    either side of it (``loadgen.py --slices``), for the slices that have both; [] for a run in one stretch."""
    slices, between = result.get("slices") or [], result.get("between_slices") or []
    ratios = []
    for index, part in enumerate(slices):
        cpu = part.get("server_cpu_ms_per_iteration")
        sides = [
            measured["floors"][flow]["gmpy2"]["ms"]
            for measured in between[index : index + 2]
            if measured and flow in measured.get("floors", {})
        ]
        if cpu is not None and len(sides) == 2:
            ratios.append(cpu / statistics.fmean(sides))
    return ratios


def _machine(results: dict[str, Any]) -> list[str]:
    meta = results["meta"]
    m, v = meta["machine"], meta["versions"]
    load = m.get("load_average_start")
    load_end = m.get("load_average_end")
    mem = f", {m['memory_gib']:.1f} GiB memory" if m.get("memory_gib") else ""
    lines = [
        "## Machine",
        "",
        f"- Date: {meta['time']} (UTC); the whole run took {meta.get('wall_s', 0) / 60:.1f} minutes",
        f"- CPU: {m['cpu_count']} × {m['cpu_model']}{mem}; {m['kernel']}",
    ]
    if load:
        lines.append(
            f"- Load average (1, 5, 15 min) at the start: {', '.join(f'{x:.2f}' for x in load)}"
            + (f"; at the end: {', '.join(f'{x:.2f}' for x in load_end)}" if load_end else "")
        )
    names = [
        ("userpools", "userpools"),
        ("moto", "moto"),
        ("cognito-local", "cognito-local"),
        ("ministack", "ministack"),
        ("python", "Python"),
        ("node", "Node"),
        ("aiohttp", "aiohttp"),
        ("uvloop", "uvloop"),
        ("gmpy2", "gmpy2"),
    ]
    lines.append("- Versions: " + ", ".join(f"{label} {v[key] or '?'}" for key, label in names if key in v))
    if meta.get("http_client"):
        lines.append(f"- Load generator: bench/loadgen.py, {meta['http_client']}")
    return lines


def _command(results: dict[str, Any]) -> list[str]:
    meta = results["meta"]
    cmd, w = meta["command"], meta["workload"]
    lines = ["## Command", "", "```sh"]
    if cmd.get("make"):
        lines.append(cmd["make"])
        lines.append(f"# which ran: {cmd['script']}")
    else:
        lines.append(cmd["script"])
    lines += [
        "```",
        "",
        f"Workload: {w['users']:,} users ({w['token_users']:,} of them signed in during set-up for the "
        f"scenarios that need tokens), concurrency {w['concurrency']}, {w['warmup_s']:g} s of warm-up then "
        f"{w['duration_s']:g} s measured per scenario and server, seed {w['seed']}"
        + (f", load generator arguments {' '.join(w['loadgen_args'])}" if w.get("loadgen_args") else "")
        + ".",
        "",
        "Order: "
        + (
            "the servers take turns, each scenario starting with the next one."
            if meta["order"] == "rotate"
            else "the same for every scenario."
        )
        + " How each server was started (a free loopback port and a new temporary directory every time):",
        "",
    ]
    lines += [f"- {name}: `{how}`" for name, how in meta["server_commands"].items()]
    return lines


def _floor_section(results: dict[str, Any]) -> list[str]:
    floor = results.get("crypto_floor")
    if not floor:
        return ["## Crypto floor", "", "Not measured in this run (`--crypto-seconds 0`)."]
    cpus = floor["host"]["cpu_count"] or 1
    lines = [
        "## Crypto floor",
        "",
        (
            "`bench/crypto_floor.py`: the cryptography each flow cannot avoid, timed on one core of this machine. "
            "The issue's floor takes every 3072-bit exponentiation at gmpy2.powmod's cost; the server computes "
            "g^x and g^b from precomputed tables of g's powers (`srp.g_pow`), so its own floor (`server`) is "
            "lower. No server can spend less CPU than this per request; the last column is the most all the "
            "CPUs could serve doing nothing else."
        ),
        "",
        (
            "| flow | counted | ms per request (issue: gmpy2) | ms per request (server: tables) "
            f"| per s, one core (server) | per s, all {cpus} CPUs (server) |"
        ),
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for flow, row in floor["floors"].items():
        g = row["gmpy2"]
        t = row.get("server", g)
        lines.append(
            f"| {flow} | {row['counted']} | {g['ms']:.3f} | {t['ms']:.3f} | {t['per_s_per_core']:,.0f} "
            f"| {t['per_s_per_core'] * cpus:,.0f} |"
        )
    return lines


def _scenario_section(results: dict[str, Any], scenario: str, runs: dict[str, dict[str, Any]]) -> list[str]:
    servers = [s for s in results["meta"]["servers"] if s in runs]
    order = sorted(runs.values(), key=lambda r: r["position"])
    about = next((r["result"]["about"] for r in order if r["result"]), "")
    lines = [
        f"### {scenario}",
        "",
        f"{about}. Run order: {', '.join(r['server'] for r in order)}.",
        "",
        (
            "| server | ok/s | p50 ms | p95 ms | p99 ms | errors (by `__type`) | server CPU ms/it | server cores "
            "| peak RSS MiB | userpools ÷ server | userpools-w2 ÷ server |"
        ),
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    mine = _result(runs.get("userpools"))
    mine2 = _result(runs.get("userpools-w2"))
    for name in servers:
        run = runs[name]
        res = run["result"]
        if run["failed"] or not res:
            failed = " ".join((run["failed"] or "no result").split()).replace("|", "\\|")
            lines.append(f"| {name} | – | – | – | – | {failed} | – | – | – | n/a | n/a |")
            continue
        if res.get("skipped"):
            lines.append(f"| {name} | – | – | – | – | skipped: {res['skipped']} | – | – | – | n/a | n/a |")
            continue
        it, lat, srv = res["iterations"], res["iterations"]["latency_ms"], res.get("server") or {}
        rel = "–" if name == "userpools" else _ratio_text(*ratio(mine, res))
        if name == "userpools-w2":
            rel += " |  –"
        else:
            rel += " | " + _ratio_text(*ratio(mine2, res))
        lines.append(
            f"| {name} | {it['ok_per_s']:,.1f} | {_num(lat['p50'], 2)} | {_num(lat['p95'], 2)} "
            f"| {_num(lat['p99'], 2)} | {_errors(res)} | {_num(srv.get('cpu_ms_per_iteration'), 2)} "
            f"| {_num(srv.get('cores'), 2)} | {_num(srv.get('peak_rss_mib'))} | {rel} |"
        )
    floor = _floor(results, scenario)
    adjacent = _adjacent_floor(results, scenario)
    if mine and floor:
        cpus = ((adjacent or results["crypto_floor"])["host"]["cpu_count"]) or 1
        own = floor.get("server", floor["gmpy2"])
        all_cpus = own["per_s_per_core"] * cpus
        cpu = (mine.get("server") or {}).get("cpu_ms_per_iteration")
        text = (
            f"userpools against the crypto floor ({FLOOR_OF[scenario]}): {mine['iterations']['ok_per_s']:,.1f}/s "
            f"is {mine['iterations']['ok_per_s'] / all_cpus:.0%} of the {all_cpus:,.0f}/s that all {cpus} CPUs "
            "could do of its cryptography alone"
        )
        if cpu:
            text += (
                f"; its server CPU per iteration, {cpu:.2f} ms, is {cpu / floor['gmpy2']['ms']:.2f}× "
                f"the issue's floor of {floor['gmpy2']['ms']:.3f} ms"
                f"{' (measured right after the run)' if adjacent else ''}"
                f" and {cpu / own['ms']:.2f}× the server's "
                f"own floor of {own['ms']:.3f} ms"
            )
        lines += ["", text + "."]
    return lines


def targets(results: dict[str, Any]) -> list[dict[str, str]]:
    """Each of the issue's targets with the figure it is judged on and: met, not met, or n/a."""
    table = _by_scenario(results)
    rows = []
    wanted = [(s, v, o, m) for v in ("userpools", "userpools-w2") for s, o, m in RATIO_TARGETS]
    for scenario, variant, other, minimum in wanted + list(VARIANT_RATIO_TARGETS):
        runs = table.get(scenario, {})
        target = f"{scenario}: {variant} ≥ {minimum:g}× {other}"
        if variant not in runs or other not in runs:
            if variant == "userpools" or (scenario, variant, other, minimum) in VARIANT_RATIO_TARGETS:
                rows.append({"target": target, "figure": "not measured", "status": "n/a"})
            continue
        mine, theirs = _result(runs[variant]), _result(runs[other])
        value, flagged = ratio(mine, theirs)
        if value is not None:
            figure = _ratio_text(value, flagged)
            per_cpu = cpu_ratio(mine, theirs)
            by_cpu = (scenario, variant, other, minimum) in VARIANT_RATIO_TARGETS or scenario == "sign_in_totp"
            if per_cpu is not None and by_cpu:
                # on a shared machine the scheduler's share decides tokens/s; CPU per token does not move with it
                figure += f" (by server CPU per iteration: {per_cpu:.2f}×)"
            rows.append(
                {
                    "target": target,
                    "figure": figure,
                    "status": "met" if value >= minimum else "not met",
                }
            )
        elif not mine or not mine["iterations"]["ok"]:
            rows.append({"target": target, "figure": f"{variant} completed no iteration", "status": "not met"})
        else:
            rows.append(
                {"target": target, "figure": f"{other} completed no iteration (ratio n/a)", "status": "n/a"}
            )
    for scenario, maximum in CPU_TARGETS:
        what = {
            "sign_in": "sign-in",
            "client_credentials": "token",
            "authorization_code": "hosted sign-in",
            "sign_in_totp": "MFA sign-in",
        }
        target = (
            f"{scenario}: userpools' server CPU per {what.get(scenario, 'iteration')} ≤ {maximum:g}× the crypto "
            f"floor ({FLOOR_OF[scenario]})"
        )
        mine = _result(table.get(scenario, {}).get("userpools"))
        floor = _floor(results, scenario)
        cpu = (mine.get("server") or {}).get("cpu_ms_per_iteration") if mine else None
        if not floor or cpu is None:
            if scenario in table or scenario == "sign_in":
                rows.append({"target": target, "figure": "not measured", "status": "n/a"})
            continue
        times = cpu / floor["gmpy2"]["ms"]
        figure = f"{cpu:.2f} ms / {floor['gmpy2']['ms']:.3f} ms = {times:.2f}×"
        sliced = slice_ratios(mine, FLOOR_OF[scenario])
        if sliced:
            times = statistics.median(sliced)
            figure = (
                f"median of {len(sliced)} slices {times:.2f}× ({min(sliced):.2f}–{max(sliced):.2f}×: each slice's CPU "
                "against the mean of the floors timed right before and after it); the whole run: " + figure
            )
        if _adjacent_floor(results, scenario):
            start = results.get("crypto_floor")
            at_start = start["floors"].get(FLOOR_OF[scenario]) if start else None
            figure += " (floor measured right after the run"
            figure += f"; at the start: {at_start['gmpy2']['ms']:.3f} ms)" if at_start else ")"
        if "modexp_g" in floor.get("ops", {}) and "server" in floor:  # g^x from tables, as the server does
            own = floor["server"]["ms"]
            figure += f" (against the server's own floor with tabulated g^x: {own:.3f} ms, {cpu / own:.2f}×)"
        rows.append(
            {
                "target": target,
                "figure": figure,
                "status": "met" if times <= maximum and mine["iterations"]["ok"] else "not met",
            }
        )
    return rows


def render_markdown(results: dict[str, Any], raw_path: str) -> str:
    lines = [
        "# Benchmarks: userpools, moto, cognito-local, oidc-provider and ministack",
        "",
        (
            "Written by `make bench` (`bench/compare.py`, from the results in "
            f"`{raw_path}`); do not edit by hand. How the load generator measures, and what each number means: "
            "[bench/README.md](../bench/README.md)."
        ),
        "",
        *_machine(results),
        "",
        *_command(results),
        "",
        *_floor_section(results),
        "",
        "## Targets",
        "",
        "| target | figure | |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {t['target']} | {t['figure']} | {t['status']} |" for t in targets(results)]
    lines += [
        "",
        "## Results",
        "",
        (
            "Per scenario and server: `ok/s` successful iterations per second (one iteration is one pass of the "
            "scenario: one sign-in; for sign_in_srp its two calls); latency percentiles of the successful "
            "iterations, client work included; failed iterations counted by the error type the server answered; "
            "the server's CPU time per iteration and its average number of busy cores over the measured phase "
            "(the whole process tree); the highest sampled RSS. `userpools ÷ server` is userpools' `ok/s` over "
            "that server's: n/a when either completed no iteration, † when either had errors in at least "
            f"{DAGGER_ERROR_SHARE:.0%} of its iterations."
        ),
        "",
    ]
    table = _by_scenario(results)
    for scenario in results["meta"]["scenarios"]:
        if scenario in table:
            lines += _scenario_section(results, scenario, table[scenario]) + [""]
    lines += ["## Notes", "", NOTES.rstrip("\n")]
    quotas = results["meta"].get("userpools_quotas")
    if quotas == "out of reach":
        lines.append(QUOTAS_LIFTED)
    elif quotas == "cognito":
        lines.append(QUOTAS_KEPT)
    return "\n".join(lines) + "\n"

"""compare.py's report judges userpools' CPU per iteration against the crypto floor measured right after that
run when it has one (``--adjacent-floor-seconds``), not the one measured minutes earlier at the start."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository's bench/ (scripts, not installed)
from bench.report import FLOOR_OF, slice_ratios, targets

SCENARIO = "authorization_code"


def _floor(ms: float) -> dict[str, Any]:
    flow = FLOOR_OF[SCENARIO]
    return {"host": {"cpu_count": 2}, "floors": {flow: {
        "ops": {"modexp_g": 1, "rs256_sign": 2},
        "gmpy2": {"ms": ms, "per_s_per_core": 1000 / ms},
        "server": {"ms": ms / 2, "per_s_per_core": 2000 / ms}}}}


def _results(adjacent: dict[str, Any] | None) -> dict[str, Any]:
    run = {"scenario": SCENARIO, "server": "userpools", "failed": None,
           "result": {"iterations": {"ok": 1000}, "server": {"cpu_ms_per_iteration": 3.0}}}
    if adjacent is not None:
        run["crypto_floor"] = adjacent
    return {"crypto_floor": _floor(1.5), "runs": [run]}


def _cpu_row(results: dict[str, Any]) -> dict[str, str]:
    return next(row for row in targets(results) if row["target"].startswith(f"{SCENARIO}: userpools' server CPU"))


def test_the_start_floor_without_an_adjacent_one() -> None:
    row = _cpu_row(_results(None))
    assert row["figure"].startswith("3.00 ms / 1.500 ms = 2.00×") and row["status"] == "not met"
    assert "right after" not in row["figure"]


def test_the_floor_measured_right_after_the_run_decides() -> None:
    row = _cpu_row(_results(_floor(2.5)))
    assert row["figure"].startswith("3.00 ms / 2.500 ms = 1.20×") and row["status"] == "met"
    assert "floor measured right after the run; at the start: 1.500 ms" in row["figure"]


def _sliced(cpus: list[float], floors: list[float | None]) -> dict[str, Any]:
    results = _results(_floor(2.5))
    result = results["runs"][0]["result"]
    result["slices"] = [{"server_cpu_ms_per_iteration": cpu} for cpu in cpus]
    result["between_slices"] = [None if ms is None else _floor(ms) for ms in floors]
    return results


def test_a_sliced_run_is_judged_by_its_median_slice_against_the_floors_beside_it() -> None:
    # slice CPU over the mean of the floors before and after it: 3/2 = 1.5, 2.2/2 = 1.1, 2.8/2 = 1.4
    results = _sliced([3.0, 2.2, 2.8], [1.5, 2.5, 1.5, 2.5])
    row = _cpu_row(results)
    assert row["figure"].startswith("median of 3 slices 1.40× (1.10–1.50×"), row["figure"]
    assert "the whole run: 3.00 ms / 2.500 ms = 1.20×" in row["figure"]
    assert row["status"] == "met"


def test_a_slice_without_a_floor_on_both_sides_is_left_out() -> None:
    results = _sliced([3.0, 4.0], [1.0, None, 1.0])
    assert slice_ratios(results["runs"][0]["result"], FLOOR_OF[SCENARIO]) == []
    row = _cpu_row(results)  # no slice to judge by: the whole run against the floor after it, as before
    assert row["figure"].startswith("3.00 ms / 2.500 ms = 1.20×") and row["status"] == "met"


def test_the_median_slice_decides_not_the_whole_run() -> None:
    row = _cpu_row(_sliced([4.0, 4.0, 4.0], [2.0, 2.0, 2.0, 2.0]))  # 2.00× in every slice
    assert row["status"] == "not met" and "median of 3 slices 2.00×" in row["figure"]


def test_the_floor_of_some_flows_needs_only_their_primitives() -> None:
    from bench import crypto_floor

    only = crypto_floor.needed([FLOOR_OF[SCENARIO], FLOOR_OF["client_credentials"]])
    assert only == {"modexp_g_gmpy2", "modexp_g_table", "rs256_sign"}
    measured = {"modexp_g_gmpy2": 0.0005, "modexp_g_table": 0.00007, "rs256_sign": 0.00025}
    floors = crypto_floor.floors(measured)
    assert floors[FLOOR_OF[SCENARIO]]["gmpy2"]["ms"] == 1.0 and "pow" not in floors[FLOOR_OF[SCENARIO]]
    assert abs(floors[FLOOR_OF[SCENARIO]]["server"]["ms"] - 0.57) < 1e-9
    assert FLOOR_OF["sign_in_srp"] not in floors  # its v^u and (A·v^u)^b were not measured
    try:
        crypto_floor.needed(["no such flow"])
    except ValueError as exc:
        assert "no such flow" in str(exc)
    else:
        raise AssertionError("an unknown flow was taken")

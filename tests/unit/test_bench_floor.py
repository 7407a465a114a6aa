"""compare.py's report judges userpools' CPU per iteration against the crypto floor measured right after that
run when it has one (``--adjacent-floor-seconds``), not the one measured minutes earlier at the start."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository's bench/ (scripts, not installed)
from bench.report import FLOOR_OF, targets

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

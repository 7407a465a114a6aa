"""What a run measures: latencies and errors per operation, and the server process's memory and CPU read
from /proc (the process and all its descendants, so a multi-worker server counts whole)."""

from __future__ import annotations

import os
import resource
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

_CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- latencies and errors -------------------------------------------------------------------------------


def percentile(sorted_values: list[int], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of an ascending list; NaN for an empty one."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * q // 100))  # ceil(n·q/100), at least 1
    return float(sorted_values[int(rank) - 1])


@dataclass
class Series:
    """Latencies (ns) of the successful requests of one kind, every request's latency, and error counts."""

    ok: list[int] = field(default_factory=list)
    every: list[int] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def add(self, latency_ns: int, error: str | None) -> None:
        self.every.append(latency_ns)
        if error is None:
            self.ok.append(latency_ns)
        else:
            self.errors[error] += 1

    @property
    def count(self) -> int:
        return len(self.every)

    def summary(self, elapsed_s: float) -> dict[str, Any]:
        ok, every = sorted(self.ok), sorted(self.every)

        def ms(values: list[int]) -> dict[str, float | None]:
            if not values:
                return {"p50": None, "p95": None, "p99": None, "max": None, "mean": None}
            return {
                "p50": percentile(values, 50) / 1e6,
                "p95": percentile(values, 95) / 1e6,
                "p99": percentile(values, 99) / 1e6,
                "max": values[-1] / 1e6,
                "mean": sum(values) / len(values) / 1e6,
            }

        return {
            "count": len(every),
            "ok": len(ok),
            "errors": dict(self.errors.most_common()),
            "per_s": len(every) / elapsed_s if elapsed_s else 0.0,
            "ok_per_s": len(ok) / elapsed_s if elapsed_s else 0.0,
            "latency_ms": ms(ok),
            "latency_all_ms": ms(every),
        }


@dataclass
class Recorder:
    """One scenario's run: ``iterations`` (a whole scenario step: one sign-in, SRP's two calls, one mixed
    pick) and ``operations`` (each HTTP request, by AWS operation name)."""

    iterations: Series = field(default_factory=Series)
    operations: defaultdict[str, Series] = field(default_factory=lambda: defaultdict(Series))
    enabled: bool = True

    def operation(self, name: str, latency_ns: int, error: str | None) -> None:
        if self.enabled:
            self.operations[name].add(latency_ns, error)

    def iteration(self, latency_ns: int, error: str | None) -> None:
        if self.enabled:
            self.iterations.add(latency_ns, error)


# --- the server process ------------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """``pid`` and every live descendant (children lists from /proc, or a scan of ppids as a fallback)."""
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        if not Path(f"/proc/{current}").exists():
            continue
        tree.append(current)
        children: list[int] = []
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            children = _children_by_scan(current)
        queue += children
    return tree


def _children_by_scan(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _status_kib(pid: int, *keys: str) -> dict[str, int]:
    values = dict.fromkeys(keys, 0)
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in values:
                values[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return values


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a live process (its reaped children's time is in cutime/cstime, added too)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime + cutime + cstime) / _CLK_TCK


@dataclass
class ProcessSample:
    rss_kib: int
    hwm_kib: int
    cpu_s: float
    processes: int


def sample(pid: int) -> ProcessSample:
    rss = hwm = 0
    cpu = 0.0
    tree = process_tree(pid)
    for member in tree:
        status = _status_kib(member, "VmRSS", "VmHWM")
        rss += status["VmRSS"]
        hwm += status["VmHWM"]
        cpu += _cpu_seconds(member)
    return ProcessSample(rss, hwm, cpu, len(tree))


class ProcessWatch:
    """Samples a process tree's RSS every ``interval`` seconds on a thread while a phase runs, and its CPU
    time at the start and end. ``result()`` → peak sampled RSS (sum over the tree), VmHWM (sum of each
    process's own peak since it started, so it includes set-up), CPU seconds used in the phase."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval = pid, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.start_sample: ProcessSample | None = None
        self.peak_rss_kib = 0
        self.end_sample: ProcessSample | None = None

    def __enter__(self) -> Self:
        self.start_sample = sample(self.pid)
        self.peak_rss_kib = self.start_sample.rss_kib
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_rss_kib = max(self.peak_rss_kib, sample(self.pid).rss_kib)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.end_sample = sample(self.pid)
        self.peak_rss_kib = max(self.peak_rss_kib, self.end_sample.rss_kib)

    def result(self, elapsed_s: float, iterations: int, requests: int) -> dict[str, Any]:
        assert self.start_sample and self.end_sample
        cpu = self.end_sample.cpu_s - self.start_sample.cpu_s
        return {
            "pid": self.pid,
            "processes": self.end_sample.processes,
            "rss_start_mib": self.start_sample.rss_kib / 1024,
            "peak_rss_mib": self.peak_rss_kib / 1024,
            "vm_hwm_mib": self.end_sample.hwm_kib / 1024,
            "rss_end_mib": self.end_sample.rss_kib / 1024,
            **cpu_figures(cpu, elapsed_s, iterations, requests),
        }


class SelfCpu:
    """This process's CPU time over a phase: what the load generator itself costs."""

    def __enter__(self) -> Self:
        self.start = self._now()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu_s = self._now() - self.start

    @staticmethod
    def _now() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def result(self, elapsed_s: float, iterations: int, requests: int) -> dict[str, Any]:
        return cpu_figures(self.cpu_s, elapsed_s, iterations, requests)


class MachineCpu(SelfCpu):
    """The whole machine's busy CPU time over a phase (``/proc/stat``: every CPU, every process), so that what
    neither the server nor the load generator spent (a database server, anything else running) shows too."""

    @staticmethod
    def _now() -> float:
        try:
            with open("/proc/stat") as stat:
                fields = [int(value) for value in stat.readline().split()[1:]]
        except OSError:  # not Linux: nothing to report
            return 0.0
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        steal = fields[7] if len(fields) > 7 else 0  # another guest's time on this VM's CPUs
        return (sum(fields[:8]) - idle - steal) / _CLK_TCK

    def result(self, elapsed_s: float, iterations: int, requests: int) -> dict[str, Any]:
        return {"cpus": os.cpu_count(), **cpu_figures(self.cpu_s, elapsed_s, iterations, requests)}


def cpu_figures(cpu_s: float, elapsed_s: float, iterations: int, requests: int) -> dict[str, Any]:
    return {
        "cpu_s": cpu_s,
        "cores": cpu_s / elapsed_s if elapsed_s else 0.0,
        "cpu_ms_per_iteration": cpu_s * 1000 / iterations if iterations else None,
        "cpu_ms_per_request": cpu_s * 1000 / requests if requests else None,
    }

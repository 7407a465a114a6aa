"""Prometheus metrics, served at ``GET /_userpools/metrics`` (prometheus-client's text format).

What is counted, and nothing per user (no username, sub, email or client id in a label):

- ``userpools_requests_total{operation, outcome}``: every ``POST /`` request; ``outcome`` is ``ok`` or the
  Cognito error code answered (``NotAuthorizedException``, …); ``operation`` is ``unknown`` when the
  X-Amz-Target named none;
- ``userpools_request_duration_seconds{operation}``: a histogram of the same requests' handling time;
- ``userpools_sign_ins_total{result}``: ``success`` (a new token family was issued) and ``failure`` (a
  wrong password was counted against a user);
- ``userpools_lockouts_total``: the wrong passwords that locked a user out (the fifth and each one after);
- ``userpools_deliveries_total{medium, result}``: messages handed to a gateway (``sent``, ``failed``) or,
  with no gateway configured, kept in the outbox only (``outbox``);
- ``userpools_trigger_calls_total{trigger, result}``: Lambda trigger invocations (``ok``, ``raised``: the
  function raised, ``unreachable``, ``invalid``: an unusable answer).

The hot path pays little: the dispatcher calls :meth:`Metrics.observe_request` with three plain values, which
adds them to plain numbers that a scrape reads (``_RequestTally``); with ``--workers`` it finds the label
children already bound for that (operation, outcome) in a dict (``labels()`` runs once per pair) and does one
counter increment and one histogram observation.

With ``serve --workers N`` every worker writes its values to files in one directory
(:func:`use_multiprocess`, prometheus-client's multiprocess mode) and a scrape of any worker sums them, so
the numbers are the server's, whichever process answers.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    values,
)
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.utils import floatToGoString

CONTENT_TYPE = CONTENT_TYPE_LATEST

#: Seconds. A ForgotPassword takes ~0.5 ms of CPU, an SRP sign-in step ~5–10 ms, a trigger call or an SMTP
#: hand-off up to seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_MULTIPROCESS_DIR: str | None = None

# No ``*_created`` series beside each counter and histogram (a timestamp per label set, which Prometheus
# does not need); it halves the exposition.
disable_created_metrics()


class Metrics:
    """The process's metrics, on a registry of their own (never prometheus-client's global one, so that
    several applications in one process, as in tests, do not collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self._tally: _RequestTally | None = None
        if _MULTIPROCESS_DIR is None:  # counted here, read at a scrape (see _RequestTally)
            self._tally = _RequestTally()
            registry.register(self._tally)
        else:  # each worker's values in prometheus-client's files, summed by a scrape of any worker
            self.requests = Counter("userpools_requests", _REQUESTS_HELP, ["operation", "outcome"],
                                    registry=registry)
            self.latency = Histogram("userpools_request_duration_seconds", _LATENCY_HELP, ["operation"],
                                     buckets=LATENCY_BUCKETS, registry=registry)
        self.sign_ins = Counter("userpools_sign_ins", "Sign-ins by result: success (tokens issued) or "
                                "failure (a wrong password).", ["result"], registry=registry)
        self.lockouts = Counter("userpools_lockouts", "Wrong passwords that locked a user out.",
                                registry=registry)
        self.deliveries = Counter("userpools_deliveries", "Messages by medium and result (sent, failed, "
                                  "outbox: no gateway configured).", ["medium", "result"], registry=registry)
        self.trigger_calls = Counter("userpools_trigger_calls", "Lambda trigger invocations by trigger and "
                                     "result (ok, raised, unreachable, invalid).", ["trigger", "result"],
                                     registry=registry)
        self._bound: dict[tuple[str, str], tuple[Callable[[], None], Callable[[float], None]]] = {}
        self._delivered: dict[tuple[str, str], Callable[[], None]] = {}
        self._sign_in_success = self.sign_ins.labels("success").inc
        self._sign_in_failure = self.sign_ins.labels("failure").inc

    def observe_request(self, operation: str, outcome: str, seconds: float) -> None:
        """One API request done (the dispatcher's call, once per request, on the event loop's thread)."""
        tally = self._tally
        if tally is not None:
            key = (operation, outcome)
            counts = tally.counts
            counts[key] = counts.get(key, 0) + 1
            latency = tally.latency.get(operation)
            if latency is None:
                latency = tally.latency[operation] = [0.0] + [0] * (len(LATENCY_BUCKETS) + 1)
            latency[0] += seconds
            latency[1 + bisect_left(LATENCY_BUCKETS, seconds)] += 1  # a bucket's bound is "le": bisect_left
            return
        bound = self._bound.get((operation, outcome))
        if bound is None:
            bound = self._bind(operation, outcome)
        bound[0]()
        bound[1](seconds)

    def _bind(self, operation: str, outcome: str) -> tuple[Callable[[], None], Callable[[float], None]]:
        bound = (self.requests.labels(operation, outcome).inc, self.latency.labels(operation).observe)
        self._bound[(operation, outcome)] = bound
        return bound

    def sign_in_succeeded(self) -> None:
        self._sign_in_success()

    def sign_in_failed(self, *, locked: bool) -> None:
        self._sign_in_failure()
        if locked:
            self.lockouts.inc()

    def delivered(self, medium: str, result: str) -> None:
        inc = self._delivered.get((medium, result))
        if inc is None:
            inc = self._delivered[(medium, result)] = self.deliveries.labels(medium, result).inc
        inc()

    def trigger_called(self, trigger: str, result: str) -> None:
        self.trigger_calls.labels(trigger, result).inc()

    def exposition(self) -> bytes:
        """The text a scrape gets: this process's values, or every worker's summed in multiprocess mode."""
        if _MULTIPROCESS_DIR is None:
            return bytes(generate_latest(self.registry))
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=_MULTIPROCESS_DIR)
        return bytes(generate_latest(registry))


_REQUESTS_HELP = "Requests to the Cognito API by operation and outcome (ok or the error code)."
_LATENCY_HELP = "Time to handle a Cognito API request."


class _RequestTally:
    """The requests' counter and latency histogram of one process, as plain numbers: a request adds one to
    a dict entry and one to a bucket found by bisection (prometheus-client's Counter and Histogram took a
    lock per value and walked the buckets in Python: a twentieth of a ForgotPassword's interpreted work).
    A scrape reads them as the same two metric families, the same samples in the same text."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}
        #: per operation: the sum of the seconds, then one count per bucket (the last one: above every bound)
        self.latency: dict[str, list[float]] = {}

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily("userpools_requests", _REQUESTS_HELP, labels=["operation", "outcome"])
        for (operation, outcome), count in list(self.counts.items()):
            requests.add_metric([operation, outcome], count)
        yield requests
        latency = HistogramMetricFamily("userpools_request_duration_seconds", _LATENCY_HELP, labels=["operation"])
        for operation, (total, *buckets) in list(self.latency.items()):
            cumulative = list(accumulate(buckets))
            latency.add_metric([operation], list(zip(_BOUNDS, cumulative, strict=True)), total)
        yield latency


_BOUNDS = [*(floatToGoString(bound) for bound in LATENCY_BUCKETS), "+Inf"]


#: The process's metrics. Read it as ``metrics.METRICS`` at the time of use (``use_multiprocess`` replaces it).
METRICS = Metrics()


def use_multiprocess(directory: str) -> None:
    """``serve --workers N``: from now on every value is kept in a file under ``directory`` (empty, one per
    server run), shared with the other workers. Call it in the supervisor before any worker forks."""
    global METRICS, _MULTIPROCESS_DIR
    # prometheus-client finds the directory in this variable (its own; nothing of userpools reads it).
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    values.ValueClass = values.MultiProcessValue()
    _MULTIPROCESS_DIR = directory
    METRICS = Metrics()


def multiprocess_dir() -> str | None:
    return _MULTIPROCESS_DIR


def sample(text: bytes, name: str, **labels: Any) -> float | None:
    """The value of one sample in an exposition (tests and the bench read it), or None."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text.decode()):
        for item in family.samples:
            if item.name == name and all(item.labels.get(k) == str(v) for k, v in labels.items()):
                return float(item.value)
    return None

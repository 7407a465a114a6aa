"""userpools.metrics and userpools.logs on their own: bound label children, the exposition, JSON lines and the
library loggers held at WARNING."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from userpools import logs, metrics
from userpools.metrics import Metrics, sample


def test_a_request_is_counted_once_with_its_latency() -> None:
    counts = Metrics()
    counts.observe_request("ForgotPassword", "ok", 0.0004)
    counts.observe_request("ForgotPassword", "ok", 0.03)
    counts.observe_request("ForgotPassword", "LimitExceededException", 0.002)
    text = counts.exposition()
    assert sample(text, "userpools_requests_total", operation="ForgotPassword", outcome="ok") == 2
    assert sample(text, "userpools_request_duration_seconds_count", operation="ForgotPassword") == 3
    assert sample(text, "userpools_request_duration_seconds_bucket", operation="ForgotPassword", le="0.001") == 1
    assert sample(text, "userpools_request_duration_seconds_bucket", operation="ForgotPassword", le="0.05") == 3
    assert b"_created" not in text


def test_the_tally_exposes_what_prometheus_clients_counter_and_histogram_would() -> None:
    observed = [("ForgotPassword", "ok", 0.0004), ("ForgotPassword", "ok", 0.001), ("SignUp", "ok", 0.0025001),
                ("ForgotPassword", "LimitExceededException", 10.0), ("SignUp", "InvalidPasswordException", 12.5),
                ("InitiateAuth", "ok", 0.0)]
    ours = Metrics()
    reference = CollectorRegistry(auto_describe=True)
    requests = Counter("userpools_requests", metrics._REQUESTS_HELP, ["operation", "outcome"], registry=reference)
    latency = Histogram("userpools_request_duration_seconds", metrics._LATENCY_HELP, ["operation"],
                        buckets=metrics.LATENCY_BUCKETS, registry=reference)
    for operation, outcome, seconds in observed:
        ours.observe_request(operation, outcome, seconds)
        requests.labels(operation, outcome).inc()
        latency.labels(operation).observe(seconds)
    expected = generate_latest(reference)
    assert ours.exposition().startswith(expected)  # the same two families first, then the other counters
def test_a_wrong_password_that_locks_counts_a_failure_and_a_lockout() -> None:
    counts = Metrics()
    counts.sign_in_failed(locked=False)
    counts.sign_in_failed(locked=True)
    counts.sign_in_succeeded()
    text = counts.exposition()
    assert sample(text, "userpools_sign_ins_total", result="failure") == 2
    assert sample(text, "userpools_sign_ins_total", result="success") == 1
    assert sample(text, "userpools_lockouts_total") == 1


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, {n: logging.getLogger(n).level for n in logs.QUIET})
    logs.configure("debug", "json")
    out = io.StringIO()
    root.handlers[0].stream = out  # type: ignore[attr-defined]
    yield out
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def test_json_lines_carry_the_request_logs_fields(stream: io.StringIO) -> None:
    logs.request_line("rid-1", "SignUp", "UsernameExistsException", 0.0123)
    line = json.loads(stream.getvalue())
    assert line["logger"] == "userpools.requests" and line["level"] == "INFO"
    assert line["message"] == "rid-1 SignUp UsernameExistsException 12.30ms"
    assert (line["requestId"], line["operation"], line["outcome"], line["durationMs"]) == (
        "rid-1", "SignUp", "UsernameExistsException", 12.3)


def test_at_debug_level_the_loggers_that_print_sql_parameters_and_urls_stay_quiet(stream: io.StringIO) -> None:
    logging.getLogger("sqlalchemy.engine.Engine").info("INSERT … ('the-code-hash',)")
    logging.getLogger("httpx").info("HTTP Request: POST https://hooks.example/?token=secret")
    logging.getLogger("userpools.anything").debug("kept")
    assert [json.loads(line)["message"] for line in stream.getvalue().splitlines()] == ["kept"]

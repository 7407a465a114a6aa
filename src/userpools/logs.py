"""Logging: one handler on standard error, text or JSON lines (``serve --log-format``), and the request log.

What a log never holds: a password, a code, a token, a secret hash, a client secret or a data key. userpools'
own messages name pools, users (usernames) and operations only. Two library loggers would print more:
SQLAlchemy's engine logs every statement with its parameters at INFO (code hashes, encrypted verifiers, the
outbox's ciphertext), and httpx/httpcore log request URLs (a trigger webhook's URL may carry a token in its
query), and pysaml2 (``saml2``) logs whole SAML messages, a user's attributes included, at DEBUG and INFO.
They are held at WARNING whatever ``--log-level`` says.

The development console outbox (``delivery.outbox``, development mode only) is not a log: it is the console
delivery of messages, codes included by design, and goes to standard output, apart from the log.

The request log (``serve --request-log``, off by default: see README "Logs") writes one line per API request,
from the dispatcher's observer: request id, operation, outcome (``ok`` or the error code) and duration.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

#: Loggers that could write secrets at INFO or DEBUG (see the module docstring): never below WARNING.
QUIET = ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "asyncpg", "httpx", "httpcore",
         "hpack", "botocore", "urllib3", "saml2")

REQUESTS = logging.getLogger("userpools.requests")

#: The LogRecord attributes every record has; anything else was passed in ``extra`` and goes into JSON lines.
#: (uvicorn adds ``color_message``, its message with terminal colours: left out.)
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime",
                                                                                 "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the record's extra fields
    (the request log's requestId, operation, outcome, durationMs)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str = "info", log_format: str = "text") -> None:
    """The process's logging: replaces the root logger's handlers with one on standard error."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def request_line(request_id: str, operation: str, outcome: str, seconds: float) -> None:
    """The request log's line for one API request (only called when the request log is on)."""
    milliseconds = round(seconds * 1000, 2)
    REQUESTS.info("%s %s %s %.2fms", request_id, operation, outcome, milliseconds,
                  extra={"requestId": request_id, "operation": operation, "outcome": outcome,
                         "durationMs": milliseconds})

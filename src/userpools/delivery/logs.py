"""Log delivery's writer: the JSON lines of SetLogDeliveryConfiguration's destinations, on this server's disk.

Each destination ARN of a LogConfiguration maps to a place under the log directory (``serve --log-dir``,
default ``<data-dir>/logs``):

- ``CloudWatchLogsConfiguration.LogGroupArn`` ``arn:aws:logs:<region>:<account>:log-group:<name>[:*]`` →
  the file ``cloudwatch/<name>.jsonl`` (the log group's name; ``/`` in it makes sub-folders);
- ``FirehoseConfiguration.StreamArn`` ``arn:aws:firehose:<region>:<account>:deliverystream/<name>`` →
  the file ``firehose/<name>.jsonl``;
- ``S3Configuration.BucketArn`` ``arn:aws:s3:::<bucket>`` → the folder ``s3/<bucket>/``, one file per UTC day
  and event source (``<eventSource>/<YYYY>/<MM>/<DD>.jsonl``), as S3 delivery writes objects by date.

Each record is one line of JSON, appended with one ``write`` of a file opened for appending (so lines of several
server processes never interleave).
"""

from __future__ import annotations

import logging
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger("userpools.logs")

_UNSAFE = re.compile(r"[^A-Za-z0-9._\-/]")


def _safe(name: str) -> str:
    """A destination name as a relative path: no ``..``, no absolute path, only plain characters."""
    parts = [_UNSAFE.sub("_", part) for part in name.split("/") if part not in ("", ".", "..")]
    return "/".join(parts) or "_"


def destination_path(root: Path, configuration: dict[str, Any], *, event_source: str, at: datetime) -> Path | None:
    """The file a LogConfiguration's records go to (None when it names no destination)."""
    group = (configuration.get("CloudWatchLogsConfiguration") or {}).get("LogGroupArn")
    if group:
        name = group.split(":log-group:", 1)[-1].removesuffix(":*")
        return root / "cloudwatch" / f"{_safe(name)}.jsonl"
    stream = (configuration.get("FirehoseConfiguration") or {}).get("StreamArn")
    if stream:
        name = stream.split(":deliverystream/", 1)[-1]
        return root / "firehose" / f"{_safe(name)}.jsonl"
    bucket = (configuration.get("S3Configuration") or {}).get("BucketArn")
    if bucket:
        name = bucket.split(":::", 1)[-1]
        return root / "s3" / _safe(name) / event_source / f"{at:%Y/%m/%d}.jsonl"
    return None


class LogWriter:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def write(self, configuration: dict[str, Any], record: dict[str, Any], *, event_source: str,
              at: datetime) -> None:
        """Appends ``record`` to the configuration's destination; a disk error is logged, never raised (a
        sign-in does not fail because its log line could not be written)."""
        path = destination_path(self.root, configuration, event_source=event_source, at=at)
        if path is None:
            return
        line = orjson.dumps(record) + b"\n"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError as exc:
            log.warning("log delivery to %s failed: %s", path, exc)

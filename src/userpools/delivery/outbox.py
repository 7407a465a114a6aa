"""The outbox: every message a pool sends is recorded here (encrypted), in the same transaction as the
state change that caused it, and in development mode also printed to the console after the commit.

``GET /_userpools/outbox`` and ``userpools outbox`` read it back in development mode; nothing else exposes
a code.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterable
from itertools import repeat
from typing import Any, TextIO

import orjson

from userpools import ids
from userpools.clock import Clock
from userpools.crypto.datakey import DataKeyCipher
from userpools.delivery.messages import Message
from userpools.domain.records import OutboxRecord
from userpools.storage.ports import Transaction

log = logging.getLogger("userpools.outbox")


def _context(message_id: str) -> bytes:
    return f"outbox:{message_id}".encode()


class Outbox:
    def __init__(self, cipher: DataKeyCipher, clock: Clock, *, echo: bool, stream: TextIO | None = None) -> None:
        self._cipher = cipher
        self._clock = clock
        self._echo = echo
        self._stream = stream
        self._boxes: list[str] = []  # rendered, not yet written (``announce``)

    async def record(self, tx: Transaction, message: Message) -> None:
        message_id = ids.new_ordered_uuid()
        payload = orjson.dumps({"subject": message.subject, "body": message.body, "code": message.code})
        await tx.outbox.add(
            OutboxRecord(
                id=message_id,
                pool_id=message.pool_id,
                username=message.username,
                destination=message.destination,
                delivery_medium=message.delivery_medium,
                trigger_source=message.trigger_source,
                created_at=self._clock.now(),
                payload_ciphertext=self._cipher.encrypt(payload, context=_context(message_id)),
            )
        )

    def announce(self, messages: Iterable[Message]) -> None:
        """Prints committed messages to the console (development mode only): written and flushed together at
        the end of the event loop's turn, one write for every message of the requests the turn finished
        (under load a flush per message was a system call per request)."""
        if not self._echo:
            return
        first = not self._boxes
        self._boxes.extend(render_box(message) for message in messages)
        if first and self._boxes:
            try:
                asyncio.get_running_loop().call_soon(self._write)
            except RuntimeError:  # no event loop (a command-line tool): now
                self._write()

    def _write(self) -> None:
        boxes, self._boxes = self._boxes, []
        stream = self._stream or sys.stdout  # not the log (standard error): see userpools.logs
        stream.write("".join(boxes))
        stream.flush()

    def open(self, record: OutboxRecord) -> dict[str, Any]:
        """The record as the outbox endpoint shows it."""
        payload = orjson.loads(self._cipher.decrypt(record.payload_ciphertext, context=_context(record.id)))
        return {
            "userPoolId": record.pool_id,
            "username": record.username,
            "destination": record.destination,
            "deliveryMedium": record.delivery_medium,
            "subject": payload["subject"],
            "body": payload["body"],
            "code": payload["code"],
            "triggerSource": record.trigger_source,
            "createdAt": record.created_at.isoformat(),
        }


def render_box(message: Message) -> str:
    lines = [
        f"to:      {message.destination} ({message.delivery_medium})",
        f"pool:    {message.pool_id}   user: {message.username}",
        f"trigger: {message.trigger_source}",
    ]
    if message.subject:
        lines.append(f"subject: {message.subject}")
    lines.append("")
    lines += message.body.splitlines() or [""]
    inner = max(48, max(map(len, lines)))
    # each line padded and framed by C-level maps: a box is drawn for every message a development server sends
    body = "\n".join(map("│ {} │".format, map(str.ljust, lines, repeat(inner))))
    return f"┌─ userpools outbox {'─' * (inner - 17)}┐\n{body}\n└{'─' * (inner + 2)}┘\n"

"""The development console's copy of the outbox: one box per message, written once per event-loop turn."""

from __future__ import annotations

import asyncio
import io
import os

from userpools.clock import SystemClock
from userpools.crypto.datakey import DataKeyCipher
from userpools.delivery.messages import Message
from userpools.delivery.outbox import Outbox, render_box


def _message(body: str, trigger: str = "CustomMessage_ForgotPassword") -> Message:
    return Message("us-east-1_abc", "bob", "bob@example.com", "EMAIL", "Your code", body, "123456", trigger)


def test_a_box_frames_every_line_at_one_width() -> None:
    for message in (_message("Your code is 123456.\nSecond line"), _message(""), _message("x" * 90, "Y" * 70)):
        lines = render_box(message).splitlines()
        assert lines[0].startswith("┌─ userpools outbox ─") and lines[-1].startswith("└─")
        assert len({len(line) for line in lines}) == 1 and len(lines[0]) >= 52
        assert all(line.startswith("│ ") and line.endswith(" │") for line in lines[1:-1])
        assert "│ to:      bob@example.com (EMAIL)" in lines[1]
        assert all(any(text in line for line in lines) for text in message.body.splitlines())


class _Stream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_messages_announced_in_one_turn_are_written_together_at_its_end() -> None:
    stream = _Stream()
    outbox = Outbox(DataKeyCipher(os.urandom(32)), SystemClock(), echo=True, stream=stream)

    async def body() -> None:
        outbox.announce([_message("first")])
        outbox.announce([_message("second"), _message("third")])
        assert stream.getvalue() == ""  # not yet: at the end of this turn
        await asyncio.sleep(0)
        assert stream.writes == 1
        assert stream.getvalue() == "".join(render_box(_message(b)) for b in ("first", "second", "third"))
        outbox.announce([])
        await asyncio.sleep(0)
        assert stream.writes == 1  # nothing to write

    asyncio.run(body())


def test_without_an_event_loop_a_message_is_written_at_once_and_without_echo_never() -> None:
    stream = _Stream()
    Outbox(DataKeyCipher(os.urandom(32)), SystemClock(), echo=True, stream=stream).announce([_message("now")])
    assert stream.getvalue() == render_box(_message("now"))
    quiet = _Stream()
    Outbox(DataKeyCipher(os.urandom(32)), SystemClock(), echo=False, stream=quiet).announce([_message("no")])
    assert quiet.getvalue() == ""

"""userpools.http: a response's head leaves with its body, in one write."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from uvicorn.protocols.http import httptools_impl

from userpools.http import HeadWithBody, OneWriteHttpToolsProtocol


class Recorder:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def test_the_head_waits_for_the_body_and_leaves_with_it() -> None:
    sent = Recorder()
    transport = HeadWithBody(sent)
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    assert sent.writes == []
    transport.write(b"{}")
    assert sent.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    transport.write(b"more")  # later chunks go as they come
    assert sent.writes[-1] == b"more"


def test_an_empty_body_still_sends_the_head() -> None:
    sent = Recorder()
    transport = HeadWithBody(sent)
    transport.write(b"HTTP/1.1 204 No Content\r\n\r\n")
    transport.write(b"")
    assert sent.writes == [b"HTTP/1.1 204 No Content\r\n\r\n"]


def test_100_continue_and_non_head_writes_are_not_held() -> None:
    sent = Recorder()
    transport = HeadWithBody(sent)
    transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert sent.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"x")
    assert sent.writes[-1] == b"HTTP/1.1 200 OK\r\n\r\nx"


def test_everything_else_is_the_connection_transport() -> None:
    sent = Recorder()
    transport = HeadWithBody(sent)
    assert transport.is_closing() is False
    transport.close()
    assert sent.closed and transport.is_closing() is True


def test_the_uvicorn_protocol_wraps_each_cycle_transport() -> None:
    """The assumption about uvicorn's internals: on_headers_complete makes a RequestResponseCycle whose
    ``transport`` is what its send() writes to."""
    assert "transport" in inspect.signature(httptools_impl.RequestResponseCycle.__init__).parameters
    assert "self.transport.write" in inspect.getsource(httptools_impl.RequestResponseCycle.send)

    async def one_request() -> list[bytes]:
        from uvicorn.config import Config
        from uvicorn.server import ServerState

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
            await send({"type": "http.response.body", "body": b"{}"})

        config = Config(app, http=OneWriteHttpToolsProtocol, log_level="error")
        config.load()
        protocol = OneWriteHttpToolsProtocol(config=config, server_state=ServerState(), app_state={})
        sent = Recorder()
        sent.get_extra_info = lambda name, default=None: ("127.0.0.1", 1) if name in ("peername", "sockname") else default  # type: ignore[attr-defined]
        sent.pause_reading = sent.resume_reading = lambda: None  # type: ignore[attr-defined]
        sent.set_protocol = lambda p: None  # type: ignore[attr-defined]
        protocol.connection_made(sent)  # type: ignore[arg-type]
        protocol.data_received(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n")
        for _ in range(20):
            await asyncio.sleep(0)
            if sent.writes:
                break
        protocol.connection_lost(None)
        return sent.writes

    writes = asyncio.run(one_request())
    assert len(writes) == 1
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and writes[0].endswith(b"\r\n\r\n{}")


def test_the_server_settles_the_collector_once_it_has_started(monkeypatch: Any) -> None:
    """``serve``'s uvicorn server: start-up (the lifespan) first, then ``collector.settle``, before any request."""
    import uvicorn

    from userpools import collector
    from userpools.http import Server

    events: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                events.append("lifespan started")
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})

    server = Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on"))

    def settle() -> None:
        events.append("settled" if server.started else "settled before the start")
        server.should_exit = True

    monkeypatch.setattr(collector, "settle", settle)
    asyncio.run(server.serve())
    assert events == ["lifespan started", "settled"]


def test_settling_freezes_what_start_up_made_and_makes_young_collections_rarer() -> None:
    import gc

    from userpools import collector

    before = gc.get_threshold()
    try:
        made_at_start_up = [[n] for n in range(1000)]
        collector.settle()
        assert gc.get_freeze_count() >= len(made_at_start_up)
        assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, before[1], before[2])
        assert gc.isenabled()  # cycles are still collected
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)

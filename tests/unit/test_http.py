"""userpools.http: uvicorn's protocol with a leaner cycle; each response's head leaves with its body, in one
write, and the bytes sent are uvicorn's own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from starlette.background import BackgroundTask
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response, StreamingResponse
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from userpools.http import Cycle, IndexedHeaders, OneWriteHttpToolsProtocol, indexed_request, respond_with

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


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

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 1) if name in ("peername", "sockname") else default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_protocol(self, protocol: Any) -> None:
        pass


def serve(app: App, *requests: bytes, protocol_class: type[HttpToolsProtocol] = OneWriteHttpToolsProtocol
          ) -> Recorder:
    """``requests`` fed to a protocol of ``protocol_class`` on one connection, each answered before the next."""

    async def run() -> Recorder:
        config = Config(app, http=protocol_class, log_level="error")
        config.load()
        state = ServerState()
        state.default_headers = [(b"date", b"Mon, 07 Dec 2026 10:00:00 GMT")]
        protocol = protocol_class(config=config, server_state=state, app_state={})
        sent = Recorder()
        protocol.connection_made(sent)  # type: ignore[arg-type]
        for request in requests:
            protocol.data_received(request)
            for _ in range(50):
                await asyncio.sleep(0)
                if protocol.cycle is None or protocol.cycle.response_complete or sent.closed:
                    break
        for _ in range(5):  # what the application does after its response (a background task)
            await asyncio.sleep(0)
        protocol.connection_lost(None)
        return sent

    return asyncio.run(run())


def whole(body: bytes = b"{}", headers: list[tuple[bytes, bytes]] | None = None, status: int = 200) -> App:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": headers if headers is not None else [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
    return app


def chunks(*parts: bytes) -> App:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for index, part in enumerate(parts):
            await send({"type": "http.response.body", "body": part, "more_body": index < len(parts) - 1})
    return app


GET = b"GET /x?y=1 HTTP/1.1\r\nhost: x\r\n\r\n"
POST = b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nab"


def test_the_head_waits_for_the_body_and_leaves_with_it() -> None:
    sent = serve(whole(b"{}"), POST)
    assert sent.writes == [b"HTTP/1.1 200 OK\r\ndate: Mon, 07 Dec 2026 10:00:00 GMT\r\ncontent-length: 2\r\n\r\n{}"]


@pytest.mark.parametrize("app", [
    whole(b"{}"),
    whole(b"", [(b"content-length", b"0"), (b"location", b"https://a.example/cb?code=1")], status=302),
    whole(b"", [], status=204),
    whole(b"x", [(b"Content-Length", b"1"), (b"X-Mixed-Case", b"v\tw")]),
    whole(b"bye", [(b"content-length", b"3"), (b"connection", b"keep-alive, close")]),
    whole(b"no length"),  # no content-length: chunked
    chunks(b"one", b"two", b""),
    chunks(b""),
    whole(b"ab", [(b"x-a", b"1"), (b"content-length", b"2"), (b"set-cookie", b"a=b; HttpOnly"), (b"x-a", b"2")]),
    whole(b"ab", [(b"content-length", b"2"), (b"content-length", b"5")]),
    whole(b"ab", [[b"content-length", b"2"], [b"x-list", b"y"]]),  # type: ignore[list-item]
    whole(b"ab", [(b"content-length", b"2"), (b"transfer-encoding", b"chunked")]),
    whole(b"ab", [(b"transfer-encoding", b"gzip"), (b"content-length", b"2")]),
], ids=["json", "redirect", "204", "mixed-case", "close", "chunked-whole", "chunks", "empty-chunked", "several",
        "two-lengths", "lists", "length-then-chunked", "other-encoding"])
@pytest.mark.parametrize("request_bytes", [GET, POST, b"HEAD / HTTP/1.1\r\nhost: x\r\n\r\n",
                                           b"GET / HTTP/1.0\r\n\r\n"], ids=["get", "post", "head", "http10"])
def test_the_bytes_sent_are_uvicorns(app: App, request_bytes: bytes) -> None:
    ours, theirs = serve(app, request_bytes), serve(app, request_bytes, protocol_class=HttpToolsProtocol)
    assert b"".join(ours.writes) == b"".join(theirs.writes)
    assert ours.closed == theirs.closed
    assert len(ours.writes) <= len(theirs.writes)


def test_chunks_after_the_first_go_as_they_come() -> None:
    sent = serve(chunks(b"one", b"two"), GET)
    assert len(sent.writes) == 2
    assert sent.writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and sent.writes[0].endswith(b"\r\n\r\n3\r\none\r\n")
    assert sent.writes[1] == b"3\r\ntwo\r\n0\r\n\r\n"


def test_a_100_continue_goes_out_at_once_before_the_answer() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = (await receive())["body"]
        await whole(body)(scope, receive, send)

    expect = b"POST / HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\n"

    async def run() -> Recorder:
        config = Config(app, http=OneWriteHttpToolsProtocol, log_level="error")
        config.load()
        protocol = OneWriteHttpToolsProtocol(config=config, server_state=ServerState(), app_state={})
        sent = Recorder()
        protocol.connection_made(sent)  # type: ignore[arg-type]
        protocol.data_received(expect)
        for _ in range(5):
            await asyncio.sleep(0)
        assert sent.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
        protocol.data_received(b"ok")
        for _ in range(5):
            await asyncio.sleep(0)
        protocol.connection_lost(None)
        return sent

    sent = asyncio.run(run())
    assert sent.writes[1].startswith(b"HTTP/1.1 200 OK\r\n") and sent.writes[1].endswith(b"\r\n\r\nok")


@pytest.mark.parametrize("headers", [
    [(b"location", b"https://a.example/\r\nset-cookie: x=1")],
    [(b"x", b"a\nb")],
    [(b"x", b"a\x00b")],
    [(b"x", b"a\x7fb")],
    [(b"bad name", b"v")],
    [(b"bad:name", b"v")],
    [(b"x\r\ny", b"v")],
])
def test_a_header_with_a_forbidden_byte_is_never_sent(headers: list[tuple[bytes, bytes]]) -> None:
    """uvicorn's checks: the application's send raises, nothing of the response is written and the connection
    is closed."""
    ours = serve(whole(b"", [(b"content-length", b"0"), *headers]), GET)
    theirs = serve(whole(b"", [(b"content-length", b"0"), *headers]), GET, protocol_class=HttpToolsProtocol)
    assert b"".join(ours.writes) == b"".join(theirs.writes)
    assert ours.writes == [] and ours.closed


def test_pipelined_requests_are_answered_in_order() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await whole(scope["path"].encode())(scope, receive, send)

    both = b"GET /first HTTP/1.1\r\nhost: x\r\n\r\nGET /second HTTP/1.1\r\nhost: x\r\n\r\n"
    ours = serve(app, both, b"")
    assert b"".join(ours.writes).count(b"HTTP/1.1 200 OK") == 2
    assert b"".join(ours.writes).index(b"/first") < b"".join(ours.writes).index(b"/second")


def test_a_plain_response_is_written_whole_and_the_same() -> None:
    def app_of(response: Response, helper: bool) -> App:
        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if helper:
                await respond_with(response, scope, receive, send)
            else:
                await response(scope, receive, send)
        return app

    response = JSONResponse({"a": 1}, headers={"x-amzn-RequestId": "r"})
    ours = serve(app_of(response, True), POST)
    assert len(ours.writes) == 1
    assert ours.writes == [b"".join(serve(app_of(response, False), POST, protocol_class=HttpToolsProtocol).writes)]


def test_a_response_with_more_to_do_goes_through_its_own_call() -> None:
    ran: list[str] = []

    async def note() -> None:  # a coroutine: run on the loop, not in a thread
        ran.append("background")

    async def stream() -> Any:
        yield b"a"
        yield b"b"

    makers: list[Callable[[], Response]] = [
        lambda: Response(b"x", background=BackgroundTask(note)),
        lambda: StreamingResponse(stream()),
    ]
    for make in makers:
        async def app(scope: dict[str, Any], receive: Any, send: Any, make: Callable[[], Response] = make) -> None:
            await respond_with(make(), scope, receive, send)
        assert b"".join(serve(app, GET).writes) == b"".join(serve(app, GET, protocol_class=HttpToolsProtocol).writes)
    assert ran == ["background", "background"]


def test_the_cycle_keeps_what_uvicorns_protocol_reads() -> None:
    """The protocol's own methods (receive, run_asgi, connection_lost, shutdown, on_body) read these."""
    seen: list[Cycle] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(send.__self__)
        await whole()(scope, receive, send)

    serve(app, POST)
    cycle = seen[0]
    assert type(cycle) is Cycle
    for name in ("scope", "transport", "flow", "logger", "access_logger", "access_log", "default_headers",
                 "message_event", "on_response", "disconnected", "keep_alive", "waiting_for_100_continue", "body",
                 "more_body", "response_started", "response_complete", "chunked_encoding",
                 "expected_content_length"):
        assert hasattr(cycle, name), name


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


def test_indexed_headers_answer_as_starlettes_own_headers() -> None:
    raw = [(b"content-type", b"application/x-amz-json-1.1"), (b"x-amz-target", b"first"),
           (b"x-amz-target", b"second"), (b"user-agent", b"Boto3/1.35 caf\xe9")]
    ours, theirs = IndexedHeaders(raw), Headers(raw=raw)
    for name in ("X-Amz-Target", "x-amz-target", "user-agent", "Content-Type", "origin"):
        assert ours.get(name) == theirs.get(name) and (name in ours) == (name in theirs)
        assert ours.get(name, "none") == theirs.get(name, "none")
        if name in theirs:
            assert ours[name] == theirs[name]
        else:
            with pytest.raises(KeyError):
                ours[name]
    assert ours.getlist("x-amz-target") == ["first", "second"] and ours.raw == raw and dict(ours) == dict(theirs)
    assert ours.has(b"user-agent") and not ours.has(b"origin") and 1 not in ours
    request = indexed_request({"type": "http", "headers": raw}, _no_receive, ours)
    assert request.headers is ours  # Starlette's Request keeps them where it keeps its own


async def _no_receive() -> dict[str, Any]:
    raise AssertionError("not read")


@pytest.mark.parametrize("protocol_class", [OneWriteHttpToolsProtocol, HttpToolsProtocol])
def test_the_scope_s_headers_are_uvicorn_s(protocol_class: type[HttpToolsProtocol]) -> None:
    """Names lowercased, trailing whitespace dropped, order and repeats kept, Expect: 100-Continue noted in any
    case: OneWriteHttpToolsProtocol settles the headers at once, and must give what uvicorn's on_header gives."""
    seen: list[tuple[list[tuple[bytes, bytes]], bool]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append((list(scope["headers"]), bool(getattr(send.__self__, "waiting_for_100_continue", False))))
        await whole(b"ok")(scope, receive, send)

    request = (b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: A.B \t\r\nCookie: a=1\r\ncookie: b=2\r\n"
               b"EXPECT: 100-Continue\r\nX-Empty:\r\nX-Inner: a  b  \r\nContent-Length: 2\r\n\r\nok")
    serve(app, request, protocol_class=protocol_class)
    assert seen == [([(b"host", b"x"), (b"x-amz-target", b"A.B"), (b"cookie", b"a=1"), (b"cookie", b"b=2"),
                      (b"expect", b"100-Continue"), (b"x-empty", b""), (b"x-inner", b"a  b"),
                      (b"content-length", b"2")], True)]


class _Timers:
    """The loop's clock and timers, in the test's hands: ``call_later`` is recorded, never run by the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.now = 1000.0
        self.armed: list[tuple[float, Callable[[], None], asyncio.TimerHandle]] = []

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        handle = asyncio.TimerHandle(self.now + delay, callback, (), self._loop)
        self.armed.append((self.now + delay, callback, handle))
        return handle

    def fire_due(self) -> int:
        """Runs the timers due by ``now`` that were not cancelled; how many ran."""
        due = [(at, callback, handle) for at, callback, handle in self.armed if at <= self.now]
        self.armed = [entry for entry in self.armed if entry not in due]
        ran = 0
        for _at, callback, handle in due:
            if not handle.cancelled():
                callback()
                ran += 1
        return ran

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loop, name)


def _keep_alive_connection(timeout: float = 5.0) -> tuple[OneWriteHttpToolsProtocol, Recorder, _Timers]:
    config = Config(whole(b"{}"), http=OneWriteHttpToolsProtocol, log_level="error", timeout_keep_alive=timeout)
    config.load()
    protocol = OneWriteHttpToolsProtocol(config=config, server_state=ServerState(), app_state={})
    timers = _Timers(asyncio.get_running_loop())
    protocol.loop = timers  # type: ignore[assignment]
    sent = Recorder()
    protocol.connection_made(sent)  # type: ignore[arg-type]
    return protocol, sent, timers


async def _answered(protocol: OneWriteHttpToolsProtocol, request: bytes = GET) -> None:
    protocol.data_received(request)
    for _ in range(50):
        await asyncio.sleep(0)
        if protocol.cycle is not None and protocol.cycle.response_complete:
            return
    raise AssertionError("no response")


def _closes_after(timers: _Timers, sent: Recorder, seconds: float) -> None:
    """The connection is still open 0.1 s before ``seconds`` from now, and closed at it."""
    timers.now += seconds - 0.1
    assert timers.fire_due() == 0 and not sent.closed
    timers.now += 0.1
    assert timers.fire_due() == 1 and sent.closed


def test_an_idle_keep_alive_connection_closes_when_its_timeout_has_passed() -> None:
    async def run() -> None:
        protocol, sent, timers = _keep_alive_connection(5.0)
        await _answered(protocol)
        assert len(timers.armed) == 1 and not sent.closed
        _closes_after(timers, sent, 5.0)
        protocol.connection_lost(None)

    asyncio.run(run())


def test_a_request_in_the_timeout_keeps_the_connection_for_a_whole_timeout_after_its_response() -> None:
    """One timer per idle stretch: the second response does not arm another; when the first fires, the
    connection has been idle 2 s of 5 and the timer is armed again for the 3 s left."""

    async def run() -> None:
        protocol, sent, timers = _keep_alive_connection(5.0)
        await _answered(protocol)
        timers.now += 3.0
        await _answered(protocol)
        assert len(timers.armed) == 1
        timers.now += 2.0
        assert timers.fire_due() == 1 and not sent.closed
        assert [at for at, _callback, _handle in timers.armed] == [1000.0 + 3.0 + 5.0]
        _closes_after(timers, sent, 3.0)
        protocol.connection_lost(None)

    asyncio.run(run())


def test_a_connection_busy_when_its_timer_fires_is_not_closed_and_its_response_arms_it_again() -> None:
    async def run() -> None:
        protocol, sent, timers = _keep_alive_connection(5.0)
        await _answered(protocol)
        protocol._unset_keepalive_if_required()  # what the next request's first bytes do
        timers.now += 5.0
        assert timers.fire_due() == 1 and not sent.closed and timers.armed == []
        await _answered(protocol)
        assert [at for at, _callback, _handle in timers.armed] == [1005.0 + 5.0]
        protocol.connection_lost(None)

    asyncio.run(run())


def test_a_lost_connection_cancels_its_keep_alive_timer() -> None:
    async def run() -> None:
        protocol, _sent, timers = _keep_alive_connection(5.0)
        await _answered(protocol)
        protocol.connection_lost(ConnectionResetError())
        timers.now += 5.0
        assert timers.fire_due() == 0

    asyncio.run(run())

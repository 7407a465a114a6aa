"""uvicorn's httptools protocol, with each response sent in one write.

uvicorn writes a response's status line and headers when the application sends ``http.response.start``, and
the body in a second write when it sends ``http.response.body``. On a socket each write is a ``send`` system
call, and on loopback the kernel delivers the segment to the reader inside that call: a second ``send`` per
response cost about as much server CPU as the framework's whole routing (py-spy: ~13% of a USER_PASSWORD_AUTH
sign-in, in the two ``transport.write`` lines). Every answer here is a single JSON body, so the head is held
back and goes out with the first body write.

This reaches into uvicorn's ``RequestResponseCycle`` (its ``transport`` attribute, set in
``on_headers_complete``); ``tests/unit/test_http.py`` checks the assumption against the installed uvicorn.
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from userpools import collector

_INTERIM = b"HTTP/1.1 1"  # 100 Continue and other interim answers go out at once


class HeadWithBody:
    """A transport for one request/response cycle: its first write (the head) waits for the second (the
    body, or the first chunk of it). Everything else is the connection's transport."""

    __slots__ = ("_head", "_transport")

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._head is None:
            if data.startswith(b"HTTP/") and not data.startswith(_INTERIM):
                self._head = data
                return
            self._transport.write(data)
            return
        head, self._head = self._head, b""
        self._transport.write(head + data if head else data)

    def close(self) -> None:
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and not isinstance(cycle.transport, HeadWithBody):
            cycle.transport = HeadWithBody(cycle.transport)


class Server(uvicorn.Server):
    """uvicorn's server, which settles the garbage collector (``collector.settle``) once it has started: the
    lifespan's start-up done and the sockets listening, before the first request."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            collector.settle()


def uvicorn_log_config(log_format: str) -> dict[str, object] | None:
    """uvicorn's own loggers: its default configuration for text; for JSON none at all, so that its lines
    reach the root handler of ``logs.configure`` (and are JSON like the rest)."""
    if log_format == "json":
        return None
    from uvicorn.config import LOGGING_CONFIG

    return LOGGING_CONFIG

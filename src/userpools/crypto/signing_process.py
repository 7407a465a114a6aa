"""RS256 signatures computed in a helper process: one server process then uses a second CPU for them.

A sign-in's two RS256 signatures are about half of its CPU. ``jwt.Signer``'s threads compute them beside the
event loop, but each thread needs the GIL back to hand its result over: measured on the 2-CPU VM, one process
with two threads served 706 SOFTWARE_TOKEN_MFA sign-ins/s at 1.77 ms of CPU each against 728/s at 1.38 ms
on the loop alone, the loop waiting for the GIL a quarter of the time. A process of its own shares no GIL:
the loop writes the signing inputs to a socket and reads the signatures back when they are ready, a few
microseconds of its time per response instead of the signatures' hundreds.

The helper is ``python -m userpools.crypto.signing_process FD``, started by ``ProcessSigner.start`` with one
end of a socketpair; it imports nothing of userpools but this module and is told each private key (PKCS#8 DER,
over the socketpair, never on disk) the first time a signature needs it. It exits when the server's end
closes, however the server stops (a killed server's socket is closed by the kernel). Should it die or fail,
the server signs on its loop from then on, as it does without a helper.

Frames, server → helper: op (1 byte), body length (u32 LE), body.

- ``K``: key index (u32) and the key's DER;
- ``S``: request id (u32), count (u16), then per signature: key index (u32), input length (u32), input;
- ``C``: forget every key (the server's table of keys was full).

Helper → server: request id (u32), count (u16; 0xFFFF: it could not sign them), per signature its length
(u16) and bytes. The helper answers each request as soon as it has signed it: answering everything one read
brought in a single write made the loop and the helper take turns (TOTP: 700 against 840 sign-ins/s).
"""

from __future__ import annotations

import logging
import signal
import socket
import struct
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

if TYPE_CHECKING:
    import asyncio

    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

log = logging.getLogger("userpools.signing")

_FRAME = struct.Struct("<BI")  # op, body length
_KEY = struct.Struct("<I")  # key index
_REQUEST = struct.Struct("<IH")  # request id, count
_ITEM = struct.Struct("<II")  # key index, input length
_SIGNATURE = struct.Struct("<H")  # signature length
_FAILED = 0xFFFF
OP_KEY, OP_SIGN, OP_CLEAR = b"K"[0], b"S"[0], b"C"[0]
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_MAX_KEYS = 4096  # as jwt's cache of private keys


# --- the helper ---------------------------------------------------------------------------------------


def _answer(body: bytes, keys: dict[int, Any]) -> bytes:
    request, count = _REQUEST.unpack_from(body)
    at, out = _REQUEST.size, []
    try:
        for _ in range(count):
            index, length = _ITEM.unpack_from(body, at)
            at += _ITEM.size
            signature = keys[index].sign(body[at:at + length], _PKCS1V15, _SHA256)
            at += length
            out.append(_SIGNATURE.pack(len(signature)) + signature)
    except Exception:  # noqa: BLE001 - any failure: the server signs these itself
        return _REQUEST.pack(request, _FAILED)
    return _REQUEST.pack(request, count) + b"".join(out)


def serve(sock: socket.socket) -> None:
    """The helper's loop: frames in, signatures out, until the server's end closes."""
    keys: dict[int, Any] = {}
    pending = b""
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            return
        data = pending + chunk if pending else chunk
        at = 0
        while len(data) - at >= _FRAME.size:
            op, length = _FRAME.unpack_from(data, at)
            if len(data) - at - _FRAME.size < length:
                break
            body = data[at + _FRAME.size:at + _FRAME.size + length]
            at += _FRAME.size + length
            if op == OP_SIGN:
                sock.sendall(_answer(body, keys))
            elif op == OP_KEY:
                (index,) = _KEY.unpack_from(body)
                keys[index] = serialization.load_der_private_key(body[_KEY.size:], password=None)
            elif op == OP_CLEAR:
                keys.clear()
        pending = data[at:]


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C: the server closes the socket
    with socket.socket(fileno=int(argv[1])) as sock:
        try:
            serve(sock)
        except (ConnectionError, OSError):
            pass
    return 0


# --- the server's side ----------------------------------------------------------------------------------


class ProcessSigner:
    """Sends RSA signatures to the helper process and waits for them, on the event loop it was started on.

    ``signatures(work)`` is what ``jwt.Signer`` awaits; None when the helper cannot give them (not started,
    stopped, failed): the caller then computes them itself."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._transport: asyncio.Transport | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[int, asyncio.Future[list[bytes] | None]] = {}
        self._keys: dict[int, tuple[int, RSAPrivateKey]] = {}  # id(key) → (index, key): the key kept alive
        self._next_request = 0
        self._buffer = bytearray()
        self._closing = False

    @property
    def running(self) -> bool:
        return self._transport is not None

    async def start(self) -> None:
        """Starts the helper (a fork and exec, a few milliseconds, once per server process) and connects to
        it on the running loop."""
        import asyncio

        ours = self._spawn()
        self._loop = asyncio.get_running_loop()
        transport, _ = await self._loop.create_unix_connection(lambda: _Replies(self), sock=ours)
        self._transport = transport  # type: ignore[assignment]

    def _spawn(self) -> socket.socket:
        ours, theirs = socket.socketpair()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "userpools.crypto.signing_process", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
            )
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        return ours

    async def signatures(self, work: tuple[tuple[RSAPrivateKey, bytes], ...]) -> list[bytes] | None:
        transport = self._transport
        if transport is None:
            return None
        assert self._loop is not None
        frames = []
        items = []
        for key, signing_input in work:
            known = self._keys.get(id(key))
            if known is None:
                if len(self._keys) >= _MAX_KEYS:
                    self._keys.clear()
                    frames.append(_FRAME.pack(OP_CLEAR, 0))
                known = self._keys[id(key)] = (len(self._keys), key)
                der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
                frames.append(_FRAME.pack(OP_KEY, _KEY.size + len(der)) + _KEY.pack(known[0]) + der)
            items.append(_ITEM.pack(known[0], len(signing_input)))
            items.append(signing_input)
        request = self._next_request = (self._next_request + 1) & 0xFFFFFFFF
        body = _REQUEST.pack(request, len(work)) + b"".join(items)
        frames.append(_FRAME.pack(OP_SIGN, len(body)) + body)
        future: asyncio.Future[list[bytes] | None] = self._loop.create_future()
        self._pending[request] = future
        transport.write(b"".join(frames))
        return await future

    def _received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        at = 0
        while len(buffer) - at >= _REQUEST.size:
            request, count = _REQUEST.unpack_from(buffer, at)
            end = at + _REQUEST.size
            signatures: list[bytes] | None = None
            if count != _FAILED:
                signatures = []
                for _ in range(count):
                    if len(buffer) - end < _SIGNATURE.size:
                        break
                    (length,) = _SIGNATURE.unpack_from(buffer, end)
                    if len(buffer) - end - _SIGNATURE.size < length:
                        break
                    signatures.append(bytes(buffer[end + _SIGNATURE.size:end + _SIGNATURE.size + length]))
                    end += _SIGNATURE.size + length
                if len(signatures) < count:
                    break  # the rest of this answer has not arrived
            at = end
            future = self._pending.pop(request, None)
            if future is not None and not future.done():  # done: its request was cancelled meanwhile
                future.set_result(signatures)
        del buffer[:at]

    def _lost(self, exc: Exception | None) -> None:
        if not self._closing:
            log.warning("the signing process stopped (%s); tokens are signed on the event loop from now on",
                        exc or "end of its output")
        self._transport = None
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_result(None)  # signed on the loop by their requests

    def close(self) -> None:
        self._closing = True
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()  # the helper reads the end of its input and exits
        process, self._process = self._process, None
        if process is not None:
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class _Replies:
    """The asyncio protocol on the server's end of the socketpair."""

    def __init__(self, signer: ProcessSigner) -> None:
        self._signer = signer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        pass

    def data_received(self, data: bytes) -> None:
        self._signer._received(data)

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._signer._lost(exc)

    def pause_writing(self) -> None:
        pass

    def resume_writing(self) -> None:
        pass


if __name__ == "__main__":
    sys.exit(main(sys.argv))

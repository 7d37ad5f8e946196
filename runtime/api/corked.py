"""The HTTP server's connections write once per loop pass, not once per ASGI message.

uvicorn writes a response's head and its body as two `transport.write` calls, each a `send`
system call and a TCP segment of its own (the socket has TCP_NODELAY), and a streamed answer
one per chunk. On loopback a `send` also runs the receiver's side of the stack, so these calls
were about two fifths of the server's CPU samples for a plain `/v1` request. A corked
transport gathers what is written in one pass of the event loop and hands it to the real
transport at the end of that pass (a callback queued behind the writer's, so no later than any
I/O the loop does next): a whole response in one call, chunks that arrive together in one.
Nothing waits longer than the pass it was written in; `close`, `write_eof` and a growing
buffer write at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

CORK_LIMIT = 256 * 1024  # bytes gathered before they are written at once


class CorkedTransport:
    """Delegates to a transport, gathering writes until the end of the loop's pass."""

    __slots__ = ("_loop", "_pending", "_size", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None
        self._size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if self._pending is None:
            self._pending = [bytes(data)]
            self._loop.call_soon(self.flush)
        else:
            self._pending.append(bytes(data))
        self._size += len(data)
        if self._size >= CORK_LIMIT:
            self.flush()

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Hand what was gathered to the transport (a no-op when nothing is)."""
        pending, self._pending, self._size = self._pending, None, 0
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def get_write_buffer_size(self) -> int:
        return self._size + self._transport.get_write_buffer_size()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending, self._size = None, 0
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CorkedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a corked transport (`uvicorn.Config(http=...)`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CorkedTransport(transport, self.loop))  # type: ignore[arg-type]
